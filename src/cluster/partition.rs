//! `Partition`: one partition's replica on this broker — leader or follower, its leader epoch
//! and partition epoch, the ISR (with a pending AlterPartition change), the followers'
//! positions when leader, the high watermark, and the producer state used for idempotence.
//! Kafka: `kafka.cluster.Partition`.
//!
//! # Locking (lock order: `state` → `remote_replicas` → `producer_state` → the `Log`'s locks)
//! - `state` (std `RwLock`, Kafka's `leaderIsrUpdateLock`): read-locked by appends, fetches and
//!   HW updates so leadership cannot change under them; write-locked by make-leader,
//!   make-follower and ISR changes.
//! - `remote_replicas` (std `Mutex`): followers' fetch positions, updated on every follower fetch.
//! - `producer_state` (std `Mutex`): held around a whole leader append so the
//!   `ProducerStateManager::analyze` in the append hook and the `commit` after the write are
//!   atomic with respect to other appends.
//! - `watchers`: delayed produce/fetch operations waiting for this partition to change; woken
//!   (and dropped) after every append, HW change, ISR change and leadership change.
//!
//! None of these locks is held across an `.await`; `AlterPartitionSender::submit` is called
//! after they are released.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};

use tokio::sync::Notify;

use super::replica::RemoteReplica;
use super::TopicPartition;
use crate::log::producer_state_manager::{
    AppendOrigin, ProducerAnalysis, ProducerBatch, ProducerStateManager,
};
use crate::log::{AppendDecision, BatchAppendInfo, Log, LogAppendInfo, LogError};
use crate::protocol::errors::ResponseError;
use crate::replica::alter_partition::AlterPartitionSender;
use crate::time::SharedClock;

mod isr;
mod producer_state;
mod read;
#[cfg(test)]
mod tests;

pub use read::{EpochEndOffset, FetchPartitionParams, PartitionRead};

/// `LeaderAndIsr.NoLeader`.
pub const NO_LEADER: i32 = -1;
/// Kafka's `UNDEFINED_EPOCH` / `UNDEFINED_EPOCH_OFFSET` (OffsetForLeaderEpoch, divergingEpoch).
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;
/// `Errors.INELIGIBLE_REPLICA` (KIP-903, 3.5+), which kafka-protocol 0.15.1 does not name.
const INELIGIBLE_REPLICA: i16 = 107;

/// A partition-level failure, with Kafka's wire code.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("broker {broker_id} is not the leader of partition {partition}")]
    NotLeaderOrFollower { partition: String, broker_id: i32 },
    #[error("partition {partition}: leader epoch {request} in the request is older than the current epoch {current}")]
    FencedLeaderEpoch {
        partition: String,
        request: i32,
        current: i32,
    },
    #[error("partition {partition}: leader epoch {request} in the request is newer than the current epoch {current}")]
    UnknownLeaderEpoch {
        partition: String,
        request: i32,
        current: i32,
    },
    #[error("partition {partition}: the ISR has {isr} replicas, fewer than min.insync.replicas {min_isr}")]
    NotEnoughReplicas {
        partition: String,
        isr: usize,
        min_isr: i32,
    },
    #[error("partition {partition}: the new leader's high watermark {hw} is below its epoch start offset {epoch_start}")]
    OffsetNotAvailable {
        partition: String,
        hw: i64,
        epoch_start: i64,
    },
    #[error("partition {partition}: replica {replica} is not one of the assigned replicas")]
    UnknownReplica { partition: String, replica: i32 },
    #[error(transparent)]
    Log(#[from] LogError),
}

impl PartitionError {
    /// Kafka's error code for this failure.
    pub fn error_code(&self) -> i16 {
        match self {
            PartitionError::NotLeaderOrFollower { .. } | PartitionError::UnknownReplica { .. } => {
                ResponseError::NotLeaderOrFollower.code()
            }
            PartitionError::FencedLeaderEpoch { .. } => ResponseError::FencedLeaderEpoch.code(),
            PartitionError::UnknownLeaderEpoch { .. } => ResponseError::UnknownLeaderEpoch.code(),
            PartitionError::NotEnoughReplicas { .. } => ResponseError::NotEnoughReplicas.code(),
            PartitionError::OffsetNotAvailable { .. } => ResponseError::OffsetNotAvailable.code(),
            PartitionError::Log(e) => e.error_code(),
        }
    }
}

/// The controller's view of one partition, as LeaderAndIsr carries it.
/// Kafka: `LeaderAndIsrRequestData.LeaderAndIsrPartitionState`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeaderAndIsrState {
    pub controller_epoch: i32,
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    pub partition_epoch: i32,
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
    pub is_new: bool,
}

/// The ISR with at most one change in flight. Kafka: `PartitionState` (`CommittedPartitionState`,
/// `PendingExpandIsr`, `PendingShrinkIsr`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsrState {
    /// The ISR the controller last confirmed.
    Committed { isr: Vec<i32> },
    /// Proposed adding `new_in_sync`; until confirmed it already counts for HW and acks
    /// (the maximal ISR), so the HW never goes backwards if the change succeeds.
    PendingExpand { isr: Vec<i32>, new_in_sync: i32 },
    /// Proposed removing `out_of_sync`; until confirmed they still count for HW and acks.
    PendingShrink {
        isr: Vec<i32>,
        out_of_sync: Vec<i32>,
    },
}

impl IsrState {
    /// The last committed ISR.
    pub fn isr(&self) -> &[i32] {
        match self {
            IsrState::Committed { isr }
            | IsrState::PendingExpand { isr, .. }
            | IsrState::PendingShrink { isr, .. } => isr,
        }
    }

    /// The ISR if the pending change succeeds or not, whichever is larger. Kafka: `maximalIsr`.
    pub fn maximal_isr(&self) -> Vec<i32> {
        match self {
            IsrState::PendingExpand { isr, new_in_sync } => {
                let mut v = isr.clone();
                if !v.contains(new_in_sync) {
                    v.push(*new_in_sync);
                }
                v
            }
            other => other.isr().to_vec(),
        }
    }

    pub fn is_inflight(&self) -> bool {
        !matches!(self, IsrState::Committed { .. })
    }
}

/// Leadership and ISR of the partition, guarded by `Partition::state`.
#[derive(Debug, Clone)]
struct State {
    leader: i32,
    leader_epoch: i32,
    /// The log end offset when this broker became leader in `leader_epoch`. Kafka:
    /// `leaderEpochStartOffsetOpt`; `None` on followers.
    leader_epoch_start_offset: Option<i64>,
    partition_epoch: i32,
    controller_epoch: i32,
    assignment: Vec<i32>,
    isr: IsrState,
}

/// Settings a partition needs from the broker config.
#[derive(Clone)]
pub struct PartitionContext {
    pub local_broker_id: i32,
    pub clock: SharedClock,
    /// `replica.lag.time.max.ms` (30000).
    pub replica_lag_time_max_ms: i64,
    pub alter_partition: Arc<dyn AlterPartitionSender>,
    /// Whether a broker is alive per the metadata cache: only live brokers may join the ISR
    /// (Kafka ZK mode: `Partition.isReplicaIsrEligible` → `metadataCache.hasAliveBroker`).
    pub is_broker_alive: Arc<dyn Fn(i32) -> bool + Send + Sync>,
}

impl std::fmt::Debug for PartitionContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionContext")
            .field("local_broker_id", &self.local_broker_id)
            .field("replica_lag_time_max_ms", &self.replica_lag_time_max_ms)
            .finish_non_exhaustive()
    }
}

/// One partition replica on this broker. Shared as `Arc<Partition>`. See the module doc.
#[derive(Debug)]
pub struct Partition {
    tp: TopicPartition,
    topic_id: Option<[u8; 16]>,
    ctx: PartitionContext,
    log: Arc<Log>,
    state: RwLock<State>,
    remote_replicas: Mutex<BTreeMap<i32, RemoteReplica>>,
    producer_state: Mutex<ProducerStateManager>,
    /// Delayed operations to wake on any change (Kafka: purgatory watch keys).
    watchers: Mutex<Vec<Weak<Notify>>>,
}

impl Partition {
    /// A partition over an already loaded log, with no leader yet. The producer state is
    /// rebuilt from the log's snapshot and records. Kafka: `Partition.createLogIfNotExists`.
    pub fn new(
        tp: TopicPartition,
        topic_id: Option<[u8; 16]>,
        log: Arc<Log>,
        ctx: PartitionContext,
    ) -> Arc<Partition> {
        let p = Arc::new(Partition {
            tp,
            topic_id,
            ctx,
            log,
            state: RwLock::new(State {
                leader: NO_LEADER,
                leader_epoch: -1,
                leader_epoch_start_offset: None,
                partition_epoch: -1,
                controller_epoch: -1,
                assignment: Vec::new(),
                isr: IsrState::Committed { isr: Vec::new() },
            }),
            remote_replicas: Mutex::new(BTreeMap::new()),
            producer_state: Mutex::new(ProducerStateManager::new()),
            watchers: Mutex::new(Vec::new()),
        });
        p.rebuild_producer_state();
        // The cleaner keeps each active producer's last batch (Kafka `LogCleaner.cleanInto`).
        let weak = Arc::downgrade(&p);
        p.log
            .set_active_producers_provider(crate::log::unified_log::ActiveProducers(Arc::new(
                move || {
                    weak.upgrade()
                        .map(|p| p.producers().last_data_offsets())
                        .unwrap_or_default()
                },
            )));
        p
    }

    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }
    pub fn topic_id(&self) -> Option<[u8; 16]> {
        self.topic_id
    }
    pub fn log(&self) -> &Arc<Log> {
        &self.log
    }
    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
    fn replicas(&self) -> MutexGuard<'_, BTreeMap<i32, RemoteReplica>> {
        self.remote_replicas
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
    /// The producer state (lock order: after `state`, before the log's locks).
    pub fn producers(&self) -> MutexGuard<'_, ProducerStateManager> {
        self.producer_state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    pub fn leader_id(&self) -> Option<i32> {
        let l = self.read_state().leader;
        (l != NO_LEADER).then_some(l)
    }
    pub fn is_leader(&self) -> bool {
        self.read_state().leader == self.ctx.local_broker_id
    }
    pub fn leader_epoch(&self) -> i32 {
        self.read_state().leader_epoch
    }
    pub fn partition_epoch(&self) -> i32 {
        self.read_state().partition_epoch
    }
    pub fn assignment(&self) -> Vec<i32> {
        self.read_state().assignment.clone()
    }
    /// The committed ISR.
    pub fn isr(&self) -> Vec<i32> {
        self.read_state().isr.isr().to_vec()
    }
    pub fn isr_state(&self) -> IsrState {
        self.read_state().isr.clone()
    }
    pub fn high_watermark(&self) -> i64 {
        self.log.high_watermark()
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log.log_end_offset()
    }
    pub fn remote_replica(&self, broker_id: i32) -> Option<RemoteReplica> {
        self.replicas().get(&broker_id).cloned()
    }
    fn min_isr(&self) -> i32 {
        self.log.config().min_insync_replicas
    }

    /// Registers a delayed operation to be woken at the next change of this partition.
    pub fn watch(&self, notify: &Arc<Notify>) {
        let mut w = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        if w.iter().any(|x| x.as_ptr() == Arc::as_ptr(notify)) {
            return;
        }
        // Dropped operations leave dead entries; prune them so the list stays bounded by the
        // operations currently waiting (at most one per connection, see `replica::purgatory`).
        if w.len() >= 64 {
            w.retain(|n| n.strong_count() > 0);
        }
        w.push(Arc::downgrade(notify));
    }

    /// Wakes every waiting operation. Kafka: `tryCompleteDelayedRequests`.
    pub fn wake_watchers(&self) {
        let list = std::mem::take(&mut *self.watchers.lock().unwrap_or_else(|e| e.into_inner()));
        for n in list.into_iter().filter_map(|w| w.upgrade()) {
            n.notify_one();
        }
    }

    /// Becomes leader for `state.leader_epoch`: adopts assignment and ISR, records the epoch
    /// start offset (= log end offset) in the leader epoch cache, resets followers' positions,
    /// and rebuilds the producer state if this broker was not leader. Returns whether this
    /// broker became leader (false if it already was, with only the epoch moving).
    /// Kafka: `Partition.makeLeader`.
    pub fn make_leader(&self, new: &LeaderAndIsrState) -> Result<bool, PartitionError> {
        let became_leader;
        let had_state;
        {
            let mut st = self.write_state();
            had_state = st.leader_epoch >= 0;
            let now = self.ctx.clock.milliseconds();
            let is_new_leader_epoch = new.leader_epoch > st.leader_epoch;
            became_leader = st.leader != self.ctx.local_broker_id;
            let leo = self.log.log_end_offset();
            if is_new_leader_epoch {
                self.log.assign_epoch_start_offset(new.leader_epoch, leo)?;
                st.leader_epoch_start_offset = Some(leo);
            } else if st.leader_epoch_start_offset.is_none() {
                st.leader_epoch_start_offset = Some(leo);
            }
            st.leader = self.ctx.local_broker_id;
            st.leader_epoch = new.leader_epoch;
            st.partition_epoch = new.partition_epoch;
            st.controller_epoch = new.controller_epoch;
            st.assignment = new.replicas.clone();
            st.isr = IsrState::Committed {
                isr: new.isr.clone(),
            };
            let mut reps = self.replicas();
            reps.retain(|id, _| new.replicas.contains(id));
            for &id in new
                .replicas
                .iter()
                .filter(|&&id| id != self.ctx.local_broker_id)
            {
                let r = reps.entry(id).or_insert_with(|| RemoteReplica::new(id));
                if is_new_leader_epoch {
                    r.reset(now, leo, became_leader, new.isr.contains(&id));
                }
            }
        }
        if became_leader && had_state {
            // A follower keeps its producer state by replaying replicated batches (and
            // rebuilds it after truncation); rebuilding on promotion guards against any drift,
            // as Kafka reloads producer state when it becomes leader. A partition created just
            // now was rebuilt by `Partition::new` already.
            self.rebuild_producer_state();
        }
        tracing::info!(partition = %self.tp, leader_epoch = new.leader_epoch, isr = ?new.isr,
            high_watermark = self.log.high_watermark(), "became leader");
        // A single-replica ISR commits everything at once.
        self.maybe_increment_leader_hw();
        self.wake_watchers();
        Ok(became_leader)
    }

    /// Becomes a follower of `state.leader`. Returns whether the leader or leader epoch changed
    /// (the fetcher must then restart for this partition). Kafka: `Partition.makeFollower`.
    pub fn make_follower(&self, new: &LeaderAndIsrState) -> bool {
        let changed = {
            let mut st = self.write_state();
            let changed = st.leader != new.leader || new.leader_epoch > st.leader_epoch;
            st.leader = new.leader;
            st.leader_epoch = new.leader_epoch;
            st.leader_epoch_start_offset = None;
            st.partition_epoch = new.partition_epoch;
            st.controller_epoch = new.controller_epoch;
            st.assignment = new.replicas.clone();
            st.isr = IsrState::Committed {
                isr: new.isr.clone(),
            };
            self.replicas().clear();
            changed
        };
        tracing::info!(partition = %self.tp, leader = new.leader, leader_epoch = new.leader_epoch, "became follower");
        self.wake_watchers();
        changed
    }

    /// Gives up leadership without a new leader (StopReplica, log dir failure): waiting
    /// produces complete with NOT_LEADER_OR_FOLLOWER. Kafka: `Partition.delete` /
    /// `markOffline` effects on delayed operations.
    pub fn resign(&self) {
        {
            let mut st = self.write_state();
            st.leader = NO_LEADER;
            st.leader_epoch_start_offset = None;
            self.replicas().clear();
        }
        self.wake_watchers();
    }

    /// Checks a request's `current_leader_epoch` (-1 = not given). Kafka:
    /// `Partition.validateLeaderEpoch` / `leaderLogIfLocal` checks.
    fn check_leader_epoch(
        &self,
        st: &State,
        current_leader_epoch: i32,
    ) -> Result<(), PartitionError> {
        if current_leader_epoch == -1 || current_leader_epoch == st.leader_epoch {
            return Ok(());
        }
        if current_leader_epoch < st.leader_epoch {
            Err(PartitionError::FencedLeaderEpoch {
                partition: self.tp.to_string(),
                request: current_leader_epoch,
                current: st.leader_epoch,
            })
        } else {
            Err(PartitionError::UnknownLeaderEpoch {
                partition: self.tp.to_string(),
                request: current_leader_epoch,
                current: st.leader_epoch,
            })
        }
    }

    fn check_leader(&self, st: &State) -> Result<(), PartitionError> {
        if st.leader == self.ctx.local_broker_id {
            Ok(())
        } else {
            Err(PartitionError::NotLeaderOrFollower {
                partition: self.tp.to_string(),
                broker_id: self.ctx.local_broker_id,
            })
        }
    }

    /// Appends a produce request's batches as leader. With `required_acks == -1` the committed
    /// ISR must have at least `min.insync.replicas` members before anything is written.
    /// Producer epochs and sequences are checked under the append lock; a duplicate of one of a
    /// producer's last five batches is not written and its original offsets are returned.
    /// Kafka: `Partition.appendRecordsToLeader`, `UnifiedLog.analyzeAndValidateProducerState`.
    pub fn append_records_to_leader(
        &self,
        records: &[u8],
        required_acks: i16,
    ) -> Result<LogAppendInfo, PartitionError> {
        let info = {
            let st = self.read_state();
            self.check_leader(&st)?;
            let min_isr = self.min_isr();
            let isr_size = st.isr.isr().len();
            if required_acks == -1 && (isr_size as i64) < i64::from(min_isr) {
                return Err(PartitionError::NotEnoughReplicas {
                    partition: self.tp.to_string(),
                    isr: isr_size,
                    min_isr,
                });
            }
            let mut producers = self.producers();
            let mut staged = None;
            let info = self
                .log
                .append_as_leader_with(records, st.leader_epoch, |batches| {
                    let pbs: Vec<ProducerBatch> = batches.iter().map(producer_batch).collect();
                    match producers.analyze(&pbs, AppendOrigin::Client) {
                        Ok(ProducerAnalysis::Duplicate(dup)) => {
                            Ok(AppendDecision::Skip(LogAppendInfo {
                                first_offset: dup.first_offset(),
                                last_offset: dup.last_offset,
                                max_timestamp: dup.timestamp,
                                offset_of_max_timestamp: dup.last_offset,
                                log_append_time: -1,
                                log_start_offset: self.log.log_start_offset(),
                                record_count: 0,
                                valid_bytes: 0,
                                batches: Vec::new(),
                            }))
                        }
                        Ok(ProducerAnalysis::Updates(u)) => {
                            staged = Some(u);
                            Ok(AppendDecision::Append)
                        }
                        Err(e) => Err(LogError::Rejected {
                            partition: self.tp.to_string(),
                            code: e.error_code(),
                            message: e.to_string(),
                        }),
                    }
                })?;
            if let Some(u) = staged {
                if !info.batches.is_empty() {
                    self.snapshot_at_roll(&mut producers, info.first_offset);
                    producers.commit(u);
                }
            }
            drop(producers);
            info
        };
        self.maybe_increment_leader_hw();
        self.wake_watchers();
        Ok(info)
    }

    /// Appends batches fetched from the leader (offsets and epochs as the leader assigned them)
    /// and replays them into the producer state. Kafka: `Partition.appendRecordsToFollowerOrFutureReplica`.
    pub fn append_records_to_follower(
        &self,
        records: &[u8],
    ) -> Result<LogAppendInfo, PartitionError> {
        let mut producers = self.producers();
        let info = self.log.append_as_follower(records)?;
        if !info.batches.is_empty() {
            self.snapshot_at_roll(&mut producers, info.first_offset);
        }
        let pbs: Vec<ProducerBatch> = info.batches.iter().map(producer_batch).collect();
        producers.load_batches(&pbs);
        drop(producers);
        self.wake_watchers();
        Ok(info)
    }

    /// Truncates the follower's log to `offset` and reloads the producer state, which may have
    /// seen batches that no longer exist. Kafka: `Partition.truncateTo` → `UnifiedLog.truncateTo`.
    pub fn truncate_to(&self, offset: i64) -> Result<bool, PartitionError> {
        let truncated = {
            let _producers = self.producers();
            self.log.truncate_to(offset)?
        };
        if truncated {
            self.delete_snapshots_after(offset);
            self.rebuild_producer_state();
        }
        Ok(truncated)
    }

    /// Full truncation (the leader's log start is past our end). Kafka: `truncateFullyAndStartAt`.
    pub fn truncate_fully_and_start_at(&self, offset: i64) -> Result<(), PartitionError> {
        let mut producers = self.producers();
        self.log.truncate_fully_and_start_at(offset)?;
        producers.truncate_fully_and_start_at(offset);
        drop(producers);
        self.delete_snapshots_after(offset - 1);
        Ok(())
    }

    /// Snapshots describing records above `offset` no longer match the log.
    fn delete_snapshots_after(&self, offset: i64) {
        if let Err(e) = ProducerStateManager::delete_snapshots_after(&self.log.dir(), offset) {
            tracing::warn!(partition = %self.tp, error = %e, "cannot delete producer snapshots after truncation");
        }
    }

    /// Records a follower's fetch position, then maybe expands the ISR and advances the HW.
    /// Kafka: `Partition.updateFollowerFetchState`.
    pub fn update_follower_fetch_state(
        self: &Arc<Self>,
        replica_id: i32,
        fetch_offset: i64,
        follower_log_start_offset: i64,
        fetch_time_ms: i64,
        leader_end_offset: i64,
    ) -> Result<(), PartitionError> {
        {
            let st = self.read_state();
            if !st.assignment.contains(&replica_id) || replica_id == self.ctx.local_broker_id {
                return Err(PartitionError::UnknownReplica {
                    partition: self.tp.to_string(),
                    replica: replica_id,
                });
            }
            let mut reps = self.replicas();
            let r = reps
                .entry(replica_id)
                .or_insert_with(|| RemoteReplica::new(replica_id));
            r.update_fetch_state(
                fetch_offset,
                follower_log_start_offset,
                fetch_time_ms,
                leader_end_offset,
            );
        }
        self.maybe_expand_isr(replica_id);
        if self.maybe_increment_leader_hw() {
            self.wake_watchers();
        }
        Ok(())
    }
}

/// The producer fields of a batch the log appended.
pub(crate) fn producer_batch(b: &BatchAppendInfo) -> ProducerBatch {
    ProducerBatch {
        producer_id: b.producer_id,
        producer_epoch: b.producer_epoch,
        base_sequence: b.base_sequence,
        last_offset_delta: (b.last_offset - b.base_offset) as i32,
        max_timestamp: b.max_timestamp,
        is_transactional: b.is_transactional,
        is_control: b.is_control,
        first_offset: b.base_offset,
        last_offset: b.last_offset,
    }
}
