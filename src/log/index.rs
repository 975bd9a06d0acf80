//! The sparse per-segment indexes: `OffsetIndex` (`.index`) and `TimeIndex` (`.timeindex`).
//!
//! Both live in memory (a sorted `Vec`) and are persisted incrementally: `flush_to_file` writes
//! only the entries added since the last flush, and truncation shortens the file. Kafka
//! memory-maps a preallocated file instead; the on-disk entry format is identical, so Kafka's
//! `kafka-dump-log` reads ours. Indexes carry no checksum: after an unclean shutdown they are
//! rebuilt from the `.log` for every segment past the recovery point, and sanity-checked
//! otherwise. Kafka: `OffsetIndex.java`, `TimeIndex.java`, `AbstractIndex.java`.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Bytes per offset index entry: relative offset (i32) + file position (i32). Kafka: `OffsetIndex.ENTRY_SIZE`.
pub const OFFSET_ENTRY_SIZE: usize = 8;
/// Bytes per time index entry: timestamp (i64) + relative offset (i32). Kafka: `TimeIndex.ENTRY_SIZE`.
pub const TIME_ENTRY_SIZE: usize = 12;

/// Maps `offset - base_offset` of a batch's last offset to the byte position of that batch.
#[derive(Debug, Clone)]
pub struct OffsetIndex {
    base_offset: i64,
    entries: Vec<(u32, u32)>,
    max_entries: usize,
    disk: Persisted,
}

impl OffsetIndex {
    /// An empty index holding at most `max_index_bytes / 8` entries (`segment.index.bytes`).
    pub fn new(base_offset: i64, max_index_bytes: i32) -> OffsetIndex {
        OffsetIndex {
            base_offset,
            entries: Vec::new(),
            max_entries: (max_index_bytes.max(0) as usize / OFFSET_ENTRY_SIZE).max(1),
            disk: Persisted::default(),
        }
    }

    /// Loads an index file, returning `None` when it fails Kafka's sanity check
    /// (`OffsetIndex.sanityCheck`: length a multiple of 8, offsets strictly increasing,
    /// positions non-decreasing and inside the segment), so the caller rebuilds it.
    pub fn load(
        path: &Path,
        base_offset: i64,
        max_index_bytes: i32,
        log_size: u64,
    ) -> std::io::Result<Option<OffsetIndex>> {
        let bytes = read_all(path)?;
        if bytes.len() % OFFSET_ENTRY_SIZE != 0 {
            return Ok(None);
        }
        let mut idx = OffsetIndex::new(base_offset, max_index_bytes);
        for e in bytes.chunks_exact(OFFSET_ENTRY_SIZE) {
            let rel = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
            let pos = u32::from_be_bytes([e[4], e[5], e[6], e[7]]);
            // A preallocated Kafka index has trailing zero entries; stop at the first one that
            // does not advance (Kafka trims these on close).
            if let Some(&(lr, lp)) = idx.entries.last() {
                if rel <= lr || pos < lp {
                    if rel == 0 && pos == 0 {
                        break;
                    }
                    return Ok(None);
                }
            }
            if pos as u64 >= log_size.max(1) {
                return Ok(None);
            }
            idx.entries.push((rel, pos));
        }
        idx.disk = Persisted::loaded(idx.entries.len(), bytes.len(), OFFSET_ENTRY_SIZE);
        Ok(Some(idx))
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }
    pub fn entries(&self) -> usize {
        self.entries.len()
    }
    /// Bytes the index occupies on disk once flushed.
    pub fn size_in_bytes(&self) -> usize {
        self.entries.len() * OFFSET_ENTRY_SIZE
    }

    /// Adds an entry for a batch whose last offset is `offset` starting at `position`.
    /// Entries must advance; an out-of-order entry is ignored (Kafka throws
    /// `InvalidOffsetException`; we keep the index consistent instead, it is only a hint).
    pub fn append(&mut self, offset: i64, position: u32) {
        if self.is_full() {
            return;
        }
        let rel = (offset - self.base_offset) as u32;
        if let Some(&(lr, _)) = self.entries.last() {
            if rel <= lr {
                return;
            }
        }
        self.entries.push((rel, position));
    }

    /// The entry with the largest offset ≤ `target`, or `(base_offset, 0)`. Kafka: `OffsetIndex.lookup`.
    pub fn lookup(&self, target: i64) -> (i64, u32) {
        if target < self.base_offset {
            return (self.base_offset, 0);
        }
        let rel = (target - self.base_offset).min(u32::MAX as i64) as u32;
        let n = self.entries.partition_point(|&(r, _)| r <= rel);
        if n == 0 {
            (self.base_offset, 0)
        } else {
            let (r, p) = self.entries[n - 1];
            (self.base_offset + r as i64, p)
        }
    }

    /// The last entry, if any.
    pub fn last_entry(&self) -> Option<(i64, u32)> {
        self.entries
            .last()
            .map(|&(r, p)| (self.base_offset + r as i64, p))
    }

    /// Drops entries for offsets ≥ `offset`. Kafka: `OffsetIndex.truncateTo`.
    pub fn truncate_to(&mut self, offset: i64) {
        let rel = offset - self.base_offset;
        let keep = if rel <= 0 {
            0
        } else {
            self.entries.partition_point(|&(r, _)| (r as i64) < rel)
        };
        self.disk.truncate(&mut self.entries, keep);
    }

    pub fn clear(&mut self) {
        self.truncate_to(self.base_offset);
    }

    /// Writes new entries (and applies truncation) to the index file.
    pub fn flush_to_file(&mut self, file: &File) -> std::io::Result<()> {
        self.disk
            .flush(file, &self.entries, OFFSET_ENTRY_SIZE, |&(r, p), buf| {
                buf.extend_from_slice(&r.to_be_bytes());
                buf.extend_from_slice(&p.to_be_bytes());
            })
    }
}

/// Maps a max timestamp to the offset of the batch that reached it; timestamps strictly increase.
#[derive(Debug, Clone)]
pub struct TimeIndex {
    base_offset: i64,
    entries: Vec<(i64, u32)>,
    max_entries: usize,
    disk: Persisted,
}

impl TimeIndex {
    /// An empty index of at most `max_index_bytes / 12` entries.
    pub fn new(base_offset: i64, max_index_bytes: i32) -> TimeIndex {
        TimeIndex {
            base_offset,
            entries: Vec::new(),
            max_entries: (max_index_bytes.max(0) as usize / TIME_ENTRY_SIZE).max(1),
            disk: Persisted::default(),
        }
    }

    /// Loads a time index file; `None` if it fails Kafka's sanity check (`TimeIndex.sanityCheck`).
    pub fn load(
        path: &Path,
        base_offset: i64,
        max_index_bytes: i32,
    ) -> std::io::Result<Option<TimeIndex>> {
        let bytes = read_all(path)?;
        if bytes.len() % TIME_ENTRY_SIZE != 0 {
            return Ok(None);
        }
        let mut idx = TimeIndex::new(base_offset, max_index_bytes);
        for e in bytes.chunks_exact(TIME_ENTRY_SIZE) {
            let mut t = [0u8; 8];
            t.copy_from_slice(&e[0..8]);
            let ts = i64::from_be_bytes(t);
            let rel = u32::from_be_bytes([e[8], e[9], e[10], e[11]]);
            if let Some(&(lt, lr)) = idx.entries.last() {
                if ts == 0 && rel == 0 {
                    break;
                }
                if ts < lt || rel < lr {
                    return Ok(None);
                }
                if ts == lt {
                    continue;
                }
            }
            idx.entries.push((ts, rel));
        }
        idx.disk = Persisted::loaded(idx.entries.len(), bytes.len(), TIME_ENTRY_SIZE);
        Ok(Some(idx))
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Adds `(timestamp, offset)` if the timestamp is larger than the last entry's.
    /// `skip_full_check` lets the final entry on roll/close in even when full. Kafka:
    /// `TimeIndex.maybeAppend`.
    pub fn maybe_append(&mut self, timestamp: i64, offset: i64, skip_full_check: bool) {
        if timestamp < 0 || (!skip_full_check && self.is_full()) {
            return;
        }
        let rel = (offset - self.base_offset).max(0) as u32;
        if let Some(&(lt, lr)) = self.entries.last() {
            if timestamp <= lt || rel < lr {
                return;
            }
        }
        self.entries.push((timestamp, rel));
    }

    /// The last entry `(timestamp, offset)`.
    pub fn last_entry(&self) -> Option<(i64, i64)> {
        self.entries
            .last()
            .map(|&(t, r)| (t, self.base_offset + r as i64))
    }

    /// The entry with the largest timestamp ≤ `target`, or `(-1, base_offset)`. Kafka: `TimeIndex.lookup`.
    pub fn lookup(&self, target: i64) -> (i64, i64) {
        let n = self.entries.partition_point(|&(t, _)| t <= target);
        if n == 0 {
            (-1, self.base_offset)
        } else {
            let (t, r) = self.entries[n - 1];
            (t, self.base_offset + r as i64)
        }
    }

    /// Drops entries whose offset ≥ `offset`. Kafka: `TimeIndex.truncateTo`.
    pub fn truncate_to(&mut self, offset: i64) {
        let rel = offset - self.base_offset;
        let keep = if rel <= 0 {
            0
        } else {
            self.entries.partition_point(|&(_, r)| (r as i64) < rel)
        };
        self.disk.truncate(&mut self.entries, keep);
    }

    pub fn clear(&mut self) {
        self.truncate_to(self.base_offset);
    }

    /// Writes new entries (and applies truncation) to the time index file.
    pub fn flush_to_file(&mut self, file: &File) -> std::io::Result<()> {
        self.disk
            .flush(file, &self.entries, TIME_ENTRY_SIZE, |&(t, r), buf| {
                buf.extend_from_slice(&t.to_be_bytes());
                buf.extend_from_slice(&r.to_be_bytes());
            })
    }
}

/// What of an index's in-memory entries is already in its file: both indexes persist
/// incrementally the same way (append new entries; shorten the file after a truncation).
#[derive(Debug, Clone, Default)]
struct Persisted {
    /// Entries already on disk; the file is shortened if the entries drop below this.
    entries: usize,
    /// The file holds more than `entries` entries and must be cut before the next append.
    dirty_truncation: bool,
}

impl Persisted {
    /// State after loading `loaded` valid entries from a file of `file_len` bytes; trailing
    /// bytes past them (Kafka's preallocated zeros, or a torn entry) are cut at the next flush.
    fn loaded(loaded: usize, file_len: usize, entry_size: usize) -> Persisted {
        Persisted {
            entries: loaded,
            dirty_truncation: loaded * entry_size != file_len,
        }
    }

    /// Keeps the first `keep` entries, remembering to shorten the file if some were on disk.
    fn truncate<E>(&mut self, entries: &mut Vec<E>, keep: usize) {
        if keep < entries.len() {
            entries.truncate(keep);
            if keep < self.entries {
                self.entries = keep;
                self.dirty_truncation = true;
            }
        }
    }

    /// Applies a pending truncation, then appends the entries not yet on disk in one write.
    fn flush<E>(
        &mut self,
        file: &File,
        entries: &[E],
        entry_size: usize,
        encode: impl Fn(&E, &mut Vec<u8>),
    ) -> std::io::Result<()> {
        if self.dirty_truncation {
            file.set_len((self.entries * entry_size) as u64)?;
            self.dirty_truncation = false;
        }
        if self.entries < entries.len() {
            let mut buf = Vec::with_capacity((entries.len() - self.entries) * entry_size);
            for e in &entries[self.entries..] {
                encode(e, &mut buf);
            }
            file.write_all_at(&buf, (self.entries * entry_size) as u64)?;
            self.entries = entries.len();
        }
        Ok(())
    }
}

fn read_all(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut f = OpenOptions::new().read(true).open(path)?;
    let mut v = Vec::new();
    f.read_to_end(&mut v)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OffsetIndex.lookup` returns the greatest entry ≤ target, or (base, 0) below the first.
    #[test]
    fn offset_index_floor_lookup_and_truncate() {
        let mut i = OffsetIndex::new(100, 1024);
        i.append(109, 0);
        i.append(119, 4200);
        i.append(129, 8400);
        assert_eq!(i.lookup(50), (100, 0));
        assert_eq!(i.lookup(105), (100, 0));
        assert_eq!(i.lookup(109), (109, 0));
        assert_eq!(i.lookup(125), (119, 4200));
        assert_eq!(i.lookup(1000), (129, 8400));
        i.truncate_to(119);
        assert_eq!(i.entries(), 1);
        assert_eq!(i.lookup(1000), (109, 0));
    }

    /// An index is full at `segment.index.bytes / 8` entries (Kafka `AbstractIndex.isFull`),
    /// which triggers a roll.
    #[test]
    fn offset_index_fills_at_configured_size() {
        let mut i = OffsetIndex::new(0, 24);
        for k in 0..5 {
            i.append(k * 10, (k * 100) as u32);
        }
        assert!(i.is_full());
        assert_eq!(i.entries(), 3);
    }

    /// Files round-trip in Kafka's format (big-endian 4+4 and 8+4 byte entries) and persist
    /// truncation; a file whose length is not a multiple of the entry size is rejected.
    #[test]
    fn index_files_round_trip_and_sanity_check() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("00000000000000000000.index");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&p)
            .unwrap();
        let mut i = OffsetIndex::new(0, 1024);
        i.append(3, 0);
        i.append(7, 5000);
        i.append(9, 9000);
        i.flush_to_file(&f).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 24);
        i.truncate_to(9);
        i.flush_to_file(&f).unwrap();
        let l = OffsetIndex::load(&p, 0, 1024, 10_000).unwrap().unwrap();
        assert_eq!(l.entries(), 2);
        assert_eq!(l.lookup(8), (7, 5000));
        // Position beyond the log: rejected (sanity check), so the caller rebuilds.
        assert!(OffsetIndex::load(&p, 0, 1024, 4000).unwrap().is_none());
        std::fs::write(&p, [0u8; 7]).unwrap();
        assert!(OffsetIndex::load(&p, 0, 1024, 10_000).unwrap().is_none());

        let tp = dir.path().join("00000000000000000000.timeindex");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&tp)
            .unwrap();
        let mut t = TimeIndex::new(0, 1200);
        t.maybe_append(1000, 3, false);
        t.maybe_append(900, 5, false); // not increasing: ignored
        t.maybe_append(2000, 7, false);
        t.flush_to_file(&f).unwrap();
        let l = TimeIndex::load(&tp, 0, 1200).unwrap().unwrap();
        assert_eq!(l.entries(), 2);
        assert_eq!(l.lookup(1500), (1000, 3));
        assert_eq!(l.lookup(10), (-1, 0));
        assert_eq!(l.last_entry(), Some((2000, 7)));
    }
}
