//! `Log`: one partition's log — an ordered map of segments, the offsets that bound it (log
//! start, high watermark, log end, recovery point), the leader epoch cache, and the append /
//! read / truncate operations. Kafka: `UnifiedLog.scala` + `LocalLog.scala`.
//!
//! # Locking
//! - `writer` (std `Mutex`) serializes every mutation: appends, roll, truncation, retention,
//!   delete-records. Lock order: `writer` → `segments` → `epochs`. Never held across `.await`.
//! - `segments` (std `RwLock`) is read-locked by fetches only to clone an `Arc<LogSegment>`;
//!   write-locked only to insert/remove a segment (a pointer swap).
//! - Offsets are atomics. The writer stores the segment's committed size, then the log end
//!   offset (Release); a reader loads the log end offset (Acquire) first, so every batch below
//!   it is readable. Reads never take `writer`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use bytes::Bytes;

use super::config::{LogConfig, MessageTimestampType};
use super::dir_failure::LogDirFailureChannel;
use super::errors::LogError;
use super::leader_epoch::LeaderEpochFileCache;
use super::segment::LogSegment;
use crate::cluster::TopicPartition;
use crate::protocol::record_batch::{
    BatchError, BatchIter, RecordBatchHeader, RecordBatchHeaderMut,
};
use crate::time::SharedClock;

/// Producer-relevant fields of one appended batch, for the idempotence/transaction layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAppendInfo {
    pub base_offset: i64,
    pub last_offset: i64,
    pub record_count: i32,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub last_sequence: i32,
    pub is_transactional: bool,
    pub is_control: bool,
    pub max_timestamp: i64,
    pub partition_leader_epoch: i32,
}

/// Result of an append. Kafka: `LogAppendInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogAppendInfo {
    /// First offset appended (-1 when nothing was appended).
    pub first_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
    /// Last offset of the batch carrying `max_timestamp` (Kafka's shallow offset).
    pub offset_of_max_timestamp: i64,
    /// The broker time stamped on LogAppendTime topics, else -1 (`RecordBatch.NO_TIMESTAMP`).
    pub log_append_time: i64,
    pub log_start_offset: i64,
    pub record_count: i64,
    pub valid_bytes: usize,
    pub batches: Vec<BatchAppendInfo>,
}

/// What the append hook decides after seeing the offset-assigned batches.
#[derive(Debug)]
pub enum AppendDecision {
    /// Write the batches.
    Append,
    /// Write nothing and answer with this (a duplicate batch: Kafka replies success with the
    /// original offsets, `UnifiedLog.analyzeAndValidateProducerState`).
    Skip(LogAppendInfo),
}

/// The result of a read. Kafka: `FetchDataInfo` / `LogOffsetMetadata`.
#[derive(Debug, Clone)]
pub struct FetchDataInfo {
    /// Whole v2 batches, exactly as stored.
    pub records: Bytes,
    pub fetch_offset: i64,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub high_watermark: i64,
}

/// ListOffsets answer. Kafka: `TimestampAndOffset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampAndOffset {
    pub timestamp: i64,
    pub offset: i64,
    pub leader_epoch: Option<i32>,
}

/// ListOffsets special timestamps. Kafka: `ListOffsetsRequest.*_TIMESTAMP`.
pub const LATEST_TIMESTAMP: i64 = -1;
pub const EARLIEST_TIMESTAMP: i64 = -2;
pub const MAX_TIMESTAMP: i64 = -3;
/// KIP-1005 (3.9): earliest offset in local storage; equal to earliest without tiered storage.
pub const EARLIEST_LOCAL_TIMESTAMP: i64 = -4;

#[derive(Debug, Default)]
pub(crate) struct WriterState {
    pub(crate) scratch: Vec<u8>,
    pub(crate) unflushed_messages: i64,
    pub(crate) last_flush_ms: i64,
}

/// One partition's log. See the module doc for locking.
#[derive(Debug)]
pub struct Log {
    pub(crate) tp: TopicPartition,
    pub(crate) dir: RwLock<PathBuf>,
    /// The configured log dir this partition lives in (the unit that goes offline).
    pub(crate) parent_dir: PathBuf,
    pub(crate) config: RwLock<Arc<LogConfig>>,
    pub(crate) clock: SharedClock,
    pub(crate) failure: Arc<LogDirFailureChannel>,
    pub(crate) segments: RwLock<BTreeMap<i64, Arc<LogSegment>>>,
    pub(crate) writer: Mutex<WriterState>,
    pub(crate) log_end_offset: AtomicI64,
    pub(crate) log_start_offset: AtomicI64,
    pub(crate) high_watermark: AtomicI64,
    pub(crate) recovery_point: AtomicI64,
    pub(crate) epochs: Mutex<LeaderEpochFileCache>,
    /// Files renamed `.deleted`, removed once `file.delete.delay.ms` has passed: (due ms, paths).
    pub(crate) pending_deletes: Mutex<Vec<(i64, Vec<PathBuf>)>>,
    pub(crate) topic_id: Mutex<Option<[u8; 16]>>,
    /// Random jitter subtracted from segment.ms, fixed per log. Kafka: `LogConfig.randomSegmentJitter`.
    pub(crate) roll_jitter_ms: i64,
    pub(crate) deleted: AtomicBool,
    /// First offset not yet compacted (`cleaner-offset-checkpoint`). Kafka: `LogCleanerManager`.
    pub(crate) cleaner_checkpoint: AtomicI64,
    /// Base offset of the segment rolled most recently and not yet reported by
    /// [`Log::take_rolled_segment_base`] (-1: none). The owner of the producer state writes its
    /// snapshot at that offset. Kafka: `UnifiedLog.roll` → `producerStateManager.takeSnapshot`.
    pub(crate) last_rolled_base: AtomicI64,
    /// Active producers' last data offsets, for the cleaner. See [`Log::set_active_producers_provider`].
    pub(crate) active_producers: RwLock<Option<ActiveProducers>>,
}

/// Returns producer id → offset of that producer's last data batch, for every producer the
/// partition's producer state still tracks. Kafka: `UnifiedLog.lastRecordsOfActiveProducers`.
#[derive(Clone)]
pub struct ActiveProducers(pub Arc<dyn Fn() -> std::collections::HashMap<i64, i64> + Send + Sync>);

impl std::fmt::Debug for ActiveProducers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActiveProducers(..)")
    }
}

impl Log {
    pub fn topic_partition(&self) -> &TopicPartition {
        &self.tp
    }
    pub fn dir(&self) -> PathBuf {
        self.dir.read().expect("dir lock poisoned").clone()
    }
    pub fn parent_dir(&self) -> &Path {
        &self.parent_dir
    }
    pub fn config(&self) -> Arc<LogConfig> {
        self.config.read().expect("config lock poisoned").clone()
    }
    /// Applies a new config (dynamic topic config change). Kafka: `UnifiedLog.updateConfig`.
    pub fn update_config(&self, config: LogConfig) {
        *self.config.write().expect("config lock poisoned") = Arc::new(config);
    }
    /// Restores the cleaner's position from `cleaner-offset-checkpoint`.
    pub fn set_cleaner_checkpoint(&self, offset: i64) {
        self.cleaner_checkpoint.store(offset, Ordering::Release);
    }
    pub fn topic_id(&self) -> Option<[u8; 16]> {
        *self.topic_id.lock().expect("topic id lock poisoned")
    }
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset.load(Ordering::Acquire)
    }
    pub fn log_end_offset(&self) -> i64 {
        self.log_end_offset.load(Ordering::Acquire)
    }
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark.load(Ordering::Acquire)
    }
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point.load(Ordering::Acquire)
    }
    /// Bytes in all segments.
    pub fn size(&self) -> u64 {
        self.segments_snapshot().iter().map(|s| s.size()).sum()
    }
    pub fn num_segments(&self) -> usize {
        self.segments.read().expect("segments lock poisoned").len()
    }
    /// Clones the segment list (oldest first).
    pub fn segments_snapshot(&self) -> Vec<Arc<LogSegment>> {
        self.segments
            .read()
            .expect("segments lock poisoned")
            .values()
            .cloned()
            .collect()
    }
    pub(crate) fn active_segment(&self) -> Arc<LogSegment> {
        self.segments
            .read()
            .expect("segments lock poisoned")
            .values()
            .next_back()
            .cloned()
            .expect("a log always has an active segment")
    }

    /// Sets the high watermark, clamped to [log start, log end]; returns the value stored.
    /// Kafka: `UnifiedLog.updateHighWatermark`.
    pub fn update_high_watermark(&self, hw: i64) -> i64 {
        let v = hw.max(self.log_start_offset()).min(self.log_end_offset());
        self.high_watermark.store(v, Ordering::Release);
        v
    }

    /// The leader epoch cache. Do not call other `Log` methods while holding the guard (they
    /// may take the writer lock, which orders before it).
    pub fn leader_epoch_cache(&self) -> MutexGuard<'_, LeaderEpochFileCache> {
        self.epochs.lock().expect("epoch cache lock poisoned")
    }
    pub fn latest_epoch(&self) -> Option<i32> {
        self.leader_epoch_cache().latest_epoch()
    }
    /// OffsetForLeaderEpoch for this log. Kafka: `UnifiedLog.endOffsetForEpoch`.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        let leo = self.log_end_offset();
        self.leader_epoch_cache().end_offset_for(epoch, leo)
    }
    /// A new leader records `(epoch, LEO)` immediately. Kafka: `Partition.makeLeader` →
    /// `maybeAssignEpochStartOffset`.
    pub fn assign_epoch_start_offset(&self, epoch: i32, start_offset: i64) -> Result<(), LogError> {
        let r = self.leader_epoch_cache().assign(epoch, start_offset);
        r.map_err(|e| self.storage_error("writing leader-epoch-checkpoint", e))
    }

    /// Turns an I/O error into `KafkaStorage`, taking the directory offline.
    pub(crate) fn storage_error(&self, what: &str, e: std::io::Error) -> LogError {
        let reason = format!("{what}: {e}");
        self.failure
            .maybe_add_offline_log_dir(&self.parent_dir, &reason);
        LogError::KafkaStorage {
            partition: self.tp.to_string(),
            dir: self.parent_dir.clone(),
            reason,
        }
    }

    pub(crate) fn check_online(&self) -> Result<(), LogError> {
        if self.failure.is_offline(&self.parent_dir) {
            return Err(LogError::KafkaStorage {
                partition: self.tp.to_string(),
                dir: self.parent_dir.clone(),
                reason: "the log directory failed earlier".into(),
            });
        }
        Ok(())
    }

    fn corrupt(&self, source: BatchError) -> LogError {
        LogError::CorruptMessage {
            partition: self.tp.to_string(),
            source,
        }
    }

    /// Appends client batches as the leader: validates every batch once, assigns offsets and
    /// stamps `leader_epoch` in place, rewrites LogAppendTime when configured. Kafka:
    /// `UnifiedLog.appendAsLeader` → `LogValidator.validateMessagesAndAssignOffsets`.
    pub fn append_as_leader(
        &self,
        records: &[u8],
        leader_epoch: i32,
    ) -> Result<LogAppendInfo, LogError> {
        self.append_as_leader_with(records, leader_epoch, |_| Ok(AppendDecision::Append))
    }

    /// [`append_as_leader`](Self::append_as_leader) with a hook that runs under the append lock
    /// after offsets are assigned and before anything is written — where the idempotence layer
    /// checks sequences (Kafka: `analyzeAndValidateProducerState`). An error or `Skip` writes
    /// nothing.
    pub fn append_as_leader_with(
        &self,
        records: &[u8],
        leader_epoch: i32,
        hook: impl FnOnce(&[BatchAppendInfo]) -> Result<AppendDecision, LogError>,
    ) -> Result<LogAppendInfo, LogError> {
        self.check_online()?;
        let config = self.config();
        let records = self.complete_batches(records)?;
        let converted;
        let records = if super::legacy::contains_legacy(records) {
            converted = super::legacy::up_convert(records, &self.tp, config.compact())?;
            &converted[..]
        } else {
            records
        };
        let now = self.clock.milliseconds();
        self.validate_client_batches(records, &config, now)?;
        if records.len() > config.segment_bytes.max(0) as usize {
            return Err(LogError::RecordListTooLarge {
                partition: self.tp.to_string(),
                size: records.len(),
                segment_bytes: config.segment_bytes,
            });
        }
        if config.compact() {
            super::legacy::validate_keys_for_compaction(records, &self.tp)?;
        }
        let mut w = self.writer.lock().expect("writer lock poisoned");
        self.check_online()?;
        let mut buf = std::mem::take(&mut w.scratch);
        buf.clear();
        buf.extend_from_slice(records);
        let log_append_time = config.message_timestamp_type == MessageTimestampType::LogAppendTime;
        let mut next = self.log_end_offset();
        let mut pos = 0usize;
        let mut infos = Vec::new();
        while pos < buf.len() {
            let size = crate::protocol::record_batch::next_batch_size(&buf[pos..], pos)
                .map_err(|e| self.corrupt(e))?;
            let mut m = RecordBatchHeaderMut::new(&mut buf[pos..pos + size]).ok_or_else(|| {
                self.corrupt(BatchError::UnknownMagic {
                    position: pos,
                    magic: -1,
                })
            })?;
            m.set_base_offset(next);
            m.set_partition_leader_epoch(leader_epoch);
            if log_append_time {
                m.set_log_append_time(now);
            }
            let h = m.view();
            infos.push(batch_info(&h));
            next = h.next_offset();
            pos += size;
        }
        let decision = hook(&infos);
        let decision = match decision {
            Ok(d) => d,
            Err(e) => {
                w.scratch = buf;
                return Err(e);
            }
        };
        if let AppendDecision::Skip(info) = decision {
            w.scratch = buf;
            return Ok(info);
        }
        let result = self.append_locked(&mut w, &buf, &infos, &config, now);
        w.scratch = buf;
        let mut info = result?;
        if log_append_time {
            info.log_append_time = now;
        }
        Ok(info)
    }

    /// The complete batches of `records`: an incomplete batch at the end is not a batch (Kafka
    /// `ByteBufferLogInputStream.nextBatch` returns null for it, so it is neither appended nor
    /// an error), and no complete batch at all is INVALID_RECORD (`ProduceRequest.validateRecords`:
    /// "must have at least one record batch"). A length field below the minimum is corrupt.
    fn complete_batches<'r>(&self, records: &'r [u8]) -> Result<&'r [u8], LogError> {
        let mut it = BatchIter::new(records);
        for item in it.by_ref() {
            match item {
                Ok(_) => {}
                Err(BatchError::Truncated { .. }) => break,
                Err(e) => return Err(self.corrupt(e)),
            }
        }
        let complete = &records[..it.position()];
        if complete.is_empty() {
            return Err(LogError::InvalidRecord {
                partition: self.tp.to_string(),
                reason: "produce requests must have at least one complete record batch".into(),
            });
        }
        Ok(complete)
    }

    /// Kafka: `LogValidator.validateBatch` + `DefaultRecordBatch.ensureValid` + size and
    /// timestamp checks, once per batch, before any byte is written.
    fn validate_client_batches(
        &self,
        records: &[u8],
        config: &LogConfig,
        now: i64,
    ) -> Result<(), LogError> {
        let before = config.timestamp_before_max_ms();
        let after = config.timestamp_after_max_ms();
        for item in BatchIter::new(records) {
            let (pos, h) = item.map_err(|e| self.corrupt(e))?;
            if h.size_in_bytes() > config.max_message_bytes.max(0) as usize {
                return Err(LogError::MessageTooLarge {
                    partition: self.tp.to_string(),
                    size: h.size_in_bytes(),
                    max: config.max_message_bytes,
                });
            }
            h.ensure_valid(pos).map_err(|e| self.corrupt(e))?;
            h.validate_counts(pos).map_err(|e| self.corrupt(e))?;
            if h.is_control_batch() {
                return Err(LogError::InvalidRecord {
                    partition: self.tp.to_string(),
                    reason: "clients are not allowed to write control records".into(),
                });
            }
            if config.message_timestamp_type == MessageTimestampType::CreateTime {
                // Kafka checks every record; the batch's base and max timestamps bound the
                // records' (client batches carry increasing deltas ≥ 0), so this is the same
                // check without decoding. Kafka: `LogValidator.validateTimestamp`.
                for ts in [h.base_timestamp(), h.max_timestamp()] {
                    if ts < 0 {
                        continue;
                    }
                    if before != i64::MAX && now.saturating_sub(ts) > before {
                        return Err(self.bad_ts(ts, format!("more than message.timestamp.before.max.ms {before} before broker time {now}")));
                    }
                    if after != i64::MAX && ts.saturating_sub(now) > after {
                        return Err(self.bad_ts(ts, format!("more than message.timestamp.after.max.ms {after} after broker time {now}")));
                    }
                }
            }
        }
        Ok(())
    }

    fn bad_ts(&self, timestamp: i64, reason: String) -> LogError {
        LogError::InvalidTimestamp {
            partition: self.tp.to_string(),
            timestamp,
            reason,
        }
    }

    /// Appends replicated batches (offsets and epochs already assigned by the leader): checks
    /// CRC and that offsets increase from the log end offset. Kafka: `UnifiedLog.appendAsFollower`.
    pub fn append_as_follower(&self, records: &[u8]) -> Result<LogAppendInfo, LogError> {
        self.check_online()?;
        let config = self.config();
        let mut infos = Vec::new();
        for item in BatchIter::new(records) {
            let (pos, h) = item.map_err(|e| self.corrupt(e))?;
            if !h.is_v2() {
                return Err(LogError::UnsupportedForMessageFormat {
                    partition: self.tp.to_string(),
                    reason: format!(
                        "replicated batch with magic {} (only v2 is stored)",
                        h.magic()
                    ),
                });
            }
            h.ensure_valid(pos).map_err(|e| self.corrupt(e))?;
            h.validate_counts_for_recovery(pos)
                .map_err(|e| self.corrupt(e))?;
            if let Some(prev) = infos.last().map(|i: &BatchAppendInfo| i.last_offset) {
                if h.base_offset() <= prev {
                    return Err(LogError::OffsetsOutOfOrder {
                        partition: self.tp.to_string(),
                        reason: format!(
                            "batch base offset {} follows last offset {prev}",
                            h.base_offset()
                        ),
                    });
                }
            }
            infos.push(batch_info(&h));
        }
        if infos.is_empty() {
            return Ok(self.empty_append_info());
        }
        let mut w = self.writer.lock().expect("writer lock poisoned");
        self.check_online()?;
        let leo = self.log_end_offset();
        if infos[0].base_offset < leo {
            return Err(LogError::OffsetsOutOfOrder {
                partition: self.tp.to_string(),
                reason: format!(
                    "first offset {} is below the log end offset {leo}",
                    infos[0].base_offset
                ),
            });
        }
        let now = self.clock.milliseconds();
        self.append_locked(&mut w, records, &infos, &config, now)
    }

    fn empty_append_info(&self) -> LogAppendInfo {
        LogAppendInfo {
            first_offset: -1,
            last_offset: -1,
            max_timestamp: -1,
            offset_of_max_timestamp: -1,
            log_append_time: -1,
            log_start_offset: self.log_start_offset(),
            record_count: 0,
            valid_bytes: 0,
            batches: Vec::new(),
        }
    }

    /// Writes validated, offset-assigned bytes: roll if needed, append, update epochs, LEO and
    /// the flush policy. Caller holds the writer lock.
    fn append_locked(
        &self,
        w: &mut WriterState,
        buf: &[u8],
        infos: &[BatchAppendInfo],
        config: &LogConfig,
        now: i64,
    ) -> Result<LogAppendInfo, LogError> {
        let Some(first) = infos.first() else {
            return Ok(self.empty_append_info());
        };
        let last = infos.last().expect("non-empty");
        let (mut max_ts, mut max_ts_off) = (-1i64, -1i64);
        for i in infos {
            if i.max_timestamp > max_ts {
                max_ts = i.max_timestamp;
                max_ts_off = i.last_offset;
            }
        }
        let seg = self.maybe_roll(
            buf.len(),
            max_ts,
            last.last_offset,
            first.base_offset,
            config,
            now,
        )?;
        seg.append(buf)
            .map_err(|e| self.storage_error("appending to the log", e))?;
        {
            let mut epochs = self.leader_epoch_cache();
            let mut changed = false;
            for i in infos {
                if i.partition_leader_epoch >= 0 {
                    changed |= epochs.assign_no_flush(i.partition_leader_epoch, i.base_offset);
                }
            }
            if changed {
                let r = epochs.flush();
                drop(epochs);
                r.map_err(|e| self.storage_error("writing leader-epoch-checkpoint", e))?;
            }
        }
        self.log_end_offset
            .store(last.last_offset + 1, Ordering::Release);
        let record_count: i64 = infos.iter().map(|i| i.record_count as i64).sum();
        w.unflushed_messages += record_count;
        if w.unflushed_messages >= config.flush_messages {
            self.flush_locked(w, now)?;
        }
        Ok(LogAppendInfo {
            first_offset: first.base_offset,
            last_offset: last.last_offset,
            max_timestamp: max_ts,
            offset_of_max_timestamp: max_ts_off,
            log_append_time: -1,
            log_start_offset: self.log_start_offset(),
            record_count,
            valid_bytes: buf.len(),
            batches: infos.to_vec(),
        })
    }

    /// Rolls to a new segment when the active one is full or old. Kafka: `UnifiedLog.maybeRoll`.
    fn maybe_roll(
        &self,
        incoming: usize,
        max_ts: i64,
        max_offset: i64,
        first_offset: i64,
        config: &LogConfig,
        now: i64,
    ) -> Result<Arc<LogSegment>, LogError> {
        let active = self.active_segment();
        let roll_ms = config.segment_ms.saturating_sub(self.roll_jitter_ms);
        if active.should_roll(
            config.segment_bytes,
            roll_ms,
            incoming,
            max_ts,
            max_offset,
            now,
        ) {
            return self.roll_at(first_offset, config, now);
        }
        Ok(active)
    }

    /// Makes a new active segment at `base` (the next offset). Kafka: `LocalLog.roll`.
    pub(crate) fn roll_at(
        &self,
        base: i64,
        config: &LogConfig,
        now: i64,
    ) -> Result<Arc<LogSegment>, LogError> {
        let active = self.active_segment();
        if active.base_offset() == base && active.size() == 0 {
            return Ok(active);
        }
        active
            .on_become_inactive()
            .map_err(|e| self.storage_error("finishing the previous segment", e))?;
        let seg = LogSegment::open(
            &self.dir(),
            base,
            config.index_interval_bytes,
            config.segment_index_bytes,
            now,
        )
        .map_err(|e| self.storage_error("creating a segment", e))?;
        let seg = Arc::new(seg);
        self.segments
            .write()
            .expect("segments lock poisoned")
            .insert(base, seg.clone());
        self.last_rolled_base.store(base, Ordering::Release);
        tracing::debug!(partition = %self.tp, base, "rolled new log segment");
        Ok(seg)
    }

    /// Registers where the cleaner learns the active producers (the partition owning the
    /// producer state). The provider is called without any lock of this log held.
    pub fn set_active_producers_provider(&self, provider: ActiveProducers) {
        *self
            .active_producers
            .write()
            .expect("provider lock poisoned") = Some(provider);
    }

    /// Active producers' last data offsets, when a provider is registered.
    pub fn active_producers(&self) -> Option<std::collections::HashMap<i64, i64>> {
        let p = self
            .active_producers
            .read()
            .expect("provider lock poisoned")
            .clone();
        p.map(|p| (p.0)())
    }

    /// The base offset of a segment rolled since the last call, if any. The producer state
    /// lives with the partition (it is checked under the partition's lock around appends), so
    /// the partition asks after each append and snapshots its state — which, before it commits
    /// the append, is exactly the state at the new segment's base offset.
    pub fn take_rolled_segment_base(&self) -> Option<i64> {
        let b = self.last_rolled_base.swap(-1, Ordering::AcqRel);
        (b >= 0).then_some(b)
    }

    /// Rolls now (used by retention when every segment is deletable, and by tests).
    pub fn roll(&self) -> Result<(), LogError> {
        let _w = self.writer.lock().expect("writer lock poisoned");
        let config = self.config();
        self.roll_at(self.log_end_offset(), &config, self.clock.milliseconds())
            .map(|_| ())
    }

    /// Reads whole batches from `start_offset`: at most `max_bytes` unless `min_one_batch`
    /// lets the first batch through whole, never a batch at or above `upper_bound` (the high
    /// watermark for consumers; `None` = log end for followers). Kafka: `UnifiedLog.read` /
    /// `LocalLog.read`.
    pub fn read(
        &self,
        start_offset: i64,
        max_bytes: usize,
        upper_bound: Option<i64>,
        min_one_batch: bool,
    ) -> Result<FetchDataInfo, LogError> {
        self.check_online()?;
        let leo = self.log_end_offset();
        let lso = self.log_start_offset();
        let out = |records: Bytes| FetchDataInfo {
            records,
            fetch_offset: start_offset,
            log_start_offset: lso,
            log_end_offset: leo,
            high_watermark: self.high_watermark(),
        };
        if start_offset > leo || start_offset < lso {
            return Err(LogError::OffsetOutOfRange {
                partition: self.tp.to_string(),
                offset: start_offset,
                log_start_offset: lso,
                log_end_offset: leo,
            });
        }
        let upper = upper_bound.unwrap_or(leo).min(leo);
        if start_offset >= upper {
            return Ok(out(Bytes::new()));
        }
        let mut from = start_offset;
        loop {
            let seg = {
                let segs = self.segments.read().expect("segments lock poisoned");
                match segs
                    .range(..=from)
                    .next_back()
                    .or_else(|| segs.range(from..).next())
                {
                    Some((_, s)) => s.clone(),
                    None => return Ok(out(Bytes::new())),
                }
            };
            match seg
                .read(start_offset, max_bytes, upper, min_one_batch)
                .map_err(|e| self.storage_error("reading the log", e))?
            {
                Some(b) => return Ok(out(b)),
                None => {
                    // Offset past this segment's data (a gap after compaction, or a segment
                    // truncated underneath us): continue in the next segment.
                    let segs = self.segments.read().expect("segments lock poisoned");
                    match segs.range(seg.base_offset() + 1..).next() {
                        Some((&b, _)) => from = b,
                        None => return Ok(out(Bytes::new())),
                    }
                }
            }
        }
    }

    /// fsyncs every segment from the recovery point to the log end; advances the recovery
    /// point. Kafka: `UnifiedLog.flush`.
    pub fn flush(&self) -> Result<(), LogError> {
        let mut w = self.writer.lock().expect("writer lock poisoned");
        let now = self.clock.milliseconds();
        self.flush_locked(&mut w, now)
    }

    pub(crate) fn flush_locked(&self, w: &mut WriterState, now: i64) -> Result<(), LogError> {
        let leo = self.log_end_offset();
        let rp = self.recovery_point();
        let segs: Vec<_> = {
            let s = self.segments.read().expect("segments lock poisoned");
            let floor = s
                .range(..=rp)
                .next_back()
                .map(|(b, _)| *b)
                .unwrap_or(i64::MIN);
            s.range(floor..).map(|(_, v)| v.clone()).collect()
        };
        for s in segs {
            s.flush()
                .map_err(|e| self.storage_error("flushing the log", e))?;
        }
        self.recovery_point.fetch_max(leo, Ordering::AcqRel);
        w.unflushed_messages = 0;
        w.last_flush_ms = now;
        Ok(())
    }

    /// Flushes when `flush.ms` has passed since the last flush (background task). Kafka:
    /// `LogManager.flushDirtyLogs`.
    pub fn flush_if_due(&self) -> Result<(), LogError> {
        let mut w = self.writer.lock().expect("writer lock poisoned");
        let now = self.clock.milliseconds();
        let flush_ms = self.config().flush_ms;
        if now.saturating_sub(w.last_flush_ms) >= flush_ms
            && self.recovery_point() < self.log_end_offset()
        {
            self.flush_locked(&mut w, now)?;
        }
        Ok(())
    }

    /// Writes index entries of all segments (no fsync) so a clean load finds them.
    pub fn flush_indexes(&self) -> Result<(), LogError> {
        for s in self.segments_snapshot() {
            s.flush_indexes()
                .map_err(|e| self.storage_error("writing index files", e))?;
        }
        Ok(())
    }

    /// Clean close: final time-index entry for the active segment, then flush everything.
    /// Kafka: `UnifiedLog.close` (after `LogManager.shutdown` flushed).
    pub fn close(&self) -> Result<(), LogError> {
        self.check_online()?;
        let mut w = self.writer.lock().expect("writer lock poisoned");
        self.active_segment()
            .on_become_inactive()
            .map_err(|e| self.storage_error("closing the active segment", e))?;
        let now = self.clock.milliseconds();
        self.flush_locked(&mut w, now)
    }
}

pub(crate) fn batch_info(h: &RecordBatchHeader<'_>) -> BatchAppendInfo {
    BatchAppendInfo {
        base_offset: h.base_offset(),
        last_offset: h.last_offset(),
        record_count: h.record_count(),
        producer_id: h.producer_id(),
        producer_epoch: h.producer_epoch(),
        base_sequence: h.base_sequence(),
        last_sequence: h.last_sequence(),
        is_transactional: h.is_transactional(),
        is_control: h.is_control_batch(),
        max_timestamp: h.max_timestamp(),
        partition_leader_epoch: h.partition_leader_epoch(),
    }
}
