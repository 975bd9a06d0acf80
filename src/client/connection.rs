//! One TCP connection to one broker: size-prefixed framing, correlation ids, pipelining, and
//! ApiVersions negotiation.
//!
//! Kafka answers the requests of one connection in order (Kafka: `SocketServer` mutes a channel
//! until its response is sent, and `NetworkClient` matches `InFlightRequests` oldest first), so
//! the reader only has to pop the oldest pending request and check its correlation id.
//!
//! Tasks and channels:
//! - the **writer task** owns the write half; it receives [`Outgoing`] frames from `requests`
//!   (sent by every caller of [`BrokerConnection::send`]) and pushes each expected response onto
//!   `pending` before writing the frame, so the queue is in wire order;
//! - the **reader task** owns the read half; it pops `pending` for each response frame and
//!   completes the caller's oneshot. When the socket fails, it fails every pending request.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use super::error::{ClientError, Result};

/// Largest response frame we accept. Kafka's consumer bounds a fetch response by
/// `fetch.max.bytes` (default 52428800) plus overhead; 256 MiB leaves room for any sane
/// configuration while refusing a corrupt length before allocating.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// Capacity of the writer queue: requests waiting to be written. Callers wait when it is full,
/// which is the back-pressure a producer needs; 64 frames is far above Kafka's default
/// `max.in.flight.requests.per.connection` (5).
const WRITE_QUEUE_CAPACITY: usize = 64;

/// Highest ApiVersions version we send first. Kafka 3.9 supports 0..=3; a higher version would
/// only cost a round trip (KIP-511: the broker answers v0 with UNSUPPORTED_VERSION).
const API_VERSIONS_MAX: i16 = 3;

struct Pending {
    correlation_id: i32,
    reply: oneshot::Sender<Result<Bytes>>,
}

struct Outgoing {
    frame: Bytes,
    pending: Option<Pending>,
}

/// The API version ranges a broker advertised in ApiVersions.
#[derive(Debug, Clone, Default)]
pub struct ApiVersionTable {
    ranges: HashMap<i16, (i16, i16)>,
}

impl ApiVersionTable {
    /// The broker's `(min, max)` for `api_key`, if it serves it at all.
    pub fn range(&self, api_key: i16) -> Option<(i16, i16)> {
        self.ranges.get(&api_key).copied()
    }
}

/// Picks the highest version both sides support: min(client max, broker max), provided it is
/// at least max(client min, broker min). Kafka: `NodeApiVersions.latestUsableVersion`.
pub fn pick_version(client: (i16, i16), broker: (i16, i16)) -> Option<i16> {
    let low = client.0.max(broker.0);
    let high = client.1.min(broker.1);
    (low <= high).then_some(high)
}

/// A connection to one broker, shared by every task that talks to that broker.
pub struct BrokerConnection {
    addr: String,
    client_id: StrBytes,
    requests: mpsc::Sender<Outgoing>,
    next_correlation_id: AtomicI32,
    versions: ApiVersionTable,
    /// Set by the reader task when the socket fails; read by the writer and by the pool.
    closed: Arc<AtomicBool>,
}

impl BrokerConnection {
    /// Connects, starts the reader and writer tasks and negotiates API versions.
    pub async fn connect(addr: &str, client_id: &str) -> Result<Arc<Self>> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|source| ClientError::Io {
                addr: addr.to_string(),
                source,
            })?;
        // Small requests (metadata, acks) should not wait for Nagle.
        let _ = stream.set_nodelay(true);
        let (read_half, write_half) = stream.into_split();
        let pending: Arc<Mutex<VecDeque<Pending>>> = Arc::default();
        let closed = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        tokio::spawn(write_loop(
            addr.to_string(),
            write_half,
            rx,
            pending.clone(),
            closed.clone(),
        ));
        tokio::spawn(read_loop(
            addr.to_string(),
            read_half,
            pending,
            closed.clone(),
        ));
        let mut conn = BrokerConnection {
            addr: addr.to_string(),
            client_id: StrBytes::from_string(client_id.to_string()),
            requests: tx,
            next_correlation_id: AtomicI32::new(0),
            versions: ApiVersionTable::default(),
            closed,
        };
        conn.versions = conn.negotiate_versions().await?;
        Ok(Arc::new(conn))
    }

    /// The `host:port` this connection goes to.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The broker's advertised API versions.
    pub fn versions(&self) -> &ApiVersionTable {
        &self.versions
    }

    async fn negotiate_versions(&self) -> Result<ApiVersionTable> {
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("zkafka"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let mut response = self.api_versions(&request, API_VERSIONS_MAX).await?;
        if response.error_code == 35 {
            // UNSUPPORTED_VERSION: the broker answered v0 with its ranges (KIP-511); retry with
            // the highest version it named.
            let max = response
                .api_keys
                .iter()
                .find(|k| k.api_key == ApiVersionsRequest::KEY)
                .map(|k| k.max_version)
                .unwrap_or(0)
                .min(API_VERSIONS_MAX);
            response = self.api_versions(&request, max).await?;
        }
        if let Some(e) = ClientError::from_code(
            response.error_code,
            None,
            format!("ApiVersions to {}", self.addr),
        ) {
            return Err(e);
        }
        let ranges = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(ApiVersionTable { ranges })
    }

    /// The version to use for `R`: the highest both sides support, further capped at `cap`.
    pub fn version_for<R: Request>(&self, cap: i16) -> Result<i16> {
        let client = (R::VERSIONS.min, R::VERSIONS.max.min(cap));
        let broker = self.versions.range(R::KEY).unwrap_or((-1, -2));
        pick_version(client, broker).ok_or_else(|| ClientError::UnsupportedVersion {
            addr: self.addr.clone(),
            api: api_name(R::KEY),
            broker_min: broker.0,
            broker_max: broker.1,
            client_min: client.0,
            client_max: client.1,
        })
    }

    /// Sends `request` at the negotiated version (capped at `cap`) and waits for its response.
    pub async fn send<R: Request>(&self, request: &R, cap: i16) -> Result<R::Response> {
        let version = self.version_for::<R>(cap)?;
        self.send_versioned(request, version).await
    }

    /// Sends `request` at exactly `version` and waits for its response.
    pub async fn send_versioned<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<R::Response> {
        let mut body = self.send_raw(request, version).await?;
        R::Response::decode(&mut body, version).map_err(|e| self.protocol(e))
    }

    /// Sends `request` at `version`; returns the response body after its header.
    async fn send_raw<R: Request>(&self, request: &R, version: i16) -> Result<Bytes> {
        let (frame, correlation_id) = self.encode(request, version)?;
        let (reply_tx, reply_rx) = oneshot::channel();
        self.enqueue(Outgoing {
            frame,
            pending: Some(Pending {
                correlation_id,
                reply: reply_tx,
            }),
        })
        .await?;
        let mut body = reply_rx
            .await
            .map_err(|_| self.disconnected("reader stopped"))??;
        let header_version = R::Response::header_version(version);
        let header =
            ResponseHeader::decode(&mut body, header_version).map_err(|e| self.protocol(e))?;
        if header.correlation_id != correlation_id {
            return Err(ClientError::Protocol {
                addr: self.addr.clone(),
                message: format!(
                    "correlation id {} does not match request {}",
                    header.correlation_id, correlation_id
                ),
            });
        }
        Ok(body)
    }

    /// ApiVersions at `version`. A broker that does not support that version answers in the
    /// v0 format with UNSUPPORTED_VERSION (KIP-511), so that error code is decoded as v0.
    async fn api_versions(
        &self,
        request: &ApiVersionsRequest,
        version: i16,
    ) -> Result<ApiVersionsResponse> {
        let mut body = self.send_raw(request, version).await?;
        let decode_as = if body.len() >= 2 && i16::from_be_bytes([body[0], body[1]]) == 35 {
            0
        } else {
            version
        };
        ApiVersionsResponse::decode(&mut body, decode_as).map_err(|e| self.protocol(e))
    }

    /// Sends a request for which the broker sends no response (Produce with acks=0).
    pub async fn send_without_response<R: Request>(&self, request: &R, version: i16) -> Result<()> {
        let (frame, _) = self.encode(request, version)?;
        self.enqueue(Outgoing {
            frame,
            pending: None,
        })
        .await
    }

    fn encode<R: Request>(&self, request: &R, version: i16) -> Result<(Bytes, i32)> {
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(self.client_id.clone()));
        let header_version = R::header_version(version);
        let size = header
            .compute_size(header_version)
            .and_then(|h| request.compute_size(version).map(|b| h + b))
            .map_err(|e| self.protocol(e))?;
        let mut buf = BytesMut::with_capacity(4 + size);
        buf.put_i32(size as i32);
        header
            .encode(&mut buf, header_version)
            .map_err(|e| self.protocol(e))?;
        request
            .encode(&mut buf, version)
            .map_err(|e| self.protocol(e))?;
        Ok((buf.freeze(), correlation_id))
    }

    async fn enqueue(&self, outgoing: Outgoing) -> Result<()> {
        self.requests
            .send(outgoing)
            .await
            .map_err(|_| self.disconnected("writer stopped"))
    }

    /// True once the writer task has stopped (socket failed or closed).
    pub fn is_closed(&self) -> bool {
        self.requests.is_closed() || self.closed.load(Ordering::Acquire)
    }

    fn protocol(&self, e: impl std::fmt::Display) -> ClientError {
        ClientError::Protocol {
            addr: self.addr.clone(),
            message: e.to_string(),
        }
    }

    fn disconnected(&self, reason: &str) -> ClientError {
        ClientError::Disconnected {
            addr: self.addr.clone(),
            reason: reason.to_string(),
        }
    }
}

async fn write_loop(
    addr: String,
    write_half: tokio::net::tcp::OwnedWriteHalf,
    mut requests: mpsc::Receiver<Outgoing>,
    pending: Arc<Mutex<VecDeque<Pending>>>,
    closed: Arc<AtomicBool>,
) {
    let mut writer = BufWriter::with_capacity(64 * 1024, write_half);
    while let Some(first) = requests.recv().await {
        let mut next = Some(first);
        // Write every frame already queued before flushing once: pipelined requests share a
        // syscall.
        while let Some(out) = next.take() {
            if closed.load(Ordering::Acquire) {
                // The reader is gone: nobody would ever complete this request.
                fail_all(&addr, &pending, "connection closed");
                if let Some(p) = out.pending {
                    let _ = p.reply.send(Err(ClientError::Disconnected {
                        addr: addr.clone(),
                        reason: "connection closed".to_string(),
                    }));
                }
                return;
            }
            if let Some(p) = out.pending {
                pending
                    .lock()
                    .expect("pending queue lock poisoned")
                    .push_back(p);
            }
            if let Err(e) = writer.write_all(&out.frame).await {
                closed.store(true, Ordering::Release);
                fail_all(&addr, &pending, &format!("write failed: {e}"));
                return;
            }
            next = requests.try_recv().ok();
        }
        if let Err(e) = writer.flush().await {
            closed.store(true, Ordering::Release);
            fail_all(&addr, &pending, &format!("write failed: {e}"));
            return;
        }
    }
}

async fn read_loop(
    addr: String,
    mut read_half: tokio::net::tcp::OwnedReadHalf,
    pending: Arc<Mutex<VecDeque<Pending>>>,
    closed: Arc<AtomicBool>,
) {
    let reason = loop {
        let size = match read_half.read_i32().await {
            Ok(s) => s,
            Err(e) => break format!("read failed: {e}"),
        };
        if size < 0 || size as usize > MAX_RESPONSE_BYTES {
            break format!("response size {size} outside 0..={MAX_RESPONSE_BYTES}");
        }
        let mut body = BytesMut::zeroed(size as usize);
        if let Err(e) = read_half.read_exact(&mut body).await {
            break format!("read failed: {e}");
        }
        let Some(p) = pending
            .lock()
            .expect("pending queue lock poisoned")
            .pop_front()
        else {
            break "response without an outstanding request".to_string();
        };
        let body = body.freeze();
        if body.len() >= 4 && (&body[..4]).get_i32() != p.correlation_id {
            let _ = p.reply.send(Err(ClientError::Protocol {
                addr: addr.clone(),
                message: format!(
                    "response out of order, expected correlation id {}",
                    p.correlation_id
                ),
            }));
            break "response out of order".to_string();
        }
        let _ = p.reply.send(Ok(body));
    };
    closed.store(true, Ordering::Release);
    fail_all(&addr, &pending, &reason);
}

fn fail_all(addr: &str, pending: &Mutex<VecDeque<Pending>>, reason: &str) {
    let drained: Vec<Pending> = pending
        .lock()
        .expect("pending queue lock poisoned")
        .drain(..)
        .collect();
    for p in drained {
        let _ = p.reply.send(Err(ClientError::Disconnected {
            addr: addr.to_string(),
            reason: reason.to_string(),
        }));
    }
}

/// Kafka's name of an API key, for messages.
pub fn api_name(key: i16) -> String {
    kafka_protocol::messages::ApiKey::try_from(key)
        .map(|k| format!("{k:?}"))
        .unwrap_or_else(|_| format!("api key {key}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::api_versions_response::ApiVersion;
    use kafka_protocol::messages::MetadataRequest;
    use tokio::net::TcpListener;

    /// Reads one request frame; returns (api key, version, correlation id).
    async fn read_request(s: &mut TcpStream) -> (i16, i16, i32) {
        let len = s.read_i32().await.unwrap();
        let mut body = vec![0u8; len as usize];
        s.read_exact(&mut body).await.unwrap();
        let mut b = &body[..];
        (b.get_i16(), b.get_i16(), b.get_i32())
    }

    async fn write_api_versions(
        s: &mut TcpStream,
        correlation_id: i32,
        response: &ApiVersionsResponse,
        version: i16,
    ) {
        let mut body = BytesMut::new();
        response.encode(&mut body, version).unwrap();
        let mut frame = BytesMut::new();
        frame.put_i32(4 + body.len() as i32);
        frame.put_i32(correlation_id);
        frame.put_slice(&body);
        s.write_all(&frame).await.unwrap();
    }

    /// KIP-511: a broker that does not know our ApiVersions version answers v0 with
    /// UNSUPPORTED_VERSION (35) and its own ApiVersions range; the client retries at the
    /// broker's max and then uses the highest common version of every API.
    #[tokio::test]
    async fn api_versions_falls_back_and_negotiates() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let (key, version, cid) = read_request(&mut s).await;
            assert_eq!((key, version), (18, 3));
            let refusal = ApiVersionsResponse::default()
                .with_error_code(35)
                .with_api_keys(vec![ApiVersion::default()
                    .with_api_key(18)
                    .with_min_version(0)
                    .with_max_version(2)]);
            write_api_versions(&mut s, cid, &refusal, 0).await;
            let (key, version, cid) = read_request(&mut s).await;
            assert_eq!((key, version), (18, 2));
            let ok = ApiVersionsResponse::default().with_api_keys(vec![
                ApiVersion::default()
                    .with_api_key(18)
                    .with_min_version(0)
                    .with_max_version(2),
                ApiVersion::default()
                    .with_api_key(3)
                    .with_min_version(0)
                    .with_max_version(9),
            ]);
            write_api_versions(&mut s, cid, &ok, 2).await;
            // Keep the socket open until the client is done.
            let _ = s.read_i32().await;
        });
        let conn = BrokerConnection::connect(&addr, "test").await.unwrap();
        assert_eq!(conn.versions().range(3), Some((0, 9)));
        assert_eq!(conn.version_for::<MetadataRequest>(12).unwrap(), 9);
        assert!(matches!(
            conn.version_for::<kafka_protocol::messages::FetchRequest>(12),
            Err(ClientError::UnsupportedVersion { .. })
        ));
        drop(conn);
        server.abort();
    }

    /// Kafka: `NodeApiVersions.latestUsableVersion` — the highest version in the intersection
    /// of client and broker ranges, none when they do not overlap.
    #[test]
    fn picks_highest_common_version() {
        assert_eq!(pick_version((0, 11), (3, 9)), Some(9));
        assert_eq!(pick_version((0, 12), (0, 17)), Some(12));
        assert_eq!(pick_version((4, 7), (0, 3)), None);
        assert_eq!(pick_version((0, 3), (-1, -2)), None);
    }
}
