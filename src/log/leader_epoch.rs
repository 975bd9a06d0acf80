//! `LeaderEpochFileCache`: the ordered `(epoch, start offset)` entries of a partition, persisted
//! as `leader-epoch-checkpoint` (version 0, count, `"<epoch> <startOffset>"` lines).
//! Used by OffsetForLeaderEpoch and fetch-time truncation (semantics §2.5).
//! Kafka: `LeaderEpochFileCache.java`, `LeaderEpochCheckpointFile.java`.

use std::path::{Path, PathBuf};

use super::checkpoint::{
    read_checkpoint_lines, render_checkpoint, write_atomically, CheckpointError,
};

/// Kafka: `LeaderEpochCheckpointFile.LEADER_EPOCH_CHECKPOINT_FILENAME`.
pub const LEADER_EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";
/// `UNDEFINED_EPOCH` / `UNDEFINED_EPOCH_OFFSET`.
pub const UNDEFINED_EPOCH: i32 = -1;
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

/// One epoch and the first offset written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

/// The cache. Mutations persist the file unless the caller batches them (recovery) and calls
/// [`LeaderEpochFileCache::flush`] at the end.
#[derive(Debug)]
pub struct LeaderEpochFileCache {
    path: PathBuf,
    entries: Vec<EpochEntry>,
}

impl LeaderEpochFileCache {
    /// Loads `<dir>/leader-epoch-checkpoint` (missing → empty).
    pub fn load(dir: &Path) -> Result<LeaderEpochFileCache, CheckpointError> {
        let path = dir.join(LEADER_EPOCH_CHECKPOINT);
        let mut entries = Vec::new();
        for (i, line) in read_checkpoint_lines(&path)?.iter().enumerate() {
            let mut it = line.split(' ');
            let parsed = match (it.next(), it.next(), it.next()) {
                (Some(e), Some(o), None) => e.parse().ok().zip(o.parse().ok()),
                _ => None,
            };
            let (epoch, start_offset) = parsed.ok_or_else(|| CheckpointError::Malformed {
                path: path.clone(),
                line: i + 3,
                reason: format!("expected \"<epoch> <offset>\", got {line:?}"),
            })?;
            entries.push(EpochEntry {
                epoch,
                start_offset,
            });
        }
        Ok(LeaderEpochFileCache { path, entries })
    }

    /// An empty cache that will persist to `<dir>/leader-epoch-checkpoint`.
    pub fn empty(dir: &Path) -> LeaderEpochFileCache {
        LeaderEpochFileCache {
            path: dir.join(LEADER_EPOCH_CHECKPOINT),
            entries: Vec::new(),
        }
    }

    /// Repoints the file after the partition directory is renamed.
    pub fn set_dir(&mut self, dir: &Path) {
        self.path = dir.join(LEADER_EPOCH_CHECKPOINT);
    }

    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    /// Records that `epoch` starts at `start_offset`. A no-op when it repeats the latest entry;
    /// entries with an epoch ≥ `epoch` or a start offset ≥ `start_offset` are removed first so
    /// the cache stays monotonic. Returns whether anything changed. Kafka:
    /// `LeaderEpochFileCache.assign` / `maybeTruncateNonMonotonicEntries`.
    pub fn assign_no_flush(&mut self, epoch: i32, start_offset: i64) -> bool {
        if epoch < 0 || start_offset < 0 {
            return false;
        }
        if let Some(last) = self.entries.last() {
            if last.epoch == epoch && last.start_offset <= start_offset {
                return false;
            }
        }
        self.entries
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.entries.push(EpochEntry {
            epoch,
            start_offset,
        });
        true
    }

    /// [`assign_no_flush`](Self::assign_no_flush) and persist when changed.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> std::io::Result<()> {
        if self.assign_no_flush(epoch, start_offset) {
            self.flush()?;
        }
        Ok(())
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|e| e.epoch)
    }

    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    /// The epoch in force at `offset` (largest entry with start ≤ offset).
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.start_offset <= offset)
            .map(|e| e.epoch)
    }

    /// Answer to OffsetForLeaderEpoch: `(epoch, end offset)`. Latest epoch → LEO; otherwise the
    /// largest epoch ≤ requested and the start offset of the first epoch above it; below all
    /// known epochs → (requested, first start offset); unknown/undefined → (-1, -1).
    /// Kafka: `LeaderEpochFileCache.endOffsetFor`.
    pub fn end_offset_for(&self, requested: i32, log_end_offset: i64) -> (i32, i64) {
        if requested == UNDEFINED_EPOCH || self.entries.is_empty() {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        if self.latest_epoch() == Some(requested) {
            return (requested, log_end_offset);
        }
        let Some(higher) = self.entries.iter().find(|e| e.epoch > requested) else {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        };
        match self.entries.iter().rev().find(|e| e.epoch <= requested) {
            Some(floor) => (floor.epoch, higher.start_offset),
            None => (requested, higher.start_offset),
        }
    }

    /// Removes entries starting at or after `end_offset` (log truncated to it). Kafka: `truncateFromEnd`.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> std::io::Result<()> {
        let before = self.entries.len();
        self.entries.retain(|e| e.start_offset < end_offset);
        if self.entries.len() != before {
            self.flush()?;
        }
        Ok(())
    }

    /// Drops entries wholly below `start_offset`; the entry in force there is moved to start at
    /// it. Kafka: `truncateFromStart`.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> std::io::Result<()> {
        let covering = self
            .entries
            .iter()
            .rposition(|e| e.start_offset <= start_offset);
        if let Some(i) = covering {
            if i > 0 || self.entries[i].start_offset < start_offset {
                self.entries.drain(..i);
                self.entries[0].start_offset = start_offset;
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Removes every entry. Kafka: `clearAndFlush`.
    pub fn clear_and_flush(&mut self) -> std::io::Result<()> {
        self.entries.clear();
        self.flush()
    }

    /// Writes the file, without fsync, if it does not exist yet (a new log's empty cache).
    /// Durability is not needed: a missing or torn file reads as, or is rebuilt as, empty —
    /// which is what it held. Kafka: `CheckpointFile` constructor (`Files.createFile`).
    pub fn create_if_missing(&self) -> std::io::Result<()> {
        if self.path.exists() {
            return Ok(());
        }
        if !self.entries.is_empty() {
            return self.flush();
        }
        let lines: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{} {}", e.epoch, e.start_offset))
            .collect();
        std::fs::write(&self.path, render_checkpoint(&lines))
    }

    /// Persists the cache atomically.
    pub fn flush(&self) -> std::io::Result<()> {
        let lines: Vec<String> = self
            .entries
            .iter()
            .map(|e| format!("{} {}", e.epoch, e.start_offset))
            .collect();
        write_atomically(&self.path, render_checkpoint(&lines).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(entries: &[(i32, i64)]) -> (tempfile::TempDir, LeaderEpochFileCache) {
        let d = tempfile::tempdir().unwrap();
        let mut c = LeaderEpochFileCache::empty(d.path());
        for &(e, o) in entries {
            c.assign(e, o).unwrap();
        }
        (d, c)
    }

    /// LeaderEpochFileCache.endOffsetFor, every branch (semantics §2.5).
    #[test]
    fn end_offset_for_follows_kafka() {
        let (_d, c) = cache(&[(1, 0), (3, 100), (5, 200)]);
        assert_eq!(c.end_offset_for(5, 250), (5, 250));
        assert_eq!(c.end_offset_for(3, 250), (3, 200));
        assert_eq!(c.end_offset_for(4, 250), (3, 200));
        assert_eq!(c.end_offset_for(0, 250), (0, 0));
        assert_eq!(c.end_offset_for(6, 250), (-1, -1));
        assert_eq!(c.end_offset_for(-1, 250), (-1, -1));
    }

    /// assign keeps the cache monotonic: a lower start offset or epoch removes later entries.
    #[test]
    fn assign_truncates_non_monotonic_entries() {
        let (_d, mut c) = cache(&[(1, 0), (3, 100), (5, 200)]);
        c.assign(5, 250).unwrap(); // same epoch, later offset: no-op
        assert_eq!(c.entries().len(), 3);
        c.assign(6, 150).unwrap();
        assert_eq!(
            c.entries(),
            &[
                EpochEntry {
                    epoch: 1,
                    start_offset: 0
                },
                EpochEntry {
                    epoch: 3,
                    start_offset: 100
                },
                EpochEntry {
                    epoch: 6,
                    start_offset: 150
                }
            ]
        );
    }

    /// The checkpoint round-trips in LeaderEpochCheckpointFile format; truncation from both
    /// ends as the log is truncated or its start advances.
    #[test]
    fn checkpoint_and_truncation() {
        let (d, mut c) = cache(&[(1, 0), (3, 100), (5, 200)]);
        let text = std::fs::read_to_string(d.path().join(LEADER_EPOCH_CHECKPOINT)).unwrap();
        assert_eq!(text, "0\n3\n1 0\n3 100\n5 200\n");
        c.truncate_from_end(150).unwrap();
        c.truncate_from_start(50).unwrap();
        let l = LeaderEpochFileCache::load(d.path()).unwrap();
        assert_eq!(
            l.entries(),
            &[
                EpochEntry {
                    epoch: 1,
                    start_offset: 50
                },
                EpochEntry {
                    epoch: 3,
                    start_offset: 100
                }
            ]
        );
        assert_eq!(l.epoch_for_offset(120), Some(3));
    }
}
