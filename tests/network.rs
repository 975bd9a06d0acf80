//! The socket server end to end: a `SocketServer` with `KafkaApis` on 127.0.0.1:0, its
//! metadata cache filled by a real UpdateMetadata v8 request sent over the socket, then real
//! requests, pipelining, connection limits, and bad bytes thrown at the port.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::update_metadata_request::{
    UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataPartitionState,
    UpdateMetadataTopicState,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, MetadataRequest, MetadataResponse,
    RequestHeader, ResponseHeader, TopicName, UpdateMetadataRequest, UpdateMetadataResponse,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;
use zkafka::apis::{KafkaApis, KafkaApisConfig};
use zkafka::cluster::{EndPoint, SecurityProtocol};
use zkafka::metadata_cache::MetadataCache;
use zkafka::network::{SocketServer, SocketServerConfig};
use zkafka::protocol::encode_request;

/// Real clients (kcat, confluent-kafka, kafka-python, the Java client) against this server.
#[path = "network/clients.rs"]
mod clients;
/// The socket server with small custom handlers (ordering, panics, KIP-511 client information).
#[path = "network/handlers.rs"]
mod handlers;

const TIMEOUT: Duration = Duration::from_secs(10);
const TOPIC_ID: u128 = 0x1234_5678_9abc_def0_1122_3344_5566_7788;

struct Broker {
    server: SocketServer,
    apis: Arc<KafkaApis>,
    port: u16,
}

async fn start(tweak: impl FnOnce(&mut SocketServerConfig)) -> Broker {
    let mut config = SocketServerConfig {
        listeners: vec![EndPoint {
            host: "127.0.0.1".into(),
            port: 0,
            listener_name: "PLAINTEXT".into(),
            security_protocol: SecurityProtocol::Plaintext,
        }],
        ..SocketServerConfig::default()
    };
    tweak(&mut config);
    let server = SocketServer::bind(config).await.expect("bind");
    let port = server.bound_port("PLAINTEXT").expect("bound port");
    assert_ne!(port, 0);
    let apis = Arc::new(KafkaApis::new(
        KafkaApisConfig {
            broker_id: 1,
            cluster_id: "zkafka-test-cluster".into(),
            advertised_listeners: server.bound_endpoints(),
            auto_create_topics_enable: true,
        },
        Arc::new(MetadataCache::new(1)),
    ));
    server
        .enable_request_processing(apis.clone())
        .expect("start");
    Broker { server, apis, port }
}

async fn connect(port: u16) -> TcpStream {
    TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect")
}

fn frame<T: Encodable>(key: ApiKey, version: i16, correlation_id: i32, body: &T) -> Bytes {
    let header = RequestHeader::default()
        .with_request_api_key(key as i16)
        .with_request_api_version(version)
        .with_correlation_id(correlation_id)
        .with_client_id(Some(StrBytes::from_static_str("network-test")));
    encode_request(&header, body).expect("encode request")
}

async fn read_frame(stream: &mut TcpStream) -> Bytes {
    let size = tokio::time::timeout(TIMEOUT, stream.read_i32())
        .await
        .expect("response within timeout")
        .expect("response size");
    let mut buf = vec![0u8; size as usize];
    tokio::time::timeout(TIMEOUT, stream.read_exact(&mut buf))
        .await
        .expect("response body within timeout")
        .expect("response body");
    Bytes::from(buf)
}

/// Reads one response and decodes it; returns the correlation id and body.
async fn read_response<T: Decodable>(
    stream: &mut TcpStream,
    header_version: i16,
    version: i16,
) -> (i32, T) {
    let mut b = read_frame(stream).await;
    let header = ResponseHeader::decode(&mut b, header_version).expect("response header");
    let body = T::decode(&mut b, version).expect("response body");
    assert!(!b.has_remaining(), "{} trailing bytes", b.remaining());
    (header.correlation_id, body)
}

async fn call<Req: Encodable, Resp: Decodable>(
    stream: &mut TcpStream,
    key: ApiKey,
    version: i16,
    body: &Req,
) -> Resp {
    stream
        .write_all(&frame(key, version, 99, body))
        .await
        .unwrap();
    let header_version = if key == ApiKey::ApiVersions {
        0
    } else {
        key.response_header_version(version)
    };
    let (corr, resp) = read_response(stream, header_version, version).await;
    assert_eq!(corr, 99);
    resp
}

/// The connection is closed by the server: EOF or reset, and no bytes.
async fn expect_closed(stream: &mut TcpStream, what: &str) {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(TIMEOUT, stream.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => {}
        Ok(Ok(n)) => panic!("{what}: expected a close, got {n} bytes: {:?}", &buf[..n]),
        Err(_) => panic!("{what}: connection still open after {TIMEOUT:?}"),
    }
}

async fn api_versions_ok(stream: &mut TcpStream) {
    let resp: ApiVersionsResponse = call(
        stream,
        ApiKey::ApiVersions,
        2,
        &ApiVersionsRequest::default(),
    )
    .await;
    assert_eq!(resp.error_code, 0);
}

fn update_metadata_v8(port: u16) -> UpdateMetadataRequest {
    // Broker 2 advertises an unused port: only this broker (1) is served in these tests.
    update_metadata_v8_brokers(port, 1)
}

fn update_metadata_v8_brokers(port: u16, port2: u16) -> UpdateMetadataRequest {
    let partition = |p: i32, leader: i32| {
        UpdateMetadataPartitionState::default()
            .with_partition_index(p)
            .with_controller_epoch(4)
            .with_leader(BrokerId(leader))
            .with_leader_epoch(7 + p)
            .with_isr(vec![BrokerId(1), BrokerId(2)])
            .with_zk_version(11)
            .with_replicas(vec![BrokerId(1), BrokerId(2), BrokerId(3)])
            .with_offline_replicas(vec![BrokerId(3)])
    };
    let broker = |id: i32, port: u16, rack: &'static str| {
        UpdateMetadataBroker::default()
            .with_id(BrokerId(id))
            .with_endpoints(vec![UpdateMetadataEndpoint::default()
                .with_host(StrBytes::from_static_str("127.0.0.1"))
                .with_port(i32::from(port))
                .with_listener(StrBytes::from_static_str("PLAINTEXT"))
                .with_security_protocol(0)])
            .with_rack(Some(StrBytes::from_static_str(rack)))
    };
    UpdateMetadataRequest::default()
        .with_controller_id(BrokerId(2))
        .with_controller_epoch(4)
        .with_broker_epoch(-1)
        .with_topic_states(vec![UpdateMetadataTopicState::default()
            .with_topic_name(TopicName(StrBytes::from_static_str("orders")))
            .with_topic_id(Uuid::from_u128(TOPIC_ID))
            .with_partition_states(vec![
                partition(0, 1),
                partition(1, 2),
                partition(2, 3),
            ])])
        .with_live_brokers(vec![broker(1, port, "rack-a"), broker(2, port2, "rack-b")])
}

async fn filled_broker() -> Broker {
    let broker = start(|_| {}).await;
    let mut s = connect(broker.port).await;
    let resp: UpdateMetadataResponse = call(
        &mut s,
        ApiKey::UpdateMetadata,
        8,
        &update_metadata_v8(broker.port),
    )
    .await;
    assert_eq!(resp.error_code, 0);
    broker
}

/// A broker whose metadata names two live brokers that both answer: broker 1 on the
/// broker's port and "broker 2" on a second socket server sharing the same `KafkaApis`, so
/// real clients that pick any node (kafka-python, the Java admin client) always reach one.
/// Returns the broker, the second server and its port.
async fn filled_two_node_cluster() -> (Broker, SocketServer, u16) {
    let broker = start(|_| {}).await;
    let second = SocketServer::bind(SocketServerConfig {
        listeners: vec![EndPoint {
            host: "127.0.0.1".into(),
            port: 0,
            listener_name: "PLAINTEXT".into(),
            security_protocol: SecurityProtocol::Plaintext,
        }],
        ..SocketServerConfig::default()
    })
    .await
    .expect("bind second");
    let port2 = second.bound_port("PLAINTEXT").expect("second port");
    second
        .enable_request_processing(broker.apis.clone())
        .expect("start second");
    let mut s = connect(broker.port).await;
    let resp: UpdateMetadataResponse = call(
        &mut s,
        ApiKey::UpdateMetadata,
        8,
        &update_metadata_v8_brokers(broker.port, port2),
    )
    .await;
    assert_eq!(resp.error_code, 0);
    (broker, second, port2)
}

fn metadata_request(version: i16, topics: &[&str]) -> MetadataRequest {
    let mut r = MetadataRequest::default().with_topics(Some(
        topics
            .iter()
            .map(|t| {
                MetadataRequestTopic::default()
                    .with_name(Some(TopicName(StrBytes::from_string(t.to_string()))))
            })
            .collect(),
    ));
    if version >= 4 {
        r.allow_auto_topic_creation = true;
    }
    r
}

/// Kafka: `KafkaApis.handleUpdateMetadataRequest` then `handleTopicMetadataRequest` — a broker
/// learns metadata only from the controller's UpdateMetadata (v8 from a 3.9 controller) and
/// Metadata v1, v9 and v12 return exactly what it said: brokers with racks, cluster id,
/// controller id, topic id (v10+), leaders, leader epochs, replicas, ISR, offline replicas, and
/// LEADER_NOT_AVAILABLE for a partition whose leader (3) is not alive.
#[tokio::test]
async fn metadata_returns_what_update_metadata_said() {
    let broker = filled_broker().await;
    let mut s = connect(broker.port).await;
    for version in [1i16, 9, 12] {
        let resp: MetadataResponse = call(
            &mut s,
            ApiKey::Metadata,
            version,
            &metadata_request(version, &["orders", "missing"]),
        )
        .await;
        let brokers: Vec<(i32, String, i32, Option<String>)> = resp
            .brokers
            .iter()
            .map(|b| {
                (
                    b.node_id.0,
                    b.host.to_string(),
                    b.port,
                    b.rack.as_ref().map(|r| r.to_string()),
                )
            })
            .collect();
        assert_eq!(
            brokers,
            vec![
                (
                    1,
                    "127.0.0.1".into(),
                    i32::from(broker.port),
                    Some("rack-a".into())
                ),
                (2, "127.0.0.1".into(), 1, Some("rack-b".into())),
            ],
            "v{version}"
        );
        assert_eq!(resp.controller_id, BrokerId(2));
        if version >= 2 {
            assert_eq!(resp.cluster_id.as_deref(), Some("zkafka-test-cluster"));
        }
        assert_eq!(resp.topics.len(), 2);
        let orders = &resp.topics[0];
        assert_eq!(orders.name.as_ref().map(|n| n.as_str()), Some("orders"));
        assert_eq!(orders.error_code, 0);
        if version >= 10 {
            assert_eq!(orders.topic_id, Uuid::from_u128(TOPIC_ID));
        }
        let parts: Vec<(i32, i16, i32, i32)> = orders
            .partitions
            .iter()
            .map(|p| {
                (
                    p.partition_index,
                    p.error_code,
                    p.leader_id.0,
                    p.leader_epoch,
                )
            })
            .collect();
        let epoch = |e: i32| if version >= 7 { e } else { -1 };
        assert_eq!(
            parts,
            vec![
                (0, 0, 1, epoch(7)),
                (1, 0, 2, epoch(8)),
                (2, 5, -1, epoch(9))
            ],
            "v{version}"
        );
        let p0 = &orders.partitions[0];
        assert_eq!(
            p0.replica_nodes,
            vec![BrokerId(1), BrokerId(2), BrokerId(3)]
        );
        assert_eq!(p0.isr_nodes, vec![BrokerId(1), BrokerId(2)]);
        if version >= 5 {
            assert_eq!(p0.offline_replicas, vec![BrokerId(3)]);
        }
        assert_eq!(
            resp.topics[1].name.as_ref().map(|n| n.as_str()),
            Some("missing")
        );
        assert_eq!(resp.topics[1].error_code, 3, "UNKNOWN_TOPIC_OR_PARTITION");
    }
    // v12 by topic id.
    let by_id = MetadataRequest::default().with_topics(Some(vec![
        MetadataRequestTopic::default().with_topic_id(Uuid::from_u128(TOPIC_ID))
    ]));
    let resp: MetadataResponse = call(&mut s, ApiKey::Metadata, 12, &by_id).await;
    assert_eq!(
        resp.topics[0].name.as_ref().map(|n| n.as_str()),
        Some("orders")
    );
    assert_eq!(resp.topics[0].partitions.len(), 3);
    broker.server.shutdown().await;
}

/// Kafka: `ControllerEpoch` fencing over the wire — an UpdateMetadata from an older controller
/// epoch gets STALE_CONTROLLER_EPOCH (11) and leaves the cache unchanged.
#[tokio::test]
async fn stale_update_metadata_over_the_socket() {
    let broker = filled_broker().await;
    let mut s = connect(broker.port).await;
    let stale = update_metadata_v8(broker.port)
        .with_controller_epoch(3)
        .with_topic_states(vec![]);
    let resp: UpdateMetadataResponse = call(&mut s, ApiKey::UpdateMetadata, 8, &stale).await;
    assert_eq!(resp.error_code, 11);
    assert_eq!(broker.apis.metadata_cache.num_partitions("orders"), Some(3));
}

/// KIP-511 / Kafka `KafkaApis.handleApiVersionsRequest`: versions 0-4 list the supported table
/// (response header v0 always); a version above ours gets a v0 response with
/// UNSUPPORTED_VERSION (35) and the ApiVersions range, and the connection stays usable.
#[tokio::test]
async fn api_versions_every_version_and_over_max() {
    let broker = start(|_| {}).await;
    let mut s = connect(broker.port).await;
    for version in 0..=4 {
        let mut req = ApiVersionsRequest::default();
        if version >= 3 {
            req.client_software_name = StrBytes::from_static_str("network-test");
            req.client_software_version = StrBytes::from_static_str("1.0");
        }
        let resp: ApiVersionsResponse = call(&mut s, ApiKey::ApiVersions, version, &req).await;
        assert_eq!(resp.error_code, 0, "v{version}");
        let keys: Vec<(i16, i16, i16)> = resp
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        let table: Vec<(i16, i16, i16)> = zkafka::protocol::SUPPORTED_APIS
            .iter()
            .map(|s| (s.api_key as i16, s.min_version, s.max_version))
            .collect();
        assert!(table.contains(&(3, 0, 12)) && table.contains(&(18, 0, 4)));
        assert_eq!(keys, table, "v{version}");
    }
    // v7 request (encoded as v4, same shape; the broker must not parse the body).
    let mut over =
        BytesMut::from(&frame(ApiKey::ApiVersions, 4, 5, &ApiVersionsRequest::default())[..]);
    over[6..8].copy_from_slice(&7i16.to_be_bytes());
    s.write_all(&over).await.unwrap();
    let (corr, resp): (i32, ApiVersionsResponse) = read_response(&mut s, 0, 0).await;
    assert_eq!(corr, 5);
    assert_eq!(resp.error_code, 35);
    let keys: Vec<(i16, i16, i16)> = resp
        .api_keys
        .iter()
        .map(|k| (k.api_key, k.min_version, k.max_version))
        .collect();
    assert_eq!(keys, vec![(18, 0, 4)]);
    api_versions_ok(&mut s).await;
}

/// Kafka answers requests of one connection in order (`SocketServer.Processor`); clients
/// pipeline them. Twenty requests written at once come back in order with their correlation ids.
#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let broker = filled_broker().await;
    let mut s = connect(broker.port).await;
    let mut batch = BytesMut::new();
    for i in 0..20 {
        if i % 2 == 0 {
            batch.extend_from_slice(&frame(
                ApiKey::ApiVersions,
                3,
                i,
                &ApiVersionsRequest::default()
                    .with_client_software_name(StrBytes::from_static_str("t"))
                    .with_client_software_version(StrBytes::from_static_str("1")),
            ));
        } else {
            batch.extend_from_slice(&frame(
                ApiKey::Metadata,
                12,
                i,
                &metadata_request(12, &["orders"]),
            ));
        }
    }
    s.write_all(&batch).await.unwrap();
    for i in 0..20 {
        if i % 2 == 0 {
            let (corr, r): (i32, ApiVersionsResponse) = read_response(&mut s, 0, 3).await;
            assert_eq!((corr, r.error_code), (i, 0));
        } else {
            let (corr, r): (i32, MetadataResponse) = read_response(&mut s, 1, 12).await;
            assert_eq!(corr, i);
            assert_eq!(r.topics[0].partitions.len(), 3);
        }
    }
}

/// Bad bytes, each on its own connection while a second connection keeps being served.
/// Kafka closes the connection for: a negative size or one above socket.request.max.bytes
/// (`NetworkReceive`, `InvalidReceiveException`), an unknown API key or unparsable header
/// (`RequestHeader.parse`), a version that is not enabled (`SocketServer.parseRequestHeader`),
/// and a body that cannot be parsed (`RequestContext.parseRequest`). A valid request pipelined
/// before the bad bytes is still answered.
#[tokio::test]
async fn bad_input_closes_only_that_connection() {
    let broker = filled_broker().await;
    let mut bystander = connect(broker.port).await;
    api_versions_ok(&mut bystander).await;

    let metadata_v1 = |topics: i32| {
        let mut f = BytesMut::from(
            &frame(
                ApiKey::Metadata,
                1,
                3,
                &MetadataRequest::default().with_topics(Some(vec![])),
            )[..],
        );
        let n = f.len();
        f[n - 4..].copy_from_slice(&topics.to_be_bytes());
        f.freeze()
    };
    let mut unknown_key =
        BytesMut::from(&frame(ApiKey::ApiVersions, 2, 1, &ApiVersionsRequest::default())[..]);
    unknown_key[4..6].copy_from_slice(&9999i16.to_be_bytes());
    let mut unsupported =
        BytesMut::from(&frame(ApiKey::Metadata, 12, 1, &metadata_request(12, &["orders"]))[..]);
    unsupported[6..8].copy_from_slice(&13i16.to_be_bytes());
    let produce_not_served = frame(ApiKey::ApiVersions, 2, 1, &ApiVersionsRequest::default());
    let mut produce_not_served = BytesMut::from(&produce_not_served[..]);
    produce_not_served[4..6].copy_from_slice(&0i16.to_be_bytes());

    let mut bad_utf8 =
        BytesMut::from(&frame(ApiKey::Metadata, 1, 1, &metadata_request(1, &["ab"]))[..]);
    let n = bad_utf8.len();
    bad_utf8[n - 2..].copy_from_slice(&[0xff, 0xfe]);

    let cases: Vec<(&str, Bytes)> = vec![
        (
            "topic name that is not UTF-8 (passes the guard, fails the decoder)",
            bad_utf8.freeze(),
        ),
        (
            "HTTP request (size 0x47455420 over the limit)",
            Bytes::from_static(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
        ),
        (
            "garbage with a small size",
            Bytes::from_static(&[0, 0, 0, 6, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]),
        ),
        (
            "negative frame length",
            Bytes::from_static(&[0xff, 0xff, 0xff, 0xfe, 1, 2, 3]),
        ),
        (
            "frame length over socket.request.max.bytes",
            Bytes::copy_from_slice(&(104_857_601i32).to_be_bytes()),
        ),
        ("zero-length frame", Bytes::from_static(&[0, 0, 0, 0])),
        ("unknown API key 9999", unknown_key.freeze()),
        ("Metadata v13 (above our range)", unsupported.freeze()),
        ("Produce (not served yet)", produce_not_served.freeze()),
        (
            "truncated body: 5 topics announced, none sent",
            metadata_v1(5),
        ),
        (
            "2^31-1 topics announced (would reserve ~150 GB)",
            metadata_v1(i32::MAX),
        ),
    ];
    for (what, bytes) in cases {
        let mut s = connect(broker.port).await;
        // A valid request first, in the same write: it must still be answered.
        let mut buf =
            BytesMut::from(&frame(ApiKey::ApiVersions, 1, 77, &ApiVersionsRequest::default())[..]);
        buf.extend_from_slice(&bytes);
        s.write_all(&buf).await.unwrap();
        let (corr, r): (i32, ApiVersionsResponse) = read_response(&mut s, 0, 1).await;
        assert_eq!((corr, r.error_code), (77, 0), "{what}");
        expect_closed(&mut s, what).await;
        api_versions_ok(&mut bystander).await;
    }

    // A frame cut short by the client closing its side: the server closes too.
    let mut s = connect(broker.port).await;
    s.write_all(&[0, 0, 0, 100, 0, 18, 0, 1]).await.unwrap();
    s.shutdown().await.unwrap();
    expect_closed(&mut s, "frame cut short").await;

    let resp: MetadataResponse = call(
        &mut bystander,
        ApiKey::Metadata,
        12,
        &metadata_request(12, &["orders"]),
    )
    .await;
    assert_eq!(resp.topics[0].partitions.len(), 3);
    // Only the bystander (and the filler's connection, if not yet noticed closed) remain.
    assert!(broker.server.open_connections() <= 2);
}

/// A frame is checked against socket.request.max.bytes before it is read: with a 1 KiB limit a
/// 1025-byte frame closes the connection, a 1024-byte one is read (and here fails to parse).
#[tokio::test]
async fn socket_request_max_bytes_is_enforced() {
    let broker = start(|c| c.socket_request_max_bytes = 1024).await;
    let mut s = connect(broker.port).await;
    s.write_all(&1025i32.to_be_bytes()).await.unwrap();
    expect_closed(&mut s, "1025 > 1024").await;
    let mut s = connect(broker.port).await;
    let topics: Vec<&str> = vec!["t123456789"; 60];
    let f = frame(ApiKey::Metadata, 1, 1, &metadata_request(1, &topics));
    assert!(f.len() - 4 <= 1024, "{}", f.len());
    s.write_all(&f).await.unwrap();
    let (_, r): (i32, MetadataResponse) = read_response(&mut s, 0, 1).await;
    assert_eq!(r.topics.len(), 1, "duplicates are collapsed");
}

/// Kafka: `connections.max.idle.ms` — a connection without traffic is closed; one with
/// traffic is kept.
#[tokio::test]
async fn idle_connections_are_closed() {
    // Generous margins: the busy connection talks every 200 ms against a 1 s limit, so a
    // loaded machine cannot make it look idle.
    let broker = start(|c| c.connections_max_idle_ms = 1000).await;
    let mut busy = connect(broker.port).await;
    let mut idle = connect(broker.port).await;
    api_versions_ok(&mut idle).await;
    let start = Instant::now();
    for i in 0..8 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        api_versions_ok(&mut busy).await;
        if i == 1 {
            // 400 ms in: the idle connection must still be open (a read just waits).
            let mut buf = [0u8; 1];
            let still_open =
                tokio::time::timeout(Duration::from_millis(20), idle.read(&mut buf)).await;
            assert!(
                still_open.is_err(),
                "closed long before connections.max.idle.ms"
            );
        }
    }
    expect_closed(&mut idle, "idle connection").await;
    assert!(start.elapsed() >= Duration::from_millis(1000));
    api_versions_ok(&mut busy).await;
}

/// Kafka: `max.connections` — at the limit the acceptor waits; a new connection is served once
/// an old one closes.
#[tokio::test]
async fn max_connections_waits_for_a_slot() {
    let broker = start(|c| c.max_connections = 1).await;
    let mut first = connect(broker.port).await;
    api_versions_ok(&mut first).await;
    let mut second = connect(broker.port).await;
    second
        .write_all(&frame(
            ApiKey::ApiVersions,
            0,
            8,
            &ApiVersionsRequest::default(),
        ))
        .await
        .unwrap();
    let mut buf = [0u8; 4];
    let early = tokio::time::timeout(Duration::from_millis(300), second.read_exact(&mut buf)).await;
    assert!(
        early.is_err(),
        "second connection served while the first holds the only slot"
    );
    drop(first);
    let (corr, r): (i32, ApiVersionsResponse) = read_response(&mut second, 0, 0).await;
    assert_eq!((corr, r.error_code), (8, 0));
}

/// Kafka: `ConnectionQuotas` — the inter-broker listener is not held to `max.connections`, so
/// the controller reaches a broker whose client connections used every slot.
#[tokio::test]
async fn inter_broker_listener_is_exempt_from_max_connections() {
    let broker = start(|c| {
        c.max_connections = 1;
        c.listeners.push(EndPoint {
            host: "127.0.0.1".into(),
            port: 0,
            listener_name: "INTERNAL".into(),
            security_protocol: SecurityProtocol::Plaintext,
        });
        c.inter_broker_listener_name = Some("INTERNAL".into());
    })
    .await;
    let internal_port = broker.server.bound_port("INTERNAL").unwrap();
    let mut client = connect(broker.port).await;
    api_versions_ok(&mut client).await;
    let mut controller = connect(internal_port).await;
    let resp: UpdateMetadataResponse = call(
        &mut controller,
        ApiKey::UpdateMetadata,
        8,
        &update_metadata_v8(broker.port),
    )
    .await;
    assert_eq!(resp.error_code, 0);
    // A second client connection still waits for the one slot.
    let mut waiting = connect(broker.port).await;
    waiting
        .write_all(&frame(
            ApiKey::ApiVersions,
            0,
            4,
            &ApiVersionsRequest::default(),
        ))
        .await
        .unwrap();
    let mut buf = [0u8; 4];
    let early =
        tokio::time::timeout(Duration::from_millis(300), waiting.read_exact(&mut buf)).await;
    assert!(early.is_err(), "client listener exceeded max.connections");
}

/// Kafka: `max.connections.per.ip` — a connection over the per-IP limit is closed at once.
#[tokio::test]
async fn max_connections_per_ip_closes() {
    let broker = start(|c| c.max_connections_per_ip = 1).await;
    let mut first = connect(broker.port).await;
    api_versions_ok(&mut first).await;
    let mut second = connect(broker.port).await;
    expect_closed(&mut second, "second connection from 127.0.0.1").await;
    api_versions_ok(&mut first).await;
}

/// Kafka: `SocketServer.shutdown` — open connections are closed and the port stops accepting.
#[tokio::test]
async fn shutdown_closes_connections_and_listener() {
    let broker = start(|_| {}).await;
    let mut s = connect(broker.port).await;
    api_versions_ok(&mut s).await;
    broker.server.shutdown().await;
    expect_closed(&mut s, "connection after shutdown").await;
    let refused = tokio::time::timeout(TIMEOUT, TcpStream::connect(("127.0.0.1", broker.port)))
        .await
        .expect("connect attempt finishes");
    assert!(refused.is_err(), "listener still accepting after shutdown");
}

/// `network::BrokerConnection`, the client side the controller channel and tools use: request
/// and response framing at the right header versions, correlation ids, typed responses.
#[tokio::test]
async fn broker_connection_round_trips() {
    let broker = filled_broker().await;
    let mut c =
        zkafka::network::BrokerConnection::connect(("127.0.0.1", broker.port), "controller-1")
            .await
            .unwrap();
    let v = c
        .send(
            3,
            &ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("zkafka"))
                .with_client_software_version(StrBytes::from_static_str("0.1.0")),
        )
        .await
        .unwrap();
    assert_eq!(v.api_keys.len(), zkafka::protocol::SUPPORTED_APIS.len());
    let um = c.send(8, &update_metadata_v8(broker.port)).await.unwrap();
    assert_eq!(um.error_code, 0);
    for version in [0i16, 4, 8, 12] {
        let md = c
            .send(version, &metadata_request(version, &["orders"]))
            .await
            .unwrap();
        assert_eq!(md.topics[0].partitions.len(), 3, "v{version}");
    }
}
