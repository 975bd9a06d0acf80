//! Request schemas of the topic-administration APIs for [`super::guard`]: CreateTopics,
//! DeleteTopics, CreatePartitions, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs. Transcribed from Kafka 3.9's
//! `clients/src/main/resources/common/message/*Request.json`; each schema is checked by
//! encoding with `kafka-protocol` at every version and walking the bytes.

use super::guard::{f, Field, Kind, Schema, ALL};

const I32S: Kind = Kind::Array(&Kind::Int32);
const STRINGS: Kind = Kind::Array(&Kind::String);

/// `CreateTopicsRequest.json`: versions 0-7, flexible 5+.
const CREATABLE_REPLICA_ASSIGNMENT: &[Field] = &[
    f(Kind::Int32, 0, ALL), // PartitionIndex
    f(I32S, 0, ALL),        // BrokerIds
];
const CREATABLE_TOPIC_CONFIG: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::String, 0, ALL), // Value
];
const CREATABLE_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Int32, 0, ALL),  // NumPartitions
    f(Kind::Int16, 0, ALL),  // ReplicationFactor
    f(
        Kind::Array(&Kind::Struct(CREATABLE_REPLICA_ASSIGNMENT)),
        0,
        ALL,
    ), // Assignments
    f(Kind::Array(&Kind::Struct(CREATABLE_TOPIC_CONFIG)), 0, ALL), // Configs
];
const CREATE_TOPICS_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(CREATABLE_TOPIC)), 0, ALL), // Topics
    f(Kind::Int32, 0, ALL),                                 // timeoutMs
    f(Kind::Bool, 1, ALL),                                  // validateOnly
];

/// `DeleteTopicsRequest.json`: versions 0-6, flexible 4+.
const DELETE_TOPIC_STATE: &[Field] = &[
    f(Kind::String, 6, ALL), // Name
    f(Kind::Uuid, 6, ALL),   // TopicId
];
const DELETE_TOPICS_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(DELETE_TOPIC_STATE)), 6, ALL), // Topics
    f(STRINGS, 0, 5),                                          // TopicNames
    f(Kind::Int32, 0, ALL),                                    // TimeoutMs
];

/// `CreatePartitionsRequest.json`: versions 0-3, flexible 2+.
const CREATE_PARTITIONS_ASSIGNMENT: &[Field] = &[
    f(I32S, 0, ALL), // BrokerIds
];
const CREATE_PARTITIONS_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Int32, 0, ALL),  // Count
    f(
        Kind::Array(&Kind::Struct(CREATE_PARTITIONS_ASSIGNMENT)),
        0,
        ALL,
    ), // Assignments
];
const CREATE_PARTITIONS_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(CREATE_PARTITIONS_TOPIC)), 0, ALL), // Topics
    f(Kind::Int32, 0, ALL),                                         // TimeoutMs
    f(Kind::Bool, 0, ALL),                                          // ValidateOnly
];

/// `DescribeConfigsRequest.json`: versions 0-4, flexible 4+.
const DESCRIBE_CONFIGS_RESOURCE: &[Field] = &[
    f(Kind::Int8, 0, ALL),   // ResourceType
    f(Kind::String, 0, ALL), // ResourceName
    f(STRINGS, 0, ALL),      // ConfigurationKeys
];
const DESCRIBE_CONFIGS_REQUEST: &[Field] = &[
    f(
        Kind::Array(&Kind::Struct(DESCRIBE_CONFIGS_RESOURCE)),
        0,
        ALL,
    ), // Resources
    f(Kind::Bool, 1, ALL), // IncludeSynonyms
    f(Kind::Bool, 3, ALL), // IncludeDocumentation
];

/// `IncrementalAlterConfigsRequest.json`: versions 0-1, flexible 1+.
const ALTERABLE_CONFIG_INCREMENTAL: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Int8, 0, ALL),   // ConfigOperation
    f(Kind::String, 0, ALL), // Value
];
const ALTER_CONFIGS_RESOURCE_INCREMENTAL: &[Field] = &[
    f(Kind::Int8, 0, ALL),   // ResourceType
    f(Kind::String, 0, ALL), // ResourceName
    f(
        Kind::Array(&Kind::Struct(ALTERABLE_CONFIG_INCREMENTAL)),
        0,
        ALL,
    ), // Configs
];
const INCREMENTAL_ALTER_CONFIGS_REQUEST: &[Field] = &[
    f(
        Kind::Array(&Kind::Struct(ALTER_CONFIGS_RESOURCE_INCREMENTAL)),
        0,
        ALL,
    ), // Resources
    f(Kind::Bool, 0, ALL), // ValidateOnly
];

/// `AlterConfigsRequest.json`: versions 0-2, flexible 2+.
const ALTERABLE_CONFIG: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::String, 0, ALL), // Value
];
const ALTER_CONFIGS_RESOURCE: &[Field] = &[
    f(Kind::Int8, 0, ALL),                                   // ResourceType
    f(Kind::String, 0, ALL),                                 // ResourceName
    f(Kind::Array(&Kind::Struct(ALTERABLE_CONFIG)), 0, ALL), // Configs
];
const ALTER_CONFIGS_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(ALTER_CONFIGS_RESOURCE)), 0, ALL), // Resources
    f(Kind::Bool, 0, ALL),                                         // ValidateOnly
];

/// `IncrementalAlterConfigsRequest.json` schema.
pub const INCREMENTAL_ALTER_CONFIGS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 1,
    fields: INCREMENTAL_ALTER_CONFIGS_REQUEST,
};
/// `AlterConfigsRequest.json` schema.
pub const ALTER_CONFIGS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: ALTER_CONFIGS_REQUEST,
};
/// `CreateTopicsRequest.json` schema.
pub const CREATE_TOPICS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 5,
    fields: CREATE_TOPICS_REQUEST,
};
/// `DeleteTopicsRequest.json` schema.
pub const DELETE_TOPICS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: DELETE_TOPICS_REQUEST,
};
/// `CreatePartitionsRequest.json` schema.
pub const CREATE_PARTITIONS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: CREATE_PARTITIONS_REQUEST,
};
/// `DescribeConfigsRequest.json` schema.
pub const DESCRIBE_CONFIGS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: DESCRIBE_CONFIGS_REQUEST,
};

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::StrBytes;
    use uuid::Uuid;

    use super::super::guard_data_path::tests::{check, name};

    /// Kafka's generated readers consume exactly the fields of each version
    /// (`*Request.json`); the schemas must walk the crate's encoding byte for byte.
    #[test]
    fn schemas_walk_every_version_exactly() {
        check(ApiKey::CreateTopics, 0..=7, |v| {
            let t = create_topics_request::CreatableTopic::default()
                .with_name(name("t"))
                .with_num_partitions(-1)
                .with_replication_factor(-1)
                .with_assignments(vec![
                    create_topics_request::CreatableReplicaAssignment::default()
                        .with_partition_index(0)
                        .with_broker_ids(vec![BrokerId(1), BrokerId(2)]),
                ])
                .with_configs(vec![create_topics_request::CreatableTopicConfig::default()
                    .with_name(StrBytes::from_static_str("retention.ms"))
                    .with_value(Some(StrBytes::from_static_str("1")))]);
            CreateTopicsRequest::default()
                .with_topics(vec![t])
                .with_timeout_ms(1000)
                .with_validate_only(v >= 1)
        });
        check(ApiKey::DeleteTopics, 0..=6, |v| {
            let mut r = DeleteTopicsRequest::default().with_timeout_ms(1000);
            if v >= 6 {
                r.topics = vec![
                    delete_topics_request::DeleteTopicState::default().with_name(Some(name("t"))),
                    delete_topics_request::DeleteTopicState::default()
                        .with_name(None)
                        .with_topic_id(Uuid::from_u128(9)),
                ];
            } else {
                r.topic_names = vec![name("a"), name("b")];
            }
            r
        });
        check(ApiKey::CreatePartitions, 0..=3, |_| {
            let t = create_partitions_request::CreatePartitionsTopic::default()
                .with_name(name("t"))
                .with_count(4)
                .with_assignments(Some(vec![
                    create_partitions_request::CreatePartitionsAssignment::default()
                        .with_broker_ids(vec![BrokerId(1)]),
                ]));
            let none = create_partitions_request::CreatePartitionsTopic::default()
                .with_name(name("u"))
                .with_count(2)
                .with_assignments(None);
            CreatePartitionsRequest::default()
                .with_topics(vec![t, none])
                .with_timeout_ms(5)
                .with_validate_only(true)
        });
        check(ApiKey::IncrementalAlterConfigs, 0..=1, |_| {
            let c = incremental_alter_configs_request::AlterableConfig::default()
                .with_name(StrBytes::from_static_str("retention.ms"))
                .with_config_operation(0)
                .with_value(Some(StrBytes::from_static_str("5")));
            let d = incremental_alter_configs_request::AlterableConfig::default()
                .with_name(StrBytes::from_static_str("segment.ms"))
                .with_config_operation(1)
                .with_value(None);
            IncrementalAlterConfigsRequest::default()
                .with_resources(vec![
                    incremental_alter_configs_request::AlterConfigsResource::default()
                        .with_resource_type(2)
                        .with_resource_name(StrBytes::from_static_str("t"))
                        .with_configs(vec![c, d]),
                ])
                .with_validate_only(true)
        });
        check(ApiKey::AlterConfigs, 0..=2, |_| {
            let c = alter_configs_request::AlterableConfig::default()
                .with_name(StrBytes::from_static_str("retention.ms"))
                .with_value(Some(StrBytes::from_static_str("5")));
            AlterConfigsRequest::default()
                .with_resources(vec![alter_configs_request::AlterConfigsResource::default()
                    .with_resource_type(2)
                    .with_resource_name(StrBytes::from_static_str("t"))
                    .with_configs(vec![c])])
                .with_validate_only(false)
        });
        check(ApiKey::DescribeConfigs, 0..=4, |v| {
            let r = describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t"))
                .with_configuration_keys(Some(vec![StrBytes::from_static_str("retention.ms")]));
            let all = describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(4)
                .with_resource_name(StrBytes::from_static_str("1"))
                .with_configuration_keys(None);
            DescribeConfigsRequest::default()
                .with_resources(vec![r, all])
                .with_include_synonyms(v >= 1)
                .with_include_documentation(v >= 3)
        });
    }
}
