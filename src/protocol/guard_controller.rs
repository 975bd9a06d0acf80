//! Request schemas of the controller's replication APIs for [`super::guard`]: AlterPartition,
//! ControlledShutdown, ElectLeaders, AllocateProducerIds. Transcribed from Kafka 3.9's
//! `clients/src/main/resources/common/message/*Request.json`; each is checked by encoding with
//! `kafka-protocol` at every version and walking the bytes.

use super::guard::{f, Field, Kind, Schema, ALL};

/// `AlterPartitionRequest.json`: versions 0-3, flexible 0+.
const ALTER_PARTITION_BROKER_STATE: &[Field] = &[
    f(Kind::Int32, 3, ALL), // BrokerId
    f(Kind::Int64, 3, ALL), // BrokerEpoch
];
const ALTER_PARTITION_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL),             // PartitionIndex
    f(Kind::Int32, 0, ALL),             // LeaderEpoch
    f(Kind::Array(&Kind::Int32), 0, 2), // NewIsr
    f(
        Kind::Array(&Kind::Struct(ALTER_PARTITION_BROKER_STATE)),
        3,
        ALL,
    ), // NewIsrWithEpochs
    f(Kind::Int8, 1, ALL),              // LeaderRecoveryState
    f(Kind::Int32, 0, ALL),             // PartitionEpoch
];
const ALTER_PARTITION_TOPIC: &[Field] = &[
    f(Kind::String, 0, 1), // TopicName
    f(Kind::Uuid, 2, ALL), // TopicId
    f(
        Kind::Array(&Kind::Struct(ALTER_PARTITION_PARTITION)),
        0,
        ALL,
    ), // Partitions
];
const ALTER_PARTITION_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL),                                       // BrokerId
    f(Kind::Int64, 0, ALL),                                       // BrokerEpoch
    f(Kind::Array(&Kind::Struct(ALTER_PARTITION_TOPIC)), 0, ALL), // Topics
];

/// `ControlledShutdownRequest.json`: versions 0-3, flexible 3+.
const CONTROLLED_SHUTDOWN_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL), // BrokerId
    f(Kind::Int64, 2, ALL), // BrokerEpoch
];

/// `ElectLeadersRequest.json`: versions 0-2, flexible 2+.
const ELECT_LEADERS_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL),              // Topic
    f(Kind::Array(&Kind::Int32), 0, ALL), // Partitions
];
const ELECT_LEADERS_REQUEST: &[Field] = &[
    f(Kind::Int8, 1, ALL),                                      // ElectionType
    f(Kind::Array(&Kind::Struct(ELECT_LEADERS_TOPIC)), 0, ALL), // TopicPartitions (nullable)
    f(Kind::Int32, 0, ALL),                                     // TimeoutMs
];

/// `AllocateProducerIdsRequest.json`: version 0, flexible 0+.
const ALLOCATE_PRODUCER_IDS_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL), // BrokerId
    f(Kind::Int64, 0, ALL), // BrokerEpoch
];

/// `AlterPartitionRequest.json` schema.
pub const ALTER_PARTITION_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 0,
    fields: ALTER_PARTITION_REQUEST,
};
/// `ControlledShutdownRequest.json` schema.
pub const CONTROLLED_SHUTDOWN_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 3,
    fields: CONTROLLED_SHUTDOWN_REQUEST,
};
/// `ElectLeadersRequest.json` schema.
pub const ELECT_LEADERS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: ELECT_LEADERS_REQUEST,
};
/// `AllocateProducerIdsRequest.json` schema.
pub const ALLOCATE_PRODUCER_IDS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 0,
    fields: ALLOCATE_PRODUCER_IDS_REQUEST,
};

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::StrBytes;
    use uuid::Uuid;

    use super::super::guard_data_path::tests::check;

    /// The schemas walk the crate's encoding of every version byte for byte
    /// (`AlterPartitionRequest.json`, `ControlledShutdownRequest.json`,
    /// `ElectLeadersRequest.json`, `AllocateProducerIdsRequest.json`).
    #[test]
    fn controller_schemas_walk_every_version_exactly() {
        check(ApiKey::AlterPartition, 0..=3, |v| {
            let mut p = alter_partition_request::PartitionData::default()
                .with_partition_index(1)
                .with_leader_epoch(3)
                .with_partition_epoch(7);
            if v >= 3 {
                p.new_isr_with_epochs = vec![alter_partition_request::BrokerState::default()
                    .with_broker_id(BrokerId(1))
                    .with_broker_epoch(5)];
            } else {
                p.new_isr = vec![BrokerId(1), BrokerId(2)];
            }
            let mut t = alter_partition_request::TopicData::default().with_partitions(vec![p]);
            if v >= 2 {
                t.topic_id = Uuid::from_u128(9);
            } else {
                t.topic_name = TopicName(StrBytes::from_static_str("t"));
            }
            AlterPartitionRequest::default()
                .with_broker_id(BrokerId(1))
                .with_broker_epoch(10)
                .with_topics(vec![t])
        });
        check(ApiKey::ControlledShutdown, 0..=3, |v| {
            let mut r = ControlledShutdownRequest::default().with_broker_id(BrokerId(2));
            if v >= 2 {
                r.broker_epoch = 44;
            }
            r
        });
        check(ApiKey::ElectLeaders, 0..=2, |v| {
            let t = elect_leaders_request::TopicPartitions::default()
                .with_topic(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![0, 1]);
            let mut r = ElectLeadersRequest::default()
                .with_topic_partitions(Some(vec![t]))
                .with_timeout_ms(1000);
            if v >= 1 {
                r.election_type = 1;
            }
            r
        });
        check(ApiKey::ElectLeaders, 0..=2, |_| {
            ElectLeadersRequest::default()
                .with_topic_partitions(None)
                .with_timeout_ms(1000)
        });
        check(ApiKey::AllocateProducerIds, 0..=0, |_| {
            AllocateProducerIdsRequest::default()
                .with_broker_id(BrokerId(1))
                .with_broker_epoch(3)
        });
    }
}
