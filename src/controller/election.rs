//! Leader election as pure functions: who leads, which ISR is written, who is told.
//!
//! The controller calls these with what it read from ZooKeeper (the partition's assignment and
//! its current [`LeaderAndIsr`] from the state znode) and what it knows about brokers (a liveness
//! predicate), then writes the returned `LeaderAndIsr` conditionally on the state znode's version
//! (the returned value keeps the input's `partition_epoch`, which is that expected version) and
//! sends LeaderAndIsr to the returned recipients. Nothing here does I/O.
//!
//! Liveness is a predicate `is_online(replica)` rather than a set because Kafka's
//! `ControllerContext.isReplicaOnline` is per partition: a replica on an offline log dir is not
//! online even though its broker is live. "Live" **excludes brokers in controlled shutdown**
//! (`liveBrokerIds = registered − shuttingDown`); only the controlled-shutdown strategy takes a
//! live-or-shutting-down predicate.
//!
//! | strategy | candidate | new ISR | LeaderAndIsr recipients |
//! |---|---|---|---|
//! | [offline](leader_for_offline) | first assigned replica that is live and in ISR; unclean: first live assigned replica | leader in old ISR: old ISR ∩ live; else `[leader]` | live assigned replicas |
//! | [reassign](leader_for_reassign) | first target replica that is live and in ISR | unchanged | target replicas |
//! | [preferred](leader_for_preferred_replica) | only the first assigned replica, if live and in ISR | unchanged | assigned replicas |
//! | [controlled shutdown](leader_for_controlled_shutdown) | first assigned replica live-or-shutting-down, in ISR, not shutting down | old ISR − shutting down | live-or-shutting-down assigned replicas |
//!
//! Every election bumps the leader epoch by one. (Kafka: Election.scala,
//! PartitionStateMachine.scala `PartitionLeaderElectionAlgorithms`; semantics spec §1.4.)
//!
//! The tests replay a real two-broker Kafka 3.9.1 cluster (broker kill, restart, preferred
//! election, controlled shutdown, controller failover, unclean election) and match every state
//! znode it wrote.

use std::collections::BTreeMap;

pub use crate::cluster::{LeaderAndIsr, LeaderRecoveryState};

/// The `leader` value meaning "no leader" (`LeaderAndIsr.NoLeader`).
pub const NO_LEADER: i32 = LeaderAndIsr::NO_LEADER;

/// The leader epoch written when a partition first gets a leader (`LeaderAndIsr.InitialLeaderEpoch`).
pub const INITIAL_LEADER_EPOCH: i32 = LeaderAndIsr::INITIAL_LEADER_EPOCH;

// ---------------------------------------------------------------------------------------------
// PartitionLeaderElectionAlgorithms: the candidate rules alone.
// ---------------------------------------------------------------------------------------------

/// The leader chosen for an offline partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineLeader {
    /// The chosen broker.
    pub leader: i32,
    /// True when no live ISR member existed and the unclean fallback chose a replica outside the
    /// ISR (Kafka marks `UncleanLeaderElectionsPerSec`).
    pub unclean: bool,
}

/// Offline rule: the first replica **in assignment order** that is live and in the ISR; failing
/// that, if unclean election is enabled, the first live replica in assignment order.
// Kafka: PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection
pub fn offline_partition_leader_election(
    assignment: &[i32],
    isr: &[i32],
    is_online: impl Fn(i32) -> bool,
    unclean_leader_election_enabled: bool,
) -> Option<OfflineLeader> {
    if let Some(&leader) = assignment
        .iter()
        .find(|&&id| is_online(id) && isr.contains(&id))
    {
        return Some(OfflineLeader {
            leader,
            unclean: false,
        });
    }
    if !unclean_leader_election_enabled {
        return None;
    }
    assignment
        .iter()
        .find(|&&id| is_online(id))
        .map(|&leader| OfflineLeader {
            leader,
            unclean: true,
        })
}

/// Reassignment rule: the first **target** replica that is live and in the ISR.
// Kafka: PartitionLeaderElectionAlgorithms.reassignPartitionLeaderElection
pub fn reassign_partition_leader_election(
    reassignment: &[i32],
    isr: &[i32],
    is_online: impl Fn(i32) -> bool,
) -> Option<i32> {
    reassignment
        .iter()
        .copied()
        .find(|&id| is_online(id) && isr.contains(&id))
}

/// Preferred rule: **only** the first assigned replica, and only if it is live and in the ISR.
// Kafka: PartitionLeaderElectionAlgorithms.preferredReplicaPartitionLeaderElection
pub fn preferred_replica_partition_leader_election(
    assignment: &[i32],
    isr: &[i32],
    is_online: impl Fn(i32) -> bool,
) -> Option<i32> {
    assignment
        .first()
        .copied()
        .filter(|&id| is_online(id) && isr.contains(&id))
}

/// Controlled-shutdown rule: the first assigned replica that is live-or-shutting-down, in the
/// ISR, and not itself shutting down.
// Kafka: PartitionLeaderElectionAlgorithms.controlledShutdownPartitionLeaderElection
pub fn controlled_shutdown_partition_leader_election(
    assignment: &[i32],
    isr: &[i32],
    is_online_or_shutting_down: impl Fn(i32) -> bool,
    is_shutting_down: impl Fn(i32) -> bool,
) -> Option<i32> {
    assignment
        .iter()
        .copied()
        .find(|&id| is_online_or_shutting_down(id) && isr.contains(&id) && !is_shutting_down(id))
}

/// True when some ISR member is online. Only partitions with **no** live ISR member need the
/// topic's effective `unclean.leader.election.enable` (topic override over the broker default,
/// default `false`); the controller reads that config only for them.
// Kafka: PartitionStateMachine.collectUncleanLeaderElectionState
pub fn has_live_in_sync_replica(isr: &[i32], is_online: impl Fn(i32) -> bool) -> bool {
    isr.iter().any(|&id| is_online(id))
}

// ---------------------------------------------------------------------------------------------
// Election.scala: candidate + new ISR + recipients.
// ---------------------------------------------------------------------------------------------

/// The outcome of one partition's election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionResult {
    /// What to write to the state znode, or `None` when no candidate qualified (the partition
    /// stays where it is and the failure is logged; ElectLeaders maps it to
    /// PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE).
    pub leader_and_isr: Option<LeaderAndIsr>,
    /// Brokers that get LeaderAndIsr (isNew=false) once the write succeeds.
    pub recipients: Vec<i32>,
    /// True when the leader came from outside the ISR (written as RECOVERING).
    pub unclean: bool,
}

/// Offline partition election (broker failure, controller startup, unclean ElectLeaders).
///
/// New ISR: the old ISR filtered to online replicas if the leader was in it; otherwise `[leader]`
/// written as RECOVERING (IBP ≥ 3.2, always true at IBP 3.9). Recipients: the live assigned
/// replicas.
// Kafka: Election.leaderForOffline
pub fn leader_for_offline(
    assignment: &[i32],
    current: &LeaderAndIsr,
    is_online: impl Fn(i32) -> bool,
    unclean_leader_election_enabled: bool,
) -> ElectionResult {
    let recipients: Vec<i32> = assignment
        .iter()
        .copied()
        .filter(|&id| is_online(id))
        .collect();
    let isr = &current.isr;
    let chosen = offline_partition_leader_election(
        assignment,
        isr,
        &is_online,
        unclean_leader_election_enabled,
    );
    let Some(OfflineLeader { leader, .. }) = chosen else {
        return ElectionResult {
            leader_and_isr: None,
            recipients,
            unclean: false,
        };
    };
    // Kafka decides RECOVERING by "leader not in the old ISR", which is exactly the unclean case.
    let leader_in_isr = isr.contains(&leader);
    let leader_and_isr = if leader_in_isr {
        let new_isr = isr.iter().copied().filter(|&id| is_online(id)).collect();
        current.new_leader_and_isr(leader, new_isr)
    } else {
        current.new_recovering_leader_and_isr(leader, vec![leader])
    };
    ElectionResult {
        leader_and_isr: Some(leader_and_isr),
        recipients,
        unclean: !leader_in_isr,
    }
}

/// Reassignment election: a leader from the target replicas; ISR unchanged; recipients are all
/// target replicas.
// Kafka: Election.leaderForReassign
pub fn leader_for_reassign(
    target_replicas: &[i32],
    current: &LeaderAndIsr,
    is_online: impl Fn(i32) -> bool,
) -> ElectionResult {
    let leader = reassign_partition_leader_election(target_replicas, &current.isr, is_online);
    ElectionResult {
        leader_and_isr: leader.map(|l| current.new_leader(l)),
        recipients: target_replicas.to_vec(),
        unclean: false,
    }
}

/// Preferred-replica election (auto-rebalance, ElectLeaders PREFERRED, the
/// `/admin/preferred_replica_election` znode): ISR unchanged; recipients are all assigned
/// replicas.
// Kafka: Election.leaderForPreferredReplica
pub fn leader_for_preferred_replica(
    assignment: &[i32],
    current: &LeaderAndIsr,
    is_online: impl Fn(i32) -> bool,
) -> ElectionResult {
    let leader = preferred_replica_partition_leader_election(assignment, &current.isr, is_online);
    ElectionResult {
        leader_and_isr: leader.map(|l| current.new_leader(l)),
        recipients: assignment.to_vec(),
        unclean: false,
    }
}

/// Controlled-shutdown election: moves leadership off shutting-down brokers and drops **all**
/// shutting-down brokers from the ISR. Recipients: the live-or-shutting-down assigned replicas
/// (the stopping broker still hears that it lost leadership).
// Kafka: Election.leaderForControlledShutdown
pub fn leader_for_controlled_shutdown(
    assignment: &[i32],
    current: &LeaderAndIsr,
    is_online_or_shutting_down: impl Fn(i32) -> bool,
    is_shutting_down: impl Fn(i32) -> bool,
) -> ElectionResult {
    let recipients: Vec<i32> = assignment
        .iter()
        .copied()
        .filter(|&id| is_online_or_shutting_down(id))
        .collect();
    let leader = controlled_shutdown_partition_leader_election(
        assignment,
        &current.isr,
        &is_online_or_shutting_down,
        &is_shutting_down,
    );
    let new_isr: Vec<i32> = current
        .isr
        .iter()
        .copied()
        .filter(|&id| !is_shutting_down(id))
        .collect();
    ElectionResult {
        leader_and_isr: leader.map(|l| current.new_leader_and_isr(l, new_isr)),
        recipients,
        unclean: false,
    }
}

/// New → Online: the first live replica in assignment order leads, the ISR is every live
/// assigned replica, epoch [`INITIAL_LEADER_EPOCH`]. The state znode is created (create-only) and
/// LeaderAndIsr (isNew=true) goes to the ISR members. `None` when no assigned replica is live:
/// the partition stays New.
// Kafka: PartitionStateMachine.initializeLeaderAndIsrForPartitions
pub fn initial_leader_and_isr(
    assignment: &[i32],
    is_online: impl Fn(i32) -> bool,
) -> Option<LeaderAndIsr> {
    let live: Vec<i32> = assignment
        .iter()
        .copied()
        .filter(|&id| is_online(id))
        .collect();
    let leader = *live.first()?;
    Some(LeaderAndIsr::new(leader, live))
}

// ---------------------------------------------------------------------------------------------
// ReplicaStateMachine: controller-driven ISR removal (→ OfflineReplica).
// ---------------------------------------------------------------------------------------------

/// Removes `replica_id` from the ISR when its replica goes offline. Returns `None` when the
/// replica is not in the ISR (nothing to write; the caller still sends the current state).
///
/// - If it led, the leader becomes [`NO_LEADER`].
/// - The ISR is **never emptied**: a one-member ISR is kept as is, so a partition whose last
///   in-sync replica died reads `leader=-1, isr=[thatBroker]` until it returns.
/// - The leader epoch is bumped (`newLeaderAndIsr`), unlike leader-driven AlterPartition changes.
///
/// LeaderAndIsr then goes to the assigned replicas other than `replica_id`
/// ([`isr_removal_recipients`]), unless the topic is being deleted.
// Kafka: ReplicaStateMachine.doRemoveReplicasFromIsr
pub fn remove_replica_from_isr(replica_id: i32, current: &LeaderAndIsr) -> Option<LeaderAndIsr> {
    if !current.isr.contains(&replica_id) {
        return None;
    }
    let new_leader = if current.leader == replica_id {
        NO_LEADER
    } else {
        current.leader
    };
    let new_isr = if current.isr.len() == 1 {
        current.isr.clone()
    } else {
        current
            .isr
            .iter()
            .copied()
            .filter(|&id| id != replica_id)
            .collect()
    };
    Some(current.new_leader_and_isr(new_leader, new_isr))
}

/// Recipients of LeaderAndIsr after removing `replica_id` from the ISR: the assigned replicas
/// other than it.
// Kafka: ReplicaStateMachine.doHandleStateChanges (OfflineReplica branch)
pub fn isr_removal_recipients(assignment: &[i32], replica_id: i32) -> Vec<i32> {
    assignment
        .iter()
        .copied()
        .filter(|&id| id != replica_id)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Preferred leaders, auto-rebalance, controlled shutdown selection.
// ---------------------------------------------------------------------------------------------

/// The preferred replica: the first replica of the assignment.
// Kafka: KafkaController.checkAndTriggerAutoLeaderRebalance (assignedReplicas.head)
pub fn preferred_replica(assignment: &[i32]) -> Option<i32> {
    assignment.first().copied()
}

/// What the leader-imbalance check found for one preferred broker.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerImbalance<K> {
    /// The broker that is the preferred replica of these partitions.
    pub broker: i32,
    /// Partitions (not being deleted) whose preferred replica is `broker`.
    pub preferred_partitions: usize,
    /// Of those, the ones with a leader that is not `broker` (partitions without a state are
    /// not counted).
    pub not_led_by_preferred: usize,
    /// `not_led_by_preferred / preferred_partitions`.
    pub imbalance_ratio: f64,
    /// Partitions to run a PREFERRED election for: empty unless the ratio exceeds
    /// `leader.imbalance.per.broker.percentage / 100`; only partitions whose preferred replica
    /// is online and in the ISR.
    pub to_elect: Vec<K>,
}

/// One partition as the auto-rebalance check sees it.
#[derive(Debug, Clone)]
pub struct PartitionLeadership<'a, K> {
    /// The caller's partition key (e.g. a `TopicPartition`).
    pub partition: K,
    /// The assignment; its head is the preferred replica.
    pub assignment: &'a [i32],
    /// The current state, if the partition has a state znode.
    pub leader_and_isr: Option<&'a LeaderAndIsr>,
}

/// The per-broker leader-imbalance check run every `leader.imbalance.check.interval.seconds`
/// (300; first run 5 s after failover) when `auto.leader.rebalance.enable` (true). The caller
/// passes only partitions of topics not queued for deletion. Ratios compare in `f64` exactly as
/// Kafka's `Double`s do, so 1/10 is **not** above 10 %.
// Kafka: KafkaController.checkAndTriggerAutoLeaderRebalance, canPreferredReplicaBeLeader
pub fn leader_imbalance<'a, K: Clone>(
    partitions: impl IntoIterator<Item = PartitionLeadership<'a, K>>,
    leader_imbalance_per_broker_percentage: i32,
    is_online: impl Fn(&K, i32) -> bool,
) -> Vec<BrokerImbalance<K>> {
    let mut by_broker: BTreeMap<i32, Vec<PartitionLeadership<'a, K>>> = BTreeMap::new();
    for p in partitions {
        if let Some(preferred) = preferred_replica(p.assignment) {
            by_broker.entry(preferred).or_default().push(p);
        }
    }
    let threshold = f64::from(leader_imbalance_per_broker_percentage) / 100.0;
    by_broker
        .into_iter()
        .map(|(broker, parts)| {
            let not_led: Vec<&PartitionLeadership<'a, K>> = parts
                .iter()
                .filter(|p| p.leader_and_isr.is_some_and(|l| l.leader != broker))
                .collect();
            let ratio = not_led.len() as f64 / parts.len() as f64;
            let to_elect = if ratio > threshold {
                not_led
                    .iter()
                    .filter(|p| {
                        p.leader_and_isr.is_some_and(|l| {
                            preferred_replica_partition_leader_election(
                                p.assignment,
                                &l.isr,
                                |id| is_online(&p.partition, id),
                            )
                            .is_some()
                        })
                    })
                    .map(|p| p.partition.clone())
                    .collect()
            } else {
                Vec::new()
            };
            BrokerImbalance {
                broker,
                preferred_partitions: parts.len(),
                not_led_by_preferred: not_led.len(),
                imbalance_ratio: ratio,
                to_elect,
            }
        })
        .collect()
}

/// Whether an ElectLeaders request needs to act on a partition; `false` answers
/// ELECTION_NOT_NEEDED. PREFERRED: the leader is not the preferred replica. UNCLEAN: the leader
/// is [`NO_LEADER`] or not a live broker.
// Kafka: KafkaController.processReplicaLeaderElection (electablePartitions)
pub fn election_needed(
    election_type: ElectionType,
    assignment: &[i32],
    current_leader: i32,
    is_live_broker: impl Fn(i32) -> bool,
) -> bool {
    match election_type {
        ElectionType::Preferred => preferred_replica(assignment) != Some(current_leader),
        ElectionType::Unclean => current_leader == NO_LEADER || !is_live_broker(current_leader),
    }
}

/// ElectLeaders election types (wire values 0 and 1).
// Kafka: org.apache.kafka.common.ElectionType
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionType {
    /// Move leadership back to the preferred replica.
    Preferred,
    /// Elect a leader for a leaderless partition, even from outside the ISR.
    Unclean,
}

impl ElectionType {
    /// The wire value (ElectLeaders v1+ `ElectionType`).
    pub fn value(self) -> i8 {
        match self {
            ElectionType::Preferred => 0,
            ElectionType::Unclean => 1,
        }
    }

    /// The election type for a wire value; `None` for values Kafka rejects.
    // Kafka: ElectionType.valueOf(byte)
    pub fn from_value(value: i8) -> Option<Self> {
        match value {
            0 => Some(ElectionType::Preferred),
            1 => Some(ElectionType::Unclean),
            _ => None,
        }
    }
}

/// What controlled shutdown of a broker does to one partition it hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlledShutdownAction {
    /// The broker leads it: elect with [`leader_for_controlled_shutdown`].
    MoveLeadership,
    /// The broker follows it: StopReplica(delete=false) to the broker, then OfflineReplica
    /// (ISR removal in ZK, LeaderAndIsr to the leader).
    StopFollower,
    /// Left alone: RF 1, no state znode, or topic queued for deletion. An RF=1 partition keeps
    /// its leader until the process exits.
    Untouched,
}

/// Classifies one partition hosted by `broker_id` during its controlled shutdown.
// Kafka: KafkaController.doControlledShutdown (partitionsToActOn)
pub fn controlled_shutdown_action(
    broker_id: i32,
    assignment: &[i32],
    current: Option<&LeaderAndIsr>,
    topic_queued_for_deletion: bool,
) -> ControlledShutdownAction {
    match current {
        Some(l) if assignment.len() > 1 && !topic_queued_for_deletion => {
            if l.leader == broker_id {
                ControlledShutdownAction::MoveLeadership
            } else {
                ControlledShutdownAction::StopFollower
            }
        }
        _ => ControlledShutdownAction::Untouched,
    }
}

/// Whether a partition still counts as led by `broker_id` in the ControlledShutdown reply
/// (`remainingPartitions`): led by it, RF > 1, topic not queued for deletion.
// Kafka: ControllerContext.partitionLeadersOnBroker
pub fn still_led_by_shutting_down_broker(
    broker_id: i32,
    assignment: &[i32],
    current: &LeaderAndIsr,
    topic_queued_for_deletion: bool,
) -> bool {
    !topic_queued_for_deletion && current.leader == broker_id && assignment.len() > 1
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
