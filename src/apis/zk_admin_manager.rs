//! `ZkAdminManager`: the topic work behind CreateTopics, CreatePartitions, DeleteTopics and
//! Metadata-triggered auto-creation on a ZooKeeper-mode broker.
//!
//! Kafka: `kafka.server.ZkAdminManager` (`createTopics`, `createPartitions`, `deleteTopics`)
//! and the purgatory operations `DelayedCreatePartitions` / `DelayedDeleteTopics`. The checks
//! and ZooKeeper writes live in [`crate::admin`]; this module resolves defaults from the broker
//! config, reads the metadata cache, and waits for the controller's UpdateMetadata so that a
//! topic is usable (or gone) when the response is sent.
//!
//! Waiting: Kafka re-checks its delayed operations whenever the metadata cache changes; our
//! metadata cache has no change notification, so [`ZkAdminManager::wait_until`] re-checks every
//! [`METADATA_POLL_INTERVAL`] until the request's timeout (answering at most that much later).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::admin::{
    assignment_for_new_topic, AdminError, AdminZkClient, BrokerMetadata, ClusterView,
    CreateTopicDefaults, NewTopicRequest,
};
use crate::cluster::TopicPartition;
use crate::metadata_cache::MetadataCache;

/// How often a delayed CreateTopics / CreatePartitions / DeleteTopics re-reads the metadata
/// cache. Why 20 ms: UpdateMetadata arrives within a few ms of the controller's decision on
/// loopback, and a snapshot read is a pointer clone, so polling costs nothing measurable.
pub const METADATA_POLL_INTERVAL: Duration = Duration::from_millis(20);

/// `REQUEST_TIMED_OUT` — what Kafka answers for topics written but not yet propagated.
pub const REQUEST_TIMED_OUT: i16 = 7;

/// Broker settings the admin paths read (Kafka: `KafkaConfig` fields of the same names).
#[derive(Debug, Clone)]
pub struct AdminManagerConfig {
    /// `num.partitions` and `default.replication.factor`.
    pub defaults: CreateTopicDefaults,
    /// `delete.topic.enable` (default true).
    pub delete_topic_enable: bool,
    /// `offsets.topic.num.partitions` (50), `offsets.topic.replication.factor` (3),
    /// `offsets.topic.segment.bytes` (104857600): `__consumer_offsets` when auto-created.
    pub offsets_topic_num_partitions: i32,
    pub offsets_topic_replication_factor: i16,
    pub offsets_topic_segment_bytes: i32,
    /// `server.properties` as given (DescribeConfigs reports these as STATIC_BROKER_CONFIG).
    pub broker_originals: BTreeMap<String, String>,
}

impl Default for AdminManagerConfig {
    fn default() -> Self {
        AdminManagerConfig {
            defaults: CreateTopicDefaults::default(),
            delete_topic_enable: true,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            offsets_topic_segment_bytes: 104_857_600,
            broker_originals: BTreeMap::new(),
        }
    }
}

/// One topic of a CreateTopics request (or of an auto-creation).
#[derive(Debug, Clone)]
pub struct TopicToCreate {
    pub name: String,
    pub num_partitions: i32,
    pub replication_factor: i16,
    /// Explicit `(partition, brokers)` entries; empty when none.
    pub assignments: Vec<(i32, Vec<i32>)>,
    /// `(name, value)`; `None` values are rejected (INVALID_CONFIG).
    pub configs: Vec<(String, Option<String>)>,
}

/// The outcome for one topic of a create call.
#[derive(Debug, Clone)]
pub struct CreateTopicOutcome {
    pub name: String,
    /// The assignment decided (also when only validating); empty on error.
    pub assignment: BTreeMap<i32, Vec<i32>>,
    /// The overrides as written (`configs` of the request).
    pub configs: BTreeMap<String, String>,
    /// The topic id written to ZooKeeper (`None` when validating or on error).
    pub topic_id: Option<String>,
    /// Kafka error code (0 = none) and message.
    pub error_code: i16,
    pub error_message: Option<String>,
}

impl CreateTopicOutcome {
    fn failed(name: &str, e: &AdminError) -> CreateTopicOutcome {
        CreateTopicOutcome {
            name: name.to_string(),
            assignment: BTreeMap::new(),
            configs: BTreeMap::new(),
            topic_id: None,
            error_code: e.error_code(),
            error_message: e.wire_message(),
        }
    }
}

/// The broker's admin manager. Shared as `Arc<ZkAdminManager>` by `KafkaApis`.
pub struct ZkAdminManager {
    pub admin_zk: AdminZkClient,
    pub metadata_cache: Arc<MetadataCache>,
    pub config: AdminManagerConfig,
}

impl ZkAdminManager {
    pub fn new(
        admin_zk: AdminZkClient,
        metadata_cache: Arc<MetadataCache>,
        config: AdminManagerConfig,
    ) -> ZkAdminManager {
        ZkAdminManager {
            admin_zk,
            metadata_cache,
            config,
        }
    }

    /// Live brokers with their racks, from the metadata cache (what Kafka's CreateTopics
    /// assigns over; `metadataCache.getAliveBrokers`).
    fn alive_brokers(&self) -> Vec<BrokerMetadata> {
        self.metadata_cache
            .alive_brokers()
            .into_iter()
            .map(|b| BrokerMetadata {
                id: b.id,
                rack: b.rack,
            })
            .collect()
    }

    /// Validates and (unless `validate_only`) writes each topic, in request order. Does not
    /// wait; see [`Self::wait_for_leaders`].
    // Kafka: ZkAdminManager.createTopics (step 1)
    pub async fn create_topics(
        &self,
        topics: &[TopicToCreate],
        validate_only: bool,
    ) -> Vec<CreateTopicOutcome> {
        let alive = self.alive_brokers();
        let mut out = Vec::with_capacity(topics.len());
        for topic in topics {
            out.push(match self.create_one(topic, &alive, validate_only).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    if matches!(e, AdminError::ZooKeeper(_) | AdminError::AdminOperation(_)) {
                        tracing::error!(
                            "Error processing create topic request for {}: {e}",
                            topic.name
                        );
                    } else {
                        tracing::info!(
                            "Error processing create topic request for {}: {e}",
                            topic.name
                        );
                    }
                    CreateTopicOutcome::failed(&topic.name, &e)
                }
            });
        }
        out
    }

    async fn create_one(
        &self,
        topic: &TopicToCreate,
        alive: &[BrokerMetadata],
        validate_only: bool,
    ) -> Result<CreateTopicOutcome, AdminError> {
        let name = topic.name.as_str();
        let null_names: Vec<&str> = topic
            .configs
            .iter()
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| k.as_str())
            .collect();
        let in_cache = self.metadata_cache.contains_topic(name);
        // The ZooKeeper reads are only needed past the cache check; skip them when it fails.
        let (zk_topics, marked) = if in_cache {
            (Vec::new(), false)
        } else {
            (
                self.admin_zk.all_topics().await?,
                self.admin_zk.is_topic_marked_for_deletion(name).await?,
            )
        };
        let zk_refs: Vec<&str> = zk_topics.iter().map(String::as_str).collect();
        let request = NewTopicRequest {
            name,
            num_partitions: topic.num_partitions,
            replication_factor: topic.replication_factor,
            assignments: &topic.assignments,
            null_config_names: &null_names,
        };
        let cluster = ClusterView {
            alive_brokers: alive,
            in_metadata_cache: in_cache,
            zk_topics: &zk_refs,
            marked_for_deletion: marked,
        };
        let assignment = assignment_for_new_topic(&request, &self.config.defaults, &cluster)?;
        let configs: BTreeMap<String, String> = topic
            .configs
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect();
        self.admin_zk.validate_topic_configs(&configs)?;
        let topic_id = self
            .admin_zk
            .create_topic_with_assignment(name, &configs, &assignment, validate_only)
            .await?;
        Ok(CreateTopicOutcome {
            name: name.to_string(),
            assignment,
            configs,
            topic_id: (!validate_only).then_some(topic_id),
            error_code: 0,
            error_message: None,
        })
    }

    /// Waits until every successfully written partition has a leader in the metadata cache,
    /// or `timeout_ms` passes; partitions still leaderless then turn their topic's result into
    /// REQUEST_TIMED_OUT. With `timeout_ms <= 0` every written topic is REQUEST_TIMED_OUT at
    /// once (Kafka's answer: written, not waited for).
    // Kafka: ZkAdminManager.createTopics (steps 2-3), DelayedCreatePartitions
    pub async fn wait_for_leaders(
        &self,
        written: &[(String, Vec<i32>)],
        timeout_ms: i32,
    ) -> Vec<String> {
        if timeout_ms <= 0 {
            return written.iter().map(|(t, _)| t.clone()).collect();
        }
        let leaderless = |cache: &MetadataCache| -> Vec<String> {
            written
                .iter()
                .filter(|(topic, partitions)| {
                    partitions.iter().any(|&p| {
                        cache
                            .partition_state(&TopicPartition::new(topic.clone(), p))
                            .is_none_or(|s| s.leader < 0)
                    })
                })
                .map(|(t, _)| t.clone())
                .collect()
        };
        self.wait_until(timeout_ms, || leaderless(&self.metadata_cache).is_empty())
            .await;
        leaderless(&self.metadata_cache)
    }

    /// Waits until none of `topics` is in the metadata cache; returns those still there at
    /// the deadline. Kafka: `DelayedDeleteTopics`.
    pub async fn wait_for_deletion(&self, topics: &[String], timeout_ms: i32) -> Vec<String> {
        let remaining = || -> Vec<String> {
            topics
                .iter()
                .filter(|t| self.metadata_cache.contains_topic(t))
                .cloned()
                .collect()
        };
        if timeout_ms <= 0 {
            return topics.to_vec();
        }
        self.wait_until(timeout_ms, || remaining().is_empty()).await;
        remaining()
    }

    /// Polls `done` every [`METADATA_POLL_INTERVAL`] until it holds or `timeout_ms` passes.
    pub async fn wait_until(&self, timeout_ms: i32, mut done: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now()
            + Duration::from_millis(u64::from(timeout_ms.max(0) as u32));
        while !done() {
            if tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(METADATA_POLL_INTERVAL).await;
        }
    }

    /// The topic a Metadata request auto-creates: broker defaults, or the offsets topic's own
    /// settings. Kafka: `AutoTopicCreationManager.creatableTopic`.
    pub fn creatable_topic(&self, name: &str) -> TopicToCreate {
        if name == "__consumer_offsets" {
            // Kafka: GroupCoordinator.groupMetadataTopicConfigs
            return TopicToCreate {
                name: name.to_string(),
                num_partitions: self.config.offsets_topic_num_partitions,
                replication_factor: self.config.offsets_topic_replication_factor,
                assignments: Vec::new(),
                configs: vec![
                    ("cleanup.policy".into(), Some("compact".into())),
                    (
                        "segment.bytes".into(),
                        Some(self.config.offsets_topic_segment_bytes.to_string()),
                    ),
                    ("compression.type".into(), Some("producer".into())),
                ],
            };
        }
        TopicToCreate {
            name: name.to_string(),
            num_partitions: self.config.defaults.num_partitions,
            replication_factor: self.config.defaults.default_replication_factor,
            assignments: Vec::new(),
            configs: Vec::new(),
        }
    }
}

/// The admin manager when this broker is the active controller, else `None` (the caller
/// answers NOT_CONTROLLER). Kafka: `zkSupport.controller.isActive` in `KafkaApis`.
pub fn active_controller_admin(apis: &super::KafkaApis) -> Option<Arc<ZkAdminManager>> {
    let active = apis.controller.as_ref().is_some_and(|c| c.is_active());
    apis.admin_manager.clone().filter(|_| active)
}
