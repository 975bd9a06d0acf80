//! `GroupCoordinator`: the classic group protocol's state machine on the broker that leads the
//! group's `__consumer_offsets` partition — request validation, rebalances, session expiry and
//! partition emigration/immigration. Kafka: `kafka.coordinator.group.GroupCoordinator`.
//!
//! The request handlers live beside this file: [`super::membership`] (JoinGroup, SyncGroup,
//! Heartbeat, LeaveGroup), [`super::offsets`] (OffsetCommit, OffsetFetch, OffsetDelete) and
//! [`super::group_admin`] (ListGroups, DescribeGroups, DeleteGroups). This file holds what
//! they share: status validation, the rebalance steps, and the ticker that fires delayed
//! operations (Kafka's DelayedJoin, InitialDelayedJoin, DelayedSync, DelayedHeartbeat).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bytes::Bytes;

use super::config::GroupCoordinatorConfig;
use super::group_metadata::{GroupMetadata, JoinTimer};
use super::group_metadata_manager::{group_record, lock, GroupMetadataManager};
use super::group_state::GroupState;
use super::member_metadata::{JoinGroupResult, SyncGroupResult};
use super::offsets_log::{OffsetsLog, GROUP_METADATA_TOPIC_NAME};
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;
use crate::time::SharedClock;

/// The JoinGroup deadline of a new member while its first JoinGroup is parked (5 minutes).
/// Kafka: `GroupCoordinator.NewMemberJoinTimeoutMs`.
pub const NEW_MEMBER_JOIN_TIMEOUT_MS: i64 = 5 * 60 * 1000;

/// How often the ticker checks the delayed operations' deadlines. Kafka's purgatories fire
/// at the deadline; 50 ms keeps expiry within a few percent of the shortest session timeout
/// Kafka allows by default (`group.min.session.timeout.ms` 6000).
pub const TICK_INTERVAL_MS: u64 = 50;

/// The API a request belongs to, for [`GroupCoordinator::validate_group_status`]'s group id rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupApi {
    JoinGroup,
    SyncGroup,
    Heartbeat,
    LeaveGroup,
    OffsetCommit,
    OffsetFetch,
    OffsetDelete,
    DescribeGroups,
    DeleteGroups,
}

/// The group coordinator. Shared as `Arc<GroupCoordinator>`.
pub struct GroupCoordinator {
    pub config: GroupCoordinatorConfig,
    pub manager: GroupMetadataManager,
    clock: SharedClock,
    active: AtomicBool,
    /// Handle of the runtime that started the coordinator: leadership callbacks arrive on
    /// synchronous paths and spawn their loads here.
    runtime: tokio::runtime::Handle,
}

impl GroupCoordinator {
    /// Builds the coordinator; call [`GroupCoordinator::startup`] to start its ticker. Must be
    /// called inside a Tokio runtime.
    pub fn new(
        config: GroupCoordinatorConfig,
        clock: SharedClock,
        log: Arc<dyn OffsetsLog>,
    ) -> Arc<GroupCoordinator> {
        Arc::new(GroupCoordinator {
            manager: GroupMetadataManager::new(config.clone(), clock.clone(), log),
            config,
            clock,
            active: AtomicBool::new(false),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.milliseconds()
    }

    /// Starts the ticker (delayed operations, offset expiry) and marks the coordinator active.
    /// Kafka: `GroupCoordinator.startup` (`enableMetadataExpiration`).
    pub fn startup(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        self.active.store(true, Ordering::SeqCst);
        let weak: Weak<GroupCoordinator> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(TICK_INTERVAL_MS));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut next_expiry_check = None;
            loop {
                tick.tick().await;
                let Some(c) = weak.upgrade() else { break };
                if !c.is_active() {
                    break;
                }
                let now = c.now_ms();
                c.tick(now);
                let due = *next_expiry_check
                    .get_or_insert(now + c.config.offsets_retention_check_interval_ms);
                if now >= due {
                    next_expiry_check = Some(now + c.config.offsets_retention_check_interval_ms);
                    c.clone().cleanup_expired_offsets().await;
                }
            }
        })
    }

    /// Stops serving. Kafka: `GroupCoordinator.shutdown`.
    pub fn shutdown(&self) {
        self.active.store(false, Ordering::SeqCst);
    }

    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    /// Kafka: `GroupCoordinator.partitionFor`.
    pub fn partition_for(&self, group_id: &str) -> i32 {
        self.manager.partition_for(group_id)
    }

    /// The error a request for `group_id` gets before any group logic, in Kafka's order:
    /// INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
    /// NOT_COORDINATOR. Kafka: `GroupCoordinator.validateGroupStatus`, `isValidGroupId`.
    pub fn validate_group_status(&self, group_id: &str, api: GroupApi) -> Option<i16> {
        let empty_allowed = matches!(
            api,
            GroupApi::OffsetCommit
                | GroupApi::OffsetFetch
                | GroupApi::DescribeGroups
                | GroupApi::DeleteGroups
        );
        if group_id.is_empty() && !empty_allowed {
            Some(ResponseError::InvalidGroupId.code())
        } else if !self.is_active() {
            Some(ResponseError::CoordinatorNotAvailable.code())
        } else if self.manager.is_group_loading(group_id) {
            Some(ResponseError::CoordinatorLoadInProgress.code())
        } else if !self.manager.is_group_local(group_id) {
            Some(ResponseError::NotCoordinator.code())
        } else {
            None
        }
    }

    // ----- partition immigration / emigration -------------------------------------------

    /// Leadership changes from the replica manager: loads the offsets partitions this broker
    /// now leads and unloads those it follows. Kafka: `KafkaApis.handleLeaderAndIsrRequest`
    /// → `onLeadershipChange` → `onElection` / `onResignation`.
    pub fn on_leadership_change(
        self: &Arc<Self>,
        leaders: &[(TopicPartition, i32)],
        followers: &[(TopicPartition, i32)],
    ) {
        for (tp, epoch) in leaders {
            if tp.topic == GROUP_METADATA_TOPIC_NAME {
                self.on_election(tp.partition, *epoch);
            }
        }
        for (tp, epoch) in followers {
            if tp.topic == GROUP_METADATA_TOPIC_NAME {
                // Kafka: a negative epoch (StopReplica's -1/-2) means "unknown".
                self.on_resignation(tp.partition, (*epoch >= 0).then_some(*epoch));
            }
        }
    }

    /// Loads `partition` in the background (requests for its groups answer
    /// COORDINATOR_LOAD_IN_PROGRESS meanwhile). Kafka: `GroupCoordinator.onElection`,
    /// `scheduleLoadGroupAndOffsets`.
    pub fn on_election(self: &Arc<Self>, partition: i32, epoch: i32) {
        if !self.manager.add_loading_partition(partition, epoch) {
            return;
        }
        tracing::info!("Scheduling loading of offsets and group metadata from __consumer_offsets-{partition} for epoch {epoch}");
        let me = self.clone();
        self.runtime.spawn(async move {
            let loaded = me.manager.load_partition(partition, epoch).await;
            // Kafka `onGroupLoaded`: every loaded member gets a fresh session deadline.
            let now = me.now_ms();
            for g in loaded {
                let mut g = lock(&g);
                for m in g.members.values_mut() {
                    m.heartbeat_deadline_ms = Some(now + i64::from(m.session_timeout_ms));
                }
            }
        });
    }

    /// Unloads `partition`: its groups become Dead and parked requests get NOT_COORDINATOR.
    /// Kafka: `GroupCoordinator.onResignation`, `onGroupUnloaded`.
    pub fn on_resignation(&self, partition: i32, epoch: Option<i32>) {
        let now = self.now_ms();
        for g in self.manager.unload_partition(partition, epoch) {
            let mut g = lock(&g);
            tracing::info!(
                "Unloading group metadata for {} with generation {}",
                g.group_id,
                g.generation_id
            );
            let previous = g.state;
            g.transition_to(GroupState::Dead, now);
            let not_coordinator = ResponseError::NotCoordinator.code();
            match previous {
                GroupState::Empty | GroupState::Dead => {}
                GroupState::PreparingRebalance => {
                    for m in g.members.values_mut() {
                        let id = m.member_id.clone();
                        m.invoke_join(JoinGroupResult::error(id, not_coordinator));
                    }
                }
                GroupState::Stable | GroupState::CompletingRebalance => {
                    for m in g.members.values_mut() {
                        m.invoke_sync(SyncGroupResult::error(not_coordinator));
                    }
                }
            }
            g.join_timer = None;
            g.sync_deadline = None;
        }
    }

    // ----- shared rebalance steps (all called with the group locked) ----------------------

    /// Kafka: `completeAndScheduleNextHeartbeatExpiration`.
    pub(crate) fn schedule_heartbeat(
        &self,
        g: &mut GroupMetadata,
        member_id: &str,
        timeout_ms: Option<i64>,
    ) {
        let now = self.now_ms();
        if let Some(m) = g.members.get_mut(member_id) {
            let t = timeout_ms.unwrap_or(i64::from(m.session_timeout_ms));
            m.heartbeat_deadline_ms = Some(now + t);
        }
    }

    /// Kafka: `maybePrepareRebalance`.
    pub(crate) fn maybe_prepare_rebalance(self: &Arc<Self>, g: &mut GroupMetadata, reason: &str) {
        if g.can_rebalance() {
            self.prepare_rebalance(g, reason);
        }
    }

    /// Kafka: `prepareRebalance`: fail pending syncs, start the (initial) delayed join.
    pub(crate) fn prepare_rebalance(self: &Arc<Self>, g: &mut GroupMetadata, reason: &str) {
        let now = self.now_ms();
        if g.is(GroupState::CompletingRebalance) {
            reset_and_propagate_assignment_error(g, ResponseError::RebalanceInProgress.code());
        }
        g.sync_deadline = None;
        let rebalance_timeout = g.rebalance_timeout_ms();
        g.join_timer = Some(if g.is(GroupState::Empty) {
            let delay = i64::from(self.config.group_initial_rebalance_delay_ms);
            JoinTimer::Initial {
                deadline_ms: now + delay,
                delay_ms: delay,
                remaining_ms: (rebalance_timeout - delay).max(0),
            }
        } else {
            JoinTimer::Normal {
                deadline_ms: now + rebalance_timeout,
            }
        });
        g.transition_to(GroupState::PreparingRebalance, now);
        tracing::info!(
            "Preparing to rebalance group {} in state {} with old generation {} (__consumer_offsets-{}) (reason: {reason})",
            g.group_id,
            g.state,
            g.generation_id,
            self.partition_for(&g.group_id)
        );
        self.try_complete_join(g);
    }

    /// Completes the join phase now if every member rejoined (a plain DelayedJoin only).
    /// Kafka: `rebalancePurgatory.checkAndComplete` → `tryCompleteJoin`.
    pub(crate) fn try_complete_join(self: &Arc<Self>, g: &mut GroupMetadata) {
        if g.is(GroupState::PreparingRebalance)
            && matches!(g.join_timer, Some(JoinTimer::Normal { .. }))
            && g.has_all_members_joined()
        {
            self.on_complete_join(g);
        }
    }

    /// The join phase ends: laggard dynamic members go, the next generation starts and every
    /// parked JoinGroup is answered (the leader with all members' metadata).
    /// Kafka: `GroupCoordinator.onCompleteJoin`.
    pub(crate) fn on_complete_join(self: &Arc<Self>, g: &mut GroupMetadata) {
        g.join_timer = None;
        let laggards: Vec<String> = g
            .members
            .values()
            .filter(|m| !m.is_awaiting_join() && !m.is_static())
            .map(|m| m.member_id.clone())
            .collect();
        for id in laggards {
            tracing::info!(
                "Group {} removed dynamic members who haven't joined: {id}",
                g.group_id
            );
            g.remove(&id);
        }
        if g.is(GroupState::Dead) {
            return;
        }
        if !maybe_elect_new_joined_leader(g) && !g.members.is_empty() {
            // Kafka: no member rejoined; wait another rebalance timeout for session expiry to
            // remove the unresponsive ones.
            g.join_timer = Some(JoinTimer::Normal {
                deadline_ms: self.now_ms() + g.rebalance_timeout_ms(),
            });
            return;
        }
        let now = self.now_ms();
        g.init_next_generation(now);
        if g.is(GroupState::Empty) {
            tracing::info!(
                "Group {} with generation {} is now empty (__consumer_offsets-{})",
                g.group_id,
                g.generation_id,
                self.partition_for(&g.group_id)
            );
            let value = group_record(g, &HashMap::new());
            let me = self.clone();
            let group_id = g.group_id.clone();
            self.runtime.spawn(async move {
                let err = me.manager.store_group(&group_id, value).await;
                if err != 0 {
                    tracing::warn!(
                        group = group_id,
                        err,
                        "Failed to write empty metadata for group"
                    );
                }
            });
            return;
        }
        tracing::info!(
            "Stabilized group {} generation {} (__consumer_offsets-{}) with {} members",
            g.group_id,
            g.generation_id,
            self.partition_for(&g.group_id),
            g.members.len()
        );
        let ids: Vec<String> = g.members.keys().cloned().collect();
        for id in ids {
            let result = g.join_result(&id, g.is_leader(&id), g.leader_or_empty(), false);
            if let Some(m) = g.members.get_mut(&id) {
                m.invoke_join(result);
                m.is_new = false;
            }
            self.schedule_heartbeat(g, &id, None);
            g.pending_sync_members.insert(id);
        }
        // Kafka `schedulePendingSync`: a DelayedSync of the rebalance timeout.
        g.sync_deadline = Some((now + g.rebalance_timeout_ms(), g.generation_id));
    }

    /// Removes a member and moves the group on. Kafka: `removeMemberAndUpdateGroup`.
    pub(crate) fn remove_member_and_update_group(
        self: &Arc<Self>,
        g: &mut GroupMetadata,
        member_id: &str,
        reason: &str,
    ) {
        if let Some(m) = g.members.get_mut(member_id) {
            // A new member may time out with its JoinGroup parked: answer it so it retries.
            m.invoke_join(JoinGroupResult::error(
                member_id,
                ResponseError::UnknownMemberId.code(),
            ));
        }
        g.remove(member_id);
        match g.state {
            GroupState::Dead | GroupState::Empty => {}
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.maybe_prepare_rebalance(g, reason)
            }
            GroupState::PreparingRebalance => self.try_complete_join(g),
        }
    }

    // ----- the ticker ----------------------------------------------------------------------

    /// Fires every delayed operation whose deadline passed at `now_ms`.
    pub fn tick(self: &Arc<Self>, now_ms: i64) {
        for gref in self.manager.current_groups() {
            let mut g = lock(&gref);
            if g.is(GroupState::Dead) {
                continue;
            }
            self.fire_join_timer(&mut g, now_ms);
            self.fire_sync_deadline(&mut g, now_ms);
            self.fire_heartbeat_deadlines(&mut g, now_ms);
        }
    }

    /// Kafka: `DelayedJoin.onComplete` / `InitialDelayedJoin.onComplete`.
    fn fire_join_timer(self: &Arc<Self>, g: &mut GroupMetadata, now_ms: i64) {
        let Some(timer) = g.join_timer else { return };
        if now_ms < timer.deadline_ms() || !g.is(GroupState::PreparingRebalance) {
            if !g.is(GroupState::PreparingRebalance) {
                g.join_timer = None;
            }
            return;
        }
        match timer {
            JoinTimer::Initial {
                delay_ms,
                remaining_ms,
                ..
            } if g.new_member_added && remaining_ms != 0 => {
                g.new_member_added = false;
                let delay =
                    i64::from(self.config.group_initial_rebalance_delay_ms).min(remaining_ms);
                g.join_timer = Some(JoinTimer::Initial {
                    deadline_ms: now_ms + delay,
                    delay_ms: delay,
                    remaining_ms: (remaining_ms - delay_ms).max(0),
                });
            }
            _ => self.on_complete_join(g),
        }
    }

    /// Kafka: `DelayedSync` → `onExpirePendingSync`: members that never sent SyncGroup leave.
    fn fire_sync_deadline(self: &Arc<Self>, g: &mut GroupMetadata, now_ms: i64) {
        let Some((deadline, generation)) = g.sync_deadline else {
            return;
        };
        if now_ms < deadline {
            return;
        }
        g.sync_deadline = None;
        if generation != g.generation_id
            || !matches!(
                g.state,
                GroupState::CompletingRebalance | GroupState::Stable
            )
            || g.pending_sync_members.is_empty()
        {
            return;
        }
        let pending: Vec<String> = g.pending_sync_members.drain().collect();
        tracing::info!(
            "Group {} removed members who haven't sent their sync requests: {pending:?}",
            g.group_id
        );
        for id in &pending {
            g.remove(id);
        }
        let reason = format!("Removing {pending:?} on pending sync request expiration");
        self.prepare_rebalance(g, &reason);
    }

    /// Kafka: `DelayedHeartbeat` → `onExpireHeartbeat`, and pending-member expiry.
    fn fire_heartbeat_deadlines(self: &Arc<Self>, g: &mut GroupMetadata, now_ms: i64) {
        let expired_pending: Vec<String> = g
            .pending_members
            .iter()
            .filter(|(_, d)| now_ms >= **d)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired_pending {
            tracing::info!(
                "Pending member {id} in group {} has been removed after session timeout expiration.",
                g.group_id
            );
            g.remove(&id);
            if g.is(GroupState::PreparingRebalance) {
                self.try_complete_join(g);
            }
        }
        let due: Vec<String> = g
            .members
            .values()
            .filter(|m| m.heartbeat_deadline_ms.is_some_and(|d| now_ms >= d))
            .map(|m| m.member_id.clone())
            .collect();
        for id in due {
            let Some(m) = g.members.get_mut(&id) else {
                continue;
            };
            if m.survives_heartbeat_deadline() {
                m.heartbeat_deadline_ms = None;
                continue;
            }
            tracing::info!(
                "Member {id} in group {} has failed, removing it from the group",
                g.group_id
            );
            let reason = format!("removing member {id} on heartbeat expiration");
            self.remove_member_and_update_group(g, &id, &reason);
        }
    }
}

/// If the leader did not rejoin, any rejoined member leads. Kafka: `maybeElectNewJoinedLeader`.
fn maybe_elect_new_joined_leader(g: &mut GroupMetadata) -> bool {
    let Some(leader) = g.leader_id.clone() else {
        return false;
    };
    if g.members.get(&leader).is_some_and(|m| m.is_awaiting_join()) {
        return true;
    }
    match g.members.values().find(|m| m.is_awaiting_join()) {
        Some(m) => {
            g.leader_id = Some(m.member_id.clone());
            true
        }
        None => false,
    }
}

/// Clears assignments and fails parked SyncGroups with `error`.
/// Kafka: `resetAndPropagateAssignmentError`.
pub(crate) fn reset_and_propagate_assignment_error(g: &mut GroupMetadata, error: i16) {
    for m in g.members.values_mut() {
        m.assignment = Bytes::new();
        m.invoke_sync(SyncGroupResult::error(error));
    }
}

/// Hands every parked SyncGroup its assignment. Kafka: `setAndPropagateAssignment`.
pub(crate) fn set_and_propagate_assignment(
    coordinator: &GroupCoordinator,
    g: &mut GroupMetadata,
    assignment: &HashMap<String, Bytes>,
) {
    let (pt, pn) = (g.protocol_type.clone(), g.protocol_name.clone());
    let ids: Vec<String> = g.members.keys().cloned().collect();
    for id in ids {
        if let Some(m) = g.members.get_mut(&id) {
            m.assignment = assignment.get(&id).cloned().unwrap_or_default();
            let a = m.assignment.clone();
            m.invoke_sync(SyncGroupResult {
                protocol_type: pt.clone(),
                protocol_name: pn.clone(),
                assignment: a,
                error: 0,
            });
        }
        // Kafka: reset the session timer after propagating, since an expiry during the wait was ignored.
        coordinator.schedule_heartbeat(g, &id, None);
    }
}
