//! Checks on replica assignments supplied by the client instead of computed by Kafka.
//!
//! Two Kafka paths with **different** rules, mirrored as they are:
//! - CreateTopics with `assignments` (AdminZkClient.validateTopicCreate): one replication factor
//!   for all partitions, no duplicate broker within a partition, partition ids 0..n-1. Kafka does
//!   **not** check that the brokers exist here ("this follows the existing logic in
//!   TopicCommand", ZkAdminManager.createTopics), so a topic may be created on unknown brokers.
//! - CreatePartitions with `assignments` (AdminZkClient.validateReplicaAssignment): non-empty,
//!   no duplicates, every broker registered, replication factor equal to partition 0's.

use std::collections::{BTreeMap, BTreeSet};

use super::{join_ids, AdminError};

/// Folds a CreateTopics request's `(partition_index, broker_ids)` entries into a map the way
/// Kafka does: a repeated partition index overwrites the earlier entry.
// Kafka: ZkAdminManager.createTopics (assignments HashMap)
pub fn collect_requested_assignment(
    entries: impl IntoIterator<Item = (i32, Vec<i32>)>,
) -> BTreeMap<i32, Vec<i32>> {
    entries.into_iter().collect()
}

/// CreateTopics rules for an assignment, computed or explicit, in Kafka's order:
/// 1. all partitions have the same number of replicas (also fails for an empty assignment);
/// 2. no partition lists a broker twice;
/// 3. partition ids form `0..n` — checked, like Kafka, as "the non-negative ids sum to
///    n(n-1)/2", which also accepts some non-consecutive sets such as `{-1, 0, 3}`.
// Kafka: AdminZkClient.validateTopicCreate (assignment part)
pub fn validate_topic_create_assignment(
    assignment: &BTreeMap<i32, Vec<i32>>,
) -> Result<(), AdminError> {
    let sizes: BTreeSet<usize> = assignment.values().map(Vec::len).collect();
    if sizes.len() != 1 {
        return Err(AdminError::InvalidReplicaAssignment(
            "All partitions should have the same number of replicas".to_string(),
        ));
    }
    if assignment.values().any(|replicas| has_duplicates(replicas)) {
        return Err(AdminError::InvalidReplicaAssignment(format!(
            "Duplicate replica assignment found: {}",
            scala_map_string(assignment)
        )));
    }
    let size = assignment.len() as i64;
    let expected_sum = size * (size - 1) / 2;
    let sum: i64 = assignment
        .keys()
        .filter(|&&p| p >= 0)
        .map(|&p| i64::from(p))
        .sum();
    if sum != expected_sum {
        return Err(AdminError::InvalidReplicaAssignment(
            "partitions should be a consecutive 0-based integer sequence".to_string(),
        ));
    }
    Ok(())
}

/// CreatePartitions rules for explicitly assigned new partitions, per partition in id order,
/// then the replication factor across partitions.
// Kafka: AdminZkClient.validateReplicaAssignment
pub fn validate_replica_assignment(
    assignment: &BTreeMap<i32, Vec<i32>>,
    expected_replication_factor: usize,
    available_broker_ids: &BTreeSet<i32>,
) -> Result<(), AdminError> {
    for (&partition_id, replicas) in assignment {
        if replicas.is_empty() {
            return Err(AdminError::InvalidReplicaAssignment(format!(
                "Cannot have replication factor of 0 for partition id {partition_id}."
            )));
        }
        if has_duplicates(replicas) {
            return Err(AdminError::InvalidReplicaAssignment(format!(
                "Duplicate brokers not allowed in replica assignment: {} for partition id {partition_id}.",
                join_ids(replicas.iter().copied())
            )));
        }
        if !replicas.iter().all(|b| available_broker_ids.contains(b)) {
            return Err(AdminError::BrokerNotAvailable(format!(
                "Some brokers specified for partition id {partition_id} are not available. \
                 Specified brokers: {}, available brokers: {}.",
                join_ids(replicas.iter().copied()),
                join_ids(available_broker_ids.iter().copied())
            )));
        }
    }
    let bad: Vec<(i32, usize)> = assignment
        .iter()
        .filter(|(_, r)| r.len() != expected_replication_factor)
        .map(|(&p, r)| (p, r.len()))
        .collect();
    if !bad.is_empty() {
        return Err(AdminError::InvalidReplicaAssignment(format!(
            "Inconsistent replication factor between partitions, partition 0 has \
             {expected_replication_factor} while partitions [{}] have replication factors [{}], \
             respectively.",
            join_ids(bad.iter().map(|&(p, _)| p)),
            bad.iter()
                .map(|&(_, rf)| rf.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

fn has_duplicates(replicas: &[i32]) -> bool {
    replicas.iter().collect::<BTreeSet<_>>().len() != replicas.len()
}

/// Scala's rendering of the request map (`HashMap(0 -> ArrayBuffer(1, 1))`), in partition order.
/// Kafka prints its `mutable.HashMap` in hash order, which is ascending for small non-negative
/// partition ids (a real 3.9.1 broker printed `0, 1, 2` in order); large or negative ids may be
/// listed in a different order than Kafka's.
fn scala_map_string(assignment: &BTreeMap<i32, Vec<i32>>) -> String {
    let entries: Vec<String> = assignment
        .iter()
        .map(|(p, r)| format!("{p} -> ArrayBuffer({})", join_ids(r.iter().copied())))
        .collect();
    format!("HashMap({})", entries.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(rows: &[(i32, &[i32])]) -> BTreeMap<i32, Vec<i32>> {
        rows.iter().map(|&(p, r)| (p, r.to_vec())).collect()
    }

    /// CreateTopics explicit assignments (AdminZkClient.validateTopicCreate): inconsistent RF,
    /// duplicate broker, non-consecutive ids, Kafka's sum-based id check, and **no** unknown
    /// broker check (ZkAdminManager.createTopics comment). Checked against a real Kafka 3.9.1
    /// broker in ZK mode via kafka-python: it answered these exact messages, accepted
    /// `{-1, 0, 3}` and accepted brokers 5, 6 that do not exist (REQUEST_TIMED_OUT while waiting
    /// for leaders that never come).
    #[test]
    fn create_topics_assignment_rules() {
        let rf_msg = "All partitions should have the same number of replicas";
        type Case = (BTreeMap<i32, Vec<i32>>, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (map(&[(0, &[1, 2]), (1, &[2, 3])]), None),
            (map(&[(0, &[1, 2]), (1, &[2])]), Some(rf_msg)),
            (map(&[]), Some(rf_msg)),
            (
                map(&[(0, &[1, 1])]),
                Some("Duplicate replica assignment found: HashMap(0 -> ArrayBuffer(1, 1))"),
            ),
            (
                map(&[(0, &[1, 1]), (1, &[1, 2]), (2, &[2, 2])]),
                Some("Duplicate replica assignment found: HashMap(0 -> ArrayBuffer(1, 1), 1 -> ArrayBuffer(1, 2), 2 -> ArrayBuffer(2, 2))"),
            ),
            (
                map(&[(0, &[1]), (2, &[2])]),
                Some("partitions should be a consecutive 0-based integer sequence"),
            ),
            (
                map(&[(1, &[1])]),
                Some("partitions should be a consecutive 0-based integer sequence"),
            ),
            // Kafka's sum check: {-1, 0, 3} sums (non-negative ids) to 3 = 3*2/2, so it passes.
            (map(&[(-1, &[1]), (0, &[1]), (3, &[1])]), None),
            // Unknown brokers are not checked on this path.
            (map(&[(0, &[100, 200])]), None),
        ];
        for (assignment, expected) in cases {
            let got = validate_topic_create_assignment(&assignment);
            match expected {
                None => assert_eq!(got, Ok(()), "{assignment:?}"),
                Some(msg) => {
                    let err = got.expect_err("should fail");
                    assert_eq!(err.to_string(), msg);
                    assert_eq!(err.error_code(), 39, "INVALID_REPLICA_ASSIGNMENT");
                }
            }
        }
        // A repeated partition index: the last entry wins.
        let folded = collect_requested_assignment(vec![(0, vec![1, 1]), (0, vec![1, 2])]);
        assert_eq!(validate_topic_create_assignment(&folded), Ok(()));
    }

    /// CreatePartitions explicit assignments (AdminZkClient.validateReplicaAssignment), messages
    /// and codes: empty, duplicate, unavailable broker (BROKER_NOT_AVAILABLE), inconsistent RF.
    #[test]
    fn create_partitions_assignment_rules() {
        let brokers: BTreeSet<i32> = [1, 2, 3].into();
        let check = |rows: &[(i32, &[i32])]| validate_replica_assignment(&map(rows), 2, &brokers);
        assert_eq!(check(&[(3, &[1, 2]), (4, &[3, 1])]), Ok(()));
        assert_eq!(
            check(&[(3, &[])]),
            Err(AdminError::InvalidReplicaAssignment(
                "Cannot have replication factor of 0 for partition id 3.".into()
            ))
        );
        assert_eq!(
            check(&[(3, &[2, 2])]),
            Err(AdminError::InvalidReplicaAssignment(
                "Duplicate brokers not allowed in replica assignment: 2, 2 for partition id 3."
                    .into()
            ))
        );
        let err = check(&[(3, &[1, 9])]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Some brokers specified for partition id 3 are not available. Specified brokers: 1, 9, \
             available brokers: 1, 2, 3."
        );
        assert_eq!(err.error_code(), 8);
        assert_eq!(
            check(&[(3, &[1, 2]), (4, &[1]), (5, &[1, 2, 3])]),
            Err(AdminError::InvalidReplicaAssignment(
                "Inconsistent replication factor between partitions, partition 0 has 2 while \
                 partitions [4, 5] have replication factors [1, 3], respectively."
                    .into()
            ))
        );
    }
}
