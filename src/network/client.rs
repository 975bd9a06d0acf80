//! `BrokerConnection`: one client connection to a broker, sending a request and reading its
//! response.
//!
//! Kafka: `NetworkClient` as the controller's `RequestSendThread` and the replica fetcher's
//! `BlockingSend` use it — one request in flight, correlation ids checked. For the controller
//! channel (LeaderAndIsr / UpdateMetadata / StopReplica), broker-to-broker calls and the CLI
//! tools. Callers bound each call with `tokio::time::timeout` (Kafka: `request.timeout.ms`,
//! `controller.socket.timeout.ms`) and reconnect after any error.
//!
//! Inter-broker connections ([`BrokerConnection::connect_inter_broker`]) run over TCP or TLS
//! and authenticate with SASL right after connecting, as the inter-broker listener requires
//! (Kafka: `ChannelBuilders.clientChannelBuilder`, `SslTransportLayer`,
//! `SaslClientAuthenticator`); see [`crate::security::inter_broker_client`].

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Request as ProtocolRequest, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::security::client_auth::{self, ClientAuthError};
use crate::security::inter_broker_client::InterBrokerClientConfig;

use crate::protocol::frame::response_header_version;
use crate::protocol::{encode_request, FrameError};

/// The largest response accepted by default: `socket.request.max.bytes`' default, far above
/// every response of the controller RPCs. Fetch callers raise it to their `fetch.max.bytes`.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 104_857_600;

/// Why a call failed. After any of these the connection should be dropped.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot connect: {0}")]
    Connect(std::io::Error),
    #[error("socket error: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error("the broker closed the connection")]
    Closed,
    #[error("response size {size} is negative or above the limit of {max} bytes")]
    BadSize { size: i32, max: usize },
    #[error("response correlation id {got} does not match request correlation id {expected}")]
    CorrelationMismatch { expected: i32, got: i32 },
    #[error("cannot decode the {api_key:?} v{version} response: {reason}")]
    Decode {
        api_key: ApiKey,
        version: i16,
        reason: String,
    },
    #[error("SSL handshake with {addr} failed: {reason}")]
    Tls { addr: String, reason: String },
    /// Kafka: `Selector` logs "Failed authentication with <peer> (<message>)".
    #[error("Failed authentication with {addr} ({reason})")]
    Authentication { addr: String, reason: String },
}

/// The byte stream under a connection: TCP, or TLS over TCP.
trait BrokerStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> BrokerStream for T {}

/// One connection to a broker. Not shared: one request at a time.
pub struct BrokerConnection {
    stream: Box<dyn BrokerStream>,
    client_id: String,
    next_correlation_id: i32,
    max_response_bytes: usize,
}

impl std::fmt::Debug for BrokerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConnection")
            .field("client_id", &self.client_id)
            .field("next_correlation_id", &self.next_correlation_id)
            .finish_non_exhaustive()
    }
}

impl BrokerConnection {
    /// Connects with TCP_NODELAY set, as Kafka clients do.
    pub async fn connect(
        addr: impl ToSocketAddrs,
        client_id: impl Into<String>,
    ) -> Result<BrokerConnection, ClientError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(ClientError::Connect)?;
        stream.set_nodelay(true).map_err(ClientError::Connect)?;
        Ok(BrokerConnection {
            stream: Box::new(stream),
            client_id: client_id.into(),
            next_correlation_id: 0,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        })
    }

    /// Connects to another broker's inter-broker listener at `host:port`: TCP, then the TLS
    /// handshake on SSL/SASL_SSL, then SASL authentication on SASL_PLAINTEXT/SASL_SSL. A failed
    /// authentication is logged here as an error (Kafka's `NetworkClient` logs it at ERROR) and
    /// returned; callers retry with their own backoff.
    pub async fn connect_inter_broker(
        host: &str,
        port: u16,
        client_id: impl Into<String>,
        security: &InterBrokerClientConfig,
    ) -> Result<BrokerConnection, ClientError> {
        let addr = crate::cluster::endpoint::format_address(host, port);
        let mut conn = BrokerConnection::connect((host, port), client_id).await?;
        if let Some(tls) = &security.tls {
            let server_name =
                rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|e| {
                    ClientError::Tls {
                        addr: addr.clone(),
                        reason: format!("invalid host name {host}: {e}"),
                    }
                })?;
            let tcp: Box<dyn BrokerStream> = conn.stream;
            let tls_stream = tokio_rustls::TlsConnector::from(tls.config.clone())
                .connect(server_name, tcp)
                .await
                .map_err(|e| {
                    let reason = e.to_string();
                    tracing::error!("SSL handshake with {addr} failed: {reason}");
                    ClientError::Tls {
                        addr: addr.clone(),
                        reason,
                    }
                })?;
            conn.stream = Box::new(tls_stream);
        }
        if let Some(credentials) = &security.sasl {
            match client_auth::authenticate(&mut conn, credentials).await {
                Ok(()) => {}
                Err(ClientAuthError::Network(e)) => return Err(e),
                Err(e) => {
                    let reason = e.to_string();
                    tracing::error!("Failed authentication with {addr} ({reason})");
                    return Err(ClientError::Authentication { addr, reason });
                }
            }
        }
        Ok(conn)
    }

    pub fn set_max_response_bytes(&mut self, max: usize) {
        self.max_response_bytes = max;
    }

    /// Sends `body` at `version` and decodes the response.
    pub async fn send<R: ProtocolRequest>(
        &mut self,
        version: i16,
        body: &R,
    ) -> Result<R::Response, ClientError> {
        let api_key = ApiKey::try_from(R::KEY).map_err(|()| ClientError::Decode {
            api_key: ApiKey::ApiVersions,
            version,
            reason: format!("unknown API key {}", R::KEY),
        })?;
        let mut body_bytes = self.send_raw(api_key, version, body).await?;
        R::Response::decode(&mut body_bytes, version).map_err(|e| ClientError::Decode {
            api_key,
            version,
            reason: e.to_string(),
        })
    }

    /// Sends a request and returns the response body bytes (after the response header).
    pub async fn send_raw<B: kafka_protocol::protocol::Encodable>(
        &mut self,
        api_key: ApiKey,
        version: i16,
        body: &B,
    ) -> Result<Bytes, ClientError> {
        let correlation_id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(api_key as i16)
            .with_request_api_version(version)
            .with_correlation_id(correlation_id)
            .with_client_id(Some(StrBytes::from_string(self.client_id.clone())));
        let frame = encode_request(&header, body)?;
        self.stream.write_all(&frame).await?;

        let size = match self.stream.read_i32().await {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(ClientError::Closed)
            }
            Err(e) => return Err(e.into()),
        };
        if size < 0 || size as usize > self.max_response_bytes {
            return Err(ClientError::BadSize {
                size,
                max: self.max_response_bytes,
            });
        }
        let mut buf = vec![0u8; size as usize];
        match self.stream.read_exact(&mut buf).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(ClientError::Closed)
            }
            Err(e) => return Err(e.into()),
        }
        let mut bytes = Bytes::from(buf);
        let header = ResponseHeader::decode(&mut bytes, response_header_version(api_key, version))
            .map_err(|e| ClientError::Decode {
                api_key,
                version,
                reason: format!("response header: {e}"),
            })?;
        if header.correlation_id != correlation_id {
            return Err(ClientError::CorrelationMismatch {
                expected: correlation_id,
                got: header.correlation_id,
            });
        }
        Ok(bytes)
    }
}
