//! `SocketServerConfig`: the socket settings of `server.properties` the network layer uses.
//! The broker's `KafkaConfig` fills it; [`SocketServerConfig::default`] gives Kafka's defaults
//! (Kafka: `SocketServerConfigs`, `KafkaConfig`).

use crate::cluster::EndPoint;

/// Socket settings. Field docs name the Kafka key and default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketServerConfig {
    /// `listeners`: the endpoints to bind, each with its listener name and security protocol
    /// (from `listener.security.protocol.map`). Port 0 binds an ephemeral port; see
    /// `SocketServer::bound_port`. An empty host binds all interfaces. Only PLAINTEXT is served
    /// today; the protocol travels with each connection so SSL/SASL handshakes can be added in
    /// `connection.rs` without changing this shape.
    pub listeners: Vec<EndPoint>,
    /// `socket.request.max.bytes` (default 104857600): the largest request frame accepted;
    /// a larger size prefix closes the connection before anything is allocated.
    pub socket_request_max_bytes: i32,
    /// `max.connections` (default 2147483647): connections across all listeners. When reached,
    /// the acceptors wait for a slot (Kafka: `ConnectionQuotas.waitForConnectionSlot`).
    pub max_connections: i32,
    /// `inter.broker.listener.name` (or the listener of `security.inter.broker.protocol`):
    /// connections on it are not held to `max.connections`, so the controller can always reach
    /// the broker (Kafka: `ConnectionQuotas` exempts the inter-broker listener; Kafka also
    /// closes the least recently used client connection to make room, which is not done here).
    /// `None` exempts no listener.
    pub inter_broker_listener_name: Option<String>,
    /// `max.connections.per.ip` (default 2147483647): a connection over this limit is closed
    /// right after accept (Kafka: `TooManyConnectionsException`).
    pub max_connections_per_ip: i32,
    /// `connections.max.idle.ms` (default 600000): a connection with no request in progress and
    /// no bytes read or written for this long is closed.
    pub connections_max_idle_ms: i64,
    /// `socket.send.buffer.bytes` (default 102400; -1 = OS default): SO_SNDBUF.
    pub socket_send_buffer_bytes: i32,
    /// `socket.receive.buffer.bytes` (default 102400; -1 = OS default): SO_RCVBUF.
    pub socket_receive_buffer_bytes: i32,
    /// `socket.listen.backlog.size` (default 50): the listen(2) backlog.
    pub socket_listen_backlog_size: i32,
    /// zkafka: requests read ahead on one connection while an earlier one is handled
    /// (pipelining). Kafka reads one request per connection at a time (the channel is muted
    /// until its response is sent); reading ahead lets a client's pipelined requests wait in
    /// memory instead of the socket buffer. Their bytes together are also held to
    /// `socket.request.max.bytes`, so one connection buffers at most one maximum-size request.
    /// Default 16.
    pub max_queued_requests_per_connection: usize,
}

impl Default for SocketServerConfig {
    fn default() -> Self {
        SocketServerConfig {
            listeners: Vec::new(),
            socket_request_max_bytes: 104_857_600,
            max_connections: i32::MAX,
            inter_broker_listener_name: None,
            max_connections_per_ip: i32::MAX,
            connections_max_idle_ms: 600_000,
            socket_send_buffer_bytes: 102_400,
            socket_receive_buffer_bytes: 102_400,
            socket_listen_backlog_size: 50,
            max_queued_requests_per_connection: 16,
        }
    }
}
