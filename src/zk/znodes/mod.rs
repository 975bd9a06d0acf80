//! Every znode Kafka 3.9 uses in ZooKeeper mode: its path, and how its payload is encoded and
//! decoded — one type per znode (or tight group), named after Kafka's `kafka.zk.ZkData` objects.
//!
//! Writers produce the exact bytes a Scala 2.13 build of Kafka 3.9 writes (compact Jackson JSON,
//! hash-map key orders from `zk::json_order`, string-typed timestamps). Readers are tolerant the
//! way Kafka's are: any key order, unknown keys ignored, every version Kafka still reads.
//! The payload schemas and golden examples live in `zk-schema/` at the repository root.

pub mod check;
#[cfg(test)]
mod golden_examples;
pub mod json;
pub mod payload;
#[cfg(test)]
mod roundtrip_props;
pub mod tree;

mod acl;
mod admin;
mod broker;
mod cluster_id;
mod config;
mod consumers;
mod controller;
mod delegation_token;
mod feature;
mod migration;
mod notifications;
mod producer_id;
mod topic;

pub use acl::{
    AclEntry, AclOperation, AclPermissionType, ExtendedAclChangeStore, LiteralAclChangeStore,
    PatternType, ResourcePattern, ResourceType, ResourceZNode, ZkAclStore,
    ACL_CHANGE_SEQUENCE_PREFIX, CLUSTER_RESOURCE_NAME, WILDCARD_RESOURCE,
};
pub use admin::{
    AdminZNode, DeleteTopicsTopicZNode, DeleteTopicsZNode, PreferredReplicaElectionZNode,
    ReassignPartitionsZNode,
};
pub use broker::{BrokerIdZNode, BrokerIdsZNode, BrokerInfo, BrokerSequenceIdZNode, BrokersZNode};
pub use cluster_id::{ClusterIdZNode, ClusterZNode};
pub use config::{
    desanitize, sanitize, ConfigChangeNotification, ConfigEntityChangeNotificationSequenceZNode,
    ConfigEntityChangeNotificationZNode, ConfigEntityTypeZNode, ConfigEntityZNode, ConfigType,
    ConfigZNode, DEFAULT_ENTITY,
};
pub use consumers::{ConsumerOffset, ConsumerPathZNode};
pub use controller::{ControllerEpochZNode, ControllerRegistration, ControllerZNode};
pub use delegation_token::{
    DelegationTokenAuthZNode, DelegationTokenChangeNotificationSequenceZNode,
    DelegationTokenChangeNotificationZNode, DelegationTokenInfoZNode, DelegationTokensZNode,
    TokenInformation,
};
pub use feature::{FeatureZNode, FeatureZNodeStatus};
pub use migration::{MigrationState, MigrationZNode};
pub use notifications::{
    IsrChangeNotificationSequenceZNode, IsrChangeNotificationZNode,
    LogDirEventNotificationSequenceZNode, LogDirEventNotificationZNode,
};
pub use producer_id::{ProducerIdBlockZNode, ProducerIdsBlock};
pub use topic::{
    validate_uuid, ReplicaAssignment, TopicIdReplicaAssignment, TopicPartitionStateZNode,
    TopicPartitionZNode, TopicPartitionsZNode, TopicZNode, TopicsZNode,
};

/// Why a znode payload could not be decoded. Every message names the znode and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZNodeError {
    #[error("znode {znode}: payload is empty or null where data was expected")]
    NoData { znode: String },
    #[error("znode {znode}: payload is not UTF-8 text")]
    NotUtf8 { znode: String },
    #[error("znode {znode}: payload is not valid JSON ({reason})")]
    InvalidJson { znode: String, reason: String },
    #[error("znode {znode}: required field '{field}' is missing")]
    MissingField { znode: String, field: String },
    #[error("znode {znode}: field '{field}' must be {expected} but is {found}")]
    WrongType {
        znode: String,
        field: String,
        expected: &'static str,
        found: String,
    },
    #[error("znode {znode}: field '{field}' has invalid value {value}: {reason}")]
    InvalidValue {
        znode: String,
        field: String,
        value: String,
        reason: String,
    },
    #[error("znode {znode}: unsupported payload version {version} (supported: {supported})")]
    UnsupportedVersion {
        znode: String,
        version: i64,
        supported: &'static str,
    },
    #[error("znode {znode}: payload {text:?} is not {expected}")]
    BadText {
        znode: String,
        text: String,
        expected: &'static str,
    },
}

/// Persistent paths every broker creates at startup, in Kafka's order (with null data; missing
/// parents such as `/brokers`, `/config`, `/admin` are created implicitly with null data).
///
/// Kafka: `ZkData.PersistentZkPaths`, created by `KafkaZkClient.createTopLevelPaths`. The
/// `/config/<type>` entries are `ConfigType.ALL` (which deliberately excludes `client-metrics`).
pub const PERSISTENT_ZK_PATHS: &[&str] = &[
    "/consumers",
    "/brokers/ids",
    "/brokers/topics",
    "/config/changes",
    "/admin/delete_topics",
    "/brokers/seqid",
    "/isr_change_notification",
    "/latest_producer_id_block",
    "/log_dir_event_notification",
    "/config/topics",
    "/config/clients",
    "/config/users",
    "/config/brokers",
    "/config/ips",
];

/// Top-level paths that get restrictive ZooKeeper ACLs when `zookeeper.set.acl=true`.
///
/// Kafka: `ZkData.SecureRootPaths` (the listed roots plus `ZkAclStore.securePaths`).
pub const SECURE_ROOT_PATHS: &[&str] = &[
    "/admin",
    "/brokers",
    "/cluster",
    "/config",
    "/controller",
    "/controller_epoch",
    "/isr_change_notification",
    "/latest_producer_id_block",
    "/log_dir_event_notification",
    "/delegation_token",
    "/kafka-acl-extended",
    "/feature",
    "/kafka-acl",
    "/kafka-acl-changes",
    "/kafka-acl-extended/prefixed",
    "/kafka-acl-extended-changes",
];

/// Paths readable only by their creator when `zookeeper.set.acl=true` (no world-read ACL).
///
/// Kafka: `ZkData.SensitiveRootPaths`.
pub const SENSITIVE_ROOT_PATHS: &[&str] = &[
    "/config/users",
    "/config/brokers",
    "/delegation_token/tokens",
];

/// Kafka: `ZkData.sensitivePath` — prefix match against [`SENSITIVE_ROOT_PATHS`].
pub fn is_sensitive_path(path: &str) -> bool {
    SENSITIVE_ROOT_PATHS.iter().any(|p| path.starts_with(p))
}

/// ZooKeeper's "any version" for conditional writes. Kafka: `ZkVersion.MatchAnyVersion`.
pub const MATCH_ANY_VERSION: i32 = -1;
/// Kafka-internal "node absent" version. Kafka: `ZkVersion.UnknownVersion`.
pub const UNKNOWN_VERSION: i32 = -2;

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka: `ZkData.PersistentZkPaths` — nine fixed paths then `ConfigType.ALL`.
    #[test]
    fn persistent_paths_in_kafka_order() {
        assert_eq!(PERSISTENT_ZK_PATHS.len(), 14);
        assert_eq!(PERSISTENT_ZK_PATHS[0], "/consumers");
        assert_eq!(PERSISTENT_ZK_PATHS[5], BrokerSequenceIdZNode::PATH);
        assert_eq!(PERSISTENT_ZK_PATHS[1], BrokerIdsZNode::PATH);
        assert_eq!(
            &PERSISTENT_ZK_PATHS[9..],
            &[
                "/config/topics",
                "/config/clients",
                "/config/users",
                "/config/brokers",
                "/config/ips"
            ]
        );
    }

    /// Kafka: `ZkData.sensitivePath`.
    #[test]
    fn sensitive_paths() {
        assert!(is_sensitive_path("/config/users/alice"));
        assert!(is_sensitive_path("/delegation_token/tokens/x"));
        assert!(!is_sensitive_path("/config/topics/t"));
    }
}
