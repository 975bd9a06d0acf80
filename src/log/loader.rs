//! Loading a partition directory at startup, with recovery after an unclean shutdown.
//! Kafka: `LogLoader.load` / `recoverLog`, `LogSegment.recover`.
//!
//! Steps (each logged):
//! 1. Remove leftovers: `*.tmp`, `*.cleaned`, `*.deleted`; complete `*.swap` renames
//!    (compaction's swap-in was interrupted after the new files were complete).
//! 2. Open every `<20-digit>.log`. Segments below the recovery point load their index files
//!    (sanity-checked; rebuilt if bad). After an unclean shutdown every segment from the one
//!    holding the recovery point onward is re-validated batch by batch (CRC32C, lengths,
//!    increasing offsets), its indexes and the leader epoch cache rebuilt; at the first bad or
//!    torn batch that segment is truncated and all later segments are deleted.
//! 3. Log end offset from the last segment; log start offset = max(checkpoint, first base);
//!    if the log ends before the checkpointed start, everything is deleted and the log
//!    restarts empty at the start offset (offsets are never reused).
//! 4. Epoch cache truncated to [log start, log end].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64};
use std::sync::{Arc, Mutex, RwLock};

use rand::Rng;

use super::config::LogConfig;
use super::dir_failure::LogDirFailureChannel;
use super::errors::LogError;
use super::leader_epoch::LeaderEpochFileCache;
use super::segment::{
    LogSegment, CLEANED_FILE_SUFFIX, DELETED_FILE_SUFFIX, LOG_FILE_SUFFIX, SWAP_FILE_SUFFIX,
};
use super::unified_log::{Log, WriterState};
use crate::cluster::TopicPartition;
use crate::time::SharedClock;

/// What `Log::load` needs. The offsets come from the directory's checkpoint files.
#[derive(Debug)]
pub struct LoadParams {
    pub tp: TopicPartition,
    /// The partition directory (`<log.dir>/<topic>-<partition>`).
    pub dir: PathBuf,
    /// The configured log dir holding it (the unit that goes offline).
    pub parent_dir: PathBuf,
    pub config: LogConfig,
    pub clock: SharedClock,
    pub failure: Arc<LogDirFailureChannel>,
    /// From `recovery-point-offset-checkpoint` (0 if absent).
    pub recovery_point: i64,
    /// From `log-start-offset-checkpoint`.
    pub log_start_offset: Option<i64>,
    /// From `replication-offset-checkpoint`.
    pub high_watermark: Option<i64>,
    /// `.kafka_cleanshutdown` was present.
    pub had_clean_shutdown: bool,
    pub topic_id: Option<[u8; 16]>,
}

/// What recovery did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadReport {
    pub segments_loaded: usize,
    pub segments_recovered: usize,
    pub indexes_rebuilt: usize,
    pub truncated_bytes: u64,
    pub segments_deleted: usize,
}

fn io_err(p: &LoadParams, what: &str, e: std::io::Error) -> LogError {
    let reason = format!("{what} in {}: {e}", p.dir.display());
    p.failure.maybe_add_offline_log_dir(&p.parent_dir, &reason);
    LogError::KafkaStorage {
        partition: p.tp.to_string(),
        dir: p.parent_dir.clone(),
        reason,
    }
}

/// Parses `<20 digits>.log` into its base offset.
fn base_offset_of(name: &str) -> Option<i64> {
    let stem = name.strip_suffix(LOG_FILE_SUFFIX)?;
    if stem.len() != 20 || !stem.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    stem.parse().ok()
}

/// Step 1: remove temp/deleted/cleaned files, complete swaps; return segment base offsets.
fn clean_directory(dir: &Path) -> std::io::Result<Vec<i64>> {
    let mut bases = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in &entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.ends_with(".tmp")
            || name.ends_with(DELETED_FILE_SUFFIX)
            || name.ends_with(CLEANED_FILE_SUFFIX)
        {
            fs::remove_file(path)?;
        } else if let Some(final_name) = name.strip_suffix(SWAP_FILE_SUFFIX) {
            // The swap file is complete (it is renamed only after being fully written). Its
            // segment's old index files describe the replaced data: remove them to force a
            // rebuild. Kafka: `LogLoader.load` swap handling.
            fs::rename(path, dir.join(final_name))?;
            if let Some(prefix) = final_name.strip_suffix(LOG_FILE_SUFFIX) {
                for ext in [".index", ".timeindex"] {
                    let _ = fs::remove_file(dir.join(format!("{prefix}{ext}")));
                }
            }
        }
    }
    for e in fs::read_dir(dir)? {
        let e = e?;
        if let Some(b) = e.file_name().to_str().and_then(base_offset_of) {
            bases.push(b);
        }
    }
    bases.sort_unstable();
    Ok(bases)
}

impl Log {
    /// Loads (or creates) the log in `params.dir`. Kafka: `UnifiedLog.apply` → `LogLoader.load`.
    pub fn load(params: LoadParams) -> Result<(Arc<Log>, LoadReport), LogError> {
        let p = &params;
        fs::create_dir_all(&p.dir).map_err(|e| io_err(p, "creating the partition directory", e))?;
        let bases = clean_directory(&p.dir).map_err(|e| io_err(p, "cleaning the directory", e))?;
        let now = p.clock.milliseconds();
        let cfg = &p.config;
        let (mut epochs, epochs_unreadable) = match LeaderEpochFileCache::load(&p.dir) {
            Ok(c) => (c, false),
            Err(e) => {
                tracing::warn!(partition = %p.tp, error = %e, "leader-epoch-checkpoint unreadable; rebuilding");
                (LeaderEpochFileCache::empty(&p.dir), true)
            }
        };
        let loaded_epochs = epochs.entries().to_vec();
        let mut report = LoadReport::default();
        let mut segments: BTreeMap<i64, Arc<LogSegment>> = BTreeMap::new();
        // The segment holding the recovery point: recovery starts there.
        let recover_from = bases
            .iter()
            .copied()
            .rfind(|b| *b <= p.recovery_point)
            .unwrap_or(i64::MIN);
        let mut next_offset: Option<i64> = None;
        let mut stop_after: Option<i64> = None;
        for &base in &bases {
            if let Some(stop) = stop_after {
                if base > stop {
                    // Everything after a torn/corrupt segment is gone (Kafka deletes it).
                    for suffix in [".log", ".index", ".timeindex", ".txnindex", ".snapshot"] {
                        let f = p
                            .dir
                            .join(format!("{}{suffix}", super::segment::filename_prefix(base)));
                        let _ = fs::remove_file(f);
                    }
                    report.segments_deleted += 1;
                    continue;
                }
            }
            let seg = LogSegment::open(
                &p.dir,
                base,
                cfg.index_interval_bytes,
                cfg.segment_index_bytes,
                now,
            )
            .map_err(|e| io_err(p, "opening a segment", e))?;
            report.segments_loaded += 1;
            let must_recover = !p.had_clean_shutdown && base >= recover_from;
            let indexes_ok = !must_recover
                && seg
                    .load_indexes(cfg.segment_index_bytes)
                    .map_err(|e| io_err(p, "loading index files", e))?;
            if !indexes_ok {
                if !must_recover {
                    report.indexes_rebuilt += 1;
                }
                let r = seg
                    .recover(Some(&mut epochs))
                    .map_err(|e| io_err(p, "recovering a segment", e))?;
                report.segments_recovered += 1;
                seg.flush_indexes()
                    .map_err(|e| io_err(p, "writing index files", e))?;
                if r.truncated_bytes > 0 {
                    tracing::warn!(
                        partition = %p.tp, base, truncated_bytes = r.truncated_bytes,
                        reason = ?r.stop_reason, "truncated a torn or corrupt log tail during recovery"
                    );
                    report.truncated_bytes += r.truncated_bytes;
                    stop_after = Some(base);
                }
                next_offset = Some(r.next_offset);
            } else {
                next_offset = None;
            }
            segments.insert(base, Arc::new(seg));
        }
        // Drop empty segments left behind after the truncation point, except the last.
        let start_checkpoint = p.log_start_offset.unwrap_or(0);
        if segments.is_empty() {
            let base = start_checkpoint.max(0);
            let seg = LogSegment::open(
                &p.dir,
                base,
                cfg.index_interval_bytes,
                cfg.segment_index_bytes,
                now,
            )
            .map_err(|e| io_err(p, "creating the first segment", e))?;
            segments.insert(base, Arc::new(seg));
            next_offset = Some(base);
        }
        let last = segments.values().next_back().expect("non-empty").clone();
        let mut leo = match next_offset {
            Some(n) => n,
            None => last
                .read_next_offset()
                .map_err(|e| io_err(p, "reading the log end", e))?,
        };
        leo = leo.max(last.base_offset());
        let first_base = *segments.keys().next().expect("non-empty");
        let mut log_start = start_checkpoint.max(first_base);
        if leo < start_checkpoint {
            // Kafka: "log end offset is smaller than the log start offset" → start afresh.
            tracing::warn!(partition = %p.tp, leo, start_checkpoint, "log ends before its start offset; deleting all segments");
            for s in segments.values() {
                let _ = s.rename_to_deleted().map(|v| {
                    v.into_iter().for_each(|f| {
                        let _ = fs::remove_file(f);
                    })
                });
            }
            report.segments_deleted += segments.len();
            segments.clear();
            let seg = LogSegment::open(
                &p.dir,
                start_checkpoint,
                cfg.index_interval_bytes,
                cfg.segment_index_bytes,
                now,
            )
            .map_err(|e| io_err(p, "creating the first segment", e))?;
            segments.insert(start_checkpoint, Arc::new(seg));
            leo = start_checkpoint;
            log_start = start_checkpoint;
            epochs
                .clear_and_flush()
                .map_err(|e| io_err(p, "writing leader-epoch-checkpoint", e))?;
        }
        epochs
            .truncate_from_end(leo)
            .and_then(|_| epochs.truncate_from_start(log_start))
            .map_err(|e| io_err(p, "writing leader-epoch-checkpoint", e))?;
        // Persist only what recovery changed (entries assigned from replayed batches) or a
        // file that could not be read. A new log's empty cache needs no fsync — losing an empty
        // file loses nothing; Kafka's `CheckpointFile` constructor likewise only creates the
        // empty file — so creating many partitions does not pay an fsync each here.
        if epochs_unreadable || epochs.entries() != loaded_epochs.as_slice() {
            epochs.flush()
        } else {
            epochs.create_if_missing()
        }
        .map_err(|e| io_err(p, "writing leader-epoch-checkpoint", e))?;
        let recovery_point = if p.had_clean_shutdown {
            leo
        } else {
            p.recovery_point.min(leo)
        };
        let hw = p.high_watermark.unwrap_or(0).clamp(log_start, leo);
        let jitter = if cfg.segment_jitter_ms > 0 {
            rand::thread_rng().gen_range(0..cfg.segment_jitter_ms.min(cfg.segment_ms))
        } else {
            0
        };
        let log = Log {
            tp: p.tp.clone(),
            dir: RwLock::new(p.dir.clone()),
            parent_dir: p.parent_dir.clone(),
            config: RwLock::new(Arc::new(p.config.clone())),
            clock: p.clock.clone(),
            failure: p.failure.clone(),
            segments: RwLock::new(segments),
            writer: Mutex::new(WriterState {
                last_flush_ms: now,
                ..Default::default()
            }),
            log_end_offset: AtomicI64::new(leo),
            log_start_offset: AtomicI64::new(log_start),
            high_watermark: AtomicI64::new(hw),
            recovery_point: AtomicI64::new(recovery_point),
            epochs: Mutex::new(epochs),
            pending_deletes: Mutex::new(Vec::new()),
            topic_id: Mutex::new(
                p.topic_id
                    .or_else(|| super::checkpoint::read_partition_metadata(&p.dir)),
            ),
            roll_jitter_ms: jitter,
            deleted: AtomicBool::new(false),
            cleaner_checkpoint: AtomicI64::new(0),
            last_rolled_base: AtomicI64::new(-1),
            active_producers: std::sync::RwLock::new(None),
        };
        tracing::info!(
            partition = %p.tp, log_start_offset = log_start, log_end_offset = leo,
            clean = p.had_clean_shutdown, ?report, "loaded log"
        );
        Ok((Arc::new(log), report))
    }
}
