//! The five states of a classic group and their legal predecessors.
//! Kafka: `kafka.coordinator.group.GroupState` (in `GroupMetadata.scala`).

use std::fmt;

/// A classic group's state. Each variant documents Kafka's action/transition comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupState {
    /// Group has no more members, but lingers until all offsets have expired.
    /// action: respond normally to join group from new members; respond to sync group with
    /// UNKNOWN_MEMBER_ID; respond to heartbeat with UNKNOWN_MEMBER_ID; respond to leave group
    /// with UNKNOWN_MEMBER_ID; respond to offset commit with UNKNOWN_MEMBER_ID unless the
    /// commit has generation -1 (simple/admin commits).
    /// transition: last offsets removed in periodic expiration → Dead; join group from a new
    /// member → PreparingRebalance; group is removed by partition emigration → Dead.
    Empty,
    /// Group is preparing to rebalance.
    /// action: respond to heartbeats with REBALANCE_IN_PROGRESS; respond to sync group with
    /// REBALANCE_IN_PROGRESS; park join group requests from new or existing members until all
    /// expected members have joined; allow offset commits from previous generation.
    /// transition: some members have joined by the timeout → CompletingRebalance; all members
    /// have left the group → Empty; group is removed by partition emigration → Dead.
    PreparingRebalance,
    /// Group is awaiting state assignment from the leader.
    /// action: respond to heartbeats with REBALANCE_IN_PROGRESS (Kafka 3.9 answers NONE and
    /// resets the timer); respond to offset commits with REBALANCE_IN_PROGRESS; park sync group
    /// requests from followers until transition to Stable; respond to join group with current
    /// group metadata.
    /// transition: sync group with state assignment received from leader → Stable; join group
    /// from new member or existing member with updated metadata → PreparingRebalance; leave
    /// group from existing member → PreparingRebalance; member failure detected →
    /// PreparingRebalance; group is removed by partition emigration → Dead.
    CompletingRebalance,
    /// Group is stable.
    /// action: respond to member heartbeats normally; respond to sync group from any member
    /// with current assignment; respond to join group from followers with matching metadata
    /// with current group metadata; allow offset commits from member of current generation.
    /// transition: member failure detected via heartbeat → PreparingRebalance; leave group
    /// from existing member → PreparingRebalance; leader join-group received →
    /// PreparingRebalance; follower join-group with new metadata → PreparingRebalance; group is
    /// removed by partition emigration → Dead.
    Stable,
    /// Group has no more members and its metadata is being removed.
    /// action: respond to join group with UNKNOWN_MEMBER_ID (Kafka: COORDINATOR_NOT_AVAILABLE
    /// for a dead group that is about to migrate); respond to sync group, heartbeat, offset
    /// commit with UNKNOWN_MEMBER_ID / COORDINATOR_NOT_AVAILABLE.
    /// transition: none.
    Dead,
}

impl GroupState {
    /// The states this one may be entered from. Kafka: `GroupState.validPreviousStates`.
    pub fn valid_previous_states(self) -> &'static [GroupState] {
        use GroupState::*;
        match self {
            Empty => &[PreparingRebalance],
            PreparingRebalance => &[Stable, CompletingRebalance, Empty],
            CompletingRebalance => &[PreparingRebalance],
            Stable => &[CompletingRebalance],
            Dead => &[Stable, PreparingRebalance, CompletingRebalance, Empty, Dead],
        }
    }

    /// Kafka's name (`GroupState.toString`), as DescribeGroups and ListGroups report it.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::GroupState::*;

    /// Kafka `GroupMetadata.scala`: the transition table of the classic group state machine.
    #[test]
    fn transition_table() {
        assert!(PreparingRebalance.valid_previous_states().contains(&Empty));
        assert!(!Stable.valid_previous_states().contains(&PreparingRebalance));
        assert!(!Empty.valid_previous_states().contains(&Stable));
        assert!(CompletingRebalance.valid_previous_states() == [PreparingRebalance]);
        assert_eq!(Dead.valid_previous_states().len(), 5);
        assert_eq!(CompletingRebalance.to_string(), "CompletingRebalance");
    }
}
