//! Retention: deleting a prefix of old segments by time, size and log start offset, with
//! Kafka's two-step delete (rename to `.deleted`, remove after `file.delete.delay.ms`).
//! Kafka: `UnifiedLog.deleteOldSegments` / `deleteRetentionMsBreachedSegments` /
//! `deleteRetentionSizeBreachedSegments` / `deleteLogStartOffsetBreachedSegments`,
//! `LocalLog.deletableSegments`, `LocalLog.deleteSegmentFiles`.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::errors::LogError;
use super::segment::LogSegment;
use super::unified_log::Log;

/// Why a segment was deleted (for logs). Kafka: `SegmentDeletionReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionReason {
    RetentionMs,
    RetentionSize,
    StartOffsetBreach,
}

impl Log {
    /// One retention pass; returns the number of segments deleted. Called every
    /// `log.retention.check.interval.ms` by the `LogManager`. Compacted-only topics delete only
    /// segments below the log start offset. Kafka: `UnifiedLog.deleteOldSegments`.
    pub fn delete_old_segments(&self) -> Result<usize, LogError> {
        self.check_online()?;
        let config = self.config();
        let mut n = 0;
        if config.cleanup_policy.delete {
            n += self.delete_retention_ms_breached()?;
            n += self.delete_retention_size_breached()?;
        }
        n += self.delete_log_start_offset_breached()?;
        Ok(n)
    }

    fn delete_retention_ms_breached(&self) -> Result<usize, LogError> {
        let retention_ms = self.config().retention_ms;
        if retention_ms < 0 {
            return Ok(0);
        }
        let now = self.clock.milliseconds();
        self.delete_segments_while(DeletionReason::RetentionMs, |seg, _| {
            now - seg.largest_timestamp() > retention_ms
        })
    }

    fn delete_retention_size_breached(&self) -> Result<usize, LogError> {
        let retention_bytes = self.config().retention_bytes;
        if retention_bytes < 0 {
            return Ok(0);
        }
        let size = self.size() as i64;
        if size < retention_bytes {
            return Ok(0);
        }
        let mut diff = size - retention_bytes;
        self.delete_segments_while(DeletionReason::RetentionSize, move |seg, _| {
            let s = seg.size() as i64;
            if diff - s >= 0 {
                diff -= s;
                true
            } else {
                false
            }
        })
    }

    fn delete_log_start_offset_breached(&self) -> Result<usize, LogError> {
        let lso = self.log_start_offset();
        self.delete_segments_while(DeletionReason::StartOffsetBreach, |_, next| {
            next.is_some_and(|n| n.base_offset() <= lso)
        })
    }

    /// Deletes the longest prefix of segments satisfying `predicate(segment, next)`, never a
    /// segment reaching past the high watermark, never the last segment when empty; rolls first
    /// when every segment goes. Kafka: `LocalLog.deletableSegments` + `UnifiedLog.deleteSegments`.
    fn delete_segments_while(
        &self,
        reason: DeletionReason,
        mut predicate: impl FnMut(&LogSegment, Option<&LogSegment>) -> bool,
    ) -> Result<usize, LogError> {
        let _w = self.writer.lock().expect("writer lock poisoned");
        let segs = self.segments_snapshot();
        let hw = self.high_watermark();
        let leo = self.log_end_offset();
        let mut deletable: Vec<Arc<LogSegment>> = Vec::new();
        for (i, seg) in segs.iter().enumerate() {
            let next = segs.get(i + 1);
            let is_last_and_empty = next.is_none() && seg.size() == 0;
            let upper = next.map(|n| n.base_offset()).unwrap_or(leo);
            if predicate(seg, next.map(|n| n.as_ref())) && hw >= upper && !is_last_and_empty {
                deletable.push(seg.clone());
            } else {
                break;
            }
        }
        if deletable.is_empty() {
            return Ok(0);
        }
        let now = self.clock.milliseconds();
        if deletable.len() == segs.len() {
            // Keep an active segment: roll one at the log end first.
            let config = self.config();
            self.roll_at(leo, &config, now)?;
        }
        {
            let mut map = self.segments.write().expect("segments lock poisoned");
            for s in &deletable {
                map.remove(&s.base_offset());
            }
        }
        let new_start = self
            .segments
            .read()
            .expect("segments lock poisoned")
            .keys()
            .next()
            .copied()
            .unwrap_or(leo);
        self.maybe_increment_log_start_offset(new_start)?;
        if self.recovery_point() < new_start {
            self.recovery_point.store(new_start, Ordering::Release);
        }
        self.schedule_delete(&deletable, now)?;
        self.schedule_snapshot_deletes(&deletable, now);
        tracing::info!(
            partition = %self.tp,
            ?reason,
            count = deletable.len(),
            log_start_offset = self.log_start_offset(),
            "deleted old log segments"
        );
        Ok(deletable.len())
    }

    /// Step one of deletion: rename to `.deleted`; the files go after `file.delete.delay.ms`
    /// (immediately when 0). Kafka: `LocalLog.deleteSegmentFiles`.
    pub(crate) fn schedule_delete(
        &self,
        segs: &[Arc<LogSegment>],
        now: i64,
    ) -> Result<(), LogError> {
        if segs.is_empty() {
            return Ok(());
        }
        let mut paths: Vec<PathBuf> = Vec::new();
        for s in segs {
            paths.extend(
                s.rename_to_deleted()
                    .map_err(|e| self.storage_error("renaming a segment to .deleted", e))?,
            );
        }
        let delay = self.config().file_delete_delay_ms;
        if delay <= 0 {
            remove_files(&paths);
        } else {
            self.pending_deletes
                .lock()
                .expect("pending deletes lock poisoned")
                .push((now.saturating_add(delay), paths));
        }
        Ok(())
    }

    /// A deleted segment's producer snapshot (`<base>.snapshot`) goes with it, by the same
    /// two steps. Kafka: `LocalLog.deleteSegmentFiles` →
    /// `ProducerStateManager.removeAndMarkSnapshotForDeletion`. A failure only leaves a stale
    /// snapshot behind (it is below the log start and never loaded), so it is logged, not fatal.
    fn schedule_snapshot_deletes(&self, segs: &[Arc<LogSegment>], now: i64) {
        let dir = self.dir();
        let mut paths = Vec::new();
        for s in segs {
            let snap = super::producer_state_manager::snapshot_path(&dir, s.base_offset());
            let deleted = PathBuf::from(format!(
                "{}{}",
                snap.display(),
                super::segment::DELETED_FILE_SUFFIX
            ));
            match std::fs::rename(&snap, &deleted) {
                Ok(()) => paths.push(deleted),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::warn!(path = %snap.display(), error = %e, "cannot delete producer snapshot")
                }
            }
        }
        if paths.is_empty() {
            return;
        }
        let delay = self.config().file_delete_delay_ms;
        if delay <= 0 {
            remove_files(&paths);
        } else {
            self.pending_deletes
                .lock()
                .expect("pending deletes lock poisoned")
                .push((now.saturating_add(delay), paths));
        }
    }

    /// Step two: removes `.deleted` files whose delay has passed (background task).
    pub fn delete_pending_files(&self) {
        let now = self.clock.milliseconds();
        let due: Vec<PathBuf> = {
            let mut p = self
                .pending_deletes
                .lock()
                .expect("pending deletes lock poisoned");
            let (due, keep): (Vec<_>, Vec<_>) = p.drain(..).partition(|(t, _)| *t <= now);
            *p = keep;
            due.into_iter().flat_map(|(_, v)| v).collect()
        };
        remove_files(&due);
    }

    /// Files still waiting for their delete delay.
    pub fn pending_delete_count(&self) -> usize {
        self.pending_deletes
            .lock()
            .expect("pending deletes lock poisoned")
            .iter()
            .map(|(_, v)| v.len())
            .sum()
    }
}

fn remove_files(paths: &[PathBuf]) {
    for p in paths {
        if let Err(e) = std::fs::remove_file(p) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(path = %p.display(), error = %e, "could not remove deleted segment file");
            }
        }
    }
}
