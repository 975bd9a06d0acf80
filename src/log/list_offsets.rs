//! ListOffsets lookups on one log: earliest (-2), latest (-1), max timestamp (-3), earliest
//! local (-4), or the first offset whose timestamp is ≥ a target. Off the hot path: the one
//! batch that straddles the target is decoded to find the record. Kafka:
//! `UnifiedLog.fetchOffsetByTimestamp`, `LogSegment.findOffsetByTimestamp`.

use bytes::Bytes;

use super::errors::LogError;
use super::unified_log::{
    Log, TimestampAndOffset, EARLIEST_LOCAL_TIMESTAMP, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP,
    MAX_TIMESTAMP,
};
use crate::protocol::record_batch::{CompressionType, RecordBatchHeader, TimestampType};

impl Log {
    /// The ListOffsets answer for `target_timestamp`; `None` when no record is that recent.
    /// LATEST answers the log end offset (the partition layer substitutes the high watermark
    /// or LSO for consumers, semantics §2.5).
    pub fn fetch_offset_by_timestamp(
        &self,
        target_timestamp: i64,
    ) -> Result<Option<TimestampAndOffset>, LogError> {
        self.check_online()?;
        let epoch_at = |offset: i64| self.leader_epoch_cache().epoch_for_offset(offset);
        match target_timestamp {
            EARLIEST_TIMESTAMP | EARLIEST_LOCAL_TIMESTAMP => {
                let lso = self.log_start_offset();
                return Ok(Some(TimestampAndOffset {
                    timestamp: -1,
                    offset: lso,
                    leader_epoch: epoch_at(lso),
                }));
            }
            LATEST_TIMESTAMP => {
                let leo = self.log_end_offset();
                return Ok(Some(TimestampAndOffset {
                    timestamp: -1,
                    offset: leo,
                    leader_epoch: self.latest_epoch(),
                }));
            }
            MAX_TIMESTAMP => return self.max_timestamp_offset(),
            t if t < 0 => return Ok(None),
            _ => {}
        }
        let lso = self.log_start_offset();
        let segs = self.segments_snapshot();
        for seg in segs
            .iter()
            .filter(|s| s.max_timestamp() >= target_timestamp)
        {
            let batch = seg
                .find_batch_by_timestamp(target_timestamp, lso)
                .map_err(|e| self.storage_error("searching the time index", e))?;
            if let Some(b) = batch {
                let (ts, off) = first_record_at_or_after(&b, target_timestamp);
                let off = off.max(lso);
                return Ok(Some(TimestampAndOffset {
                    timestamp: ts,
                    offset: off,
                    leader_epoch: epoch_at(off),
                }));
            }
        }
        Ok(None)
    }

    /// MAX_TIMESTAMP (KIP-734): the record with the largest timestamp (the first such record).
    fn max_timestamp_offset(&self) -> Result<Option<TimestampAndOffset>, LogError> {
        let segs = self.segments_snapshot();
        let Some(seg) = segs
            .iter()
            .filter(|s| s.size() > 0)
            .max_by_key(|s| (s.max_timestamp(), -s.base_offset()))
        else {
            return Ok(None);
        };
        let max_ts = seg.max_timestamp();
        if max_ts < 0 {
            return Ok(None);
        }
        let lso = self.log_start_offset();
        let batch = seg
            .find_batch_by_timestamp(max_ts, lso.max(seg.base_offset()))
            .map_err(|e| self.storage_error("searching the time index", e))?;
        let Some(b) = batch else {
            return Ok(None);
        };
        let (ts, off) = first_record_at_or_after(&b, max_ts);
        Ok(Some(TimestampAndOffset {
            timestamp: ts,
            offset: off,
            leader_epoch: self.leader_epoch_cache().epoch_for_offset(off),
        }))
    }
}

/// `(timestamp, offset)` of the first record in `batch` with timestamp ≥ `target`. For
/// LogAppendTime batches every record carries the batch max timestamp. Uncompressed batches are
/// walked by hand; compressed ones are decoded with `kafka-protocol`; if that fails (e.g.
/// xerial-framed snappy) the batch's first offset and max timestamp are returned.
pub(crate) fn first_record_at_or_after(batch: &Bytes, target: i64) -> (i64, i64) {
    let Some(h) = RecordBatchHeader::new(batch) else {
        return (-1, -1);
    };
    let fallback = (h.max_timestamp(), h.base_offset());
    if h.timestamp_type() == TimestampType::LogAppendTime {
        return fallback;
    }
    if h.compression_type() == Some(CompressionType::None) {
        return walk_uncompressed(&h, target).unwrap_or(fallback);
    }
    let mut b = batch.clone();
    match kafka_protocol::records::RecordBatchDecoder::decode(&mut b) {
        Ok(set) => set
            .records
            .iter()
            .find(|r| r.timestamp >= target)
            .map(|r| (r.timestamp, r.offset))
            .unwrap_or(fallback),
        Err(_) => fallback,
    }
}

/// Reads a zigzag varint (`ByteUtils.readVarlong`).
fn read_varlong(b: &[u8], pos: &mut usize) -> Option<i64> {
    let mut value: u64 = 0;
    let mut shift = 0;
    loop {
        let byte = *b.get(*pos)?;
        *pos += 1;
        value |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    Some(((value >> 1) as i64) ^ -((value & 1) as i64))
}

/// Walks v2 records: `length varint, attributes i8, timestampDelta varlong, offsetDelta varint, ...`.
/// Kafka: `DefaultRecord.readFrom`.
fn walk_uncompressed(h: &RecordBatchHeader<'_>, target: i64) -> Option<(i64, i64)> {
    let b = h.records_bytes();
    let mut pos = 0usize;
    for _ in 0..h.record_count() {
        let len = read_varlong(b, &mut pos)?;
        let start = pos;
        pos += 1; // attributes
        let ts_delta = read_varlong(b, &mut pos)?;
        let off_delta = read_varlong(b, &mut pos)?;
        let ts = h.base_timestamp() + ts_delta;
        if ts >= target {
            return Some((ts, h.base_offset() + off_delta));
        }
        pos = start.checked_add(usize::try_from(len).ok()?)?;
    }
    None
}
