//! Property tests for the election functions over random assignments, ISRs and broker sets:
//! the invariants Kafka's rules imply, checked for every input rather than a table.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// A partition: distinct replicas from brokers 0..8, an ISR that is a subset of them (possibly
/// with stale order), live and shutting-down broker sets, an epoch and a recovery state.
fn partition(
) -> impl Strategy<Value = (Vec<i32>, Vec<i32>, BTreeSet<i32>, BTreeSet<i32>, i32, bool)> {
    (
        proptest::sample::subsequence((0..8).collect::<Vec<i32>>(), 1..6).prop_shuffle(),
        any::<u64>(),
        proptest::collection::btree_set(0..8i32, 0..8),
        proptest::collection::btree_set(0..8i32, 0..3),
        0..1000i32,
        any::<bool>(),
    )
        .prop_map(|(assignment, mask, live, shutting, epoch, recovering)| {
            let isr: Vec<i32> = assignment
                .iter()
                .enumerate()
                .filter(|(i, _)| mask >> i & 1 == 1)
                .map(|(_, &r)| r)
                .rev()
                .collect();
            (assignment, isr, live, shutting, epoch, recovering)
        })
}

fn current(isr: &[i32], epoch: i32, recovering: bool) -> LeaderAndIsr {
    LeaderAndIsr {
        leader: isr.first().copied().unwrap_or(NO_LEADER),
        leader_epoch: epoch,
        isr: isr.to_vec(),
        leader_recovery_state: if recovering {
            LeaderRecoveryState::Recovering
        } else {
            LeaderRecoveryState::Recovered
        },
        partition_epoch: 3,
    }
}

proptest! {
    /// Offline election (Election.leaderForOffline): the leader is an assigned live replica; a
    /// clean leader is the first assigned live ISR member and the new ISR is the live part of
    /// the old one; an unclean leader exists only when allowed and no ISR member is live, and
    /// is written alone and RECOVERING; the epoch always goes up by one.
    #[test]
    fn offline_election_invariants((assignment, isr, live, _s, epoch, recovering) in partition(), unclean in any::<bool>()) {
        let cur = current(&isr, epoch, recovering);
        let is_live = |id: i32| live.contains(&id);
        let result = leader_for_offline(&assignment, &cur, is_live, unclean);
        let expected_recipients: Vec<i32> = assignment.iter().copied().filter(|r| live.contains(r)).collect();
        prop_assert_eq!(&result.recipients, &expected_recipients);
        let live_isr_exists = isr.iter().any(|r| live.contains(r) && assignment.contains(r));
        match result.leader_and_isr {
            None => {
                prop_assert!(!live_isr_exists);
                prop_assert!(!unclean || expected_recipients.is_empty());
            }
            Some(new) => {
                prop_assert!(assignment.contains(&new.leader) && live.contains(&new.leader));
                prop_assert_eq!(new.leader_epoch, epoch + 1);
                if result.unclean {
                    prop_assert!(unclean && !live_isr_exists);
                    prop_assert_eq!(new.isr, vec![new.leader]);
                    prop_assert_eq!(new.leader_recovery_state, LeaderRecoveryState::Recovering);
                } else {
                    let first = assignment.iter().copied().find(|r| live.contains(r) && isr.contains(r));
                    prop_assert_eq!(Some(new.leader), first);
                    let live_isr: Vec<i32> = isr.iter().copied().filter(|r| live.contains(r)).collect();
                    prop_assert_eq!(new.isr, live_isr);
                    prop_assert_eq!(new.leader_recovery_state, cur.leader_recovery_state);
                }
            }
        }
    }

    /// Controlled shutdown (Election.leaderForControlledShutdown): the leader is never shutting
    /// down and is in the old ISR; the new ISR contains no shutting-down broker and keeps every
    /// other member in order.
    #[test]
    fn controlled_shutdown_invariants((assignment, isr, live, shutting, epoch, recovering) in partition()) {
        let cur = current(&isr, epoch, recovering);
        let registered: BTreeSet<i32> = live.union(&shutting).copied().collect();
        let result = leader_for_controlled_shutdown(&assignment, &cur, |id| registered.contains(&id), |id| shutting.contains(&id));
        if let Some(new) = result.leader_and_isr {
            prop_assert!(!shutting.contains(&new.leader));
            prop_assert!(isr.contains(&new.leader) && registered.contains(&new.leader));
            let kept: Vec<i32> = isr.iter().copied().filter(|r| !shutting.contains(r)).collect();
            prop_assert_eq!(new.isr, kept);
            prop_assert_eq!(new.leader_epoch, epoch + 1);
        }
    }

    /// ISR removal (ReplicaStateMachine.doRemoveReplicasFromIsr) never empties the ISR, never
    /// leaves the removed replica as leader, and always bumps the epoch.
    #[test]
    fn isr_removal_invariants((_a, isr, _l, _s, epoch, recovering) in partition(), replica in 0..8i32) {
        let cur = current(&isr, epoch, recovering);
        match remove_replica_from_isr(replica, &cur) {
            None => prop_assert!(!isr.contains(&replica)),
            Some(new) => {
                prop_assert!(!new.isr.is_empty());
                prop_assert!(new.leader != replica);
                prop_assert_eq!(new.leader_epoch, epoch + 1);
                if isr.len() > 1 {
                    prop_assert!(!new.isr.contains(&replica));
                    prop_assert_eq!(new.isr.len(), isr.len() - 1);
                }
            }
        }
    }
}
