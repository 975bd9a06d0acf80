//! `SocketServer`: binds every listener, accepts connections within the connection limits,
//! and runs one task per connection.
//!
//! Kafka: `kafka.network.SocketServer` — startup binds the acceptors (so the real ports are
//! known before the broker registers itself in ZooKeeper), and `enableRequestProcessing`
//! starts serving once the rest of the broker is ready. Until then connections wait in the
//! listen backlog.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::config::SocketServerConfig;
use super::connection::{run_connection, ConnectionSettings};
use super::connection_quotas::ConnectionQuotas;
use super::request_channel::RequestHandler;
use crate::cluster::endpoint::format_address;
use crate::cluster::{EndPoint, SecurityProtocol};
use crate::security::config::ListenerSecurity;

/// Why the socket server could not start.
#[derive(Debug, thiserror::Error)]
pub enum SocketServerError {
    #[error("listener {listener}: cannot resolve host '{host}': {source}")]
    Resolve {
        listener: String,
        host: String,
        source: std::io::Error,
    },
    #[error("listener {listener}: cannot bind to {address}: {source}")]
    Bind {
        listener: String,
        address: String,
        source: std::io::Error,
    },
    #[error(
        "listener {listener} uses {protocol} but has no TLS/SASL settings (see security::config)"
    )]
    UnsupportedSecurityProtocol {
        listener: String,
        protocol: SecurityProtocol,
    },
    #[error("request processing was already enabled")]
    AlreadyStarted,
}

struct BoundListener {
    /// The configured endpoint with the port actually bound.
    endpoint: EndPoint,
    /// Taken by `enable_request_processing`.
    listener: Mutex<Option<TcpListener>>,
}

/// The broker's network front end. See the module docs.
pub struct SocketServer {
    config: SocketServerConfig,
    listeners: Vec<BoundListener>,
    quotas: Arc<ConnectionQuotas>,
    /// Sends `true` once on shutdown; acceptors and connections watch it.
    shutdown_tx: watch::Sender<bool>,
    acceptors: Mutex<Vec<JoinHandle<()>>>,
    /// Kafka: metric `expired-connections-killed-count` (KIP-368).
    expired_connections_killed: Arc<AtomicU64>,
}

impl SocketServer {
    /// Binds every listener in `config.listeners` (Kafka: `SocketServer.startup` creating the
    /// acceptors). No request is read until [`SocketServer::enable_request_processing`].
    pub async fn bind(config: SocketServerConfig) -> Result<SocketServer, SocketServerError> {
        let mut listeners = Vec::with_capacity(config.listeners.len());
        for endpoint in &config.listeners {
            let listener = bind_listener(endpoint, &config).await?;
            let port = listener
                .local_addr()
                .map_err(|source| SocketServerError::Bind {
                    listener: endpoint.listener_name.clone(),
                    address: format_address(&endpoint.host, endpoint.port),
                    source,
                })?
                .port();
            tracing::info!(
                "listener {} bound to {}",
                endpoint.listener_name,
                format_address(&endpoint.host, port)
            );
            listeners.push(BoundListener {
                endpoint: EndPoint {
                    port,
                    ..endpoint.clone()
                },
                listener: Mutex::new(Some(listener)),
            });
        }
        let quotas = ConnectionQuotas::new(config.max_connections, config.max_connections_per_ip);
        let (shutdown_tx, _) = watch::channel(false);
        Ok(SocketServer {
            config,
            listeners,
            quotas,
            shutdown_tx,
            acceptors: Mutex::new(Vec::new()),
            expired_connections_killed: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The port bound for `listener_name` (useful when it was configured as 0).
    /// Kafka: `SocketServer.boundPort`.
    pub fn bound_port(&self, listener_name: &str) -> Option<u16> {
        self.listeners
            .iter()
            .find(|l| l.endpoint.listener_name == listener_name)
            .map(|l| l.endpoint.port)
    }

    /// The configured listeners with their bound ports.
    pub fn bound_endpoints(&self) -> Vec<EndPoint> {
        self.listeners.iter().map(|l| l.endpoint.clone()).collect()
    }

    /// Connections open now across all listeners.
    pub fn open_connections(&self) -> usize {
        self.quotas.open_connections()
    }

    /// Connections closed because their SASL session expired without re-authentication
    /// (Kafka: `expired-connections-killed-count`).
    pub fn expired_connections_killed_count(&self) -> u64 {
        self.expired_connections_killed.load(Ordering::Relaxed)
    }

    /// Starts accepting and serving connections, handing requests to `handler`.
    /// Kafka: `SocketServer.enableRequestProcessing`.
    pub fn enable_request_processing(
        &self,
        handler: Arc<dyn RequestHandler>,
    ) -> Result<(), SocketServerError> {
        self.enable_request_processing_with_security(handler, &HashMap::new())
    }

    /// Like [`SocketServer::enable_request_processing`], with the TLS/SASL settings of each
    /// non-PLAINTEXT listener (by listener name). A SSL/SASL listener without settings is an
    /// error rather than a silently unprotected port.
    pub fn enable_request_processing_with_security(
        &self,
        handler: Arc<dyn RequestHandler>,
        security: &HashMap<String, ListenerSecurity>,
    ) -> Result<(), SocketServerError> {
        for bound in &self.listeners {
            let e = &bound.endpoint;
            if e.security_protocol != SecurityProtocol::Plaintext
                && !security.contains_key(&e.listener_name)
            {
                return Err(SocketServerError::UnsupportedSecurityProtocol {
                    listener: e.listener_name.clone(),
                    protocol: e.security_protocol,
                });
            }
        }
        let mut acceptors = self.acceptors.lock().unwrap_or_else(|e| e.into_inner());
        let mut started = false;
        for bound in &self.listeners {
            let taken = bound
                .listener
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            let Some(listener) = taken else {
                continue;
            };
            started = true;
            let mut settings = ConnectionSettings::new(
                &self.config,
                bound.endpoint.listener_name.clone(),
                bound.endpoint.security_protocol,
            );
            if let Some(sec) = security.get(&bound.endpoint.listener_name) {
                settings.security = sec.clone();
            }
            settings.expired_connections_killed = self.expired_connections_killed.clone();
            let settings = Arc::new(settings);
            let exempt = self.config.inter_broker_listener_name.as_deref()
                == Some(bound.endpoint.listener_name.as_str());
            acceptors.push(tokio::spawn(accept_loop(
                listener,
                exempt,
                settings,
                self.quotas.clone(),
                handler.clone(),
                self.shutdown_tx.subscribe(),
            )));
        }
        if !started && !self.listeners.is_empty() {
            return Err(SocketServerError::AlreadyStarted);
        }
        Ok(())
    }

    /// Stops accepting and closes every connection. Kafka: `SocketServer.shutdown`.
    pub async fn shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
        let acceptors: Vec<JoinHandle<()>> = {
            let mut a = self.acceptors.lock().unwrap_or_else(|e| e.into_inner());
            a.drain(..).collect()
        };
        for a in acceptors {
            let _ = a.await;
        }
    }
}

impl Drop for SocketServer {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

async fn bind_listener(
    endpoint: &EndPoint,
    config: &SocketServerConfig,
) -> Result<TcpListener, SocketServerError> {
    let listener_name = endpoint.listener_name.clone();
    // An empty host binds every interface (Kafka: `new InetSocketAddress(port)`).
    let host = if endpoint.host.is_empty() {
        "0.0.0.0"
    } else {
        endpoint.host.as_str()
    };
    let addr: SocketAddr = tokio::net::lookup_host((host, endpoint.port))
        .await
        .map_err(|source| SocketServerError::Resolve {
            listener: listener_name.clone(),
            host: host.to_string(),
            source,
        })?
        .next()
        .ok_or_else(|| SocketServerError::Resolve {
            listener: listener_name.clone(),
            host: host.to_string(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })?;
    let bind_err = |source| SocketServerError::Bind {
        listener: listener_name.clone(),
        address: addr.to_string(),
        source,
    };
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(bind_err)?;
    socket.set_reuseaddr(true).map_err(bind_err)?;
    // Accepted sockets inherit the listening socket's buffer sizes on Linux; Kafka sets
    // SO_RCVBUF on the server socket and SO_SNDBUF/SO_RCVBUF on each accepted one.
    if config.socket_receive_buffer_bytes > 0 {
        socket
            .set_recv_buffer_size(config.socket_receive_buffer_bytes as u32)
            .map_err(bind_err)?;
    }
    if config.socket_send_buffer_bytes > 0 {
        socket
            .set_send_buffer_size(config.socket_send_buffer_bytes as u32)
            .map_err(bind_err)?;
    }
    socket.bind(addr).map_err(bind_err)?;
    let backlog = u32::try_from(config.socket_listen_backlog_size.max(1)).unwrap_or(50);
    socket.listen(backlog).map_err(bind_err)
}

/// Kafka: `Acceptor.run` / `acceptNewConnections`.
async fn accept_loop(
    listener: TcpListener,
    exempt_from_max_connections: bool,
    settings: Arc<ConnectionSettings>,
    quotas: Arc<ConnectionQuotas>,
    handler: Arc<dyn RequestHandler>,
    mut shutdown: watch::Receiver<bool>,
) {
    static CONNECTION_INDEX: AtomicU64 = AtomicU64::new(0);
    loop {
        let permit = if exempt_from_max_connections {
            None
        } else {
            tokio::select! {
                p = quotas.wait_for_connection_slot() => Some(p),
                _ = shutdown.changed() => return,
            }
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Kafka logs and keeps accepting (e.g. EMFILE); back off briefly so a
                    // persistent error does not spin.
                    tracing::warn!("listener {}: accept failed: {e}", settings.listener_name);
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let slot = match quotas.register(permit, remote.ip()) {
            Ok(s) => s,
            Err(e) => {
                tracing::info!("rejected connection from {remote}: {e}");
                drop(stream);
                continue;
            }
        };
        let local = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let index = CONNECTION_INDEX.fetch_add(1, Ordering::Relaxed);
        let connection_id: Arc<str> = format!("{local}-{remote}-{index}").into();
        let settings = settings.clone();
        let handler = handler.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                _ = run_connection(stream, connection_id, remote, settings, handler) => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}
