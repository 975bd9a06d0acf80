//! Admin decisions a broker makes before it writes to ZooKeeper: topic-name rules and replica
//! assignment for CreateTopics / CreatePartitions / auto-creation.
//!
//! In ZooKeeper mode the **broker handling the request** computes the assignment (the controller
//! for CreateTopics, any broker for Metadata-triggered auto-creation) and writes
//! `/brokers/topics/<t>`; the controller only reacts to the znode (semantics spec §1.9). All of
//! it is pure here: callers pass broker metadata and existing assignments, and get an assignment
//! or a [`AdminError`] carrying Kafka's error code and message.
//!
//! - [`topic`]: `Topic.validate`, internal topics, `.`/`_` collisions (Kafka's `Topic`).
//! - [`replica_assignment`]: `AdminUtils.assignReplicasToBrokers`, rack-aware and not.
//! - [`assignment_validation`]: checks on explicit assignments (CreateTopics, CreatePartitions).
//! - [`create_topics`]: the checks and assignment of one CreateTopics / auto-created topic.
//! - [`create_partitions`]: the assignment for partitions added by CreatePartitions.
//! - [`zk_admin`]: `AdminZkClient`, the ZooKeeper writes (topic znodes, configs, deletion marks).
//! - [`topic_config_listener`]: every broker applies `/config/changes` topic notifications.

pub mod assignment_validation;
pub mod create_partitions;
pub mod create_topics;
pub mod replica_assignment;
pub mod topic;
pub mod topic_config_listener;
pub mod zk_admin;

pub use assignment_validation::{validate_replica_assignment, validate_topic_create_assignment};
pub use create_partitions::assign_new_partitions;
pub use create_topics::{
    assignment_for_new_topic, ClusterView, CreateTopicDefaults, NewTopicRequest,
};
pub use replica_assignment::{
    assign_replicas_to_brokers, assign_replicas_to_brokers_with, broker_metadatas,
    rack_alternated_broker_list, AssignmentStart, BrokerMetadata, RackAwareMode,
};
pub use zk_admin::AdminZkClient;

/// An admin request failed validation. `Display` is Kafka's exception message, which is what
/// Kafka puts in the response's `error_message` (except for [`AdminError::AdminOperation`], see
/// [`AdminError::wire_message`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// `InvalidTopicException` → INVALID_TOPIC_EXCEPTION (17).
    #[error("{0}")]
    InvalidTopic(String),
    /// `TopicExistsException` → TOPIC_ALREADY_EXISTS (36).
    #[error("{0}")]
    TopicExists(String),
    /// `InvalidPartitionsException` → INVALID_PARTITIONS (37).
    #[error("{0}")]
    InvalidPartitions(String),
    /// `InvalidReplicationFactorException` → INVALID_REPLICATION_FACTOR (38).
    #[error("{0}")]
    InvalidReplicationFactor(String),
    /// `InvalidReplicaAssignmentException` → INVALID_REPLICA_ASSIGNMENT (39).
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    /// `BrokerNotAvailableException` → BROKER_NOT_AVAILABLE (8).
    #[error("{0}")]
    BrokerNotAvailable(String),
    /// `UnknownTopicOrPartitionException` → UNKNOWN_TOPIC_OR_PARTITION (3).
    #[error("{0}")]
    UnknownTopicOrPartition(String),
    /// `InvalidConfigurationException` → INVALID_CONFIG (40).
    #[error("{0}")]
    InvalidConfig(String),
    /// `InvalidRequestException` → INVALID_REQUEST (42).
    #[error("{0}")]
    InvalidRequest(String),
    /// `AdminOperationException` (not an `ApiException`) → UNKNOWN_SERVER_ERROR (-1).
    #[error("{0}")]
    AdminOperation(String),
    /// `ReassignmentInProgressException` → REASSIGNMENT_IN_PROGRESS (60).
    #[error("{0}")]
    ReassignmentInProgress(String),
    /// `TopicAlreadyMarkedForDeletionException` (not an `ApiException`; DeleteTopics treats it
    /// as success) → UNKNOWN_SERVER_ERROR (-1).
    #[error("{0}")]
    TopicAlreadyMarkedForDeletion(String),
    /// A ZooKeeper operation failed (Kafka: a `KeeperException` surfacing as
    /// UNKNOWN_SERVER_ERROR).
    #[error("ZooKeeper: {0}")]
    ZooKeeper(String),
}

impl AdminError {
    /// Kafka's numeric error code for the response.
    // Kafka: org.apache.kafka.common.protocol.Errors
    pub fn error_code(&self) -> i16 {
        match self {
            AdminError::InvalidTopic(_) => 17,
            AdminError::TopicExists(_) => 36,
            AdminError::InvalidPartitions(_) => 37,
            AdminError::InvalidReplicationFactor(_) => 38,
            AdminError::InvalidReplicaAssignment(_) => 39,
            AdminError::BrokerNotAvailable(_) => 8,
            AdminError::UnknownTopicOrPartition(_) => 3,
            AdminError::InvalidConfig(_) => 40,
            AdminError::InvalidRequest(_) => 42,
            AdminError::AdminOperation(_) => -1,
            AdminError::ReassignmentInProgress(_) => 60,
            AdminError::TopicAlreadyMarkedForDeletion(_) | AdminError::ZooKeeper(_) => -1,
        }
    }

    /// Kafka's name for the error code.
    pub fn error_name(&self) -> &'static str {
        match self {
            AdminError::InvalidTopic(_) => "INVALID_TOPIC_EXCEPTION",
            AdminError::TopicExists(_) => "TOPIC_ALREADY_EXISTS",
            AdminError::InvalidPartitions(_) => "INVALID_PARTITIONS",
            AdminError::InvalidReplicationFactor(_) => "INVALID_REPLICATION_FACTOR",
            AdminError::InvalidReplicaAssignment(_) => "INVALID_REPLICA_ASSIGNMENT",
            AdminError::BrokerNotAvailable(_) => "BROKER_NOT_AVAILABLE",
            AdminError::UnknownTopicOrPartition(_) => "UNKNOWN_TOPIC_OR_PARTITION",
            AdminError::InvalidConfig(_) => "INVALID_CONFIG",
            AdminError::InvalidRequest(_) => "INVALID_REQUEST",
            AdminError::ReassignmentInProgress(_) => "REASSIGNMENT_IN_PROGRESS",
            AdminError::AdminOperation(_)
            | AdminError::TopicAlreadyMarkedForDeletion(_)
            | AdminError::ZooKeeper(_) => "UNKNOWN_SERVER_ERROR",
        }
    }

    /// The `error_message` Kafka sends: the exception message, except `None` for
    /// UNKNOWN_SERVER_ERROR, whose message Kafka withholds so internals do not leak.
    // Kafka: org.apache.kafka.common.requests.ApiError.fromThrowable
    pub fn wire_message(&self) -> Option<String> {
        match self {
            AdminError::AdminOperation(_)
            | AdminError::TopicAlreadyMarkedForDeletion(_)
            | AdminError::ZooKeeper(_) => None,
            other => Some(other.to_string()),
        }
    }
}

/// Renders ids the way Scala's `mkString(", ")` does.
pub(crate) fn join_ids(ids: impl IntoIterator<Item = i32>) -> String {
    ids.into_iter()
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error codes and names are Kafka's (org.apache.kafka.common.protocol.Errors), and
    /// UNKNOWN_SERVER_ERROR carries no message on the wire (ApiError.fromThrowable).
    #[test]
    fn error_codes_and_wire_messages() {
        let cases = [
            (
                AdminError::InvalidTopic("m".into()),
                17,
                "INVALID_TOPIC_EXCEPTION",
            ),
            (
                AdminError::TopicExists("m".into()),
                36,
                "TOPIC_ALREADY_EXISTS",
            ),
            (
                AdminError::InvalidPartitions("m".into()),
                37,
                "INVALID_PARTITIONS",
            ),
            (
                AdminError::InvalidReplicationFactor("m".into()),
                38,
                "INVALID_REPLICATION_FACTOR",
            ),
            (
                AdminError::InvalidReplicaAssignment("m".into()),
                39,
                "INVALID_REPLICA_ASSIGNMENT",
            ),
            (
                AdminError::BrokerNotAvailable("m".into()),
                8,
                "BROKER_NOT_AVAILABLE",
            ),
            (
                AdminError::UnknownTopicOrPartition("m".into()),
                3,
                "UNKNOWN_TOPIC_OR_PARTITION",
            ),
            (AdminError::InvalidConfig("m".into()), 40, "INVALID_CONFIG"),
            (
                AdminError::InvalidRequest("m".into()),
                42,
                "INVALID_REQUEST",
            ),
        ];
        for (err, code, name) in cases {
            assert_eq!((err.error_code(), err.error_name()), (code, name));
            assert_eq!(err.wire_message().as_deref(), Some("m"));
        }
        let hidden = AdminError::AdminOperation("internal detail".into());
        assert_eq!((hidden.error_code(), hidden.wire_message()), (-1, None));
        assert_eq!(hidden.to_string(), "internal detail");
    }
}
