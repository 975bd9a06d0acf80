//! Kafka's text checkpoint files, written atomically (temp file, fsync, rename, fsync dir).
//!
//! - Offset checkpoints (`recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
//!   `replication-offset-checkpoint`, `cleaner-offset-checkpoint`): line 1 version `0`, line 2
//!   the entry count, then `"<topic> <partition> <offset>"`. Kafka: `OffsetCheckpointFile`.
//! - `partition.metadata`: `version: 0` / `topic_id: <uuid>`. Kafka: `PartitionMetadataFile`.
//! - The leader-epoch checkpoint has the same shape with `"<epoch> <offset>"` lines (see
//!   [`crate::log::leader_epoch`]). Kafka: `CheckpointFile.write`.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

use crate::cluster::TopicPartition;

/// Per-directory file names. Kafka: `LogManager.RecoveryPointCheckpointFile` etc.
pub const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
pub const LOG_START_OFFSET_CHECKPOINT: &str = "log-start-offset-checkpoint";
pub const REPLICATION_OFFSET_CHECKPOINT: &str = "replication-offset-checkpoint";
pub const CLEANER_OFFSET_CHECKPOINT: &str = "cleaner-offset-checkpoint";
/// Kafka: `LogLoader.CleanShutdownFile`.
pub const CLEAN_SHUTDOWN_FILE: &str = ".kafka_cleanshutdown";
/// Kafka: `PartitionMetadataFile` name.
pub const PARTITION_METADATA_FILE: &str = "partition.metadata";

/// Writes `contents` to `path` atomically: `<path>.tmp`, fsync, rename, fsync the directory.
/// Kafka: `CheckpointFile.write` / `Utils.atomicMoveWithFallback`.
pub fn write_atomically(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = tmp_path(path);
    {
        let mut f = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(parent) = path.parent() {
        // Persist the rename itself; ignore filesystems that cannot fsync a directory.
        if let Ok(d) = File::open(parent) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Why a checkpoint file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read checkpoint {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("malformed checkpoint {path} line {line}: {reason}")]
    Malformed {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// Parses Kafka's checkpoint layout into its entry lines (version 0 only).
/// Missing file → empty. Kafka: `CheckpointFile.CheckpointReadBuffer.read`.
pub fn read_checkpoint_lines(path: &Path) -> Result<Vec<String>, CheckpointError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(CheckpointError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let malformed = |line: usize, reason: String| CheckpointError::Malformed {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text.lines();
    match lines.next().map(str::trim) {
        None => return Ok(Vec::new()),
        Some("0") => {}
        Some(v) => return Err(malformed(1, format!("unsupported version {v:?}"))),
    }
    let count: usize = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| malformed(2, "missing entry count".into()))?;
    let entries: Vec<String> = lines
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    if entries.len() != count {
        return Err(malformed(
            2,
            format!("expected {count} entries, found {}", entries.len()),
        ));
    }
    Ok(entries)
}

/// Renders version 0, count, and the given entry lines.
pub fn render_checkpoint(lines: &[String]) -> String {
    let mut s = format!("0\n{}\n", lines.len());
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// An offset checkpoint file (`<topic> <partition> <offset>` per line). Kafka: `OffsetCheckpointFile`.
#[derive(Debug, Clone)]
pub struct OffsetCheckpointFile {
    path: PathBuf,
}

impl OffsetCheckpointFile {
    pub fn new(path: PathBuf) -> OffsetCheckpointFile {
        OffsetCheckpointFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&self, offsets: &BTreeMap<TopicPartition, i64>) -> std::io::Result<()> {
        let lines: Vec<String> = offsets
            .iter()
            .map(|(tp, o)| format!("{} {} {}", tp.topic, tp.partition, o))
            .collect();
        write_atomically(&self.path, render_checkpoint(&lines).as_bytes())
    }

    pub fn read(&self) -> Result<BTreeMap<TopicPartition, i64>, CheckpointError> {
        let mut out = BTreeMap::new();
        for (i, line) in read_checkpoint_lines(&self.path)?.iter().enumerate() {
            let parts: Vec<&str> = line.split(' ').collect();
            let parsed = if parts.len() == 3 {
                match (parts[1].parse::<i32>(), parts[2].parse::<i64>()) {
                    (Ok(p), Ok(o)) => Some((TopicPartition::new(parts[0], p), o)),
                    _ => None,
                }
            } else {
                None
            };
            let (tp, o) = parsed.ok_or_else(|| CheckpointError::Malformed {
                path: self.path.clone(),
                line: i + 3,
                reason: format!("expected \"<topic> <partition> <offset>\", got {line:?}"),
            })?;
            out.insert(tp, o);
        }
        Ok(out)
    }
}

/// Renders a topic id the way Kafka's `Uuid.toString` does: URL-safe base64 without padding.
pub fn topic_id_to_string(id: &[u8; 16]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// Parses Kafka's `Uuid.toString` form.
pub fn topic_id_from_string(s: &str) -> Option<[u8; 16]> {
    let v = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .ok()?;
    v.try_into().ok()
}

/// Writes `partition.metadata` (`version: 0`, `topic_id: <uuid>`). Kafka: `PartitionMetadataFile.write`.
pub fn write_partition_metadata(dir: &Path, topic_id: &[u8; 16]) -> std::io::Result<()> {
    let text = format!("version: 0\ntopic_id: {}\n", topic_id_to_string(topic_id));
    write_atomically(&dir.join(PARTITION_METADATA_FILE), text.as_bytes())
}

/// Reads the topic id from `partition.metadata`, if present and well-formed.
pub fn read_partition_metadata(dir: &Path) -> Option<[u8; 16]> {
    let text = fs::read_to_string(dir.join(PARTITION_METADATA_FILE)).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("topic_id: "))
        .and_then(topic_id_from_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OffsetCheckpointFile format: "0\n<count>\n<topic> <partition> <offset>\n..." and an
    /// atomic replace that leaves no temp file behind (Kafka `CheckpointFile.write`).
    #[test]
    fn offset_checkpoint_round_trip_in_kafka_text_format() {
        let dir = tempfile::tempdir().unwrap();
        let f = OffsetCheckpointFile::new(dir.path().join(RECOVERY_POINT_CHECKPOINT));
        assert!(f.read().unwrap().is_empty());
        let mut m = BTreeMap::new();
        m.insert(TopicPartition::new("orders", 0), 42);
        m.insert(TopicPartition::new("orders", 1), 7);
        f.write(&m).unwrap();
        let text = fs::read_to_string(f.path()).unwrap();
        assert_eq!(text, "0\n2\norders 0 42\norders 1 7\n");
        assert_eq!(f.read().unwrap(), m);
        assert!(!tmp_path(f.path()).exists());
        fs::write(f.path(), "0\n3\norders 0 42\n").unwrap();
        assert!(f.read().is_err());
    }

    /// PartitionMetadataFile: "version: 0\ntopic_id: <base64url uuid>" (KIP-516).
    #[test]
    fn partition_metadata_format() {
        let dir = tempfile::tempdir().unwrap();
        let id = [7u8; 16];
        write_partition_metadata(dir.path(), &id).unwrap();
        let text = fs::read_to_string(dir.path().join(PARTITION_METADATA_FILE)).unwrap();
        assert_eq!(text, "version: 0\ntopic_id: BwcHBwcHBwcHBwcHBwcHBw\n");
        assert_eq!(read_partition_metadata(dir.path()), Some(id));
    }
}
