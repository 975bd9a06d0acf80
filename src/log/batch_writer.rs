//! Writes an uncompressed v2 batch from decoded records, keeping their offsets, timestamps and
//! the source batch's producer fields. Used by the cleaner when a batch loses records (a batch
//! that keeps all its records is copied byte for byte). Kafka: `MemoryRecordsBuilder`,
//! `DefaultRecord.writeTo`.

use kafka_protocol::records::Record;

use crate::protocol::record_batch::{
    RecordBatchHeader, RecordBatchHeaderMut, RECORD_BATCH_OVERHEAD,
};

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

/// Encodes `records` (non-empty, ascending offsets) as one uncompressed v2 batch whose header
/// copies `source`'s leader epoch, producer id/epoch, transactional/control/timestamp-type bits.
/// The base sequence advances by the offset gap so sequence numbers stay aligned to offsets.
pub fn write_batch(source: &RecordBatchHeader<'_>, records: &[&Record]) -> Vec<u8> {
    let first = records
        .first()
        .expect("write_batch needs at least one record");
    let base_offset = first.offset;
    let last_offset = records.last().expect("non-empty").offset;
    let log_append =
        source.timestamp_type() == crate::protocol::record_batch::TimestampType::LogAppendTime;
    let base_ts = records.iter().map(|r| r.timestamp).min().unwrap_or(-1);
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
    // Keep timestamp type, transactional and control bits; drop the codec (written uncompressed)
    // and the delete-horizon bit.
    let attributes = source.attributes() & 0x38;
    let base_sequence = if source.base_sequence() < 0 {
        -1
    } else {
        source
            .base_sequence()
            .wrapping_add((base_offset - source.base_offset()) as i32)
    };
    let mut out = Vec::with_capacity(RECORD_BATCH_OVERHEAD + body.len());
    out.extend_from_slice(&base_offset.to_be_bytes());
    out.extend_from_slice(&((RECORD_BATCH_OVERHEAD - 12 + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&source.partition_leader_epoch().to_be_bytes());
    out.push(2);
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&attributes.to_be_bytes());
    out.extend_from_slice(&((last_offset - base_offset) as i32).to_be_bytes());
    out.extend_from_slice(&base_ts.to_be_bytes());
    out.extend_from_slice(&max_ts.to_be_bytes());
    out.extend_from_slice(&source.producer_id().to_be_bytes());
    out.extend_from_slice(&source.producer_epoch().to_be_bytes());
    out.extend_from_slice(&base_sequence.to_be_bytes());
    out.extend_from_slice(&(records.len() as i32).to_be_bytes());
    out.extend_from_slice(&body);
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
        let out = write_batch(&h, &keep);
        let oh = RecordBatchHeader::new(&out).unwrap();
        oh.ensure_valid(0).unwrap();
        assert_eq!(
            (oh.base_offset(), oh.last_offset(), oh.record_count()),
            (101, 103, 2)
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
}
