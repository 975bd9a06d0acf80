//! The controller's replica states and their legal transitions.
//!
//! A replica is one (partition, broker) pair. Each state knows its valid previous states, as
//! Kafka's case objects do; the replica state machine calls [`check_transition`] before acting.
//!
//! | target | valid previous states | action (RSM `doHandleStateChanges`) |
//! |---|---|---|
//! | `NewReplica` | NonExistent | LeaderAndIsr with the current leader/ISR to the replica |
//! | `OnlineReplica` | New, Online, Offline, DeletionIneligible | from New: add to the cached assignment; otherwise LeaderAndIsr to the broker |
//! | `OfflineReplica` | New, Online, Offline, DeletionIneligible | StopReplica(delete=false), remove from ISR in ZK, LeaderAndIsr to the rest |
//! | `ReplicaDeletionStarted` | Offline | StopReplica(delete=true) |
//! | `ReplicaDeletionSuccessful` | DeletionStarted | none |
//! | `ReplicaDeletionIneligible` | Offline, DeletionStarted | none |
//! | `NonExistentReplica` | DeletionSuccessful | drop from the cached assignment |

use std::fmt;

/// A replica's state in the controller's replica state machine.
// Kafka: kafka.controller.ReplicaState and its case objects (ReplicaStateMachine.scala)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReplicaState {
    /// Created during topic creation or reassignment; can only be a follower.
    NewReplica,
    /// Started and part of the assignment; may lead or follow.
    OnlineReplica,
    /// Its broker died or it is being moved away.
    OfflineReplica,
    /// StopReplica(delete=true) has been sent for topic deletion.
    ReplicaDeletionStarted,
    /// The broker confirmed the deletion.
    ReplicaDeletionSuccessful,
    /// The deletion failed (or the broker is down); retried later.
    ReplicaDeletionIneligible,
    /// Removed from the state machine.
    NonExistentReplica,
}

impl ReplicaState {
    /// Every state, in Kafka's byte order.
    pub const ALL: [ReplicaState; 7] = [
        ReplicaState::NewReplica,
        ReplicaState::OnlineReplica,
        ReplicaState::OfflineReplica,
        ReplicaState::ReplicaDeletionStarted,
        ReplicaState::ReplicaDeletionSuccessful,
        ReplicaState::ReplicaDeletionIneligible,
        ReplicaState::NonExistentReplica,
    ];

    /// Kafka's byte code for the state.
    // Kafka: ReplicaState.state
    pub fn state(self) -> u8 {
        match self {
            ReplicaState::NewReplica => 1,
            ReplicaState::OnlineReplica => 2,
            ReplicaState::OfflineReplica => 3,
            ReplicaState::ReplicaDeletionStarted => 4,
            ReplicaState::ReplicaDeletionSuccessful => 5,
            ReplicaState::ReplicaDeletionIneligible => 6,
            ReplicaState::NonExistentReplica => 7,
        }
    }

    /// The states a replica may be in before moving to `self`.
    // Kafka: ReplicaState.validPreviousStates
    pub fn valid_previous_states(self) -> &'static [ReplicaState] {
        use ReplicaState::*;
        match self {
            NewReplica => &[NonExistentReplica],
            OnlineReplica => &[
                NewReplica,
                OnlineReplica,
                OfflineReplica,
                ReplicaDeletionIneligible,
            ],
            OfflineReplica => &[
                NewReplica,
                OnlineReplica,
                OfflineReplica,
                ReplicaDeletionIneligible,
            ],
            ReplicaDeletionStarted => &[OfflineReplica],
            ReplicaDeletionSuccessful => &[ReplicaDeletionStarted],
            ReplicaDeletionIneligible => &[OfflineReplica, ReplicaDeletionStarted],
            NonExistentReplica => &[ReplicaDeletionSuccessful],
        }
    }

    /// Kafka's name for the state, as it appears in state-change logs.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaState::NewReplica => "NewReplica",
            ReplicaState::OnlineReplica => "OnlineReplica",
            ReplicaState::OfflineReplica => "OfflineReplica",
            ReplicaState::ReplicaDeletionStarted => "ReplicaDeletionStarted",
            ReplicaState::ReplicaDeletionSuccessful => "ReplicaDeletionSuccessful",
            ReplicaState::ReplicaDeletionIneligible => "ReplicaDeletionIneligible",
            ReplicaState::NonExistentReplica => "NonExistentReplica",
        }
    }
}

impl fmt::Display for ReplicaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A replica was asked to move to a state it cannot reach from its current one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("replica should be in one of {} states before moving to {to} state; instead it is in {from} state", list(.to.valid_previous_states()))]
pub struct IllegalReplicaStateTransition {
    /// The current state.
    pub from: ReplicaState,
    /// The requested target state.
    pub to: ReplicaState,
}

fn list(states: &[ReplicaState]) -> String {
    states
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks that `from → to` is a legal replica state transition.
// Kafka: ReplicaStateMachine.isValidTransition / logInvalidTransition
pub fn check_transition(
    from: ReplicaState,
    to: ReplicaState,
) -> Result<(), IllegalReplicaStateTransition> {
    if to.valid_previous_states().contains(&from) {
        Ok(())
    } else {
        Err(IllegalReplicaStateTransition { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::ReplicaState::*;
    use super::*;

    /// The full 7×7 transition table of Kafka's replica state machine: every (from, to) pair,
    /// legal exactly when `from` is in the target's `validPreviousStates`
    /// (ReplicaStateMachine.scala case objects; semantics spec §1.5).
    #[test]
    fn full_transition_table() {
        const T: bool = true;
        const F: bool = false;
        // Columns (to): New, Online, Offline, DelStarted, DelSuccessful, DelIneligible, NonExistent.
        let table: [(ReplicaState, [bool; 7]); 7] = [
            (NewReplica, [F, T, T, F, F, F, F]),
            (OnlineReplica, [F, T, T, F, F, F, F]),
            (OfflineReplica, [F, T, T, T, F, T, F]),
            (ReplicaDeletionStarted, [F, F, F, F, T, T, F]),
            (ReplicaDeletionSuccessful, [F, F, F, F, F, F, T]),
            (ReplicaDeletionIneligible, [F, T, T, F, F, F, F]),
            (NonExistentReplica, [T, F, F, F, F, F, F]),
        ];
        for (from, legal_row) in table {
            for (to, legal) in ReplicaState::ALL.into_iter().zip(legal_row) {
                assert_eq!(
                    check_transition(from, to).is_ok(),
                    legal,
                    "{from} -> {to} should be {}",
                    if legal { "legal" } else { "illegal" }
                );
            }
        }
    }

    /// Kafka's byte codes for the states (ReplicaState.state).
    #[test]
    fn state_bytes_match_kafka() {
        let bytes: Vec<u8> = ReplicaState::ALL.iter().map(|s| s.state()).collect();
        assert_eq!(bytes, vec![1, 2, 3, 4, 5, 6, 7]);
    }

    /// The error lists the legal previous states of the target, like Kafka's
    /// `logInvalidTransition` message.
    #[test]
    fn illegal_transition_message() {
        let err = check_transition(OnlineReplica, ReplicaDeletionStarted).unwrap_err();
        assert_eq!(
            err.to_string(),
            "replica should be in one of OfflineReplica states before moving to \
             ReplicaDeletionStarted state; instead it is in OnlineReplica state"
        );
    }
}
