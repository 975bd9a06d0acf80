//! `ControllerChannelManager`: the controller's connections to every live broker.
//!
//! One queue and one sender task per broker (Kafka's `RequestSendThread`): requests to a broker
//! go out one at a time, in the order the controller queued them, each retried after a failed
//! send with a 100 ms backoff until the broker is removed — a control request must not be lost
//! because a socket broke. Responses are handed to the callback queued with the request; the
//! callback runs on the sender task and must only enqueue a controller event.
//!
//! Channels: `ControllerChannelManager` (owned by the controller event loop) sends
//! [`QueueItem`]s; each broker's sender task receives them. Removing a broker aborts its task.
//!
//! Kafka: `kafka.controller.ControllerChannelManager` (`addNewBroker`, `RequestSendThread.doWork`).
//! Versions are Kafka 3.9's for IBP ≥ 3.4-IV0 (`ControllerChannelManager.sendRequestsToBrokers`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::{
    LeaderAndIsrRequest, LeaderAndIsrResponse, StopReplicaRequest, StopReplicaResponse,
    UpdateMetadataRequest, UpdateMetadataResponse,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::network::client::{BrokerConnection, ClientError};
use crate::security::inter_broker_client::InterBrokerClientConfig;

/// LeaderAndIsr version for IBP 3.9 (≥ 3.4-IV0).
pub const LEADER_AND_ISR_VERSION: i16 = 7;
/// UpdateMetadata version for IBP 3.9 (≥ 3.4-IV0).
pub const UPDATE_METADATA_VERSION: i16 = 8;
/// StopReplica version for IBP 3.9 (≥ 3.4-IV0).
pub const STOP_REPLICA_VERSION: i16 = 4;
/// Backoff between failed sends (Kafka: `RequestSendThread`, `retryBackoffMs` fixed at 100).
const SEND_RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// Upper bound for one connect + request + response round trip before it is retried.
/// Kafka: `controller.socket.timeout.ms` (default = `request.timeout.ms`, 30000).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A request from the controller to a broker.
#[derive(Debug, Clone)]
pub enum ControlRequest {
    LeaderAndIsr(LeaderAndIsrRequest),
    UpdateMetadata(UpdateMetadataRequest),
    StopReplica(StopReplicaRequest),
}

/// The broker's answer to a [`ControlRequest`].
#[derive(Debug, Clone)]
pub enum ControlResponse {
    LeaderAndIsr(LeaderAndIsrResponse),
    UpdateMetadata(UpdateMetadataResponse),
    StopReplica(StopReplicaResponse),
}

impl ControlResponse {
    /// The top-level error code of the response.
    pub fn error_code(&self) -> i16 {
        match self {
            ControlResponse::LeaderAndIsr(r) => r.error_code,
            ControlResponse::UpdateMetadata(r) => r.error_code,
            ControlResponse::StopReplica(r) => r.error_code,
        }
    }
}

/// Runs on the broker's sender task with `(broker id, response)`; it should only enqueue a
/// controller event (Kafka's callbacks `put` events on the controller queue).
pub type ResponseCallback = Box<dyn FnOnce(i32, ControlResponse) + Send>;

/// Receives every LeaderAndIsr response that was queued without its own callback, with the
/// answering broker's id. Kafka attaches `LeaderAndIsrResponseReceived` to every LeaderAndIsr it
/// sends (`ControllerBrokerRequestBatch.sendLeaderAndIsrRequest`): that is how the controller
/// learns of replicas in failed log dirs. Like [`ResponseCallback`], it should only enqueue.
pub type LeaderAndIsrResponseHandler = Arc<dyn Fn(i32, LeaderAndIsrResponse) + Send + Sync>;

struct QueueItem {
    request: ControlRequest,
    callback: Option<ResponseCallback>,
}

struct BrokerChannel {
    addr: String,
    /// Unbounded like Kafka's `LinkedBlockingQueue`: the controller event loop must never block
    /// on a slow broker; the queue only holds the controller's own batches, which are bounded by
    /// the number of state changes it makes.
    queue: mpsc::UnboundedSender<QueueItem>,
    task: JoinHandle<()>,
}

/// The controller's per-broker request queues. Owned by the controller event loop.
pub struct ControllerChannelManager {
    controller_id: i32,
    brokers: HashMap<i32, BrokerChannel>,
    /// See [`LeaderAndIsrResponseHandler`]; given to each broker's sender when it starts.
    leader_and_isr_response_handler: Option<LeaderAndIsrResponseHandler>,
    /// The inter-broker listener's client security (Kafka: the controller's channel builder
    /// for `control.plane.listener.name` or the inter-broker listener).
    security: Arc<InterBrokerClientConfig>,
}

impl ControllerChannelManager {
    pub fn new(controller_id: i32) -> ControllerChannelManager {
        ControllerChannelManager {
            controller_id,
            brokers: HashMap::new(),
            leader_and_isr_response_handler: None,
            security: Arc::default(),
        }
    }

    /// Connects to brokers with `security` (TLS, SASL). Set it before adding brokers.
    pub fn set_inter_broker_client(&mut self, security: Arc<InterBrokerClientConfig>) {
        self.security = security;
    }

    /// Hands LeaderAndIsr responses without a callback of their own to `handler`. Set it before
    /// adding brokers: senders started earlier keep what they were given.
    pub fn set_leader_and_isr_response_handler(&mut self, handler: LeaderAndIsrResponseHandler) {
        self.leader_and_isr_response_handler = Some(handler);
    }

    /// Starts a queue and sender task for `broker_id` at `addr` (`host:port` of its
    /// inter-broker listener). Re-adding a broker whose address changed restarts its channel.
    pub fn add_broker(&mut self, broker_id: i32, addr: String) {
        if let Some(existing) = self.brokers.get(&broker_id) {
            if existing.addr == addr {
                return;
            }
            self.remove_broker(broker_id);
        }
        let (queue, rx) = mpsc::unbounded_channel();
        let client_id = format!("controller-{}-to-broker-{broker_id}", self.controller_id);
        let task = tokio::spawn(request_send_loop(
            broker_id,
            addr.clone(),
            client_id,
            rx,
            self.leader_and_isr_response_handler.clone(),
            self.security.clone(),
        ));
        self.brokers
            .insert(broker_id, BrokerChannel { addr, queue, task });
    }

    /// Drops `broker_id`'s queue and stops its sender; queued requests are discarded (Kafka:
    /// `removeBroker`).
    pub fn remove_broker(&mut self, broker_id: i32) {
        if let Some(channel) = self.brokers.remove(&broker_id) {
            channel.task.abort();
        }
    }

    pub fn has_broker(&self, broker_id: i32) -> bool {
        self.brokers.contains_key(&broker_id)
    }

    /// Queues `request` for `broker_id`. A broker without a channel (it died meanwhile) is
    /// skipped with a log line, as Kafka's `sendRequest` does.
    pub fn send(
        &self,
        broker_id: i32,
        request: ControlRequest,
        callback: Option<ResponseCallback>,
    ) {
        match self.brokers.get(&broker_id) {
            Some(channel) => {
                if channel.queue.send(QueueItem { request, callback }).is_err() {
                    tracing::warn!(broker_id, "controller channel closed; request dropped");
                }
            }
            None => tracing::warn!(
                broker_id,
                "not sending a control request to broker {broker_id}: it is not live"
            ),
        }
    }

    /// Stops every sender (controller resignation).
    pub fn shutdown(&mut self) {
        for (_, channel) in self.brokers.drain() {
            channel.task.abort();
        }
    }
}

impl Drop for ControllerChannelManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// One broker's sender: connect, send the head of the queue, retry it until it is answered.
async fn request_send_loop(
    broker_id: i32,
    addr: String,
    client_id: String,
    mut rx: mpsc::UnboundedReceiver<QueueItem>,
    leader_and_isr_response_handler: Option<LeaderAndIsrResponseHandler>,
    security: Arc<InterBrokerClientConfig>,
) {
    let (host, port) = split_address(&addr);
    let mut connection: Option<BrokerConnection> = None;
    while let Some(item) = rx.recv().await {
        loop {
            let conn = match &mut connection {
                Some(c) => c,
                None => {
                    let connect =
                        BrokerConnection::connect_inter_broker(host, port, &client_id, &security);
                    match tokio::time::timeout(REQUEST_TIMEOUT, connect).await {
                        Ok(Ok(c)) => connection.insert(c),
                        Ok(Err(e)) => {
                            tracing::debug!(broker_id, "controller connection failed: {e}");
                            tokio::time::sleep(SEND_RETRY_BACKOFF).await;
                            continue;
                        }
                        Err(_) => {
                            tracing::debug!(broker_id, "controller connection timed out");
                            continue;
                        }
                    }
                }
            };
            match tokio::time::timeout(REQUEST_TIMEOUT, send_one(conn, &item.request)).await {
                Ok(Ok(response)) => {
                    match (item.callback, response, &leader_and_isr_response_handler) {
                        (Some(callback), response, _) => callback(broker_id, response),
                        (None, ControlResponse::LeaderAndIsr(r), Some(handler)) => {
                            handler(broker_id, r)
                        }
                        _ => {}
                    }
                    break;
                }
                Ok(Err(e)) => {
                    tracing::warn!(broker_id, "control request to {addr} failed, retrying: {e}");
                }
                Err(_) => {
                    tracing::warn!(broker_id, "control request to {addr} timed out, retrying")
                }
            }
            connection = None;
            tokio::time::sleep(SEND_RETRY_BACKOFF).await;
        }
    }
}

/// `host:port` or `[v6]:port` (as `format_address` writes them) → host and port; a missing
/// or bad port gives port 0, whose connect fails and is retried like any other failure.
fn split_address(addr: &str) -> (&str, u16) {
    match addr.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[').trim_end_matches(']'),
            port.parse().unwrap_or(0),
        ),
        None => (addr, 0),
    }
}

async fn send_one(
    conn: &mut BrokerConnection,
    request: &ControlRequest,
) -> Result<ControlResponse, ClientError> {
    Ok(match request {
        ControlRequest::LeaderAndIsr(r) => {
            ControlResponse::LeaderAndIsr(conn.send(LEADER_AND_ISR_VERSION, r).await?)
        }
        ControlRequest::UpdateMetadata(r) => {
            ControlResponse::UpdateMetadata(conn.send(UPDATE_METADATA_VERSION, r).await?)
        }
        ControlRequest::StopReplica(r) => {
            ControlResponse::StopReplica(conn.send(STOP_REPLICA_VERSION, r).await?)
        }
    })
}
