//! Table tests for the election functions: every row of the semantics spec's §1.4 strategy
//! table, and §9 items 1 (last ISR member kept), 2 (controller ISR removals bump the epoch),
//! 5 (preferred leader and the 10 % auto-rebalance ratio) and 6 (shutting-down brokers excluded,
//! RF=1 untouched by controlled shutdown).

use super::LeaderRecoveryState::{Recovered, Recovering};
use super::*;

/// (replicas, ISR, live brokers, expected leader)
type ElectionRow = (&'static [i32], &'static [i32], &'static [i32], Option<i32>);

/// (removed replica, leader, ISR, expected (leader, ISR) or no write)
type IsrRemovalRow = (i32, i32, &'static [i32], Option<(i32, &'static [i32])>);

fn live(ids: &'static [i32]) -> impl Fn(i32) -> bool {
    move |id| ids.contains(&id)
}

/// A state as read from a state znode whose zkVersion (partition epoch) is 7.
fn state(leader: i32, leader_epoch: i32, isr: &[i32]) -> LeaderAndIsr {
    LeaderAndIsr {
        leader,
        leader_epoch,
        isr: isr.to_vec(),
        leader_recovery_state: Recovered,
        partition_epoch: 7,
    }
}

struct OfflineRow {
    name: &'static str,
    assignment: &'static [i32],
    isr: &'static [i32],
    live: &'static [i32],
    unclean_enabled: bool,
    /// Expected (leader, new ISR, recovery state); `None` = no leader elected.
    expect: Option<(i32, &'static [i32], LeaderRecoveryState)>,
    recipients: &'static [i32],
}

/// §1.4 row "OfflinePartition": candidate = first replica in **assignment order** that is live
/// and in ISR; unclean fallback = first live replica (written RECOVERING with ISR `[leader]`);
/// new ISR = old ISR ∩ live when the leader was in it; recipients = live assigned replicas;
/// leader epoch + 1 (Election.leaderForOffline, PartitionLeaderElectionAlgorithms
/// .offlinePartitionLeaderElection, LeaderAndIsr.newRecoveringLeaderAndIsr).
#[test]
fn offline_partition_election_table() {
    let rows = [
        OfflineRow {
            name: "assignment order wins over ISR order",
            assignment: &[3, 1, 2],
            isr: &[2, 1, 3],
            live: &[1, 2],
            unclean_enabled: false,
            expect: Some((1, &[2, 1], Recovered)),
            recipients: &[1, 2],
        },
        OfflineRow {
            name: "first assigned replica live and in ISR",
            assignment: &[1, 2, 3],
            isr: &[1, 2, 3],
            live: &[1, 2, 3],
            unclean_enabled: false,
            expect: Some((1, &[1, 2, 3], Recovered)),
            recipients: &[1, 2, 3],
        },
        OfflineRow {
            name: "live replica outside the ISR is skipped for the clean choice",
            assignment: &[1, 2, 3],
            isr: &[1, 3],
            live: &[2, 3],
            unclean_enabled: true,
            expect: Some((3, &[3], Recovered)),
            recipients: &[2, 3],
        },
        OfflineRow {
            name: "no live ISR member, unclean disabled: no leader",
            assignment: &[1, 2, 3],
            isr: &[1],
            live: &[2, 3],
            unclean_enabled: false,
            expect: None,
            recipients: &[2, 3],
        },
        OfflineRow {
            name:
                "no live ISR member, unclean enabled: first live replica, RECOVERING, ISR [leader]",
            assignment: &[1, 3, 2],
            isr: &[1],
            live: &[2, 3],
            unclean_enabled: true,
            expect: Some((3, &[3], Recovering)),
            recipients: &[3, 2],
        },
        OfflineRow {
            name: "nothing live at all, unclean enabled: no leader",
            assignment: &[1, 2],
            isr: &[1, 2],
            live: &[],
            unclean_enabled: true,
            expect: None,
            recipients: &[],
        },
        OfflineRow {
            name: "ISR member that is not assigned cannot lead but stays in the new ISR if live",
            assignment: &[1, 2],
            isr: &[9, 2],
            live: &[2, 9],
            unclean_enabled: false,
            expect: Some((2, &[9, 2], Recovered)),
            recipients: &[2],
        },
    ];
    for row in rows {
        let current = state(7, 4, row.isr);
        let result = leader_for_offline(
            row.assignment,
            &current,
            live(row.live),
            row.unclean_enabled,
        );
        assert_eq!(
            result.recipients, row.recipients,
            "{}: recipients",
            row.name
        );
        match row.expect {
            None => {
                assert_eq!(result.leader_and_isr, None, "{}", row.name);
                assert!(!result.unclean, "{}", row.name);
            }
            Some((leader, isr, recovery)) => {
                let got = result.leader_and_isr.expect(row.name);
                assert_eq!(got.leader, leader, "{}: leader", row.name);
                assert_eq!(got.isr, isr, "{}: ISR", row.name);
                assert_eq!(
                    got.leader_recovery_state, recovery,
                    "{}: recovery",
                    row.name
                );
                assert_eq!(got.leader_epoch, 5, "{}: epoch bumped", row.name);
                assert_eq!(
                    result.unclean,
                    recovery == Recovering,
                    "{}: unclean",
                    row.name
                );
            }
        }
    }
}

/// A clean election keeps the previous recovery state: a partition still RECOVERING from an
/// earlier unclean election stays RECOVERING until its leader reports RECOVERED
/// (LeaderAndIsr.newLeaderAndIsr keeps leaderRecoveryState).
#[test]
fn clean_offline_election_keeps_recovering_state() {
    let mut current = state(1, 10, &[1, 2]);
    current.leader_recovery_state = Recovering;
    let result = leader_for_offline(&[1, 2], &current, live(&[2]), false);
    let got = result.leader_and_isr.expect("2 is live and in ISR");
    assert_eq!((got.leader, got.leader_epoch), (2, 11));
    assert_eq!(got.leader_recovery_state, Recovering);
    assert!(!result.unclean);
}

/// The bare offline rule reports whether the unclean fallback was used, which drives the
/// `UncleanLeaderElectionsPerSec` meter (PartitionLeaderElectionAlgorithms
/// .offlinePartitionLeaderElection).
#[test]
fn offline_rule_flags_unclean_choice() {
    assert_eq!(
        offline_partition_leader_election(&[1, 2], &[1], live(&[1, 2]), true),
        Some(OfflineLeader {
            leader: 1,
            unclean: false
        })
    );
    assert_eq!(
        offline_partition_leader_election(&[1, 2], &[1], live(&[2]), true),
        Some(OfflineLeader {
            leader: 2,
            unclean: true
        })
    );
    assert_eq!(
        offline_partition_leader_election(&[1, 2], &[1], live(&[2]), false),
        None
    );
}

/// Only partitions without a live ISR member need the topic's unclean.leader.election.enable
/// (PartitionStateMachine.collectUncleanLeaderElectionState).
#[test]
fn unclean_config_only_needed_without_live_isr() {
    assert!(has_live_in_sync_replica(&[1, 2], live(&[2])));
    assert!(!has_live_in_sync_replica(&[1, 2], live(&[3])));
    assert!(!has_live_in_sync_replica(&[], live(&[1])));
}

/// §1.4 row "Reassign": first **target** replica that is live and in ISR; ISR unchanged;
/// recipients = all target replicas; epoch + 1 (Election.leaderForReassign).
#[test]
fn reassign_election_table() {
    // (target, isr, live, expected leader)
    let rows: [ElectionRow; 4] = [
        (&[4, 5, 6], &[1, 2, 4, 5], &[1, 2, 4, 5, 6], Some(4)),
        (&[6, 5, 4], &[1, 2, 4, 5], &[1, 2, 4, 5, 6], Some(5)),
        (&[4, 5], &[1, 2, 4, 5], &[1, 2, 5], Some(5)),
        (&[4, 5], &[1, 2], &[1, 2, 4, 5], None),
    ];
    for (target, isr, live_ids, expected) in rows {
        let current = state(1, 3, isr);
        let result = leader_for_reassign(target, &current, live(live_ids));
        assert_eq!(result.recipients, target, "recipients for {target:?}");
        assert_eq!(
            result.leader_and_isr.as_ref().map(|l| l.leader),
            expected,
            "{target:?}"
        );
        if let Some(l) = result.leader_and_isr {
            assert_eq!(l.isr, isr, "ISR unchanged");
            assert_eq!(l.leader_epoch, 4);
        }
    }
}

/// §1.4 row "PreferredReplica" and §9 item 5: **only** the first assigned replica may be
/// chosen, and only if live and in ISR; ISR unchanged; recipients = all assigned replicas
/// (Election.leaderForPreferredReplica).
#[test]
fn preferred_replica_election_table() {
    // (assignment, isr, live, expected leader)
    let rows: [ElectionRow; 5] = [
        (&[2, 1, 3], &[1, 2, 3], &[1, 2, 3], Some(2)),
        (&[2, 1, 3], &[1, 3], &[1, 2, 3], None), // preferred not in ISR
        (&[2, 1, 3], &[1, 2, 3], &[1, 3], None), // preferred not live
        (&[2, 1, 3], &[1, 2, 3], &[1, 2, 3], Some(2)),
        (&[], &[1], &[1], None),
    ];
    for (assignment, isr, live_ids, expected) in rows {
        let current = state(1, 8, isr);
        let result = leader_for_preferred_replica(assignment, &current, live(live_ids));
        assert_eq!(result.recipients, assignment);
        assert_eq!(
            result.leader_and_isr.as_ref().map(|l| l.leader),
            expected,
            "{assignment:?} isr {isr:?} live {live_ids:?}"
        );
        if let Some(l) = result.leader_and_isr {
            assert_eq!(l.isr, isr, "ISR unchanged");
            assert_eq!(l.leader_epoch, 9);
        }
    }
    assert_eq!(preferred_replica(&[5, 1]), Some(5));
    assert_eq!(preferred_replica(&[]), None);
}

/// §1.4 row "ControlledShutdown" and §9 item 6: first assigned replica that is live-or-shutting-
/// down, in ISR and not shutting down; new ISR = old ISR minus **every** shutting-down broker;
/// recipients = live-or-shutting-down assigned replicas (Election.leaderForControlledShutdown).
#[test]
fn controlled_shutdown_election_table() {
    struct Row {
        assignment: &'static [i32],
        isr: &'static [i32],
        registered: &'static [i32],
        shutting_down: &'static [i32],
        expect: Option<(i32, &'static [i32])>,
        recipients: &'static [i32],
    }
    let rows = [
        Row {
            assignment: &[1, 2, 3],
            isr: &[1, 2, 3],
            registered: &[1, 2, 3],
            shutting_down: &[1],
            expect: Some((2, &[2, 3])),
            recipients: &[1, 2, 3],
        },
        Row {
            // Two brokers stopping at once: both leave the ISR, the third leads.
            assignment: &[1, 2, 3],
            isr: &[1, 2, 3],
            registered: &[1, 2, 3],
            shutting_down: &[1, 2],
            expect: Some((3, &[3])),
            recipients: &[1, 2, 3],
        },
        Row {
            // The only other ISR member is dead: no leader, partition keeps its old state.
            assignment: &[1, 2, 3],
            isr: &[1, 2],
            registered: &[1, 3],
            shutting_down: &[1],
            expect: None,
            recipients: &[1, 3],
        },
        Row {
            // Out-of-ISR replica is never chosen, even though it is live.
            assignment: &[1, 3, 2],
            isr: &[1, 2],
            registered: &[1, 2, 3],
            shutting_down: &[1],
            expect: Some((2, &[2])),
            recipients: &[1, 3, 2],
        },
    ];
    for row in rows {
        let current = state(1, 2, row.isr);
        let registered = row.registered;
        let shutting = row.shutting_down;
        let result = leader_for_controlled_shutdown(
            row.assignment,
            &current,
            |id| registered.contains(&id),
            |id| shutting.contains(&id),
        );
        assert_eq!(result.recipients, row.recipients);
        match row.expect {
            None => assert_eq!(result.leader_and_isr, None),
            Some((leader, isr)) => {
                let got = result.leader_and_isr.expect("leader expected");
                assert_eq!(
                    (got.leader, got.isr.as_slice(), got.leader_epoch),
                    (leader, isr, 3)
                );
            }
        }
    }
}

/// §9 item 6: "live" excludes brokers in controlled shutdown, so an offline election never picks
/// a shutting-down broker even when it is the only ISR member left (ControllerContext
/// .liveBrokerIds = registered − shuttingDown; Election.leaderForOffline).
#[test]
fn offline_election_skips_shutting_down_brokers() {
    let registered = [1, 2, 3];
    let shutting_down = [2];
    let is_live = |id: i32| registered.contains(&id) && !shutting_down.contains(&id);
    let current = state(NO_LEADER, 6, &[2]);
    let result = leader_for_offline(&[1, 2, 3], &current, is_live, false);
    assert_eq!(result.leader_and_isr, None);
    assert_eq!(result.recipients, vec![1, 3]);
}

/// New → Online: first live replica leads, ISR = all live assigned replicas, epoch 0,
/// RECOVERED; no live replica → stays New (PartitionStateMachine
/// .initializeLeaderAndIsrForPartitions; LeaderAndIsr.InitialLeaderEpoch).
#[test]
fn new_partition_initial_leadership() {
    assert_eq!(
        initial_leader_and_isr(&[3, 1, 2], live(&[1, 2])),
        Some(LeaderAndIsr::new(1, vec![1, 2]))
    );
    let l = initial_leader_and_isr(&[3, 1, 2], live(&[1, 2, 3])).expect("all live");
    assert_eq!(
        (l.leader, l.leader_epoch, l.isr.as_slice()),
        (3, 0, &[3, 1, 2][..])
    );
    assert_eq!(l.leader_recovery_state, Recovered);
    assert_eq!(initial_leader_and_isr(&[3, 1, 2], live(&[])), None);
}

/// §9 items 1 and 2 (ReplicaStateMachine.doRemoveReplicasFromIsr): the removed replica leaves the
/// ISR unless it is the last member; if it led, leader := -1; the leader epoch is bumped; a
/// replica not in the ISR means no write.
#[test]
fn remove_replica_from_isr_table() {
    // (replica, leader, isr) -> expected (leader, isr) or None
    let rows: [IsrRemovalRow; 6] = [
        (2, 1, &[1, 2, 3], Some((1, &[1, 3]))),
        (1, 1, &[1, 2, 3], Some((NO_LEADER, &[2, 3]))),
        // Last ISR member: kept in the ISR, leader gone.
        (1, 1, &[1], Some((NO_LEADER, &[1]))),
        // Already leaderless single-member ISR: still kept, epoch still bumped.
        (1, NO_LEADER, &[1], Some((NO_LEADER, &[1]))),
        (4, 1, &[1, 2], None),
        (3, NO_LEADER, &[3, 2], Some((NO_LEADER, &[2]))),
    ];
    for (replica, leader, isr, expected) in rows {
        let mut current = state(leader, 17, isr);
        current.leader_recovery_state = Recovering;
        let got = remove_replica_from_isr(replica, &current);
        match expected {
            None => assert_eq!(got, None, "replica {replica} not in {isr:?}"),
            Some((new_leader, new_isr)) => {
                let got = got.expect("write expected");
                assert_eq!(
                    got.leader, new_leader,
                    "leader after removing {replica} from {isr:?}"
                );
                assert_eq!(
                    got.isr, new_isr,
                    "ISR after removing {replica} from {isr:?}"
                );
                assert_eq!(
                    got.leader_epoch, 18,
                    "controller ISR removal bumps the epoch"
                );
                assert_eq!(got.leader_recovery_state, Recovering, "recovery state kept");
            }
        }
    }
}

/// §9 item 1 end to end: a partition whose in-sync replicas die one by one ends with
/// `leader=-1, isr=[lastBroker]`, one epoch bump per removal.
#[test]
fn last_isr_member_is_never_removed() {
    let mut s = state(1, 0, &[1, 2, 3]);
    for dead in [2, 3, 1] {
        s = remove_replica_from_isr(dead, &s).expect("in ISR");
    }
    assert_eq!(s, state(NO_LEADER, 3, &[1]));
    assert_eq!(isr_removal_recipients(&[1, 2, 3], 1), vec![2, 3]);
}

/// §9 item 5 (KafkaController.checkAndTriggerAutoLeaderRebalance): the ratio is per preferred
/// broker, must be strictly above `leader.imbalance.per.broker.percentage`/100, counts only
/// partitions with a state, and elects only partitions whose preferred replica is live and in
/// ISR (canPreferredReplicaBeLeader).
#[test]
fn auto_rebalance_imbalance_ratio() {
    let on_1 = state(1, 0, &[1, 2]);
    let on_2 = state(2, 0, &[1, 2]);
    let on_2_without_1 = state(2, 0, &[2]);
    // Broker 1 prefers 10 partitions; 1 is led elsewhere: ratio 0.1, not > 0.10.
    let mut parts: Vec<PartitionLeadership<'_, u32>> = (0..9)
        .map(|p| PartitionLeadership {
            partition: p,
            assignment: &[1, 2],
            leader_and_isr: Some(&on_1),
        })
        .collect();
    parts.push(PartitionLeadership {
        partition: 9,
        assignment: &[1, 2],
        leader_and_isr: Some(&on_2),
    });
    let report = leader_imbalance(parts.clone(), 10, |_, _| true);
    assert_eq!(report.len(), 1);
    assert_eq!(
        (
            report[0].broker,
            report[0].preferred_partitions,
            report[0].not_led_by_preferred
        ),
        (1, 10, 1)
    );
    assert!(report[0].to_elect.is_empty(), "0.1 is not above 10%");

    // Two of ten led elsewhere: 0.2 > 0.1 → elect, but only where 1 is live and in ISR.
    parts[8] = PartitionLeadership {
        partition: 8,
        assignment: &[1, 2],
        leader_and_isr: Some(&on_2_without_1),
    };
    let report = leader_imbalance(parts.clone(), 10, |_, _| true);
    assert_eq!(report[0].not_led_by_preferred, 2);
    assert_eq!(report[0].to_elect, vec![9]);
    // Preferred broker offline → nothing to elect even though imbalanced.
    let report = leader_imbalance(parts.clone(), 10, |_, id| id != 1);
    assert!(report[0].to_elect.is_empty());
    // A partition without a state znode counts in the denominator only.
    let mut with_new = parts;
    with_new.push(PartitionLeadership {
        partition: 10,
        assignment: &[1, 2],
        leader_and_isr: None,
    });
    let report = leader_imbalance(with_new, 10, |_, _| true);
    assert_eq!(
        (
            report[0].preferred_partitions,
            report[0].not_led_by_preferred
        ),
        (11, 2)
    );
}

/// Brokers are reported separately, keyed by the assignment head (KafkaController
/// .checkAndTriggerAutoLeaderRebalance groupBy assignedReplicas.head).
#[test]
fn auto_rebalance_groups_by_preferred_broker() {
    let led_by_2 = state(2, 0, &[1, 2, 3]);
    let parts = vec![
        PartitionLeadership {
            partition: "a",
            assignment: &[1, 2, 3],
            leader_and_isr: Some(&led_by_2),
        },
        PartitionLeadership {
            partition: "b",
            assignment: &[2, 3, 1],
            leader_and_isr: Some(&led_by_2),
        },
        PartitionLeadership {
            partition: "c",
            assignment: &[3, 1, 2],
            leader_and_isr: Some(&led_by_2),
        },
    ];
    let report = leader_imbalance(parts, 10, |_, _| true);
    let summary: Vec<(i32, f64, Vec<&str>)> = report
        .into_iter()
        .map(|b| (b.broker, b.imbalance_ratio, b.to_elect))
        .collect();
    assert_eq!(
        summary,
        vec![(1, 1.0, vec!["a"]), (2, 0.0, vec![]), (3, 1.0, vec!["c"])]
    );
}

/// ElectLeaders: PREFERRED acts only when the leader is not the preferred replica, UNCLEAN only
/// when the leader is -1 or dead; otherwise ELECTION_NOT_NEEDED (KafkaController
/// .processReplicaLeaderElection).
#[test]
fn elect_leaders_needed() {
    use ElectionType::{Preferred, Unclean};
    // (type, current leader, live brokers, needed)
    let rows: [(ElectionType, i32, &'static [i32], bool); 6] = [
        (Preferred, 1, &[1, 2], false),
        (Preferred, 2, &[1, 2], true),
        (Preferred, NO_LEADER, &[1, 2], true),
        (Unclean, 2, &[1, 2], false),
        (Unclean, 2, &[1], true),
        (Unclean, NO_LEADER, &[1, 2], true),
    ];
    for (kind, leader, live_ids, needed) in rows {
        let got = election_needed(kind, &[1, 2], leader, live(live_ids));
        assert_eq!(got, needed, "{kind:?} leader {leader} live {live_ids:?}");
    }
    assert_eq!(ElectionType::from_value(Unclean.value()), Some(Unclean));
    assert_eq!(ElectionType::from_value(0), Some(Preferred));
    assert_eq!(ElectionType::from_value(2), None);
}

/// §9 item 6 (KafkaController.doControlledShutdown, ControllerContext.partitionLeadersOnBroker):
/// RF=1 partitions, partitions without a state and topics being deleted are left alone; led
/// partitions move, followed ones get StopReplica + OfflineReplica; an RF=1 partition the broker
/// leads is not reported as remaining.
#[test]
fn controlled_shutdown_partition_selection() {
    use ControlledShutdownAction::*;
    let led = state(1, 0, &[1, 2]);
    let followed = state(2, 0, &[1, 2]);
    let solo = state(1, 0, &[1]);
    assert_eq!(
        controlled_shutdown_action(1, &[1, 2], Some(&led), false),
        MoveLeadership
    );
    assert_eq!(
        controlled_shutdown_action(1, &[1, 2], Some(&followed), false),
        StopFollower
    );
    assert_eq!(
        controlled_shutdown_action(1, &[1], Some(&solo), false),
        Untouched
    );
    assert_eq!(
        controlled_shutdown_action(1, &[1, 2], None, false),
        Untouched
    );
    assert_eq!(
        controlled_shutdown_action(1, &[1, 2], Some(&led), true),
        Untouched
    );
    assert!(still_led_by_shutting_down_broker(1, &[1, 2], &led, false));
    assert!(!still_led_by_shutting_down_broker(1, &[1], &solo, false));
    assert!(!still_led_by_shutting_down_broker(1, &[1, 2], &led, true));
    assert!(!still_led_by_shutting_down_broker(
        1,
        &[1, 2],
        &followed,
        false
    ));
}

/// Every election result keeps the input's partition epoch — the state znode version the
/// caller's conditional write expects — while bumping the leader epoch with Java int wrap-around
/// (LeaderAndIsr.newLeaderAndIsr); a first leadership starts at leader epoch 0 and partition
/// epoch 0 (`new LeaderAndIsr(leader, isr)`).
#[test]
fn results_keep_partition_epoch_for_the_conditional_write() {
    let s = state(1, 41, &[1, 2]);
    let all = live(&[1, 2]);
    let results = [
        leader_for_offline(&[1, 2], &state(3, 41, &[1, 2]), &all, false).leader_and_isr,
        leader_for_reassign(&[2, 1], &s, &all).leader_and_isr,
        leader_for_preferred_replica(&[2, 1], &s, &all).leader_and_isr,
        leader_for_controlled_shutdown(&[1, 2], &s, &all, live(&[1])).leader_and_isr,
        remove_replica_from_isr(2, &s),
    ];
    for r in results {
        let r = r.expect("each strategy elects here");
        assert_eq!((r.leader_epoch, r.partition_epoch), (42, 7), "{r}");
    }
    let first = initial_leader_and_isr(&[1, 2], &all).expect("live");
    assert_eq!(
        (first.leader_epoch, first.partition_epoch),
        (INITIAL_LEADER_EPOCH, 0)
    );
    assert_eq!(
        state(1, i32::MAX, &[1]).new_leader(1).leader_epoch,
        i32::MIN
    );
}

/// A two-broker cluster replayed through these functions reproduces, znode for znode, the state
/// a real Kafka 3.9.1 ZK-mode cluster wrote (`/brokers/topics/<t>/partitions/<p>/state` read
/// after each step; brokers 1 and 2, broker 1 the controller):
/// `e-rf2` p0 = [1,2], p1 = [2,1]; `e-rf1` p0 = [2].
///
/// 1. create → (1,e0,[1,2]) (2,e0,[2,1]) (2,e0,[2])
/// 2. kill -9 broker 2 → (1,e1,[1]) (1,e1,[1]) (-1,e1,[2])
/// 3. restart broker 2, followers catch up (leader-driven ISR growth, no epoch bump)
///    → (1,e1,[1,2]) (1,e1,[1,2]) (2,e2,[2])
/// 4. kafka-leader-election --election-type preferred → e-rf2 p1 = (2,e2,[1,2])
/// 5. SIGTERM broker 2 (controlled shutdown, then exit)
///    → (1,e2,[1]) (1,e3,[1]) (-1,e3,[2])
///
/// (KafkaController.onBrokerFailure/onBrokerStartup/doControlledShutdown driving Election and
/// ReplicaStateMachine.doRemoveReplicasFromIsr.)
#[test]
fn replays_real_kafka_two_broker_scenario() {
    struct Partition {
        assignment: Vec<i32>,
        state: LeaderAndIsr,
    }
    fn snapshot(parts: &[Partition]) -> Vec<(i32, i32, Vec<i32>)> {
        parts
            .iter()
            .map(|p| (p.state.leader, p.state.leader_epoch, p.state.isr.clone()))
            .collect()
    }
    // onBrokerFailure: elect for partitions whose leader died (and every other offline one),
    // then move the dead broker's replicas to OfflineReplica (ISR removal).
    fn broker_failure(parts: &mut [Partition], dead: i32, live: &[i32]) {
        let is_live = |id: i32| live.contains(&id);
        for p in parts.iter_mut() {
            if !p.state.leader_opt().is_some_and(is_live) {
                if let Some(s) =
                    leader_for_offline(&p.assignment, &p.state, is_live, false).leader_and_isr
                {
                    p.state = s;
                }
            }
        }
        for p in parts.iter_mut().filter(|p| p.assignment.contains(&dead)) {
            if let Some(s) = remove_replica_from_isr(dead, &p.state) {
                p.state = s;
            }
        }
    }

    let mut parts: Vec<Partition> = [vec![1, 2], vec![2, 1], vec![2]]
        .into_iter()
        .map(|assignment| {
            let state = initial_leader_and_isr(&assignment, live(&[1, 2])).expect("all live");
            Partition { assignment, state }
        })
        .collect();
    assert_eq!(
        snapshot(&parts),
        vec![(1, 0, vec![1, 2]), (2, 0, vec![2, 1]), (2, 0, vec![2])]
    );

    broker_failure(&mut parts, 2, &[1]);
    assert_eq!(
        snapshot(&parts),
        vec![(1, 1, vec![1]), (1, 1, vec![1]), (NO_LEADER, 1, vec![2])]
    );

    // onBrokerStartup: offline partitions elected again; then leaders add broker 2 back to
    // their ISR through AlterPartition, which keeps the leader epoch.
    for p in parts.iter_mut() {
        if p.state.leader_opt().is_none() {
            p.state = leader_for_offline(&p.assignment, &p.state, live(&[1, 2]), false)
                .leader_and_isr
                .expect("broker 2 is back and in the ISR");
        }
    }
    parts[0].state.isr = vec![1, 2];
    parts[1].state.isr = vec![1, 2];
    assert_eq!(
        snapshot(&parts),
        vec![(1, 1, vec![1, 2]), (1, 1, vec![1, 2]), (2, 2, vec![2])]
    );

    for p in parts.iter_mut() {
        if election_needed(
            ElectionType::Preferred,
            &p.assignment,
            p.state.leader,
            live(&[1, 2]),
        ) {
            p.state = leader_for_preferred_replica(&p.assignment, &p.state, live(&[1, 2]))
                .leader_and_isr
                .expect("preferred replica is live and in ISR");
        }
    }
    assert_eq!(snapshot(&parts)[1], (2, 2, vec![1, 2]));

    for p in parts.iter_mut() {
        match controlled_shutdown_action(2, &p.assignment, Some(&p.state), false) {
            ControlledShutdownAction::MoveLeadership => {
                p.state = leader_for_controlled_shutdown(
                    &p.assignment,
                    &p.state,
                    live(&[1, 2]),
                    live(&[2]),
                )
                .leader_and_isr
                .expect("broker 1 is in the ISR");
            }
            ControlledShutdownAction::StopFollower => {
                p.state = remove_replica_from_isr(2, &p.state).expect("2 is in the ISR");
            }
            ControlledShutdownAction::Untouched => {}
        }
    }
    assert_eq!(
        snapshot(&parts)[2],
        (2, 2, vec![2]),
        "RF=1 untouched by controlled shutdown"
    );
    broker_failure(&mut parts, 2, &[1]);
    assert_eq!(
        snapshot(&parts),
        vec![(1, 2, vec![1]), (1, 3, vec![1]), (NO_LEADER, 3, vec![2])]
    );
}

/// Continuation of the real two-broker run above: with broker 2 down, broker 1 is killed; broker
/// 2 restarts alone and becomes controller. Kafka 3.9.1 wrote, for `e-rf2` p0 / p1 / `e-rf1` p0:
/// failover → (-1,e3,[1]) (-1,e4,[1]) (2,e4,[2]) — no live ISR member and unclean disabled, so
/// the dead broker stays the last ISR member; then `unclean.leader.election.enable=true` on
/// `e-rf2` → (2,e4,[2]) and (2,e5,[2]) with `"leader_recovery_state":1` (RECOVERING)
/// (Election.leaderForOffline; KafkaController.processTopicUncleanLeaderElectionEnable).
#[test]
fn replays_real_kafka_unclean_election() {
    let mut states = [
        state(1, 2, &[1]),
        state(1, 3, &[1]),
        state(NO_LEADER, 3, &[2]),
    ];
    let assignments: [&[i32]; 3] = [&[1, 2], &[2, 1], &[2]];
    let only_2 = live(&[2]);
    // Controller failover on broker 2: elect offline partitions (clean only), then broker 1's
    // replicas go OfflineReplica.
    for (s, a) in states.iter_mut().zip(assignments) {
        if let Some(new) = leader_for_offline(a, s, &only_2, false).leader_and_isr {
            *s = new;
        }
        if let Some(new) = remove_replica_from_isr(1, s) {
            *s = new;
        }
    }
    assert_eq!(
        states,
        [
            state(NO_LEADER, 3, &[1]),
            state(NO_LEADER, 4, &[1]),
            state(2, 4, &[2])
        ]
    );
    // The topic override enables unclean election for e-rf2 only.
    for (s, a) in states.iter_mut().zip(assignments).take(2) {
        assert!(!has_live_in_sync_replica(&s.isr, &only_2));
        let result = leader_for_offline(a, s, &only_2, true);
        assert!(result.unclean);
        *s = result.leader_and_isr.expect("broker 2 is live");
    }
    let mut recovering_0 = state(2, 4, &[2]);
    recovering_0.leader_recovery_state = Recovering;
    let mut recovering_1 = state(2, 5, &[2]);
    recovering_1.leader_recovery_state = Recovering;
    assert_eq!(states, [recovering_0, recovering_1, state(2, 4, &[2])]);
}
