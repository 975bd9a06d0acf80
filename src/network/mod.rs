//! `SocketServer`: listeners, connections, size-prefixed framing, per-connection ordering.
//!
//! Kafka: `kafka.network.SocketServer` (Acceptor, Processor), `RequestChannel`,
//! `ConnectionQuotas`, `org.apache.kafka.common.network.NetworkReceive`.
//!
//! Request path: an acceptor task per listener takes a connection slot
//! ([`connection_quotas`]), then one task per connection reads frames (the size is checked
//! against `socket.request.max.bytes` before the body is allocated), parses the request header,
//! checks the API version, and hands a [`Request`] to the [`RequestHandler`] (the broker's
//! `KafkaApis`). Requests of one connection are handled one at a time in arrival order while
//! later ones are already read (pipelining), and responses are written in the same order.

pub mod client;
pub mod config;
pub mod connection;
pub mod connection_quotas;
pub mod request_channel;
mod sasl_session;
pub mod socket_server;

pub use client::{BrokerConnection, ClientError};
pub use config::SocketServerConfig;
pub use request_channel::{
    BoxFuture, Request, RequestContext, RequestHandler, Response, ResponseSend,
};
pub use socket_server::{SocketServer, SocketServerError};
