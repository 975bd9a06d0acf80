//! Replica fetchers: a follower pulls its partitions from their leaders with Fetch requests
//! carrying its broker id, appends the leader's batches as they are, learns the high
//! watermark and log start offset from the responses, and truncates when the leader says its
//! log diverged (Fetch v12+ `divergingEpoch`, answered from `lastFetchedEpoch`).
//! Kafka: `AbstractFetcherManager`, `AbstractFetcherThread`, `ReplicaFetcherThread`.
//!
//! One tokio task per (leader broker, fetcher id); a partition's fetcher id is
//! `abs(31 * javaHash(topic) + partition) % num.replica.fetchers` (Kafka `getFetcherId`).
//! Each task owns one connection to its leader and one in-flight request.

pub mod client;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic, ReplicaState};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{
    BrokerId, FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::Notify;
use uuid::Uuid;

use self::client::{BrokerConnection, ClientError};
use super::replica_manager::ReplicaManager;
use super::state_change_workers::map_in_parallel;
use crate::cluster::partition::{UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};
use crate::cluster::{Partition, TopicPartition};
use crate::protocol::errors::ResponseError;

/// Replica fetcher settings (Kafka key and default in each doc; `KafkaConfig`).
#[derive(Debug, Clone)]
pub struct FetcherConfig {
    /// `num.replica.fetchers` (1).
    pub num_replica_fetchers: usize,
    /// `replica.fetch.wait.max.ms` (500).
    pub replica_fetch_wait_max_ms: i32,
    /// `replica.fetch.min.bytes` (1).
    pub replica_fetch_min_bytes: i32,
    /// `replica.fetch.max.bytes` (1048576), per partition.
    pub replica_fetch_max_bytes: i32,
    /// `replica.fetch.response.max.bytes` (10485760).
    pub replica_fetch_response_max_bytes: i32,
    /// `replica.fetch.backoff.ms` (1000): pause after an error.
    pub replica_fetch_backoff_ms: u64,
    /// `replica.socket.timeout.ms` (30000).
    pub replica_socket_timeout_ms: u64,
    /// How to reach leaders on the inter-broker listener (TLS, SASL); plain TCP by default.
    pub inter_broker_client:
        std::sync::Arc<crate::security::inter_broker_client::InterBrokerClientConfig>,
}

impl Default for FetcherConfig {
    fn default() -> Self {
        FetcherConfig {
            num_replica_fetchers: 1,
            replica_fetch_wait_max_ms: 500,
            replica_fetch_min_bytes: 1,
            replica_fetch_max_bytes: 1_048_576,
            replica_fetch_response_max_bytes: 10_485_760,
            replica_fetch_backoff_ms: 1_000,
            replica_socket_timeout_ms: 30_000,
            inter_broker_client: Default::default(),
        }
    }
}

/// Where a follower starts fetching a partition. Kafka: `InitialFetchState`.
#[derive(Debug, Clone)]
pub struct InitialFetchState {
    pub topic_partition: TopicPartition,
    pub topic_id: Option<[u8; 16]>,
    pub leader_id: i32,
    pub leader_host: String,
    pub leader_port: i32,
    pub current_leader_epoch: i32,
    pub init_offset: i64,
}

/// A partition's fetch position. Kafka: `PartitionFetchState`.
#[derive(Debug, Clone)]
struct PartitionFetchState {
    topic_id: Option<[u8; 16]>,
    fetch_offset: i64,
    current_leader_epoch: i32,
    /// Skip this partition until then (after an error), in `Instant` terms.
    delayed_until: Option<tokio::time::Instant>,
}

type FetcherKey = (i32, usize);

struct FetcherHandle {
    leader_host: String,
    leader_port: i32,
    partitions: Arc<Mutex<BTreeMap<TopicPartition, PartitionFetchState>>>,
    /// Wakes an idle fetcher when partitions are added; tells it to stop when `stop` is set.
    wake: Arc<Notify>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

/// Owns the fetcher tasks. Kafka: `ReplicaFetcherManager`.
pub struct ReplicaFetcherManager {
    broker_id: i32,
    config: FetcherConfig,
    replica_manager: Weak<ReplicaManager>,
    fetchers: Mutex<HashMap<FetcherKey, FetcherHandle>>,
}

/// Java's `String.hashCode`, for Kafka's fetcher id.
fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32))
}

/// Kafka `AbstractFetcherManager.getFetcherId`: `Utils.abs(31 * topic.hashCode() + partition) % n`.
pub fn fetcher_id(tp: &TopicPartition, num_fetchers: usize) -> usize {
    let h = java_string_hash(&tp.topic)
        .wrapping_mul(31)
        .wrapping_add(tp.partition);
    // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 (h & 0x7fffffff).
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    abs as usize % num_fetchers.max(1)
}

impl ReplicaFetcherManager {
    pub fn new(
        broker_id: i32,
        config: FetcherConfig,
        replica_manager: Weak<ReplicaManager>,
    ) -> ReplicaFetcherManager {
        ReplicaFetcherManager {
            broker_id,
            config,
            replica_manager,
            fetchers: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FetcherKey, FetcherHandle>> {
        self.fetchers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts fetching each partition from its leader. Kafka: `addFetcherForPartitions`.
    pub fn add_fetcher_for_partitions(&self, partitions: Vec<InitialFetchState>) {
        if partitions.is_empty() {
            return;
        }
        let mut fetchers = self.lock();
        for init in partitions {
            let key = (
                init.leader_id,
                fetcher_id(&init.topic_partition, self.config.num_replica_fetchers),
            );
            let stale = fetchers.get(&key).is_some_and(|h| {
                h.leader_host != init.leader_host || h.leader_port != init.leader_port
            });
            if stale {
                // The leader broker moved to another endpoint: start over with a new task.
                if let Some(h) = fetchers.remove(&key) {
                    h.stop.store(true, std::sync::atomic::Ordering::Release);
                    h.wake.notify_one();
                }
            }
            let handle = fetchers
                .entry(key)
                .or_insert_with(|| self.spawn_fetcher(key, &init));
            handle
                .partitions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(
                    init.topic_partition.clone(),
                    PartitionFetchState {
                        topic_id: init.topic_id,
                        fetch_offset: init.init_offset,
                        current_leader_epoch: init.current_leader_epoch,
                        delayed_until: None,
                    },
                );
            handle.wake.notify_one();
            tracing::info!(partition = %init.topic_partition, leader = init.leader_id,
                offset = init.init_offset, epoch = init.current_leader_epoch, "added fetcher");
        }
    }

    /// Stops fetching these partitions. Kafka: `removeFetcherForPartitions`.
    pub fn remove_fetcher_for_partitions(&self, partitions: &[TopicPartition]) {
        if partitions.is_empty() {
            return;
        }
        let mut fetchers = self.lock();
        for h in fetchers.values() {
            let mut parts = h.partitions.lock().unwrap_or_else(|e| e.into_inner());
            for tp in partitions {
                parts.remove(tp);
            }
        }
        // Kafka `shutdownIdleFetcherThreads`.
        let idle: Vec<FetcherKey> = fetchers
            .iter()
            .filter(|(_, h)| {
                h.partitions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_empty()
            })
            .map(|(k, _)| *k)
            .collect();
        for k in idle {
            if let Some(h) = fetchers.remove(&k) {
                h.stop.store(true, std::sync::atomic::Ordering::Release);
                h.wake.notify_one();
            }
        }
    }

    /// The fetch offset of a partition, if some fetcher has it (tests, diagnostics).
    pub fn fetch_offset(&self, tp: &TopicPartition) -> Option<i64> {
        self.lock().values().find_map(|h| {
            h.partitions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(tp)
                .map(|s| s.fetch_offset)
        })
    }

    /// Stops every fetcher and waits for them. Kafka: `closeAllFetchers`.
    pub async fn shutdown(&self) {
        let handles: Vec<FetcherHandle> = self.lock().drain().map(|(_, h)| h).collect();
        for h in &handles {
            h.stop.store(true, std::sync::atomic::Ordering::Release);
            h.wake.notify_one();
        }
        for h in handles {
            h.task.abort();
            let _ = h.task.await;
        }
    }

    fn spawn_fetcher(&self, key: FetcherKey, init: &InitialFetchState) -> FetcherHandle {
        let partitions = Arc::new(Mutex::new(BTreeMap::new()));
        let wake = Arc::new(Notify::new());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let fetcher = ReplicaFetcher {
            broker_id: self.broker_id,
            leader_id: key.0,
            leader_host: init.leader_host.clone(),
            leader_port: init.leader_port,
            client_id: format!("ReplicaFetcherThread-{}-{}", key.1, key.0),
            config: self.config.clone(),
            partitions: partitions.clone(),
            wake: wake.clone(),
            stop: stop.clone(),
            replica_manager: self.replica_manager.clone(),
        };
        let task = tokio::spawn(fetcher.run());
        FetcherHandle {
            leader_host: init.leader_host.clone(),
            leader_port: init.leader_port,
            partitions,
            wake,
            stop,
            task,
        }
    }
}

/// One fetcher task. Kafka: `ReplicaFetcherThread`.
struct ReplicaFetcher {
    broker_id: i32,
    leader_id: i32,
    leader_host: String,
    leader_port: i32,
    client_id: String,
    config: FetcherConfig,
    partitions: Arc<Mutex<BTreeMap<TopicPartition, PartitionFetchState>>>,
    wake: Arc<Notify>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    replica_manager: Weak<ReplicaManager>,
}

/// Fetch version a 3.9 follower sends (IBP 3.9 → Fetch v17; v16 has the same fields for us
/// minus ReplicaDirectoryId, which only JBOD-on-KRaft uses). Topics without an id need v12.
const FETCH_VERSION_WITH_IDS: i16 = 16;
const FETCH_VERSION_NAMES: i16 = 12;

/// One partition's data from a fetch response, to append as the follower.
struct FollowerAppend {
    partition: Arc<Partition>,
    sent: PartitionFetchState,
    records: Bytes,
    high_watermark: i64,
    leader_log_start: i64,
}

impl FollowerAppend {
    /// Appends, then HW := min(leader HW, LEO) and log start := max(ours, leader's). Returns
    /// the next fetch offset if batches were appended. Kafka:
    /// `ReplicaFetcherThread.processPartitionData`.
    fn apply(&self) -> Result<Option<i64>, String> {
        let p = &self.partition;
        // Kafka: `ReplicaFetcherThread.processPartitionData` ("Offset mismatch for partition"):
        // data fetched from another offset than our log end would leave a gap or overlap.
        let log_end = p.log().log_end_offset();
        if !self.records.is_empty() && log_end != self.sent.fetch_offset {
            return Err(format!(
                "Offset mismatch for partition {}: fetched offset = {}, log end offset = {}.",
                p.topic_partition(),
                self.sent.fetch_offset,
                log_end
            ));
        }
        let appended = if self.records.is_empty() {
            None
        } else {
            Some(
                p.append_records_to_follower(&self.records)
                    .map_err(|e| e.to_string())?,
            )
        };
        let log = p.log();
        log.update_high_watermark(self.high_watermark.min(log.log_end_offset()));
        if self.leader_log_start >= 0 {
            log.follow_leader_log_start_offset(self.leader_log_start)
                .map_err(|e| e.to_string())?;
        }
        Ok(appended
            .filter(|i| i.last_offset >= 0)
            .map(|i| i.last_offset + 1))
    }
}

impl ReplicaFetcher {
    fn stopped(&self) -> bool {
        self.stop.load(std::sync::atomic::Ordering::Acquire)
    }

    fn parts(&self) -> std::sync::MutexGuard<'_, BTreeMap<TopicPartition, PartitionFetchState>> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn run(self) {
        let socket_timeout = Duration::from_millis(self.config.replica_socket_timeout_ms);
        let backoff = Duration::from_millis(self.config.replica_fetch_backoff_ms);
        let mut conn: Option<BrokerConnection> = None;
        while !self.stopped() {
            let now = tokio::time::Instant::now();
            let ready: Vec<(TopicPartition, PartitionFetchState)> = self
                .parts()
                .iter()
                .filter(|(_, s)| s.delayed_until.is_none_or(|t| t <= now))
                .map(|(tp, s)| (tp.clone(), s.clone()))
                .collect();
            if ready.is_empty() {
                let _ = tokio::time::timeout(backoff, self.wake.notified()).await;
                continue;
            }
            if conn.is_none() {
                match BrokerConnection::connect(
                    self.leader_id,
                    &self.leader_host,
                    self.leader_port,
                    self.client_id.clone(),
                    socket_timeout,
                    &self.config.inter_broker_client,
                )
                .await
                {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(leader = self.leader_id, error = %e, "replica fetcher cannot connect");
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            if let Err(e) = self.fetch_once(c, &ready).await {
                tracing::warn!(leader = self.leader_id, error = %e, "replica fetch failed");
                conn = None;
                tokio::time::sleep(backoff).await;
            }
        }
        tracing::debug!(leader = self.leader_id, "replica fetcher stopped");
    }

    fn build_request(
        &self,
        ready: &[(TopicPartition, PartitionFetchState)],
        rm: &ReplicaManager,
    ) -> (i16, FetchRequest) {
        let version = if ready.iter().all(|(_, s)| s.topic_id.is_some()) {
            FETCH_VERSION_WITH_IDS
        } else {
            FETCH_VERSION_NAMES
        };
        let mut topics: Vec<FetchTopic> = Vec::new();
        for (tp, s) in ready {
            let partition = rm.online_partition(tp);
            let last_fetched_epoch = partition
                .as_ref()
                .and_then(|p| p.log().latest_epoch())
                .unwrap_or(UNDEFINED_EPOCH);
            let log_start = partition
                .as_ref()
                .map_or(-1, |p| p.log().log_start_offset());
            let fp = FetchPartition::default()
                .with_partition(tp.partition)
                .with_current_leader_epoch(s.current_leader_epoch)
                .with_fetch_offset(s.fetch_offset)
                .with_last_fetched_epoch(last_fetched_epoch)
                .with_log_start_offset(log_start)
                .with_partition_max_bytes(self.config.replica_fetch_max_bytes);
            let same_topic = topics.last_mut().filter(|t| t.topic.0.as_str() == tp.topic);
            match same_topic {
                Some(t) => t.partitions.push(fp),
                None => topics.push(
                    FetchTopic::default()
                        .with_topic(TopicName(StrBytes::from_string(tp.topic.clone())))
                        .with_topic_id(Uuid::from_bytes(s.topic_id.unwrap_or([0; 16])))
                        .with_partitions(vec![fp]),
                ),
            }
        }
        let mut req = FetchRequest::default()
            .with_max_wait_ms(self.config.replica_fetch_wait_max_ms)
            .with_min_bytes(self.config.replica_fetch_min_bytes)
            .with_max_bytes(self.config.replica_fetch_response_max_bytes)
            .with_isolation_level(0)
            .with_session_id(0)
            .with_session_epoch(-1)
            .with_topics(topics);
        if version >= 15 {
            req.replica_state = ReplicaState::default()
                .with_replica_id(BrokerId(self.broker_id))
                .with_replica_epoch(-1);
        } else {
            req.replica_id = BrokerId(self.broker_id);
        }
        (version, req)
    }

    async fn fetch_once(
        &self,
        c: &mut BrokerConnection,
        ready: &[(TopicPartition, PartitionFetchState)],
    ) -> Result<(), ClientError> {
        let Some(rm) = self.replica_manager.upgrade() else {
            self.stop.store(true, std::sync::atomic::Ordering::Release);
            return Ok(());
        };
        let (version, req) = self.build_request(ready, &rm);
        let wait = Duration::from_millis(self.config.replica_fetch_wait_max_ms.max(0) as u64);
        let resp: FetchResponse = c.request(version, &req, wait).await?;
        if resp.error_code != 0 {
            tracing::warn!(
                leader = self.leader_id,
                code = resp.error_code,
                "fetch request failed"
            );
            tokio::time::sleep(Duration::from_millis(self.config.replica_fetch_backoff_ms)).await;
            return Ok(());
        }
        let by_id: HashMap<[u8; 16], String> = ready
            .iter()
            .filter_map(|(tp, s)| s.topic_id.map(|id| (id, tp.topic.clone())))
            .collect();
        let sent_states: HashMap<&TopicPartition, &PartitionFetchState> =
            ready.iter().map(|(tp, s)| (tp, s)).collect();
        let mut appends: Vec<FollowerAppend> = Vec::new();
        for topic in resp.responses {
            let name = if version >= 13 {
                match by_id.get(topic.topic_id.as_bytes()) {
                    Some(n) => n.clone(),
                    None => continue,
                }
            } else {
                topic.topic.0.to_string()
            };
            for pd in topic.partitions {
                let tp = TopicPartition::new(name.clone(), pd.partition_index);
                let Some(sent) = sent_states.get(&tp).map(|s| (*s).clone()) else {
                    continue;
                };
                // The partition may have been removed, re-added at a new leader epoch or
                // truncated while this fetch was in flight: then the response answers a
                // request that no longer exists and is dropped. Kafka:
                // `AbstractFetcherThread.processFetchRequest` ("only process the fetch response
                // if ... the current offset is the same as the offset requested").
                if !self.still_current(&tp, &sent) {
                    continue;
                }
                let Some(partition) = rm.online_partition(&tp) else {
                    continue;
                };
                let diverging = pd.diverging_epoch.epoch != UNDEFINED_EPOCH
                    || pd.diverging_epoch.end_offset != UNDEFINED_EPOCH_OFFSET;
                if pd.error_code == 0 && !diverging {
                    appends.push(FollowerAppend {
                        partition,
                        sent,
                        records: pd.records.unwrap_or_default(),
                        high_watermark: pd.high_watermark,
                        leader_log_start: pd.log_start_offset,
                    });
                } else {
                    self.process_partition(c, &partition, &sent, pd).await;
                }
            }
        }
        self.append_fetched(appends).await;
        Ok(())
    }

    /// Appends the fetched data of every partition of one response, in parallel: the first
    /// batch of a new leader epoch fsyncs the partition's leader-epoch checkpoint (Kafka:
    /// `LeaderEpochFileCache.assign` on the follower's append), and after a failover every
    /// moved partition does that at once while acks=all producers wait for this follower.
    /// Kafka: `AbstractFetcherThread.processFetchRequest` → `processPartitionData`.
    async fn append_fetched(&self, appends: Vec<FollowerAppend>) {
        if appends.is_empty() {
            return;
        }
        let work: Vec<(FollowerAppend, Result<Option<i64>, String>)> =
            match tokio::task::spawn_blocking(move || {
                let outcomes = map_in_parallel(&appends, FollowerAppend::apply);
                appends.into_iter().zip(outcomes).collect()
            })
            .await
            {
                Ok(w) => w,
                Err(e) => {
                    tracing::error!(leader = self.leader_id, error = %e, "follower append task failed");
                    return;
                }
            };
        for (a, outcome) in work {
            let tp = a.partition.topic_partition();
            match outcome {
                // The log moved to `next` whatever happened to the fetch state meanwhile, so a
                // state re-added at the offset this data was fetched from (a LeaderAndIsr that
                // raced the append) moves with it; otherwise its next fetch would ask for
                // offsets the log already has and every append would fail as out of order.
                Ok(Some(next)) => self.advance_after_append(tp, &a.sent, next),
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(partition = %tp, error = %e, "follower append failed");
                    self.delay(tp, &a.sent);
                }
            }
        }
    }

    /// Updates the shared state only if nobody changed it since the request was built
    /// (Kafka checks `currentFetchState.fetchOffset == requestFetchState.fetchOffset`).
    fn update_state(
        &self,
        tp: &TopicPartition,
        sent: &PartitionFetchState,
        f: impl FnOnce(&mut PartitionFetchState),
    ) {
        let mut parts = self.parts();
        if let Some(s) = parts.get_mut(tp) {
            if s.fetch_offset == sent.fetch_offset
                && s.current_leader_epoch == sent.current_leader_epoch
            {
                f(s);
            }
        }
    }

    /// Whether the partition is still fetched from where, and at the epoch, `sent` asked.
    fn still_current(&self, tp: &TopicPartition, sent: &PartitionFetchState) -> bool {
        self.parts().get(tp).is_some_and(|s| {
            s.fetch_offset == sent.fetch_offset
                && s.current_leader_epoch == sent.current_leader_epoch
        })
    }

    /// After data fetched from `sent.fetch_offset` was appended: the state fetching from that
    /// offset (at any epoch) continues from `next`.
    fn advance_after_append(&self, tp: &TopicPartition, sent: &PartitionFetchState, next: i64) {
        let mut parts = self.parts();
        if let Some(s) = parts.get_mut(tp) {
            if s.fetch_offset == sent.fetch_offset {
                s.fetch_offset = next;
            }
        }
    }

    fn delay(&self, tp: &TopicPartition, sent: &PartitionFetchState) {
        let until = tokio::time::Instant::now()
            + Duration::from_millis(self.config.replica_fetch_backoff_ms);
        self.update_state(tp, sent, |s| s.delayed_until = Some(until));
    }

    /// A partition whose fetch answer is an error or a diverging epoch (data goes through
    /// [`Self::append_fetched`]).
    async fn process_partition(
        &self,
        c: &mut BrokerConnection,
        partition: &Arc<Partition>,
        sent: &PartitionFetchState,
        pd: kafka_protocol::messages::fetch_response::PartitionData,
    ) {
        let tp = partition.topic_partition();
        if pd.error_code == ResponseError::OffsetOutOfRange.code() {
            match self.handle_out_of_range(c, partition, sent).await {
                Ok(new_offset) => self.update_state(tp, sent, |s| s.fetch_offset = new_offset),
                Err(e) => {
                    tracing::warn!(partition = %tp, error = %e, "cannot resolve an out-of-range fetch offset");
                    self.delay(tp, sent);
                }
            }
            return;
        }
        if pd.error_code != 0 {
            tracing::info!(partition = %tp, code = pd.error_code, leader = self.leader_id, "fetch error; backing off");
            self.delay(tp, sent);
            return;
        }
        let offset = truncation_offset(
            partition,
            pd.diverging_epoch.epoch,
            pd.diverging_epoch.end_offset,
        );
        tracing::info!(partition = %tp, leader_epoch = pd.diverging_epoch.epoch,
            leader_end_offset = pd.diverging_epoch.end_offset, truncate_to = offset, "log diverged from the leader; truncating");
        let p = partition.clone();
        match tokio::task::spawn_blocking(move || p.truncate_to(offset)).await {
            Ok(Ok(_)) => {
                let leo = partition.log_end_offset();
                self.update_state(tp, sent, |s| s.fetch_offset = leo);
            }
            _ => self.delay(tp, sent),
        }
    }

    /// OFFSET_OUT_OF_RANGE: if the leader's end is below ours (an unclean election), truncate
    /// to it; if the leader's log starts after our end, start over at its log start.
    /// Kafka: `AbstractFetcherThread.fetchOffsetAndTruncate`.
    async fn handle_out_of_range(
        &self,
        c: &mut BrokerConnection,
        partition: &Arc<Partition>,
        sent: &PartitionFetchState,
    ) -> Result<i64, ClientError> {
        let tp = partition.topic_partition().clone();
        let leader_end = self
            .list_offset(c, &tp, sent.current_leader_epoch, -1)
            .await?;
        let our_end = partition.log_end_offset();
        if leader_end < our_end {
            let p = partition.clone();
            let _ = tokio::task::spawn_blocking(move || p.truncate_to(leader_end)).await;
            return Ok(partition.log_end_offset());
        }
        let leader_start = self
            .list_offset(c, &tp, sent.current_leader_epoch, -2)
            .await?;
        if leader_start > our_end || sent.fetch_offset < leader_start {
            let p = partition.clone();
            let _ =
                tokio::task::spawn_blocking(move || p.truncate_fully_and_start_at(leader_start))
                    .await;
            return Ok(leader_start);
        }
        Ok(our_end)
    }

    async fn list_offset(
        &self,
        c: &mut BrokerConnection,
        tp: &TopicPartition,
        epoch: i32,
        timestamp: i64,
    ) -> Result<i64, ClientError> {
        let req = ListOffsetsRequest::default()
            .with_replica_id(BrokerId(self.broker_id))
            .with_topics(vec![ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_string(tp.topic.clone())))
                .with_partitions(vec![ListOffsetsPartition::default()
                    .with_partition_index(tp.partition)
                    .with_current_leader_epoch(epoch)
                    .with_timestamp(timestamp)])]);
        let resp: ListOffsetsResponse = c.request(8, &req, Duration::ZERO).await?;
        let p = resp
            .topics
            .first()
            .and_then(|t| t.partitions.first())
            .ok_or_else(|| ClientError::Protocol {
                broker: self.leader_id,
                reason: "empty ListOffsets response".into(),
            })?;
        if p.error_code != 0 {
            return Err(ClientError::Protocol {
                broker: self.leader_id,
                reason: format!("ListOffsets for {tp} failed with error {}", p.error_code),
            });
        }
        Ok(p.offset)
    }
}

/// Where to truncate when the leader reports `(epoch, end_offset)` for our last fetched
/// epoch. If we know that epoch, truncate to the smaller of the two end offsets; if not, to
/// our end of the largest epoch below it (the next fetch then asks again with that epoch).
/// Kafka: `AbstractFetcherThread.getOffsetTruncationState`.
pub fn truncation_offset(partition: &Partition, leader_epoch: i32, leader_end_offset: i64) -> i64 {
    let log = partition.log();
    let leo = log.log_end_offset();
    if leader_end_offset == UNDEFINED_EPOCH_OFFSET {
        return log.high_watermark().min(leo);
    }
    if leader_epoch == UNDEFINED_EPOCH {
        return leader_end_offset.min(leo);
    }
    let (follower_epoch, follower_end) = log.end_offset_for_epoch(leader_epoch);
    if follower_epoch == UNDEFINED_EPOCH {
        return leader_end_offset.min(leo);
    }
    if follower_epoch != leader_epoch {
        follower_end.min(leo)
    } else {
        follower_end.min(leader_end_offset).min(leo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `AbstractFetcherManager.getFetcherId` with Java's `String.hashCode`:
    /// "topic".hashCode() = 110546223.
    #[test]
    fn fetcher_id_matches_kafka() {
        assert_eq!(java_string_hash("topic"), 110_546_223);
        let tp = TopicPartition::new("topic", 3);
        let expected =
            (110_546_223i32.wrapping_mul(31).wrapping_add(3)).unsigned_abs() as usize % 4;
        assert_eq!(fetcher_id(&tp, 4), expected);
        assert_eq!(fetcher_id(&tp, 1), 0);
    }
}
