//! Record batches on the client side: building v2 batches with Kafka's compression codecs, and
//! decoding fetched bytes with kafka-protocol's `RecordBatchDecoder`.
//!
//! Snappy: Kafka's Java client writes snappy through `SnappyOutputStream` (xerial framing:
//! the 8-byte magic `\x82SNAPPY\0`, two big-endian int32 versions (1, 1), then blocks of
//! `[be32 length][raw snappy]` of at most 32 KiB input each), and every broker and client
//! reads that form. kafka-protocol 0.15.1 only writes and reads *raw* snappy, so we frame
//! snappy ourselves when producing, and read both forms when consuming.

use std::io::{self, Write};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::compression::{self as cmpr, Compressor, Decompressor};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use super::error::{ClientError, Result};

/// xerial snappy stream magic. Kafka: `SnappyCodec.MAGIC_HEADER` via `SnappyOutputStream`.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
/// Input bytes per xerial block: `SnappyOutputStream`'s default block size (32 KiB).
const XERIAL_BLOCK_BYTES: usize = 32 * 1024;

/// Batch overhead of a v2 record batch header (Kafka: `DefaultRecordBatch.RECORD_BATCH_OVERHEAD`).
pub const RECORD_BATCH_OVERHEAD: usize = 61;

/// `compression.type` names, as Kafka spells them.
pub fn parse_compression(name: &str) -> Result<Compression> {
    match name.trim().to_ascii_lowercase().as_str() {
        "none" | "" => Ok(Compression::None),
        "gzip" => Ok(Compression::Gzip),
        "snappy" => Ok(Compression::Snappy),
        "lz4" => Ok(Compression::Lz4),
        "zstd" => Ok(Compression::Zstd),
        other => Err(ClientError::Config(format!(
            "Invalid value {other} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd"
        ))),
    }
}

/// One record as the producer hands it to us.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerRecord {
    pub topic: String,
    /// `None` lets the partitioner choose.
    pub partition: Option<i32>,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    /// Header keys may repeat, as in Kafka; see [`encode_batch`] for how they are written.
    pub headers: Vec<(String, Option<Bytes>)>,
    /// `None` = now (CreateTime set by the producer, as Kafka's `KafkaProducer` does).
    pub timestamp_ms: Option<i64>,
}

impl ProducerRecord {
    /// Kafka's estimate of a record's size in a batch: `DefaultRecord.sizeInBytes` upper bound
    /// (varint fields at most 5 bytes each) — close enough for batch.size accounting.
    pub fn estimated_size(&self) -> usize {
        let k = self.key.as_ref().map_or(0, |k| k.len());
        let v = self.value.as_ref().map_or(0, |v| v.len());
        let h: usize = self
            .headers
            .iter()
            .map(|(hk, hv)| hk.len() + hv.as_ref().map_or(0, |v| v.len()) + 10)
            .sum();
        21 + k + v + h
    }
}

/// A record read back from a partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp_type: TimestampType,
    pub timestamp_ms: i64,
    pub key: Option<Bytes>,
    pub value: Option<Bytes>,
    pub headers: Vec<(String, Option<Bytes>)>,
}

/// Encodes `records` as one v2 batch (no producer id: a non-idempotent producer).
///
/// kafka-protocol keeps one batch per run of records whose `offset - sequence` is constant, so
/// every record gets `sequence = offset - 1`; the batch's base sequence is then -1
/// (`RecordBatch.NO_SEQUENCE`), which is what a non-idempotent Kafka producer sends.
/// Its `Record.headers` is a map: a repeated header key keeps only its last value.
pub fn encode_batch(
    records: &[ProducerRecord],
    compression: Compression,
    now_ms: i64,
) -> Result<Bytes> {
    let encoded: Vec<Record> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut headers = IndexMap::with_capacity(r.headers.len());
            for (k, v) in &r.headers {
                headers.insert(StrBytes::from_string(k.clone()), v.clone());
            }
            Record {
                transactional: false,
                control: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: i as i64,
                sequence: i as i32 - 1,
                timestamp: r.timestamp_ms.unwrap_or(now_ms),
                key: r.key.clone(),
                value: r.value.clone(),
                headers,
            }
        })
        .collect();
    let mut buf = BytesMut::with_capacity(
        RECORD_BATCH_OVERHEAD + records.iter().map(|r| r.estimated_size()).sum::<usize>(),
    );
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    // The codec closure is written inline so its `anyhow::Result` return type is inferred from
    // kafka-protocol's bound (we have no direct anyhow dependency).
    let compressor = |input: &mut BytesMut, out: &mut BytesMut, compression: Compression| {
        let copy = |b: &mut BytesMut| {
            b.put_slice(input);
            Ok(())
        };
        match compression {
            Compression::None => copy(out),
            Compression::Snappy => xerial_snappy_compress(input, out).map_err(Into::into),
            Compression::Gzip => cmpr::Gzip::compress(out, copy),
            Compression::Lz4 => cmpr::Lz4::compress(out, copy),
            Compression::Zstd => cmpr::Zstd::compress(out, copy),
        }
    };
    RecordBatchEncoder::encode_with_custom_compression(
        &mut buf,
        encoded.iter(),
        &options,
        Some(compressor),
    )
    .map_err(|e| ClientError::Config(format!("could not encode a record batch: {e}")))?;
    Ok(buf.freeze())
}

/// Writes xerial-framed snappy (see the module doc).
pub fn xerial_snappy_compress(input: &[u8], out: &mut BytesMut) -> io::Result<()> {
    out.put_slice(&XERIAL_MAGIC);
    out.put_i32(1);
    out.put_i32(1);
    let mut encoder = snap::raw::Encoder::new();
    for chunk in input.chunks(XERIAL_BLOCK_BYTES) {
        let block = encoder
            .compress_vec(chunk)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        out.put_i32(block.len() as i32);
        out.put_slice(&block);
    }
    Ok(())
}

/// Reads xerial-framed snappy, or raw snappy when the magic is absent.
pub fn snappy_decompress(input: &[u8]) -> io::Result<Vec<u8>> {
    let invalid = |e: snap::Error| io::Error::new(io::ErrorKind::InvalidData, e);
    if input.len() < 16 || input[..8] != XERIAL_MAGIC {
        return snap::raw::Decoder::new()
            .decompress_vec(input)
            .map_err(invalid);
    }
    let mut rest = &input[16..];
    let mut out = Vec::new();
    let mut decoder = snap::raw::Decoder::new();
    while rest.remaining() >= 4 {
        let len = rest.get_i32();
        if len < 0 || len as usize > rest.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "xerial snappy block length {len} exceeds the {} bytes left",
                    rest.len()
                ),
            ));
        }
        let (block, tail) = rest.split_at(len as usize);
        out.write_all(&decoder.decompress_vec(block).map_err(invalid)?)?;
        rest = tail;
    }
    Ok(out)
}

/// Splits fetched bytes into complete v2 (or legacy) batches. A fetch response may end with a
/// partial batch when it hit a byte limit (Kafka: `FetchResponse` docs, "the last batch may be
/// truncated"); that tail is dropped here and fetched again next time.
pub fn complete_batches(mut records: Bytes) -> Vec<Bytes> {
    let mut out = Vec::new();
    while records.len() >= 12 {
        let size = i32::from_be_bytes([records[8], records[9], records[10], records[11]]);
        if size < 0 || records.len() < 12 + size as usize {
            break;
        }
        out.push(records.split_to(12 + size as usize));
    }
    out
}

/// The offset after the last record of a batch (baseOffset + lastOffsetDelta + 1) for v2
/// batches, read from the header without decoding; `None` for legacy message sets.
pub fn batch_next_offset(batch: &[u8]) -> Option<i64> {
    if batch.len() < RECORD_BATCH_OVERHEAD || batch[16] != 2 {
        return None;
    }
    let base = i64::from_be_bytes(batch[0..8].try_into().ok()?);
    let last_delta = i32::from_be_bytes(batch[23..27].try_into().ok()?);
    Some(base + last_delta as i64 + 1)
}

/// Decodes one complete batch into consumer records at or after `from_offset`, skipping
/// control batches (transaction markers, which Kafka's consumer never hands to the user).
///
/// v2 batches are parsed here (CRC32C checked, codecs from kafka-protocol), because
/// kafka-protocol 0.15.1's record decoder fails on a header whose value is null (length -1)
/// and keeps headers in a map (a repeated key would lose values), both legal in Kafka
/// (`DefaultRecord.readFrom`). Legacy message sets (magic 0 and 1) go through kafka-protocol's
/// `RecordBatchDecoder`.
pub fn decode_batch(
    partition: i32,
    batch: Bytes,
    from_offset: i64,
    out: &mut Vec<ConsumerRecord>,
) -> Result<()> {
    let corrupt = |message: String| ClientError::Protocol {
        addr: format!("partition {partition}"),
        message,
    };
    if batch.len() > 16 && batch[16] == 2 {
        return decode_v2_batch(partition, batch, from_offset, out).map_err(corrupt);
    }
    let mut buf = batch;
    let set = RecordBatchDecoder::decode(&mut buf)
        .map_err(|e| corrupt(format!("could not decode a message set: {e}")))?;
    for r in set.records {
        if r.control || r.offset < from_offset {
            continue;
        }
        out.push(ConsumerRecord {
            partition,
            offset: r.offset,
            timestamp_type: r.timestamp_type,
            timestamp_ms: r.timestamp,
            key: r.key,
            value: r.value,
            headers: r
                .headers
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        });
    }
    Ok(())
}

/// Reads a zig-zag varint (Kafka: `ByteUtils.readVarint`/`readVarlong`).
fn read_varlong(buf: &mut Bytes) -> std::result::Result<i64, String> {
    let mut raw: u64 = 0;
    for shift in (0..70).step_by(7) {
        if !buf.has_remaining() {
            return Err("record truncated inside a varint".into());
        }
        let b = buf.get_u8();
        raw |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
        }
    }
    Err("varint longer than 10 bytes".into())
}

/// Reads a varint-length-prefixed byte string; -1 is null.
fn read_nullable(buf: &mut Bytes, what: &str) -> std::result::Result<Option<Bytes>, String> {
    let len = read_varlong(buf)?;
    match len {
        -1 => Ok(None),
        n if n < -1 || n as usize > buf.len() => Err(format!(
            "{what} length {n} with {} bytes left in the record",
            buf.len()
        )),
        n => Ok(Some(buf.split_to(n as usize))),
    }
}

fn decode_v2_batch(
    partition: i32,
    mut batch: Bytes,
    from_offset: i64,
    out: &mut Vec<ConsumerRecord>,
) -> std::result::Result<(), String> {
    if batch.len() < RECORD_BATCH_OVERHEAD {
        return Err(format!(
            "record batch of {} bytes is shorter than its header",
            batch.len()
        ));
    }
    let stored_crc = u32::from_be_bytes([batch[17], batch[18], batch[19], batch[20]]);
    let actual_crc = crc32c::crc32c(&batch[21..]);
    if stored_crc != actual_crc {
        return Err(format!(
            "record batch CRC32C {actual_crc:#x} does not match the stored {stored_crc:#x}"
        ));
    }
    let base_offset = batch.get_i64();
    let _length = batch.get_i32();
    let _leader_epoch = batch.get_i32();
    let _magic = batch.get_i8();
    let _crc = batch.get_u32();
    let attributes = batch.get_i16();
    let _last_offset_delta = batch.get_i32();
    let base_timestamp = batch.get_i64();
    let max_timestamp = batch.get_i64();
    let _producer_id = batch.get_i64();
    let _producer_epoch = batch.get_i16();
    let _base_sequence = batch.get_i32();
    let count = batch.get_i32();
    if attributes & 0x20 != 0 {
        return Ok(()); // control batch
    }
    let log_append_time = attributes & 0x08 != 0;
    let take = |b: &mut Bytes| Ok(std::mem::take(b));
    let mut records = match attributes & 0x07 {
        0 => batch,
        1 => cmpr::Gzip::decompress(&mut batch, take).map_err(|e| format!("gzip: {e}"))?,
        2 => Bytes::from(snappy_decompress(&batch).map_err(|e| format!("snappy: {e}"))?),
        3 => cmpr::Lz4::decompress(&mut batch, take).map_err(|e| format!("lz4: {e}"))?,
        4 => cmpr::Zstd::decompress(&mut batch, take).map_err(|e| format!("zstd: {e}"))?,
        c => return Err(format!("unknown compression codec {c}")),
    };
    out.reserve(count.max(0) as usize);
    for _ in 0..count.max(0) {
        let len = read_varlong(&mut records)?;
        if len < 0 || len as usize > records.len() {
            return Err(format!(
                "record length {len} with {} bytes left in the batch",
                records.len()
            ));
        }
        let mut r = records.split_to(len as usize);
        if !r.has_remaining() {
            return Err("empty record".into());
        }
        let _attributes = r.get_i8();
        let timestamp_delta = read_varlong(&mut r)?;
        let offset_delta = read_varlong(&mut r)?;
        let key = read_nullable(&mut r, "key")?;
        let value = read_nullable(&mut r, "value")?;
        let header_count = read_varlong(&mut r)?;
        if header_count < 0 {
            return Err(format!("negative header count {header_count}"));
        }
        let mut headers = Vec::with_capacity(header_count.min(64) as usize);
        for _ in 0..header_count {
            let k = read_nullable(&mut r, "header key")?.ok_or("null header key")?;
            let v = read_nullable(&mut r, "header value")?;
            headers.push((String::from_utf8_lossy(&k).into_owned(), v));
        }
        let offset = base_offset + offset_delta;
        if offset < from_offset {
            continue;
        }
        out.push(ConsumerRecord {
            partition,
            offset,
            timestamp_type: if log_append_time {
                TimestampType::LogAppend
            } else {
                TimestampType::Creation
            },
            timestamp_ms: if log_append_time {
                max_timestamp
            } else {
                base_timestamp + timestamp_delta
            },
            key,
            value,
            headers,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: &str) -> ProducerRecord {
        ProducerRecord {
            topic: "t".into(),
            key: Some(Bytes::from(key.to_string())),
            value: Some(Bytes::from(value.to_string())),
            headers: vec![("h".into(), Some(Bytes::from_static(b"v")))],
            timestamp_ms: Some(1_700_000_000_000),
            ..Default::default()
        }
    }

    /// A v2 batch round-trips through every codec Kafka defines (`CompressionType`: none,
    /// gzip, snappy, lz4, zstd), and the batch header carries a base sequence of -1 and
    /// producer id -1 as a non-idempotent Kafka producer writes (`RecordBatch.NO_SEQUENCE`).
    #[test]
    fn batches_round_trip_through_every_codec() {
        let records: Vec<_> = (0..500)
            .map(|i| record(&format!("k{i}"), &"x".repeat(i % 50)))
            .collect();
        for c in [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ] {
            let batch = encode_batch(&records, c, 0).unwrap();
            assert_eq!(complete_batches(batch.clone()).len(), 1, "{c:?}: one batch");
            assert_eq!(batch[16], 2, "magic 2");
            assert_eq!(i16::from_be_bytes([batch[21], batch[22]]) & 7, c as i16);
            assert_eq!(
                i64::from_be_bytes(batch[43..51].try_into().unwrap()),
                -1,
                "producer id"
            );
            assert_eq!(
                i32::from_be_bytes(batch[53..57].try_into().unwrap()),
                -1,
                "base sequence"
            );
            assert_eq!(batch_next_offset(&batch), Some(500));
            let mut out = Vec::new();
            decode_batch(0, batch, 0, &mut out).unwrap();
            assert_eq!(out.len(), 500, "{c:?}");
            assert_eq!(out[7].key.as_deref(), Some(&b"k7"[..]));
            assert_eq!(out[7].value.as_deref(), Some("x".repeat(7).as_bytes()));
            assert_eq!(out[7].offset, 7);
            assert_eq!(out[7].timestamp_ms, 1_700_000_000_000);
            assert_eq!(
                out[7].headers,
                vec![("h".to_string(), Some(Bytes::from_static(b"v")))]
            );
        }
    }

    /// Snappy written for Kafka uses the xerial stream framing (`SnappyOutputStream`), which is
    /// what Java clients and brokers read; raw snappy is still accepted when reading.
    #[test]
    fn snappy_is_xerial_framed_and_both_forms_read_back() {
        let input: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut framed = BytesMut::new();
        xerial_snappy_compress(&input, &mut framed).unwrap();
        assert_eq!(&framed[..8], &XERIAL_MAGIC);
        assert_eq!(&framed[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!(snappy_decompress(&framed).unwrap(), input);
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        assert_eq!(snappy_decompress(&raw).unwrap(), input);
    }

    /// A null header value (length -1) is legal in Kafka (`DefaultRecord.readFrom`) and must
    /// decode as null; a corrupted byte fails the CRC32C check (`DefaultRecordBatch.ensureValid`).
    #[test]
    fn null_header_values_decode_and_crc_is_checked() {
        let mut r = record("k", "v");
        r.headers = vec![
            ("n".into(), None),
            ("h".into(), Some(Bytes::from_static(b"x"))),
        ];
        r.value = None;
        let batch = encode_batch(&[r], Compression::None, 0).unwrap();
        let mut out = Vec::new();
        decode_batch(0, batch.clone(), 0, &mut out).unwrap();
        assert_eq!(
            out[0].headers,
            vec![
                ("n".to_string(), None),
                ("h".to_string(), Some(Bytes::from_static(b"x")))
            ]
        );
        assert_eq!(out[0].value, None);
        let mut bad = BytesMut::from(&batch[..]);
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        assert!(decode_batch(0, bad.freeze(), 0, &mut Vec::new())
            .unwrap_err()
            .to_string()
            .contains("CRC32C"));
    }

    /// Records before the fetch offset (inside a batch that starts earlier) are skipped, as
    /// Kafka's `Fetcher` does.
    #[test]
    fn records_before_fetch_offset_are_skipped() {
        let records: Vec<_> = (0..10).map(|i| record(&format!("k{i}"), "v")).collect();
        let batch = encode_batch(&records, Compression::Lz4, 0).unwrap();
        let mut out = Vec::new();
        decode_batch(2, batch, 7, &mut out).unwrap();
        assert_eq!(
            out.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![7, 8, 9]
        );
        assert!(out.iter().all(|r| r.partition == 2));
    }

    /// A fetch response may end in a truncated batch; it is dropped, not decoded.
    #[test]
    fn truncated_tail_batch_is_dropped() {
        let a = encode_batch(&[record("a", "1")], Compression::None, 0).unwrap();
        let mut both = BytesMut::new();
        both.put_slice(&a);
        both.put_slice(&a[..a.len() - 3]);
        assert_eq!(complete_batches(both.freeze()).len(), 1);
    }
}
