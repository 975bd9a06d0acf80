//! What passes between the network layer and the request handler.
//!
//! Kafka: `RequestChannel.Request` / `RequestChannel.Response` (`SendResponse`,
//! `NoOpResponse`, `CloseConnectionResponse`) and `org.apache.kafka.common.requests.RequestContext`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use crate::cluster::SecurityProtocol;
use crate::protocol::{ClientInformation, ParsedRequestHeader};
use crate::security::KafkaPrincipal;

/// A boxed, sendable future (handlers are async).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where a request came from and what its header said.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub header: ParsedRequestHeader,
    /// `local:port-remote:port-n`, unique while the server runs (Kafka: `ConnectionId`).
    pub connection_id: Arc<str>,
    pub client_address: SocketAddr,
    /// The listener the request arrived on; Metadata answers with brokers' endpoints on it.
    pub listener_name: Arc<str>,
    pub security_protocol: SecurityProtocol,
    /// What the client announced in its last valid ApiVersions v3+ request on this
    /// connection (KIP-511), "unknown" before that.
    pub client_information: Arc<ClientInformation>,
    /// Who sent the request: `User:ANONYMOUS` on PLAINTEXT, the SASL identity or the client
    /// certificate's DN otherwise (Kafka: `RequestContext.principal`).
    pub principal: Arc<KafkaPrincipal>,
}

/// One request: its context and its body (the bytes after the header, not yet decoded).
#[derive(Debug, Clone)]
pub struct Request {
    pub context: RequestContext,
    pub body: Bytes,
    pub received_at: Instant,
}

/// A response frame ready to write: size prefix, header and body, possibly in several chunks
/// (so a fetch can pass record bytes read from a segment without copying them into one buffer).
#[derive(Debug, Clone, Default)]
pub struct ResponseSend {
    chunks: Vec<Bytes>,
}

impl ResponseSend {
    /// A response already framed in one buffer (see `protocol::encode_response`).
    pub fn from_frame(frame: Bytes) -> ResponseSend {
        ResponseSend {
            chunks: vec![frame],
        }
    }

    /// A response framed across several buffers written back to back; the first must start with
    /// the size prefix covering all of them.
    pub fn from_chunks(chunks: Vec<Bytes>) -> ResponseSend {
        ResponseSend { chunks }
    }

    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    pub fn len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the handler asks the network layer to do with a request.
#[derive(Debug, Clone)]
pub enum Response {
    /// Write this response (in request order).
    Send(ResponseSend),
    /// Send nothing (a Produce with acks=0) and go on with the next request.
    NoOp,
    /// Close the connection after the responses to earlier requests are written; the reason is
    /// logged. Kafka closes the connection on a request it cannot parse.
    Close(String),
}

/// The broker side of the request channel: `KafkaApis` implements it.
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one request. Called for one request of a connection at a time, in arrival order,
    /// each in its own task: the future runs to completion even if the connection closes, and
    /// a panic in it closes only that connection.
    fn handle(&self, request: Request) -> BoxFuture<'_, Response>;
}

/// Lets tests and small tools handle requests with a closure.
impl<F> RequestHandler for F
where
    F: Fn(Request) -> Response + Send + Sync + 'static,
{
    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        let response = self(request);
        Box::pin(async move { response })
    }
}
