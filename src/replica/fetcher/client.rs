//! A minimal request/response connection from one broker to another (the follower's side of
//! replication). One request in flight at a time, as Kafka's `BlockingSend` /
//! `NetworkClient` use for a replica fetcher.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::protocol::encode_request;
use crate::protocol::frame::response_header_version;

/// Largest response frame accepted from a leader: `replica.fetch.response.max.bytes` plus
/// headroom for headers, capped to what an int32 size can describe. A larger size prefix
/// means a corrupt stream and the connection is dropped.
const MAX_RESPONSE_FRAME: usize = i32::MAX as usize;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connecting to broker {broker} at {address}: {source}")]
    Connect {
        broker: i32,
        address: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connecting to broker {broker} at {address} timed out")]
    ConnectTimeout { broker: i32, address: String },
    #[error("I/O with broker {broker}: {source}")]
    Io {
        broker: i32,
        #[source]
        source: std::io::Error,
    },
    #[error("no response from broker {broker} within {timeout_ms} ms")]
    Timeout { broker: i32, timeout_ms: u64 },
    #[error("bad response from broker {broker}: {reason}")]
    Protocol { broker: i32, reason: String },
}

/// A connection to one broker.
#[derive(Debug)]
pub struct BrokerConnection {
    broker_id: i32,
    stream: TcpStream,
    client_id: String,
    next_correlation_id: i32,
    timeout: Duration,
}

impl BrokerConnection {
    /// Connects within `timeout` (`replica.socket.timeout.ms`).
    pub async fn connect(
        broker_id: i32,
        host: &str,
        port: i32,
        client_id: String,
        timeout: Duration,
    ) -> Result<BrokerConnection, ClientError> {
        let address = crate::cluster::endpoint::format_address(host, port as u16);
        let stream =
            match tokio::time::timeout(timeout, TcpStream::connect((host, port as u16))).await {
                Ok(Ok(s)) => s,
                Ok(Err(source)) => {
                    return Err(ClientError::Connect {
                        broker: broker_id,
                        address,
                        source,
                    })
                }
                Err(_) => {
                    return Err(ClientError::ConnectTimeout {
                        broker: broker_id,
                        address,
                    })
                }
            };
        let _ = stream.set_nodelay(true);
        Ok(BrokerConnection {
            broker_id,
            stream,
            client_id,
            next_correlation_id: 0,
            timeout,
        })
    }

    /// Sends one request and waits for its response (bounded by the socket timeout plus
    /// `extra_wait` — a fetch may legitimately be held by the leader for max.wait.ms).
    pub async fn request<Req: Encodable, Resp: Decodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &Req,
        extra_wait: Duration,
    ) -> Result<Resp, ClientError> {
        let broker = self.broker_id;
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(api_key as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_string(self.client_id.clone())));
        let frame = encode_request(&header, body).map_err(|e| ClientError::Protocol {
            broker,
            reason: e.to_string(),
        })?;
        let timeout = self.timeout + extra_wait;
        let io = async {
            self.stream.write_all(&frame).await?;
            let size = self.stream.read_i32().await?;
            if size < 0 || size as usize > MAX_RESPONSE_FRAME {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("response size {size}"),
                ));
            }
            let mut buf = BytesMut::zeroed(size as usize);
            self.stream.read_exact(&mut buf).await?;
            Ok(buf.freeze())
        };
        let mut body_bytes = match tokio::time::timeout(timeout, io).await {
            Ok(Ok(b)) => b,
            Ok(Err(source)) => return Err(ClientError::Io { broker, source }),
            Err(_) => {
                return Err(ClientError::Timeout {
                    broker,
                    timeout_ms: timeout.as_millis() as u64,
                })
            }
        };
        let protocol = |reason: String| ClientError::Protocol { broker, reason };
        let h = ResponseHeader::decode(&mut body_bytes, response_header_version(api_key, version))
            .map_err(|e| protocol(format!("response header: {e}")))?;
        if h.correlation_id != correlation_id {
            return Err(protocol(format!(
                "correlation id {} does not match request {correlation_id}",
                h.correlation_id
            )));
        }
        let resp = Resp::decode(&mut body_bytes, version)
            .map_err(|e| protocol(format!("{api_key:?} v{version}: {e}")))?;
        if body_bytes.has_remaining() {
            tracing::debug!(
                broker,
                "{} trailing bytes after {api_key:?} response",
                body_bytes.remaining()
            );
        }
        Ok(resp)
    }
}
