//! `MetadataCache`: what this broker knows about the cluster, filled only by the controller's
//! UpdateMetadata requests.
//!
//! Kafka: `kafka.server.metadata.ZkMetadataCache`. In ZooKeeper mode a broker never reads
//! partition leadership from ZooKeeper; the active controller pushes the full live-broker list
//! and the partition states it changed (`ControllerChannelManager.sendUpdateMetadataRequests`),
//! and Metadata requests are answered from this cache.
//!
//! Concurrency: readers take an `Arc<MetadataSnapshot>` and never block writers for longer than
//! an `Arc` clone; [`MetadataCache::update_metadata`] builds a new snapshot from the old one and
//! swaps it in, as Kafka swaps its `@volatile metadataSnapshot`. Updates are serialized by the
//! write lock, which is never held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use crate::cluster::{EndPoint, TopicPartition};

/// Leader id the controller sends for a partition of a topic being deleted; receiving it removes
/// the partition from the cache. Kafka: `LeaderAndIsr.LEADER_DURING_DELETE`.
pub const LEADER_DURING_DELETE: i32 = -2;

/// Leader id meaning "no leader". Kafka: `LeaderAndIsr.NO_LEADER`, `MetadataResponse.NO_LEADER_ID`.
pub const NO_LEADER: i32 = -1;

/// A live broker as the controller described it. Kafka: `kafka.cluster.Broker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub id: i32,
    /// One endpoint per listener (its advertised host and port).
    pub endpoints: Vec<EndPoint>,
    pub rack: Option<String>,
}

/// A broker's address on one listener. Kafka: `org.apache.kafka.common.Node`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

/// One partition's state as the controller last sent it.
/// Kafka: `UpdateMetadataRequestData.UpdateMetadataPartitionState`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: i32,
    pub controller_epoch: i32,
    /// Broker id, [`NO_LEADER`], or [`LEADER_DURING_DELETE`] (in updates only).
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    /// The zkVersion of the partition's state znode (the partition epoch).
    pub zk_version: i32,
    pub replicas: Vec<i32>,
    /// Assigned replicas the controller considers offline.
    pub offline_replicas: Vec<i32>,
}

/// The partition states of one topic in an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStateUpdate {
    pub topic: String,
    /// `Uuid::nil()` when the controller knows no id (pre-2.8 topics, UpdateMetadata < v7);
    /// a nil id removes any cached id, as Kafka does.
    pub topic_id: Uuid,
    pub partition_states: Vec<PartitionState>,
}

/// One UpdateMetadata request's content, independent of its wire version.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataUpdate {
    /// The active controller's id; negative means none.
    pub controller_id: i32,
    /// The full set of live (and shutting-down) brokers; it replaces the cached set.
    pub live_brokers: Vec<Broker>,
    /// Partition states to upsert (or remove, with leader [`LEADER_DURING_DELETE`]).
    pub topic_states: Vec<TopicStateUpdate>,
}

/// An immutable view of the cache. Kafka: `ZkMetadataCache.MetadataSnapshot`.
#[derive(Debug, Clone, Default)]
pub struct MetadataSnapshot {
    /// topic → partition → state; partitions kept in index order.
    pub partition_states: HashMap<String, BTreeMap<i32, PartitionState>>,
    pub topic_ids: HashMap<String, Uuid>,
    /// Reverse of `topic_ids`.
    pub topic_names: HashMap<Uuid, String>,
    pub controller_id: Option<i32>,
    /// Live brokers in id order.
    pub alive_brokers: BTreeMap<i32, Broker>,
    /// broker id → listener name → node, the hot path of Metadata requests.
    pub alive_nodes: BTreeMap<i32, HashMap<String, Node>>,
}

impl MetadataSnapshot {
    /// The node of `broker_id` on `listener_name`, if that broker is alive and has the listener.
    pub fn alive_endpoint(&self, broker_id: i32, listener_name: &str) -> Option<&Node> {
        self.alive_nodes.get(&broker_id)?.get(listener_name)
    }

    pub fn is_broker_alive(&self, broker_id: i32) -> bool {
        self.alive_brokers.contains_key(&broker_id)
    }
}

/// The broker's metadata cache. Shared as `Arc<MetadataCache>`.
#[derive(Debug)]
pub struct MetadataCache {
    broker_id: i32,
    snapshot: RwLock<Arc<MetadataSnapshot>>,
}

impl MetadataCache {
    pub fn new(broker_id: i32) -> MetadataCache {
        MetadataCache {
            broker_id,
            snapshot: RwLock::new(Arc::new(MetadataSnapshot::default())),
        }
    }

    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }

    /// The current snapshot; hold it to answer one request consistently.
    pub fn snapshot(&self) -> Arc<MetadataSnapshot> {
        // A poisoned lock only means a writer panicked between swaps; the Arc it guards is
        // always a complete snapshot, so reading it is safe.
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies an UpdateMetadata request and returns the partitions it deleted.
    ///
    /// Kafka: `ZkMetadataCache.updateMetadata` — the live-broker set and controller id are
    /// replaced; topic ids are merged (a nil id removes the topic's id); partition states are
    /// upserted onto a copy of the previous ones, and leader −2 removes a partition (and the
    /// topic, with its id, when it was the last partition).
    pub fn update_metadata(&self, update: &MetadataUpdate) -> Vec<TopicPartition> {
        let mut guard = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        let old = guard.clone();

        let mut alive_brokers = BTreeMap::new();
        let mut alive_nodes = BTreeMap::new();
        for broker in &update.live_brokers {
            let nodes: HashMap<String, Node> = broker
                .endpoints
                .iter()
                .map(|ep| {
                    let node = Node {
                        id: broker.id,
                        host: ep.host.clone(),
                        port: i32::from(ep.port),
                        rack: broker.rack.clone(),
                    };
                    (ep.listener_name.clone(), node)
                })
                .collect();
            alive_brokers.insert(broker.id, broker.clone());
            alive_nodes.insert(broker.id, nodes);
        }
        if let Some(own) = alive_nodes.get(&self.broker_id) {
            let mut own_listeners: Vec<&String> = own.keys().collect();
            own_listeners.sort();
            let identical = alive_nodes.values().all(|n| {
                let mut l: Vec<&String> = n.keys().collect();
                l.sort();
                l == own_listeners
            });
            if !identical {
                // Kafka logs the same complaint and carries on (`ZkMetadataCache.updateMetadata`).
                tracing::error!("listeners are not identical across brokers: {alive_nodes:?}");
            }
        }

        let mut topic_ids = old.topic_ids.clone();
        for ts in &update.topic_states {
            if ts.topic_id.is_nil() {
                topic_ids.remove(&ts.topic);
            } else {
                topic_ids.insert(ts.topic.clone(), ts.topic_id);
            }
        }

        let mut partition_states = old.partition_states.clone();
        let mut deleted = Vec::new();
        for ts in &update.topic_states {
            for state in &ts.partition_states {
                if state.leader == LEADER_DURING_DELETE {
                    if let Some(parts) = partition_states.get_mut(&ts.topic) {
                        parts.remove(&state.partition);
                        if parts.is_empty() {
                            partition_states.remove(&ts.topic);
                            topic_ids.remove(&ts.topic);
                        }
                    }
                    deleted.push(TopicPartition::new(ts.topic.clone(), state.partition));
                } else {
                    partition_states
                        .entry(ts.topic.clone())
                        .or_default()
                        .insert(state.partition, state.clone());
                }
            }
        }
        let topic_names = topic_ids
            .iter()
            .map(|(name, id)| (*id, name.clone()))
            .collect();

        *guard = Arc::new(MetadataSnapshot {
            partition_states,
            topic_ids,
            topic_names,
            controller_id: (update.controller_id >= 0).then_some(update.controller_id),
            alive_brokers,
            alive_nodes,
        });
        deleted
    }

    /// The active controller's id. Kafka: `MetadataCache.getControllerId`.
    pub fn controller_id(&self) -> Option<i32> {
        self.snapshot().controller_id
    }

    /// Live brokers' nodes on `listener_name`, in id order; brokers without that listener are
    /// left out. Kafka: `MetadataCache.getAliveBrokerNodes`.
    pub fn alive_broker_nodes(&self, listener_name: &str) -> Vec<Node> {
        let s = self.snapshot();
        s.alive_brokers
            .keys()
            .filter_map(|id| s.alive_endpoint(*id, listener_name).cloned())
            .collect()
    }

    /// One live broker's node on `listener_name`. Kafka: `MetadataCache.getAliveBrokerNode`.
    pub fn alive_broker_node(&self, broker_id: i32, listener_name: &str) -> Option<Node> {
        self.snapshot()
            .alive_endpoint(broker_id, listener_name)
            .cloned()
    }

    /// Live brokers in id order. Kafka: `MetadataCache.getAliveBrokers`.
    pub fn alive_brokers(&self) -> Vec<Broker> {
        self.snapshot().alive_brokers.values().cloned().collect()
    }

    pub fn is_broker_alive(&self, broker_id: i32) -> bool {
        self.snapshot().is_broker_alive(broker_id)
    }

    /// Every topic with at least one partition, sorted. Kafka: `MetadataCache.getAllTopics`.
    pub fn all_topics(&self) -> Vec<String> {
        let mut t: Vec<String> = self.snapshot().partition_states.keys().cloned().collect();
        t.sort();
        t
    }

    /// Kafka: `MetadataCache.contains(topic)`.
    pub fn contains_topic(&self, topic: &str) -> bool {
        self.snapshot().partition_states.contains_key(topic)
    }

    /// Kafka: `MetadataCache.contains(topicPartition)`.
    pub fn contains_partition(&self, tp: &TopicPartition) -> bool {
        self.partition_state(tp).is_some()
    }

    /// The topic's id, or `Uuid::nil()` (Kafka's `Uuid.ZERO_UUID`) when unknown.
    pub fn topic_id(&self, topic: &str) -> Uuid {
        self.snapshot()
            .topic_ids
            .get(topic)
            .copied()
            .unwrap_or_else(Uuid::nil)
    }

    /// Kafka: `MetadataCache.getTopicName`.
    pub fn topic_name(&self, topic_id: Uuid) -> Option<String> {
        self.snapshot().topic_names.get(&topic_id).cloned()
    }

    /// Kafka: `MetadataCache.getPartitionInfo`.
    pub fn partition_state(&self, tp: &TopicPartition) -> Option<PartitionState> {
        self.snapshot()
            .partition_states
            .get(&tp.topic)?
            .get(&tp.partition)
            .cloned()
    }

    /// Kafka: `MetadataCache.numPartitions`.
    pub fn num_partitions(&self, topic: &str) -> Option<usize> {
        self.snapshot().partition_states.get(topic).map(|p| p.len())
    }

    /// The leader's node on `listener_name`: `None` when the partition is unknown, `Some(None)`
    /// when it has no live leader with that listener. Kafka: `getPartitionLeaderEndpoint`.
    pub fn partition_leader_endpoint(
        &self,
        tp: &TopicPartition,
        listener_name: &str,
    ) -> Option<Option<Node>> {
        let s = self.snapshot();
        let state = s.partition_states.get(&tp.topic)?.get(&tp.partition)?;
        Some(s.alive_endpoint(state.leader, listener_name).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::SecurityProtocol;

    fn broker(id: i32, rack: Option<&str>) -> Broker {
        Broker {
            id,
            endpoints: vec![
                EndPoint {
                    host: format!("h{id}"),
                    port: 9092,
                    listener_name: "PLAINTEXT".into(),
                    security_protocol: SecurityProtocol::Plaintext,
                },
                EndPoint {
                    host: format!("i{id}"),
                    port: 9093,
                    listener_name: "INTERNAL".into(),
                    security_protocol: SecurityProtocol::Plaintext,
                },
            ],
            rack: rack.map(str::to_string),
        }
    }

    fn state(partition: i32, leader: i32) -> PartitionState {
        PartitionState {
            partition,
            controller_epoch: 1,
            leader,
            leader_epoch: 4,
            isr: vec![1, 2],
            zk_version: 7,
            replicas: vec![1, 2, 3],
            offline_replicas: vec![3],
        }
    }

    fn topic(name: &str, id: u128, states: Vec<PartitionState>) -> TopicStateUpdate {
        TopicStateUpdate {
            topic: name.into(),
            topic_id: Uuid::from_u128(id),
            partition_states: states,
        }
    }

    /// Kafka: `ZkMetadataCache.updateMetadata` — brokers and controller replaced, partition
    /// states upserted on top of earlier ones (partial updates), per-listener nodes with racks.
    #[test]
    fn update_replaces_brokers_and_upserts_partitions() {
        let cache = MetadataCache::new(1);
        assert!(cache.alive_brokers().is_empty());
        cache.update_metadata(&MetadataUpdate {
            controller_id: 2,
            live_brokers: vec![broker(1, Some("r1")), broker(2, None)],
            topic_states: vec![topic("a", 9, vec![state(0, 1), state(1, 2)])],
        });
        assert_eq!(cache.controller_id(), Some(2));
        let nodes = cache.alive_broker_nodes("INTERNAL");
        assert_eq!(nodes.len(), 2);
        assert_eq!(nodes[0].host, "i1");
        assert_eq!(nodes[0].port, 9093);
        assert_eq!(nodes[0].rack.as_deref(), Some("r1"));
        assert!(cache.alive_broker_nodes("SSL").is_empty());
        assert_eq!(cache.topic_id("a"), Uuid::from_u128(9));
        assert_eq!(cache.topic_name(Uuid::from_u128(9)).as_deref(), Some("a"));

        // A partial update: only partition 1 of "a", a new topic, broker 2 gone, no controller.
        cache.update_metadata(&MetadataUpdate {
            controller_id: -1,
            live_brokers: vec![broker(1, Some("r1"))],
            topic_states: vec![
                topic("a", 9, vec![state(1, 1)]),
                topic("b", 0, vec![state(0, 1)]),
            ],
        });
        assert_eq!(cache.controller_id(), None);
        assert!(!cache.is_broker_alive(2));
        assert_eq!(cache.num_partitions("a"), Some(2));
        assert_eq!(
            cache
                .partition_state(&TopicPartition::new("a", 1))
                .unwrap()
                .leader,
            1
        );
        assert_eq!(
            cache
                .partition_state(&TopicPartition::new("a", 0))
                .unwrap()
                .leader,
            1
        );
        assert_eq!(cache.all_topics(), vec!["a".to_string(), "b".to_string()]);
        assert!(cache.topic_id("b").is_nil());
        assert_eq!(
            cache.partition_leader_endpoint(&TopicPartition::new("a", 0), "PLAINTEXT"),
            Some(Some(Node {
                id: 1,
                host: "h1".into(),
                port: 9092,
                rack: Some("r1".into())
            }))
        );
    }

    /// Kafka: leader −2 (`LEADER_DURING_DELETE`) removes the partition; the last partition takes
    /// the topic and its id with it; the deleted partitions are returned.
    #[test]
    fn leader_minus_two_removes_partitions() {
        let cache = MetadataCache::new(1);
        cache.update_metadata(&MetadataUpdate {
            controller_id: 1,
            live_brokers: vec![broker(1, None)],
            topic_states: vec![topic("a", 9, vec![state(0, 1), state(1, 1)])],
        });
        let deleted = cache.update_metadata(&MetadataUpdate {
            controller_id: 1,
            live_brokers: vec![broker(1, None)],
            topic_states: vec![topic("a", 9, vec![state(0, LEADER_DURING_DELETE)])],
        });
        assert_eq!(deleted, vec![TopicPartition::new("a", 0)]);
        assert_eq!(cache.num_partitions("a"), Some(1));
        assert!(!cache.topic_id("a").is_nil());
        cache.update_metadata(&MetadataUpdate {
            controller_id: 1,
            live_brokers: vec![broker(1, None)],
            topic_states: vec![topic("a", 9, vec![state(1, LEADER_DURING_DELETE)])],
        });
        assert!(!cache.contains_topic("a"));
        assert!(cache.topic_id("a").is_nil());
        assert_eq!(cache.topic_name(Uuid::from_u128(9)), None);
    }
}
