//! `LogSegment`: one `.log` file of whole v2 batches plus its `.index` and `.timeindex`.
//!
//! Concurrency: only the owning `Log`'s append path (serialized by its append lock) mutates a
//! segment. Readers use `pread` on the shared file and see the committed `size`, which the
//! writer publishes (Release) after the bytes and index entries are in place; index locks are
//! held only for an in-memory lookup or push. Kafka: `LogSegment.java`.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use bytes::{Bytes, BytesMut};

use super::index::{OffsetIndex, TimeIndex};
use super::leader_epoch::LeaderEpochFileCache;
use crate::protocol::record_batch::{
    next_batch_size, BatchError, BatchIter, RecordBatchHeader, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD,
};

pub const LOG_FILE_SUFFIX: &str = ".log";
pub const INDEX_FILE_SUFFIX: &str = ".index";
pub const TIME_INDEX_FILE_SUFFIX: &str = ".timeindex";
pub const DELETED_FILE_SUFFIX: &str = ".deleted";
pub const CLEANED_FILE_SUFFIX: &str = ".cleaned";
pub const SWAP_FILE_SUFFIX: &str = ".swap";

/// Recovery reads the log in chunks of this size (larger when a single batch is larger).
const RECOVERY_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Kafka's 20-digit zero-padded file name prefix. Kafka: `LogFileUtils.filenamePrefixFromOffset`.
pub fn filename_prefix(offset: i64) -> String {
    format!("{offset:020}")
}

/// The files of a segment, renamed together.
#[derive(Debug, Clone)]
struct SegmentPaths {
    log: PathBuf,
    index: PathBuf,
    time_index: PathBuf,
}

impl SegmentPaths {
    fn new(dir: &Path, base_offset: i64, suffix: &str) -> SegmentPaths {
        let p = filename_prefix(base_offset);
        SegmentPaths {
            log: dir.join(format!("{p}{LOG_FILE_SUFFIX}{suffix}")),
            index: dir.join(format!("{p}{INDEX_FILE_SUFFIX}{suffix}")),
            time_index: dir.join(format!("{p}{TIME_INDEX_FILE_SUFFIX}{suffix}")),
        }
    }
    fn all(&self) -> [&PathBuf; 3] {
        [&self.log, &self.index, &self.time_index]
    }
}

/// Result of re-validating a segment. Kafka: `LogSegment.recover` returns truncated bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverResult {
    pub valid_bytes: u64,
    pub truncated_bytes: u64,
    /// The offset after the last valid batch (`base_offset` if none).
    pub next_offset: i64,
    /// Why recovery stopped early, if it did.
    pub stop_reason: Option<BatchError>,
}

/// One segment. See the module doc for the locking rules.
#[derive(Debug)]
pub struct LogSegment {
    base_offset: i64,
    paths: Mutex<SegmentPaths>,
    log_file: File,
    index_file: File,
    time_index_file: File,
    size: AtomicU64,
    offset_index: RwLock<OffsetIndex>,
    time_index: RwLock<TimeIndex>,
    max_timestamp: AtomicI64,
    offset_of_max_timestamp: AtomicI64,
    /// Max timestamp of the first batch, the base for time-based rolling. Kafka: `rollingBasedTimestamp`.
    rolling_based_timestamp: AtomicI64,
    /// Wall-clock creation time, for rolling when batches carry no timestamps.
    created_ms: i64,
    bytes_since_last_index_entry: AtomicU64,
    index_interval_bytes: u64,
}

fn open_rw(path: &Path, create: bool) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .open(path)
}

impl LogSegment {
    /// Opens (creating when missing) the files of segment `base_offset` in `dir`. The indexes
    /// start empty: callers load or rebuild them (`load_indexes` / `recover`).
    pub fn open(
        dir: &Path,
        base_offset: i64,
        index_interval_bytes: i32,
        max_index_bytes: i32,
        now_ms: i64,
    ) -> std::io::Result<LogSegment> {
        let paths = SegmentPaths::new(dir, base_offset, "");
        let log_file = open_rw(&paths.log, true)?;
        let index_file = open_rw(&paths.index, true)?;
        let time_index_file = open_rw(&paths.time_index, true)?;
        let size = log_file.metadata()?.len();
        Ok(LogSegment {
            base_offset,
            paths: Mutex::new(paths),
            log_file,
            index_file,
            time_index_file,
            size: AtomicU64::new(size),
            offset_index: RwLock::new(OffsetIndex::new(base_offset, max_index_bytes)),
            time_index: RwLock::new(TimeIndex::new(base_offset, max_index_bytes)),
            max_timestamp: AtomicI64::new(-1),
            offset_of_max_timestamp: AtomicI64::new(-1),
            rolling_based_timestamp: AtomicI64::new(-1),
            created_ms: now_ms,
            bytes_since_last_index_entry: AtomicU64::new(0),
            index_interval_bytes: index_interval_bytes.max(0) as u64,
        })
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }
    /// Committed size in bytes (what readers may see).
    pub fn size(&self) -> u64 {
        self.size.load(Ordering::Acquire)
    }
    pub fn log_path(&self) -> PathBuf {
        self.paths
            .lock()
            .expect("segment path lock poisoned")
            .log
            .clone()
    }
    pub fn max_timestamp(&self) -> i64 {
        self.max_timestamp.load(Ordering::Acquire)
    }
    pub fn offset_of_max_timestamp(&self) -> i64 {
        self.offset_of_max_timestamp.load(Ordering::Acquire)
    }
    pub fn offset_index_entries(&self) -> usize {
        self.offset_index
            .read()
            .expect("index lock poisoned")
            .entries()
    }

    /// The timestamp retention judges: the largest record timestamp, or the file's mtime when
    /// the segment has none. Kafka: `LogSegment.largestTimestamp`.
    pub fn largest_timestamp(&self) -> i64 {
        let ts = self.max_timestamp();
        if ts >= 0 {
            return ts;
        }
        self.log_file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(self.created_ms)
    }

    /// The max timestamp of the first batch (-1 when empty or unreadable), which
    /// `max.compaction.lag.ms` is judged by. Kafka: `LogSegment.getFirstBatchTimestamp`.
    pub fn first_batch_timestamp(&self) -> i64 {
        let t = self.rolling_based_timestamp.load(Ordering::Acquire);
        if t >= 0 {
            return t;
        }
        match self.read_header(0, self.size()) {
            // Max timestamp sits at bytes 35..43 of a v2 batch header.
            Ok(Some(h)) if h.len() >= RECORD_BATCH_OVERHEAD => {
                i64::from_be_bytes(h[35..43].try_into().expect("8 bytes"))
            }
            _ => -1,
        }
    }

    /// Whether the offset or time index is full. Kafka: `LogSegment.shouldRoll` index checks.
    pub fn indexes_full(&self) -> bool {
        self.offset_index
            .read()
            .expect("index lock poisoned")
            .is_full()
            || self
                .time_index
                .read()
                .expect("index lock poisoned")
                .is_full()
    }

    /// Kafka: `LogSegment.shouldRoll`. `max_ts_in_batch` is the incoming batch's max timestamp.
    pub fn should_roll(
        &self,
        segment_bytes: i32,
        roll_ms: i64,
        incoming_bytes: usize,
        max_ts_in_batch: i64,
        max_offset_in_batch: i64,
        now_ms: i64,
    ) -> bool {
        let size = self.size();
        let reach_roll_ms = size > 0 && {
            let base = self.rolling_based_timestamp.load(Ordering::Acquire);
            let elapsed = if base >= 0 && max_ts_in_batch >= 0 {
                max_ts_in_batch - base
            } else {
                now_ms - self.created_ms
            };
            elapsed > roll_ms
        };
        size > (segment_bytes.max(0) as u64).saturating_sub(incoming_bytes as u64)
            || reach_roll_ms
            || (size > 0 && self.indexes_full())
            || max_offset_in_batch - self.base_offset > i32::MAX as i64
            || max_offset_in_batch < self.base_offset
    }

    /// Appends already-validated, offset-assigned batches at the end of the file and updates
    /// the indexes. Kafka: `LogSegment.append`.
    pub fn append(&self, buf: &[u8]) -> std::io::Result<()> {
        let start = self.size.load(Ordering::Acquire);
        self.log_file.write_all_at(buf, start)?;
        self.index_batches(buf, start);
        self.size.store(start + buf.len() as u64, Ordering::Release);
        Ok(())
    }

    /// Updates indexes and timestamps for batches written at `start`.
    fn index_batches(&self, buf: &[u8], start: u64) {
        let mut since = self.bytes_since_last_index_entry.load(Ordering::Relaxed);
        for (pos, h) in BatchIter::new(buf).flatten() {
            let max_ts = h.max_timestamp();
            if self.rolling_based_timestamp.load(Ordering::Relaxed) < 0 && start + pos as u64 == 0 {
                self.rolling_based_timestamp
                    .store(max_ts, Ordering::Release);
            }
            if max_ts > self.max_timestamp.load(Ordering::Relaxed) {
                self.max_timestamp.store(max_ts, Ordering::Release);
                self.offset_of_max_timestamp
                    .store(h.last_offset(), Ordering::Release);
            }
            if since > self.index_interval_bytes {
                let position = (start + pos as u64) as u32;
                self.offset_index
                    .write()
                    .expect("index lock poisoned")
                    .append(h.last_offset(), position);
                self.time_index
                    .write()
                    .expect("index lock poisoned")
                    .maybe_append(
                        self.max_timestamp.load(Ordering::Relaxed),
                        self.offset_of_max_timestamp.load(Ordering::Relaxed),
                        false,
                    );
                since = 0;
            }
            since += h.size_in_bytes() as u64;
        }
        self.bytes_since_last_index_entry
            .store(since, Ordering::Relaxed);
    }

    /// Reads up to 61 header bytes at `pos` (fewer near the end of the committed data).
    fn read_header(&self, pos: u64, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
        if pos + LOG_OVERHEAD as u64 > limit {
            return Ok(None);
        }
        let n = (RECORD_BATCH_OVERHEAD as u64).min(limit - pos) as usize;
        let mut h = vec![0u8; n];
        self.log_file.read_exact_at(&mut h, pos)?;
        Ok(Some(h))
    }

    /// Position and size of the first batch whose last offset ≥ `offset`, scanning from the
    /// index entry below it. Kafka: `LogSegment.translateOffset` / `FileRecords.searchForOffsetWithSize`.
    pub fn translate_offset(&self, offset: i64) -> std::io::Result<Option<(u64, usize, i64)>> {
        let limit = self.size();
        let (_, start) = self
            .offset_index
            .read()
            .expect("index lock poisoned")
            .lookup(offset);
        let mut pos = start as u64;
        while let Some(h) = self.read_header(pos, limit)? {
            if h.len() < RECORD_BATCH_OVERHEAD {
                return Ok(None);
            }
            let len = i32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            if len <= 0 {
                return Ok(None);
            }
            let size = LOG_OVERHEAD + len as usize;
            let mut b = [0u8; 8];
            b.copy_from_slice(&h[0..8]);
            let base = i64::from_be_bytes(b);
            let delta = i32::from_be_bytes([h[23], h[24], h[25], h[26]]);
            if base + delta as i64 >= offset {
                return Ok(Some((pos, size, base)));
            }
            pos += size as u64;
        }
        Ok(None)
    }

    /// Reads whole batches starting at the batch containing `start_offset`: at most `max_bytes`
    /// (but the first batch whole when `min_one_batch`), stopping before any batch whose base
    /// offset is ≥ `upper_bound`. `None` when the offset is past this segment. Kafka:
    /// `LogSegment.read` (Kafka may return a partial trailing batch; we trim it).
    pub fn read(
        &self,
        start_offset: i64,
        max_bytes: usize,
        upper_bound: i64,
        min_one_batch: bool,
    ) -> std::io::Result<Option<Bytes>> {
        let Some((pos, first_size, first_base)) = self.translate_offset(start_offset)? else {
            return Ok(None);
        };
        if first_base >= upper_bound {
            return Ok(Some(Bytes::new()));
        }
        let limit = self.size();
        let mut want = (max_bytes as u64).min(limit - pos) as usize;
        if min_one_batch && want < first_size {
            want = first_size;
        }
        if want == 0 {
            return Ok(Some(Bytes::new()));
        }
        let mut buf = BytesMut::zeroed(want);
        self.log_file.read_exact_at(&mut buf, pos)?;
        // Trim to whole batches below the upper bound.
        let mut end = 0usize;
        let mut rest: &[u8] = &buf;
        while let Ok(size) = next_batch_size(rest, end) {
            let base = i64::from_be_bytes(rest[0..8].try_into().expect("8 bytes"));
            if base >= upper_bound {
                break;
            }
            end += size;
            rest = &rest[size..];
        }
        buf.truncate(end);
        Ok(Some(buf.freeze()))
    }

    /// The offset after the last batch, scanning from the last index entry. Kafka: `readNextOffset`.
    pub fn read_next_offset(&self) -> std::io::Result<i64> {
        let limit = self.size();
        let start = self
            .offset_index
            .read()
            .expect("index lock poisoned")
            .last_entry()
            .map(|(_, p)| p as u64)
            .unwrap_or(0);
        let mut pos = start;
        let mut next = self.base_offset;
        while let Some(h) = self.read_header(pos, limit)? {
            if h.len() < RECORD_BATCH_OVERHEAD {
                break;
            }
            let len = i32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            if len <= 0 {
                break;
            }
            let base = i64::from_be_bytes(h[0..8].try_into().expect("8 bytes"));
            let delta = i32::from_be_bytes([h[23], h[24], h[25], h[26]]);
            next = base + delta as i64 + 1;
            pos += (LOG_OVERHEAD + len as usize) as u64;
        }
        Ok(next)
    }

    /// Loads the index files written earlier; `false` when either fails its sanity check or
    /// is missing, in which case the caller recovers the segment (which rebuilds them).
    /// Kafka: `LogLoader.loadSegmentFiles` → `sanityCheck`.
    pub fn load_indexes(&self, max_index_bytes: i32) -> std::io::Result<bool> {
        let paths = self
            .paths
            .lock()
            .expect("segment path lock poisoned")
            .clone();
        let size = self.size();
        let Some(oi) = OffsetIndex::load(&paths.index, self.base_offset, max_index_bytes, size)?
        else {
            return Ok(false);
        };
        let Some(ti) = TimeIndex::load(&paths.time_index, self.base_offset, max_index_bytes)?
        else {
            return Ok(false);
        };
        if size > 0 && oi.entries() == 0 && size > self.index_interval_bytes * 2 {
            // A large segment with an empty offset index was never indexed: rebuild.
            return Ok(false);
        }
        if let Some((ts, off)) = ti.last_entry() {
            self.max_timestamp.store(ts, Ordering::Release);
            self.offset_of_max_timestamp.store(off, Ordering::Release);
        }
        *self.offset_index.write().expect("index lock poisoned") = oi;
        *self.time_index.write().expect("index lock poisoned") = ti;
        // The first batch's max timestamp anchors time-based rolling.
        if let Some(h) = self.read_header(0, size)? {
            if h.len() == RECORD_BATCH_OVERHEAD {
                let ts = i64::from_be_bytes(h[35..43].try_into().expect("8 bytes"));
                self.rolling_based_timestamp.store(ts, Ordering::Release);
            }
        }
        Ok(true)
    }

    /// Re-validates every batch (length, magic 2, CRC32C, counts, increasing offsets), rebuilds
    /// both indexes and the max timestamp, feeds leader epochs to `epochs`, and truncates the
    /// file after the last valid batch. Kafka: `LogSegment.recover`.
    pub fn recover(
        &self,
        mut epochs: Option<&mut LeaderEpochFileCache>,
    ) -> std::io::Result<RecoverResult> {
        self.offset_index
            .write()
            .expect("index lock poisoned")
            .clear();
        self.time_index
            .write()
            .expect("index lock poisoned")
            .clear();
        self.max_timestamp.store(-1, Ordering::Release);
        self.offset_of_max_timestamp.store(-1, Ordering::Release);
        self.rolling_based_timestamp.store(-1, Ordering::Release);
        self.bytes_since_last_index_entry
            .store(0, Ordering::Relaxed);
        let file_len = self.log_file.metadata()?.len();
        let mut valid: u64 = 0;
        let mut next_offset = self.base_offset;
        let mut stop_reason = None;
        let mut chunk_len = RECOVERY_CHUNK_BYTES;
        // One buffer for the whole segment: a fresh zeroed allocation per chunk costs a page
        // fault per 4 KiB, more than the CRC itself.
        let mut buf: Vec<u8> = Vec::new();
        'outer: while valid < file_len {
            let n = (chunk_len as u64).min(file_len - valid) as usize;
            if buf.len() < n {
                buf.resize(n, 0);
            }
            let chunk = &mut buf[..n];
            self.log_file.read_exact_at(chunk, valid)?;
            let chunk: &[u8] = chunk;
            let chunk_start = valid;
            let mut grew = false;
            for item in BatchIter::new(chunk) {
                let (pos, h) = match item {
                    Ok(x) => x,
                    Err(BatchError::Truncated { needed, .. })
                        if valid + needed as u64 <= file_len =>
                    {
                        // The batch is whole on disk but runs past this chunk: re-read from it
                        // with a chunk large enough to hold it.
                        chunk_len = chunk_len.max(needed);
                        grew = true;
                        break;
                    }
                    Err(e) => {
                        stop_reason = Some(relabel(e, chunk_start));
                        break 'outer;
                    }
                };
                let abs = chunk_start + pos as u64;
                let check = if !h.is_v2() {
                    // Kafka 3.x logs only ever hold v2 (IBP 3.0+ up-converts on append).
                    Err(BatchError::UnknownMagic {
                        position: abs as usize,
                        magic: h.magic(),
                    })
                } else {
                    h.ensure_valid(abs as usize)
                        .and_then(|_| h.validate_counts_for_recovery(abs as usize))
                };
                if let Err(e) = check {
                    stop_reason = Some(e);
                    break 'outer;
                }
                if h.base_offset() < next_offset {
                    stop_reason = Some(BatchError::Invalid {
                        position: abs as usize,
                        reason: format!(
                            "offset {} does not follow the previous batch's next offset {next_offset}",
                            h.base_offset()
                        ),
                    });
                    break 'outer;
                }
                if let Some(c) = epochs.as_deref_mut() {
                    if h.partition_leader_epoch() >= 0 {
                        c.assign_no_flush(h.partition_leader_epoch(), h.base_offset());
                    }
                }
                self.index_batches(h.as_bytes(), abs);
                next_offset = h.next_offset();
                valid = chunk_start + (pos + h.size_in_bytes()) as u64;
            }
            if valid == chunk_start && !grew {
                break;
            }
        }
        let truncated = file_len - valid;
        if truncated > 0 {
            self.log_file.set_len(valid)?;
        }
        self.size.store(valid, Ordering::Release);
        Ok(RecoverResult {
            valid_bytes: valid,
            truncated_bytes: truncated,
            next_offset,
            stop_reason,
        })
    }

    /// Removes every batch from the one containing `offset` on; returns bytes removed.
    /// Kafka: `LogSegment.truncateTo`.
    pub fn truncate_to(&self, offset: i64) -> std::io::Result<u64> {
        let Some((pos, _, _)) = self.translate_offset(offset)? else {
            return Ok(0);
        };
        let old = self.size();
        self.offset_index
            .write()
            .expect("index lock poisoned")
            .truncate_to(offset);
        self.time_index
            .write()
            .expect("index lock poisoned")
            .truncate_to(offset);
        self.log_file.set_len(pos)?;
        self.size.store(pos, Ordering::Release);
        // Re-derive the max timestamp and the index cadence from what is left.
        self.rescan_after_truncate(pos)?;
        Ok(old - pos)
    }

    fn rescan_after_truncate(&self, size: u64) -> std::io::Result<()> {
        let ti = self
            .time_index
            .read()
            .expect("index lock poisoned")
            .last_entry();
        let (ts, off) = ti.unwrap_or((-1, -1));
        self.max_timestamp.store(ts, Ordering::Release);
        self.offset_of_max_timestamp.store(off, Ordering::Release);
        let start = self
            .offset_index
            .read()
            .expect("index lock poisoned")
            .last_entry()
            .map(|(_, p)| p as u64)
            .unwrap_or(0);
        let mut pos = start;
        let mut since = 0u64;
        while let Some(h) = self.read_header(pos, size)? {
            if h.len() < RECORD_BATCH_OVERHEAD {
                break;
            }
            let len = i32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            if len <= 0 {
                break;
            }
            let base = i64::from_be_bytes(h[0..8].try_into().expect("8 bytes"));
            let delta = i32::from_be_bytes([h[23], h[24], h[25], h[26]]);
            let mts = i64::from_be_bytes(h[35..43].try_into().expect("8 bytes"));
            if mts > self.max_timestamp.load(Ordering::Relaxed) {
                self.max_timestamp.store(mts, Ordering::Release);
                self.offset_of_max_timestamp
                    .store(base + delta as i64, Ordering::Release);
            }
            let s = (LOG_OVERHEAD + len as usize) as u64;
            since = if pos == start && start > 0 {
                s
            } else {
                since + s
            };
            pos += s;
        }
        self.bytes_since_last_index_entry
            .store(since, Ordering::Relaxed);
        if size == 0 {
            self.rolling_based_timestamp.store(-1, Ordering::Release);
        }
        Ok(())
    }

    /// Finds the first batch with max timestamp ≥ `ts` at or after `start_offset`; returns
    /// the batch bytes so the caller can locate the record. Kafka: `LogSegment.findOffsetByTimestamp`.
    pub fn find_batch_by_timestamp(
        &self,
        ts: i64,
        start_offset: i64,
    ) -> std::io::Result<Option<Bytes>> {
        let (_, off) = self
            .time_index
            .read()
            .expect("index lock poisoned")
            .lookup(ts);
        let from = off.max(start_offset);
        let Some((mut pos, _, _)) = self.translate_offset(from)? else {
            return Ok(None);
        };
        let limit = self.size();
        while let Some(h) = self.read_header(pos, limit)? {
            if h.len() < RECORD_BATCH_OVERHEAD {
                break;
            }
            let len = i32::from_be_bytes([h[8], h[9], h[10], h[11]]);
            if len <= 0 {
                break;
            }
            let size = LOG_OVERHEAD + len as usize;
            let mts = i64::from_be_bytes(h[35..43].try_into().expect("8 bytes"));
            if mts >= ts {
                let mut b = BytesMut::zeroed(size);
                self.log_file.read_exact_at(&mut b, pos)?;
                return Ok(Some(b.freeze()));
            }
            pos += size as u64;
        }
        Ok(None)
    }

    /// Reads every batch of the segment (compaction, tests). Not for the hot path.
    pub fn read_all(&self) -> std::io::Result<Bytes> {
        let size = self.size() as usize;
        let mut b = BytesMut::zeroed(size);
        self.log_file.read_exact_at(&mut b, 0)?;
        Ok(b.freeze())
    }

    /// Persists index entries (no fsync). Cheap; called on roll and before checkpoints.
    pub fn flush_indexes(&self) -> std::io::Result<()> {
        self.offset_index
            .write()
            .expect("index lock poisoned")
            .flush_to_file(&self.index_file)?;
        self.time_index
            .write()
            .expect("index lock poisoned")
            .flush_to_file(&self.time_index_file)
    }

    /// fsyncs the log and both indexes. Kafka: `LogSegment.flush`.
    pub fn flush(&self) -> std::io::Result<()> {
        self.flush_indexes()?;
        self.log_file.sync_data()?;
        self.index_file.sync_data()?;
        self.time_index_file.sync_data()
    }

    /// Adds the final time-index entry (max timestamp so far) when the segment stops being
    /// active or is closed. Kafka: `LogSegment.onBecomeInactiveSegment` / `close`.
    pub fn on_become_inactive(&self) -> std::io::Result<()> {
        let ts = self.max_timestamp();
        let off = self.offset_of_max_timestamp();
        self.time_index
            .write()
            .expect("index lock poisoned")
            .maybe_append(ts, off, true);
        self.flush_indexes()
    }

    /// Renames the files with `.deleted` (step one of Kafka's two-step delete). Kafka:
    /// `LocalLog.deleteSegmentFiles` → `changeFileSuffixes("", ".deleted")`.
    pub fn rename_to_deleted(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut paths = self.paths.lock().expect("segment path lock poisoned");
        let mut out = Vec::new();
        for p in paths.all() {
            let mut s = p.as_os_str().to_owned();
            s.push(DELETED_FILE_SUFFIX);
            let to = PathBuf::from(s);
            match fs::rename(p, &to) {
                Ok(()) => out.push(to),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        let dir = paths
            .log
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        *paths = SegmentPaths::new(&dir, self.base_offset, DELETED_FILE_SUFFIX);
        Ok(out)
    }

    /// Points the segment at a renamed partition directory (async delete renames the dir).
    pub fn set_dir(&self, dir: &Path) {
        let mut paths = self.paths.lock().expect("segment path lock poisoned");
        let suffix = if paths.log.to_string_lossy().ends_with(DELETED_FILE_SUFFIX) {
            DELETED_FILE_SUFFIX
        } else {
            ""
        };
        *paths = SegmentPaths::new(dir, self.base_offset, suffix);
    }
}

fn relabel(e: BatchError, base: u64) -> BatchError {
    match e {
        BatchError::Truncated {
            position,
            needed,
            available,
        } => BatchError::Truncated {
            position: position + base as usize,
            needed,
            available,
        },
        BatchError::InvalidLength {
            position,
            length,
            minimum,
        } => BatchError::InvalidLength {
            position: position + base as usize,
            length,
            minimum,
        },
        BatchError::UnknownMagic { position, magic } => BatchError::UnknownMagic {
            position: position + base as usize,
            magic,
        },
        other => other,
    }
}

impl RecordBatchHeader<'_> {
    /// Recovery checks counts like the append path but accepts control batches and batches
    /// emptied by compaction (record count may be below lastOffsetDelta + 1 after cleaning).
    pub fn validate_counts_for_recovery(&self, position: usize) -> Result<(), BatchError> {
        if self.last_offset_delta() < 0 || self.record_count() < 0 {
            return Err(BatchError::Invalid {
                position,
                reason: format!(
                    "negative lastOffsetDelta {} or record count {}",
                    self.last_offset_delta(),
                    self.record_count()
                ),
            });
        }
        Ok(())
    }
}
