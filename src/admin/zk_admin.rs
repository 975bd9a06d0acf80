//! `AdminZkClient`: the ZooKeeper writes behind topic creation, partition additions, topic
//! deletion and topic config changes, as a ZooKeeper-mode Kafka broker performs them.
//!
//! Kafka: `kafka.zk.AdminZkClient` (`createTopic`, `createTopicWithAssignment`,
//! `validateTopicCreate`, `writeTopicPartitionAssignment`, `createPartitionsWithAssignment`,
//! `deleteTopic`, `changeTopicConfig`, `fetchEntityConfig`) and the `KafkaZkClient` calls they
//! make (`setOrCreateEntityConfigs`, `createTopicAssignment`, `setTopicAssignment`,
//! `createDeleteTopicPath`, `createConfigChangeNotification`).
//!
//! Writes are **not** atomic, exactly as in Kafka: `/config/topics/<t>` is written first, then
//! `/brokers/topics/<t>`; the controller reacts to the latter through its watch. Callers decide
//! the assignment ([`crate::admin::assignment_for_new_topic`] for the API path, or
//! [`AdminZkClient::create_topic`] which computes it from the registered brokers).
//!
//! Config writes from a broker are guarded as in Kafka 3.9 (`enableEntityConfigControllerCheck`,
//! the KRaft-migration guard): `/controller` must exist and not name a KRaft controller, and the
//! setData is a multi with a check of `/controller`'s zkVersion (see
//! [`set_or_create_entity_configs`]). Kafka's `ConfigCommand --zookeeper` writes without it.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine;
use zookeeper_client::CreateMode;

use super::replica_assignment::{
    assign_replicas_to_brokers, broker_metadatas, BrokerMetadata, RackAwareMode,
};
use super::topic::validate_new_topic_name;
use super::{assign_new_partitions, validate_topic_create_assignment, AdminError};
use crate::log::LogConfig;
use crate::zk::znodes::{
    ConfigEntityChangeNotificationSequenceZNode, ConfigEntityZNode, ConfigType, ControllerZNode,
    DeleteTopicsTopicZNode, DeleteTopicsZNode, ReplicaAssignment, TopicIdReplicaAssignment,
    TopicZNode, TopicsZNode,
};
use crate::zk::{KafkaZkClient, ZkError};

/// The ZooKeeper side of Kafka's topic administration. Cheap to clone.
#[derive(Clone)]
pub struct AdminZkClient {
    zk: Arc<KafkaZkClient>,
    /// The broker's log defaults: topic overrides are validated on top of them
    /// (Kafka: `LogConfig.validate(props, brokerDefaults, ...)`).
    base_log_config: LogConfig,
}

/// Kafka `Uuid.randomUuid`: random 128 bits, redrawn while the id is the zero id, the metadata
/// topic's id (`AAAAAAAAAAAAAAAAAAAAAQ`) or its string form starts with `-` (which would read as
/// a command-line flag). Returned in `Uuid.toString` form (URL-safe base64, no padding).
pub fn random_topic_id() -> String {
    loop {
        let bits: u128 = rand::random();
        if bits == 0 || bits == 1 {
            continue;
        }
        let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bits.to_be_bytes());
        if !s.starts_with('-') {
            return s;
        }
    }
}

fn zk_failure(e: ZkError) -> AdminError {
    AdminError::ZooKeeper(e.to_string())
}

impl AdminZkClient {
    /// An admin client validating topic configs against Kafka's defaults.
    pub fn new(zk: Arc<KafkaZkClient>) -> AdminZkClient {
        AdminZkClient {
            zk,
            base_log_config: LogConfig::default(),
        }
    }

    /// Validates topic configs on top of the broker's own log defaults (`log.*` keys).
    pub fn with_log_config(mut self, base: LogConfig) -> AdminZkClient {
        self.base_log_config = base;
        self
    }

    /// The broker log defaults topic configs are validated against.
    pub fn base_log_config(&self) -> &LogConfig {
        &self.base_log_config
    }

    /// The ZooKeeper client.
    pub fn zk(&self) -> &Arc<KafkaZkClient> {
        &self.zk
    }

    /// Creates a topic with a computed assignment over the **registered** brokers (racks
    /// enforced), as `AdminZkClient.createTopic(topic, partitions, rf, config)` does; used for
    /// internal topics such as `__consumer_offsets`. Returns nothing; the topic id is written to
    /// `/brokers/topics/<t>`.
    // Kafka: AdminZkClient.createTopic
    pub async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        self.create_topic_with_rack_aware_mode(
            name,
            partitions,
            replication_factor,
            configs,
            RackAwareMode::Enforced,
        )
        .await
        .map(|_| ())
    }

    /// [`Self::create_topic`] with an explicit [`RackAwareMode`]; returns the new topic id.
    pub async fn create_topic_with_rack_aware_mode(
        &self,
        name: &str,
        partitions: i32,
        replication_factor: i16,
        configs: &BTreeMap<String, String>,
        rack_aware_mode: RackAwareMode,
    ) -> Result<String, AdminError> {
        let brokers = self.broker_metadatas(rack_aware_mode).await?;
        let assignment =
            assign_replicas_to_brokers(&brokers, partitions, i32::from(replication_factor))?;
        self.create_topic_with_assignment(name, configs, &assignment, false)
            .await
    }

    /// Registered brokers (from `/brokers/ids`) with racks per `mode`, sorted by id.
    // Kafka: AdminZkClient.getBrokerMetadatas
    pub async fn broker_metadatas(
        &self,
        mode: RackAwareMode,
    ) -> Result<Vec<BrokerMetadata>, AdminError> {
        let brokers: Vec<BrokerMetadata> = self
            .zk
            .get_all_broker_and_epochs_in_cluster(false)
            .await
            .map_err(zk_failure)?
            .into_values()
            .map(|(info, _)| BrokerMetadata {
                id: info.id,
                rack: info.rack,
            })
            .collect();
        broker_metadatas(mode, &brokers)
    }

    /// Validates the topic and, unless `validate_only`, writes `/config/topics/<t>` and then
    /// `/brokers/topics/<t>` (version 3, with a fresh topic id). Returns the topic id (also when
    /// only validating, then an id that was not written).
    ///
    /// Errors: name rules, marked for deletion / exists (TOPIC_ALREADY_EXISTS), `.`/`_`
    /// collision (INVALID_TOPIC_EXCEPTION), assignment shape (INVALID_REPLICA_ASSIGNMENT),
    /// config names and values (INVALID_CONFIG); a topic znode created concurrently is
    /// TOPIC_ALREADY_EXISTS.
    // Kafka: AdminZkClient.createTopicWithAssignment, writeTopicPartitionAssignment
    pub async fn create_topic_with_assignment(
        &self,
        name: &str,
        configs: &BTreeMap<String, String>,
        assignment: &BTreeMap<i32, Vec<i32>>,
        validate_only: bool,
    ) -> Result<String, AdminError> {
        self.validate_topic_create(name, assignment, configs)
            .await?;
        let topic_id = random_topic_id();
        if validate_only {
            return Ok(topic_id);
        }
        tracing::info!(
            "Creating topic {name} with configuration {configs:?} and initial partition assignment {assignment:?}"
        );
        self.set_or_create_entity_config(ConfigType::TOPIC, name, configs)
            .await?;
        let replicas: BTreeMap<i32, ReplicaAssignment> = assignment
            .iter()
            .map(|(p, r)| (*p, ReplicaAssignment::new(r.clone())))
            .collect();
        let data = TopicZNode::encode(Some(&topic_id), &replicas);
        let created = self
            .zk
            .create_recursive(&TopicZNode::path(name), &data)
            .await
            .map_err(zk_failure)?;
        if !created {
            return Err(AdminError::TopicExists(format!(
                "Topic '{name}' already exists."
            )));
        }
        Ok(topic_id)
    }

    /// Name rules, deletion mark, existence, collisions, assignment shape and config validity.
    // Kafka: AdminZkClient.validateTopicCreate
    pub async fn validate_topic_create(
        &self,
        name: &str,
        assignment: &BTreeMap<i32, Vec<i32>>,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        let marked = self.is_topic_marked_for_deletion(name).await?;
        let topics = self.all_topics().await?;
        validate_new_topic_name(name, topics.iter().map(String::as_str), marked)?;
        validate_topic_create_assignment(assignment)?;
        self.validate_topic_configs(configs)
    }

    /// Topic config names and values as `LogConfig.validate` checks them.
    pub fn validate_topic_configs(
        &self,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        self.base_log_config
            .with_overrides(configs)
            .map(|_| ())
            .map_err(|e| AdminError::InvalidConfig(e.to_string()))
    }

    /// Whether `/brokers/topics/<t>` exists. Kafka: `KafkaZkClient.topicExists`.
    pub async fn topic_exists(&self, name: &str) -> Result<bool, AdminError> {
        Ok(self
            .zk
            .exists(&TopicZNode::path(name), false)
            .await
            .map_err(zk_failure)?
            .is_some())
    }

    /// Topics under `/brokers/topics`. Kafka: `KafkaZkClient.getAllTopicsInCluster`.
    pub async fn all_topics(&self) -> Result<Vec<String>, AdminError> {
        Ok(self
            .zk
            .get_children(TopicsZNode::PATH, false)
            .await
            .map_err(zk_failure)?
            .unwrap_or_default())
    }

    /// Whether `/admin/delete_topics/<t>` exists. Kafka: `isTopicMarkedForDeletion`.
    pub async fn is_topic_marked_for_deletion(&self, name: &str) -> Result<bool, AdminError> {
        Ok(self
            .zk
            .exists(&DeleteTopicsTopicZNode::path(name), false)
            .await
            .map_err(zk_failure)?
            .is_some())
    }

    /// Topics marked for deletion (children of `/admin/delete_topics`).
    pub async fn topics_marked_for_deletion(&self) -> Result<Vec<String>, AdminError> {
        Ok(self
            .zk
            .get_children(DeleteTopicsZNode::PATH, false)
            .await
            .map_err(zk_failure)?
            .unwrap_or_default())
    }

    /// The topic znode's content and zkVersion, or `None` when the topic does not exist.
    pub async fn topic_assignment(
        &self,
        name: &str,
    ) -> Result<Option<(TopicIdReplicaAssignment, i32)>, AdminError> {
        let Some((bytes, stat)) = self
            .zk
            .get_data(&TopicZNode::path(name), false)
            .await
            .map_err(zk_failure)?
        else {
            return Ok(None);
        };
        let decoded = TopicZNode::decode(name, &bytes)
            .map_err(|e| AdminError::AdminOperation(e.to_string()))?;
        Ok(Some((decoded, stat.version)))
    }

    /// Adds partitions to `name` so it has `new_count`, with the computed assignment (or
    /// `explicit`, one replica list per new partition). Rewrites `/brokers/topics/<t>` keeping
    /// the topic id, conditional on the zkVersion read (a concurrent change fails the write
    /// rather than being overwritten). Returns the new partitions' assignment.
    ///
    /// Errors: unknown topic, topic being reassigned (REASSIGNMENT_IN_PROGRESS), and those of
    /// [`assign_new_partitions`].
    // Kafka: ZkAdminManager.createPartitions, AdminZkClient.createNewPartitionsAssignment,
    // createPartitionsWithAssignment
    pub async fn add_partitions(
        &self,
        name: &str,
        new_count: i32,
        explicit: Option<&[Vec<i32>]>,
        validate_only: bool,
    ) -> Result<BTreeMap<i32, Vec<i32>>, AdminError> {
        let Some((current, zk_version)) = self.topic_assignment(name).await? else {
            return Err(AdminError::UnknownTopicOrPartition(format!(
                "The topic '{name}' does not exist."
            )));
        };
        if current.assignment.values().any(|a| a.is_being_reassigned()) {
            return Err(AdminError::ReassignmentInProgress(format!(
                "A partition reassignment is in progress for the topic '{name}'."
            )));
        }
        let existing: BTreeMap<i32, Vec<i32>> = current
            .assignment
            .iter()
            .map(|(p, a)| (*p, a.replicas.clone()))
            .collect();
        let brokers = self.broker_metadatas(RackAwareMode::Enforced).await?;
        let added = assign_new_partitions(name, &existing, &brokers, new_count, explicit)?;
        if validate_only {
            return Ok(added);
        }
        let mut combined = current.assignment.clone();
        for (p, replicas) in &added {
            combined.insert(*p, ReplicaAssignment::new(replicas.clone()));
        }
        tracing::info!(
            "Creating {} partitions for '{name}' with the following replica assignment: {added:?}.",
            added.len()
        );
        let data = TopicZNode::encode(current.topic_id.as_deref(), &combined);
        match self
            .zk
            .set_data(&TopicZNode::path(name), &data, Some(zk_version))
            .await
        {
            Ok(_) => Ok(added),
            Err(e) if matches!(e.code(), Some(zookeeper_client::Error::NoNode)) => Err(
                AdminError::UnknownTopicOrPartition(format!("The topic '{name}' does not exist.")),
            ),
            Err(e) => Err(zk_failure(e)),
        }
    }

    /// Marks `name` for deletion by creating `/admin/delete_topics/<t>` (null data); the
    /// controller does the rest.
    ///
    /// Errors: unknown topic (UNKNOWN_TOPIC_OR_PARTITION), already marked
    /// ([`AdminError::TopicAlreadyMarkedForDeletion`], which DeleteTopics treats as success).
    // Kafka: AdminZkClient.deleteTopic, KafkaZkClient.createDeleteTopicPath
    pub async fn delete_topic(&self, name: &str) -> Result<(), AdminError> {
        if !self.topic_exists(name).await? {
            return Err(AdminError::UnknownTopicOrPartition(format!(
                "Topic `{name}` to delete does not exist"
            )));
        }
        let path = DeleteTopicsTopicZNode::path(name);
        if self.is_topic_marked_for_deletion(name).await? {
            return Err(AdminError::TopicAlreadyMarkedForDeletion(format!(
                "topic {name} is already marked for deletion"
            )));
        }
        // Kafka writes null data; our client can only do that on a side connection.
        if !self.zk.create_null_paths(&[&path]).await {
            self.zk
                .create_recursive(&path, &[])
                .await
                .map_err(zk_failure)?;
        }
        Ok(())
    }

    /// The overrides stored in `/config/<type>/<entity>` (empty when the znode is missing).
    // Kafka: AdminZkClient.fetchEntityConfig
    pub async fn fetch_entity_config(
        &self,
        entity_type: &str,
        entity: &str,
    ) -> Result<BTreeMap<String, String>, AdminError> {
        let path = ConfigEntityZNode::path(entity_type, entity);
        match self.zk.get_data(&path, false).await.map_err(zk_failure)? {
            None => Ok(BTreeMap::new()),
            Some((bytes, _)) => Ok(ConfigEntityZNode::decode(&path, &bytes)
                .map_err(|e| AdminError::AdminOperation(e.to_string()))?
                .into_iter()
                .collect()),
        }
    }

    /// Replaces a topic's overrides and notifies every broker through `/config/changes`.
    /// Errors: unknown topic (UNKNOWN_TOPIC_OR_PARTITION), invalid configs (INVALID_CONFIG).
    // Kafka: AdminZkClient.changeTopicConfig, changeEntityConfig
    pub async fn change_topic_config(
        &self,
        name: &str,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        if !self.topic_exists(name).await? {
            return Err(AdminError::UnknownTopicOrPartition(format!(
                "Topic {name} does not exist."
            )));
        }
        self.validate_topic_configs(configs)?;
        self.set_or_create_entity_config(ConfigType::TOPIC, name, configs)
            .await?;
        self.create_config_change_notification(&format!("{}/{name}", ConfigType::TOPIC))
            .await
    }

    /// `setData` on `/config/<type>/<entity>` (controller-checked), creating it when missing.
    // Kafka: KafkaZkClient.setOrCreateEntityConfigs
    async fn set_or_create_entity_config(
        &self,
        entity_type: &str,
        entity: &str,
        configs: &BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        let path = ConfigEntityZNode::path(entity_type, entity);
        let pairs: Vec<(String, String)> = configs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        set_or_create_entity_configs(&self.zk, &path, &ConfigEntityZNode::encode(&pairs), true)
            .await
            .map_err(zk_failure)
    }

    /// Creates `/config/changes/config_change_<seq>` with `{"version":2,"entity_path":...}`.
    // Kafka: KafkaZkClient.createConfigChangeNotification
    pub async fn create_config_change_notification(
        &self,
        sanitized_entity_path: &str,
    ) -> Result<(), AdminError> {
        let path = ConfigEntityChangeNotificationSequenceZNode::create_path();
        let data = ConfigEntityChangeNotificationSequenceZNode::encode(sanitized_entity_path);
        let options = self
            .zk
            .create_options(CreateMode::PersistentSequential, &path);
        self.zk
            .retry_until_connected("create", &path, |c, _| {
                let (path, data, options) = (&path, &data, &options);
                async move { c.create(path, data, options).await.map(|_| ()) }
            })
            .await
            .map_err(zk_failure)
    }
}

/// Writes an entity's config znode: setData at any version, createRecursive when it is missing,
/// setData again when that create loses a race. With `controller_check` (every broker-side
/// write) `/controller` is read first — missing, or naming a KRaft controller
/// (`kraftControllerEpoch > 0`), is `ControllerMovedException` — and each setData is a multi
/// `[check(/controller, zkVersion), setData]`, so a controller change during the write fails it.
/// The create is not checked (as in Kafka). Kafka 3.9: `KafkaZkClient.setOrCreateEntityConfigs`
/// (`enableEntityConfigControllerCheck`, false only for `ConfigCommand --zookeeper`).
pub async fn set_or_create_entity_configs(
    zk: &KafkaZkClient,
    path: &str,
    data: &[u8],
    controller_check: bool,
) -> Result<(), ZkError> {
    let controller_version = if controller_check {
        let Some((bytes, stat)) = zk.get_data(ControllerZNode::PATH, false).await? else {
            return Err(ZkError::ControllerMoved(format!(
                "Cannot set entity configs for {path} when there is no controller."
            )));
        };
        if ControllerZNode::decode(&bytes)?.is_kraft_controller() {
            return Err(ZkError::ControllerMoved(format!(
                "Cannot set entity configs for {path} directly when there is a KRaft controller."
            )));
        }
        Some(stat.version)
    } else {
        None
    };
    for _ in 0..2 {
        match set_entity_config(zk, path, data, controller_version).await? {
            Ok(()) => return Ok(()),
            Err(zookeeper_client::Error::NoNode) => {
                if zk.create_recursive(path, data).await? {
                    return Ok(());
                }
                // Created concurrently: set it (Kafka: NODEEXISTS → set again).
            }
            Err(e) => return Err(ZkError::keeper("setData", path, e)),
        }
    }
    Err(ZkError::keeper(
        "setData",
        path,
        zookeeper_client::Error::NoNode,
    ))
}

/// One setData of [`set_or_create_entity_configs`]: `Ok(Err(NoNode))` when the znode is
/// missing, `ControllerMoved` when the `/controller` check fails; other failures are errors
/// (connection losses are retried by `retry_until_connected`).
async fn set_entity_config(
    zk: &KafkaZkClient,
    path: &str,
    data: &[u8],
    controller_version: Option<i32>,
) -> Result<Result<(), zookeeper_client::Error>, ZkError> {
    use zookeeper_client::{Error as ZkCode, MultiWriteError};
    enum Failure {
        Check(ZkCode),
        Missing,
    }
    let r = zk
        .retry_until_connected("setData", path, |c, _| async move {
            let Some(version) = controller_version else {
                return match c.set_data(path, data, None).await {
                    Ok(_) => Ok(Ok(())),
                    Err(ZkCode::NoNode) => Ok(Err(Failure::Missing)),
                    Err(e) => Err(e),
                };
            };
            let mut multi = c.new_multi_writer();
            multi.add_check_version(ControllerZNode::PATH, version)?;
            multi.add_set_data(path, data, None)?;
            match multi.commit().await {
                Ok(_) => Ok(Ok(())),
                Err(MultiWriteError::OperationFailed { index: 0, source }) => {
                    Ok(Err(Failure::Check(source)))
                }
                Err(MultiWriteError::OperationFailed {
                    source: ZkCode::NoNode,
                    ..
                }) => Ok(Err(Failure::Missing)),
                Err(e) => Err(ZkCode::from(e)),
            }
        })
        .await?;
    match r {
        Ok(()) => Ok(Ok(())),
        Err(Failure::Missing) => Ok(Err(ZkCode::NoNode)),
        Err(Failure::Check(e)) => Err(ZkError::ControllerMoved(format!(
            "Controller zkVersion check fails. Expected zkVersion = {} ({e} on {})",
            controller_version.unwrap_or_default(),
            ControllerZNode::PATH
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `Uuid.randomUuid` ids are 22 URL-safe base64 characters, never start with `-` and
    /// decode to 16 bytes (what `TopicZNode.decode` accepts).
    #[test]
    fn random_topic_ids_have_kafkas_form() {
        for _ in 0..2000 {
            let id = random_topic_id();
            assert_eq!(id.len(), 22);
            assert!(!id.starts_with('-'));
            crate::zk::znodes::validate_uuid(&id).unwrap();
        }
    }
}
