//! One client connection: frame reading, request ordering, response writing.
//!
//! Kafka: `SocketServer.Processor`, `NetworkReceive`, `Selector` (idle expiry).
//!
//! Three futures share one task per connection:
//! - the **reader** reads size-prefixed frames, parses the request header and checks the API
//!   version, and queues requests (bounded by count and by bytes, see [`SocketServerConfig`]);
//! - the **processor** hands queued requests to the [`RequestHandler`] one at a time, in
//!   arrival order, because a request's effects must precede the next one's (an idempotent
//!   producer pipelines up to five Produce requests and relies on in-order appends; Kafka gets
//!   this by muting the channel until each response is sent);
//! - the **writer** writes responses in the same order.
//!
//! Anything that makes Kafka close a connection — a negative or oversized size prefix
//! (`InvalidReceiveException`), an unparsable header, an unknown API key or a version that is
//! not enabled (`InvalidRequestException`), a body the handler cannot decode — is queued as a
//! close marker behind the requests read before it, so their responses are still written, and
//! then the connection is closed. Other connections are never affected.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// tokio's clock, so tests that pause time (`tokio::time::pause`) control idle expiry.
type IdleClock = tokio::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::config::SocketServerConfig;
use super::request_channel::{Request, RequestContext, RequestHandler, Response, ResponseSend};
use crate::cluster::SecurityProtocol;
use crate::protocol::client_software::{self, ClientInformation};
use crate::protocol::{is_api_enabled, parse_request_header, ApiKey};
use crate::security::authenticator::{AuthAction, SaslServerAuthenticator};
use crate::security::config::ListenerSecurity;
use crate::security::KafkaPrincipal;

/// The read side of a connection: a TCP half, or a TLS stream's half.
type ReadHalf = Box<dyn AsyncRead + Send + Unpin>;
/// The write side of a connection.
type WriteHalf = Box<dyn AsyncWrite + Send + Unpin>;

/// Kafka: `BrokerSecurityConfigs.SASL_SERVER_MAX_RECEIVE_SIZE_DEFAULT` (524288) — the largest
/// frame an unauthenticated SASL client may send (`sasl.server.max.receive.size`).
const SASL_SERVER_MAX_RECEIVE_SIZE: usize = 524_288;

/// Bytes asked of the socket per read when no frame size is known yet.
const READ_CHUNK_BYTES: usize = 8 * 1024;

/// Small responses are gathered in a buffer of this size and written together when no further
/// response is ready, so pipelined requests do not cost one write(2) each; larger chunks
/// (record data) bypass the buffer.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Per-connection settings taken from the server config and the listener.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSettings {
    pub socket_request_max_bytes: usize,
    pub connections_max_idle: Duration,
    pub max_queued_requests: usize,
    pub listener_name: Arc<str>,
    pub security_protocol: SecurityProtocol,
    /// TLS and SASL settings of the listener (empty on PLAINTEXT).
    pub security: ListenerSecurity,
}

impl ConnectionSettings {
    pub(crate) fn new(
        config: &SocketServerConfig,
        listener_name: String,
        security_protocol: SecurityProtocol,
    ) -> ConnectionSettings {
        ConnectionSettings {
            socket_request_max_bytes: usize::try_from(config.socket_request_max_bytes.max(0))
                .unwrap_or(0),
            connections_max_idle: Duration::from_millis(
                u64::try_from(config.connections_max_idle_ms.max(1)).unwrap_or(1),
            ),
            max_queued_requests: config.max_queued_requests_per_connection.max(1),
            listener_name: listener_name.into(),
            security_protocol,
            security: ListenerSecurity::default(),
        }
    }
}

/// Work queued from the reader to the processor.
enum Queued {
    Request(Request, OwnedSemaphorePermit),
    Close(String),
}

/// Work queued from the processor to the writer.
enum Outgoing {
    Send(ResponseSend),
    Close(String),
}

/// Activity shared by the three futures, for `connections.max.idle.ms`.
struct Activity {
    started: IdleClock,
    /// Milliseconds since `started` of the last byte read or written.
    last_ms: AtomicU64,
    /// Requests read whose response is not yet written.
    in_flight: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_for(&self) -> Duration {
        let now = self.started.elapsed();
        now.saturating_sub(Duration::from_millis(self.last_ms.load(Ordering::Relaxed)))
    }
}

/// Serves one connection until it is closed. Returns when the connection is done.
///
/// On SSL/SASL_SSL listeners the TLS handshake runs first; on SASL listeners the SASL exchange
/// ([`authenticate`]) runs next, and only an authenticated connection starts the request
/// pipeline, so no byte of an unauthenticated client reaches a request handler (except
/// ApiVersions, which Kafka also answers before authentication).
pub(crate) async fn run_connection(
    stream: TcpStream,
    connection_id: Arc<str>,
    client_address: SocketAddr,
    settings: Arc<ConnectionSettings>,
    handler: Arc<dyn RequestHandler>,
) {
    if let Err(e) = stream.set_nodelay(true) {
        // Kafka sets TCP_NODELAY on every accepted socket (`Acceptor.accept`).
        tracing::debug!("{connection_id}: cannot set TCP_NODELAY: {e}");
    }
    // Kafka: `DefaultKafkaPrincipalBuilder` — ANONYMOUS on PLAINTEXT and on SSL without a
    // client certificate, the certificate's DN with one, the SASL identity on SASL listeners.
    let mut principal = KafkaPrincipal::anonymous();
    let (rd, wr): (ReadHalf, WriteHalf) = match &settings.security.tls {
        Some(tls) => {
            let acceptor = tokio_rustls::TlsAcceptor::from(tls.clone());
            let handshake =
                tokio::time::timeout(settings.connections_max_idle, acceptor.accept(stream)).await;
            let tls_stream = match handshake {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    // Kafka logs failed SSL handshakes at INFO ("Failed authentication").
                    tracing::info!(
                        "{connection_id}: Failed authentication with {client_address} (SSL handshake failed): {e}"
                    );
                    return;
                }
                Err(_) => {
                    tracing::info!("{connection_id}: SSL handshake timed out");
                    return;
                }
            };
            if settings.security_protocol == SecurityProtocol::Ssl {
                let certs = tls_stream.get_ref().1.peer_certificates();
                principal = KafkaPrincipal::user(crate::security::tls::peer_principal_name(certs));
            }
            let (r, w) = tokio::io::split(tls_stream);
            (Box::new(r), Box::new(w))
        }
        None => {
            let (r, w) = stream.into_split();
            (Box::new(r), Box::new(w))
        }
    };
    let activity = Arc::new(Activity {
        started: IdleClock::now(),
        last_ms: AtomicU64::new(0),
        in_flight: AtomicUsize::new(0),
    });
    let byte_budget = Arc::new(Semaphore::new(
        settings
            .socket_request_max_bytes
            .min(Semaphore::MAX_PERMITS),
    ));
    let mut frames = FrameReader {
        rd,
        buf: BytesMut::new(),
        max_frame_bytes: settings.socket_request_max_bytes,
        settings: settings.clone(),
        activity: activity.clone(),
    };
    let mut wr = BufWriter::with_capacity(WRITE_BUFFER_BYTES, wr);
    let mut client_information = Arc::new(ClientInformation::default());
    if let Some(sasl) = &settings.security.sasl {
        frames.max_frame_bytes =
            SASL_SERVER_MAX_RECEIVE_SIZE.min(settings.socket_request_max_bytes);
        let ctx = AuthContext {
            connection_id: &connection_id,
            client_address,
            settings: &settings,
            handler: &handler,
            budget: &byte_budget,
        };
        match authenticate(
            SaslServerAuthenticator::new(sasl.clone()),
            &mut frames,
            &mut wr,
            &ctx,
            &mut client_information,
        )
        .await
        {
            Ok(p) => principal = p,
            Err(reason) => {
                tracing::info!(
                    "{connection_id}: closing connection from {client_address}: {reason}"
                );
                let _ = wr.shutdown().await;
                return;
            }
        }
        frames.max_frame_bytes = settings.socket_request_max_bytes;
    }
    let principal = Arc::new(principal);

    let (queue_tx, queue_rx) = mpsc::channel::<Queued>(settings.max_queued_requests);
    let (out_tx, out_rx) = mpsc::channel::<Outgoing>(settings.max_queued_requests);
    let reader = read_requests(
        frames,
        queue_tx,
        connection_id.clone(),
        client_address,
        settings.clone(),
        activity.clone(),
        byte_budget,
        client_information,
        principal,
    );
    let processor = process_requests(queue_rx, out_tx, handler, activity.clone());
    let writer = write_responses(wr, out_rx, &connection_id, activity);
    // The connection ends when the writer ends: after it wrote the close marker, or when the
    // socket cannot be written. Reader and processor are then dropped mid-await, which is safe:
    // nothing they hold outlives the connection.
    tokio::select! {
        _ = writer => {}
        _ = async {
            tokio::join!(reader, processor);
            std::future::pending::<()>().await
        } => {}
    }
}

/// What [`authenticate`] needs besides the socket.
struct AuthContext<'a> {
    connection_id: &'a Arc<str>,
    client_address: SocketAddr,
    settings: &'a Arc<ConnectionSettings>,
    handler: &'a Arc<dyn RequestHandler>,
    budget: &'a Arc<Semaphore>,
}

/// Runs the SASL exchange (Kafka: `SaslServerAuthenticator.authenticate`), one frame at a time.
/// Returns the authenticated principal, or why the connection must close.
async fn authenticate(
    mut authenticator: SaslServerAuthenticator,
    frames: &mut FrameReader,
    wr: &mut BufWriter<WriteHalf>,
    ctx: &AuthContext<'_>,
    client_information: &mut Arc<ClientInformation>,
) -> Result<KafkaPrincipal, String> {
    loop {
        let (frame, permit) = frames
            .next_frame(ctx.budget)
            .await
            .map_err(|e| format!("during SASL authentication: {e}"))?;
        drop(permit);
        let send = match authenticator.on_frame(frame.clone()) {
            AuthAction::ApiVersions => {
                // ApiVersions before the handshake is answered by KafkaApis like any other
                // (Kafka's authenticator answers it from the same ApiVersions data).
                let mut body = frame;
                let header = parse_request_header(&mut body).map_err(|e| e.to_string())?;
                if let Some(info) = client_software::from_api_versions(header.api_version(), &body)
                {
                    *client_information = Arc::new(info);
                }
                let request = Request {
                    context: RequestContext {
                        client_information: client_information.clone(),
                        header,
                        connection_id: ctx.connection_id.clone(),
                        client_address: ctx.client_address,
                        listener_name: ctx.settings.listener_name.clone(),
                        security_protocol: ctx.settings.security_protocol,
                        principal: Arc::new(KafkaPrincipal::anonymous()),
                    },
                    body,
                    received_at: Instant::now(),
                };
                match ctx.handler.handle(request).await {
                    Response::Send(send) => send,
                    Response::NoOp => continue,
                    Response::Close(reason) => return Err(reason),
                }
            }
            AuthAction::Send(frame) => ResponseSend::from_frame(frame),
            AuthAction::Complete { send, principal } => {
                write_now(wr, &ResponseSend::from_frame(send)).await?;
                tracing::debug!("{}: authenticated as {principal}", ctx.connection_id);
                return Ok(principal);
            }
            AuthAction::Fail {
                send,
                delay,
                reason,
            } => {
                // Kafka: `connection.failed.authentication.delay.ms` — the response to a
                // failed authentication is held back, then the connection is closed.
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if let Some(send) = send {
                    let _ = write_now(wr, &ResponseSend::from_frame(send)).await;
                }
                return Err(reason);
            }
        };
        write_now(wr, &send).await?;
    }
}

async fn write_now(wr: &mut BufWriter<WriteHalf>, send: &ResponseSend) -> Result<(), String> {
    for chunk in send.chunks() {
        wr.write_all(chunk)
            .await
            .map_err(|e| format!("write failed: {e}"))?;
    }
    wr.flush().await.map_err(|e| format!("write failed: {e}"))
}

/// Why a frame could not be read. Kafka: `InvalidReceiveException` and socket errors.
#[derive(Debug, thiserror::Error)]
enum ReceiveError {
    #[error("invalid receive (size = {0})")]
    NegativeSize(i32),
    #[error("invalid receive (size = {size} larger than {max})")]
    TooLarge { size: i32, max: usize },
    #[error("the client closed the connection")]
    Eof,
    #[error("the client closed the connection in the middle of a {expected}-byte request")]
    EofInFrame { expected: usize },
    #[error("connection idle for more than {0:?} (connections.max.idle.ms)")]
    Idle(Duration),
    #[error("socket read failed: {0}")]
    Io(#[from] std::io::Error),
}

struct FrameReader {
    rd: ReadHalf,
    buf: BytesMut,
    /// `socket.request.max.bytes`, or `sasl.server.max.receive.size` while authenticating.
    max_frame_bytes: usize,
    settings: Arc<ConnectionSettings>,
    activity: Arc<Activity>,
}

impl FrameReader {
    /// Reads more bytes into `buf`, reserving `want` bytes of room first. Gives up when the
    /// connection has been idle past `connections.max.idle.ms` with nothing in flight.
    async fn fill(&mut self, want: usize) -> Result<usize, ReceiveError> {
        self.buf.reserve(want);
        loop {
            let idle_limit = self.settings.connections_max_idle;
            let wait = idle_limit.saturating_sub(self.activity.idle_for());
            match tokio::time::timeout(wait, self.rd.read_buf(&mut self.buf)).await {
                Ok(Ok(n)) => {
                    if n > 0 {
                        self.activity.touch();
                    }
                    return Ok(n);
                }
                Ok(Err(e)) => return Err(e.into()),
                Err(_elapsed) => {
                    // `read_buf` is cancel-safe: no bytes are lost by timing out.
                    if self.activity.in_flight.load(Ordering::Relaxed) == 0
                        && self.activity.idle_for() >= idle_limit
                    {
                        return Err(ReceiveError::Idle(idle_limit));
                    }
                    if self.activity.in_flight.load(Ordering::Relaxed) > 0 {
                        // A long request (a long-poll fetch) is not idleness.
                        self.activity.touch();
                    }
                }
            }
        }
    }

    /// Reads the next frame's size prefix, checks it, waits for byte budget, then reads the
    /// body. Nothing is allocated for the body before the size is checked.
    async fn next_frame(
        &mut self,
        budget: &Arc<Semaphore>,
    ) -> Result<(bytes::Bytes, OwnedSemaphorePermit), ReceiveError> {
        while self.buf.len() < 4 {
            if self.fill(READ_CHUNK_BYTES).await? == 0 {
                return Err(if self.buf.is_empty() {
                    ReceiveError::Eof
                } else {
                    ReceiveError::EofInFrame { expected: 4 }
                });
            }
        }
        let size = i32::from_be_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]]);
        // Kafka: `NetworkReceive.readFrom` — negative sizes and sizes above
        // socket.request.max.bytes are refused before the buffer is allocated.
        if size < 0 {
            return Err(ReceiveError::NegativeSize(size));
        }
        let size_usize = size as usize;
        if size_usize > self.max_frame_bytes {
            return Err(ReceiveError::TooLarge {
                size,
                max: self.max_frame_bytes,
            });
        }
        // Requests queued on this connection hold at most socket.request.max.bytes together;
        // the semaphore is never closed, so `acquire` cannot fail.
        let permit = match budget.clone().acquire_many_owned(size as u32).await {
            Ok(p) => p,
            Err(_) => return Err(ReceiveError::Eof),
        };
        let total = 4 + size_usize;
        while self.buf.len() < total {
            let missing = total - self.buf.len();
            if self.fill(missing).await? == 0 {
                return Err(ReceiveError::EofInFrame {
                    expected: size_usize,
                });
            }
        }
        self.buf.advance(4);
        let frame = self.buf.split_to(size_usize).freeze();
        Ok((frame, permit))
    }
}

#[allow(clippy::too_many_arguments)]
async fn read_requests(
    mut reader: FrameReader,
    queue: mpsc::Sender<Queued>,
    connection_id: Arc<str>,
    client_address: SocketAddr,
    settings: Arc<ConnectionSettings>,
    activity: Arc<Activity>,
    budget: Arc<Semaphore>,
    mut client_information: Arc<ClientInformation>,
    principal: Arc<KafkaPrincipal>,
) {
    let close_reason = loop {
        let (mut frame, permit) = match reader.next_frame(&budget).await {
            Ok(f) => f,
            Err(e) => break e.to_string(),
        };
        let received_at = Instant::now();
        // Kafka: `SocketServer.parseRequestHeader` — an unparsable header, an unknown API key
        // or a version that is not enabled closes the connection.
        let header = match parse_request_header(&mut frame) {
            Ok(h) => h,
            Err(e) => break format!("invalid request: {e}"),
        };
        if !is_api_enabled(header.api_key, header.api_version()) {
            break format!(
                "received request api key {:?} with version {} which is not enabled",
                header.api_key,
                header.api_version()
            );
        }
        // KIP-511: the network layer records the client's software name and version from
        // ApiVersions (Kafka: `SocketServer.processCompletedReceives`).
        if header.api_key == ApiKey::ApiVersions {
            if let Some(info) = client_software::from_api_versions(header.api_version(), &frame) {
                client_information = Arc::new(info);
            }
        }
        let request = Request {
            context: RequestContext {
                client_information: client_information.clone(),
                header,
                connection_id: connection_id.clone(),
                client_address,
                listener_name: settings.listener_name.clone(),
                security_protocol: settings.security_protocol,
                principal: principal.clone(),
            },
            body: frame,
            received_at,
        };
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        if queue.send(Queued::Request(request, permit)).await.is_err() {
            return;
        }
    };
    let _ = queue.send(Queued::Close(close_reason)).await;
}

async fn process_requests(
    mut queue: mpsc::Receiver<Queued>,
    out: mpsc::Sender<Outgoing>,
    handler: Arc<dyn RequestHandler>,
    activity: Arc<Activity>,
) {
    while let Some(item) = queue.recv().await {
        match item {
            Queued::Request(request, permit) => {
                // The handler runs in its own task so that a request already started always
                // finishes (a Produce half-applied because its client vanished would be worse
                // than a response nobody reads) and a handler panic closes only this
                // connection.
                let handler = handler.clone();
                let correlation_id = request.context.header.correlation_id();
                let task = tokio::spawn(async move { handler.handle(request).await });
                let response = match task.await {
                    Ok(r) => r,
                    Err(e) => Response::Close(format!(
                        "the handler of request {correlation_id} failed: {e}"
                    )),
                };
                drop(permit);
                let next = match response {
                    Response::Send(send) => Outgoing::Send(send),
                    Response::NoOp => {
                        activity.in_flight.fetch_sub(1, Ordering::Relaxed);
                        continue;
                    }
                    Response::Close(reason) => Outgoing::Close(reason),
                };
                let closing = matches!(next, Outgoing::Close(_));
                if out.send(next).await.is_err() || closing {
                    return;
                }
            }
            Queued::Close(reason) => {
                let _ = out.send(Outgoing::Close(reason)).await;
                return;
            }
        }
    }
}

async fn write_responses(
    mut wr: BufWriter<WriteHalf>,
    mut out: mpsc::Receiver<Outgoing>,
    connection_id: &str,
    activity: Arc<Activity>,
) {
    while let Some(mut item) = out.recv().await {
        // Write every response that is ready, then flush once.
        loop {
            match item {
                Outgoing::Send(send) => {
                    for chunk in send.chunks() {
                        if let Err(e) = wr.write_all(chunk).await {
                            tracing::debug!("{connection_id}: closing, write failed: {e}");
                            return;
                        }
                    }
                    activity.in_flight.fetch_sub(1, Ordering::Relaxed);
                }
                Outgoing::Close(reason) => {
                    if reason.starts_with("the client closed")
                        || reason.starts_with("connection idle")
                    {
                        tracing::debug!("{connection_id}: {reason}");
                    } else {
                        // Kafka logs these ("Closing socket for ... because of error").
                        tracing::warn!("{connection_id}: closing connection: {reason}");
                    }
                    let _ = wr.shutdown().await;
                    return;
                }
            }
            match out.try_recv() {
                Ok(next) => item = next,
                Err(_) => break,
            }
        }
        if let Err(e) = wr.flush().await {
            tracing::debug!("{connection_id}: closing, write failed: {e}");
            return;
        }
        activity.touch();
    }
}
