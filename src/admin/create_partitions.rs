//! The replica assignment for partitions added to an existing topic (CreatePartitions,
//! `kafka-topics --alter --partitions`).
//!
//! Unlike topic creation this is deterministic: the round-robin continues from partition 0's
//! first replica (start index = position of the first broker whose id ≥ it, shift = the same),
//! numbering from the current partition count, with partition 0's replication factor.

use std::collections::{BTreeMap, BTreeSet};

use super::assignment_validation::validate_replica_assignment;
use super::replica_assignment::{assign_replicas_to_brokers_with, AssignmentStart, BrokerMetadata};
use super::{join_ids, AdminError};

/// The assignment of the **new** partitions only (ids `existing.len()..new_count`).
///
/// - `existing`: the topic's current assignment (empty → UNKNOWN_TOPIC_OR_PARTITION; the caller
///   rejects topics being reassigned with REASSIGNMENT_IN_PROGRESS before calling).
/// - `all_brokers`: registered brokers as [`broker_metadatas`](super::broker_metadatas) returns
///   them for `RackAwareMode::Enforced` (sorted by id).
/// - `explicit`: the request's `assignments`, one broker list per new partition, or `None`.
// Kafka: ZkAdminManager.createPartitions (request checks), AdminZkClient.createNewPartitionsAssignment
pub fn assign_new_partitions(
    topic: &str,
    existing: &BTreeMap<i32, Vec<i32>>,
    all_brokers: &[BrokerMetadata],
    new_count: i32,
    explicit: Option<&[Vec<i32>]>,
) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
    if existing.is_empty() {
        return Err(AdminError::UnknownTopicOrPartition(format!(
            "The topic '{topic}' does not exist."
        )));
    }
    let old_count = i64::try_from(existing.len()).unwrap_or(i64::MAX);
    let increment = i64::from(new_count) - old_count;
    if increment < 0 {
        return Err(AdminError::InvalidPartitions(format!(
            "Topic currently has {old_count} partitions, which is higher than the requested {new_count}."
        )));
    }
    if increment == 0 {
        return Err(AdminError::InvalidPartitions(format!(
            "Topic already has {old_count} partitions."
        )));
    }
    let broker_ids: BTreeSet<i32> = all_brokers.iter().map(|b| b.id).collect();
    let first_new = i32::try_from(old_count).unwrap_or(i32::MAX);
    let explicit: Option<BTreeMap<i32, Vec<i32>>> = match explicit {
        None => None,
        Some(lists) => {
            let unknown: BTreeSet<i32> = lists
                .iter()
                .flatten()
                .copied()
                .filter(|b| !broker_ids.contains(b))
                .collect();
            if !unknown.is_empty() {
                return Err(AdminError::InvalidReplicaAssignment(format!(
                    "Unknown broker(s) in replica assignment: {}.",
                    join_ids(unknown)
                )));
            }
            if lists.len() as i64 != increment {
                return Err(AdminError::InvalidReplicaAssignment(format!(
                    "Increasing the number of partitions by {increment} but {} assignments provided.",
                    lists.len()
                )));
            }
            Some(
                lists
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (first_new.saturating_add(i as i32), r.clone()))
                    .collect(),
            )
        }
    };

    // AdminZkClient.createNewPartitionsAssignment from here.
    let partition0 = existing.get(&0).ok_or_else(|| {
        AdminError::AdminOperation(format!(
            "Unexpected existing replica assignment for topic '{topic}', partition id 0 is missing. \
             Assignment: {existing:?}"
        ))
    })?;
    let &p0_first = partition0.first().ok_or_else(|| {
        AdminError::AdminOperation(format!(
            "Unexpected existing replica assignment for topic '{topic}', partition 0 has no replicas."
        ))
    })?;
    if let Some(explicit) = explicit {
        validate_replica_assignment(&explicit, partition0.len(), &broker_ids)?;
        return Ok(explicit);
    }
    let start_index = all_brokers
        .iter()
        .position(|b| b.id >= p0_first)
        .unwrap_or(0);
    let rf = i32::try_from(partition0.len()).unwrap_or(i32::MAX);
    assign_replicas_to_brokers_with(
        all_brokers,
        i32::try_from(increment).unwrap_or(i32::MAX),
        rf,
        AssignmentStart::fixed(start_index),
        first_new,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brokers(ids: &[i32]) -> Vec<BrokerMetadata> {
        ids.iter().map(|&id| BrokerMetadata::new(id)).collect()
    }

    fn map(rows: &[(i32, &[i32])]) -> BTreeMap<i32, Vec<i32>> {
        rows.iter().map(|&(p, r)| (p, r.to_vec())).collect()
    }

    /// Added partitions continue the round-robin from partition 0's first replica: start index
    /// = position of the first broker with id ≥ it (0 if none), shift = start index, partitions
    /// numbered from the current count, RF of partition 0. Every expected map below was printed
    /// by Kafka 3.9.1's own `AdminZkClient.createNewPartitionsAssignment` for the same input.
    #[test]
    fn matches_kafka_create_new_partitions_assignment() {
        type Case<'a> = (
            &'a [(i32, &'a [i32])],
            &'a [i32],
            i32,
            &'a [(i32, &'a [i32])],
        );
        let cases: [Case<'_>; 4] = [
            (
                &[(0, &[2, 3]), (1, &[3, 1]), (2, &[1, 2])],
                &[1, 2, 3],
                6,
                &[(3, &[2, 3]), (4, &[3, 1]), (5, &[1, 2])],
            ),
            // Partition 0's leader (9) is gone and no id ≥ 9 exists: start index 0.
            (&[(0, &[9])], &[1, 2], 3, &[(1, &[2]), (2, &[1])]),
            // First id ≥ 2 is 3, at index 1.
            (&[(0, &[2])], &[1, 3, 5], 2, &[(1, &[5])]),
            (
                &[(0, &[4, 0, 1]), (1, &[0, 1, 2]), (2, &[1, 2, 3])],
                &[0, 1, 2, 3, 4, 5],
                12,
                &[
                    (3, &[1, 0, 2]),
                    (4, &[2, 1, 3]),
                    (5, &[3, 2, 4]),
                    (6, &[4, 5, 0]),
                    (7, &[5, 0, 1]),
                    (8, &[0, 1, 2]),
                    (9, &[1, 2, 3]),
                    (10, &[2, 3, 4]),
                    (11, &[3, 4, 5]),
                ],
            ),
        ];
        for (existing, broker_ids, count, expected) in cases {
            let got = assign_new_partitions("t", &map(existing), &brokers(broker_ids), count, None);
            assert_eq!(
                got,
                Ok(map(expected)),
                "existing {existing:?}, brokers {broker_ids:?}"
            );
        }
    }

    /// ZkAdminManager.createPartitions request checks and messages: unknown topic, decrease, no
    /// change, unknown brokers, wrong number of explicit assignments; then
    /// validateReplicaAssignment for the explicit lists. The first five messages are what a real
    /// Kafka 3.9.1 broker (ZK mode) answered to confluent-kafka's CreatePartitions.
    #[test]
    fn request_errors() {
        let existing = map(&[(0, &[1, 2]), (1, &[2, 1])]);
        let all = brokers(&[1, 2, 3]);
        // (existing assignment, requested count, explicit assignments, expected error)
        type Case = (
            BTreeMap<i32, Vec<i32>>,
            i32,
            Option<Vec<Vec<i32>>>,
            AdminError,
        );
        let cases: Vec<Case> = vec![
            (BTreeMap::new(), 3, None, AdminError::UnknownTopicOrPartition("The topic 't' does not exist.".into())),
            (existing.clone(), 1, None, AdminError::InvalidPartitions("Topic currently has 2 partitions, which is higher than the requested 1.".into())),
            (existing.clone(), 2, None, AdminError::InvalidPartitions("Topic already has 2 partitions.".into())),
            (existing.clone(), 3, Some(vec![vec![1, 7, 8]]), AdminError::InvalidReplicaAssignment("Unknown broker(s) in replica assignment: 7, 8.".into())),
            (existing.clone(), 4, Some(vec![vec![1, 2]]), AdminError::InvalidReplicaAssignment("Increasing the number of partitions by 2 but 1 assignments provided.".into())),
            (existing.clone(), 3, Some(vec![vec![3]]), AdminError::InvalidReplicaAssignment("Inconsistent replication factor between partitions, partition 0 has 2 while partitions [2] have replication factors [1], respectively.".into())),
            (map(&[(1, &[1])]), 3, None, AdminError::AdminOperation("Unexpected existing replica assignment for topic 't', partition id 0 is missing. Assignment: {1: [1]}".into())),
        ];
        for (existing, count, explicit, expected) in cases {
            let got = assign_new_partitions("t", &existing, &all, count, explicit.as_deref());
            assert_eq!(got, Err(expected));
        }
    }

    /// Valid explicit assignments are used as given, numbered from the current count.
    #[test]
    fn explicit_assignment_is_used() {
        let existing = map(&[(0, &[1, 2])]);
        let explicit = vec![vec![3, 1], vec![2, 3]];
        let got = assign_new_partitions("t", &existing, &brokers(&[1, 2, 3]), 3, Some(&explicit));
        assert_eq!(got, Ok(map(&[(1, &[3, 1]), (2, &[2, 3])])));
    }
}
