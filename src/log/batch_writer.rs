//! Writes an uncompressed v2 batch from decoded records, keeping their offsets, timestamps and
//! the source batch's producer fields. Used by the cleaner when a batch loses records (a batch
//! that keeps all its records is copied byte for byte). Kafka: `MemoryRecordsBuilder`,
//! `DefaultRecord.writeTo`.

use kafka_protocol::records::Record;

use crate::protocol::record_batch::{
    RecordBatchHeader, RecordBatchHeaderMut, RECORD_BATCH_OVERHEAD,
};

/// Attribute bit 6: the base timestamp holds the delete horizon. Kafka:
/// `DefaultRecordBatch.DELETE_HORIZON_FLAG_MASK` (KIP-534).
const DELETE_HORIZON_FLAG_MASK: i16 = 0x40;

fn put_varlong(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn put_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varlong(out, -1),
        Some(b) => {
            put_varlong(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

/// Encodes `records` (non-empty, ascending offsets, all inside `source`'s offset range) as one
/// uncompressed v2 batch the way Kafka's cleaner rewrites a batch that lost records: the
/// header keeps `source`'s base offset, last offset delta, base sequence, leader epoch,
/// producer id/epoch and transactional/control/timestamp-type bits, so the producer's last
/// sequence and offset survive compaction. With `delete_horizon_ms` the batch carries KIP-534's
/// delete horizon: attribute bit 6 set and the horizon as base timestamp (record timestamp
/// deltas become relative to it, possibly negative). Kafka: `MemoryRecords.buildRetainedRecordsInto`
/// (`overrideLastOffset`), `MemoryRecordsBuilder` (`deleteHorizonMs`).
pub fn write_batch(
    source: &RecordBatchHeader<'_>,
    records: &[&Record],
    delete_horizon_ms: Option<i64>,
) -> Vec<u8> {
    let first = records
        .first()
        .expect("write_batch needs at least one record");
    let base_offset = source.base_offset();
    let log_append =
        source.timestamp_type() == crate::protocol::record_batch::TimestampType::LogAppendTime;
    // Kafka: the first appended record's timestamp, unless a delete horizon takes its place.
    let base_ts = delete_horizon_ms.unwrap_or(first.timestamp);
    let max_ts = if log_append {
        source.max_timestamp()
    } else {
        records.iter().map(|r| r.timestamp).max().unwrap_or(-1)
    };
    let mut body = Vec::new();
    let mut rec = Vec::new();
    for r in records {
        rec.clear();
        rec.push(0u8); // record attributes (unused)
        put_varlong(&mut rec, r.timestamp - base_ts);
        put_varlong(&mut rec, r.offset - base_offset);
        put_bytes(&mut rec, r.key.as_deref());
        put_bytes(&mut rec, r.value.as_deref());
        put_varlong(&mut rec, r.headers.len() as i64);
        for (k, v) in &r.headers {
            put_bytes(&mut rec, Some(k.as_bytes()));
            put_bytes(&mut rec, v.as_deref());
        }
        put_varlong(&mut body, rec.len() as i64);
        body.extend_from_slice(&rec);
    }
    // Keep timestamp type, transactional and control bits; drop the codec (written
    // uncompressed); set the delete-horizon bit when a horizon is given.
    let mut attributes = source.attributes() & 0x38;
    if delete_horizon_ms.is_some() {
        attributes |= DELETE_HORIZON_FLAG_MASK;
    }
    write_header_and_body(
        source,
        attributes,
        base_ts,
        max_ts,
        records.len() as i32,
        &body,
    )
}

/// A batch emptied by compaction that must stay because it is the last batch of an active
/// producer: header only, zero records, the source's offsets, producer fields and max
/// timestamp (base timestamp `NO_TIMESTAMP`). Kafka: `DefaultRecordBatch.writeEmptyHeader`
/// (`BatchRetention.RETAIN_EMPTY` in `LogCleaner.cleanInto`).
pub fn write_empty_batch(source: &RecordBatchHeader<'_>) -> Vec<u8> {
    let attributes = source.attributes() & 0x38;
    write_header_and_body(source, attributes, -1, source.max_timestamp(), 0, &[])
}

fn write_header_and_body(
    source: &RecordBatchHeader<'_>,
    attributes: i16,
    base_ts: i64,
    max_ts: i64,
    record_count: i32,
    body: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(RECORD_BATCH_OVERHEAD + body.len());
    out.extend_from_slice(&source.base_offset().to_be_bytes());
    out.extend_from_slice(&((RECORD_BATCH_OVERHEAD - 12 + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&source.partition_leader_epoch().to_be_bytes());
    out.push(2);
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&source.last_offset_delta().to_be_bytes());
    out.extend_from_slice(&base_ts.to_be_bytes());
    out.extend_from_slice(&max_ts.to_be_bytes());
    out.extend_from_slice(&source.producer_id().to_be_bytes());
    out.extend_from_slice(&source.producer_epoch().to_be_bytes());
    out.extend_from_slice(&source.base_sequence().to_be_bytes());
    out.extend_from_slice(&record_count.to_be_bytes());
    out.extend_from_slice(body);
    RecordBatchHeaderMut::new(&mut out)
        .expect("a freshly written v2 batch is well-formed")
        .recompute_crc();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafka_protocol::records::RecordBatchDecoder;

    /// A rewritten batch with gaps keeps each record's offset and timestamp, and decodes with
    /// the independent decoder (Kafka `MemoryRecords.filterTo` keeps offsets).
    #[test]
    fn rewritten_batch_keeps_offsets_with_gaps() {
        let src =
            crate::protocol::record_batch::test_batches::batch(&[b"a", b"b", b"c", b"d"], 1000);
        let mut src = src.to_vec();
        RecordBatchHeaderMut::new(&mut src)
            .unwrap()
            .set_base_offset(100);
        let h = RecordBatchHeader::new(&src).unwrap();
        let set = RecordBatchDecoder::decode(&mut Bytes::from(src.clone())).unwrap();
        let keep: Vec<&Record> = vec![&set.records[1], &set.records[3]];
        let out = write_batch(&h, &keep, None);
        let oh = RecordBatchHeader::new(&out).unwrap();
        oh.ensure_valid(0).unwrap();
        // Kafka keeps the original base and last offset (and base sequence) of a v2 batch.
        assert_eq!(
            (oh.base_offset(), oh.last_offset(), oh.record_count()),
            (100, 103, 2)
        );
        let back = RecordBatchDecoder::decode(&mut Bytes::from(out)).unwrap();
        let got: Vec<_> = back
            .records
            .iter()
            .map(|r| (r.offset, r.timestamp, r.value.clone().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![(101, 1001, Bytes::from("b")), (103, 1003, Bytes::from("d"))]
        );
    }

    /// KIP-534: a batch rewritten with a delete horizon has attribute bit 6 and the horizon as
    /// base timestamp, and still decodes to the original record timestamps; an emptied batch of
    /// an active producer keeps its offsets and producer fields with zero records
    /// (Kafka `MemoryRecordsBuilder` deleteHorizonMs, `DefaultRecordBatch.writeEmptyHeader`).
    #[test]
    fn delete_horizon_and_empty_batches() {
        let src = crate::protocol::record_batch::test_batches::batch(&[b"a", b"b", b"c"], 5_000);
        let h = RecordBatchHeader::new(&src).unwrap();
        let set = RecordBatchDecoder::decode(&mut Bytes::from(src.to_vec())).unwrap();
        let keep: Vec<&Record> = vec![&set.records[2]];
        let out = write_batch(&h, &keep, Some(90_000));
        let oh = RecordBatchHeader::new(&out).unwrap();
        oh.ensure_valid(0).unwrap();
        assert!(oh.has_delete_horizon());
        assert_eq!(oh.base_timestamp(), 90_000);
        assert_eq!(oh.max_timestamp(), 5_002);
        let back = RecordBatchDecoder::decode(&mut Bytes::from(out)).unwrap();
        assert_eq!(back.records[0].timestamp, 5_002);
        assert_eq!(back.records[0].offset, 2);

        let empty = write_empty_batch(&h);
        let eh = RecordBatchHeader::new(&empty).unwrap();
        eh.ensure_valid(0).unwrap();
        assert_eq!(
            (eh.base_offset(), eh.last_offset(), eh.record_count()),
            (h.base_offset(), h.last_offset(), 0)
        );
        assert_eq!(eh.producer_id(), h.producer_id());
        assert_eq!(eh.base_sequence(), h.base_sequence());
        assert_eq!(empty.len(), RECORD_BATCH_OVERHEAD);
    }
}
