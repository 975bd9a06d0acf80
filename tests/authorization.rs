//! Operation × resource of every API served (CreateTopics, DeleteTopics, CreatePartitions and
//! DescribeConfigs answer NOT_CONTROLLER / need the admin manager first, so they are covered by
//! reading their handlers, not here), checked through the real handlers: a principal
//! without ACLs gets Kafka's authorization error, and the one ACL Kafka requires for that API
//! removes it (semantics doc §6.2 table; Kafka: `KafkaApis.handle*` with `AuthHelper`,
//! "Operations and Resources on Protocols" in Kafka's security documentation).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Buf, Bytes};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use zkafka::apis::{KafkaApis, KafkaApisConfig};
use zkafka::cluster::SecurityProtocol;
use zkafka::log::{LogConfig, LogDirFailureChannel, LogManager, LogManagerOptions};
use zkafka::metadata_cache::MetadataCache;
use zkafka::network::{Request, RequestContext, Response};
use zkafka::protocol::{encode_request, parse_request_header};
use zkafka::replica::alter_partition::AcceptingAlterPartitionSender;
use zkafka::replica::producer_id_manager::InMemoryProducerIdBlockSourceForTests;
use zkafka::replica::{ReplicaManager, ReplicaManagerConfig, RpcProducerIdManager};
use zkafka::security::authorizer::{AclAuthorizer, AuthorizerConfig};
use zkafka::security::KafkaPrincipal;
use zkafka::time::SystemClock;
use zkafka::zk::znodes::{
    AclEntry, AclOperation as Op, AclPermissionType, PatternType, ResourcePattern,
    ResourceType as Rt,
};

const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
const CLUSTER_AUTHORIZATION_FAILED: i16 = 31;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
const GROUP_AUTHORIZATION_FAILED: i16 = 30;

fn name(s: &'static str) -> TopicName {
    TopicName(StrBytes::from_static_str(s))
}

fn request<T: Encodable>(key: ApiKey, version: i16, body: &T) -> Request {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("authz-test")));
    let mut frame = encode_request(&header, body).unwrap();
    frame.advance(4);
    let header = parse_request_header(&mut frame).unwrap();
    Request {
        context: RequestContext {
            header,
            connection_id: "authz".into(),
            client_address: "10.1.2.3:5555".parse().unwrap(),
            listener_name: "SASL_PLAINTEXT".into(),
            security_protocol: SecurityProtocol::SaslPlaintext,
            client_information: Default::default(),
            principal: Arc::new(KafkaPrincipal::user("alice")),
        },
        body: frame,
        received_at: Instant::now(),
    }
}

fn body<T: Decodable>(response: Response, key: ApiKey, version: i16) -> T {
    let Response::Send(send) = response else {
        panic!("{key:?}: expected a response, got {response:?}")
    };
    let mut all = bytes::BytesMut::new();
    for c in send.chunks() {
        all.extend_from_slice(c);
    }
    let mut b: Bytes = all.freeze();
    b.advance(4);
    ResponseHeader::decode(&mut b, key.response_header_version(version)).unwrap();
    T::decode(&mut b, version).unwrap()
}

/// One API: its request, the error code a principal without ACLs must get, the ACL that lifts
/// it, and how to read the error code out of the response.
struct Row {
    what: &'static str,
    key: ApiKey,
    version: i16,
    request: Request,
    denied: i16,
    grant: Vec<(Op, Rt, &'static str)>,
    error: fn(Response, ApiKey, i16) -> i16,
}

fn rows() -> Vec<Row> {
    let produce = |txn: Option<&'static str>| {
        let mut r = ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![produce_request::TopicProduceData::default()
                .with_name(name("t"))
                .with_partition_data(vec![
                    produce_request::PartitionProduceData::default().with_index(0),
                ])]);
        r.transactional_id = txn.map(|t| TransactionalId(StrBytes::from_static_str(t)));
        request(ApiKey::Produce, 9, &r)
    };
    fn produce_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<ProduceResponse>(r, k, v).responses[0].partition_responses[0].error_code
    }
    let fetch = |replica: i32| {
        let r = FetchRequest::default()
            .with_replica_id(BrokerId(replica))
            .with_max_wait_ms(0)
            .with_topics(vec![fetch_request::FetchTopic::default()
                .with_topic(name("t"))
                .with_partitions(vec![fetch_request::FetchPartition::default()
                    .with_partition(0)
                    .with_partition_max_bytes(1024)])]);
        request(ApiKey::Fetch, 12, &r)
    };
    fn fetch_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<FetchResponse>(r, k, v).responses[0].partitions[0].error_code
    }
    fn list_offsets_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<ListOffsetsResponse>(r, k, v).topics[0].partitions[0].error_code
    }
    fn metadata_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<MetadataResponse>(r, k, v).topics[0].error_code
    }
    fn leader_and_isr_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<LeaderAndIsrResponse>(r, k, v).error_code
    }
    fn stop_replica_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<StopReplicaResponse>(r, k, v).error_code
    }
    fn update_metadata_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<UpdateMetadataResponse>(r, k, v).error_code
    }
    fn init_producer_id_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<InitProducerIdResponse>(r, k, v).error_code
    }
    fn ofle_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<OffsetForLeaderEpochResponse>(r, k, v).topics[0].partitions[0].error_code
    }
    fn create_acls_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<CreateAclsResponse>(r, k, v).results[0].error_code
    }
    fn describe_acls_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<DescribeAclsResponse>(r, k, v).error_code
    }
    fn delete_acls_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<DeleteAclsResponse>(r, k, v).filter_results[0].error_code
    }
    fn describe_scram_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<DescribeUserScramCredentialsResponse>(r, k, v).error_code
    }
    fn join_group_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<JoinGroupResponse>(r, k, v).error_code
    }
    fn sync_group_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<SyncGroupResponse>(r, k, v).error_code
    }
    fn heartbeat_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<HeartbeatResponse>(r, k, v).error_code
    }
    fn leave_group_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<LeaveGroupResponse>(r, k, v).error_code
    }
    fn find_coordinator_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<FindCoordinatorResponse>(r, k, v).error_code
    }
    fn describe_groups_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<DescribeGroupsResponse>(r, k, v).groups[0].error_code
    }
    fn delete_groups_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<DeleteGroupsResponse>(r, k, v).results[0].error_code
    }
    fn offset_delete_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<OffsetDeleteResponse>(r, k, v).error_code
    }
    fn offset_commit_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<OffsetCommitResponse>(r, k, v).topics[0].partitions[0].error_code
    }
    fn offset_fetch_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<OffsetFetchResponse>(r, k, v).error_code
    }
    fn alter_partition_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<AlterPartitionResponse>(r, k, v).error_code
    }
    fn allocate_producer_ids_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<AllocateProducerIdsResponse>(r, k, v).error_code
    }
    fn controlled_shutdown_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<ControlledShutdownResponse>(r, k, v).error_code
    }
    fn elect_leaders_error(r: Response, k: ApiKey, v: i16) -> i16 {
        body::<ElectLeadersResponse>(r, k, v).replica_election_results[0].partition_result[0]
            .error_code
    }
    let group = || GroupId(StrBytes::from_static_str("g"));
    let cluster = "kafka-cluster";
    vec![
        Row {
            what: "JoinGroup",
            key: ApiKey::JoinGroup,
            version: 5,
            request: request(
                ApiKey::JoinGroup,
                5,
                &JoinGroupRequest::default()
                    .with_group_id(group())
                    .with_session_timeout_ms(10000)
                    .with_rebalance_timeout_ms(10000)
                    .with_protocol_type(StrBytes::from_static_str("consumer")),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Group, "g")],
            error: join_group_error,
        },
        Row {
            what: "SyncGroup",
            key: ApiKey::SyncGroup,
            version: 3,
            request: request(
                ApiKey::SyncGroup,
                3,
                &SyncGroupRequest::default().with_group_id(group()),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Group, "g")],
            error: sync_group_error,
        },
        Row {
            what: "Heartbeat",
            key: ApiKey::Heartbeat,
            version: 3,
            request: request(
                ApiKey::Heartbeat,
                3,
                &HeartbeatRequest::default().with_group_id(group()),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Group, "g")],
            error: heartbeat_error,
        },
        Row {
            what: "LeaveGroup",
            key: ApiKey::LeaveGroup,
            version: 2,
            request: request(
                ApiKey::LeaveGroup,
                2,
                &LeaveGroupRequest::default().with_group_id(group()),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Group, "g")],
            error: leave_group_error,
        },
        Row {
            what: "FindCoordinator (group)",
            key: ApiKey::FindCoordinator,
            version: 3,
            request: request(
                ApiKey::FindCoordinator,
                3,
                &FindCoordinatorRequest::default()
                    .with_key(StrBytes::from_static_str("g"))
                    .with_key_type(0),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Group, "g")],
            error: find_coordinator_error,
        },
        Row {
            what: "FindCoordinator (transaction)",
            key: ApiKey::FindCoordinator,
            version: 3,
            request: request(
                ApiKey::FindCoordinator,
                3,
                &FindCoordinatorRequest::default()
                    .with_key(StrBytes::from_static_str("tx"))
                    .with_key_type(1),
            ),
            denied: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::TransactionalId, "tx")],
            error: find_coordinator_error,
        },
        Row {
            what: "DescribeGroups",
            key: ApiKey::DescribeGroups,
            version: 5,
            request: request(
                ApiKey::DescribeGroups,
                5,
                &DescribeGroupsRequest::default().with_groups(vec![group()]),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Group, "g")],
            error: describe_groups_error,
        },
        Row {
            what: "DeleteGroups",
            key: ApiKey::DeleteGroups,
            version: 2,
            request: request(
                ApiKey::DeleteGroups,
                2,
                &DeleteGroupsRequest::default().with_groups_names(vec![group()]),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Delete, Rt::Group, "g")],
            error: delete_groups_error,
        },
        Row {
            what: "OffsetDelete",
            key: ApiKey::OffsetDelete,
            version: 0,
            request: request(
                ApiKey::OffsetDelete,
                0,
                &OffsetDeleteRequest::default().with_group_id(group()),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Delete, Rt::Group, "g")],
            error: offset_delete_error,
        },
        Row {
            what: "OffsetCommit",
            key: ApiKey::OffsetCommit,
            version: 8,
            request: request(
                ApiKey::OffsetCommit,
                8,
                &OffsetCommitRequest::default()
                    .with_group_id(group())
                    .with_topics(vec![
                        offset_commit_request::OffsetCommitRequestTopic::default()
                            .with_name(name("t"))
                            .with_partitions(vec![
                                offset_commit_request::OffsetCommitRequestPartition::default()
                                    .with_partition_index(0)
                                    .with_committed_offset(5),
                            ]),
                    ]),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Group, "g"), (Op::Read, Rt::Topic, "t")],
            error: offset_commit_error,
        },
        Row {
            what: "OffsetFetch",
            key: ApiKey::OffsetFetch,
            version: 7,
            request: request(
                ApiKey::OffsetFetch,
                7,
                &OffsetFetchRequest::default()
                    .with_group_id(group())
                    .with_topics(None),
            ),
            denied: GROUP_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Group, "g")],
            error: offset_fetch_error,
        },
        Row {
            what: "AlterPartition",
            key: ApiKey::AlterPartition,
            version: 3,
            request: request(
                ApiKey::AlterPartition,
                3,
                &AlterPartitionRequest::default().with_broker_id(BrokerId(2)),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: alter_partition_error,
        },
        Row {
            what: "AllocateProducerIds",
            key: ApiKey::AllocateProducerIds,
            version: 0,
            request: request(
                ApiKey::AllocateProducerIds,
                0,
                &AllocateProducerIdsRequest::default().with_broker_id(BrokerId(2)),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: allocate_producer_ids_error,
        },
        Row {
            what: "ControlledShutdown",
            key: ApiKey::ControlledShutdown,
            version: 3,
            request: request(
                ApiKey::ControlledShutdown,
                3,
                &ControlledShutdownRequest::default().with_broker_id(BrokerId(2)),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: controlled_shutdown_error,
        },
        Row {
            what: "ElectLeaders",
            key: ApiKey::ElectLeaders,
            version: 2,
            request: request(
                ApiKey::ElectLeaders,
                2,
                &ElectLeadersRequest::default()
                    .with_timeout_ms(100)
                    .with_topic_partitions(Some(vec![
                        elect_leaders_request::TopicPartitions::default()
                            .with_topic(name("t"))
                            .with_partitions(vec![0]),
                    ])),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Alter, Rt::Cluster, cluster)],
            error: elect_leaders_error,
        },
        Row {
            what: "Produce",
            key: ApiKey::Produce,
            version: 9,
            request: produce(None),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::Write, Rt::Topic, "t")],
            error: produce_error,
        },
        Row {
            what: "transactional Produce",
            key: ApiKey::Produce,
            version: 9,
            request: produce(Some("tx")),
            denied: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            grant: vec![
                (Op::Write, Rt::TransactionalId, "tx"),
                (Op::Write, Rt::Topic, "t"),
            ],
            error: produce_error,
        },
        Row {
            what: "consumer Fetch",
            key: ApiKey::Fetch,
            version: 12,
            request: fetch(-1),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::Read, Rt::Topic, "t")],
            error: fetch_error,
        },
        Row {
            what: "follower Fetch",
            key: ApiKey::Fetch,
            version: 12,
            request: fetch(2),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: fetch_error,
        },
        Row {
            what: "ListOffsets",
            key: ApiKey::ListOffsets,
            version: 7,
            request: request(
                ApiKey::ListOffsets,
                7,
                &ListOffsetsRequest::default()
                    .with_replica_id(BrokerId(-1))
                    .with_topics(vec![list_offsets_request::ListOffsetsTopic::default()
                        .with_name(name("t"))
                        .with_partitions(vec![
                            list_offsets_request::ListOffsetsPartition::default()
                                .with_partition_index(0)
                                .with_timestamp(-1),
                        ])]),
            ),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Topic, "t")],
            error: list_offsets_error,
        },
        Row {
            what: "Metadata",
            key: ApiKey::Metadata,
            version: 12,
            request: request(
                ApiKey::Metadata,
                12,
                &MetadataRequest::default().with_topics(Some(vec![
                    metadata_request::MetadataRequestTopic::default().with_name(Some(name("t"))),
                ])),
            ),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Topic, "t")],
            error: metadata_error,
        },
        Row {
            what: "LeaderAndIsr",
            key: ApiKey::LeaderAndIsr,
            version: 7,
            request: request(
                ApiKey::LeaderAndIsr,
                7,
                &LeaderAndIsrRequest::default()
                    .with_controller_id(BrokerId(1))
                    .with_controller_epoch(1),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: leader_and_isr_error,
        },
        Row {
            what: "StopReplica",
            key: ApiKey::StopReplica,
            version: 4,
            request: request(
                ApiKey::StopReplica,
                4,
                &StopReplicaRequest::default()
                    .with_controller_id(BrokerId(1))
                    .with_controller_epoch(1),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: stop_replica_error,
        },
        Row {
            what: "UpdateMetadata",
            key: ApiKey::UpdateMetadata,
            version: 8,
            request: request(
                ApiKey::UpdateMetadata,
                8,
                &UpdateMetadataRequest::default()
                    .with_controller_id(BrokerId(1))
                    .with_controller_epoch(1),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::ClusterAction, Rt::Cluster, cluster)],
            error: update_metadata_error,
        },
        Row {
            what: "idempotent InitProducerId",
            key: ApiKey::InitProducerId,
            version: 4,
            request: request(
                ApiKey::InitProducerId,
                4,
                &InitProducerIdRequest::default().with_transaction_timeout_ms(60000),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::IdempotentWrite, Rt::Cluster, cluster)],
            error: init_producer_id_error,
        },
        Row {
            what: "idempotent InitProducerId (Write on some topic)",
            key: ApiKey::InitProducerId,
            version: 4,
            request: request(
                ApiKey::InitProducerId,
                4,
                &InitProducerIdRequest::default().with_transaction_timeout_ms(60000),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Write, Rt::Topic, "any-topic")],
            error: init_producer_id_error,
        },
        Row {
            what: "transactional InitProducerId",
            key: ApiKey::InitProducerId,
            version: 4,
            request: request(
                ApiKey::InitProducerId,
                4,
                &InitProducerIdRequest::default()
                    .with_transactional_id(Some(TransactionalId(StrBytes::from_static_str("tx"))))
                    .with_transaction_timeout_ms(60000),
            ),
            denied: TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            grant: vec![(Op::Write, Rt::TransactionalId, "tx")],
            error: init_producer_id_error,
        },
        Row {
            what: "OffsetForLeaderEpoch",
            key: ApiKey::OffsetForLeaderEpoch,
            version: 4,
            request: request(
                ApiKey::OffsetForLeaderEpoch,
                4,
                &OffsetForLeaderEpochRequest::default()
                    .with_replica_id(BrokerId(-1))
                    .with_topics(vec![
                        offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                            .with_topic(name("t"))
                            .with_partitions(vec![
                                offset_for_leader_epoch_request::OffsetForLeaderPartition::default(
                                )
                                .with_partition(0)
                                .with_leader_epoch(0),
                            ]),
                    ]),
            ),
            denied: TOPIC_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Topic, "t")],
            error: ofle_error,
        },
        Row {
            what: "CreateAcls",
            key: ApiKey::CreateAcls,
            version: 3,
            request: request(
                ApiKey::CreateAcls,
                3,
                &CreateAclsRequest::default().with_creations(vec![
                    create_acls_request::AclCreation::default()
                        .with_resource_type(2)
                        .with_resource_name(StrBytes::from_static_str("x"))
                        .with_resource_pattern_type(3)
                        .with_principal(StrBytes::from_static_str("User:bob"))
                        .with_host(StrBytes::from_static_str("*"))
                        .with_operation(3)
                        .with_permission_type(3),
                ]),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Alter, Rt::Cluster, cluster)],
            error: create_acls_error,
        },
        Row {
            what: "DescribeAcls",
            key: ApiKey::DescribeAcls,
            version: 3,
            request: request(
                ApiKey::DescribeAcls,
                3,
                &DescribeAclsRequest::default()
                    .with_resource_type_filter(1)
                    .with_pattern_type_filter(1)
                    .with_operation(1)
                    .with_permission_type(1),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Cluster, cluster)],
            error: describe_acls_error,
        },
        Row {
            what: "DeleteAcls",
            key: ApiKey::DeleteAcls,
            version: 3,
            request: request(
                ApiKey::DeleteAcls,
                3,
                &DeleteAclsRequest::default().with_filters(vec![
                    delete_acls_request::DeleteAclsFilter::default()
                        .with_resource_type_filter(2)
                        .with_pattern_type_filter(1)
                        .with_operation(1)
                        .with_permission_type(1),
                ]),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Alter, Rt::Cluster, cluster)],
            error: delete_acls_error,
        },
        Row {
            what: "DescribeUserScramCredentials",
            key: ApiKey::DescribeUserScramCredentials,
            version: 0,
            request: request(
                ApiKey::DescribeUserScramCredentials,
                0,
                &DescribeUserScramCredentialsRequest::default(),
            ),
            denied: CLUSTER_AUTHORIZATION_FAILED,
            grant: vec![(Op::Describe, Rt::Cluster, cluster)],
            error: describe_scram_error,
        },
    ]
}

fn apis_with(authorizer: Arc<AclAuthorizer>, dir: &std::path::Path) -> KafkaApis {
    let cache = Arc::new(MetadataCache::new(1));
    let apis = KafkaApis::new(
        KafkaApisConfig {
            broker_id: 1,
            cluster_id: "authz".into(),
            advertised_listeners: vec![],
            auto_create_topics_enable: false,
        },
        cache.clone(),
    );
    let logs = LogManager::startup(
        &[dir.join("logs")],
        LogConfig::default(),
        SystemClock::shared(),
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions::default(),
    )
    .unwrap();
    let rm = ReplicaManager::new(
        ReplicaManagerConfig::new(1),
        SystemClock::shared(),
        logs,
        cache,
        apis.controller_epoch.clone(),
        Arc::new(|_t: &str| BTreeMap::new()),
        Arc::new(AcceptingAlterPartitionSender::new()),
    );
    apis.with_replica_manager(rm)
        .with_producer_id_manager(Arc::new(RpcProducerIdManager::new(Arc::new(
            InMemoryProducerIdBlockSourceForTests::default(),
        ))))
        .with_authorizer(authorizer)
}

/// Every row: denied without ACLs with Kafka's error code; the ACL Kafka names for the API
/// lifts exactly that error; a DENY for the same operation brings it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operation_and_resource_of_every_api() {
    let dir = tempfile::tempdir().unwrap();
    for row in rows() {
        let authorizer = Arc::new(AclAuthorizer::new(AuthorizerConfig::default()));
        let apis = apis_with(authorizer.clone(), dir.path());
        let code = (row.error)(apis.handle(&row.request).await, row.key, row.version);
        assert_eq!(code, row.denied, "{}: without ACLs", row.what);

        let allow = |op: Op, permission| AclEntry {
            principal: "User:alice".into(),
            permission_type: permission,
            host: "10.1.2.3".into(),
            operation: op,
        };
        for (op, rt, res) in &row.grant {
            authorizer.set_cached_acls(
                ResourcePattern {
                    resource_type: *rt,
                    name: res.to_string(),
                    pattern_type: PatternType::Literal,
                },
                vec![allow(*op, AclPermissionType::Allow)],
            );
        }
        let code = (row.error)(apis.handle(&row.request).await, row.key, row.version);
        assert!(
            code != TOPIC_AUTHORIZATION_FAILED
                && code != CLUSTER_AUTHORIZATION_FAILED
                && code != TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            "{}: still denied ({code}) with {:?}",
            row.what,
            row.grant
        );

        let (op, rt, res) = row.grant[0];
        authorizer.set_cached_acls(
            ResourcePattern {
                resource_type: rt,
                name: res.to_string(),
                pattern_type: PatternType::Literal,
            },
            vec![
                allow(op, AclPermissionType::Allow),
                allow(op, AclPermissionType::Deny),
            ],
        );
        let code = (row.error)(apis.handle(&row.request).await, row.key, row.version);
        assert_eq!(code, row.denied, "{}: a DENY overrides the ALLOW", row.what);
    }
}

fn allow_alice(authorizer: &AclAuthorizer, rt: Rt, res: &str, ops: &[Op]) {
    authorizer.set_cached_acls(
        ResourcePattern {
            resource_type: rt,
            name: res.to_string(),
            pattern_type: PatternType::Literal,
        },
        ops.iter()
            .map(|op| AclEntry {
                principal: "User:alice".into(),
                permission_type: AclPermissionType::Allow,
                host: "*".into(),
                operation: *op,
            })
            .collect(),
    );
}

/// Metadata v8-10 authorized operations (Kafka: `KafkaApis.handleTopicMetadataRequest` with
/// `AuthHelper.authorizedOperations`): a principal with Read on a topic gets READ(3)|DESCRIBE(8)
/// = 264 for it (Read implies Describe; every supported topic operation is tested); the
/// cluster's operations are 0 without Describe on the cluster and the DESCRIBE bit (256) with
/// it; not asked → `Integer.MIN_VALUE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_authorized_operations() {
    let dir = tempfile::tempdir().unwrap();
    let authorizer = Arc::new(AclAuthorizer::new(AuthorizerConfig::default()));
    let apis = apis_with(authorizer.clone(), dir.path());
    allow_alice(&authorizer, Rt::Topic, "t", &[Op::Read]);
    let metadata = |topic_ops: bool, cluster_ops: bool| {
        request(
            ApiKey::Metadata,
            10,
            &MetadataRequest::default()
                .with_topics(Some(vec![metadata_request::MetadataRequestTopic::default(
                )
                .with_name(Some(name("t")))]))
                .with_include_topic_authorized_operations(topic_ops)
                .with_include_cluster_authorized_operations(cluster_ops),
        )
    };
    let r: MetadataResponse = body(
        apis.handle(&metadata(true, true)).await,
        ApiKey::Metadata,
        10,
    );
    assert_eq!(r.topics.len(), 1);
    assert_eq!(r.topics[0].topic_authorized_operations, (1 << 3) | (1 << 8));
    assert_eq!(r.cluster_authorized_operations, 0);

    allow_alice(&authorizer, Rt::Cluster, "kafka-cluster", &[Op::Describe]);
    let r: MetadataResponse = body(
        apis.handle(&metadata(false, true)).await,
        ApiKey::Metadata,
        10,
    );
    assert_eq!(r.cluster_authorized_operations, 1 << 8);
    assert_eq!(r.topics[0].topic_authorized_operations, i32::MIN);

    allow_alice(&authorizer, Rt::Topic, "t", &[Op::All]);
    let r: MetadataResponse = body(
        apis.handle(&metadata(true, false)).await,
        ApiKey::Metadata,
        10,
    );
    // TOPIC: READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
    assert_eq!(r.topics[0].topic_authorized_operations, 3576);
    assert_eq!(r.cluster_authorized_operations, i32::MIN);
}

/// DescribeGroups v5 (Kafka: `KafkaApis.handleDescribeGroupsRequest`): groups denied Describe
/// come first with GROUP_AUTHORIZATION_FAILED and `Integer.MIN_VALUE` operations; a group
/// answered with an error (here COORDINATOR_NOT_AVAILABLE, no coordinator) carries no
/// operations either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_groups_authorized_operations_and_order() {
    let dir = tempfile::tempdir().unwrap();
    let authorizer = Arc::new(AclAuthorizer::new(AuthorizerConfig::default()));
    let apis = apis_with(authorizer.clone(), dir.path());
    allow_alice(&authorizer, Rt::Group, "mine", &[Op::Describe]);
    let req = request(
        ApiKey::DescribeGroups,
        5,
        &DescribeGroupsRequest::default()
            .with_groups(vec![
                GroupId(StrBytes::from_static_str("mine")),
                GroupId(StrBytes::from_static_str("theirs")),
            ])
            .with_include_authorized_operations(true),
    );
    let r: DescribeGroupsResponse = body(apis.handle(&req).await, ApiKey::DescribeGroups, 5);
    let seen: Vec<(String, i16, i32)> = r
        .groups
        .iter()
        .map(|g| {
            (
                g.group_id.to_string(),
                g.error_code,
                g.authorized_operations,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("theirs".to_string(), GROUP_AUTHORIZATION_FAILED, i32::MIN),
            ("mine".to_string(), 15, i32::MIN),
        ]
    );
}
