//! The data path end to end, in process and without ZooKeeper: `SocketServer` + `KafkaApis` +
//! `ReplicaManager` + `LogManager` on 127.0.0.1:0. A test plays the controller — it sends
//! UpdateMetadata v8 and LeaderAndIsr v7 over the socket exactly as Kafka 3.9's controller
//! does — then real clients produce and consume: kcat (librdkafka 2.0) and confluent-kafka
//! from Python with an idempotent acks=all producer, plus raw Produce requests built with
//! kafka-protocol for the idempotence rules and a two-broker replication scenario.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::leader_and_isr_request::{
    LeaderAndIsrPartitionState, LeaderAndIsrTopicState,
};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::update_metadata_request::{
    UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataPartitionState,
    UpdateMetadataTopicState,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;
use zkafka::apis::{KafkaApis, KafkaApisConfig};
use zkafka::cluster::{EndPoint, SecurityProtocol};
use zkafka::log::{LogConfig, LogDirFailureChannel, LogManager, LogManagerOptions};
use zkafka::metadata_cache::MetadataCache;
use zkafka::network::{SocketServer, SocketServerConfig};
use zkafka::protocol::encode_request;
use zkafka::replica::alter_partition::AcceptingAlterPartitionSender;
use zkafka::replica::producer_id_manager::InMemoryProducerIdBlockSourceForTests;
use zkafka::replica::{ReplicaManager, ReplicaManagerConfig, RpcProducerIdManager};
use zkafka::time::SystemClock;

#[path = "data_path/clients.rs"]
mod clients;

const TIMEOUT: Duration = Duration::from_secs(20);

struct Broker {
    id: i32,
    port: u16,
    rm: Arc<ReplicaManager>,
    _server: SocketServer,
    _dir: tempfile::TempDir,
}

async fn start_broker(id: i32, pids: Arc<InMemoryProducerIdBlockSourceForTests>) -> Broker {
    // RUST_LOG=zkafka=debug shows the broker's side when a client misbehaves.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let server = SocketServer::bind(SocketServerConfig {
        listeners: vec![EndPoint {
            host: "127.0.0.1".into(),
            port: 0,
            listener_name: "PLAINTEXT".into(),
            security_protocol: SecurityProtocol::Plaintext,
        }],
        ..SocketServerConfig::default()
    })
    .await
    .unwrap();
    let port = server.bound_port("PLAINTEXT").unwrap();
    let clock = SystemClock::shared();
    let logs = LogManager::startup(
        &[dir.path().join("logs")],
        LogConfig::default(),
        clock.clone(),
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions::default(),
    )
    .unwrap();
    let cache = Arc::new(MetadataCache::new(id));
    let apis = KafkaApis::new(
        KafkaApisConfig {
            broker_id: id,
            cluster_id: "data-path-test".into(),
            advertised_listeners: server.bound_endpoints(),
            auto_create_topics_enable: false,
        },
        cache.clone(),
    );
    let mut cfg = ReplicaManagerConfig::new(id);
    cfg.fetcher.replica_fetch_wait_max_ms = 100;
    cfg.fetcher.replica_fetch_backoff_ms = 100;
    let rm = ReplicaManager::new(
        cfg,
        clock,
        logs,
        cache,
        apis.controller_epoch.clone(),
        Arc::new(|_topic: &str| BTreeMap::new()),
        Arc::new(AcceptingAlterPartitionSender::new()),
    );
    rm.start_isr_expiration();
    let apis = apis
        .with_replica_manager(rm.clone())
        .with_producer_id_manager(Arc::new(RpcProducerIdManager::new(pids)));
    server.enable_request_processing(Arc::new(apis)).unwrap();
    Broker {
        id,
        port,
        rm,
        _server: server,
        _dir: dir,
    }
}

async fn call<Req: Encodable, Resp: Decodable>(
    s: &mut TcpStream,
    key: ApiKey,
    version: i16,
    body: &Req,
) -> Resp {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(7)
        .with_client_id(Some(StrBytes::from_static_str("data-path-test")));
    s.write_all(&encode_request(&header, body).unwrap())
        .await
        .unwrap();
    let size = tokio::time::timeout(TIMEOUT, s.read_i32())
        .await
        .expect("response in time")
        .unwrap();
    let mut buf = vec![0u8; size as usize];
    s.read_exact(&mut buf).await.unwrap();
    let mut b = Bytes::from(buf);
    let h = ResponseHeader::decode(&mut b, key.response_header_version(version)).unwrap();
    assert_eq!(h.correlation_id, 7);
    let r = Resp::decode(&mut b, version).unwrap();
    assert!(!b.has_remaining());
    r
}

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port)).await.unwrap()
}

fn name(s: &str) -> TopicName {
    TopicName(StrBytes::from_string(s.to_string()))
}

/// UpdateMetadata v8 to `to`: `alive` brokers and the topic's partition states.
async fn update_metadata(
    to: &Broker,
    alive: &[&Broker],
    topic: &str,
    topic_id: Uuid,
    parts: &[(Vec<i32>, i32, i32)],
) {
    let live: Vec<UpdateMetadataBroker> = alive
        .iter()
        .map(|b| {
            UpdateMetadataBroker::default()
                .with_id(BrokerId(b.id))
                .with_endpoints(vec![UpdateMetadataEndpoint::default()
                    .with_host(StrBytes::from_static_str("127.0.0.1"))
                    .with_port(i32::from(b.port))
                    .with_listener(StrBytes::from_static_str("PLAINTEXT"))
                    .with_security_protocol(0)])
        })
        .collect();
    let um = UpdateMetadataRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_broker_epoch(-1)
        .with_topic_states(vec![UpdateMetadataTopicState::default()
            .with_topic_name(name(topic))
            .with_topic_id(topic_id)
            .with_partition_states(
                parts
                    .iter()
                    .enumerate()
                    .map(|(p, (replicas, leader, epoch))| {
                        UpdateMetadataPartitionState::default()
                            .with_partition_index(p as i32)
                            .with_controller_epoch(1)
                            .with_leader(BrokerId(*leader))
                            .with_leader_epoch(*epoch)
                            .with_isr(ids(replicas))
                            .with_zk_version(0)
                            .with_replicas(ids(replicas))
                    })
                    .collect(),
            )])
        .with_live_brokers(live);
    let mut s = connect(to.port).await;
    let r: UpdateMetadataResponse = call(&mut s, ApiKey::UpdateMetadata, 8, &um).await;
    assert_eq!(r.error_code, 0);
}

fn ids(v: &[i32]) -> Vec<BrokerId> {
    v.iter().map(|&i| BrokerId(i)).collect()
}

/// LeaderAndIsr v7 to `to` for the partitions (replicas, leader, leader epoch, isr) it hosts;
/// asserts every partition was accepted.
async fn leader_and_isr(
    to: &Broker,
    topic: &str,
    topic_id: Uuid,
    parts: &[(Vec<i32>, i32, i32, Vec<i32>)],
) {
    let mine: Vec<LeaderAndIsrPartitionState> = parts
        .iter()
        .enumerate()
        .filter(|(_, (r, _, _, _))| r.contains(&to.id))
        .map(|(p, (replicas, leader, epoch, isr))| {
            LeaderAndIsrPartitionState::default()
                .with_partition_index(p as i32)
                .with_controller_epoch(1)
                .with_leader(BrokerId(*leader))
                .with_leader_epoch(*epoch)
                .with_isr(ids(isr))
                .with_partition_epoch(0)
                .with_replicas(ids(replicas))
                .with_is_new(*epoch == 0)
        })
        .collect();
    let lai = LeaderAndIsrRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_broker_epoch(-1)
        .with_topic_states(vec![LeaderAndIsrTopicState::default()
            .with_topic_name(name(topic))
            .with_topic_id(topic_id)
            .with_partition_states(mine.clone())]);
    let mut s = connect(to.port).await;
    let r: LeaderAndIsrResponse = call(&mut s, ApiKey::LeaderAndIsr, 7, &lai).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(r.topics.len(), 1);
    assert_eq!(r.topics[0].topic_id, topic_id);
    for e in &r.topics[0].partition_errors {
        assert_eq!(e.error_code, 0, "partition {}", e.partition_index);
    }
    assert_eq!(r.topics[0].partition_errors.len(), mine.len());
}

/// Plays the controller for a new topic: UpdateMetadata v8 then LeaderAndIsr v7 to every
/// replica (first replica leads, epoch `leader_epoch`), as `ControllerChannelManager.
/// sendRequestsToBrokers` does.
async fn controller_assigns(
    brokers: &[&Broker],
    topic: &str,
    topic_id: Uuid,
    assignment: &[Vec<i32>],
    leader_epoch: i32,
) {
    let um: Vec<(Vec<i32>, i32, i32)> = assignment
        .iter()
        .map(|r| (r.clone(), r[0], leader_epoch))
        .collect();
    let lai: Vec<(Vec<i32>, i32, i32, Vec<i32>)> = assignment
        .iter()
        .map(|r| (r.clone(), r[0], leader_epoch, r.clone()))
        .collect();
    for b in brokers {
        update_metadata(b, brokers, topic, topic_id, &um).await;
        leader_and_isr(b, topic, topic_id, &lai).await;
    }
}

fn require(cmd: &str, probe: &[&str]) {
    let ok = std::process::Command::new(cmd)
        .args(probe)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{cmd} is required for this test (see the project's install script)"
    );
}

async fn run(cmd: &'static str, args: Vec<String>, stdin: Option<Vec<u8>>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(cmd)
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        if let Some(data) = stdin {
            input.write_all(&data).unwrap();
        }
        drop(input);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

/// Consumes the whole topic with kcat (no consumer group), returning `key:value` lines.
async fn kcat_consume(port: u16, topic: &str) -> Vec<String> {
    let out = run(
        "kcat",
        vec![
            "-b".into(),
            format!("127.0.0.1:{port}"),
            "-C".into(),
            "-t".into(),
            topic.into(),
            "-o".into(),
            "beginning".into(),
            "-e".into(),
            "-q".into(),
            "-f".into(),
            "%k:%s\n".into(),
        ],
        None,
    )
    .await;
    assert!(
        out.status.success(),
        "kcat consume failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Records with the same key go to one partition, and a partition keeps its order, so each
/// key's values must come back in the order they were produced (Kafka's ordering guarantee).
fn assert_per_key_order(lines: &[String], expected_total: usize, keys: usize) {
    assert_eq!(lines.len(), expected_total, "record count");
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for l in lines {
        let (k, v) = l
            .split_once(':')
            .unwrap_or_else(|| panic!("bad line {l:?}"));
        let n: i64 = v.trim_start_matches("value").parse().unwrap();
        assert_eq!(k, format!("key{}", n as usize % keys), "key of record {n}");
        if let Some(prev) = last.insert(k.to_string(), n) {
            assert!(n > prev, "key {k}: {n} after {prev}");
        }
    }
    assert_eq!(last.len(), keys);
}

fn idempotent_batch(pid: i64, epoch: i16, base_seq: i32, values: &[&str]) -> Bytes {
    let records: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: base_seq + i as i32,
            timestamp: 1_700_000_000_000 + i as i64,
            key: Some(Bytes::from(format!("k{i}"))),
            value: Some(Bytes::from(v.to_string())),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

fn produce(topic: &str, partition: i32, acks: i16, records: Bytes) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5_000)
        .with_topic_data(vec![TopicProduceData::default()
            .with_name(name(topic))
            .with_partition_data(vec![PartitionProduceData::default()
                .with_index(partition)
                .with_records(Some(records))])])
}

fn partition_result(r: &ProduceResponse) -> (i16, i64) {
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

/// Idempotence rules over raw Produce v9 requests: a retried batch (same producer id, epoch
/// and sequence range) answers its original offsets with no error and is not written twice; a
/// sequence gap answers OUT_OF_ORDER_SEQUENCE_NUMBER (45); an older epoch
/// INVALID_PRODUCER_EPOCH (47); invalid acks INVALID_REQUIRED_ACKS (21); an unknown topic
/// UNKNOWN_TOPIC_OR_PARTITION (3); acks=0 sends nothing, and an acks=0 failure closes the
/// connection. Kafka: `UnifiedLog.analyzeAndValidateProducerState`, `ProducerAppendInfo.
/// checkSequence`/`checkProducerEpoch`, `ReplicaManager.appendRecords`, `KafkaApis.handleProduceRequest`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_produce_duplicates_and_sequence_gaps() {
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    controller_assigns(&[&b], "raw", Uuid::from_u128(0x123), &[vec![1]], 0).await;
    let mut s = connect(b.port).await;
    let init: InitProducerIdResponse = call(
        &mut s,
        ApiKey::InitProducerId,
        4,
        &InitProducerIdRequest::default().with_transaction_timeout_ms(60_000),
    )
    .await;
    assert_eq!(init.error_code, 0);
    assert_eq!(init.producer_epoch, 0);
    let pid = init.producer_id.0;
    let first = idempotent_batch(pid, 0, 0, &["a", "b", "c"]);
    let r: ProduceResponse = call(
        &mut s,
        ApiKey::Produce,
        9,
        &produce("raw", 0, -1, first.clone()),
    )
    .await;
    assert_eq!(partition_result(&r), (0, 0));
    let r: ProduceResponse = call(&mut s, ApiKey::Produce, 9, &produce("raw", 0, -1, first)).await;
    assert_eq!(
        partition_result(&r),
        (0, 0),
        "duplicate answers the original offset"
    );
    let tp = zkafka::cluster::TopicPartition::new("raw", 0);
    assert_eq!(
        b.rm.online_partition(&tp).unwrap().log_end_offset(),
        3,
        "duplicate not appended"
    );
    let gap = idempotent_batch(pid, 0, 5, &["x"]);
    let r: ProduceResponse = call(&mut s, ApiKey::Produce, 9, &produce("raw", 0, -1, gap)).await;
    assert_eq!(partition_result(&r).0, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER");
    let next = idempotent_batch(pid, 0, 3, &["d", "e"]);
    let r: ProduceResponse = call(&mut s, ApiKey::Produce, 9, &produce("raw", 0, -1, next)).await;
    assert_eq!(partition_result(&r), (0, 3));
    let bumped = idempotent_batch(pid, 1, 0, &["f"]);
    let r: ProduceResponse = call(&mut s, ApiKey::Produce, 9, &produce("raw", 0, 1, bumped)).await;
    assert_eq!(partition_result(&r), (0, 5));
    let old_epoch = idempotent_batch(pid, 0, 5, &["g"]);
    let r: ProduceResponse =
        call(&mut s, ApiKey::Produce, 9, &produce("raw", 0, 1, old_epoch)).await;
    assert_eq!(partition_result(&r).0, 47, "INVALID_PRODUCER_EPOCH");
    let plain = idempotent_batch(-1, -1, -1, &["h"]);
    let r: ProduceResponse = call(
        &mut s,
        ApiKey::Produce,
        9,
        &produce("raw", 0, 2, plain.clone()),
    )
    .await;
    assert_eq!(partition_result(&r).0, 21, "INVALID_REQUIRED_ACKS");
    let r: ProduceResponse = call(
        &mut s,
        ApiKey::Produce,
        9,
        &produce("nope", 0, 1, plain.clone()),
    )
    .await;
    assert_eq!(partition_result(&r).0, 3, "UNKNOWN_TOPIC_OR_PARTITION");
    // ListOffsets v8: latest = HW = 6, earliest = 0.
    let lo = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![
            kafka_protocol::messages::list_offsets_request::ListOffsetsTopic::default()
                .with_name(name("raw"))
                .with_partitions(vec![
                    kafka_protocol::messages::list_offsets_request::ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(-1),
                ]),
        ]);
    let r: ListOffsetsResponse = call(&mut s, ApiKey::ListOffsets, 8, &lo).await;
    assert_eq!(
        (
            r.topics[0].partitions[0].error_code,
            r.topics[0].partitions[0].offset
        ),
        (0, 6)
    );
    assert_eq!(r.topics[0].partitions[0].leader_epoch, 0);
    // acks=0: no response; the next request on the connection is answered normally.
    s.write_all(
        &encode_request(
            &RequestHeader::default()
                .with_request_api_key(0)
                .with_request_api_version(9)
                .with_correlation_id(1),
            &produce("raw", 0, 0, plain.clone()),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let r: ListOffsetsResponse = call(&mut s, ApiKey::ListOffsets, 8, &lo).await;
    assert_eq!(
        r.topics[0].partitions[0].offset, 7,
        "the acks=0 record was appended"
    );
    // acks=0 to an unknown topic: the broker closes the connection.
    s.write_all(
        &encode_request(
            &RequestHeader::default()
                .with_request_api_key(0)
                .with_request_api_version(9)
                .with_correlation_id(2),
            &produce("nope", 0, 0, plain),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let mut buf = [0u8; 8];
    let n = tokio::time::timeout(TIMEOUT, s.read(&mut buf))
        .await
        .expect("closed in time")
        .unwrap_or(0);
    assert_eq!(n, 0, "connection closed after a failed acks=0 produce");
}

/// Two brokers, RF 2: broker 2 follows broker 1 with a ReplicaFetcher (Fetch v16 with its
/// replica id); an acks=all produce completes only once the follower has the batch and the
/// leader's HW passed it; the follower learns the HW; min.insync.replicas counts the ISR.
/// Kafka: `ReplicaFetcherThread`, `Partition.updateFollowerFetchState` /
/// `maybeIncrementLeaderHW`, `DelayedProduce`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_replicates_and_acks_all_waits_for_it() {
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b1 = start_broker(1, pids.clone()).await;
    let b2 = start_broker(2, pids).await;
    controller_assigns(&[&b1, &b2], "rep", Uuid::from_u128(0x456), &[vec![1, 2]], 0).await;
    let tp = zkafka::cluster::TopicPartition::new("rep", 0);
    let mut s = connect(b1.port).await;
    for i in 0..20 {
        let batch = idempotent_batch(-1, -1, -1, &["v1", "v2", "v3", "v4", "v5"]);
        let r: ProduceResponse =
            call(&mut s, ApiKey::Produce, 9, &produce("rep", 0, -1, batch)).await;
        assert_eq!(partition_result(&r), (0, i * 5), "acks=all produce {i}");
        // acks=all answered → the follower had the batch before the answer.
        assert!(b2.rm.online_partition(&tp).unwrap().log_end_offset() >= (i + 1) * 5);
    }
    let leader = b1.rm.online_partition(&tp).unwrap();
    assert_eq!(leader.high_watermark(), 100);
    assert_eq!(leader.isr(), vec![1, 2]);
    let follower = b2.rm.online_partition(&tp).unwrap();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while follower.high_watermark() < 100 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "follower HW stuck at {}",
            follower.high_watermark()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(follower.log_end_offset(), 100);
    assert_eq!(follower.log().latest_epoch(), Some(0));
    // Produce to the follower: NOT_LEADER_OR_FOLLOWER (6).
    let mut s2 = connect(b2.port).await;
    let r: ProduceResponse = call(
        &mut s2,
        ApiKey::Produce,
        9,
        &produce("rep", 0, 1, idempotent_batch(-1, -1, -1, &["x"])),
    )
    .await;
    assert_eq!(partition_result(&r).0, 6);
    // The follower's fetch position is the leader's log end.
    assert_eq!(leader.remote_replica(2).unwrap().log_end_offset, 100);
}

/// Leader failover with divergent logs: broker 1 leads epoch 0 and appends records its
/// follower never fetched (broker 2 could not reach it); the controller makes broker 2 leader
/// in epoch 1 and it takes new writes; broker 1, now a follower, fetches with
/// lastFetchedEpoch = 0, gets divergingEpoch from the new leader, truncates the records the
/// new leader lacks and copies the new leader's log. Kafka: `Partition.readRecords`
/// (divergingEpoch), `AbstractFetcherThread.truncateOnFetchResponse`, semantics §2.5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn former_leader_truncates_records_the_new_leader_lacks() {
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b1 = start_broker(1, pids.clone()).await;
    let b2 = start_broker(2, pids).await;
    let id = Uuid::from_u128(0x789);
    let tp = zkafka::cluster::TopicPartition::new("fo", 0);
    // Broker 2 believes broker 1 is down, so it does not fetch.
    update_metadata(&b1, &[&b1, &b2], "fo", id, &[(vec![1, 2], 1, 0)]).await;
    update_metadata(&b2, &[&b2], "fo", id, &[(vec![1, 2], 1, 0)]).await;
    leader_and_isr(&b1, "fo", id, &[(vec![1, 2], 1, 0, vec![1, 2])]).await;
    leader_and_isr(&b2, "fo", id, &[(vec![1, 2], 1, 0, vec![1, 2])]).await;
    let mut s1 = connect(b1.port).await;
    for _ in 0..2 {
        let r: ProduceResponse = call(
            &mut s1,
            ApiKey::Produce,
            9,
            &produce(
                "fo",
                0,
                1,
                idempotent_batch(-1, -1, -1, &["old1", "old2", "old3", "old4", "old5"]),
            ),
        )
        .await;
        assert_eq!(partition_result(&r).0, 0);
    }
    assert_eq!(b1.rm.online_partition(&tp).unwrap().log_end_offset(), 10);
    assert_eq!(b2.rm.online_partition(&tp).unwrap().log_end_offset(), 0);
    // Failover: broker 2 leads epoch 1 with ISR [2]; broker 1 follows.
    update_metadata(&b2, &[&b1, &b2], "fo", id, &[(vec![1, 2], 2, 1)]).await;
    leader_and_isr(&b2, "fo", id, &[(vec![1, 2], 2, 1, vec![2])]).await;
    let mut s2 = connect(b2.port).await;
    let r: ProduceResponse = call(
        &mut s2,
        ApiKey::Produce,
        9,
        &produce(
            "fo",
            0,
            1,
            idempotent_batch(-1, -1, -1, &["new1", "new2", "new3"]),
        ),
    )
    .await;
    assert_eq!(partition_result(&r), (0, 0));
    update_metadata(&b1, &[&b1, &b2], "fo", id, &[(vec![1, 2], 2, 1)]).await;
    leader_and_isr(&b1, "fo", id, &[(vec![1, 2], 2, 1, vec![2])]).await;
    let old = b1.rm.online_partition(&tp).unwrap();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let leo = old.log_end_offset();
        if leo == 3 && old.log().latest_epoch() == Some(1) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "former leader at LEO {leo}, epoch {:?}",
            old.log().latest_epoch()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let read = old.log().read(0, 1 << 20, None, true).unwrap();
    let leader_read = b2
        .rm
        .online_partition(&tp)
        .unwrap()
        .log()
        .read(0, 1 << 20, None, true)
        .unwrap();
    assert_eq!(
        read.records, leader_read.records,
        "the former leader's log equals the new leader's"
    );
    // The follower is back in sync: broker 2 adds it to the ISR (AlterPartition accepted).
    let leader = b2.rm.online_partition(&tp).unwrap();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while leader.isr() != vec![2, 1] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ISR stuck at {:?}",
            leader.isr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The controller RPCs at their older versions, as controllers of older IBPs send them:
/// LeaderAndIsr v1 (ungrouped partition states, errors by topic name) and v4, StopReplica v0
/// (ungrouped), v2 (topics + indexes) and v4 (per-partition epochs, delete). Also OffsetForLeaderEpoch
/// v0 and v4 and ListOffsets v0/v1. Kafka: `LeaderAndIsrRequest.json`,
/// `StopReplicaRequest.json` version notes; `KafkaApis.handleStopReplicaRequest`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_rpcs_at_older_versions() {
    use kafka_protocol::messages::stop_replica_request::{
        StopReplicaPartitionState, StopReplicaPartitionV0, StopReplicaTopicState,
        StopReplicaTopicV1,
    };
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    update_metadata(
        &b,
        &[&b],
        "old",
        Uuid::nil(),
        &[(vec![1], 1, 0), (vec![1], 1, 0), (vec![1], 1, 0)],
    )
    .await;
    let mut s = connect(b.port).await;
    let state = |p: i32, epoch: i32| {
        LeaderAndIsrPartitionState::default()
            .with_topic_name(name("old"))
            .with_partition_index(p)
            .with_controller_epoch(1)
            .with_leader(BrokerId(1))
            .with_leader_epoch(epoch)
            .with_isr(vec![BrokerId(1)])
            .with_replicas(vec![BrokerId(1)])
    };
    let v1 = LeaderAndIsrRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_ungrouped_partition_states(vec![state(0, 0), state(1, 0), state(2, 0)]);
    let r: LeaderAndIsrResponse = call(&mut s, ApiKey::LeaderAndIsr, 1, &v1).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(r.partition_errors.len(), 3);
    assert!(r
        .partition_errors
        .iter()
        .all(|e| e.error_code == 0 && e.topic_name.0.as_str() == "old"));
    // v4: same epoch again is stale (11) per partition; a higher one applies.
    let v4 = LeaderAndIsrRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_broker_epoch(-1)
        .with_topic_states(vec![LeaderAndIsrTopicState::default()
            .with_topic_name(name("old"))
            .with_partition_states(vec![state(0, 0), state(1, 1)])]);
    let r: LeaderAndIsrResponse = call(&mut s, ApiKey::LeaderAndIsr, 4, &v4).await;
    let codes: Vec<i16> = r.partition_errors.iter().map(|e| e.error_code).collect();
    assert_eq!(codes, vec![11, 0]);
    // An older controller epoch fails everything with STALE_CONTROLLER_EPOCH.
    let stale = LeaderAndIsrRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(0)
        .with_topic_states(vec![LeaderAndIsrTopicState::default()
            .with_topic_name(name("old"))
            .with_partition_states(vec![state(2, 5)])]);
    let r: LeaderAndIsrResponse = call(&mut s, ApiKey::LeaderAndIsr, 4, &stale).await;
    assert_eq!(r.error_code, 11);
    // OffsetForLeaderEpoch v0 and v4; ListOffsets v0 and v1.
    let ofle = OffsetForLeaderEpochRequest::default().with_topics(vec![
        kafka_protocol::messages::offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
            .with_topic(name("old"))
            .with_partitions(vec![kafka_protocol::messages::offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                .with_partition(1)
                .with_leader_epoch(1)]),
    ]);
    for v in [0, 4] {
        let r: OffsetForLeaderEpochResponse =
            call(&mut s, ApiKey::OffsetForLeaderEpoch, v, &ofle).await;
        let p = &r.topics[0].partitions[0];
        assert_eq!((p.error_code, p.end_offset), (0, 0), "v{v}");
    }
    for v in [0, 1] {
        let mut part =
            kafka_protocol::messages::list_offsets_request::ListOffsetsPartition::default()
                .with_partition_index(0)
                .with_timestamp(-1);
        if v == 0 {
            part.max_num_offsets = 1;
        }
        let lo = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![
                kafka_protocol::messages::list_offsets_request::ListOffsetsTopic::default()
                    .with_name(name("old"))
                    .with_partitions(vec![part]),
            ]);
        let r: ListOffsetsResponse = call(&mut s, ApiKey::ListOffsets, v, &lo).await;
        let p = &r.topics[0].partitions[0];
        assert_eq!(p.error_code, 0, "v{v}");
        if v == 0 {
            assert_eq!(p.old_style_offsets, vec![0]);
        } else {
            assert_eq!(p.offset, 0);
        }
    }
    // StopReplica v0 (no delete), v2 (delete partition 0), v4 (fenced epoch for 1, delete 2).
    let sr0 = StopReplicaRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_ungrouped_partitions(vec![StopReplicaPartitionV0::default()
            .with_topic_name(name("old"))
            .with_partition_index(0)]);
    let r: StopReplicaResponse = call(&mut s, ApiKey::StopReplica, 0, &sr0).await;
    assert_eq!((r.error_code, r.partition_errors[0].error_code), (0, 0));
    assert!(
        b.rm.online_partition(&zkafka::cluster::TopicPartition::new("old", 0))
            .is_some(),
        "kept without delete"
    );
    let sr2 = StopReplicaRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_broker_epoch(-1)
        .with_delete_partitions(true)
        .with_topics(vec![StopReplicaTopicV1::default()
            .with_name(name("old"))
            .with_partition_indexes(vec![0])]);
    let r: StopReplicaResponse = call(&mut s, ApiKey::StopReplica, 2, &sr2).await;
    assert_eq!(r.partition_errors[0].error_code, 0);
    assert!(
        b.rm.online_partition(&zkafka::cluster::TopicPartition::new("old", 0))
            .is_none(),
        "deleted"
    );
    let sr4 = StopReplicaRequest::default()
        .with_controller_id(BrokerId(1))
        .with_controller_epoch(1)
        .with_broker_epoch(-1)
        .with_topic_states(vec![StopReplicaTopicState::default()
            .with_topic_name(name("old"))
            .with_partition_states(vec![
                StopReplicaPartitionState::default()
                    .with_partition_index(1)
                    .with_leader_epoch(0)
                    .with_delete_partition(true),
                StopReplicaPartitionState::default()
                    .with_partition_index(2)
                    .with_leader_epoch(-2)
                    .with_delete_partition(true),
            ])]);
    let r: StopReplicaResponse = call(&mut s, ApiKey::StopReplica, 4, &sr4).await;
    let codes: Vec<i16> = r.partition_errors.iter().map(|e| e.error_code).collect();
    assert_eq!(
        codes,
        vec![74, 0],
        "FENCED_LEADER_EPOCH for an older epoch; -2 (deleting) applies"
    );
}

/// A new follower whose fetch offset is below the leader's log start offset (the leader
/// deleted records) gets OFFSET_OUT_OF_RANGE, asks the leader's earliest/latest offsets with
/// ListOffsets (replica id set, so LATEST is the leader's log end), restarts its log at the
/// leader's log start and catches up from there. Kafka: `AbstractFetcherThread.
/// fetchOffsetAndTruncate`, `ReplicaFetcherThread.fetchEarliestOffsetFromLeader`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_behind_the_leader_log_start_restarts_there() {
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b1 = start_broker(1, pids.clone()).await;
    let b2 = start_broker(2, pids).await;
    let id = Uuid::from_u128(0x999);
    let tp = zkafka::cluster::TopicPartition::new("lso", 0);
    update_metadata(&b1, &[&b1, &b2], "lso", id, &[(vec![1, 2], 1, 0)]).await;
    leader_and_isr(&b1, "lso", id, &[(vec![1, 2], 1, 0, vec![1])]).await;
    let mut s = connect(b1.port).await;
    for _ in 0..2 {
        let r: ProduceResponse = call(
            &mut s,
            ApiKey::Produce,
            9,
            &produce(
                "lso",
                0,
                1,
                idempotent_batch(-1, -1, -1, &["a", "b", "c", "d", "e"]),
            ),
        )
        .await;
        assert_eq!(partition_result(&r).0, 0);
    }
    let leader = b1.rm.online_partition(&tp).unwrap();
    assert_eq!(leader.high_watermark(), 10, "ISR [1]: committed at once");
    assert_eq!(leader.log().delete_records_before(5).unwrap(), 5);
    update_metadata(&b2, &[&b1, &b2], "lso", id, &[(vec![1, 2], 1, 0)]).await;
    leader_and_isr(&b2, "lso", id, &[(vec![1, 2], 1, 0, vec![1])]).await;
    let follower = b2.rm.online_partition(&tp).unwrap();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while follower.log_end_offset() < 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "follower stuck at {}",
            follower.log_end_offset()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(follower.log().log_start_offset(), 5);
    // Caught up to the HW and in the leader epoch: the leader adds it to the ISR.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while leader.isr() != vec![1, 2] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "ISR stuck at {:?}",
            leader.isr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
