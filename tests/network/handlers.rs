//! `SocketServer` driven by small custom `RequestHandler`s instead of `KafkaApis`, to observe
//! what the network layer guarantees to any handler.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};
use kafka_protocol::protocol::StrBytes;
use tokio::io::AsyncWriteExt;
use zkafka::cluster::{EndPoint, SecurityProtocol};
use zkafka::network::{SocketServer, SocketServerConfig};

use super::{connect, expect_closed, frame, read_response};

async fn server_with(handler: Arc<dyn zkafka::network::RequestHandler>) -> (SocketServer, u16) {
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
    server.enable_request_processing(handler).unwrap();
    let port = server.bound_port("PLAINTEXT").unwrap();
    (server, port)
}

/// A handler that answers every request after a delay, records how many requests of the
/// connection it handles at once, and sends nothing for odd correlation ids (as for a Produce
/// with acks=0, Kafka's `NoOpResponse`).
struct SlowHandler {
    active: std::sync::atomic::AtomicUsize,
    max_active: std::sync::atomic::AtomicUsize,
}

impl zkafka::network::RequestHandler for SlowHandler {
    fn handle(
        &self,
        request: zkafka::network::Request,
    ) -> zkafka::network::BoxFuture<'_, zkafka::network::Response> {
        use std::sync::atomic::Ordering::SeqCst;
        Box::pin(async move {
            let now = self.active.fetch_add(1, SeqCst) + 1;
            self.max_active.fetch_max(now, SeqCst);
            let corr = request.context.header.correlation_id();
            // Later requests finish faster, so any concurrency would reorder them.
            tokio::time::sleep(Duration::from_millis(u64::from(
                50 - corr.unsigned_abs().min(50),
            )))
            .await;
            self.active.fetch_sub(1, SeqCst);
            if corr % 2 == 1 {
                return zkafka::network::Response::NoOp;
            }
            let frame = zkafka::protocol::encode_response(
                ApiKey::ApiVersions,
                0,
                corr,
                &ApiVersionsResponse::default(),
            )
            .unwrap();
            zkafka::network::Response::Send(zkafka::network::ResponseSend::from_frame(frame))
        })
    }
}

/// Kafka handles one request per connection at a time, in arrival order (the Processor mutes
/// the channel until the response is sent), and a request without a response (acks=0) lets
/// the next one through. Ten pipelined requests: the handler never runs two at once, and the
/// five answered ones come back in order.
#[tokio::test]
async fn requests_are_handled_one_at_a_time_in_order() {
    let handler = Arc::new(SlowHandler {
        active: Default::default(),
        max_active: Default::default(),
    });
    let (_server, port) = server_with(handler.clone()).await;
    let mut s = connect(port).await;
    let mut batch = BytesMut::new();
    for corr in 0..10 {
        batch.extend_from_slice(&frame(
            ApiKey::ApiVersions,
            0,
            corr,
            &ApiVersionsRequest::default(),
        ));
    }
    s.write_all(&batch).await.unwrap();
    for corr in (0..10).step_by(2) {
        let (got, _): (i32, ApiVersionsResponse) = read_response(&mut s, 0, 0).await;
        assert_eq!(got, corr);
    }
    assert_eq!(
        handler.max_active.load(std::sync::atomic::Ordering::SeqCst),
        1
    );
}

/// A handler that panics takes down only its own connection (Kafka: an exception in
/// `KafkaApis.handle` never stops the network threads); other connections keep being served.
#[tokio::test]
async fn handler_panic_closes_only_its_connection() {
    let (_server, port) = server_with(Arc::new(|request: zkafka::network::Request| {
        let corr = request.context.header.correlation_id();
        assert_ne!(corr, 666, "deliberate handler panic");
        let frame = zkafka::protocol::encode_response(
            ApiKey::ApiVersions,
            0,
            corr,
            &ApiVersionsResponse::default(),
        )
        .unwrap();
        zkafka::network::Response::Send(zkafka::network::ResponseSend::from_frame(frame))
    }))
    .await;
    let mut ok = connect(port).await;
    let mut doomed = connect(port).await;
    doomed
        .write_all(&frame(
            ApiKey::ApiVersions,
            0,
            666,
            &ApiVersionsRequest::default(),
        ))
        .await
        .unwrap();
    expect_closed(&mut doomed, "connection whose handler panicked").await;
    ok.write_all(&frame(
        ApiKey::ApiVersions,
        0,
        1,
        &ApiVersionsRequest::default(),
    ))
    .await
    .unwrap();
    let (corr, _): (i32, ApiVersionsResponse) = read_response(&mut ok, 0, 0).await;
    assert_eq!(corr, 1);
}

/// KIP-511: the network layer records the client software name and version from ApiVersions
/// v3+ for the rest of the connection ("unknown" before), as Kafka's
/// `SocketServer.processCompletedReceives` does for `RequestContext.clientInformation`.
#[tokio::test]
async fn client_information_from_api_versions() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let record = seen.clone();
    let (_server, port) = server_with(Arc::new(move |request: zkafka::network::Request| {
        let info = &request.context.client_information;
        record
            .lock()
            .unwrap()
            .push(format!("{}/{}", info.software_name, info.software_version));
        let frame = zkafka::protocol::encode_response(
            ApiKey::ApiVersions,
            0,
            request.context.header.correlation_id(),
            &ApiVersionsResponse::default(),
        )
        .unwrap();
        zkafka::network::Response::Send(zkafka::network::ResponseSend::from_frame(frame))
    }))
    .await;
    let mut s = connect(port).await;
    let v3 = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("librdkafka"))
        .with_client_software_version(StrBytes::from_static_str("2.0.2"));
    for (corr, version) in [(1, 0i16), (2, 3), (3, 0)] {
        s.write_all(&frame(ApiKey::ApiVersions, version, corr, &v3))
            .await
            .unwrap();
        let (got, _): (i32, ApiVersionsResponse) = read_response(&mut s, 0, 0).await;
        assert_eq!(got, corr);
    }
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["unknown/unknown", "librdkafka/2.0.2", "librdkafka/2.0.2"]
    );
}
