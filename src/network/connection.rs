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
//!
//! On SASL listeners with `connections.max.reauth.ms` (KIP-368), a SaslHandshake on the
//! authenticated connection makes the **reader** run a re-authentication: its frames are fed to
//! a fresh authenticator and its responses are queued behind the requests read before it, so
//! nothing in flight is lost or reordered. A request read after the session expired closes the
//! connection when the processor reaches it (Kafka checks when it processes the receive).

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
use super::sasl_session::{session_expired, SaslSession, SessionClock};
use crate::cluster::SecurityProtocol;
use crate::protocol::client_software::{self, ClientInformation};
use crate::protocol::{is_api_enabled, parse_request_header, ApiKey};
use crate::security::authenticator::{AuthAction, AuthenticatedSession, SaslServerAuthenticator};
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
    /// Connections closed because their SASL session expired without re-authentication.
    /// Kafka: `SocketServer` metric `expired-connections-killed-count`.
    pub expired_connections_killed: Arc<AtomicU64>,
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
            expired_connections_killed: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Work queued from the reader to the processor.
enum Queued {
    /// A request, and when the SASL session it was read under expires.
    Request(Request, OwnedSemaphorePermit, Option<SessionClock>),
    /// A re-authentication response, written in turn.
    Send(ResponseSend),
    /// A failed re-authentication: wait `delay`, write `send`, close.
    AuthFailed {
        send: Option<ResponseSend>,
        delay: Duration,
        reason: String,
    },
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
            if let Some(mapper) = &settings.security.ssl_principal_mapper {
                let certs = tls_stream.get_ref().1.peer_certificates();
                match crate::security::ssl_principal_mapper::ssl_principal(certs, mapper) {
                    Ok(p) => principal = p,
                    Err(e) => {
                        // Kafka: the principal builder's KafkaException closes the connection.
                        tracing::info!(
                            "{connection_id}: closing connection from {client_address}: {e}"
                        );
                        return;
                    }
                }
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
    let mut sasl_session = None;
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
            Ok(session) => {
                principal = session.principal.clone();
                sasl_session = Some(SaslSession::new(sasl.clone(), session, SessionClock::now()));
            }
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
        sasl_session,
    );
    let processor = process_requests(
        queue_rx,
        out_tx,
        handler,
        activity.clone(),
        settings.clone(),
        connection_id.clone(),
    );
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
/// Returns the authenticated session, or why the connection must close.
async fn authenticate(
    mut authenticator: SaslServerAuthenticator,
    frames: &mut FrameReader,
    wr: &mut BufWriter<WriteHalf>,
    ctx: &AuthContext<'_>,
    client_information: &mut Arc<ClientInformation>,
) -> Result<AuthenticatedSession, String> {
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
            AuthAction::Complete { send, session } => {
                write_now(wr, &ResponseSend::from_frame(send)).await?;
                tracing::debug!(
                    "{}: authenticated as {} ({}), session lifetime {:?} ms",
                    ctx.connection_id,
                    session.principal,
                    session.mechanism,
                    session.session_lifetime_ms
                );
                return Ok(session);
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
    mut sasl_session: Option<SaslSession>,
) {
    let close_reason = loop {
        let (mut frame, permit) = match reader.next_frame(&budget).await {
            Ok(f) => f,
            Err(e) => break e.to_string(),
        };
        let received_at = Instant::now();
        let whole_frame = frame.clone();
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
        // Kafka: `processCompletedReceives` — a SaslHandshake may begin a re-authentication
        // (KIP-368); otherwise it is handled like any request (KafkaApis answers
        // ILLEGAL_SASL_STATE).
        if header.api_key == ApiKey::SaslHandshake {
            let begun = sasl_session.as_mut().and_then(|s| {
                s.begin_reauthentication(SessionClock::now())
                    .map(|a| (s, a))
            });
            if let Some((session, authenticator)) = begun {
                drop(permit);
                let Some(renewed) = reauthenticate(
                    authenticator,
                    whole_frame,
                    &mut reader,
                    &queue,
                    &activity,
                    &budget,
                )
                .await
                else {
                    return;
                };
                tracing::info!(
                    "{connection_id}: successfully re-authenticated {} with {} from {client_address}, session lifetime {} ms",
                    renewed.principal,
                    renewed.mechanism,
                    renewed.session_lifetime_ms.unwrap_or(0)
                );
                session.renew(renewed, SessionClock::now());
                continue;
            }
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
        let expires_at = sasl_session.as_ref().and_then(SaslSession::expires_at);
        if queue
            .send(Queued::Request(request, permit, expires_at))
            .await
            .is_err()
        {
            return;
        }
    };
    let _ = queue.send(Queued::Close(close_reason)).await;
}

/// Runs one re-authentication on the reader, starting with the SaslHandshake `first` (a whole
/// frame), and queues its responses in order. Returns the new session, or `None` when the
/// connection is closing (the failure or close is already queued).
///
/// Kafka: `KafkaChannel.swapAuthenticatorsAndBeginReauthentication` — the new authenticator
/// reads the connection until it completes; frames are limited to
/// `sasl.server.max.receive.size` meanwhile.
async fn reauthenticate(
    mut authenticator: SaslServerAuthenticator,
    first: bytes::Bytes,
    reader: &mut FrameReader,
    queue: &mpsc::Sender<Queued>,
    activity: &Activity,
    budget: &Arc<Semaphore>,
) -> Option<AuthenticatedSession> {
    let request_max = reader.max_frame_bytes;
    reader.max_frame_bytes = SASL_SERVER_MAX_RECEIVE_SIZE.min(request_max);
    let mut frame = first;
    let outcome = loop {
        let (send, done) = match authenticator.on_frame(frame) {
            AuthAction::Send(send) => (send, None),
            AuthAction::Complete { send, session } => (send, Some(session)),
            AuthAction::Fail {
                send,
                delay,
                reason,
            } => {
                let send = send.map(ResponseSend::from_frame);
                let reason = format!("Failed re-authentication: {reason}");
                let _ = queue
                    .send(Queued::AuthFailed {
                        send,
                        delay,
                        reason,
                    })
                    .await;
                break None;
            }
            AuthAction::ApiVersions => {
                let reason = "ApiVersions request during SASL re-authentication".to_string();
                let _ = queue.send(Queued::Close(reason)).await;
                break None;
            }
        };
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        if queue
            .send(Queued::Send(ResponseSend::from_frame(send)))
            .await
            .is_err()
        {
            break None;
        }
        if done.is_some() {
            break done;
        }
        frame = match reader.next_frame(budget).await {
            Ok((f, _permit)) => f,
            Err(e) => {
                let reason = format!("during SASL re-authentication: {e}");
                let _ = queue.send(Queued::Close(reason)).await;
                break None;
            }
        };
    };
    reader.max_frame_bytes = request_max;
    outcome
}

async fn process_requests(
    mut queue: mpsc::Receiver<Queued>,
    out: mpsc::Sender<Outgoing>,
    handler: Arc<dyn RequestHandler>,
    activity: Arc<Activity>,
    settings: Arc<ConnectionSettings>,
    connection_id: Arc<str>,
) {
    while let Some(item) = queue.recv().await {
        match item {
            Queued::Request(request, _permit, expires_at)
                if session_expired(expires_at, SessionClock::now()) =>
            {
                // Kafka: `processCompletedReceives` — `serverAuthenticationSessionExpired`
                // closes the connection and counts it.
                settings
                    .expired_connections_killed
                    .fetch_add(1, Ordering::Relaxed);
                let reason = format!(
                    "the SASL session expired without re-authentication (connections.max.reauth.ms); {:?} request {} refused",
                    request.context.header.api_key,
                    request.context.header.correlation_id()
                );
                tracing::info!("{connection_id}: {reason}");
                let _ = out.send(Outgoing::Close(reason)).await;
                return;
            }
            Queued::Send(send) => {
                if out.send(Outgoing::Send(send)).await.is_err() {
                    return;
                }
            }
            Queued::AuthFailed {
                send,
                delay,
                reason,
            } => {
                // Kafka: `connection.failed.authentication.delay.ms` applies to failed
                // re-authentications too.
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if let Some(send) = send {
                    activity.in_flight.fetch_add(1, Ordering::Relaxed);
                    let _ = out.send(Outgoing::Send(send)).await;
                }
                tracing::info!("{connection_id}: {reason}");
                let _ = out.send(Outgoing::Close(reason)).await;
                return;
            }
            Queued::Request(request, permit, _) => {
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
                        || reason.starts_with("the SASL session expired")
                        || reason.starts_with("Failed re-authentication")
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
