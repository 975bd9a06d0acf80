//! `ReplicaManager`: the partitions this broker hosts and every operation on them — becoming
//! leader or follower (LeaderAndIsr), stopping replicas (StopReplica), appending produce
//! requests with their acks, serving fetches, and expiring lagging followers from the ISR.
//! Kafka: `kafka.server.ReplicaManager`.
//!
//! # Locking
//! `partitions` (std `RwLock`) maps a partition to its `Arc<Partition>`; it is held only to
//! look up, insert or remove. Controller requests (LeaderAndIsr, StopReplica) run under the
//! `ControllerEpochFence` lock (Kafka's `replicaStateChangeLock`), so two never interleave.
//! Lock order: fence → `partitions` → a `Partition`'s locks (see `cluster::partition`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;

use super::alter_partition::AlterPartitionSender;
use super::fetcher::{FetcherConfig, InitialFetchState, ReplicaFetcherManager};
use super::purgatory::{wait_for_change, wait_until};
use crate::apis::ControllerEpochFence;
use crate::cluster::partition::{FetchPartitionParams, PartitionRead};
use crate::cluster::{
    LeaderAndIsrState, Partition, PartitionContext, PartitionError, TopicPartition,
};
use crate::log::{LogError, LogManager};
use crate::metadata_cache::MetadataCache;
use crate::protocol::errors::ResponseError;
use crate::time::SharedClock;

/// Told which partitions this broker started or stopped leading after each LeaderAndIsr, with
/// their leader epochs: `(new leaders, new followers)`. The group and transaction coordinators
/// load or unload `__consumer_offsets` / `__transaction_state` partitions from it.
/// Kafka: `KafkaApis.handleLeaderAndIsrRequest` → `onLeadershipChange`.
pub type LeadershipListener =
    Arc<dyn Fn(&[(TopicPartition, i32)], &[(TopicPartition, i32)]) + Send + Sync>;

/// Reads the topic's `/config/topics/<t>` overrides (the ZooKeeper read lives elsewhere).
pub type TopicConfigProvider = Arc<dyn Fn(&str) -> BTreeMap<String, String> + Send + Sync>;

/// Broker settings the replica manager uses (Kafka key and default in each doc).
#[derive(Debug, Clone)]
pub struct ReplicaManagerConfig {
    /// `broker.id`.
    pub broker_id: i32,
    /// `replica.lag.time.max.ms` (30000).
    pub replica_lag_time_max_ms: i64,
    /// `inter.broker.listener.name` (from `security.inter.broker.protocol`, default PLAINTEXT):
    /// followers connect to leaders' endpoints on this listener.
    pub inter_broker_listener_name: String,
    /// Replica fetcher settings (`num.replica.fetchers`, `replica.fetch.*`).
    pub fetcher: FetcherConfig,
}

impl ReplicaManagerConfig {
    pub fn new(broker_id: i32) -> ReplicaManagerConfig {
        ReplicaManagerConfig {
            broker_id,
            replica_lag_time_max_ms: 30_000,
            inter_broker_listener_name: "PLAINTEXT".into(),
            fetcher: FetcherConfig::default(),
        }
    }
}

/// One partition of a LeaderAndIsr request.
#[derive(Debug, Clone)]
pub struct LeaderAndIsrPartition {
    pub topic_partition: TopicPartition,
    /// `None` for a zero topic id (topics created before 2.8).
    pub topic_id: Option<[u8; 16]>,
    pub state: LeaderAndIsrState,
}

/// A partition's place in this broker. Kafka: `HostedPartition`.
#[derive(Debug, Clone)]
enum HostedPartition {
    Online(Arc<Partition>),
    /// Its log directory failed: every request for it answers KAFKA_STORAGE_ERROR.
    Offline,
}

/// The answer for one partition of a produce request. Kafka: `ProducePartitionStatus` /
/// `PartitionResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducePartitionResult {
    pub error_code: i16,
    pub error_message: Option<String>,
    pub base_offset: i64,
    pub log_append_time_ms: i64,
    pub log_start_offset: i64,
}

impl ProducePartitionResult {
    fn error(code: i16, message: Option<String>) -> ProducePartitionResult {
        ProducePartitionResult {
            error_code: code,
            error_message: message,
            base_offset: -1,
            log_append_time_ms: -1,
            log_start_offset: -1,
        }
    }
}

/// Request-level fetch settings. Kafka: `FetchParams`.
#[derive(Debug, Clone)]
pub struct FetchParams {
    /// The fetching follower, or `None` for a consumer.
    pub replica_id: Option<i32>,
    pub max_wait_ms: i64,
    pub min_bytes: usize,
    pub max_bytes: usize,
    pub read_committed: bool,
}

/// One partition of a fetch: what to read.
#[derive(Debug, Clone)]
pub struct FetchPartitionRequest {
    pub topic_partition: TopicPartition,
    pub fetch_offset: i64,
    pub current_leader_epoch: i32,
    pub last_fetched_epoch: i32,
    pub log_start_offset: i64,
    pub partition_max_bytes: usize,
}

/// The outcome for one partition of a fetch.
#[derive(Debug, Clone)]
pub struct FetchPartitionResult {
    pub error_code: i16,
    pub read: Option<PartitionRead>,
}

/// The broker's partitions and data path. Shared as `Arc<ReplicaManager>`.
pub struct ReplicaManager {
    pub config: ReplicaManagerConfig,
    clock: SharedClock,
    log_manager: Arc<LogManager>,
    metadata_cache: Arc<MetadataCache>,
    controller_epoch: Arc<ControllerEpochFence>,
    topic_config: TopicConfigProvider,
    alter_partition: Arc<dyn AlterPartitionSender>,
    partitions: RwLock<HashMap<TopicPartition, HostedPartition>>,
    fetchers: ReplicaFetcherManager,
    leadership_listeners: RwLock<Vec<LeadershipListener>>,
}

impl std::fmt::Debug for ReplicaManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicaManager")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ReplicaManager {
    pub fn new(
        config: ReplicaManagerConfig,
        clock: SharedClock,
        log_manager: Arc<LogManager>,
        metadata_cache: Arc<MetadataCache>,
        controller_epoch: Arc<ControllerEpochFence>,
        topic_config: TopicConfigProvider,
        alter_partition: Arc<dyn AlterPartitionSender>,
    ) -> Arc<ReplicaManager> {
        Arc::new_cyclic(|me| ReplicaManager {
            fetchers: ReplicaFetcherManager::new(
                config.broker_id,
                config.fetcher.clone(),
                me.clone(),
            ),
            config,
            clock,
            log_manager,
            metadata_cache,
            controller_epoch,
            topic_config,
            alter_partition,
            partitions: RwLock::new(HashMap::new()),
            leadership_listeners: RwLock::new(Vec::new()),
        })
    }

    /// Registers a listener for leadership changes (see [`LeadershipListener`]).
    pub fn add_leadership_listener(&self, listener: LeadershipListener) {
        self.leadership_listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    pub fn broker_id(&self) -> i32 {
        self.config.broker_id
    }
    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }
    pub fn log_manager(&self) -> &Arc<LogManager> {
        &self.log_manager
    }
    pub fn metadata_cache(&self) -> &Arc<MetadataCache> {
        &self.metadata_cache
    }
    pub fn fetcher_manager(&self) -> &ReplicaFetcherManager {
        &self.fetchers
    }

    /// The online partition, if hosted here.
    pub fn online_partition(&self, tp: &TopicPartition) -> Option<Arc<Partition>> {
        match self
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(tp)
        {
            Some(HostedPartition::Online(p)) => Some(p.clone()),
            _ => None,
        }
    }

    /// Every online partition.
    pub fn online_partitions(&self) -> Vec<Arc<Partition>> {
        self.partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|h| match h {
                HostedPartition::Online(p) => Some(p.clone()),
                HostedPartition::Offline => None,
            })
            .collect()
    }

    /// The partition, or the error Kafka answers for it: KAFKA_STORAGE_ERROR when offline,
    /// NOT_LEADER_OR_FOLLOWER when the topic exists but this broker does not host it,
    /// UNKNOWN_TOPIC_OR_PARTITION otherwise. Kafka: `ReplicaManager.getPartitionOrError`.
    pub fn partition_or_error(&self, tp: &TopicPartition) -> Result<Arc<Partition>, i16> {
        match self
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(tp)
        {
            Some(HostedPartition::Online(p)) => Ok(p.clone()),
            Some(HostedPartition::Offline) => Err(ResponseError::KafkaStorageError.code()),
            None if self.metadata_cache.contains_partition(tp) => {
                Err(ResponseError::NotLeaderOrFollower.code())
            }
            None => Err(ResponseError::UnknownTopicOrPartition.code()),
        }
    }

    fn partition_context(&self) -> PartitionContext {
        let cache = self.metadata_cache.clone();
        PartitionContext {
            local_broker_id: self.config.broker_id,
            clock: self.clock.clone(),
            replica_lag_time_max_ms: self.config.replica_lag_time_max_ms,
            alter_partition: self.alter_partition.clone(),
            is_broker_alive: Arc::new(move |id| cache.is_broker_alive(id)),
        }
    }

    /// The hosted partition, creating its log (with the topic's config overrides) if needed.
    /// Kafka: `ReplicaManager.getOrCreatePartition` + `Partition.createLogIfNotExists`.
    fn get_or_create_partition(
        &self,
        tp: &TopicPartition,
        topic_id: Option<[u8; 16]>,
    ) -> Result<Arc<Partition>, i16> {
        if let Some(h) = self
            .partitions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(tp)
        {
            return match h {
                HostedPartition::Online(p) => match (p.topic_id(), topic_id) {
                    (Some(have), Some(want)) if have != want => {
                        Err(ResponseError::InconsistentTopicId.code())
                    }
                    _ => Ok(p.clone()),
                },
                HostedPartition::Offline => Err(ResponseError::KafkaStorageError.code()),
            };
        }
        let overrides = (self.topic_config)(&tp.topic);
        let config = self.log_manager.base_config().with_overrides(&overrides).unwrap_or_else(|e| {
            tracing::warn!(partition = %tp, error = %e, "invalid topic config override ignored");
            self.log_manager.base_config()
        });
        let log = self
            .log_manager
            .get_or_create_log(tp, config, topic_id)
            .map_err(|e| {
                tracing::error!(partition = %tp, error = %e, "cannot create log");
                e.error_code()
            })?;
        if let (Some(have), Some(want)) = (log.topic_id(), topic_id) {
            if have != want {
                return Err(ResponseError::InconsistentTopicId.code());
            }
        }
        let p = Partition::new(
            tp.clone(),
            topic_id.or(log.topic_id()),
            log,
            self.partition_context(),
        );
        let mut map = self.partitions.write().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(tp.clone()).or_insert(HostedPartition::Online(p));
        match entry {
            HostedPartition::Online(p) => Ok(p.clone()),
            HostedPartition::Offline => Err(ResponseError::KafkaStorageError.code()),
        }
    }

    /// Applies a LeaderAndIsr request (the caller checked the broker epoch). Returns the
    /// per-partition error codes, or STALE_CONTROLLER_EPOCH for the whole request.
    /// Per partition: applied only if the leader epoch increases (equal or lower →
    /// STALE_CONTROLLER_EPOCH); this broker not in the replicas → UNKNOWN_TOPIC_OR_PARTITION;
    /// offline log dir → KAFKA_STORAGE_ERROR; topic id mismatch → INCONSISTENT_TOPIC_ID.
    /// Kafka: `ReplicaManager.becomeLeaderOrFollower`, `makeLeaders`, `makeFollowers`.
    pub fn become_leader_or_follower(
        &self,
        controller_epoch: i32,
        partitions: &[LeaderAndIsrPartition],
    ) -> Result<Vec<(TopicPartition, i16)>, i16> {
        let applied = self.controller_epoch.apply_if_current(controller_epoch, || {
            let mut results = Vec::with_capacity(partitions.len());
            let mut to_lead = Vec::new();
            let mut to_follow = Vec::new();
            for lp in partitions {
                let tp = &lp.topic_partition;
                let code = self.check_leader_and_isr_partition(lp).and_then(|()| {
                    self.check_existing_replica_dir(lp)?;
                    let p = self.get_or_create_partition(tp, lp.topic_id)?;
                    if lp.state.leader_epoch <= p.leader_epoch() {
                        tracing::info!(partition = %tp, request_epoch = lp.state.leader_epoch,
                            current_epoch = p.leader_epoch(), "ignoring LeaderAndIsr with a stale leader epoch");
                        return Err(ResponseError::StaleControllerEpoch.code());
                    }
                    if lp.state.leader == self.config.broker_id {
                        to_lead.push((p, lp.state.clone()));
                    } else {
                        to_follow.push((p, lp.state.clone()));
                    }
                    Ok(())
                });
                results.push((tp.clone(), code.err().unwrap_or(0)));
            }
            let mut codes: HashMap<TopicPartition, i16> = HashMap::new();
            // Kafka `makeLeaders`: stop fetching first, then become leader.
            let lead_tps: Vec<TopicPartition> =
                to_lead.iter().map(|(p, _)| p.topic_partition().clone()).collect();
            self.fetchers.remove_fetcher_for_partitions(&lead_tps);
            for (p, st) in &to_lead {
                if let Err(e) = p.make_leader(st) {
                    tracing::error!(partition = %p.topic_partition(), error = %e, "cannot become leader");
                    codes.insert(p.topic_partition().clone(), e.error_code());
                }
            }
            self.make_followers(&to_follow);
            for r in results.iter_mut() {
                if let Some(c) = codes.get(&r.0) {
                    r.1 = *c;
                }
            }
            let leaders: Vec<(TopicPartition, i32)> = to_lead
                .iter()
                .filter(|(p, _)| !codes.contains_key(p.topic_partition()))
                .map(|(p, st)| (p.topic_partition().clone(), st.leader_epoch))
                .collect();
            let followers: Vec<(TopicPartition, i32)> =
                to_follow.iter().map(|(p, st)| (p.topic_partition().clone(), st.leader_epoch)).collect();
            if !leaders.is_empty() || !followers.is_empty() {
                for l in self.leadership_listeners.read().unwrap_or_else(|e| e.into_inner()).iter() {
                    l(&leaders, &followers);
                }
            }
            results
        });
        applied.map_err(|e| {
            tracing::warn!("{e}");
            ResponseError::StaleControllerEpoch.code()
        })
    }

    fn check_leader_and_isr_partition(&self, lp: &LeaderAndIsrPartition) -> Result<(), i16> {
        if !lp.state.replicas.contains(&self.config.broker_id) {
            tracing::warn!(partition = %lp.topic_partition, replicas = ?lp.state.replicas,
                "ignoring LeaderAndIsr: this broker is not among the replicas");
            return Err(ResponseError::UnknownTopicOrPartition.code());
        }
        Ok(())
    }

    /// Kafka `makeFollowers`: adopt the new leader, stop the old fetchers, and start fetching
    /// from the new leader at our log end offset (truncation happens through the fetch
    /// protocol's divergingEpoch). A leader with no live endpoint is not fetched from yet.
    fn make_followers(&self, to_follow: &[(Arc<Partition>, LeaderAndIsrState)]) {
        let mut restart = Vec::new();
        for (p, st) in to_follow {
            if p.make_follower(st) {
                restart.push((p.clone(), st.leader, st.leader_epoch));
            }
        }
        let tps: Vec<TopicPartition> = restart
            .iter()
            .map(|(p, _, _)| p.topic_partition().clone())
            .collect();
        self.fetchers.remove_fetcher_for_partitions(&tps);
        let mut initial = Vec::new();
        for (p, leader, epoch) in restart {
            let Some(node) = self
                .metadata_cache
                .alive_broker_node(leader, &self.config.inter_broker_listener_name)
            else {
                tracing::warn!(partition = %p.topic_partition(), leader,
                    "leader has no live endpoint on the inter-broker listener; not fetching yet");
                continue;
            };
            initial.push(InitialFetchState {
                topic_partition: p.topic_partition().clone(),
                topic_id: p.topic_id(),
                leader_id: leader,
                leader_host: node.host.clone(),
                leader_port: node.port,
                current_leader_epoch: epoch,
                init_offset: p.log_end_offset(),
            });
        }
        self.fetchers.add_fetcher_for_partitions(initial);
    }

    /// Applies a StopReplica request: stops fetching and, with `delete`, removes the partition
    /// and schedules its log for deletion. A leader epoch older than ours is refused with
    /// FENCED_LEADER_EPOCH (-1 = unknown and -2 = topic being deleted always apply).
    /// Kafka: `ReplicaManager.stopReplicas`, `stopPartitions`.
    pub fn stop_replicas(
        &self,
        controller_epoch: i32,
        partitions: &[(TopicPartition, i32, bool)],
    ) -> Result<Vec<(TopicPartition, i16)>, i16> {
        let applied = self
            .controller_epoch
            .apply_if_current(controller_epoch, || {
                let mut results = Vec::with_capacity(partitions.len());
                let mut to_stop = Vec::new();
                for (tp, leader_epoch, delete) in partitions {
                    let hosted = self
                        .partitions
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(tp)
                        .cloned();
                    let code = match hosted {
                        Some(HostedPartition::Offline) => ResponseError::KafkaStorageError.code(),
                        Some(HostedPartition::Online(p)) => {
                            if *leader_epoch == -2
                                || *leader_epoch == -1
                                || *leader_epoch >= p.leader_epoch()
                            {
                                to_stop.push((tp.clone(), *delete));
                                0
                            } else {
                                ResponseError::FencedLeaderEpoch.code()
                            }
                        }
                        None => {
                            to_stop.push((tp.clone(), *delete));
                            0
                        }
                    };
                    results.push((tp.clone(), code));
                }
                let tps: Vec<TopicPartition> = to_stop.iter().map(|(tp, _)| tp.clone()).collect();
                self.fetchers.remove_fetcher_for_partitions(&tps);
                // Kafka `handleStopReplicaRequest`: stopped coordinator partitions resign
                // (reported as no longer led, with their request leader epochs).
                let stopped: Vec<(TopicPartition, i32)> = partitions
                    .iter()
                    .filter(|(tp, _, _)| tps.contains(tp))
                    .map(|(tp, epoch, _)| (tp.clone(), *epoch))
                    .collect();
                if !stopped.is_empty() {
                    for l in self
                        .leadership_listeners
                        .read()
                        .unwrap_or_else(|e| e.into_inner())
                        .iter()
                    {
                        l(&[], &stopped);
                    }
                }
                let mut codes = HashMap::new();
                for (tp, delete) in to_stop {
                    if !delete {
                        continue;
                    }
                    let removed = self
                        .partitions
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .remove(&tp);
                    if let Some(HostedPartition::Online(p)) = removed {
                        p.resign();
                    }
                    if let Err(e) = self.log_manager.async_delete(&tp) {
                        tracing::error!(partition = %tp, error = %e, "cannot delete log");
                        codes.insert(tp, e.error_code());
                    }
                }
                for r in results.iter_mut() {
                    if let Some(c) = codes.get(&r.0) {
                        r.1 = *c;
                    }
                }
                results
            });
        applied.map_err(|e| {
            tracing::warn!("{e}");
            ResponseError::StaleControllerEpoch.code()
        })
    }

    /// A replica that is not new (`is_new` false in LeaderAndIsr) whose log is not on any live
    /// dir may be in a failed one: creating an empty log elsewhere would lose its data, so
    /// Kafka refuses. Kafka: `LogManager.getOrCreateLog` ("Can not create log for ... because
    /// log directories ... are offline").
    fn check_existing_replica_dir(&self, lp: &LeaderAndIsrPartition) -> Result<(), i16> {
        let offline = self.log_manager.failure_channel().offline_dirs();
        if lp.state.is_new || offline.is_empty() {
            return Ok(());
        }
        if self.log_manager.get_log(&lp.topic_partition).is_some() {
            return Ok(());
        }
        tracing::error!(partition = %lp.topic_partition, ?offline,
            "Can not create log because log directories are offline");
        Err(ResponseError::KafkaStorageError.code())
    }

    /// Marks every partition of a failed log dir offline. Kafka: `ReplicaManager.handleLogDirFailure`.
    pub fn handle_log_dir_failure(&self, dir: &std::path::Path) {
        let gone = self.log_manager.handle_log_dir_failure(dir);
        self.fetchers.remove_fetcher_for_partitions(&gone);
        let mut map = self.partitions.write().unwrap_or_else(|e| e.into_inner());
        for tp in gone {
            if let Some(HostedPartition::Online(p)) = map.insert(tp, HostedPartition::Offline) {
                p.resign();
            }
        }
    }

    /// Appends a produce request's partitions. With acks=-1 waits (up to `timeout_ms`) until
    /// the HW passes each appended batch; partitions still waiting at the deadline answer
    /// REQUEST_TIMED_OUT. `required_acks` must already be one of 0, 1, -1.
    /// Kafka: `ReplicaManager.appendRecords`, `appendToLocalLog`, `DelayedProduce`.
    pub async fn append_records(
        &self,
        timeout_ms: i64,
        required_acks: i16,
        entries: Vec<(TopicPartition, Bytes)>,
    ) -> Vec<(TopicPartition, ProducePartitionResult)> {
        // Every partition's append runs in one blocking task (file writes stay off the async
        // workers; one hop per request, not per partition).
        let lookups: Vec<(TopicPartition, Result<Arc<Partition>, i16>, Bytes)> = entries
            .into_iter()
            .map(|(tp, records)| {
                let p = self.partition_or_error(&tp);
                (tp, p, records)
            })
            .collect();
        let tps: Vec<TopicPartition> = lookups.iter().map(|(tp, _, _)| tp.clone()).collect();
        let appended = tokio::task::spawn_blocking(move || {
            lookups
                .into_iter()
                .map(|(tp, p, records)| {
                    let r = p.map(|p| {
                        let r = p.append_records_to_leader(&records, required_acks);
                        (p, r)
                    });
                    (tp, r)
                })
                .collect::<Vec<_>>()
        })
        .await;
        let appended = match appended {
            Ok(a) => a,
            Err(join) => {
                tracing::error!(error = %join, "append task failed");
                let message = format!("append task failed: {join}");
                return tps
                    .into_iter()
                    .map(|tp| {
                        let code = ResponseError::UnknownServerError.code();
                        (
                            tp,
                            ProducePartitionResult::error(code, Some(message.clone())),
                        )
                    })
                    .collect();
            }
        };
        let mut results = Vec::with_capacity(appended.len());
        // (index in results, partition, offset the HW must reach)
        let mut waiting: Vec<(usize, Arc<Partition>, i64)> = Vec::new();
        for (tp, r) in appended {
            let result = match r {
                Err(code) => ProducePartitionResult::error(code, None),
                Ok((partition, Ok(info))) => {
                    if required_acks == -1 {
                        waiting.push((results.len(), partition, info.last_offset + 1));
                    }
                    ProducePartitionResult {
                        error_code: 0,
                        error_message: None,
                        base_offset: info.first_offset,
                        log_append_time_ms: info.log_append_time,
                        log_start_offset: info.log_start_offset,
                    }
                }
                Ok((_, Err(e))) => {
                    log_append_error(&tp, &e);
                    ProducePartitionResult::error(e.error_code(), Some(e.to_string()))
                }
            };
            results.push((tp, result));
        }
        if waiting.is_empty() {
            return results;
        }
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(timeout_ms.max(0) as u64);
        let parts: Vec<Arc<Partition>> = waiting.iter().map(|(_, p, _)| p.clone()).collect();
        let mut done: Vec<Option<i16>> = vec![None; waiting.len()];
        wait_until(&parts, deadline, || {
            for (i, (_, p, required)) in waiting.iter().enumerate() {
                if done[i].is_none() {
                    done[i] = p.check_enough_replicas_reach_offset(*required);
                }
            }
            done.iter().all(Option::is_some).then_some(())
        })
        .await;
        for (i, (idx, _, _)) in waiting.iter().enumerate() {
            let code = done[i].unwrap_or(ResponseError::RequestTimedOut.code());
            if code != 0 {
                let r = &mut results[*idx].1;
                r.error_code = code;
                r.error_message = None;
                if code == ResponseError::RequestTimedOut.code() {
                    r.base_offset = -1;
                }
            }
        }
        results
    }

    /// Reads a fetch request's partitions, waiting up to `max_wait_ms` for `min_bytes`.
    /// Kafka: `ReplicaManager.fetchMessages`, `readFromLocalLog`, `DelayedFetch`.
    pub async fn fetch_messages(
        self: &Arc<Self>,
        params: &FetchParams,
        partitions: &[FetchPartitionRequest],
    ) -> Vec<FetchPartitionResult> {
        let first = self.read_blocking(params, partitions).await;
        let bytes: usize = first.iter().map(result_bytes).sum();
        let must_answer = params.max_wait_ms <= 0
            || partitions.is_empty()
            || bytes >= params.min_bytes
            || first.iter().any(|r| {
                r.error_code != 0 || r.read.as_ref().is_some_and(|d| d.diverging_epoch.is_some())
            });
        if must_answer {
            return first;
        }
        let hosted: Vec<Arc<Partition>> = partitions
            .iter()
            .filter_map(|p| self.online_partition(&p.topic_partition))
            .collect();
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(params.max_wait_ms as u64);
        // Kafka `DelayedFetch.tryComplete` estimates the bytes available from offsets; we
        // re-check the cheap condition (offsets moved past the fetch position) and only read
        // again when it holds.
        // `Some(true)`: answer now whatever the byte count (leadership moved, or a follower
        // must learn a new HW); `Some(false)`: data arrived.
        let mut answer_now = wait_until(&hosted, deadline, || {
            let available: i64 = partitions
                .iter()
                .filter_map(|fp| {
                    let p = self.online_partition(&fp.topic_partition)?;
                    let end = if params.replica_id.is_some() {
                        p.log_end_offset()
                    } else {
                        p.high_watermark()
                    };
                    Some((end - fp.fetch_offset).max(0))
                })
                .sum();
            let leadership_changed = partitions.iter().any(|fp| {
                self.online_partition(&fp.topic_partition)
                    .is_none_or(|p| !p.is_leader())
            });
            // Kafka `DelayedFetch` case H: a follower whose last response carried an older
            // HW is answered now, so followers learn the HW without waiting for new data.
            let follower_hw_behind = params.replica_id.is_some_and(|id| {
                partitions.iter().any(|fp| {
                    self.online_partition(&fp.topic_partition)
                        .is_some_and(|p| p.follower_needs_hw_update(id))
                })
            });
            if leadership_changed || follower_hw_behind {
                Some(true)
            } else {
                (available > 0).then_some(false)
            }
        })
        .await
        .unwrap_or(true);
        loop {
            let again = self.read_blocking(params, partitions).await;
            let bytes: usize = again.iter().map(result_bytes).sum();
            if answer_now || bytes >= params.min_bytes || tokio::time::Instant::now() >= deadline {
                return again;
            }
            // Data arrived but less than min_bytes: wait for the next change or the deadline.
            answer_now = !wait_for_change(&hosted, deadline).await;
        }
    }

    /// [`Self::read_from_local_log`] on a blocking thread: segment reads are `pread`s, kept
    /// off the async workers (DESIGN §4).
    async fn read_blocking(
        self: &Arc<Self>,
        params: &FetchParams,
        partitions: &[FetchPartitionRequest],
    ) -> Vec<FetchPartitionResult> {
        let (me, params, parts) = (self.clone(), params.clone(), partitions.to_vec());
        match tokio::task::spawn_blocking(move || me.read_from_local_log(&params, &parts)).await {
            Ok(r) => r,
            Err(join) => {
                tracing::error!(error = %join, "fetch task failed");
                let code = ResponseError::UnknownServerError.code();
                partitions
                    .iter()
                    .map(|_| FetchPartitionResult {
                        error_code: code,
                        read: None,
                    })
                    .collect()
            }
        }
    }

    /// One pass over the partitions: the response budget shrinks by what each read returned,
    /// and only the first non-empty partition may exceed it (KIP-74). Kafka: `readFromLocalLog`.
    fn read_from_local_log(
        &self,
        params: &FetchParams,
        partitions: &[FetchPartitionRequest],
    ) -> Vec<FetchPartitionResult> {
        let mut limit = params.max_bytes;
        let mut min_one = true;
        let mut out = Vec::with_capacity(partitions.len());
        for fp in partitions {
            let partition = match self.partition_or_error(&fp.topic_partition) {
                Ok(p) => p,
                Err(code) => {
                    out.push(FetchPartitionResult {
                        error_code: code,
                        read: None,
                    });
                    continue;
                }
            };
            let req = FetchPartitionParams {
                fetch_offset: fp.fetch_offset,
                current_leader_epoch: fp.current_leader_epoch,
                last_fetched_epoch: fp.last_fetched_epoch,
                log_start_offset: fp.log_start_offset,
                max_bytes: fp.partition_max_bytes.min(limit),
                min_one_batch: min_one,
                replica_id: params.replica_id,
                read_committed: params.read_committed,
            };
            match partition.fetch_records(&req) {
                Ok(read) => {
                    let n = read.records.len();
                    if n > 0 {
                        min_one = false;
                    }
                    limit = limit.saturating_sub(n);
                    out.push(FetchPartitionResult {
                        error_code: 0,
                        read: Some(read),
                    });
                }
                Err(e) => {
                    if !matches!(e, PartitionError::Log(LogError::OffsetOutOfRange { .. })) {
                        tracing::debug!(partition = %fp.topic_partition, error = %e, "fetch failed");
                    }
                    // Kafka answers an error partition with HW, LSO and log start offset -1
                    // (`ReplicaManager.createLogReadResult`); followers ask ListOffsets.
                    out.push(FetchPartitionResult {
                        error_code: e.error_code(),
                        read: None,
                    });
                }
            }
        }
        out
    }

    /// Forgets producers idle for `producer.id.expiration.ms` (86400000) on every partition,
    /// every `producer.id.expiration.check.interval.ms` (600000). Kafka:
    /// `LogManager` scheduling `PeriodicProducerExpirationCheck` → `removeExpiredProducers`.
    pub fn start_producer_expiration(
        self: &Arc<Self>,
        expiration_ms: i64,
        check_interval_ms: u64,
    ) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(check_interval_ms.max(1)));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(rm) = weak.upgrade() else { break };
                let now = rm.clock.milliseconds();
                for p in rm.online_partitions() {
                    p.producers().remove_expired_producers(now, expiration_ms);
                }
            }
        })
    }

    /// Starts the periodic ISR-expiration check (every `replica.lag.time.max.ms / 2`).
    /// Kafka: `ReplicaManager.startup` scheduling `isr-expiration`.
    pub fn start_isr_expiration(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let weak = Arc::downgrade(self);
        let period = Duration::from_millis((self.config.replica_lag_time_max_ms / 2).max(1) as u64);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(rm) = weak.upgrade() else { break };
                rm.maybe_shrink_isr();
            }
        })
    }

    /// One ISR-expiration pass over the partitions this broker leads. Kafka: `maybeShrinkIsr`.
    pub fn maybe_shrink_isr(&self) {
        for p in self.online_partitions() {
            if p.is_leader() {
                p.maybe_shrink_isr();
            }
        }
    }

    /// Stops fetchers and writes producer snapshots (the log manager flushes and writes the
    /// checkpoints). Kafka: `ReplicaManager.shutdown`.
    pub async fn shutdown(&self) {
        self.fetchers.shutdown().await;
        for p in self.online_partitions() {
            p.take_producer_snapshot();
        }
    }
}

fn result_bytes(r: &FetchPartitionResult) -> usize {
    r.read.as_ref().map_or(0, |d| d.records.len())
}

fn log_append_error(tp: &TopicPartition, e: &PartitionError) {
    match e {
        PartitionError::NotLeaderOrFollower { .. } | PartitionError::NotEnoughReplicas { .. } => {
            tracing::debug!(partition = %tp, error = %e, "produce refused")
        }
        _ => tracing::info!(partition = %tp, error = %e, "produce refused"),
    }
}
