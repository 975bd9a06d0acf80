//! A classic group's state: members, generation, protocol, leader, pending members, committed
//! offsets, and the deadlines of its delayed operations.
//! Kafka: `kafka.coordinator.group.GroupMetadata`.
//!
//! Kafka guards each group with its own lock and parks requests in purgatories; here each
//! group sits behind its own `std::sync::Mutex` (never held across `.await`) and the delayed
//! operations are deadlines on the group that the coordinator's ticker checks
//! (`GroupCoordinator::tick`): `join_deadline` (DelayedJoin / InitialDelayedJoin),
//! `sync_deadline` (DelayedSync), each member's `heartbeat_deadline_ms` (DelayedHeartbeat) and
//! `pending_members` deadlines (pending-member expiry).

use std::collections::{HashMap, HashSet};

use bytes::{Buf, Bytes};
use kafka_protocol::indexmap::IndexMap;

use super::group_state::GroupState;
use super::member_metadata::{JoinGroupMember, JoinGroupResult, MemberMetadata};
use super::offset_commit_record::OffsetCommitValue;
use crate::cluster::TopicPartition;

/// Kafka `ConsumerProtocol.PROTOCOL_TYPE`.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// A committed offset and the log offset of the batch that stored it (`None` until appended).
/// Kafka: `CommitRecordMetadataAndOffset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub appended_batch_offset: Option<i64>,
    pub value: OffsetCommitValue,
}

/// The pending join-phase deadline. Kafka: `DelayedJoin` vs `InitialDelayedJoin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinTimer {
    /// Completes early once every member rejoined.
    Normal { deadline_ms: i64 },
    /// The group left Empty: wait `group.initial.rebalance.delay.ms`, extended while new
    /// members keep arriving, never completing early; `remaining_ms` is what is left of the
    /// rebalance timeout.
    Initial {
        deadline_ms: i64,
        delay_ms: i64,
        remaining_ms: i64,
    },
}

impl JoinTimer {
    pub fn deadline_ms(&self) -> i64 {
        match self {
            JoinTimer::Normal { deadline_ms } | JoinTimer::Initial { deadline_ms, .. } => {
                *deadline_ms
            }
        }
    }
}

/// A group and everything the coordinator knows about it.
#[derive(Debug)]
pub struct GroupMetadata {
    pub group_id: String,
    pub state: GroupState,
    /// When the group entered its state (`None` for groups loaded from value v0/v1).
    pub current_state_timestamp_ms: Option<i64>,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub generation_id: i32,
    pub leader_id: Option<String>,
    /// Insertion-ordered: the next leader after the leader leaves is the first remaining.
    pub members: IndexMap<String, MemberMetadata>,
    /// group.instance.id → member id.
    pub static_members: HashMap<String, String>,
    /// Members told MEMBER_ID_REQUIRED, with the deadline (session timeout) of their rejoin.
    pub pending_members: HashMap<String, i64>,
    /// Members of the current generation that have not sent SyncGroup yet.
    pub pending_sync_members: HashSet<String>,
    /// A member joined during the initial delay. Kafka: `newMemberAdded`.
    pub new_member_added: bool,
    pub join_timer: Option<JoinTimer>,
    /// `(deadline, generation)` of the DelayedSync.
    pub sync_deadline: Option<(i64, i32)>,
    pub offsets: HashMap<TopicPartition, CommittedOffset>,
    /// Commits appended but not yet acknowledged, per partition (count).
    pub pending_offset_commits: HashMap<TopicPartition, usize>,
    /// Topics the members subscribe to (consumer protocol only). Kafka: `subscribedTopics`.
    pub subscribed_topics: Option<HashSet<String>>,
}

impl GroupMetadata {
    pub fn new(group_id: impl Into<String>, state: GroupState, now_ms: i64) -> GroupMetadata {
        GroupMetadata {
            group_id: group_id.into(),
            state,
            current_state_timestamp_ms: Some(now_ms),
            protocol_type: None,
            protocol_name: None,
            generation_id: 0,
            leader_id: None,
            members: IndexMap::new(),
            static_members: HashMap::new(),
            pending_members: HashMap::new(),
            pending_sync_members: HashSet::new(),
            new_member_added: false,
            join_timer: None,
            sync_deadline: None,
            offsets: HashMap::new(),
            pending_offset_commits: HashMap::new(),
            subscribed_topics: None,
        }
    }

    pub fn is(&self, state: GroupState) -> bool {
        self.state == state
    }

    /// Moves to `state`, which must list the current state as a valid predecessor (an invalid
    /// transition is a coordinator bug: it is logged and refused).
    /// Kafka: `GroupMetadata.transitionTo` / `assertValidTransition`.
    pub fn transition_to(&mut self, state: GroupState, now_ms: i64) {
        if !state.valid_previous_states().contains(&self.state) {
            tracing::error!(group = %self.group_id, from = %self.state, to = %state,
                "refusing an invalid group state transition");
            return;
        }
        self.state = state;
        self.current_state_timestamp_ms = Some(now_ms);
    }

    /// Kafka: `GroupMetadata.canRebalance`.
    pub fn can_rebalance(&self) -> bool {
        GroupState::PreparingRebalance
            .valid_previous_states()
            .contains(&self.state)
    }

    pub fn has(&self, member_id: &str) -> bool {
        self.members.contains_key(member_id)
    }
    pub fn is_leader(&self, member_id: &str) -> bool {
        self.leader_id.as_deref() == Some(member_id)
    }
    pub fn leader_or_empty(&self) -> String {
        self.leader_id.clone().unwrap_or_default()
    }
    pub fn is_pending_member(&self, member_id: &str) -> bool {
        self.pending_members.contains_key(member_id)
    }
    pub fn current_static_member_id(&self, instance_id: &str) -> Option<&String> {
        self.static_members.get(instance_id)
    }

    /// Kafka: `GroupMetadata.numAwaiting` (members with a parked JoinGroup).
    pub fn num_awaiting_join(&self) -> usize {
        self.members
            .values()
            .filter(|m| m.is_awaiting_join())
            .count()
    }

    /// All members (and no pending member) have rejoined. Kafka: `hasAllMembersJoined`.
    pub fn has_all_members_joined(&self) -> bool {
        self.members.len() == self.num_awaiting_join() && self.pending_members.is_empty()
    }

    /// The largest rebalance timeout of the members. Kafka: `GroupMetadata.rebalanceTimeoutMs`.
    pub fn rebalance_timeout_ms(&self) -> i64 {
        self.members
            .values()
            .map(|m| i64::from(m.rebalance_timeout_ms))
            .max()
            .unwrap_or(0)
    }

    /// Adds a member (and its parked JoinGroup). Kafka: `GroupMetadata.add`.
    pub fn add(&mut self, member: MemberMetadata) {
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader_id.is_none() {
            self.leader_id = Some(member.member_id.clone());
        }
        if let Some(instance) = &member.group_instance_id {
            self.static_members
                .insert(instance.clone(), member.member_id.clone());
        }
        self.pending_members.remove(&member.member_id);
        self.members.insert(member.member_id.clone(), member);
    }

    /// Removes a member; the leader passes to the first remaining member.
    /// Kafka: `GroupMetadata.remove`.
    pub fn remove(&mut self, member_id: &str) -> Option<MemberMetadata> {
        let removed = self.members.shift_remove(member_id);
        if let Some(m) = &removed {
            if let Some(instance) = &m.group_instance_id {
                if self.static_members.get(instance).map(String::as_str) == Some(member_id) {
                    self.static_members.remove(instance);
                }
            }
        }
        if self.is_leader(member_id) {
            self.leader_id = self.members.keys().next().cloned();
        }
        self.pending_members.remove(member_id);
        self.pending_sync_members.remove(member_id);
        removed
    }

    /// Gives a static member a new member id, fencing whatever the old id had parked.
    /// Kafka: `GroupMetadata.replaceStaticMember`.
    pub fn replace_static_member(
        &mut self,
        instance_id: &str,
        old_member_id: &str,
        new_member_id: &str,
    ) -> bool {
        let Some(mut member) = self.members.shift_remove(old_member_id) else {
            return false;
        };
        let fenced = ResponseError::FencedInstanceId.code();
        member.invoke_join(super::member_metadata::JoinGroupResult::error(
            old_member_id,
            fenced,
        ));
        member.invoke_sync(super::member_metadata::SyncGroupResult::error(fenced));
        member.member_id = new_member_id.to_string();
        self.members.insert(new_member_id.to_string(), member);
        if self.is_leader(old_member_id) {
            self.leader_id = Some(new_member_id.to_string());
        }
        if self.pending_sync_members.remove(old_member_id) {
            self.pending_sync_members.insert(new_member_id.to_string());
        }
        self.static_members
            .insert(instance_id.to_string(), new_member_id.to_string());
        true
    }

    /// Protocols every member supports. Kafka: `GroupMetadata.candidateProtocols`.
    fn candidate_protocols(&self) -> Vec<&str> {
        let Some(first) = self.members.values().next() else {
            return Vec::new();
        };
        first
            .supported_protocols
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| self.members.values().all(|m| m.metadata(n).is_some()))
            .collect()
    }

    /// Whether a member with these protocols may join. Kafka: `GroupMetadata.supportsProtocols`.
    pub fn supports_protocols(&self, protocol_type: &str, protocols: &[(String, Bytes)]) -> bool {
        if self.is(GroupState::Empty) {
            !protocol_type.is_empty() && !protocols.is_empty()
        } else {
            self.protocol_type.as_deref() == Some(protocol_type)
                && protocols
                    .iter()
                    .any(|(name, _)| self.members.values().all(|m| m.metadata(name).is_some()))
        }
    }

    /// The protocol most members prefer among those all support (ties: the first candidate
    /// in the first member's order). Kafka: `GroupMetadata.selectProtocol`.
    pub fn select_protocol(&self) -> Option<String> {
        let candidates = self.candidate_protocols();
        let mut votes: Vec<(&str, usize)> = candidates.iter().map(|c| (*c, 0)).collect();
        for m in self.members.values() {
            if let Some(v) = m.vote(&candidates) {
                if let Some(slot) = votes.iter_mut().find(|(n, _)| *n == v) {
                    slot.1 += 1;
                }
            }
        }
        let best = votes.iter().map(|(_, n)| *n).max()?;
        votes
            .into_iter()
            .find(|(_, n)| *n == best)
            .map(|(name, _)| name.to_string())
    }

    /// Starts the next generation after a join phase. Kafka: `GroupMetadata.initNextGeneration`.
    pub fn init_next_generation(&mut self, now_ms: i64) {
        self.generation_id += 1;
        if self.members.is_empty() {
            self.protocol_name = None;
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition_to(GroupState::Empty, now_ms);
        } else {
            self.protocol_name = self.select_protocol();
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition_to(GroupState::CompletingRebalance, now_ms);
        }
        self.pending_sync_members.clear();
    }

    /// Each member's metadata for the selected protocol, for the leader's JoinGroup response.
    /// Kafka: `GroupMetadata.currentMemberMetadata`.
    pub fn current_member_metadata(&self) -> Vec<JoinGroupMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinGroupMember {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                metadata: m.metadata(protocol).cloned().unwrap_or_default(),
            })
            .collect()
    }

    /// The JoinGroup answer for `member_id` in the current generation; with `with_members`
    /// (the leader) it carries every member's metadata. Kafka: `JoinGroupResult(...)` built
    /// in `onCompleteJoin` and `doCurrentMemberJoinGroup`.
    pub fn join_result(
        &self,
        member_id: &str,
        with_members: bool,
        leader_id: String,
        skip_assignment: bool,
    ) -> JoinGroupResult {
        JoinGroupResult {
            members: if with_members {
                self.current_member_metadata()
            } else {
                Vec::new()
            },
            member_id: member_id.to_string(),
            generation_id: self.generation_id,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader_id,
            skip_assignment,
            error: 0,
        }
    }

    /// The topics in the members' consumer-protocol subscriptions; `None` when the group does
    /// not use the consumer protocol or a subscription does not parse.
    /// Kafka: `GroupMetadata.computeSubscribedTopics`.
    pub fn compute_subscribed_topics(&self) -> Option<HashSet<String>> {
        let protocol = self.protocol_name.as_deref()?;
        if self.protocol_type.as_deref() != Some(CONSUMER_PROTOCOL_TYPE) {
            return None;
        }
        let mut out = HashSet::new();
        for m in self.members.values() {
            out.extend(parse_subscription_topics(m.metadata(protocol)?)?);
        }
        Some(out)
    }

    /// Kafka: `GroupMetadata.isSubscribedToTopic` (unknown subscriptions count as subscribed).
    pub fn is_subscribed_to_topic(&self, topic: &str) -> bool {
        self.subscribed_topics
            .as_ref()
            .is_none_or(|t| t.contains(topic))
    }

    pub fn has_pending_offset_commits(&self, tp: &TopicPartition) -> bool {
        self.pending_offset_commits.get(tp).is_some_and(|n| *n > 0)
    }

    /// Offsets that expired at `now_ms`, removed from the group. Kafka:
    /// `GroupMetadata.removeExpiredOffsets` (Empty group: retention counted from when it became
    /// Empty; Stable consumer group: unsubscribed topics by commit time; no protocol type: by
    /// commit time; explicit expire timestamps win; pending commits never expire).
    pub fn remove_expired_offsets(
        &mut self,
        now_ms: i64,
        retention_ms: i64,
    ) -> Vec<TopicPartition> {
        enum Base {
            StateTimestamp,
            CommitTime,
        }
        let (base, subscribed): (Base, HashSet<String>) = match self.protocol_type.as_deref() {
            Some(_) if self.is(GroupState::Empty) => (Base::StateTimestamp, HashSet::new()),
            Some(CONSUMER_PROTOCOL_TYPE)
                if self.subscribed_topics.is_some() && self.is(GroupState::Stable) =>
            {
                (
                    Base::CommitTime,
                    self.subscribed_topics.clone().unwrap_or_default(),
                )
            }
            None => (Base::CommitTime, HashSet::new()),
            _ => return Vec::new(),
        };
        let expired: Vec<TopicPartition> = self
            .offsets
            .iter()
            .filter(|(tp, c)| {
                if subscribed.contains(&tp.topic) || self.has_pending_offset_commits(tp) {
                    return false;
                }
                match c.value.expire_timestamp_ms {
                    Some(expire) => now_ms >= expire,
                    None => {
                        let base_ms = match base {
                            Base::StateTimestamp => self
                                .current_state_timestamp_ms
                                .unwrap_or(c.value.commit_timestamp_ms),
                            Base::CommitTime => c.value.commit_timestamp_ms,
                        };
                        now_ms - base_ms >= retention_ms
                    }
                }
            })
            .map(|(tp, _)| tp.clone())
            .collect();
        for tp in &expired {
            self.offsets.remove(tp);
        }
        expired
    }
}

use crate::protocol::errors::ResponseError;

/// The topic list of a consumer-protocol subscription (`ConsumerProtocolSubscription`, any
/// version: int16 version, then `topics: [string]` first). Kafka:
/// `ConsumerProtocol.deserializeSubscription`.
pub fn parse_subscription_topics(metadata: &Bytes) -> Option<Vec<String>> {
    let mut b = metadata.clone();
    if b.remaining() < 6 {
        return None;
    }
    let _version = b.get_i16();
    let n = b.get_i32();
    if n < 0 || n as usize > b.remaining() / 2 {
        return None;
    }
    let mut topics = Vec::with_capacity(n as usize);
    for _ in 0..n {
        if b.remaining() < 2 {
            return None;
        }
        let len = b.get_i16();
        if len < 0 || len as usize > b.remaining() {
            return None;
        }
        topics.push(String::from_utf8(b.split_to(len as usize).to_vec()).ok()?);
    }
    Some(topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, protocols: &[&str]) -> MemberMetadata {
        MemberMetadata {
            member_id: id.into(),
            group_instance_id: None,
            client_id: "c".into(),
            client_host: "/127.0.0.1".into(),
            rebalance_timeout_ms: 1000,
            session_timeout_ms: 1000,
            protocol_type: "consumer".into(),
            supported_protocols: protocols
                .iter()
                .map(|p| (p.to_string(), Bytes::new()))
                .collect(),
            assignment: Bytes::new(),
            awaiting_join: None,
            awaiting_sync: None,
            is_new: false,
            heartbeat_deadline_ms: None,
        }
    }

    /// Kafka `GroupMetadata.selectProtocol`: only protocols every member supports are
    /// candidates; the most-voted first choice wins.
    #[test]
    fn protocol_selection_across_members() {
        let mut g = GroupMetadata::new("g", GroupState::Empty, 0);
        g.add(member("a", &["range", "roundrobin"]));
        g.add(member("b", &["roundrobin", "range"]));
        g.add(member("c", &["roundrobin", "sticky"]));
        assert_eq!(g.select_protocol().as_deref(), Some("roundrobin"));
        g.remove("c");
        g.add(member("d", &["range", "roundrobin"]));
        assert_eq!(g.select_protocol().as_deref(), Some("range"));
        assert!(
            !g.supports_protocols("consumer", &[("sticky".into(), Bytes::new())])
                || g.is(GroupState::Empty)
        );
    }

    /// Kafka `GroupMetadata.remove`: the leader passes to the first remaining member.
    #[test]
    fn leader_moves_when_leader_leaves() {
        let mut g = GroupMetadata::new("g", GroupState::Empty, 0);
        g.add(member("a", &["range"]));
        g.add(member("b", &["range"]));
        assert!(g.is_leader("a"));
        g.remove("a");
        assert!(g.is_leader("b"));
        g.remove("b");
        assert_eq!(g.leader_id, None);
    }

    /// `ConsumerProtocolSubscription` v0: topics ["t1", "t2"], no user data.
    #[test]
    fn subscription_topics_parse() {
        let raw = Bytes::from_static(&[
            0, 0, 0, 0, 0, 2, 0, 2, b't', b'1', 0, 2, b't', b'2', 255, 255, 255, 255,
        ]);
        assert_eq!(parse_subscription_topics(&raw).unwrap(), vec!["t1", "t2"]);
        assert_eq!(
            parse_subscription_topics(&Bytes::from_static(&[0, 0, 0, 0, 0, 9])),
            None
        );
    }

    /// Kafka `removeExpiredOffsets`: an Empty group's offsets expire by the time it became
    /// Empty; a simple group's (no protocol type) by commit time; pending commits never.
    #[test]
    fn offset_expiry_rules() {
        let offset = |ts| CommittedOffset {
            appended_batch_offset: Some(0),
            value: OffsetCommitValue {
                offset: 1,
                leader_epoch: -1,
                metadata: String::new(),
                commit_timestamp_ms: ts,
                expire_timestamp_ms: None,
            },
        };
        let mut simple = GroupMetadata::new("s", GroupState::Empty, 0);
        simple
            .offsets
            .insert(TopicPartition::new("t", 0), offset(0));
        simple
            .offsets
            .insert(TopicPartition::new("t", 1), offset(50));
        simple
            .pending_offset_commits
            .insert(TopicPartition::new("t", 2), 1);
        simple
            .offsets
            .insert(TopicPartition::new("t", 2), offset(0));
        assert_eq!(
            simple.remove_expired_offsets(100, 100),
            vec![TopicPartition::new("t", 0)]
        );

        let mut empty = GroupMetadata::new("e", GroupState::Empty, 500);
        empty.protocol_type = Some("consumer".into());
        empty.offsets.insert(TopicPartition::new("t", 0), offset(0));
        assert!(empty.remove_expired_offsets(550, 100).is_empty());
        assert_eq!(empty.remove_expired_offsets(600, 100).len(), 1);
    }
}
