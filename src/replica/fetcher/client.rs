//! The follower's connection to its leader: the network layer's `BrokerConnection` (framing,
//! correlation ids) with the replica fetcher's time bounds and the leader's id in every
//! error. One request in flight at a time, as Kafka's `BlockingSend` for a replica fetcher.

use std::time::Duration;

use kafka_protocol::protocol::Request;

use crate::network::client::{BrokerConnection as NetworkConnection, ClientError as NetworkError};
use crate::security::inter_broker_client::InterBrokerClientConfig;

/// Responses above this are refused: `replica.fetch.response.max.bytes` (10 MiB default) is a
/// soft bound the leader may exceed by one batch (KIP-74), so allow a generous margin.
const MAX_RESPONSE_BYTES: usize = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("connecting to broker {broker} at {address}: {source}")]
    Connect {
        broker: i32,
        address: String,
        #[source]
        source: NetworkError,
    },
    #[error("connecting to broker {broker} at {address} timed out")]
    ConnectTimeout { broker: i32, address: String },
    #[error("request to broker {broker} failed: {source}")]
    Request {
        broker: i32,
        #[source]
        source: NetworkError,
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
    inner: NetworkConnection,
    timeout: Duration,
}

impl BrokerConnection {
    /// Connects (and authenticates, on a secured inter-broker listener) within `timeout`
    /// (`replica.socket.timeout.ms`).
    pub async fn connect(
        broker_id: i32,
        host: &str,
        port: i32,
        client_id: String,
        timeout: Duration,
        security: &InterBrokerClientConfig,
    ) -> Result<BrokerConnection, ClientError> {
        let address = crate::cluster::endpoint::format_address(host, port as u16);
        let mut inner = match tokio::time::timeout(
            timeout,
            NetworkConnection::connect_inter_broker(host, port as u16, client_id, security),
        )
        .await
        {
            Ok(Ok(c)) => c,
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
        inner.set_max_response_bytes(MAX_RESPONSE_BYTES);
        Ok(BrokerConnection {
            broker_id,
            inner,
            timeout,
        })
    }

    /// Sends one request and waits for its response, bounded by the socket timeout plus
    /// `extra_wait` (a fetch may legitimately be held by the leader for max.wait.ms).
    pub async fn request<R: Request>(
        &mut self,
        version: i16,
        body: &R,
        extra_wait: Duration,
    ) -> Result<R::Response, ClientError> {
        let broker = self.broker_id;
        let timeout = self.timeout + extra_wait;
        match tokio::time::timeout(timeout, self.inner.send(version, body)).await {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(source)) => Err(ClientError::Request { broker, source }),
            Err(_) => Err(ClientError::Timeout {
                broker,
                timeout_ms: timeout.as_millis() as u64,
            }),
        }
    }
}
