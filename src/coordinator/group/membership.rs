//! JoinGroup, SyncGroup, Heartbeat and LeaveGroup on the group coordinator.
//! Kafka: `GroupCoordinator.handleJoinGroup`, `handleSyncGroup`, `handleHeartbeat`,
//! `handleLeaveGroup` and their `do*` helpers.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::group_coordinator::{
    reset_and_propagate_assignment_error, set_and_propagate_assignment, GroupApi, GroupCoordinator,
    NEW_MEMBER_JOIN_TIMEOUT_MS,
};
use super::group_metadata::GroupMetadata;
use super::group_metadata_manager::{group_record, lock};
use super::group_state::GroupState;
use super::member_metadata::{JoinGroupResult, MemberMetadata, SyncGroupResult};
use crate::protocol::errors::ResponseError;

/// A JoinGroup request as the coordinator needs it. Kafka: the parameters of `handleJoinGroup`.
#[derive(Debug, Clone)]
pub struct JoinGroupParams {
    pub group_id: String,
    /// `""` for a new member (`JoinGroupRequest.UNKNOWN_MEMBER_ID`).
    pub member_id: String,
    pub group_instance_id: Option<String>,
    /// JoinGroup v4+: new dynamic members first get MEMBER_ID_REQUIRED.
    pub require_known_member_id: bool,
    /// JoinGroup v9+: a rejoining static leader may skip running the assignor.
    pub support_skipping_assignment: bool,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<(String, Bytes)>,
    pub reason: Option<String>,
}

/// A SyncGroup request. Kafka: the parameters of `handleSyncGroup`.
#[derive(Debug, Clone)]
pub struct SyncGroupParams {
    pub group_id: String,
    pub generation_id: i32,
    pub member_id: String,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub group_instance_id: Option<String>,
    pub assignments: HashMap<String, Bytes>,
}

/// One member of a LeaveGroup request and its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavingMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
}

/// A parked answer or an immediate one.
enum Reply<T> {
    Now(T),
    Later(oneshot::Receiver<T>),
}

impl GroupCoordinator {
    /// Kafka: `GroupCoordinator.handleJoinGroup`. Waits while the request is parked.
    pub async fn handle_join_group(self: &Arc<Self>, p: JoinGroupParams) -> JoinGroupResult {
        let member_id = p.member_id.clone();
        match self.join_group(p) {
            Reply::Now(r) => r,
            Reply::Later(rx) => rx.await.unwrap_or_else(|_| {
                JoinGroupResult::error(member_id, ResponseError::UnknownMemberId.code())
            }),
        }
    }

    fn join_group(self: &Arc<Self>, p: JoinGroupParams) -> Reply<JoinGroupResult> {
        let err = |code: i16| Reply::Now(JoinGroupResult::error(p.member_id.clone(), code));
        if let Some(code) = self.validate_group_status(&p.group_id, GroupApi::JoinGroup) {
            return err(code);
        }
        if p.session_timeout_ms < self.config.group_min_session_timeout_ms
            || p.session_timeout_ms > self.config.group_max_session_timeout_ms
        {
            return err(ResponseError::InvalidSessionTimeout.code());
        }
        let is_unknown = p.member_id.is_empty();
        let Some(gref) = self
            .manager
            .get_or_maybe_create_group(&p.group_id, is_unknown)
        else {
            return err(ResponseError::UnknownMemberId.code());
        };
        let mut g = lock(&gref);
        if !self.accept_joining_member(&g, &p.member_id) {
            g.remove(&p.member_id);
            return err(ResponseError::GroupMaxSizeReached.code());
        }
        let reply = if is_unknown {
            self.do_new_member_join_group(&mut g, p)
        } else {
            self.do_current_member_join_group(&mut g, p)
        };
        if g.is(GroupState::PreparingRebalance) {
            self.try_complete_join(&mut g);
        }
        reply
    }

    /// Kafka: `acceptJoiningMember` (`group.max.size`).
    fn accept_joining_member(&self, g: &GroupMetadata, member_id: &str) -> bool {
        let max = usize::try_from(self.config.group_max_size).unwrap_or(usize::MAX);
        match g.state {
            GroupState::Empty | GroupState::Dead => true,
            GroupState::PreparingRebalance => {
                g.members
                    .get(member_id)
                    .is_some_and(|m| m.is_awaiting_join())
                    || g.num_awaiting_join() < max
            }
            _ => g.has(member_id) || g.members.len() < max,
        }
    }

    fn do_new_member_join_group(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        p: JoinGroupParams,
    ) -> Reply<JoinGroupResult> {
        if g.is(GroupState::Dead) {
            return Reply::Now(JoinGroupResult::error(
                "",
                ResponseError::CoordinatorNotAvailable.code(),
            ));
        }
        if !g.supports_protocols(&p.protocol_type, &p.protocols) {
            return Reply::Now(JoinGroupResult::error(
                "",
                ResponseError::InconsistentGroupProtocol.code(),
            ));
        }
        let new_member_id = generate_member_id(&p.client_id, p.group_instance_id.as_deref());
        if let Some(instance) = p.group_instance_id.clone() {
            match g.current_static_member_id(&instance).cloned() {
                Some(old) => {
                    return self.update_static_member_and_rebalance(
                        g,
                        &old,
                        &new_member_id,
                        &instance,
                        p,
                    )
                }
                None => return self.add_member_and_rebalance(g, new_member_id, p),
            }
        }
        if p.require_known_member_id {
            // Kafka `doDynamicNewMemberJoinGroup`: the member must rejoin with this id.
            let deadline = self.now_ms() + i64::from(p.session_timeout_ms);
            g.pending_members.insert(new_member_id.clone(), deadline);
            return Reply::Now(JoinGroupResult::error(
                new_member_id,
                ResponseError::MemberIdRequired.code(),
            ));
        }
        self.add_member_and_rebalance(g, new_member_id, p)
    }

    fn do_current_member_join_group(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        p: JoinGroupParams,
    ) -> Reply<JoinGroupResult> {
        let member_id = p.member_id.clone();
        if g.is(GroupState::Dead) {
            return Reply::Now(JoinGroupResult::error(
                member_id,
                ResponseError::CoordinatorNotAvailable.code(),
            ));
        }
        if !g.supports_protocols(&p.protocol_type, &p.protocols) {
            return Reply::Now(JoinGroupResult::error(
                member_id,
                ResponseError::InconsistentGroupProtocol.code(),
            ));
        }
        if g.is_pending_member(&member_id) {
            if p.group_instance_id.is_some() {
                // Kafka throws IllegalStateException: static members are never pending.
                return Reply::Now(JoinGroupResult::error(
                    member_id,
                    ResponseError::UnknownServerError.code(),
                ));
            }
            return self.add_member_and_rebalance(g, member_id, p);
        }
        if let Some(code) = validate_current_member(g, &member_id, p.group_instance_id.as_deref()) {
            return Reply::Now(JoinGroupResult::error(member_id, code));
        }
        let (rx_tx, rx) = oneshot::channel();
        let matches = g
            .members
            .get(&member_id)
            .is_some_and(|m| m.matches(&p.protocols));
        let is_leader = g.is_leader(&member_id);
        match g.state {
            GroupState::PreparingRebalance => {
                self.update_member_and_rebalance(g, &member_id, p, rx_tx);
                Reply::Later(rx)
            }
            GroupState::CompletingRebalance if matches => {
                Reply::Now(g.join_result(&member_id, is_leader, g.leader_or_empty(), false))
            }
            GroupState::CompletingRebalance => {
                self.update_member_and_rebalance(g, &member_id, p, rx_tx);
                Reply::Later(rx)
            }
            GroupState::Stable if is_leader || !matches => {
                self.update_member_and_rebalance(g, &member_id, p, rx_tx);
                Reply::Later(rx)
            }
            GroupState::Stable => {
                Reply::Now(g.join_result(&member_id, false, g.leader_or_empty(), false))
            }
            GroupState::Empty | GroupState::Dead => Reply::Now(JoinGroupResult::error(
                member_id,
                ResponseError::UnknownMemberId.code(),
            )),
        }
    }

    /// Kafka: `addMemberAndRebalance`.
    fn add_member_and_rebalance(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        member_id: String,
        p: JoinGroupParams,
    ) -> Reply<JoinGroupResult> {
        let (tx, rx) = oneshot::channel();
        let member = MemberMetadata {
            member_id: member_id.clone(),
            group_instance_id: p.group_instance_id.clone(),
            client_id: p.client_id,
            client_host: p.client_host,
            rebalance_timeout_ms: p.rebalance_timeout_ms,
            session_timeout_ms: p.session_timeout_ms,
            protocol_type: p.protocol_type,
            supported_protocols: p.protocols,
            assignment: Bytes::new(),
            awaiting_join: Some(tx),
            awaiting_sync: None,
            is_new: true,
            heartbeat_deadline_ms: None,
        };
        if g.is(GroupState::PreparingRebalance) && g.generation_id == 0 {
            g.new_member_added = true;
        }
        g.add(member);
        // Kafka: new members' parked JoinGroups time out after 5 minutes, as their sockets are
        // muted and a disconnect cannot be seen.
        self.schedule_heartbeat(g, &member_id, Some(NEW_MEMBER_JOIN_TIMEOUT_MS));
        let reason = format!(
            "Adding new member {member_id} with group instance id {:?}; client reason: {}",
            p.group_instance_id,
            p.reason.as_deref().unwrap_or("not provided")
        );
        self.maybe_prepare_rebalance(g, &reason);
        Reply::Later(rx)
    }

    /// Kafka: `updateMemberAndRebalance` (with `GroupMetadata.updateMember`).
    fn update_member_and_rebalance(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        member_id: &str,
        p: JoinGroupParams,
        reply: oneshot::Sender<JoinGroupResult>,
    ) {
        if let Some(m) = g.members.get_mut(member_id) {
            m.supported_protocols = p.protocols;
            m.rebalance_timeout_ms = p.rebalance_timeout_ms;
            m.session_timeout_ms = p.session_timeout_ms;
            m.awaiting_join = Some(reply);
        }
        let reason = format!(
            "Updating metadata for member {member_id} during {}; client reason: {}",
            g.state,
            p.reason.as_deref().unwrap_or("not provided")
        );
        self.maybe_prepare_rebalance(g, &reason);
    }

    /// A known static member rejoins with a new member id. Kafka: `updateStaticMemberAndRebalance`.
    fn update_static_member_and_rebalance(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        old_member_id: &str,
        new_member_id: &str,
        instance_id: &str,
        p: JoinGroupParams,
    ) -> Reply<JoinGroupResult> {
        let current_leader = g.leader_or_empty();
        g.replace_static_member(instance_id, old_member_id, new_member_id);
        self.schedule_heartbeat(g, new_member_id, None);
        let (tx, rx) = oneshot::channel();
        let old_protocols = g
            .members
            .get(new_member_id)
            .map(|m| m.supported_protocols.clone())
            .unwrap_or_default();
        if let Some(m) = g.members.get_mut(new_member_id) {
            m.supported_protocols = p.protocols.clone();
            m.rebalance_timeout_ms = p.rebalance_timeout_ms;
            m.session_timeout_ms = p.session_timeout_ms;
            m.awaiting_join = Some(tx);
        }
        match g.state {
            GroupState::Stable => {
                let selected = g.select_protocol();
                if selected.is_some() && selected == g.protocol_name {
                    tracing::info!(
                        "Static member which joins during Stable stage and doesn't affect selectProtocol will not trigger rebalance. group {} instance {instance_id}",
                        g.group_id
                    );
                    let assignment: HashMap<String, Bytes> = g
                        .members
                        .values()
                        .map(|m| (m.member_id.clone(), m.assignment.clone()))
                        .collect();
                    let value = group_record(g, &assignment);
                    let me = self.clone();
                    let group_id = g.group_id.clone();
                    let (old, new, instance) = (
                        old_member_id.to_string(),
                        new_member_id.to_string(),
                        instance_id.to_string(),
                    );
                    let skip = p.support_skipping_assignment;
                    tokio::spawn(async move {
                        let error = me.manager.store_group(&group_id, value).await;
                        let Some(gref) = me.manager.get_group(&group_id) else {
                            return;
                        };
                        let mut g = lock(&gref);
                        if error != 0 {
                            // Revert to the old member id, as Kafka does.
                            let mut reply = None;
                            if let Some(m) = g.members.get_mut(&new) {
                                m.supported_protocols = old_protocols;
                                reply = m.awaiting_join.take();
                            }
                            g.replace_static_member(&instance, &new, &old);
                            me.schedule_heartbeat(&mut g, &old, None);
                            if let Some(tx) = reply {
                                let mut r = g.join_result("", false, current_leader, false);
                                r.error = error;
                                let _ = tx.send(r);
                            }
                            return;
                        }
                        let is_leader = g.is_leader(&new);
                        let result = if skip {
                            g.join_result(&new, is_leader, g.leader_or_empty(), is_leader)
                        } else {
                            // Before v9 the rejoining static leader is told the persisted
                            // leader id, so it acts as a follower and no rebalance happens.
                            g.join_result(&new, false, current_leader, false)
                        };
                        if let Some(m) = g.members.get_mut(&new) {
                            m.invoke_join(result);
                        }
                    });
                } else {
                    let reason = format!(
                        "Group's selectedProtocol will change because static member {new_member_id} with instance id {instance_id} joined with change of protocol"
                    );
                    self.maybe_prepare_rebalance(g, &reason);
                }
            }
            GroupState::CompletingRebalance => {
                let reason = format!(
                    "Updating metadata for static member {new_member_id} with instance id {instance_id}"
                );
                self.maybe_prepare_rebalance(g, &reason);
            }
            GroupState::PreparingRebalance => {}
            GroupState::Empty | GroupState::Dead => {
                tracing::error!(group = %g.group_id, "a static member rejoined a group without members");
            }
        }
        Reply::Later(rx)
    }

    /// Kafka: `GroupCoordinator.handleSyncGroup` / `doSyncGroup`.
    pub async fn handle_sync_group(self: &Arc<Self>, p: SyncGroupParams) -> SyncGroupResult {
        match self.sync_group(p) {
            Reply::Now(r) => r,
            Reply::Later(rx) => rx.await.unwrap_or_else(|_| {
                SyncGroupResult::error(ResponseError::RebalanceInProgress.code())
            }),
        }
    }

    fn sync_group(self: &Arc<Self>, p: SyncGroupParams) -> Reply<SyncGroupResult> {
        let err = |code: i16| Reply::Now(SyncGroupResult::error(code));
        match self.validate_group_status(&p.group_id, GroupApi::SyncGroup) {
            // Kafka: the rebalance state is lost while loading; the member must rejoin.
            Some(c) if c == ResponseError::CoordinatorLoadInProgress.code() => {
                return err(ResponseError::RebalanceInProgress.code())
            }
            Some(c) => return err(c),
            None => {}
        }
        let Some(gref) = self.manager.get_group(&p.group_id) else {
            return err(ResponseError::UnknownMemberId.code());
        };
        let mut g = lock(&gref);
        if g.is(GroupState::Dead) {
            return err(ResponseError::CoordinatorNotAvailable.code());
        }
        if let Some(code) =
            validate_current_member(&g, &p.member_id, p.group_instance_id.as_deref())
        {
            return err(code);
        }
        if p.generation_id != g.generation_id {
            return err(ResponseError::IllegalGeneration.code());
        }
        if p.protocol_type
            .as_ref()
            .is_some_and(|t| g.protocol_type.as_ref() != Some(t))
            || p.protocol_name
                .as_ref()
                .is_some_and(|n| g.protocol_name.as_ref() != Some(n))
        {
            return err(ResponseError::InconsistentGroupProtocol.code());
        }
        match g.state {
            GroupState::Empty => err(ResponseError::UnknownMemberId.code()),
            GroupState::PreparingRebalance => err(ResponseError::RebalanceInProgress.code()),
            GroupState::CompletingRebalance => {
                let (tx, rx) = oneshot::channel();
                if let Some(m) = g.members.get_mut(&p.member_id) {
                    m.awaiting_sync = Some(tx);
                }
                g.pending_sync_members.remove(&p.member_id);
                if g.is_leader(&p.member_id) {
                    self.store_leader_assignment(&mut g, p);
                }
                Reply::Later(rx)
            }
            GroupState::Stable => {
                g.pending_sync_members.remove(&p.member_id);
                let assignment = g
                    .members
                    .get(&p.member_id)
                    .map(|m| m.assignment.clone())
                    .unwrap_or_default();
                self.schedule_heartbeat(&mut g, &p.member_id, None);
                Reply::Now(SyncGroupResult {
                    protocol_type: g.protocol_type.clone(),
                    protocol_name: g.protocol_name.clone(),
                    assignment,
                    error: 0,
                })
            }
            GroupState::Dead => err(ResponseError::CoordinatorNotAvailable.code()),
        }
    }

    /// The leader's SyncGroup: persist the assignment, then deliver it and become Stable.
    fn store_leader_assignment(self: &Arc<Self>, g: &mut GroupMetadata, p: SyncGroupParams) {
        let mut assignment = p.assignments;
        let missing: Vec<String> = g
            .members
            .keys()
            .filter(|id| !assignment.contains_key(*id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            tracing::warn!(group = %g.group_id, ?missing, "Setting empty assignments for members of group for generation {}", g.generation_id);
        }
        for id in missing {
            assignment.insert(id, Bytes::new());
        }
        let value = group_record(g, &assignment);
        let me = self.clone();
        let (group_id, generation, member_id) = (g.group_id.clone(), p.generation_id, p.member_id);
        tokio::spawn(async move {
            let error = me.manager.store_group(&group_id, value).await;
            let Some(gref) = me.manager.get_group(&group_id) else {
                return;
            };
            let mut g = lock(&gref);
            // Another member may have joined meanwhile: act only on the same generation.
            if !g.is(GroupState::CompletingRebalance) || g.generation_id != generation {
                return;
            }
            if error != 0 {
                reset_and_propagate_assignment_error(&mut g, error);
                let reason = format!(
                    "Error {error} when storing group assignment during SyncGroup (member: {member_id})"
                );
                me.maybe_prepare_rebalance(&mut g, &reason);
            } else {
                set_and_propagate_assignment(&me, &mut g, &assignment);
                let now = me.now_ms();
                g.transition_to(GroupState::Stable, now);
            }
        });
    }

    /// Kafka: `GroupCoordinator.handleHeartbeat`.
    pub fn handle_heartbeat(
        self: &Arc<Self>,
        group_id: &str,
        member_id: &str,
        group_instance_id: Option<&str>,
        generation_id: i32,
    ) -> i16 {
        match self.validate_group_status(group_id, GroupApi::Heartbeat) {
            // Kafka: the group is still loading, so respond just blindly.
            Some(c) if c == ResponseError::CoordinatorLoadInProgress.code() => return 0,
            Some(c) => return c,
            None => {}
        }
        let Some(gref) = self.manager.get_group(group_id) else {
            return ResponseError::UnknownMemberId.code();
        };
        let mut g = lock(&gref);
        if g.is(GroupState::Dead) {
            return ResponseError::CoordinatorNotAvailable.code();
        }
        if let Some(code) = validate_current_member(&g, member_id, group_instance_id) {
            return code;
        }
        if generation_id != g.generation_id {
            return ResponseError::IllegalGeneration.code();
        }
        match g.state {
            GroupState::Empty => ResponseError::UnknownMemberId.code(),
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.schedule_heartbeat(&mut g, member_id, None);
                0
            }
            GroupState::PreparingRebalance => {
                self.schedule_heartbeat(&mut g, member_id, None);
                ResponseError::RebalanceInProgress.code()
            }
            GroupState::Dead => ResponseError::CoordinatorNotAvailable.code(),
        }
    }

    /// Kafka: `GroupCoordinator.handleLeaveGroup`. Returns the request-level error and one
    /// error per leaving member.
    pub fn handle_leave_group(
        self: &Arc<Self>,
        group_id: &str,
        leaving: &[LeavingMember],
        reason: Option<&str>,
    ) -> (i16, Vec<i16>) {
        if let Some(code) = self.validate_group_status(group_id, GroupApi::LeaveGroup) {
            return (code, Vec::new());
        }
        let unknown = ResponseError::UnknownMemberId.code();
        let Some(gref) = self.manager.get_group(group_id) else {
            return (0, vec![unknown; leaving.len()]);
        };
        let mut g = lock(&gref);
        if g.is(GroupState::Dead) {
            return (ResponseError::CoordinatorNotAvailable.code(), Vec::new());
        }
        let reason = reason.unwrap_or("not provided");
        let errors = leaving
            .iter()
            .map(|l| {
                if l.member_id.is_empty() {
                    // Administrative removal by group.instance.id.
                    match l
                        .group_instance_id
                        .as_deref()
                        .and_then(|i| g.current_static_member_id(i).cloned())
                    {
                        Some(current) => {
                            self.remove_current_member(&mut g, &current, reason);
                            0
                        }
                        None => unknown,
                    }
                } else if g.is_pending_member(&l.member_id) {
                    g.remove(&l.member_id);
                    if g.is(GroupState::PreparingRebalance) {
                        self.try_complete_join(&mut g);
                    }
                    0
                } else {
                    match validate_current_member(&g, &l.member_id, l.group_instance_id.as_deref())
                    {
                        Some(code) => code,
                        None => {
                            self.remove_current_member(&mut g, &l.member_id, reason);
                            0
                        }
                    }
                }
            })
            .collect();
        (0, errors)
    }

    fn remove_current_member(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        member_id: &str,
        reason: &str,
    ) {
        tracing::info!(
            "Member {member_id} has left group {} through explicit `LeaveGroup` request; client reason: {reason}",
            g.group_id
        );
        let why = format!("removing member {member_id} on LeaveGroup; client reason: {reason}");
        self.remove_member_and_update_group(g, member_id, &why);
    }
}

/// The member id of a new member: `<group.instance.id or client.id>-<random UUID>`.
/// Kafka: `GroupMetadata.generateMemberId`.
pub fn generate_member_id(client_id: &str, group_instance_id: Option<&str>) -> String {
    let uuid = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    format!(
        "{}-{}",
        group_instance_id.unwrap_or(client_id),
        uuid.hyphenated()
    )
}

/// A static member's id must be the current one for its instance; a dynamic one must exist.
/// Kafka: `GroupCoordinator.validateCurrentMember`.
pub(crate) fn validate_current_member(
    g: &GroupMetadata,
    member_id: &str,
    group_instance_id: Option<&str>,
) -> Option<i16> {
    if let Some(instance) = group_instance_id {
        return match g.current_static_member_id(instance) {
            Some(current) if current != member_id => Some(ResponseError::FencedInstanceId.code()),
            Some(_) => None,
            None => Some(ResponseError::UnknownMemberId.code()),
        };
    }
    (!g.has(member_id)).then(|| ResponseError::UnknownMemberId.code())
}
