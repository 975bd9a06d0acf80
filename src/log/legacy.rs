//! Record-level checks that are off the hot path: up-conversion of message format v0/v1 and
//! the key check for compacted topics.
//!
//! # Magic 0/1 (decision)
//! Kafka 3.9 with IBP ≥ 3.0 always stores message format v2 (`log.message.format.version` is
//! ignored, KIP-724). `LogValidator.validateMessagesAndAssignOffsets` up-converts v0/v1 produce
//! data (Produce v0–v2, deprecated by KIP-896 and removed in 4.0): uncompressed sets through
//! `convertAndAssignOffsetsNonCompressed`, compressed ones by recompressing into a new v2 batch.
//! We do the same: uncompressed messages are decoded (CRC checked by the independent
//! `kafka-protocol` decoder) and re-encoded as one v2 batch with the original timestamps
//! (v0 → `NO_TIMESTAMP`) and keys/values; compressed wrappers (gzip, snappy raw or xerial, lz4 on
//! magic 1) are CRC-checked, decompressed ([`super::legacy_compressed`]) and the inner messages
//! recompressed into one v2 batch with the same codec (`compression.type=producer`). Not read:
//! lz4 on magic 0 (its frame checksum is the pre-0.10 broken one, KAFKA-3160) →
//! UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
//!
//! Reads: Kafka 3.9 down-converts v2 data to v0/v1 for Fetch v0–v3 (`FetchResponse` via
//! `LazyDownConversionRecords`). We advertise Fetch v4+ only (`protocol::api_keys`), so every
//! consumer gets the stored v2 batches; clients older than 0.11 cannot fetch.

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions,
};

use super::errors::LogError;
use crate::cluster::TopicPartition;
use crate::protocol::record_batch::{BatchIter, CompressionType, RecordBatchHeader};

/// Whether any entry of `records` is a v0/v1 message (cheap: reads magic bytes only).
pub fn contains_legacy(records: &[u8]) -> bool {
    BatchIter::new(records)
        .flatten()
        .any(|(_, h)| h.magic() < 2)
}

/// Converts a buffer of uncompressed v0/v1 messages (optionally mixed with nothing else) into
/// one v2 batch. Kafka: `LogValidator.convertAndAssignOffsetsNonCompressed`.
pub fn up_convert(records: &[u8], tp: &TopicPartition, _compact: bool) -> Result<Bytes, LogError> {
    let mut out: Vec<Record> = Vec::new();
    // The codec of the first compressed wrapper (Kafka's `sourceCompression`), kept for the v2
    // batch as `compression.type=producer` does.
    let mut codec: Option<i16> = None;
    for item in BatchIter::new(records) {
        let (pos, h) = item.map_err(|source| LogError::CorruptMessage {
            partition: tp.to_string(),
            source,
        })?;
        if h.magic() >= 2 {
            return Err(LogError::InvalidRecord {
                partition: tp.to_string(),
                reason: "a produce request mixes message format v2 with v0/v1".into(),
            });
        }
        // Legacy layout: offset(8) size(4) crc(4) magic(1) attributes(1) — attributes at 17.
        let attributes = h.as_bytes().get(17).copied().unwrap_or(0) as i16;
        let corrupt = |reason: String| LogError::CorruptMessage {
            partition: tp.to_string(),
            source: crate::protocol::record_batch::BatchError::Invalid {
                position: pos,
                reason,
            },
        };
        if attributes & 0x07 != 0 {
            // Kafka `validateMessagesAndAssignOffsetsCompressed` with toMagic = 2: the inner
            // messages are read and recompressed into one v2 batch with the producer's codec.
            use super::legacy_compressed::UnwrapError;
            let unwrapped = super::legacy_compressed::unwrap(h.as_bytes())
                .map_err(|e| match e {
                    UnwrapError::Crc { stored, computed } => LogError::CorruptMessage {
                        partition: tp.to_string(),
                        source: crate::protocol::record_batch::BatchError::CrcMismatch {
                            position: pos,
                            stored,
                            computed,
                        },
                    },
                    UnwrapError::Invalid(reason) => corrupt(reason),
                })?
                .ok_or_else(|| LogError::UnsupportedForMessageFormat {
                    partition: tp.to_string(),
                    reason: format!(
                        "{} compression is not readable in message format v{}",
                        CompressionType::from_id(attributes & 0x07)
                            .map(|c| c.name())
                            .unwrap_or("unknown"),
                        h.magic()
                    ),
                })?;
            codec.get_or_insert(unwrapped.codec);
            for item in BatchIter::new(&unwrapped.inner) {
                let (_, inner) = item.map_err(|source| LogError::CorruptMessage {
                    partition: tp.to_string(),
                    source,
                })?;
                if inner.magic() >= 2 || inner.as_bytes().get(17).copied().unwrap_or(0) & 0x07 != 0
                {
                    return Err(corrupt(
                        "a compressed wrapper holds a compressed or v2 inner message".into(),
                    ));
                }
                let mut b = Bytes::copy_from_slice(inner.as_bytes());
                let set = RecordBatchDecoder::decode(&mut b)
                    .map_err(|e| corrupt(format!("inner legacy message does not decode: {e}")))?;
                out.extend(set.records);
            }
            continue;
        }
        let mut b = Bytes::copy_from_slice(h.as_bytes());
        let set = RecordBatchDecoder::decode(&mut b)
            .map_err(|e| corrupt(format!("legacy message does not decode: {e}")))?;
        out.extend(set.records);
    }
    for (i, r) in out.iter_mut().enumerate() {
        r.offset = i as i64;
        // kafka-protocol's encoder splits batches unless offset − sequence is constant; the
        // batch's baseSequence is the first record's, so this yields NO_SEQUENCE (-1).
        r.sequence = i as i32 - 1;
        r.timestamp_type = kafka_protocol::records::TimestampType::Creation;
    }
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &out,
        &RecordEncodeOptions {
            version: 2,
            compression: match codec {
                Some(1) => Compression::Gzip,
                Some(2) => Compression::Snappy,
                Some(3) => Compression::Lz4,
                _ => Compression::None,
            },
        },
    )
    .map_err(|e| LogError::InvalidRecord {
        partition: tp.to_string(),
        reason: format!("cannot up-convert legacy messages: {e}"),
    })?;
    Ok(buf.freeze())
}

/// Compacted topics reject records without a key with INVALID_RECORD. Uncompressed batches are
/// walked without allocation; compressed ones are decoded (if a codec cannot be decoded here the
/// batch is accepted: the cleaner keeps keyless records it cannot read). Kafka:
/// `LogValidator.validateKey`.
pub fn validate_keys_for_compaction(records: &[u8], tp: &TopicPartition) -> Result<(), LogError> {
    let no_key = |i: usize| LogError::InvalidRecord {
        partition: tp.to_string(),
        reason: format!(
            "compacted topic cannot accept message without key in topic partition {tp} (record {i})"
        ),
    };
    for (_, h) in BatchIter::new(records).flatten() {
        if !h.is_v2() {
            continue;
        }
        if h.compression_type() == Some(CompressionType::None) {
            if let Some(i) = first_keyless_uncompressed(&h) {
                return Err(no_key(i));
            }
        } else {
            let mut b = Bytes::copy_from_slice(h.as_bytes());
            if let Ok(set) = RecordBatchDecoder::decode(&mut b) {
                if let Some(i) = set.records.iter().position(|r| r.key.is_none()) {
                    return Err(no_key(i));
                }
            }
        }
    }
    Ok(())
}

fn read_varint(b: &[u8], pos: &mut usize) -> Option<i64> {
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

fn first_keyless_uncompressed(h: &RecordBatchHeader<'_>) -> Option<usize> {
    let b = h.records_bytes();
    let mut pos = 0usize;
    for i in 0..h.record_count().max(0) as usize {
        let len = read_varint(b, &mut pos)?;
        let start = pos;
        pos += 1;
        read_varint(b, &mut pos)?;
        read_varint(b, &mut pos)?;
        let key_len = read_varint(b, &mut pos)?;
        if key_len < 0 {
            return Some(i);
        }
        pos = start.checked_add(usize::try_from(len).ok()?)?;
    }
    None
}
