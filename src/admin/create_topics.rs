//! Everything a broker decides about one topic of a CreateTopics request (or of a topic it
//! auto-creates) before writing `/config/topics/<t>` and `/brokers/topics/<t>`: request shape,
//! defaults, the assignment (computed or explicit), and the name and assignment rules.
//!
//! Left to the caller, because they need state or config this module does not own: topic config
//! validation (`LogConfig.validate`), `create.topic.policy.class.name`, `validate_only`, the
//! controller mutation quota, and the ZooKeeper writes.

use std::collections::BTreeMap;

use super::assignment_validation::{
    collect_requested_assignment, validate_topic_create_assignment,
};
use super::replica_assignment::{assign_replicas_to_brokers, BrokerMetadata};
use super::topic::validate_new_topic_name;
use super::AdminError;

/// `numPartitions` / `replicationFactor` value meaning "use the broker default"
/// (`CreateTopicsRequest.NO_NUM_PARTITIONS`, `NO_REPLICATION_FACTOR`).
pub const NO_VALUE: i32 = -1;

/// The topic as the request (or auto-creation) describes it.
#[derive(Debug, Clone, Copy)]
pub struct NewTopicRequest<'a> {
    /// Topic name.
    pub name: &'a str,
    /// Partition count, or [`NO_VALUE`].
    pub num_partitions: i32,
    /// Replication factor, or [`NO_VALUE`].
    pub replication_factor: i16,
    /// Explicit `(partition_index, broker_ids)` entries; empty when none.
    pub assignments: &'a [(i32, Vec<i32>)],
    /// Names of configs sent with a null value (rejected).
    pub null_config_names: &'a [&'a str],
}

/// Broker defaults that fill unset request fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateTopicDefaults {
    /// `num.partitions` (default 1).
    pub num_partitions: i32,
    /// `default.replication.factor` (default 1).
    pub default_replication_factor: i16,
}

impl Default for CreateTopicDefaults {
    fn default() -> Self {
        CreateTopicDefaults {
            num_partitions: 1,
            default_replication_factor: 1,
        }
    }
}

/// The cluster state the checks read.
#[derive(Debug, Clone, Copy)]
pub struct ClusterView<'a> {
    /// Live brokers from the metadata cache, with racks as registered.
    pub alive_brokers: &'a [BrokerMetadata],
    /// Whether the metadata cache already knows the topic.
    pub in_metadata_cache: bool,
    /// Topics under `/brokers/topics` (for "already exists" and the collision check).
    pub zk_topics: &'a [&'a str],
    /// Whether `/admin/delete_topics/<topic>` exists.
    pub marked_for_deletion: bool,
}

/// Checks one topic and returns its assignment (partition → replicas), in Kafka's order:
///
/// 1. topic in the metadata cache → TOPIC_ALREADY_EXISTS;
/// 2. configs with null values → INVALID_CONFIG;
/// 3. counts **and** explicit assignments → INVALID_REQUEST;
/// 4. unset counts take the broker defaults; the assignment is computed with a random start
///    (INVALID_PARTITIONS / INVALID_REPLICATION_FACTOR / partial racks) or taken from the request
///    (a repeated partition index keeps the last entry) — before the name is checked, so a bad
///    name with an impossible replication factor reports the replication factor;
/// 5. name rules, marked for deletion, exists in ZooKeeper, `.`/`_` collision;
/// 6. assignment rules ([`validate_topic_create_assignment`]); brokers of an explicit assignment
///    are **not** checked to exist, as in Kafka.
// Kafka: ZkAdminManager.createTopics, AdminZkClient.validateTopicCreate
pub fn assignment_for_new_topic(
    request: &NewTopicRequest<'_>,
    defaults: &CreateTopicDefaults,
    cluster: &ClusterView<'_>,
) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
    let name = request.name;
    if cluster.in_metadata_cache {
        return Err(AdminError::TopicExists(format!(
            "Topic '{name}' already exists."
        )));
    }
    if !request.null_config_names.is_empty() {
        return Err(AdminError::InvalidConfig(format!(
            "Null value not supported for topic configs: {}",
            request.null_config_names.join(",")
        )));
    }
    let counts_set =
        request.num_partitions != NO_VALUE || i32::from(request.replication_factor) != NO_VALUE;
    if counts_set && !request.assignments.is_empty() {
        return Err(AdminError::InvalidRequest(
            "Both numPartitions or replicationFactor and replicasAssignments were set. \
             Both cannot be used at the same time."
                .to_string(),
        ));
    }
    let assignment = if request.assignments.is_empty() {
        let partitions = if request.num_partitions == NO_VALUE {
            defaults.num_partitions
        } else {
            request.num_partitions
        };
        let replication_factor = if i32::from(request.replication_factor) == NO_VALUE {
            defaults.default_replication_factor
        } else {
            request.replication_factor
        };
        assign_replicas_to_brokers(
            cluster.alive_brokers,
            partitions,
            i32::from(replication_factor),
        )?
    } else {
        collect_requested_assignment(request.assignments.iter().cloned())
    };
    validate_new_topic_name(
        name,
        cluster.zk_topics.iter().copied(),
        cluster.marked_for_deletion,
    )?;
    validate_topic_create_assignment(&assignment)?;
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKERS: &[BrokerMetadata] = &[];

    fn brokers() -> Vec<BrokerMetadata> {
        (1..=3).map(BrokerMetadata::new).collect()
    }

    fn request<'a>(name: &'a str, n: i32, rf: i16) -> NewTopicRequest<'a> {
        NewTopicRequest {
            name,
            num_partitions: n,
            replication_factor: rf,
            assignments: &[],
            null_config_names: &[],
        }
    }

    /// Defaults fill unset fields (`num.partitions`, `default.replication.factor`), the computed
    /// assignment has that shape with distinct replicas (ZkAdminManager.createTopics).
    #[test]
    fn defaults_and_computed_assignment() {
        let alive = brokers();
        let cluster = ClusterView {
            alive_brokers: &alive,
            in_metadata_cache: false,
            zk_topics: &[],
            marked_for_deletion: false,
        };
        let defaults = CreateTopicDefaults {
            num_partitions: 4,
            default_replication_factor: 2,
        };
        let a = assignment_for_new_topic(&request("t", NO_VALUE, -1), &defaults, &cluster).unwrap();
        assert_eq!(a.len(), 4);
        assert!(a.values().all(|r| r.len() == 2 && r[0] != r[1]));
        let a = assignment_for_new_topic(&request("t", 6, 3), &defaults, &cluster).unwrap();
        assert_eq!((a.len(), a[&0].len()), (6, 3));
    }

    /// Kafka's check order and messages (ZkAdminManager.createTopics then
    /// AdminZkClient.validateTopicCreate): cache hit, null configs, counts plus assignments,
    /// assignment errors before name errors, then name, then explicit-assignment rules. A real
    /// Kafka 3.9.1 broker answered the null-config (INVALID_CONFIG), both-set (INVALID_REQUEST)
    /// and `a b` with RF 3 on one broker (INVALID_REPLICATION_FACTOR, not the name error) cases
    /// with these codes and messages.
    #[test]
    fn check_order_and_messages() {
        let alive = brokers();
        let base = ClusterView {
            alive_brokers: &alive,
            in_metadata_cache: false,
            zk_topics: &["a_b"],
            marked_for_deletion: false,
        };
        let defaults = CreateTopicDefaults::default();
        let explicit = [(0, vec![1, 1])];
        let with_assignment = |name| NewTopicRequest {
            assignments: &explicit,
            ..request(name, NO_VALUE, -1)
        };
        let null_configs = NewTopicRequest {
            null_config_names: &["retention.ms", "segment.ms"],
            ..request("t", 1, 1)
        };
        let cases: Vec<(NewTopicRequest<'_>, ClusterView<'_>, AdminError)> =
            vec![
            (
                request("a b", 1, 1),
                ClusterView { in_metadata_cache: true, ..base },
                AdminError::TopicExists("Topic 'a b' already exists.".into()),
            ),
            (
                null_configs,
                base,
                AdminError::InvalidConfig(
                    "Null value not supported for topic configs: retention.ms,segment.ms".into(),
                ),
            ),
            (
                NewTopicRequest { num_partitions: 2, ..with_assignment("t") },
                base,
                AdminError::InvalidRequest(
                    "Both numPartitions or replicationFactor and replicasAssignments were set. \
                     Both cannot be used at the same time."
                        .into(),
                ),
            ),
            (
                request("a b", 1, 4),
                base,
                AdminError::InvalidReplicationFactor(
                    "Replication factor: 4 larger than available brokers: 3.".into(),
                ),
            ),
            (
                request("a b", 1, 1),
                base,
                AdminError::InvalidTopic(
                    "Topic name is invalid: 'a b' contains one or more characters other than \
                     ASCII alphanumerics, '.', '_' and '-'"
                        .into(),
                ),
            ),
            (
                request("a.b", 1, 1),
                base,
                AdminError::InvalidTopic("Topic 'a.b' collides with existing topics: a_b".into()),
            ),
            (
                with_assignment("t"),
                base,
                AdminError::InvalidReplicaAssignment(
                    "Duplicate replica assignment found: HashMap(0 -> ArrayBuffer(1, 1))".into(),
                ),
            ),
        ];
        for (req, cluster, expected) in cases {
            assert_eq!(
                assignment_for_new_topic(&req, &defaults, &cluster),
                Err(expected)
            );
        }
        // No alive brokers at all: RF 1 > 0 brokers.
        let empty = ClusterView {
            alive_brokers: BROKERS,
            ..base
        };
        assert!(matches!(
            assignment_for_new_topic(&request("t", 1, 1), &defaults, &empty),
            Err(AdminError::InvalidReplicationFactor(_))
        ));
    }

    /// An explicit assignment is used as given (last entry wins for a repeated index), even on
    /// brokers that are not registered (ZkAdminManager.createTopics skips that check).
    #[test]
    fn explicit_assignment_used_as_given() {
        let alive = brokers();
        let cluster = ClusterView {
            alive_brokers: &alive,
            in_metadata_cache: false,
            zk_topics: &[],
            marked_for_deletion: false,
        };
        let entries = [(1, vec![9, 8]), (0, vec![1, 1]), (0, vec![2, 3])];
        let req = NewTopicRequest {
            assignments: &entries,
            ..request("t", NO_VALUE, -1)
        };
        let got = assignment_for_new_topic(&req, &CreateTopicDefaults::default(), &cluster);
        let expected: BTreeMap<i32, Vec<i32>> = [(0, vec![2, 3]), (1, vec![9, 8])].into();
        assert_eq!(got, Ok(expected));
    }
}
