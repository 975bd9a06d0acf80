//! The controller's partition states and their legal transitions.
//!
//! Each state knows its valid previous states, as Kafka's case objects do; the partition state
//! machine calls [`check_transition`] before acting and logs (never applies) an illegal move.
//!
//! | target | valid previous states | what the transition does (PSM `doHandleStateChanges`) |
//! |---|---|---|
//! | `NewPartition` | NonExistent | load the assignment into the cache |
//! | `OnlinePartition` | New, Online, Offline | New: first live replica leads, ISR = live replicas, epoch 0; Online/Offline: elect by strategy |
//! | `OfflinePartition` | New, Online, Offline | only marks the state |
//! | `NonExistentPartition` | Offline | only marks the state (topic deletion) |

use std::fmt;

/// A partition's state in the controller's partition state machine.
// Kafka: kafka.controller.PartitionState and its case objects (PartitionStateMachine.scala)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PartitionState {
    /// Replicas assigned, no leader or ISR yet (after creation).
    NewPartition,
    /// A leader has been elected.
    OnlinePartition,
    /// The leader died after a successful election.
    OfflinePartition,
    /// Never created, or deleted.
    NonExistentPartition,
}

impl PartitionState {
    /// Every state, in Kafka's byte order.
    pub const ALL: [PartitionState; 4] = [
        PartitionState::NewPartition,
        PartitionState::OnlinePartition,
        PartitionState::OfflinePartition,
        PartitionState::NonExistentPartition,
    ];

    /// Kafka's byte code for the state (used in metrics and logs).
    // Kafka: PartitionState.state
    pub fn state(self) -> u8 {
        match self {
            PartitionState::NewPartition => 0,
            PartitionState::OnlinePartition => 1,
            PartitionState::OfflinePartition => 2,
            PartitionState::NonExistentPartition => 3,
        }
    }

    /// The states a partition may be in before moving to `self`.
    // Kafka: PartitionState.validPreviousStates
    pub fn valid_previous_states(self) -> &'static [PartitionState] {
        use PartitionState::*;
        match self {
            NewPartition => &[NonExistentPartition],
            OnlinePartition => &[NewPartition, OnlinePartition, OfflinePartition],
            OfflinePartition => &[NewPartition, OnlinePartition, OfflinePartition],
            NonExistentPartition => &[OfflinePartition],
        }
    }

    /// Kafka's name for the state, as it appears in state-change logs.
    pub fn name(self) -> &'static str {
        match self {
            PartitionState::NewPartition => "NewPartition",
            PartitionState::OnlinePartition => "OnlinePartition",
            PartitionState::OfflinePartition => "OfflinePartition",
            PartitionState::NonExistentPartition => "NonExistentPartition",
        }
    }
}

impl fmt::Display for PartitionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A partition was asked to move to a state it cannot reach from its current one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("partition should be in one of {} states before moving to {to} state; instead it is in {from} state", list(.to.valid_previous_states()))]
pub struct IllegalPartitionStateTransition {
    /// The current state.
    pub from: PartitionState,
    /// The requested target state.
    pub to: PartitionState,
}

fn list(states: &[PartitionState]) -> String {
    states
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

/// Checks that `from → to` is a legal partition state transition.
// Kafka: PartitionStateMachine.isValidTransition / logInvalidTransition
pub fn check_transition(
    from: PartitionState,
    to: PartitionState,
) -> Result<(), IllegalPartitionStateTransition> {
    if to.valid_previous_states().contains(&from) {
        Ok(())
    } else {
        Err(IllegalPartitionStateTransition { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::PartitionState::*;
    use super::*;

    /// The full 4×4 transition table of Kafka's partition state machine: every (from, to) pair,
    /// legal exactly when `from` is in the target's `validPreviousStates`
    /// (PartitionStateMachine.scala case objects; semantics spec §1.4).
    #[test]
    fn full_transition_table() {
        // Rows: from; columns: to in the order New, Online, Offline, NonExistent.
        let table: [(PartitionState, [bool; 4]); 4] = [
            (NewPartition, [false, true, true, false]),
            (OnlinePartition, [false, true, true, false]),
            (OfflinePartition, [false, true, true, true]),
            (NonExistentPartition, [true, false, false, false]),
        ];
        for (from, legal_row) in table {
            for (to, legal) in PartitionState::ALL.into_iter().zip(legal_row) {
                assert_eq!(
                    check_transition(from, to).is_ok(),
                    legal,
                    "{from} -> {to} should be {}",
                    if legal { "legal" } else { "illegal" }
                );
            }
        }
    }

    /// Kafka's byte codes for the states (PartitionState.state).
    #[test]
    fn state_bytes_match_kafka() {
        let bytes: Vec<u8> = PartitionState::ALL.iter().map(|s| s.state()).collect();
        assert_eq!(bytes, vec![0, 1, 2, 3]);
    }

    /// The error names the current state, the target and the legal previous states, like
    /// Kafka's `logInvalidTransition` message.
    #[test]
    fn illegal_transition_message() {
        let err = check_transition(OnlinePartition, NonExistentPartition).unwrap_err();
        assert_eq!(
            err.to_string(),
            "partition should be in one of OfflinePartition states before moving to \
             NonExistentPartition state; instead it is in OnlinePartition state"
        );
    }
}
