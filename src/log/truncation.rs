//! Moving a log's ends: follower truncation, full truncation, and DeleteRecords (log start).
//! Kafka: `UnifiedLog.truncateTo`, `truncateFullyAndStartAt`, `maybeIncrementLogStartOffset`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::errors::LogError;
use super::segment::LogSegment;
use super::unified_log::Log;

impl Log {
    /// Removes every offset ≥ `target_offset` (a follower diverged from the leader). Returns
    /// whether anything was removed. Below the log start it truncates fully. Kafka:
    /// `UnifiedLog.truncateTo` / `LocalLog.truncateTo`.
    pub fn truncate_to(&self, target_offset: i64) -> Result<bool, LogError> {
        self.check_online()?;
        if target_offset < 0 {
            return Err(LogError::OffsetOutOfRange {
                partition: self.tp.to_string(),
                offset: target_offset,
                log_start_offset: self.log_start_offset(),
                log_end_offset: self.log_end_offset(),
            });
        }
        if target_offset >= self.log_end_offset() {
            return Ok(false);
        }
        if target_offset < self.log_start_offset() {
            self.truncate_fully_and_start_at(target_offset)?;
            return Ok(true);
        }
        let _w = self.writer.lock().expect("writer lock poisoned");
        let now = self.clock.milliseconds();
        // Whole segments above the target go (renamed .deleted, removed after the delay).
        // The segment holding the target always stays: its base is ≤ target because the
        // first segment starts at or below the log start offset, which is ≤ target here.
        let doomed: Vec<Arc<LogSegment>> = {
            let mut segs = self.segments.write().expect("segments lock poisoned");
            let keys: Vec<i64> = segs.range(target_offset + 1..).map(|(k, _)| *k).collect();
            keys.iter().filter_map(|k| segs.remove(k)).collect()
        };
        self.schedule_delete(&doomed, now)?;
        let active = self.active_segment();
        active
            .truncate_to(target_offset)
            .map_err(|e| self.storage_error("truncating the log", e))?;
        let leo = active
            .read_next_offset()
            .map_err(|e| self.storage_error("reading the log end", e))?;
        let leo = leo.max(active.base_offset());
        self.log_end_offset.store(leo, Ordering::Release);
        self.high_watermark.fetch_min(leo, Ordering::AcqRel);
        self.recovery_point.fetch_min(leo, Ordering::AcqRel);
        self.leader_epoch_cache()
            .truncate_from_end(leo)
            .map_err(|e| self.storage_error("writing leader-epoch-checkpoint", e))?;
        tracing::info!(partition = %self.tp, target_offset, log_end_offset = leo, "truncated log");
        Ok(true)
    }

    /// Deletes every segment and restarts the log empty at `new_offset` (log start, end and
    /// high watermark all become `new_offset`; the epoch cache is cleared). Kafka:
    /// `UnifiedLog.truncateFullyAndStartAt`.
    pub fn truncate_fully_and_start_at(&self, new_offset: i64) -> Result<(), LogError> {
        self.check_online()?;
        let _w = self.writer.lock().expect("writer lock poisoned");
        let config = self.config();
        let now = self.clock.milliseconds();
        let seg = LogSegment::open(
            &self.dir(),
            new_offset,
            config.index_interval_bytes,
            config.segment_index_bytes,
            now,
        );
        // If a segment already sits at new_offset its files are reused (emptied below).
        let old: Vec<Arc<LogSegment>> =
            std::mem::take(&mut *self.segments.write().expect("segments lock poisoned"))
                .into_values()
                .collect();
        let mut keep_files_of = None;
        for s in &old {
            if s.base_offset() == new_offset {
                keep_files_of = Some(s.clone());
            }
        }
        let to_delete: Vec<_> = old
            .into_iter()
            .filter(|s| s.base_offset() != new_offset)
            .collect();
        self.schedule_delete(&to_delete, now)?;
        let seg = match keep_files_of {
            Some(s) => {
                s.truncate_to(new_offset)
                    .map_err(|e| self.storage_error("truncating the log", e))?;
                drop(seg);
                s
            }
            None => Arc::new(seg.map_err(|e| self.storage_error("creating a segment", e))?),
        };
        self.segments
            .write()
            .expect("segments lock poisoned")
            .insert(new_offset, seg);
        self.log_end_offset.store(new_offset, Ordering::Release);
        self.log_start_offset.store(new_offset, Ordering::Release);
        self.high_watermark.store(new_offset, Ordering::Release);
        self.recovery_point.store(new_offset, Ordering::Release);
        self.leader_epoch_cache()
            .clear_and_flush()
            .map_err(|e| self.storage_error("writing leader-epoch-checkpoint", e))?;
        tracing::info!(partition = %self.tp, new_offset, "truncated log fully");
        Ok(())
    }

    /// DeleteRecords: advances the log start offset to `offset` (never past the high
    /// watermark); segments wholly below it are removed by the next retention pass. Returns the
    /// new log start offset. Kafka: `UnifiedLog.maybeIncrementLogStartOffset` (reason
    /// ClientRecordDeletion).
    pub fn delete_records_before(&self, offset: i64) -> Result<i64, LogError> {
        self.check_online()?;
        let _w = self.writer.lock().expect("writer lock poisoned");
        let hw = self.high_watermark();
        if offset > hw || offset < 0 {
            return Err(LogError::OffsetOutOfRange {
                partition: self.tp.to_string(),
                offset,
                log_start_offset: self.log_start_offset(),
                log_end_offset: hw,
            });
        }
        self.maybe_increment_log_start_offset(offset)?;
        Ok(self.log_start_offset())
    }

    /// Raises the log start offset (followers copy the leader's). Caller holds the writer lock.
    pub(crate) fn maybe_increment_log_start_offset(&self, offset: i64) -> Result<(), LogError> {
        let old = self.log_start_offset();
        if offset <= old {
            return Ok(());
        }
        self.log_start_offset.store(offset, Ordering::Release);
        if self.high_watermark() < offset {
            self.high_watermark.store(offset, Ordering::Release);
        }
        self.leader_epoch_cache()
            .truncate_from_start(offset)
            .map_err(|e| self.storage_error("writing leader-epoch-checkpoint", e))?;
        tracing::info!(partition = %self.tp, log_start_offset = offset, "incremented log start offset");
        Ok(())
    }

    /// Follower path: adopt the leader's log start offset when it is higher (bounded by our
    /// own log end). Kafka: `ReplicaFetcherThread` → `maybeIncrementLogStartOffset(LeaderOffsetIncremented)`.
    pub fn follow_leader_log_start_offset(&self, leader_log_start: i64) -> Result<(), LogError> {
        let _w = self.writer.lock().expect("writer lock poisoned");
        let target = leader_log_start.min(self.log_end_offset());
        self.maybe_increment_log_start_offset(target)
    }
}
