//! Kafka's replica assignment: which brokers host each partition of a new topic.
//!
//! Goals (AdminUtils javadoc): spread replicas evenly over brokers; for the partitions a broker
//! leads, spread their followers over the other brokers; if every broker has a rack, put each
//! partition's replicas on distinct racks when possible.
//!
//! **Rack-unaware.** The first replica of partition `p` is broker `(p + startIndex) % n`; the
//! others follow at increasing offsets `1 + (shift + j) % (n - 1)`, and `shift` grows by one each
//! time `p` wraps past a multiple of `n`, so successive rounds do not repeat the same follower
//! sequences. `startIndex` and `shift` are random unless fixed (CreatePartitions fixes both).
//!
//! **Rack-aware.** The same walk over a rack-alternated broker list (racks sorted by name,
//! brokers by id, one per rack in turn), skipping a candidate whose rack already has a replica
//! while some rack has none, or which already holds one while some broker has none.
//!
//! Results are identical to Kafka 3.9's for the same start index, shift and broker order; the
//! tests pin outputs printed by Kafka 3.9.1's `AdminUtils` itself.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;

use super::AdminError;

/// A broker as replica assignment sees it.
// Kafka: org.apache.kafka.admin.BrokerMetadata
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerMetadata {
    /// `broker.id`.
    pub id: i32,
    /// `broker.rack`, if set.
    pub rack: Option<String>,
}

impl BrokerMetadata {
    /// A broker without rack.
    pub fn new(id: i32) -> Self {
        BrokerMetadata { id, rack: None }
    }

    /// A broker with a rack.
    pub fn with_rack(id: i32, rack: impl Into<String>) -> Self {
        BrokerMetadata {
            id,
            rack: Some(rack.into()),
        }
    }
}

/// Where the round-robin starts: Kafka draws both at random in `[0, n)` unless a fixed start
/// index is given, in which case both equal it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentStart {
    /// Index (in the broker list) of partition 0's first replica.
    pub start_index: usize,
    /// Initial offset of the second replica from the first.
    pub next_replica_shift: usize,
}

impl AssignmentStart {
    /// Kafka's `fixedStartIndex`: start index and shift both set to `index`.
    pub fn fixed(index: usize) -> Self {
        AssignmentStart {
            start_index: index,
            next_replica_shift: index,
        }
    }

    /// Kafka's default: independent uniform draws in `[0, n_brokers)`.
    pub fn random(n_brokers: usize, rng: &mut impl Rng) -> Self {
        let n = n_brokers.max(1);
        AssignmentStart {
            start_index: rng.gen_range(0..n),
            next_replica_shift: rng.gen_range(0..n),
        }
    }
}

/// How the CLI path treats racks when only some brokers have one.
// Kafka: kafka.admin.RackAwareMode
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RackAwareMode {
    /// Fail if some but not all brokers have a rack (the default).
    Enforced,
    /// Ignore racks if some broker lacks one.
    Safe,
    /// Ignore racks.
    Disabled,
}

/// The broker list used by CreatePartitions and the admin tools: racks applied per `mode`, then
/// **sorted by broker id**. (CreateTopics instead passes the metadata cache's live brokers with
/// their racks unchanged.)
// Kafka: AdminZkClient.getBrokerMetadatas
pub fn broker_metadatas(
    mode: RackAwareMode,
    brokers: &[BrokerMetadata],
) -> Result<Vec<BrokerMetadata>, AdminError> {
    let with_rack = brokers.iter().filter(|b| b.rack.is_some()).count();
    let partial = with_rack > 0 && with_rack < brokers.len();
    if mode == RackAwareMode::Enforced && partial {
        return Err(AdminError::AdminOperation(
            "Not all brokers have rack information. Add --disable-rack-aware in command line \
             to make replica assignment without rack information."
                .to_string(),
        ));
    }
    let drop_racks = mode == RackAwareMode::Disabled || (mode == RackAwareMode::Safe && partial);
    let mut out: Vec<BrokerMetadata> = brokers
        .iter()
        .map(|b| BrokerMetadata {
            id: b.id,
            rack: if drop_racks { None } else { b.rack.clone() },
        })
        .collect();
    out.sort_by_key(|b| b.id);
    Ok(out)
}

/// Assigns replicas with a random start index and shift, as CreateTopics and auto-creation do.
/// Returns partition id → replicas (the first replica is the preferred leader).
// Kafka: AdminUtils.assignReplicasToBrokers(brokers, nPartitions, replicationFactor)
pub fn assign_replicas_to_brokers(
    brokers: &[BrokerMetadata],
    n_partitions: i32,
    replication_factor: i32,
) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
    let start = AssignmentStart::random(brokers.len(), &mut rand::thread_rng());
    assign_replicas_to_brokers_with(brokers, n_partitions, replication_factor, start, 0)
}

/// Assigns replicas from a given start, numbering partitions from `start_partition_id`
/// (negative means 0, as in Kafka).
///
/// Errors, checked in Kafka's order: partitions ≤ 0 (INVALID_PARTITIONS), replication factor ≤ 0
/// or above the broker count (INVALID_REPLICATION_FACTOR), some but not all brokers with a rack
/// (`AdminOperationException`, UNKNOWN_SERVER_ERROR on the wire).
// Kafka: AdminUtils.assignReplicasToBrokers(..., fixedStartIndex, startPartitionId)
pub fn assign_replicas_to_brokers_with(
    brokers: &[BrokerMetadata],
    n_partitions: i32,
    replication_factor: i32,
    start: AssignmentStart,
    start_partition_id: i32,
) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
    if n_partitions <= 0 {
        return Err(AdminError::InvalidPartitions(
            "Number of partitions must be larger than 0.".to_string(),
        ));
    }
    if replication_factor <= 0 {
        return Err(AdminError::InvalidReplicationFactor(
            "Replication factor must be larger than 0.".to_string(),
        ));
    }
    let rf = usize::try_from(replication_factor).unwrap_or(usize::MAX);
    if rf > brokers.len() {
        return Err(AdminError::InvalidReplicationFactor(format!(
            "Replication factor: {replication_factor} larger than available brokers: {}.",
            brokers.len()
        )));
    }
    let with_rack = brokers.iter().filter(|b| b.rack.is_some()).count();
    let first_partition = start_partition_id.max(0);
    if with_rack == 0 {
        let ids: Vec<i32> = brokers.iter().map(|b| b.id).collect();
        Ok(assign_rack_unaware(
            n_partitions,
            rf,
            &ids,
            start,
            first_partition,
        ))
    } else if with_rack < brokers.len() {
        Err(AdminError::AdminOperation(
            "Not all brokers have rack information for replica rack aware assignment.".to_string(),
        ))
    } else {
        assign_rack_aware(n_partitions, rf, brokers, start, first_partition)
    }
}

// Kafka: AdminUtils.assignReplicasToBrokersRackUnaware
fn assign_rack_unaware(
    n_partitions: i32,
    rf: usize,
    brokers: &[i32],
    start: AssignmentStart,
    first_partition: i32,
) -> BTreeMap<i32, Vec<i32>> {
    let n = brokers.len();
    let mut shift = start.next_replica_shift;
    let mut out = BTreeMap::new();
    for partition in (0..n_partitions).map(|i| first_partition.saturating_add(i)) {
        let p = partition as usize; // first_partition >= 0, so this is exact.
        if p > 0 && p.is_multiple_of(n) {
            shift += 1;
        }
        let first = (p + start.start_index) % n;
        let mut replicas = Vec::with_capacity(rf);
        replicas.push(brokers[first]);
        for j in 0..rf - 1 {
            replicas.push(brokers[replica_index(first, shift, j, n)]);
        }
        out.insert(partition, replicas);
    }
    out
}

// Kafka: AdminUtils.assignReplicasToBrokersRackAware
fn assign_rack_aware(
    n_partitions: i32,
    rf: usize,
    brokers: &[BrokerMetadata],
    start: AssignmentStart,
    first_partition: i32,
) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
    let rack_of: BTreeMap<i32, &str> = brokers
        .iter()
        .map(|b| (b.id, b.rack.as_deref().unwrap_or_default()))
        .collect();
    let num_racks = rack_of.values().collect::<BTreeSet<_>>().len();
    let arranged = rack_alternated_broker_list(brokers);
    let n = arranged.len();
    let mut shift = start.next_replica_shift;
    let mut out = BTreeMap::new();
    for partition in (0..n_partitions).map(|i| first_partition.saturating_add(i)) {
        let p = partition as usize;
        if p > 0 && p.is_multiple_of(n) {
            shift += 1;
        }
        let first = (p + start.start_index) % n;
        let leader = arranged[first];
        let mut replicas = vec![leader];
        let mut racks_with_replicas: BTreeSet<&str> = BTreeSet::from([rack_of[&leader]]);
        let mut brokers_with_replicas: BTreeSet<i32> = BTreeSet::from([leader]);
        let mut k = 0usize;
        for _ in 0..rf - 1 {
            // Each search visits at most n - 1 distinct candidates before one qualifies (a rack
            // without a replica always has a broker without one); the bound only guards the
            // loop against a logic error.
            let limit = k + 2 * n;
            loop {
                if k >= limit {
                    return Err(AdminError::AdminOperation(format!(
                        "Rack-aware assignment found no eligible broker for partition {partition}."
                    )));
                }
                let broker = arranged[replica_index(first, shift * num_racks, k, n)];
                let rack = rack_of[&broker];
                k += 1;
                let rack_ok =
                    !racks_with_replicas.contains(rack) || racks_with_replicas.len() == num_racks;
                let broker_ok =
                    !brokers_with_replicas.contains(&broker) || brokers_with_replicas.len() == n;
                if rack_ok && broker_ok {
                    replicas.push(broker);
                    racks_with_replicas.insert(rack);
                    brokers_with_replicas.insert(broker);
                    break;
                }
            }
        }
        out.insert(partition, replicas);
    }
    Ok(out)
}

/// The brokers ordered rack by rack: racks sorted by name (Java string order), brokers within a
/// rack by id, taking one from each rack in turn. Rack `rack1: 0,1,2`, `rack2: 3,4,5`,
/// `rack3: 6,7,8` gives `0,3,6,1,4,7,2,5,8`. Brokers without a rack count as rack `""`.
// Kafka: AdminUtils.getRackAlternatedBrokerList
pub fn rack_alternated_broker_list(brokers: &[BrokerMetadata]) -> Vec<i32> {
    let mut by_rack: BTreeMap<Vec<u16>, Vec<i32>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for b in brokers {
        // Kafka builds a Map<id, rack>, so a duplicated id counts once.
        if seen.insert(b.id) {
            let key = b
                .rack
                .as_deref()
                .unwrap_or_default()
                .encode_utf16()
                .collect();
            by_rack.entry(key).or_default().push(b.id);
        }
    }
    let mut racks: Vec<std::vec::IntoIter<i32>> = by_rack
        .into_values()
        .map(|mut ids| {
            ids.sort_unstable();
            ids.into_iter()
        })
        .collect();
    let mut result = Vec::with_capacity(seen.len());
    let mut rack_index = 0;
    while result.len() < seen.len() {
        if let Some(id) = racks[rack_index].next() {
            result.push(id);
        }
        rack_index = (rack_index + 1) % racks.len();
    }
    result
}

/// Index of replica `j` (0-based after the first) given the first replica's index and the shift.
// Kafka: AdminUtils.replicaIndex
fn replica_index(first: usize, shift: usize, j: usize, n: usize) -> usize {
    // n >= 2 whenever a second replica is requested (rf <= n), so n - 1 >= 1.
    let offset = 1 + (shift + j) % (n - 1).max(1);
    (first + offset) % n
}

#[cfg(test)]
mod tests;
