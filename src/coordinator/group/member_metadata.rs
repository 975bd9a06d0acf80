//! One member of a classic group, and the results its parked JoinGroup / SyncGroup receive.
//! Kafka: `kafka.coordinator.group.MemberMetadata`, `JoinGroupResult`, `SyncGroupResult`.

use bytes::Bytes;
use tokio::sync::oneshot;
/// A member as the group leader's JoinGroup response lists it. Kafka: `JoinGroupResponseMember`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub metadata: Bytes,
}

/// What a JoinGroup request is answered with. Kafka: `JoinGroupResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupResult {
    /// Every member's metadata for the leader; empty for followers.
    pub members: Vec<JoinGroupMember>,
    pub member_id: String,
    pub generation_id: i32,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// `""` when there is none (Kafka `leaderOrNull` written as an empty string).
    pub leader_id: String,
    pub skip_assignment: bool,
    pub error: i16,
}

impl JoinGroupResult {
    /// An error answer for `member_id`. Kafka: `JoinGroupResult(memberId, error)`.
    pub fn error(member_id: impl Into<String>, error: i16) -> JoinGroupResult {
        JoinGroupResult {
            members: Vec::new(),
            member_id: member_id.into(),
            generation_id: -1,
            protocol_type: None,
            protocol_name: None,
            leader_id: String::new(),
            skip_assignment: false,
            error,
        }
    }
}

/// What a SyncGroup request is answered with. Kafka: `SyncGroupResult`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncGroupResult {
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
    pub error: i16,
}

impl SyncGroupResult {
    pub fn error(error: i16) -> SyncGroupResult {
        SyncGroupResult {
            protocol_type: None,
            protocol_name: None,
            assignment: Bytes::new(),
            error,
        }
    }
}

/// A member. The parked JoinGroup/SyncGroup requests are the receiving ends of the two
/// `oneshot` senders held here; dropping a sender (member removed) answers the request with
/// the error the caller chose when it removed the member.
#[derive(Debug)]
pub struct MemberMetadata {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub protocol_type: String,
    /// `(protocol name, metadata)` in the member's order of preference.
    pub supported_protocols: Vec<(String, Bytes)>,
    pub assignment: Bytes,
    /// The parked JoinGroup, if any. Kafka: `awaitingJoinCallback`.
    pub awaiting_join: Option<oneshot::Sender<JoinGroupResult>>,
    /// The parked SyncGroup, if any. Kafka: `awaitingSyncCallback`.
    pub awaiting_sync: Option<oneshot::Sender<SyncGroupResult>>,
    /// Joined but not yet through a completed join phase. Kafka: `isNew`.
    pub is_new: bool,
    /// When this member's session expires unless it heartbeats (Kafka's `DelayedHeartbeat`).
    pub heartbeat_deadline_ms: Option<i64>,
}

impl MemberMetadata {
    pub fn is_awaiting_join(&self) -> bool {
        self.awaiting_join.is_some()
    }
    pub fn is_awaiting_sync(&self) -> bool {
        self.awaiting_sync.is_some()
    }
    pub fn is_static(&self) -> bool {
        self.group_instance_id.is_some()
    }

    /// The metadata this member sent for `protocol`. Kafka: `MemberMetadata.metadata`.
    pub fn metadata(&self, protocol: &str) -> Option<&Bytes> {
        self.supported_protocols
            .iter()
            .find(|(name, _)| name == protocol)
            .map(|(_, m)| m)
    }

    /// Whether a rejoin carries the same protocols and metadata. Kafka: `MemberMetadata.matches`.
    pub fn matches(&self, protocols: &[(String, Bytes)]) -> bool {
        self.supported_protocols == protocols
    }

    /// This member's first choice among `candidates`. Kafka: `MemberMetadata.vote`.
    pub fn vote<'a>(&'a self, candidates: &[&str]) -> Option<&'a str> {
        self.supported_protocols
            .iter()
            .map(|(name, _)| name.as_str())
            .find(|name| candidates.contains(name))
    }

    /// Hands `result` to the parked JoinGroup, if any. Kafka: `GroupMetadata.maybeInvokeJoinCallback`.
    pub fn invoke_join(&mut self, result: JoinGroupResult) {
        if let Some(tx) = self.awaiting_join.take() {
            // A dropped receiver means the connection went away: nothing to answer.
            let _ = tx.send(result);
        }
    }

    /// Hands `result` to the parked SyncGroup, if any. Kafka: `GroupMetadata.maybeInvokeSyncCallback`.
    pub fn invoke_sync(&mut self, result: SyncGroupResult) {
        if let Some(tx) = self.awaiting_sync.take() {
            let _ = tx.send(result);
        }
    }

    /// Whether the member answered its last heartbeat expectation (Kafka
    /// `MemberMetadata.hasSatisfiedHeartbeat` at the deadline): members parked in a rebalance
    /// are alive by definition, except new members, whose JoinGroup can time out.
    pub fn survives_heartbeat_deadline(&self) -> bool {
        !self.is_new && (self.is_awaiting_join() || self.is_awaiting_sync())
    }
}
