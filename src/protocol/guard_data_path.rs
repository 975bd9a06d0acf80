//! Request schemas of the data-path and replica-control APIs for [`super::guard`]: Produce,
//! Fetch, ListOffsets, LeaderAndIsr, StopReplica, InitProducerId, OffsetForLeaderEpoch.
//! Transcribed from Kafka 3.9's `clients/src/main/resources/common/message/*Request.json`;
//! tagged fields (Fetch `ClusterId`, `ReplicaState`, `ReplicaDirectoryId`) are skipped with
//! the other tagged fields. Each schema is checked by encoding with `kafka-protocol` at every
//! version and walking the bytes.

use super::guard::{f, Field, Kind, Schema, ALL};

const I32S: Kind = Kind::Array(&Kind::Int32);

/// `ProduceRequest.json`: versions 0-11, flexible 9+.
const PRODUCE_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL), // Index
    f(Kind::Bytes, 0, ALL), // Records
];
const PRODUCE_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL),                                  // Name
    f(Kind::Array(&Kind::Struct(PRODUCE_PARTITION)), 0, ALL), // PartitionData
];
const PRODUCE_REQUEST: &[Field] = &[
    f(Kind::String, 3, ALL),                              // TransactionalId
    f(Kind::Int16, 0, ALL),                               // Acks
    f(Kind::Int32, 0, ALL),                               // TimeoutMs
    f(Kind::Array(&Kind::Struct(PRODUCE_TOPIC)), 0, ALL), // TopicData
];

/// `FetchRequest.json`: versions 0-17, flexible 12+.
const FETCH_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL),  // Partition
    f(Kind::Int32, 9, ALL),  // CurrentLeaderEpoch
    f(Kind::Int64, 0, ALL),  // FetchOffset
    f(Kind::Int32, 12, ALL), // LastFetchedEpoch
    f(Kind::Int64, 5, ALL),  // LogStartOffset
    f(Kind::Int32, 0, ALL),  // PartitionMaxBytes
];
const FETCH_TOPIC: &[Field] = &[
    f(Kind::String, 0, 12),                                 // Topic
    f(Kind::Uuid, 13, ALL),                                 // TopicId
    f(Kind::Array(&Kind::Struct(FETCH_PARTITION)), 0, ALL), // Partitions
];
const FETCH_FORGOTTEN_TOPIC: &[Field] = &[
    f(Kind::String, 7, 12), // Topic
    f(Kind::Uuid, 13, ALL), // TopicId
    f(I32S, 7, ALL),        // Partitions
];
const FETCH_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, 14),                                        // ReplicaId
    f(Kind::Int32, 0, ALL),                                       // MaxWaitMs
    f(Kind::Int32, 0, ALL),                                       // MinBytes
    f(Kind::Int32, 3, ALL),                                       // MaxBytes
    f(Kind::Int8, 4, ALL),                                        // IsolationLevel
    f(Kind::Int32, 7, ALL),                                       // SessionId
    f(Kind::Int32, 7, ALL),                                       // SessionEpoch
    f(Kind::Array(&Kind::Struct(FETCH_TOPIC)), 0, ALL),           // Topics
    f(Kind::Array(&Kind::Struct(FETCH_FORGOTTEN_TOPIC)), 7, ALL), // ForgottenTopicsData
    f(Kind::String, 11, ALL),                                     // RackId
];

/// `ListOffsetsRequest.json`: versions 0-9, flexible 6+.
const LIST_OFFSETS_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL), // PartitionIndex
    f(Kind::Int32, 4, ALL), // CurrentLeaderEpoch
    f(Kind::Int64, 0, ALL), // Timestamp
    f(Kind::Int32, 0, 0),   // MaxNumOffsets
];
const LIST_OFFSETS_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL),                                       // Name
    f(Kind::Array(&Kind::Struct(LIST_OFFSETS_PARTITION)), 0, ALL), // Partitions
];
const LIST_OFFSETS_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL),                                    // ReplicaId
    f(Kind::Int8, 2, ALL),                                     // IsolationLevel
    f(Kind::Array(&Kind::Struct(LIST_OFFSETS_TOPIC)), 0, ALL), // Topics
];

/// `LeaderAndIsrRequest.json`: versions 0-7, flexible 4+.
const LEADER_AND_ISR_PARTITION: &[Field] = &[
    f(Kind::String, 0, 1),  // TopicName
    f(Kind::Int32, 0, ALL), // PartitionIndex
    f(Kind::Int32, 0, ALL), // ControllerEpoch
    f(Kind::Int32, 0, ALL), // Leader
    f(Kind::Int32, 0, ALL), // LeaderEpoch
    f(I32S, 0, ALL),        // Isr
    f(Kind::Int32, 0, ALL), // PartitionEpoch
    f(I32S, 0, ALL),        // Replicas
    f(I32S, 3, ALL),        // AddingReplicas
    f(I32S, 3, ALL),        // RemovingReplicas
    f(Kind::Bool, 1, ALL),  // IsNew
    f(Kind::Int8, 6, ALL),  // LeaderRecoveryState
];
const LEADER_AND_ISR_TOPIC: &[Field] = &[
    f(Kind::String, 2, ALL),                                         // TopicName
    f(Kind::Uuid, 5, ALL),                                           // TopicId
    f(Kind::Array(&Kind::Struct(LEADER_AND_ISR_PARTITION)), 2, ALL), // PartitionStates
];
const LEADER_AND_ISR_LIVE_LEADER: &[Field] = &[
    f(Kind::Int32, 0, ALL),  // BrokerId
    f(Kind::String, 0, ALL), // HostName
    f(Kind::Int32, 0, ALL),  // Port
];
const LEADER_AND_ISR_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL),                                        // ControllerId
    f(Kind::Bool, 7, ALL),                                         // isKRaftController
    f(Kind::Int32, 0, ALL),                                        // ControllerEpoch
    f(Kind::Int64, 2, ALL),                                        // BrokerEpoch
    f(Kind::Int8, 5, ALL),                                         // Type
    f(Kind::Array(&Kind::Struct(LEADER_AND_ISR_PARTITION)), 0, 1), // UngroupedPartitionStates
    f(Kind::Array(&Kind::Struct(LEADER_AND_ISR_TOPIC)), 2, ALL),   // TopicStates
    f(
        Kind::Array(&Kind::Struct(LEADER_AND_ISR_LIVE_LEADER)),
        0,
        ALL,
    ), // LiveLeaders
];

/// `StopReplicaRequest.json`: versions 0-4, flexible 2+.
const STOP_REPLICA_PARTITION_V0: &[Field] = &[
    f(Kind::String, 0, 0), // TopicName
    f(Kind::Int32, 0, 0),  // PartitionIndex
];
const STOP_REPLICA_TOPIC_V1: &[Field] = &[
    f(Kind::String, 1, 2), // Name
    f(I32S, 1, 2),         // PartitionIndexes
];
const STOP_REPLICA_PARTITION_STATE: &[Field] = &[
    f(Kind::Int32, 3, ALL), // PartitionIndex
    f(Kind::Int32, 3, ALL), // LeaderEpoch
    f(Kind::Bool, 3, ALL),  // DeletePartition
];
const STOP_REPLICA_TOPIC_STATE: &[Field] = &[
    f(Kind::String, 3, ALL), // TopicName
    f(
        Kind::Array(&Kind::Struct(STOP_REPLICA_PARTITION_STATE)),
        3,
        ALL,
    ), // PartitionStates
];
const STOP_REPLICA_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL),                                         // ControllerId
    f(Kind::Bool, 4, ALL),                                          // isKRaftController
    f(Kind::Int32, 0, ALL),                                         // ControllerEpoch
    f(Kind::Int64, 1, ALL),                                         // BrokerEpoch
    f(Kind::Bool, 0, 2),                                            // DeletePartitions
    f(Kind::Array(&Kind::Struct(STOP_REPLICA_PARTITION_V0)), 0, 0), // UngroupedPartitions
    f(Kind::Array(&Kind::Struct(STOP_REPLICA_TOPIC_V1)), 1, 2),     // Topics
    f(Kind::Array(&Kind::Struct(STOP_REPLICA_TOPIC_STATE)), 3, ALL), // TopicStates
];

/// `InitProducerIdRequest.json`: versions 0-5, flexible 2+.
const INIT_PRODUCER_ID_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL), // TransactionalId
    f(Kind::Int32, 0, ALL),  // TransactionTimeoutMs
    f(Kind::Int64, 3, ALL),  // ProducerId
    f(Kind::Int16, 3, ALL),  // ProducerEpoch
];

/// `OffsetForLeaderEpochRequest.json`: versions 0-4, flexible 4+.
const OFFSET_FOR_LEADER_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL), // Partition
    f(Kind::Int32, 2, ALL), // CurrentLeaderEpoch
    f(Kind::Int32, 0, ALL), // LeaderEpoch
];
const OFFSET_FOR_LEADER_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL), // Topic
    f(
        Kind::Array(&Kind::Struct(OFFSET_FOR_LEADER_PARTITION)),
        0,
        ALL,
    ), // Partitions
];
const OFFSET_FOR_LEADER_EPOCH_REQUEST: &[Field] = &[
    f(Kind::Int32, 3, ALL),                                         // ReplicaId
    f(Kind::Array(&Kind::Struct(OFFSET_FOR_LEADER_TOPIC)), 0, ALL), // Topics
];

/// `ProduceRequest.json` schema.
pub const PRODUCE_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 9,
    fields: PRODUCE_REQUEST,
};
/// `FetchRequest.json` schema.
pub const FETCH_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 12,
    fields: FETCH_REQUEST,
};
/// `ListOffsetsRequest.json` schema.
pub const LIST_OFFSETS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 6,
    fields: LIST_OFFSETS_REQUEST,
};
/// `LeaderAndIsrRequest.json` schema.
pub const LEADER_AND_ISR_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: LEADER_AND_ISR_REQUEST,
};
/// `StopReplicaRequest.json` schema.
pub const STOP_REPLICA_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: STOP_REPLICA_REQUEST,
};
/// `InitProducerIdRequest.json` schema.
pub const INIT_PRODUCER_ID_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: INIT_PRODUCER_ID_REQUEST,
};
/// `OffsetForLeaderEpochRequest.json` schema.
pub const OFFSET_FOR_LEADER_EPOCH_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: OFFSET_FOR_LEADER_EPOCH_REQUEST,
};

#[cfg(test)]
pub(crate) mod tests {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::ApiKey;
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{Encodable, StrBytes};
    use uuid::Uuid;

    use super::super::guard::{check_body, consumed};

    pub(in crate::protocol) fn name(s: &'static str) -> TopicName {
        TopicName(StrBytes::from_static_str(s))
    }

    /// Encodes with the crate at every version in `versions`, walks the bytes with the schema
    /// (every byte consumed) and checks that a truncated body is refused.
    pub(crate) fn check<T: Encodable>(
        key: ApiKey,
        versions: std::ops::RangeInclusive<i16>,
        build: impl Fn(i16) -> T,
    ) {
        for v in versions {
            let mut b = BytesMut::new();
            build(v).encode(&mut b, v).unwrap();
            assert_eq!(consumed(key, v, &b).unwrap(), b.len(), "{key:?} v{v}");
            if b.len() > 1 {
                assert!(
                    check_body(key, v, &b[..b.len() - 1]).is_err(),
                    "{key:?} v{v} truncated"
                );
            }
        }
    }

    /// Kafka's generated readers consume exactly the fields of each version
    /// (`*Request.json`); the schemas must walk the crate's encoding byte for byte, or a
    /// valid request would be refused (or an invalid one let through).
    #[test]
    fn schemas_walk_every_version_exactly() {
        check(ApiKey::Produce, 0..=11, |v| {
            let pd = produce_request::PartitionProduceData::default()
                .with_index(3)
                .with_records(Some(Bytes::from_static(b"0123456789")));
            let t = produce_request::TopicProduceData::default()
                .with_name(name("t"))
                .with_partition_data(vec![pd]);
            let mut r = ProduceRequest::default()
                .with_acks(-1)
                .with_timeout_ms(100)
                .with_topic_data(vec![t]);
            if v >= 3 {
                r.transactional_id = Some(TransactionalId(StrBytes::from_static_str("x")));
            }
            r
        });
        check(ApiKey::Fetch, 0..=17, |v| {
            let p = fetch_request::FetchPartition::default()
                .with_partition(1)
                .with_fetch_offset(5)
                .with_partition_max_bytes(9);
            let mut t = fetch_request::FetchTopic::default().with_partitions(vec![p]);
            if v >= 13 {
                t.topic_id = Uuid::from_u128(7);
            } else {
                t.topic = name("t");
            }
            let mut r = FetchRequest::default()
                .with_max_wait_ms(500)
                .with_topics(vec![t]);
            if v >= 7 {
                let mut f = fetch_request::ForgottenTopic::default().with_partitions(vec![1, 2]);
                if v < 13 {
                    f.topic = name("g");
                }
                r.forgotten_topics_data = vec![f];
            }
            if v >= 12 {
                r.cluster_id = Some(StrBytes::from_static_str("c"));
            }
            if v >= 15 {
                r.replica_state = fetch_request::ReplicaState::default()
                    .with_replica_id(BrokerId(2))
                    .with_replica_epoch(9);
            }
            if v >= 11 {
                r.rack_id = StrBytes::from_static_str("r1");
            }
            r
        });
        check(ApiKey::ListOffsets, 0..=9, |v| {
            let mut p = list_offsets_request::ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-1);
            if v == 0 {
                p.max_num_offsets = 1;
            }
            let t = list_offsets_request::ListOffsetsTopic::default()
                .with_name(name("t"))
                .with_partitions(vec![p]);
            ListOffsetsRequest::default()
                .with_replica_id(BrokerId(-1))
                .with_topics(vec![t])
        });
        check(ApiKey::LeaderAndIsr, 0..=7, |v| {
            let mut s = leader_and_isr_request::LeaderAndIsrPartitionState::default()
                .with_partition_index(0)
                .with_leader(BrokerId(1))
                .with_isr(vec![BrokerId(1), BrokerId(2)])
                .with_replicas(vec![BrokerId(1), BrokerId(2)]);
            if v < 2 {
                s.topic_name = name("t");
            }
            let mut r = LeaderAndIsrRequest::default()
                .with_controller_id(BrokerId(1))
                .with_controller_epoch(1);
            if v < 2 {
                r.ungrouped_partition_states = vec![s];
            } else {
                r.topic_states = vec![leader_and_isr_request::LeaderAndIsrTopicState::default()
                    .with_topic_name(name("t"))
                    .with_partition_states(vec![s])];
            }
            r.live_leaders = vec![leader_and_isr_request::LeaderAndIsrLiveLeader::default()
                .with_broker_id(BrokerId(1))
                .with_host_name(StrBytes::from_static_str("h"))
                .with_port(9092)];
            r
        });
        check(ApiKey::StopReplica, 0..=4, |v| {
            let mut r = StopReplicaRequest::default().with_controller_id(BrokerId(1));
            match v {
                0 => {
                    r.ungrouped_partitions =
                        vec![stop_replica_request::StopReplicaPartitionV0::default()
                            .with_topic_name(name("t"))
                            .with_partition_index(2)]
                }
                1 | 2 => {
                    r.topics = vec![stop_replica_request::StopReplicaTopicV1::default()
                        .with_name(name("t"))
                        .with_partition_indexes(vec![0, 1])]
                }
                _ => {
                    r.topic_states = vec![stop_replica_request::StopReplicaTopicState::default()
                        .with_topic_name(name("t"))
                        .with_partition_states(vec![
                            stop_replica_request::StopReplicaPartitionState::default()
                                .with_partition_index(1)
                                .with_leader_epoch(3)
                                .with_delete_partition(true),
                        ])]
                }
            }
            r
        });
        check(ApiKey::InitProducerId, 0..=5, |_| {
            InitProducerIdRequest::default().with_transaction_timeout_ms(60_000)
        });
        check(ApiKey::OffsetForLeaderEpoch, 0..=4, |_| {
            let p = offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                .with_partition(0)
                .with_leader_epoch(3);
            let t = offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![p]);
            OffsetForLeaderEpochRequest::default().with_topics(vec![t])
        });
    }
}
