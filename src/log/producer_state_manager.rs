//! `ProducerStateManager`: per-partition state of idempotent (and transactional) producers.
//!
//! For every producer id that wrote to a partition the leader remembers the producer epoch and
//! the metadata of its last five batches (first/last sequence, last offset, timestamp). That is
//! enough to
//! - fence zombies (a lower epoch → `INVALID_PRODUCER_EPOCH`),
//! - reject gaps (`OUT_OF_ORDER_SEQUENCE_NUMBER`),
//! - answer a retried batch with its original offsets instead of appending it twice.
//!
//! The state is rebuilt from the log after a restart or a leadership change (followers keep it
//! too, without validation), and checkpointed in `<20-digit offset>.snapshot` files in Kafka's
//! snapshot format so a restart does not have to replay the whole log.
//!
//! Kafka: `storage/.../internals/log/{ProducerStateManager, ProducerAppendInfo,
//! ProducerStateEntry, BatchMetadata}.java`, `UnifiedLog.analyzeAndValidateProducerState`.

use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// `RecordBatch.NO_PRODUCER_ID`.
pub const NO_PRODUCER_ID: i64 = -1;
/// `RecordBatch.NO_PRODUCER_EPOCH`.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// `RecordBatch.NO_SEQUENCE`.
pub const NO_SEQUENCE: i32 = -1;
/// Kafka keeps the metadata of this many recent batches per producer for duplicate detection
/// (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`); it matches the client's
/// `max.in.flight.requests.per.connection` limit of 5 for idempotence.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;
/// Snapshot file format version (`ProducerStateManager.PRODUCER_SNAPSHOT_VERSION`).
const PRODUCER_SNAPSHOT_VERSION: i16 = 1;
/// `LogFileUtils.PRODUCER_SNAPSHOT_FILE_SUFFIX`.
pub const SNAPSHOT_SUFFIX: &str = ".snapshot";
/// Bytes of one snapshot entry: pid 8, epoch 2, last seq 4, last offset 8, offset delta 4,
/// timestamp 8, coordinator epoch 4, current txn first offset 8.
const SNAPSHOT_ENTRY_BYTES: usize = 46;

/// Where an append comes from; it decides how much is validated (Kafka `AppendOrigin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOrigin {
    /// A produce request: epochs and sequences are checked, duplicates detected.
    Client,
    /// A follower copying the leader, or state rebuilt from the log: nothing is checked.
    Replication,
    /// The group/transaction coordinator: epochs are checked, sequences are not.
    Coordinator,
}

/// The producer fields of one v2 batch header, with the offsets the log assigned to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerBatch {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    /// `lastOffsetDelta` from the header: the batch spans `base_sequence ..= last_sequence()`.
    pub last_offset_delta: i32,
    pub max_timestamp: i64,
    pub is_transactional: bool,
    pub is_control: bool,
    pub first_offset: i64,
    pub last_offset: i64,
}

impl ProducerBatch {
    /// Whether the batch was written by an idempotent/transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id > NO_PRODUCER_ID
    }

    /// The sequence of the batch's last record, wrapping past `i32::MAX` to 0 as Kafka does
    /// (`DefaultRecordBatch.incrementSequence`).
    pub fn last_sequence(&self) -> i32 {
        increment_sequence(self.base_sequence, self.last_offset_delta)
    }
}

/// `DefaultRecordBatch.incrementSequence`: sequences wrap from `i32::MAX` to 0.
pub fn increment_sequence(sequence: i32, increment: i32) -> i32 {
    if sequence == NO_SEQUENCE {
        return NO_SEQUENCE;
    }
    if sequence > i32::MAX - increment {
        increment - (i32::MAX - sequence) - 1
    } else {
        sequence + increment
    }
}

/// `DefaultRecordBatch.decrementSequence`.
fn decrement_sequence(sequence: i32, decrement: i32) -> i32 {
    if sequence < decrement {
        i32::MAX - (decrement - sequence) + 1
    } else {
        sequence - decrement
    }
}

/// Metadata of one appended batch (Kafka `BatchMetadata`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub last_seq: i32,
    pub last_offset: i64,
    pub offset_delta: i32,
    pub timestamp: i64,
}

impl BatchMetadata {
    pub fn first_seq(&self) -> i32 {
        decrement_sequence(self.last_seq, self.offset_delta)
    }

    pub fn first_offset(&self) -> i64 {
        self.last_offset - self.offset_delta as i64
    }
}

/// What a partition remembers about one producer (Kafka `ProducerStateEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStateEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Oldest first; at most [`NUM_BATCHES_TO_RETAIN`].
    pub batch_metadata: VecDeque<BatchMetadata>,
    pub coordinator_epoch: i32,
    pub last_timestamp: i64,
    pub current_txn_first_offset: Option<i64>,
}

impl ProducerStateEntry {
    fn empty(producer_id: i64) -> ProducerStateEntry {
        ProducerStateEntry {
            producer_id,
            producer_epoch: NO_PRODUCER_EPOCH,
            batch_metadata: VecDeque::new(),
            coordinator_epoch: -1,
            last_timestamp: -1,
            current_txn_first_offset: None,
        }
    }

    pub fn last_seq(&self) -> i32 {
        self.batch_metadata
            .back()
            .map_or(NO_SEQUENCE, |b| b.last_seq)
    }

    pub fn last_data_offset(&self) -> i64 {
        self.batch_metadata.back().map_or(-1, |b| b.last_offset)
    }

    /// A cached batch with the same epoch and sequence range (`findDuplicateBatch`).
    pub fn find_duplicate_batch(&self, batch: &ProducerBatch) -> Option<BatchMetadata> {
        if batch.producer_epoch != self.producer_epoch {
            return None;
        }
        let last_seq = batch.last_sequence();
        self.batch_metadata
            .iter()
            .find(|m| m.first_seq() == batch.base_sequence && m.last_seq == last_seq)
            .copied()
    }

    /// `ProducerStateEntry.addBatch`: a new epoch forgets the old epoch's batches.
    fn add_batch(
        &mut self,
        epoch: i16,
        last_seq: i32,
        last_offset: i64,
        offset_delta: i32,
        ts: i64,
    ) {
        if self.producer_epoch != epoch {
            self.batch_metadata.clear();
            self.producer_epoch = epoch;
        }
        if self.batch_metadata.len() == NUM_BATCHES_TO_RETAIN {
            self.batch_metadata.pop_front();
        }
        self.batch_metadata.push_back(BatchMetadata {
            last_seq,
            last_offset,
            offset_delta,
            timestamp: ts,
        });
        self.last_timestamp = ts;
    }
}

/// Why a batch was refused; each maps to Kafka's error code.
#[derive(Debug, thiserror::Error)]
pub enum ProducerStateError {
    #[error("epoch {got} of producer {producer_id} is older than the last seen epoch {current}")]
    InvalidProducerEpoch {
        producer_id: i64,
        got: i16,
        current: i16,
    },
    #[error("out of order sequence for producer {producer_id} (epoch {epoch}): got {got}, expected {expected}")]
    OutOfOrderSequence {
        producer_id: i64,
        epoch: i16,
        got: i32,
        expected: i32,
    },
    #[error(
        "producer {producer_id} wrote a non-transactional batch while its transaction is open"
    )]
    InvalidTxnState { producer_id: i64 },
    #[error("producer snapshot {path}: {reason}")]
    CorruptSnapshot { path: String, reason: String },
    #[error("producer snapshot {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl ProducerStateError {
    /// Kafka's error code (`Errors.java`).
    pub fn error_code(&self) -> i16 {
        match self {
            ProducerStateError::OutOfOrderSequence { .. } => 45,
            ProducerStateError::InvalidTxnState { .. } => 48,
            ProducerStateError::InvalidProducerEpoch { .. } => 47,
            ProducerStateError::CorruptSnapshot { .. } | ProducerStateError::Io { .. } => 56,
        }
    }
}

/// The result of checking a produce request's batches against the producer state.
#[derive(Debug)]
pub enum ProducerAnalysis {
    /// A batch repeats one already in the log: answer with its original offsets, append nothing.
    Duplicate(BatchMetadata),
    /// Everything checks out; [`ProducerStateManager::commit`] these after the write succeeds.
    Updates(ProducerAppendUpdates),
}

/// Producer entries as they will be once an append is in the log (Kafka `ProducerAppendInfo`).
#[derive(Debug, Default)]
pub struct ProducerAppendUpdates {
    entries: HashMap<i64, ProducerStateEntry>,
    last_offset: Option<i64>,
}

/// Per-partition producer state. Owned by the partition's log, behind its append lock.
#[derive(Debug, Default)]
pub struct ProducerStateManager {
    producers: HashMap<i64, ProducerStateEntry>,
    /// One past the last offset whose batch was applied (`mapEndOffset`).
    last_map_offset: i64,
}

impl ProducerStateManager {
    pub fn new() -> ProducerStateManager {
        ProducerStateManager::default()
    }

    pub fn entry(&self, producer_id: i64) -> Option<&ProducerStateEntry> {
        self.producers.get(&producer_id)
    }

    pub fn producer_count(&self) -> usize {
        self.producers.len()
    }

    /// Producer id → offset of its last data batch, for producers with one. The cleaner keeps
    /// those batches. Kafka: `ProducerStateManager.activeProducers` as used by
    /// `UnifiedLog.lastRecordsOfActiveProducers`.
    pub fn last_data_offsets(&self) -> std::collections::HashMap<i64, i64> {
        self.producers
            .iter()
            .filter(|(_, e)| e.last_data_offset() >= 0)
            .map(|(pid, e)| (*pid, e.last_data_offset()))
            .collect()
    }

    pub fn map_end_offset(&self) -> i64 {
        self.last_map_offset
    }

    /// Checks `batches` (offsets already assigned) and stages their effect.
    ///
    /// Kafka: `UnifiedLog.analyzeAndValidateProducerState` — for client appends a batch equal to
    /// one of the producer's last five is a duplicate and ends the analysis; every other batch is
    /// validated against the state left by the batches before it in the same request.
    pub fn analyze(
        &self,
        batches: &[ProducerBatch],
        origin: AppendOrigin,
    ) -> Result<ProducerAnalysis, ProducerStateError> {
        let mut updates = ProducerAppendUpdates::default();
        for batch in batches {
            updates.last_offset = Some(batch.last_offset);
            if !batch.has_producer_id() {
                continue;
            }
            if origin == AppendOrigin::Client {
                if let Some(dup) = self
                    .producers
                    .get(&batch.producer_id)
                    .and_then(|e| e.find_duplicate_batch(batch))
                {
                    return Ok(ProducerAnalysis::Duplicate(dup));
                }
            }
            let staged = updates.entries.entry(batch.producer_id).or_insert_with(|| {
                self.producers
                    .get(&batch.producer_id)
                    .cloned()
                    .unwrap_or_else(|| ProducerStateEntry::empty(batch.producer_id))
            });
            apply_batch(staged, batch, origin)?;
        }
        Ok(ProducerAnalysis::Updates(updates))
    }

    /// Makes staged updates current, after the batches reached the log.
    pub fn commit(&mut self, updates: ProducerAppendUpdates) {
        for (pid, entry) in updates.entries {
            self.producers.insert(pid, entry);
        }
        if let Some(last) = updates.last_offset {
            self.last_map_offset = self.last_map_offset.max(last + 1);
        }
    }

    /// Applies batches read back from the log without validation (rebuild after restart, and on
    /// followers). Kafka: `UnifiedLog.loadProducersFromRecords` with `AppendOrigin.REPLICATION`.
    pub fn load_batches(&mut self, batches: &[ProducerBatch]) {
        match self.analyze(batches, AppendOrigin::Replication) {
            Ok(ProducerAnalysis::Updates(u)) => self.commit(u),
            // Replication appends are never validated and never reported as duplicates.
            Ok(ProducerAnalysis::Duplicate(_)) | Err(_) => {
                unreachable!("replication-origin analysis neither validates nor dedups")
            }
        }
    }

    /// Forgets producers idle for `producer.id.expiration.ms` (default 86400000) that have no
    /// open transaction. Kafka: `ProducerStateManager.removeExpiredProducers`.
    pub fn remove_expired_producers(&mut self, now_ms: i64, producer_id_expiration_ms: i64) {
        self.producers.retain(|_, e| {
            e.current_txn_first_offset.is_some()
                || now_ms - e.last_timestamp < producer_id_expiration_ms
        });
    }

    /// Moves the map end offset forward to `offset` (a segment rolled there; nothing between
    /// the last batch seen and `offset` carried producer state). Kafka:
    /// `ProducerStateManager.updateMapEndOffset`.
    pub fn update_map_end_offset(&mut self, offset: i64) {
        self.last_map_offset = self.last_map_offset.max(offset);
    }

    /// Drops everything: the log was truncated fully and restarts at `offset`.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) {
        self.producers.clear();
        self.last_map_offset = offset;
    }

    /// Writes `<dir>/<20-digit map end offset>.snapshot` atomically (temp file, fsync, rename).
    /// Kafka: `ProducerStateManager.takeSnapshot` / `writeSnapshot`.
    pub fn take_snapshot(&self, dir: &Path) -> Result<PathBuf, ProducerStateError> {
        let path = snapshot_path(dir, self.last_map_offset);
        let mut entries: Vec<&ProducerStateEntry> = self.producers.values().collect();
        entries.sort_by_key(|e| e.producer_id);
        let bytes = encode_snapshot(&entries);
        let tmp = path.with_extension("snapshot.tmp");
        let io_err = |source| ProducerStateError::Io {
            path: path.display().to_string(),
            source,
        };
        {
            use std::io::Write;
            let mut f = fs::File::create(&tmp).map_err(io_err)?;
            f.write_all(&bytes).map_err(io_err)?;
            f.sync_all().map_err(io_err)?;
        }
        fs::rename(&tmp, &path).map_err(io_err)?;
        Ok(path)
    }

    /// Loads the newest snapshot at or below `max_offset`, deleting corrupt ones as Kafka does;
    /// returns the offset the log must replay from (the snapshot's offset, or `log_start_offset`).
    /// Kafka: `ProducerStateManager.truncateAndReload` / `loadFromSnapshot`.
    pub fn load_latest_snapshot(
        &mut self,
        dir: &Path,
        log_start_offset: i64,
        max_offset: i64,
    ) -> Result<i64, ProducerStateError> {
        self.producers.clear();
        let mut offsets = list_snapshot_offsets(dir)?;
        offsets.retain(|o| *o <= max_offset);
        offsets.sort_unstable();
        while let Some(offset) = offsets.pop() {
            let path = snapshot_path(dir, offset);
            match fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| decode_snapshot(&b))
            {
                Ok(entries) => {
                    for e in entries {
                        self.producers.insert(e.producer_id, e);
                    }
                    self.last_map_offset = offset;
                    return Ok(offset);
                }
                Err(reason) => {
                    tracing::warn!(path = %path.display(), %reason, "deleting corrupt producer snapshot");
                    let _ = fs::remove_file(&path);
                }
            }
        }
        self.last_map_offset = log_start_offset;
        Ok(log_start_offset)
    }

    /// Deletes snapshots above `offset` (log truncation) — Kafka `truncateAndReload` removes them
    /// so a later restart cannot load state for records that no longer exist.
    pub fn delete_snapshots_after(dir: &Path, offset: i64) -> Result<(), ProducerStateError> {
        for o in list_snapshot_offsets(dir)? {
            if o > offset {
                let path = snapshot_path(dir, o);
                fs::remove_file(&path).map_err(|source| ProducerStateError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
            }
        }
        Ok(())
    }
}

/// Validates one batch against the staged entry and records it there.
/// Kafka: `ProducerAppendInfo.appendDataBatch`, `checkProducerEpoch`, `checkSequence`.
fn apply_batch(
    entry: &mut ProducerStateEntry,
    batch: &ProducerBatch,
    origin: AppendOrigin,
) -> Result<(), ProducerStateError> {
    if origin != AppendOrigin::Replication && batch.producer_epoch < entry.producer_epoch {
        return Err(ProducerStateError::InvalidProducerEpoch {
            producer_id: batch.producer_id,
            got: batch.producer_epoch,
            current: entry.producer_epoch,
        });
    }
    if batch.is_control {
        // A transaction marker closes the producer's open transaction. Markers come from the
        // transaction coordinator (a later issue); only their effect on state is kept here.
        entry.producer_epoch = batch.producer_epoch;
        entry.current_txn_first_offset = None;
        entry.last_timestamp = batch.max_timestamp;
        return Ok(());
    }
    if origin == AppendOrigin::Client {
        check_sequence(entry, batch)?;
    }
    entry.add_batch(
        batch.producer_epoch,
        batch.last_sequence(),
        batch.last_offset,
        (batch.last_offset - batch.first_offset) as i32,
        batch.max_timestamp,
    );
    match (entry.current_txn_first_offset, batch.is_transactional) {
        (Some(_), false) if origin != AppendOrigin::Replication => {
            return Err(ProducerStateError::InvalidTxnState {
                producer_id: batch.producer_id,
            })
        }
        (None, true) => entry.current_txn_first_offset = Some(batch.first_offset),
        _ => {}
    }
    Ok(())
}

/// Kafka `ProducerAppendInfo.checkSequence` (3.9, transactions v1 semantics).
fn check_sequence(
    entry: &ProducerStateEntry,
    batch: &ProducerBatch,
) -> Result<(), ProducerStateError> {
    let first_seq = batch.base_sequence;
    let out_of_order = |expected| ProducerStateError::OutOfOrderSequence {
        producer_id: batch.producer_id,
        epoch: batch.producer_epoch,
        got: first_seq,
        expected,
    };
    if batch.producer_epoch != entry.producer_epoch {
        // A new epoch must start again at sequence 0, unless the producer was unknown here.
        if first_seq != 0 && entry.producer_epoch != NO_PRODUCER_EPOCH {
            return Err(out_of_order(0));
        }
        return Ok(());
    }
    let last_seq = entry.last_seq();
    let in_sequence =
        first_seq as i64 == last_seq as i64 + 1 || (first_seq == 0 && last_seq == i32::MAX);
    // Without a known epoch (all of the producer's records deleted by retention or
    // DeleteRecords) any sequence is accepted.
    if entry.producer_epoch == NO_PRODUCER_EPOCH || in_sequence {
        Ok(())
    } else {
        Err(out_of_order(increment_sequence(last_seq, 1)))
    }
}

/// `<dir>/<offset as 20 digits>.snapshot` (`LogFileUtils.producerSnapshotFile`).
pub fn snapshot_path(dir: &Path, offset: i64) -> PathBuf {
    dir.join(format!("{offset:020}{SNAPSHOT_SUFFIX}"))
}

fn list_snapshot_offsets(dir: &Path) -> Result<Vec<i64>, ProducerStateError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ProducerStateError::Io {
                path: dir.display().to_string(),
                source,
            })
        }
    };
    Ok(rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_suffix(SNAPSHOT_SUFFIX)?.parse::<i64>().ok()
        })
        .collect())
}

/// Kafka's snapshot layout: `version:int16, crc:uint32, entries:[int32 count, entry...]`, the CRC
/// (CRC32C) covering everything after itself.
fn encode_snapshot(entries: &[&ProducerStateEntry]) -> Vec<u8> {
    let mut body = Vec::with_capacity(4 + entries.len() * SNAPSHOT_ENTRY_BYTES);
    body.extend_from_slice(&(entries.len() as i32).to_be_bytes());
    for e in entries {
        let last = e.batch_metadata.back();
        body.extend_from_slice(&e.producer_id.to_be_bytes());
        body.extend_from_slice(&e.producer_epoch.to_be_bytes());
        body.extend_from_slice(&last.map_or(NO_SEQUENCE, |b| b.last_seq).to_be_bytes());
        body.extend_from_slice(&last.map_or(-1i64, |b| b.last_offset).to_be_bytes());
        body.extend_from_slice(&last.map_or(0i32, |b| b.offset_delta).to_be_bytes());
        body.extend_from_slice(&e.last_timestamp.to_be_bytes());
        body.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
        body.extend_from_slice(&e.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
    }
    let mut out = Vec::with_capacity(6 + body.len());
    out.extend_from_slice(&PRODUCER_SNAPSHOT_VERSION.to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

fn decode_snapshot(bytes: &[u8]) -> Result<Vec<ProducerStateEntry>, String> {
    let be_i16 = |b: &[u8]| i16::from_be_bytes([b[0], b[1]]);
    let be_i32 = |b: &[u8]| i32::from_be_bytes(b[..4].try_into().expect("4 bytes"));
    let be_i64 = |b: &[u8]| i64::from_be_bytes(b[..8].try_into().expect("8 bytes"));
    if bytes.len() < 10 {
        return Err(format!(
            "{} bytes is shorter than the 10-byte header",
            bytes.len()
        ));
    }
    let version = be_i16(&bytes[0..2]);
    if version != PRODUCER_SNAPSHOT_VERSION {
        return Err(format!("unknown snapshot version {version}"));
    }
    let crc = u32::from_be_bytes(bytes[2..6].try_into().expect("4 bytes"));
    let body = &bytes[6..];
    if crc32c::crc32c(body) != crc {
        return Err("CRC mismatch".to_string());
    }
    let count = be_i32(&body[0..4]);
    let expected = 4 + count.max(0) as usize * SNAPSHOT_ENTRY_BYTES;
    if count < 0 || body.len() != expected {
        return Err(format!("{count} entries do not fit {} bytes", body.len()));
    }
    let mut out = Vec::with_capacity(count as usize);
    for chunk in body[4..].chunks_exact(SNAPSHOT_ENTRY_BYTES) {
        let producer_id = be_i64(&chunk[0..]);
        let producer_epoch = be_i16(&chunk[8..]);
        let last_seq = be_i32(&chunk[10..]);
        let last_offset = be_i64(&chunk[14..]);
        let offset_delta = be_i32(&chunk[22..]);
        let timestamp = be_i64(&chunk[26..]);
        let coordinator_epoch = be_i32(&chunk[34..]);
        let txn_first = be_i64(&chunk[38..]);
        let mut batch_metadata = VecDeque::new();
        if last_offset >= 0 {
            batch_metadata.push_back(BatchMetadata {
                last_seq,
                last_offset,
                offset_delta,
                timestamp,
            });
        }
        out.push(ProducerStateEntry {
            producer_id,
            producer_epoch,
            batch_metadata,
            coordinator_epoch,
            last_timestamp: timestamp,
            current_txn_first_offset: (txn_first >= 0).then_some(txn_first),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(pid: i64, epoch: i16, seq: i32, records: i32, first_offset: i64) -> ProducerBatch {
        ProducerBatch {
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            last_offset_delta: records - 1,
            max_timestamp: 1_000 + first_offset,
            is_transactional: false,
            is_control: false,
            first_offset,
            last_offset: first_offset + records as i64 - 1,
        }
    }

    fn append(
        m: &mut ProducerStateManager,
        b: ProducerBatch,
    ) -> Result<ProducerAnalysis, ProducerStateError> {
        let r = m.analyze(&[b], AppendOrigin::Client)?;
        if let ProducerAnalysis::Updates(u) = r {
            m.commit(u);
            Ok(ProducerAnalysis::Updates(ProducerAppendUpdates::default()))
        } else {
            Ok(r)
        }
    }

    /// Kafka `ProducerAppendInfo.checkSequence`: in-order batches are accepted; a gap is
    /// OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    #[test]
    fn sequences_must_be_contiguous() {
        let mut m = ProducerStateManager::new();
        append(&mut m, batch(7, 0, 0, 3, 0)).unwrap();
        append(&mut m, batch(7, 0, 3, 2, 3)).unwrap();
        let err = append(&mut m, batch(7, 0, 6, 1, 5)).unwrap_err();
        assert_eq!(err.error_code(), 45);
        assert!(matches!(
            err,
            ProducerStateError::OutOfOrderSequence { expected: 5, .. }
        ));
        assert_eq!(m.entry(7).unwrap().last_seq(), 4);
        assert_eq!(m.map_end_offset(), 5);
    }

    /// Kafka `UnifiedLog.analyzeAndValidateProducerState`: a retried batch among the last five
    /// is answered with its original offsets and not appended again; older ones are not cached.
    #[test]
    fn duplicates_return_original_offsets() {
        let mut m = ProducerStateManager::new();
        for i in 0..6 {
            append(&mut m, batch(1, 0, i * 2, 2, 100 + i as i64 * 2)).unwrap();
        }
        let dup = append(&mut m, batch(1, 0, 4, 2, 999)).unwrap();
        match dup {
            ProducerAnalysis::Duplicate(meta) => {
                assert_eq!(meta.first_offset(), 104);
                assert_eq!(meta.last_offset, 105);
            }
            other => panic!("expected a duplicate, got {other:?}"),
        }
        // Sequence 0..1 fell out of the five-batch window: it is now a plain out-of-order batch.
        assert_eq!(
            append(&mut m, batch(1, 0, 0, 2, 999))
                .unwrap_err()
                .error_code(),
            45
        );
    }

    /// Kafka `checkProducerEpoch`: a lower epoch is INVALID_PRODUCER_EPOCH (47); a new epoch must
    /// restart at sequence 0; an unknown producer may start anywhere.
    #[test]
    fn epochs_fence_zombies() {
        let mut m = ProducerStateManager::new();
        append(&mut m, batch(3, 0, 42, 1, 0)).unwrap(); // unknown producer: any sequence
        append(&mut m, batch(3, 1, 0, 1, 1)).unwrap(); // bump restarts at 0
        assert_eq!(
            append(&mut m, batch(3, 0, 43, 1, 2))
                .unwrap_err()
                .error_code(),
            47
        );
        assert_eq!(
            append(&mut m, batch(3, 2, 5, 1, 2))
                .unwrap_err()
                .error_code(),
            45
        );
        assert_eq!(m.entry(3).unwrap().producer_epoch, 1);
    }

    /// `DefaultRecordBatch.incrementSequence`: sequence numbers wrap past i32::MAX to 0.
    #[test]
    fn sequence_wraps() {
        assert_eq!(increment_sequence(i32::MAX, 1), 0);
        assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
        let mut m = ProducerStateManager::new();
        append(&mut m, batch(9, 0, i32::MAX - 1, 2, 0)).unwrap();
        append(&mut m, batch(9, 0, 0, 1, 2)).unwrap();
    }

    /// Several batches of one producer in a single request are validated transitively, and an
    /// error leaves the committed state untouched.
    #[test]
    fn multi_batch_request_is_atomic() {
        let mut m = ProducerStateManager::new();
        let r = m.analyze(
            &[batch(5, 0, 0, 1, 0), batch(5, 0, 2, 1, 1)],
            AppendOrigin::Client,
        );
        assert!(r.is_err());
        assert!(m.entry(5).is_none());
        let r = m
            .analyze(
                &[batch(5, 0, 0, 1, 0), batch(5, 0, 1, 1, 1)],
                AppendOrigin::Client,
            )
            .unwrap();
        let ProducerAnalysis::Updates(u) = r else {
            panic!("no duplicate expected")
        };
        m.commit(u);
        assert_eq!(m.entry(5).unwrap().last_seq(), 1);
    }

    /// Followers and log reloads apply batches without validation (`AppendOrigin.REPLICATION`).
    #[test]
    fn replication_is_not_validated() {
        let mut m = ProducerStateManager::new();
        m.load_batches(&[batch(1, 3, 10, 1, 0), batch(1, 2, 99, 1, 1)]);
        assert_eq!(m.entry(1).unwrap().last_seq(), 99);
    }

    /// Kafka's snapshot file round-trips, a corrupt one is deleted and the next older one used.
    #[test]
    fn snapshots_round_trip_and_corruption_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = ProducerStateManager::new();
        append(&mut m, batch(1, 0, 0, 3, 0)).unwrap();
        let first = m.take_snapshot(dir.path()).unwrap();
        assert!(first.ends_with("00000000000000000003.snapshot"));
        append(&mut m, batch(2, 4, 0, 2, 3)).unwrap();
        let second = m.take_snapshot(dir.path()).unwrap();
        let bytes = fs::read(&second).unwrap();
        assert_eq!(bytes.len(), 10 + 2 * SNAPSHOT_ENTRY_BYTES);

        let mut loaded = ProducerStateManager::new();
        assert_eq!(
            loaded
                .load_latest_snapshot(dir.path(), 0, i64::MAX)
                .unwrap(),
            5
        );
        assert_eq!(loaded.entry(2).unwrap().producer_epoch, 4);
        assert_eq!(loaded.entry(1).unwrap().last_seq(), 2);
        // The reloaded state still detects the last batch as a duplicate.
        assert!(matches!(
            loaded
                .analyze(&[batch(2, 4, 0, 2, 50)], AppendOrigin::Client)
                .unwrap(),
            ProducerAnalysis::Duplicate(_)
        ));

        let mut corrupt = bytes.clone();
        *corrupt.last_mut().unwrap() ^= 0xff;
        fs::write(&second, corrupt).unwrap();
        let mut reloaded = ProducerStateManager::new();
        assert_eq!(
            reloaded
                .load_latest_snapshot(dir.path(), 0, i64::MAX)
                .unwrap(),
            3
        );
        assert!(!second.exists());
        assert!(reloaded.entry(2).is_none());

        ProducerStateManager::delete_snapshots_after(dir.path(), 0).unwrap();
        assert!(!first.exists());
    }

    /// `producer.id.expiration.ms`: idle producers are forgotten, open transactions are kept.
    #[test]
    fn idle_producers_expire() {
        let mut m = ProducerStateManager::new();
        append(&mut m, batch(1, 0, 0, 1, 0)).unwrap();
        let mut txn = batch(2, 0, 0, 1, 1);
        txn.is_transactional = true;
        append(&mut m, txn).unwrap();
        m.remove_expired_producers(1_000_000_000, 86_400_000);
        assert!(m.entry(1).is_none());
        assert_eq!(m.entry(2).unwrap().current_txn_first_offset, Some(1));
    }
}
