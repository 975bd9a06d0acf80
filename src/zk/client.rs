//! `KafkaZkClient`: the broker's ZooKeeper session, its supervision, retries and watch handlers.
//!
//! Kafka: `kafka.zookeeper.ZooKeeperClient` (session, handler registry, reinitialisation) and
//! `kafka.zk.KafkaZkClient` (basic reads/writes are in `operations.rs`; Kafka operations in `broker_registration.rs` and
//! `controller_election.rs` as further `impl KafkaZkClient` blocks).
//!
//! # Session supervision
//! A `zookeeper_client::Client` is dead for good once its session expires. A supervisor task
//! waits for the current session to reach a terminal state; on expiry it calls every registered
//! [`StateChangeHandler`] with [`SessionEvent::Expired`] (Kafka: `beforeInitializingSession`),
//! connects a new session (retrying forever — ZooKeeper blips are normal life), swaps it in, and
//! calls the handlers with [`SessionEvent::Reinitialized`] (`afterInitializingSession`). The
//! broker never exits because of ZooKeeper.
//!
//! # Retries
//! Every operation goes through [`KafkaZkClient::retry_until_connected`]: a `CONNECTIONLOSS`
//! waits until the session is connected again and re-sends the request (Kafka:
//! `retryRequestsUntilConnected`); a request that hit a dead session waits for the new one.
//! Callers handle the consequences of a re-sent write (e.g. `NODEEXISTS` for their own create),
//! exactly as Kafka's callers do.
//!
//! # Watches
//! ZooKeeper watches are one-shot. Like Kafka's `ZooKeeperClient`, a watch is armed only by a
//! read of a path that has a registered handler (`register_znode_change_handler`,
//! `register_znode_child_change_handler`), and a handler only *enqueues* work; the work re-reads
//! the path, which re-arms the watch. We keep at most one armed watch per (path, kind) per
//! session, so repeated reads never multiply events.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::watch;
use zookeeper_client::{
    Client, CreateMode, CreateOptions, EventType, OneshotWatcher, SessionState,
};

use crate::config::ZkConnect;
use crate::zk::zk_acls::default_acls;
use crate::zk::zk_security::ZkClientSecurity;
use crate::zk::znodes::ZNodeError;

/// Errors from Kafka's ZooKeeper operations. Messages name the operation and path.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    /// A ZooKeeper error code for one request.
    #[error("ZooKeeper {op} {path} failed: {source}")]
    Keeper {
        op: &'static str,
        path: String,
        source: zookeeper_client::Error,
    },
    /// Kafka: `ControllerMovedException` — this broker is no longer (or never became) controller.
    #[error("ControllerMovedException: {0}")]
    ControllerMoved(String),
    /// A znode payload did not decode.
    #[error("znode payload: {0}")]
    Decode(#[from] ZNodeError),
    /// No session could be established within `zookeeper.connection.timeout.ms`.
    #[error("Timed out waiting for connection to ZooKeeper at {connect} after {timeout_ms} ms (zookeeper.connection.timeout.ms)")]
    ConnectTimeout { connect: String, timeout_ms: u64 },
    /// The client is shutting down; no more requests are sent.
    #[error("ZooKeeper client is closed")]
    Closed,
}

impl ZkError {
    /// The ZooKeeper error code, if this is a keeper error.
    pub fn code(&self) -> Option<&zookeeper_client::Error> {
        match self {
            ZkError::Keeper { source, .. } => Some(source),
            _ => None,
        }
    }

    pub(crate) fn keeper(op: &'static str, path: &str, source: zookeeper_client::Error) -> ZkError {
        ZkError::Keeper {
            op,
            path: path.to_string(),
            source,
        }
    }
}

/// Session life-cycle notifications. Kafka: `StateChangeHandler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session expired; a new one is being established. Ephemerals and watches are gone.
    Expired,
    /// A new session is connected (ephemerals must be re-created, watches re-armed).
    Reinitialized,
}

/// Called on session life-cycle changes; must only enqueue work (it runs on the supervisor task).
pub type StateChangeHandler = Arc<dyn Fn(SessionEvent) + Send + Sync>;

/// Reactions to data/existence changes of one path. Kafka: `ZNodeChangeHandler`.
/// Implementations only enqueue events.
pub trait ZNodeChangeHandler: Send + Sync {
    fn path(&self) -> String;
    fn handle_creation(&self) {}
    fn handle_deletion(&self) {}
    fn handle_data_change(&self) {}
}

/// Reactions to child changes of one path. Kafka: `ZNodeChildChangeHandler`.
pub trait ZNodeChildChangeHandler: Send + Sync {
    fn path(&self) -> String;
    fn handle_child_change(&self);
    /// Which component owns the handler. Kafka keeps one handler per path; registering again
    /// replaces it. `/config/changes` is the exception here: Kafka has one `ZkConfigManager`
    /// dispatching by entity type, we have two listeners (topic configs and SCRAM users), so
    /// handlers with different owners coexist on one path and all are called.
    fn owner(&self) -> &'static str {
        ""
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum WatchKind {
    Data,
    Child,
}

/// The live session and its generation (incremented on every re-initialisation).
struct Session {
    /// `None` once `close` has dropped it (dropping the last clone closes the session).
    client: Option<Client>,
    generation: u64,
}

/// The broker's ZooKeeper client. Cheap to share as `Arc<KafkaZkClient>`.
pub struct KafkaZkClient {
    /// Back-reference so watch tasks can hold the client (every instance lives in an `Arc`).
    pub(super) me: std::sync::Weak<KafkaZkClient>,
    pub(super) connect: ZkConnect,
    pub(super) session_timeout: Duration,
    pub(super) connection_timeout: Duration,
    /// SASL login and `zookeeper.set.acl` (Kafka: the JAAS client login and `isSecure`).
    pub(super) security: ZkClientSecurity,
    /// The current session; replaced by the supervisor after expiry. Never held across `.await`.
    session: RwLock<Session>,
    /// Session id of the previous session (ZOOKEEPER-2985 workaround in `register_broker`).
    previous_session_id: Mutex<Option<i64>>,
    /// Current generation, for waiting until a new session exists.
    generation_tx: watch::Sender<u64>,
    /// Set once `close` starts: requests stop retrying and the supervisor stops.
    closing_tx: watch::Sender<bool>,
    /// Limits requests awaiting a response (`zookeeper.max.in.flight.requests`, default 10).
    /// Kafka: `ZooKeeperClient.inFlightRequests`.
    in_flight: tokio::sync::Semaphore,
    state_handlers: Mutex<Vec<(String, StateChangeHandler)>>,
    change_handlers: Mutex<HashMap<String, Arc<dyn ZNodeChangeHandler>>>,
    child_handlers: Mutex<HashMap<String, Vec<Arc<dyn ZNodeChildChangeHandler>>>>,
    /// (path, kind) → generation in which a watch is armed (at most one per session).
    armed: Mutex<HashMap<(String, WatchKind), u64>>,
}

impl KafkaZkClient {
    /// The create options for `path` (relative to the chroot): `mode` with Kafka's
    /// `ZkData.defaultAcls(isSecure, path)`. Every znode this client creates goes through here.
    pub fn create_options(&self, mode: CreateMode, path: &str) -> CreateOptions<'static> {
        mode.with_acls(default_acls(self.security.secure_acls, path))
    }

    pub(crate) fn persistent(&self, path: &str) -> CreateOptions<'static> {
        self.create_options(CreateMode::Persistent, path)
    }

    pub(crate) fn ephemeral(&self, path: &str) -> CreateOptions<'static> {
        self.create_options(CreateMode::Ephemeral, path)
    }

    /// Whether znodes get secure ACLs (`zookeeper.set.acl`). Kafka: `KafkaZkClient.secure`.
    pub fn secure(&self) -> bool {
        self.security.secure_acls
    }
}

/// Pause between re-sends of a request that failed for connection reasons.
const RETRY_BACKOFF: Duration = Duration::from_millis(50);

/// Errors that say "the connection or session failed", not "the server answered no": Kafka
/// retries these as CONNECTIONLOSS. `zookeeper-client` fails in-flight requests with the
/// transport's error (`Custom`, e.g. "Connection reset by peer") when a connection drops.
fn is_retriable(e: &zookeeper_client::Error) -> bool {
    use zookeeper_client::Error as E;
    matches!(
        e,
        E::ConnectionLoss
            | E::SessionExpired
            | E::ClientClosed
            | E::Timeout
            | E::NoHosts
            | E::Custom(_)
    )
}

impl KafkaZkClient {
    /// Connects (creating the chroot first if it is missing) and starts the session supervisor.
    ///
    /// Kafka: `KafkaServer.initZkClient` — a throw-away client without the chroot makes sure the
    /// chroot exists, then the real client connects with it. Both log in with `security.sasl`.
    pub async fn connect(
        connect: ZkConnect,
        session_timeout_ms: u32,
        connection_timeout_ms: u32,
        max_in_flight_requests: u32,
        security: ZkClientSecurity,
    ) -> Result<Arc<KafkaZkClient>, ZkError> {
        let session_timeout = Duration::from_millis(session_timeout_ms as u64);
        let connection_timeout = Duration::from_millis(connection_timeout_ms as u64);
        if let Some(chroot) = &connect.chroot {
            // Kafka: a throw-away session without the chroot runs
            // `makeSurePersistentPathExists(chroot)` (null data, see `null_data`); that client
            // has no chroot, so the ACL rule sees the absolute paths.
            let nodes: Vec<_> = super::null_data::prefixes(None, chroot)
                .into_iter()
                .map(|p| {
                    let acls = default_acls(security.secure_acls, &p);
                    (p, acls)
                })
                .collect();
            match super::null_data::create_null_paths(
                &connect.hosts,
                &nodes,
                session_timeout_ms,
                connection_timeout,
                security.sasl.as_ref(),
            )
            .await
            {
                Ok(()) => tracing::info!("Created zookeeper path {chroot}"),
                Err(e) => {
                    tracing::debug!(
                        "null-data chroot creation failed ({e}); using the regular client"
                    );
                    let root = Self::connect_session(
                        &connect.hosts,
                        session_timeout,
                        connection_timeout,
                        &security,
                    )
                    .await?;
                    match root.check_stat(chroot).await {
                        Ok(Some(_)) => {}
                        Ok(None) => {
                            let options = CreateMode::Persistent
                                .with_acls(default_acls(security.secure_acls, chroot));
                            root.mkdir(chroot, &options)
                                .await
                                .map_err(|e| ZkError::keeper("create chroot", chroot, e))?;
                            tracing::info!("Created zookeeper path {chroot}");
                        }
                        Err(e) => return Err(ZkError::keeper("exists", chroot, e)),
                    }
                    // Dropping the only handle closes that session.
                    drop(root);
                }
            }
        }
        let client = Self::connect_session(
            &connect.with_chroot(),
            session_timeout,
            connection_timeout,
            &security,
        )
        .await?;
        tracing::info!(
            "Connected to ZooKeeper {} (session 0x{:x}, negotiated timeout {} ms)",
            connect.with_chroot(),
            client.session_id().0,
            client.session_timeout().as_millis()
        );
        let (generation_tx, _) = watch::channel(0u64);
        let (closing_tx, _) = watch::channel(false);
        let zk = Arc::new_cyclic(|me| KafkaZkClient {
            me: me.clone(),
            connect,
            session_timeout,
            connection_timeout,
            security,
            session: RwLock::new(Session {
                client: Some(client),
                generation: 0,
            }),
            previous_session_id: Mutex::new(None),
            generation_tx,
            closing_tx,
            state_handlers: Mutex::new(Vec::new()),
            change_handlers: Mutex::new(HashMap::new()),
            child_handlers: Mutex::new(HashMap::new()),
            armed: Mutex::new(HashMap::new()),
            in_flight: tokio::sync::Semaphore::new(max_in_flight_requests.max(1) as usize),
        });
        tokio::spawn(Self::supervise(Arc::clone(&zk)));
        Ok(zk)
    }

    async fn connect_session(
        connect_string: &str,
        session_timeout: Duration,
        connection_timeout: Duration,
        security: &ZkClientSecurity,
    ) -> Result<Client, ZkError> {
        let mut connector = Client::connector();
        connector = connector.with_session_timeout(session_timeout);
        if let Some(login) = &security.sasl {
            // Kafka: ZooKeeper's `ZooKeeperSaslClient` logs in with the JAAS client section;
            // a failed login ends the session in AUTH_FAILED (an error here).
            connector = connector.with_sasl(zookeeper_client::SaslOptions::digest_md5(
                login.username.clone(),
                login.password.clone(),
            ));
        }
        let connecting = connector.connect(connect_string);
        match tokio::time::timeout(connection_timeout, connecting).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => Err(ZkError::keeper("connect", connect_string, e)),
            Err(_) => Err(ZkError::ConnectTimeout {
                connect: connect_string.to_string(),
                timeout_ms: connection_timeout.as_millis() as u64,
            }),
        }
    }

    /// The supervisor: waits for the session to die, then builds a new one. Kafka:
    /// `ZooKeeperClient.ZooKeeperClientWatcher` + `reinitialize`.
    async fn supervise(self: Arc<Self>) {
        let mut closing = self.closing_tx.subscribe();
        loop {
            let Ok((client, generation)) = self.current() else {
                return;
            };
            let mut states = client.state_watcher();
            let mut state = client.state();
            drop(client);
            while !matches!(
                state,
                SessionState::Expired | SessionState::Closed | SessionState::AuthFailed
            ) {
                tokio::select! {
                    s = states.changed() => {
                        state = s;
                        match s {
                            SessionState::Disconnected => tracing::warn!("ZooKeeper connection lost; reconnecting"),
                            SessionState::SyncConnected => tracing::info!("ZooKeeper connection re-established"),
                            _ => {}
                        }
                    }
                    _ = closing.wait_for(|c| *c) => return,
                }
            }
            if *closing.borrow() {
                return;
            }
            tracing::warn!("ZooKeeper session (generation {generation}) ended in state {state:?}; re-initialising");
            self.notify_state_handlers(SessionEvent::Expired);
            let client = loop {
                if *closing.borrow() {
                    return;
                }
                match Self::connect_session(
                    &self.connect.with_chroot(),
                    self.session_timeout,
                    self.connection_timeout,
                    &self.security,
                )
                .await
                {
                    Ok(c) => break c,
                    Err(e) => {
                        tracing::warn!(
                            "Unable to re-establish a ZooKeeper session: {e}; retrying in 1 s"
                        );
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            };
            {
                let mut session = self.session.write().unwrap_or_else(|p| p.into_inner());
                if *closing.borrow() {
                    return;
                }
                *self
                    .previous_session_id
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) =
                    session.client.as_ref().map(|c| c.session_id().0);
                tracing::info!(
                    "New ZooKeeper session 0x{:x} (generation {})",
                    client.session_id().0,
                    session.generation + 1
                );
                session.client = Some(client);
                session.generation += 1;
                self.generation_tx.send_replace(session.generation);
            }
            self.notify_state_handlers(SessionEvent::Reinitialized);
        }
    }

    fn notify_state_handlers(&self, event: SessionEvent) {
        let handlers: Vec<StateChangeHandler> = self
            .state_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, h)| Arc::clone(h))
            .collect();
        for h in handlers {
            h(event);
        }
    }

    /// The current client and its generation; `Closed` after [`Self::close`].
    fn current(&self) -> Result<(Client, u64), ZkError> {
        let s = self.session.read().unwrap_or_else(|p| p.into_inner());
        match &s.client {
            Some(c) => Ok((c.clone(), s.generation)),
            None => Err(ZkError::Closed),
        }
    }

    /// The current session id (0 after close). Kafka: `ZooKeeperClient.sessionId`.
    pub fn session_id(&self) -> i64 {
        self.current().map(|(c, _)| c.session_id().0).unwrap_or(0)
    }

    /// The session generation (0 for the first session, +1 per re-initialisation).
    pub fn session_generation(&self) -> u64 {
        self.session
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .generation
    }

    pub(crate) fn previous_session_id(&self) -> Option<i64> {
        *self
            .previous_session_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the current session is connected right now.
    pub fn is_connected(&self) -> bool {
        self.current()
            .is_ok_and(|(c, _)| matches!(c.state(), SessionState::SyncConnected))
    }

    /// Registers a session life-cycle handler under `name` (replacing one of the same name).
    pub fn register_state_change_handler(&self, name: &str, handler: StateChangeHandler) {
        let mut hs = self
            .state_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        hs.retain(|(n, _)| n != name);
        hs.push((name.to_string(), handler));
    }

    pub fn unregister_state_change_handler(&self, name: &str) {
        self.state_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(n, _)| n != name);
    }

    /// Kafka: `ZooKeeperClient.registerZNodeChangeHandler`. A later `exists`/`get_data` with
    /// `watch = true` arms the watch.
    pub fn register_znode_change_handler(&self, handler: Arc<dyn ZNodeChangeHandler>) {
        self.change_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handler.path(), handler);
    }

    pub fn unregister_znode_change_handler(&self, path: &str) {
        self.change_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }

    /// Kafka: `ZooKeeperClient.registerZNodeChildChangeHandler`.
    pub fn register_znode_child_change_handler(&self, handler: Arc<dyn ZNodeChildChangeHandler>) {
        let mut handlers = self
            .child_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let on_path = handlers.entry(handler.path()).or_default();
        on_path.retain(|h| h.owner() != handler.owner());
        on_path.push(handler);
    }

    pub fn unregister_znode_child_change_handler(&self, path: &str) {
        self.child_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(path);
    }

    /// Kafka: `KafkaZkClient.registerZNodeChangeHandlerAndCheckExistence` — registers and arms
    /// an exists watch; returns whether the node exists.
    pub async fn register_znode_change_handler_and_check_existence(
        &self,
        handler: Arc<dyn ZNodeChangeHandler>,
    ) -> Result<bool, ZkError> {
        let path = handler.path();
        self.register_znode_change_handler(handler);
        Ok(self.exists(&path, true).await?.is_some())
    }

    /// Whether a watch of `kind` on `path` should be armed now: a handler exists and none is
    /// armed in this session. Marks it armed for `generation`.
    pub(super) fn claim_watch(&self, path: &str, kind: WatchKind, generation: u64) -> bool {
        let has_handler = match kind {
            WatchKind::Data => self
                .change_handlers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(path),
            WatchKind::Child => self
                .child_handlers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(path),
        };
        if !has_handler {
            return false;
        }
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        match armed.get(&(path.to_string(), kind)) {
            Some(g) if *g == generation => false,
            _ => {
                armed.insert((path.to_string(), kind), generation);
                true
            }
        }
    }

    pub(super) fn release_watch(&self, path: &str, kind: WatchKind, generation: u64) {
        let mut armed = self.armed.lock().unwrap_or_else(|p| p.into_inner());
        if armed.get(&(path.to_string(), kind)) == Some(&generation) {
            armed.remove(&(path.to_string(), kind));
        }
    }

    /// Waits for a one-shot watch and dispatches it to the handler registered for its path.
    pub(super) fn spawn_watch(
        self: &Arc<Self>,
        watcher: OneshotWatcher,
        path: String,
        kind: WatchKind,
        generation: u64,
    ) {
        let zk = Arc::clone(self);
        tokio::spawn(async move {
            let event = watcher.changed().await;
            zk.release_watch(&path, kind, generation);
            if event.event_type == EventType::Session {
                // The session ended; the supervisor re-initialises and handlers re-arm.
                return;
            }
            match (kind, event.event_type) {
                (WatchKind::Child, EventType::NodeChildrenChanged) => {
                    let handlers = zk
                        .child_handlers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&path)
                        .cloned()
                        .unwrap_or_default();
                    for h in handlers {
                        h.handle_child_change();
                    }
                }
                (WatchKind::Data, t) => {
                    let h = zk
                        .change_handlers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&path)
                        .cloned();
                    if let Some(h) = h {
                        match t {
                            EventType::NodeCreated => h.handle_creation(),
                            EventType::NodeDeleted => h.handle_deletion(),
                            EventType::NodeDataChanged => h.handle_data_change(),
                            _ => {}
                        }
                    }
                }
                // A child watch also fires on deletion of the parent; nothing to do.
                _ => {}
            }
        });
    }

    /// Runs `op` on the current session, re-sending after connection loss or session
    /// re-initialisation. Kafka: `KafkaZkClient.retryRequestsUntilConnected`.
    pub async fn retry_until_connected<T, F, Fut>(
        &self,
        op_name: &'static str,
        path: &str,
        mut op: F,
    ) -> Result<T, ZkError>
    where
        F: FnMut(Client, u64) -> Fut,
        Fut: Future<Output = Result<T, zookeeper_client::Error>>,
    {
        loop {
            if *self.closing_tx.borrow() {
                return Err(ZkError::Closed);
            }
            let (client, generation) = self.current()?;
            let result = {
                let _permit = self
                    .in_flight
                    .acquire()
                    .await
                    .map_err(|_| ZkError::Closed)?;
                op(client, generation).await
            };
            match result {
                Ok(v) => return Ok(v),
                Err(e) if is_retriable(&e) => {
                    tracing::debug!("ZooKeeper {op_name} {path}: {e}; retrying once connected");
                    self.wait_until_connected().await?;
                    // The state update can trail the failed request; a short pause keeps a
                    // still-"connected" view from turning into a busy loop.
                    tokio::time::sleep(RETRY_BACKOFF).await;
                }
                Err(e) => return Err(ZkError::keeper(op_name, path, e)),
            }
        }
    }

    /// Waits until the current session is connected (or a new one replaced a dead one).
    /// Kafka: `ZooKeeperClient.waitUntilConnected`.
    pub async fn wait_until_connected(&self) -> Result<(), ZkError> {
        let mut generations = self.generation_tx.subscribe();
        let mut closing = self.closing_tx.subscribe();
        loop {
            if *closing.borrow() {
                return Err(ZkError::Closed);
            }
            let (client, _) = self.current()?;
            let mut states = client.state_watcher();
            match client.state() {
                SessionState::SyncConnected | SessionState::ConnectedReadOnly => return Ok(()),
                SessionState::Disconnected => {
                    tokio::select! {
                        _ = states.changed() => {}
                        _ = generations.changed() => {}
                        _ = closing.wait_for(|c| *c) => return Err(ZkError::Closed),
                    }
                }
                _ => {
                    tokio::select! {
                        _ = generations.changed() => {}
                        _ = closing.wait_for(|c| *c) => return Err(ZkError::Closed),
                    }
                }
            }
        }
    }

    /// Closes the session (ephemerals vanish now, not after the session timeout) and stops the
    /// supervisor. Kafka: `KafkaZkClient.close`.
    pub async fn close(&self) {
        self.closing_tx.send_replace(true);
        self.state_handlers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        let taken = self
            .session
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .client
            .take();
        let Some(client) = taken else { return };
        let mut states = client.state_watcher();
        let session_id = client.session_id().0;
        // `Client` has no explicit close: the session task sends CloseSession once the last
        // clone is dropped. In-flight requests hold clones only briefly (they fail fast now
        // that `closing` is set), so the close follows promptly.
        drop(client);
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if matches!(states.changed().await, SessionState::Closed) {
                    break;
                }
            }
        })
        .await;
        match closed {
            Ok(()) => tracing::info!("ZooKeeper session 0x{session_id:x} closed"),
            Err(_) => tracing::warn!(
                "ZooKeeper session 0x{session_id:x} close not acknowledged within 5 s"
            ),
        }
    }
}
