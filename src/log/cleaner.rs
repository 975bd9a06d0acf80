//! Log compaction (`cleanup.policy=compact`): keep the latest record per key, drop expired
//! tombstones, never touch the active segment, keep offsets. Kafka: `LogCleaner.scala`,
//! `LogCleanerManager.scala` (semantics §3.6).
//!
//! One pass over a log (`clean_log`):
//! 1. Cleanable range: whole segments from the log start up to the first uncleanable offset =
//!    min(active segment base, high watermark — our LSO, as this layer tracks no open
//!    transactions), stopping before the first segment younger than `min.compaction.lag.ms`.
//!    Skipped unless the dirty ratio (bytes past the cleaner checkpoint / cleanable bytes)
//!    exceeds `min.cleanable.dirty.ratio` (Kafka `LogCleanerManager.cleanableOffsets`,
//!    `grabFilthiestCompactedLog`).
//! 2. Offset map: key → latest offset within the range (Kafka builds it from the dirty part only
//!    and caps it at `log.cleaner.dedupe.buffer.size`; we map the whole range, which keeps the
//!    same survivors).
//! 3. Each segment is rewritten to `<base>.log.cleaned`: a batch whose records all survive is
//!    copied byte for byte; otherwise the survivors are re-encoded (uncompressed) with their
//!    original offsets; batches left empty are dropped.
//! 4. Swap: `.cleaned` → `.swap`; under the append lock the old files become `.deleted`, the
//!    `.swap` becomes `<base>.log`, and the new segment replaces the old in the map. A crash
//!    in between is finished by the loader (it completes `.swap` renames).
//!
//! Tombstones and producers follow Kafka 3.9 (`LogCleaner.cleanInto`, `shouldRetainRecord`):
//! - KIP-534 delete horizon: the first cleaning that keeps a v2 batch holding tombstones
//!   rewrites it with `deleteHorizonMs = now + delete.retention.ms` (attribute bit 6, base
//!   timestamp); a later cleaning drops its tombstones once `now ≥ deleteHorizonMs`. So a
//!   tombstone is visible for at least `delete.retention.ms` after the cleaner first saw it.
//! - The last batch of each active producer is kept even when compaction empties it (written
//!   as a header-only batch, `BatchRetention.RETAIN_EMPTY`), so the producer's last sequence
//!   survives and its next append is not OUT_OF_ORDER_SEQUENCE. Rewritten batches keep the
//!   original base/last offset and base sequence (`overrideLastOffset`). "Active producers"
//!   come from the partition's producer state ([`Log::set_active_producers_provider`]); a log
//!   without one (tools, tests) takes each producer's last batch in the log, a superset.
//! - Which log runs: the dirty ratio (bytes at or after the cleaner checkpoint / cleanable
//!   bytes) must exceed `min.cleanable.dirty.ratio`, unless a dirty segment is older than
//!   `max.compaction.lag.ms` (Kafka `LogCleanerManager.grabFilthiestCompactedLog`,
//!   `maxCompactionDelay`). Segments younger than `min.compaction.lag.ms` are not cleaned.
//!
//! Compressed batches are decoded with `kafka-protocol`; a batch it cannot decode
//! (xerial-framed snappy) is copied unchanged, never dropped. Transactional cleaning (aborted
//! data, markers) is not done: control batches are copied unchanged.

use std::collections::HashMap;
use std::fs;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::records::RecordBatchDecoder;

use super::errors::LogError;
use super::segment::{LogSegment, CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX};
use super::unified_log::Log;
use crate::protocol::record_batch::BatchIter;

/// What one cleaning pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanerStats {
    pub segments_cleaned: usize,
    pub records_removed: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// The first offset not yet cleaned (for `cleaner-offset-checkpoint`).
pub fn cleaner_checkpoint(log: &Log) -> i64 {
    log.cleaner_checkpoint
        .load(Ordering::Acquire)
        .max(log.log_start_offset())
}

/// Segments eligible for cleaning (oldest first) and the first uncleanable offset.
fn cleanable_segments(log: &Log) -> (Vec<Arc<LogSegment>>, i64) {
    let segs = log.segments_snapshot();
    let config = log.config();
    let now = log.clock.milliseconds();
    let hw = log.high_watermark();
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        let Some(next) = segs.get(i + 1) else { break };
        if next.base_offset() > hw {
            break;
        }
        if config.min_compaction_lag_ms > 0
            && now - s.largest_timestamp() < config.min_compaction_lag_ms
        {
            break;
        }
        out.push(s.clone());
    }
    let end = out
        .last()
        .and_then(|last| segs.iter().find(|s| s.base_offset() > last.base_offset()))
        .map(|s| s.base_offset())
        .unwrap_or(log.log_start_offset());
    (out, end)
}

/// Runs one cleaning pass when the log is dirty enough; see the module doc.
pub fn clean_log(log: &Log) -> Result<CleanerStats, LogError> {
    log.check_online()?;
    let config = log.config();
    if !config.compact() {
        return Ok(CleanerStats::default());
    }
    let (segs, end) = cleanable_segments(log);
    if segs.is_empty() {
        return Ok(CleanerStats::default());
    }
    let first_dirty = cleaner_checkpoint(log);
    let now = log.clock.milliseconds();
    let total: u64 = segs.iter().map(|s| s.size()).sum();
    let dirty_segs: Vec<&Arc<LogSegment>> = segs
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            let next = segs.get(i + 1).map(|n| n.base_offset()).unwrap_or(end);
            next > first_dirty || s.base_offset() >= first_dirty
        })
        .map(|(_, s)| s)
        .collect();
    let dirty: u64 = dirty_segs.iter().map(|s| s.size()).sum();
    // Kafka `LogCleanerManager.maxCompactionDelay`: a dirty segment older than
    // max.compaction.lag.ms forces a cleaning whatever the ratio.
    let overdue = config.max_compaction_lag_ms < i64::MAX
        && dirty_segs.iter().any(|s| {
            let first_ts = s.first_batch_timestamp();
            first_ts >= 0 && now.saturating_sub(first_ts) > config.max_compaction_lag_ms
        });
    let ratio = if total == 0 {
        0.0
    } else {
        dirty as f64 / total as f64
    };
    // Kafka: cleanable when `cleanableRatio > minCleanableRatio`, or overdue with dirty bytes.
    // Nothing dirty → nothing to do, even at ratio 0 (tombstones past their horizon wait for
    // the next cleaning that new data triggers, as in Kafka).
    if dirty == 0 || !(overdue || ratio > config.min_cleanable_dirty_ratio) {
        return Ok(CleanerStats::default());
    }
    let io = |what: &str, e: std::io::Error| log.storage_error(what, e);
    // Pass 1: the latest offset of every key in the range.
    let mut contents: Vec<Bytes> = Vec::with_capacity(segs.len());
    let mut latest: HashMap<Bytes, i64> = HashMap::new();
    for s in &segs {
        let bytes = s
            .read_all()
            .map_err(|e| io("reading a segment to clean", e))?;
        for (_, h) in BatchIter::new(&bytes).flatten() {
            if h.is_control_batch() {
                continue;
            }
            let mut b = Bytes::copy_from_slice(h.as_bytes());
            if let Ok(set) = RecordBatchDecoder::decode(&mut b) {
                for r in set.records {
                    if let Some(k) = r.key {
                        latest.insert(k, r.offset);
                    }
                }
            }
        }
        contents.push(bytes);
    }
    let active_producers = match log.active_producers() {
        Some(m) => m,
        None => {
            last_batch_of_each_producer(log).map_err(|e| io("reading producers' batches", e))?
        }
    };
    // Pass 2: rewrite each segment.
    let horizon = now.saturating_add(config.delete_retention_ms);
    let mut stats = CleanerStats::default();
    for (seg, bytes) in segs.iter().zip(&contents) {
        let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
        let mut removed = 0usize;
        let mut rewritten = false;
        for (_, h) in BatchIter::new(bytes).flatten() {
            let mut b = Bytes::copy_from_slice(h.as_bytes());
            let set = match RecordBatchDecoder::decode(&mut b) {
                Ok(set) if !h.is_control_batch() && h.is_v2() => set,
                _ => {
                    out.extend_from_slice(h.as_bytes());
                    continue;
                }
            };
            // Kafka `shouldRetainRecord`: latest for its key, and a tombstone only until the
            // batch's delete horizon has passed (no horizon yet: kept, and one is stamped).
            let horizon_passed = h.has_delete_horizon() && now >= h.base_timestamp();
            let keep: Vec<&kafka_protocol::records::Record> = set
                .records
                .iter()
                .filter(|r| {
                    let newest = match &r.key {
                        Some(k) => latest.get(k).is_none_or(|o| r.offset >= *o),
                        None => true,
                    };
                    newest && (r.value.is_some() || !horizon_passed)
                })
                .collect();
            removed += set.records.len() - keep.len();
            let needs_horizon = !h.has_delete_horizon() && keep.iter().any(|r| r.value.is_none());
            let last_of_active_producer = h.producer_id() >= 0
                && active_producers.get(&h.producer_id()) == Some(&h.last_offset());
            // A batch emptied earlier goes once it is no longer its producer's last.
            let stale_empty = set.records.is_empty() && !last_of_active_producer;
            if keep.len() == set.records.len() && !needs_horizon && !stale_empty {
                out.extend_from_slice(h.as_bytes());
                continue;
            }
            rewritten = true;
            if !keep.is_empty() {
                let stamp = if h.has_delete_horizon() {
                    Some(h.base_timestamp())
                } else if needs_horizon {
                    Some(horizon)
                } else {
                    None
                };
                out.extend_from_slice(&super::batch_writer::write_batch(&h, &keep, stamp));
            } else if last_of_active_producer {
                out.extend_from_slice(&super::batch_writer::write_empty_batch(&h));
            }
        }
        stats.bytes_before += bytes.len() as u64;
        stats.bytes_after += out.len() as u64;
        if !rewritten {
            continue;
        }
        stats.records_removed += removed;
        stats.segments_cleaned += 1;
        swap_in(log, seg, &out)?;
    }
    log.cleaner_checkpoint.fetch_max(end, Ordering::AcqRel);
    tracing::info!(partition = %log.topic_partition(), ?stats, "cleaned log");
    Ok(stats)
}

/// Each producer id's last batch offset in the whole log (headers only). The fallback for
/// logs without producer state; Kafka uses `ProducerStateManager.activeProducers` (which also
/// forgets producers idle past `producer.id.expiration.ms`).
fn last_batch_of_each_producer(log: &Log) -> std::io::Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    for s in log.segments_snapshot() {
        let bytes = s.read_all()?;
        for (_, h) in BatchIter::new(&bytes).flatten() {
            if h.producer_id() >= 0 && !h.is_control_batch() {
                out.insert(h.producer_id(), h.last_offset());
            }
        }
    }
    Ok(out)
}

/// Writes `.cleaned`, renames to `.swap`, then replaces `old` under the append lock.
/// Kafka: `LogCleaner.cleanSegments` + `UnifiedLog.replaceSegments`.
fn swap_in(log: &Log, old: &Arc<LogSegment>, data: &[u8]) -> Result<(), LogError> {
    let io = |what: &str, e: std::io::Error| log.storage_error(what, e);
    let dir = log.dir();
    let name = super::segment::filename_prefix(old.base_offset());
    let cleaned = dir.join(format!("{name}.log{CLEANED_FILE_SUFFIX}"));
    let swap = dir.join(format!("{name}.log{SWAP_FILE_SUFFIX}"));
    {
        use std::io::Write;
        let mut f = fs::File::create(&cleaned).map_err(|e| io("creating a .cleaned file", e))?;
        f.write_all(data)
            .map_err(|e| io("writing a .cleaned file", e))?;
        f.sync_all().map_err(|e| io("syncing a .cleaned file", e))?;
    }
    fs::rename(&cleaned, &swap).map_err(|e| io("renaming .cleaned to .swap", e))?;
    let _w = log.writer.lock().expect("writer lock poisoned");
    let still_there = log
        .segments
        .read()
        .expect("segments lock poisoned")
        .get(&old.base_offset())
        .is_some_and(|s| Arc::ptr_eq(s, old));
    if !still_there {
        // Truncated or deleted meanwhile: drop our work.
        let _ = fs::remove_file(&swap);
        return Ok(());
    }
    let now = log.clock.milliseconds();
    log.schedule_delete(std::slice::from_ref(old), now)?;
    fs::rename(&swap, dir.join(format!("{name}.log")))
        .map_err(|e| io("renaming .swap into place", e))?;
    let config = log.config();
    let seg = LogSegment::open(
        &dir,
        old.base_offset(),
        config.index_interval_bytes,
        config.segment_index_bytes,
        now,
    )
    .map_err(|e| io("opening a cleaned segment", e))?;
    seg.recover(None)
        .map_err(|e| io("indexing a cleaned segment", e))?;
    seg.on_become_inactive()
        .map_err(|e| io("writing cleaned indexes", e))?;
    log.segments
        .write()
        .expect("segments lock poisoned")
        .insert(old.base_offset(), Arc::new(seg));
    Ok(())
}
