//! The broker → controller RPCs of the data path: AlterPartition (ISR changes proposed by
//! partition leaders) and AllocateProducerIds (producer id blocks). The controller is the one
//! named by the last UpdateMetadata (`MetadataCache::controller_id`), reached on the
//! inter-broker listener. The controller side (validation, the conditional ZK writes) is the
//! controller's work; these are the broker's clients.
//! Kafka: `AlterPartitionManager.scala` (`DefaultAlterPartitionManager`),
//! `ProducerIdManager.scala` (`RPCProducerIdManager.sendRequest`),
//! `BrokerToControllerChannelManager.scala`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::alter_partition_request::{BrokerState, PartitionData, TopicData};
use kafka_protocol::messages::{
    AllocateProducerIdsRequest, AlterPartitionRequest, BrokerId, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::alter_partition::{
    AlterPartitionCallback, AlterPartitionItem, AlterPartitionSender, CommittedIsr,
};
use super::producer_id_manager::{ProducerIdBlockSource, ProducerIdsBlock};
use crate::apis::BrokerEpoch;
use crate::cluster::TopicPartition;
use crate::metadata_cache::MetadataCache;
use crate::network::client::BrokerConnection;
use crate::network::BoxFuture;
use crate::protocol::errors::ResponseError;

/// Pause before retrying after the controller is unknown, unreachable or moved. Kafka's
/// broker-to-controller channel retries with `retry.backoff.ms`-like backoff (100 ms).
const RETRY_BACKOFF: Duration = Duration::from_millis(100);
/// Bound on one RPC (Kafka: `controller.socket.timeout.ms` / `request.timeout.ms`, 30000).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the controller is and who we are.
#[derive(Clone)]
pub struct ControllerTarget {
    pub broker_id: i32,
    pub broker_epoch: Arc<BrokerEpoch>,
    pub metadata_cache: Arc<MetadataCache>,
    /// `inter.broker.listener.name` (or `control.plane.listener.name`).
    pub listener_name: String,
    /// The inter-broker listener's client security (TLS, SASL).
    pub security: Arc<crate::security::inter_broker_client::InterBrokerClientConfig>,
}

impl std::fmt::Debug for ControllerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControllerTarget")
            .field("broker_id", &self.broker_id)
            .field("listener_name", &self.listener_name)
            .finish_non_exhaustive()
    }
}

impl ControllerTarget {
    pub(crate) async fn connect(&self) -> Option<BrokerConnection> {
        let id = self.metadata_cache.controller_id()?;
        let node = self
            .metadata_cache
            .alive_broker_node(id, &self.listener_name)?;
        let client_id = format!("broker-{}-to-controller", self.broker_id);
        match tokio::time::timeout(
            REQUEST_TIMEOUT,
            BrokerConnection::connect_inter_broker(
                node.host.as_str(),
                node.port as u16,
                client_id,
                &self.security,
            ),
        )
        .await
        {
            Ok(Ok(c)) => Some(c),
            Ok(Err(e)) => {
                tracing::warn!(controller = id, error = %e, "cannot reach the controller");
                None
            }
            Err(_) => None,
        }
    }
}

/// Sends AlterPartition to the controller: proposals are queued, batched into one request
/// (one request in flight), and retried until the controller answers. A partition has at
/// most one proposal in flight (the `Partition` only proposes when no change is pending), so
/// the queue holds at most one item per partition this broker leads.
/// Kafka: `DefaultAlterPartitionManager` (`unsentIsrUpdates`, `sendRequest`, `handleAlterPartitionResponse`).
#[derive(Debug)]
pub struct ControllerAlterPartitionSender {
    queue: mpsc::UnboundedSender<(AlterPartitionItem, AlterPartitionCallback)>,
}

impl ControllerAlterPartitionSender {
    /// Starts the sender task on the current runtime.
    pub fn start(target: ControllerTarget) -> Arc<ControllerAlterPartitionSender> {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(alter_partition_loop(target, rx));
        Arc::new(ControllerAlterPartitionSender { queue: tx })
    }
}

impl AlterPartitionSender for ControllerAlterPartitionSender {
    fn submit(&self, item: AlterPartitionItem, callback: AlterPartitionCallback) {
        if let Err(mpsc::error::SendError((_, cb))) = self.queue.send((item, callback)) {
            // The sender task is gone (shutdown): the change was not attempted.
            cb(Err(ResponseError::OperationNotAttempted.code()));
        }
    }
}

type Pending = BTreeMap<TopicPartition, (AlterPartitionItem, AlterPartitionCallback)>;

async fn alter_partition_loop(
    target: ControllerTarget,
    mut rx: mpsc::UnboundedReceiver<(AlterPartitionItem, AlterPartitionCallback)>,
) {
    let mut pending: Pending = BTreeMap::new();
    let mut conn: Option<BrokerConnection> = None;
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some((item, cb)) => enqueue(&mut pending, item, cb),
                None => return,
            }
        }
        while let Ok((item, cb)) = rx.try_recv() {
            enqueue(&mut pending, item, cb);
        }
        if conn.is_none() {
            conn = target.connect().await;
            if conn.is_none() {
                tokio::time::sleep(RETRY_BACKOFF).await;
                continue;
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let (version, request) = build_alter_partition(&target, &pending);
        match tokio::time::timeout(REQUEST_TIMEOUT, c.send(version, &request)).await {
            Ok(Ok(resp)) => {
                if resp.error_code != 0 {
                    // NOT_CONTROLLER, STALE_BROKER_EPOCH ...: retry against the (new) controller.
                    tracing::info!(code = resp.error_code, "AlterPartition refused; retrying");
                    conn = None;
                    tokio::time::sleep(RETRY_BACKOFF).await;
                    continue;
                }
                for t in resp.topics {
                    for p in t.partitions {
                        let key = pending
                            .keys()
                            .find(|tp| {
                                tp.partition == p.partition_index
                                    && (if version >= 2 {
                                        pending[*tp].0.topic_id == *t.topic_id.as_bytes()
                                    } else {
                                        tp.topic == t.topic_name.0.as_str()
                                    })
                            })
                            .cloned();
                        let Some(key) = key else { continue };
                        let Some((_, cb)) = pending.remove(&key) else {
                            continue;
                        };
                        if p.error_code == 0 {
                            cb(Ok(CommittedIsr {
                                leader: p.leader_id.0,
                                leader_epoch: p.leader_epoch,
                                isr: p.isr.iter().map(|b| b.0).collect(),
                                partition_epoch: p.partition_epoch,
                            }));
                        } else {
                            cb(Err(p.error_code));
                        }
                    }
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "AlterPartition failed; reconnecting");
                conn = None;
                tokio::time::sleep(RETRY_BACKOFF).await;
            }
            Err(_) => {
                tracing::warn!("AlterPartition timed out; reconnecting");
                conn = None;
            }
        }
    }
}

/// A second proposal for a partition already queued replaces nothing: Kafka answers it with
/// OPERATION_NOT_ATTEMPTED (`DefaultAlterPartitionManager.submit`).
fn enqueue(pending: &mut Pending, item: AlterPartitionItem, cb: AlterPartitionCallback) {
    if pending.contains_key(&item.topic_partition) {
        cb(Err(ResponseError::OperationNotAttempted.code()));
        return;
    }
    pending.insert(item.topic_partition.clone(), (item, cb));
}

/// AlterPartition v3 (IBP ≥ 3.5: topic ids and broker epochs in the new ISR), or v1 (names)
/// when a topic has no id. Kafka: `DefaultAlterPartitionManager.buildRequest`.
fn build_alter_partition(
    target: &ControllerTarget,
    pending: &Pending,
) -> (i16, AlterPartitionRequest) {
    let version = if pending.values().all(|(i, _)| i.topic_id != [0; 16]) {
        3
    } else {
        1
    };
    let mut topics: Vec<TopicData> = Vec::new();
    for (tp, (item, _)) in pending {
        let mut pd = PartitionData::default()
            .with_partition_index(tp.partition)
            .with_leader_epoch(item.leader_epoch)
            .with_leader_recovery_state(item.leader_recovery_state)
            .with_partition_epoch(item.partition_epoch);
        if version >= 3 {
            pd.new_isr_with_epochs = item
                .new_isr
                .iter()
                .map(|&b| {
                    BrokerState::default()
                        .with_broker_id(BrokerId(b))
                        .with_broker_epoch(-1)
                })
                .collect();
        } else {
            pd.new_isr = item.new_isr.iter().map(|&b| BrokerId(b)).collect();
        }
        let same = topics.last_mut().filter(|t| {
            if version >= 2 {
                t.topic_id == Uuid::from_bytes(item.topic_id)
            } else {
                t.topic_name.0.as_str() == tp.topic
            }
        });
        match same {
            Some(t) => t.partitions.push(pd),
            None => {
                let mut t = TopicData::default().with_partitions(vec![pd]);
                if version >= 2 {
                    t.topic_id = Uuid::from_bytes(item.topic_id);
                } else {
                    t.topic_name = TopicName(StrBytes::from_string(tp.topic.clone()));
                }
                topics.push(t);
            }
        }
    }
    let req = AlterPartitionRequest::default()
        .with_broker_id(BrokerId(target.broker_id))
        .with_broker_epoch(target.broker_epoch.get())
        .with_topics(topics);
    (version, req)
}

/// Producer id blocks from the controller with AllocateProducerIds v0 (KIP-730).
/// Kafka: `RPCProducerIdManager.sendRequest` / `handleAllocateProducerIdsResponse`.
#[derive(Debug)]
pub struct ControllerProducerIdBlockSource {
    target: ControllerTarget,
}

impl ControllerProducerIdBlockSource {
    pub fn new(target: ControllerTarget) -> ControllerProducerIdBlockSource {
        ControllerProducerIdBlockSource { target }
    }
}

impl ProducerIdBlockSource for ControllerProducerIdBlockSource {
    fn allocate_block(&self) -> BoxFuture<'static, Result<ProducerIdsBlock, i16>> {
        let target = self.target.clone();
        Box::pin(async move {
            let Some(mut c) = target.connect().await else {
                return Err(ResponseError::NotController.code());
            };
            let req = AllocateProducerIdsRequest::default()
                .with_broker_id(BrokerId(target.broker_id))
                .with_broker_epoch(target.broker_epoch.get());
            match tokio::time::timeout(REQUEST_TIMEOUT, c.send(0, &req)).await {
                Ok(Ok(r)) if r.error_code == 0 => Ok(ProducerIdsBlock {
                    first_producer_id: r.producer_id_start.0,
                    size: i64::from(r.producer_id_len),
                }),
                Ok(Ok(r)) => Err(r.error_code),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "AllocateProducerIds failed");
                    Err(ResponseError::NetworkException.code())
                }
                Err(_) => Err(ResponseError::RequestTimedOut.code()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn item(topic: &str, p: i32, id: [u8; 16]) -> AlterPartitionItem {
        AlterPartitionItem {
            topic_partition: TopicPartition::new(topic, p),
            topic_id: id,
            leader_epoch: 4,
            new_isr: vec![1, 3],
            partition_epoch: 9,
            leader_recovery_state: 0,
        }
    }

    /// Kafka `DefaultAlterPartitionManager.buildRequest`: one request groups partitions by
    /// topic; v3 carries topic ids and the new ISR as (broker id, broker epoch) pairs.
    #[test]
    fn alter_partition_request_shape() {
        let target = ControllerTarget {
            broker_id: 1,
            broker_epoch: Arc::new(BrokerEpoch::default()),
            metadata_cache: Arc::new(MetadataCache::new(1)),
            listener_name: "PLAINTEXT".into(),
            security: Default::default(),
        };
        target.broker_epoch.set(77);
        let mut pending: Pending = BTreeMap::new();
        for (t, p) in [("a", 0), ("a", 1), ("b", 0)] {
            let id = if t == "a" { [1; 16] } else { [2; 16] };
            enqueue(&mut pending, item(t, p, id), Box::new(|_| {}));
        }
        let refused = Arc::new(Mutex::new(None));
        let r2 = refused.clone();
        enqueue(
            &mut pending,
            item("a", 0, [1; 16]),
            Box::new(move |r| *r2.lock().unwrap() = Some(r)),
        );
        assert_eq!(
            *refused.lock().unwrap(),
            Some(Err(ResponseError::OperationNotAttempted.code()))
        );
        let (v, req) = build_alter_partition(&target, &pending);
        assert_eq!(v, 3);
        assert_eq!((req.broker_id.0, req.broker_epoch), (1, 77));
        assert_eq!(req.topics.len(), 2);
        assert_eq!(req.topics[0].partitions.len(), 2);
        let p = &req.topics[0].partitions[1];
        assert_eq!(
            (p.partition_index, p.leader_epoch, p.partition_epoch),
            (1, 4, 9)
        );
        assert_eq!(
            p.new_isr_with_epochs
                .iter()
                .map(|b| b.broker_id.0)
                .collect::<Vec<_>>(),
            vec![1, 3]
        );
        pending.insert(
            TopicPartition::new("c", 0),
            (item("c", 0, [0; 16]), Box::new(|_| {})),
        );
        assert_eq!(build_alter_partition(&target, &pending).0, 1);
    }

    /// Round trip against a stand-in controller on a real socket: AlterPartition v3 is
    /// answered per topic id and the partition's callback gets the committed ISR and new
    /// partition epoch; AllocateProducerIds v0 yields a block. The controller is found through
    /// the metadata cache (`controller_id` + its inter-broker endpoint), as Kafka's
    /// `BrokerToControllerChannelManager` finds it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn round_trip_with_a_controller() {
        use crate::cluster::{EndPoint, SecurityProtocol};
        use crate::metadata_cache::{Broker, MetadataUpdate};
        use crate::network::{Request, Response, ResponseSend};
        use kafka_protocol::messages::alter_partition_response;
        use kafka_protocol::messages::{
            AllocateProducerIdsResponse, AlterPartitionResponse, ProducerId,
        };
        use kafka_protocol::protocol::Decodable;

        let handler = |req: Request| -> Response {
            let h = &req.context.header;
            let (key, v, corr) = (h.api_key, h.api_version(), h.correlation_id());
            let mut body = req.body.clone();
            let frame = match key {
                kafka_protocol::messages::ApiKey::AlterPartition => {
                    let r = AlterPartitionRequest::decode(&mut body, v).unwrap();
                    assert_eq!((v, r.broker_id.0, r.broker_epoch), (3, 1, 55));
                    let topics = r
                        .topics
                        .iter()
                        .map(|t| {
                            alter_partition_response::TopicData::default()
                                .with_topic_id(t.topic_id)
                                .with_partitions(
                                    t.partitions
                                        .iter()
                                        .map(|p| {
                                            alter_partition_response::PartitionData::default()
                                                .with_partition_index(p.partition_index)
                                                .with_leader_id(BrokerId(1))
                                                .with_leader_epoch(p.leader_epoch)
                                                .with_isr(
                                                    p.new_isr_with_epochs
                                                        .iter()
                                                        .map(|b| b.broker_id)
                                                        .collect(),
                                                )
                                                .with_partition_epoch(p.partition_epoch + 1)
                                        })
                                        .collect(),
                                )
                        })
                        .collect();
                    let resp = AlterPartitionResponse::default().with_topics(topics);
                    crate::protocol::encode_response(key, v, corr, &resp).unwrap()
                }
                _ => {
                    let resp = AllocateProducerIdsResponse::default()
                        .with_producer_id_start(ProducerId(4000))
                        .with_producer_id_len(1000);
                    crate::protocol::encode_response(key, v, corr, &resp).unwrap()
                }
            };
            Response::Send(ResponseSend::from_frame(frame))
        };
        // A raw socket stands in for the controller: the broker's own SocketServer refuses
        // APIs outside its table, and AlterPartition/AllocateProducerIds are the
        // controller's to serve.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    loop {
                        let Ok(size) = sock.read_i32().await else {
                            return;
                        };
                        let mut buf = vec![0u8; size as usize];
                        if sock.read_exact(&mut buf).await.is_err() {
                            return;
                        }
                        let mut frame = bytes::Bytes::from(buf);
                        let header = crate::protocol::parse_request_header(&mut frame).unwrap();
                        let request = Request {
                            context: crate::network::RequestContext {
                                header,
                                connection_id: "fake-controller".into(),
                                client_address: "127.0.0.1:1".parse().unwrap(),
                                listener_name: "PLAINTEXT".into(),
                                security_protocol: SecurityProtocol::Plaintext,
                                client_information: Default::default(),
                                principal: Default::default(),
                            },
                            body: frame,
                            received_at: std::time::Instant::now(),
                        };
                        let Response::Send(send) = handler(request) else {
                            return;
                        };
                        for c in send.chunks() {
                            if sock.write_all(c).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        let endpoint = EndPoint {
            host: "127.0.0.1".into(),
            port,
            listener_name: "PLAINTEXT".into(),
            security_protocol: SecurityProtocol::Plaintext,
        };
        let cache = Arc::new(MetadataCache::new(1));
        cache.update_metadata(&MetadataUpdate {
            controller_id: 9,
            live_brokers: vec![Broker {
                id: 9,
                endpoints: vec![endpoint],
                rack: None,
            }],
            topic_states: vec![],
        });
        let target = ControllerTarget {
            broker_id: 1,
            broker_epoch: Arc::new(BrokerEpoch::default()),
            metadata_cache: cache,
            listener_name: "PLAINTEXT".into(),
            security: Default::default(),
        };
        target.broker_epoch.set(55);
        let sender = ControllerAlterPartitionSender::start(target.clone());
        let (tx, rx) = tokio::sync::oneshot::channel();
        sender.submit(
            item("a", 2, [1; 16]),
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        let committed = tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            committed,
            Ok(CommittedIsr {
                leader: 1,
                leader_epoch: 4,
                isr: vec![1, 3],
                partition_epoch: 10
            })
        );
        let block = ControllerProducerIdBlockSource::new(target)
            .allocate_block()
            .await;
        assert_eq!(
            block,
            Ok(ProducerIdsBlock {
                first_producer_id: 4000,
                size: 1000
            })
        );
    }
}
