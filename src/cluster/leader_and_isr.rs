//! `LeaderAndIsr`: a partition's leadership state as the controller records it in
//! `/brokers/topics/<t>/partitions/<p>/state`, and `LeaderIsrAndControllerEpoch`.
//!
//! Kafka: `org.apache.kafka.metadata.LeaderAndIsr`, `org.apache.kafka.metadata.LeaderRecoveryState`,
//! `kafka.controller.LeaderIsrAndControllerEpoch`.

use std::fmt;

/// Whether the leader's log may be missing committed data (after an unclean election).
///
/// Kafka: `LeaderRecoveryState` — wire/JSON value 0 = RECOVERED, 1 = RECOVERING (IBP ≥ 3.2-IV0).
/// In the state znode the field `leader_recovery_state` is written only when RECOVERING.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LeaderRecoveryState {
    #[default]
    Recovered,
    Recovering,
}

impl LeaderRecoveryState {
    /// Kafka's byte value (`LeaderRecoveryState.value`).
    pub fn value(self) -> i8 {
        match self {
            LeaderRecoveryState::Recovered => 0,
            LeaderRecoveryState::Recovering => 1,
        }
    }

    /// Kafka: `LeaderRecoveryState.of` (which throws for unknown values; we return `None`).
    pub fn of(value: i8) -> Option<LeaderRecoveryState> {
        match value {
            0 => Some(LeaderRecoveryState::Recovered),
            1 => Some(LeaderRecoveryState::Recovering),
            _ => None,
        }
    }
}

impl fmt::Display for LeaderRecoveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LeaderRecoveryState::Recovered => "RECOVERED",
            LeaderRecoveryState::Recovering => "RECOVERING",
        })
    }
}

/// Leader, leader epoch, ISR, recovery state and partition epoch of one partition.
///
/// In ZooKeeper mode `partition_epoch` is the zkVersion of the partition's state znode (it is
/// not stored in the JSON); it is the expected version of the next conditional write and is sent
/// as `PartitionEpoch` in LeaderAndIsr and `ZkVersion` in UpdateMetadata.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaderAndIsr {
    /// Leader broker id, [`LeaderAndIsr::NO_LEADER`] when offline.
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    pub leader_recovery_state: LeaderRecoveryState,
    pub partition_epoch: i32,
}

impl LeaderAndIsr {
    pub const INITIAL_LEADER_EPOCH: i32 = 0;
    pub const INITIAL_PARTITION_EPOCH: i32 = 0;
    pub const NO_LEADER: i32 = -1;
    pub const NO_EPOCH: i32 = -1;
    /// Leader sent in UpdateMetadata while a topic is being deleted.
    pub const LEADER_DURING_DELETE: i32 = -2;
    /// Leader epoch sent in StopReplica while a topic is being deleted.
    pub const EPOCH_DURING_DELETE: i32 = -2;

    /// A brand-new partition's state: epoch 0, RECOVERED, partition epoch 0.
    /// Kafka: `new LeaderAndIsr(leader, isr)`.
    pub fn new(leader: i32, isr: Vec<i32>) -> LeaderAndIsr {
        LeaderAndIsr {
            leader,
            leader_epoch: Self::INITIAL_LEADER_EPOCH,
            isr,
            leader_recovery_state: LeaderRecoveryState::Recovered,
            partition_epoch: Self::INITIAL_PARTITION_EPOCH,
        }
    }

    /// Kafka: `LeaderAndIsr.duringDelete`.
    pub fn during_delete(isr: Vec<i32>) -> LeaderAndIsr {
        LeaderAndIsr::new(Self::LEADER_DURING_DELETE, isr)
    }

    /// Kafka: `withPartitionEpoch` — after a successful conditional write, the new zkVersion.
    pub fn with_partition_epoch(&self, partition_epoch: i32) -> LeaderAndIsr {
        LeaderAndIsr {
            partition_epoch,
            ..self.clone()
        }
    }

    /// Kafka: `newLeader` — a new leader, same ISR, leader epoch + 1.
    pub fn new_leader(&self, leader: i32) -> LeaderAndIsr {
        self.new_leader_and_isr(leader, self.isr.clone())
    }

    /// Kafka: `newLeaderAndIsr` — leader epoch + 1, recovery state kept.
    pub fn new_leader_and_isr(&self, leader: i32, isr: Vec<i32>) -> LeaderAndIsr {
        LeaderAndIsr {
            leader,
            leader_epoch: self.leader_epoch.wrapping_add(1),
            isr,
            leader_recovery_state: self.leader_recovery_state,
            partition_epoch: self.partition_epoch,
        }
    }

    /// Kafka: `newRecoveringLeaderAndIsr` — the result of an unclean election.
    pub fn new_recovering_leader_and_isr(&self, leader: i32, isr: Vec<i32>) -> LeaderAndIsr {
        LeaderAndIsr {
            leader_recovery_state: LeaderRecoveryState::Recovering,
            ..self.new_leader_and_isr(leader, isr)
        }
    }

    /// Kafka: `newEpoch` — same leader and ISR, leader epoch + 1.
    pub fn new_epoch(&self) -> LeaderAndIsr {
        self.new_leader_and_isr(self.leader, self.isr.clone())
    }

    /// Kafka: `leaderOpt`.
    pub fn leader_opt(&self) -> Option<i32> {
        (self.leader != Self::NO_LEADER).then_some(self.leader)
    }

    /// Kafka: `equalsAllowStalePartitionEpoch` — equal except that our partition epoch may be
    /// older than `other`'s (used when a conditional write's outcome is re-read).
    pub fn equals_allow_stale_partition_epoch(&self, other: &LeaderAndIsr) -> bool {
        self.leader == other.leader
            && self.leader_epoch == other.leader_epoch
            && self.isr == other.isr
            && self.leader_recovery_state == other.leader_recovery_state
            && self.partition_epoch <= other.partition_epoch
    }
}

impl fmt::Display for LeaderAndIsr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "LeaderAndIsr(leader={}, leaderEpoch={}, isr={:?}, leaderRecoveryState={}, partitionEpoch={})",
            self.leader, self.leader_epoch, self.isr, self.leader_recovery_state, self.partition_epoch
        )
    }
}

/// A partition's `LeaderAndIsr` plus the epoch of the controller that decided it — exactly the
/// content of a partition state znode (with the partition epoch from its `Stat`).
///
/// Kafka: `kafka.controller.LeaderIsrAndControllerEpoch`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaderIsrAndControllerEpoch {
    pub leader_and_isr: LeaderAndIsr,
    pub controller_epoch: i32,
}

impl fmt::Display for LeaderIsrAndControllerEpoch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "(Leader:{},ISR:{},LeaderRecoveryState:{},LeaderEpoch:{},ZkVersion:{},ControllerEpoch:{})",
            self.leader_and_isr.leader,
            self.leader_and_isr
                .isr
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(","),
            self.leader_and_isr.leader_recovery_state,
            self.leader_and_isr.leader_epoch,
            self.leader_and_isr.partition_epoch,
            self.controller_epoch
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka: `LeaderAndIsr.newLeaderAndIsr`/`newEpoch`/`newRecoveringLeaderAndIsr` bump the
    /// leader epoch by one and keep the partition epoch (the zkVersion changes only on write).
    #[test]
    fn transitions_bump_leader_epoch() {
        let l = LeaderAndIsr::new(1, vec![1, 2, 3]).with_partition_epoch(4);
        let n = l.new_leader_and_isr(2, vec![2, 3]);
        assert_eq!((n.leader, n.leader_epoch, n.partition_epoch), (2, 1, 4));
        assert_eq!(n.new_epoch().leader_epoch, 2);
        assert_eq!(n.new_leader(3).isr, vec![2, 3]);
        let r = l.new_recovering_leader_and_isr(3, vec![3]);
        assert_eq!(r.leader_recovery_state, LeaderRecoveryState::Recovering);
        assert_eq!(
            r.new_epoch().leader_recovery_state,
            LeaderRecoveryState::Recovering
        );
        assert_eq!(LeaderAndIsr::new(-1, vec![]).leader_opt(), None);
        assert_eq!(LeaderAndIsr::during_delete(vec![1]).leader, -2);
    }

    /// Kafka: `equalsAllowStalePartitionEpoch` tolerates only an older partition epoch.
    #[test]
    fn stale_partition_epoch_comparison() {
        let a = LeaderAndIsr::new(1, vec![1, 2]).with_partition_epoch(3);
        assert!(a.equals_allow_stale_partition_epoch(&a.with_partition_epoch(5)));
        assert!(!a.equals_allow_stale_partition_epoch(&a.with_partition_epoch(2)));
        assert!(!a.equals_allow_stale_partition_epoch(&a.new_epoch()));
    }

    /// Kafka: `LeaderRecoveryState.of` accepts only 0 and 1.
    #[test]
    fn recovery_state_values() {
        assert_eq!(
            LeaderRecoveryState::of(1),
            Some(LeaderRecoveryState::Recovering)
        );
        assert_eq!(LeaderRecoveryState::of(2), None);
        assert_eq!(LeaderRecoveryState::Recovering.value(), 1);
    }
}
