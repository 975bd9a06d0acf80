//! Append validation, offset assignment, reads, rolling, ListOffsets.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType as KpTs,
};

use super::*;
use crate::log::config::MessageTimestampType;
use crate::log::errors::codes;
use crate::log::unified_log::{AppendDecision, MAX_TIMESTAMP};
use crate::protocol::record_batch::{CompressionType, RecordBatchHeader, TimestampType};

/// Kafka `LogValidator.assignOffsetsNonCompressed` + `UnifiedLog.append`: the leader assigns
/// consecutive offsets from the log end and stamps the partition leader epoch; the stored
/// bytes decode with an independent decoder (kafka-protocol) to exactly what was produced.
#[test]
fn leader_append_assigns_offsets_and_epoch_and_decodes_independently() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    let a = log.append_as_leader(&values_batch("a", 3, T0), 4).unwrap();
    let b = log
        .append_as_leader(&values_batch("b", 2, T0 + 10), 4)
        .unwrap();
    assert_eq!((a.first_offset, a.last_offset), (0, 2));
    assert_eq!((b.first_offset, b.last_offset), (3, 4));
    assert_eq!(b.max_timestamp, T0 + 11);
    assert_eq!(b.offset_of_max_timestamp, 4);
    assert_eq!(b.log_append_time, -1);
    assert_eq!(log.log_end_offset(), 5);
    let all = read_everything(&log);
    let recs = decode_all(&all);
    let vals: Vec<_> = recs.iter().map(|r| (r.0, r.2.clone().unwrap())).collect();
    assert_eq!(
        vals,
        vec![
            (0, "a-0".into()),
            (1, "a-1".into()),
            (2, "a-2".into()),
            (3, "b-0".into()),
            (4, "b-1".into())
        ]
    );
    // The .log file itself is exactly these batches (decoded straight from disk).
    let file = std::fs::read(d.path().join("orders-0/00000000000000000000.log")).unwrap();
    assert_eq!(decode_all(&Bytes::from(file)).len(), 5);
    let h = RecordBatchHeader::new(&all[..all.len() - b.valid_bytes]).unwrap();
    assert_eq!(h.partition_leader_epoch(), 4);
    assert_eq!(
        log.leader_epoch_cache()
            .end_offset_for(4, log.log_end_offset()),
        (4, 5)
    );
}

/// A batch with a bad CRC is CORRUPT_MESSAGE (2) and nothing is appended, not even the valid
/// batches before it in the same request (Kafka validates the whole set before writing).
#[test]
fn corrupt_batch_is_rejected_and_nothing_written() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    let mut buf = values_batch("ok", 2, T0).to_vec();
    let mut bad = values_batch("bad", 2, T0).to_vec();
    let n = bad.len();
    bad[n - 1] ^= 0xff;
    buf.extend_from_slice(&bad);
    let e = log.append_as_leader(&buf, 0).unwrap_err();
    assert_eq!(e.error_code(), codes::CORRUPT_MESSAGE, "{e}");
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size(), 0);
    // An incomplete batch is not a batch (Kafka `ByteBufferLogInputStream.nextBatch` returns
    // null): alone it leaves no batch at all, INVALID_RECORD (`ProduceRequest.validateRecords`);
    // after a complete batch it is ignored. A length below the minimum is corrupt.
    let short = &values_batch("x", 1, T0)[..30];
    assert_eq!(
        log.append_as_leader(short, 0).unwrap_err().error_code(),
        codes::INVALID_RECORD
    );
    let mut tail = values_batch("ok", 2, T0).to_vec();
    tail.extend_from_slice(short);
    let info = log.append_as_leader(&tail, 0).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (0, 1));
    assert_eq!(log.size(), tail.len() as u64 - short.len() as u64);
    let mut tiny = values_batch("x", 1, T0).to_vec();
    tiny[8..12].copy_from_slice(&5i32.to_be_bytes());
    assert_eq!(
        log.append_as_leader(&tiny, 0).unwrap_err().error_code(),
        codes::CORRUPT_MESSAGE
    );
}

/// RecordTooLargeException → MESSAGE_TOO_LARGE (10) when a batch exceeds max.message.bytes;
/// RecordBatchTooLargeException → RECORD_LIST_TOO_LARGE (18) above segment.bytes.
#[test]
fn size_limits_map_to_kafka_codes() {
    let d = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        max_message_bytes: 100,
        ..LogConfig::default()
    };
    let log = new_log(d.path(), cfg, mock_clock());
    let big = values_batch("xxxxxxxxxxxxxxxxxxxx", 5, T0);
    assert!(big.len() > 100);
    assert_eq!(
        log.append_as_leader(&big, 0).unwrap_err().error_code(),
        codes::MESSAGE_TOO_LARGE
    );
    let d2 = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_bytes: 100,
        ..LogConfig::default()
    };
    let log = new_log(d2.path(), cfg, mock_clock());
    assert_eq!(
        log.append_as_leader(&big, 0).unwrap_err().error_code(),
        codes::RECORD_LIST_TOO_LARGE
    );
    assert_eq!(log.log_end_offset(), 0);
}

/// LogValidator.validateBatch: control batches from clients and inconsistent record counts are
/// INVALID_RECORD (87).
#[test]
fn invalid_batches_are_invalid_record() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    let mut b = values_batch("c", 2, T0).to_vec();
    // Set the control bit (attributes low byte, offset 22) and re-checksum.
    b[22] |= 0x20;
    crate::protocol::record_batch::RecordBatchHeaderMut::new(&mut b)
        .unwrap()
        .recompute_crc();
    assert_eq!(
        log.append_as_leader(&b, 0).unwrap_err().error_code(),
        codes::INVALID_RECORD
    );
    let mut b = values_batch("c", 2, T0).to_vec();
    b[57..61].copy_from_slice(&9i32.to_be_bytes());
    crate::protocol::record_batch::RecordBatchHeaderMut::new(&mut b)
        .unwrap()
        .recompute_crc();
    assert_eq!(
        log.append_as_leader(&b, 0).unwrap_err().error_code(),
        codes::INVALID_RECORD
    );
    assert_eq!(log.log_end_offset(), 0);
}

/// message.timestamp.type=LogAppendTime: the broker stamps its clock as the batch max timestamp,
/// sets the timestamp-type bit and recomputes the CRC; LogAppendInfo carries the time
/// (Kafka `LogValidator`, `ProduceResponse.logAppendTimeMs`).
#[test]
fn log_append_time_is_stamped() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let cfg = LogConfig {
        message_timestamp_type: MessageTimestampType::LogAppendTime,
        ..LogConfig::default()
    };
    let log = new_log(d.path(), cfg, clock.clone());
    clock.advance_ms(5_000);
    let info = log.append_as_leader(&values_batch("t", 3, 42), 0).unwrap();
    assert_eq!(info.log_append_time, T0 + 5_000);
    let bytes = log.read(0, 1 << 20, None, true).unwrap().records;
    let h = RecordBatchHeader::new(&bytes).unwrap();
    assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(h.max_timestamp(), T0 + 5_000);
    h.ensure_valid(0).unwrap();
    // (kafka-protocol reports the records' own CreateTime deltas for LogAppendTime batches;
    // Kafka's DefaultRecord substitutes the batch max timestamp, so only the header is checked.)
    assert_eq!(decode_all(&bytes).len(), 3);
}

/// KIP-937 bounds: a CreateTime batch too far in the past/future is INVALID_TIMESTAMP (32).
#[test]
fn timestamp_bounds_are_enforced() {
    let d = tempfile::tempdir().unwrap();
    let mut o = std::collections::BTreeMap::new();
    o.insert(
        "message.timestamp.before.max.ms".to_string(),
        "1000".to_string(),
    );
    o.insert(
        "message.timestamp.after.max.ms".to_string(),
        "1000".to_string(),
    );
    let cfg = LogConfig::default().with_overrides(&o).unwrap();
    let log = new_log(d.path(), cfg, mock_clock());
    assert_eq!(
        log.append_as_leader(&values_batch("p", 1, T0 - 5_000), 0)
            .unwrap_err()
            .error_code(),
        codes::INVALID_TIMESTAMP
    );
    assert_eq!(
        log.append_as_leader(&values_batch("f", 1, T0 + 5_000), 0)
            .unwrap_err()
            .error_code(),
        codes::INVALID_TIMESTAMP
    );
    log.append_as_leader(&values_batch("ok", 1, T0 + 500), 0)
        .unwrap();
}

/// Kafka fetch semantics (`LocalLog.read`): start inside a batch returns that whole batch;
/// `max_bytes` smaller than the first batch returns it anyway when min_one_batch (KIP-74) and
/// nothing otherwise; the high watermark bounds consumer reads; beyond the log end is
/// OFFSET_OUT_OF_RANGE (1); at the log end is empty.
#[test]
fn read_semantics() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    let b0 = log.append_as_leader(&values_batch("a", 3, T0), 0).unwrap();
    log.append_as_leader(&values_batch("b", 3, T0), 0).unwrap();
    log.append_as_leader(&values_batch("c", 3, T0), 0).unwrap();
    let first_size = b0.valid_bytes;
    let r = log.read(4, 1 << 20, None, true).unwrap();
    assert_eq!(decode_all(&r.records).first().unwrap().0, 3);
    let r = log.read(0, 10, None, true).unwrap();
    assert_eq!(r.records.len(), first_size);
    assert!(log.read(0, 10, None, false).unwrap().records.is_empty());
    // max_bytes of 1.5 batches: only whole batches are returned.
    let r = log
        .read(0, first_size + first_size / 2, None, false)
        .unwrap();
    assert_eq!(r.records.len(), first_size);
    // High watermark 6: the third batch (offsets 6..8) is not visible to consumers.
    log.update_high_watermark(6);
    let r = log
        .read(0, 1 << 20, Some(log.high_watermark()), false)
        .unwrap();
    assert_eq!(decode_all(&r.records).last().unwrap().0, 5);
    assert!(log
        .read(6, 1 << 20, Some(6), true)
        .unwrap()
        .records
        .is_empty());
    assert!(log.read(9, 1 << 20, None, true).unwrap().records.is_empty());
    let e = log.read(10, 1 << 20, None, true).unwrap_err();
    assert_eq!(e.error_code(), codes::OFFSET_OUT_OF_RANGE);
}

/// Roll on segment.bytes (Kafka `LogSegment.shouldRoll`): new segments are named by their
/// 20-digit base offset, and reads cross segment boundaries.
#[test]
fn rolls_on_segment_bytes_and_reads_across_segments() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..40 {
        log.append_as_leader(&values_batch(&format!("v{i}"), 2, T0 + i), 0)
            .unwrap();
    }
    assert!(log.num_segments() > 3, "{} segments", log.num_segments());
    for s in log.segments_snapshot() {
        let name = s
            .log_path()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .to_string();
        assert_eq!(name, format!("{:020}.log", s.base_offset()));
        assert!(s.size() <= 1024);
    }
    let recs = decode_all(&read_everything(&log));
    assert_eq!(recs.len(), 80);
    assert!(recs.iter().enumerate().all(|(i, r)| r.0 == i as i64));
}

/// Roll on segment.ms: the first batch's timestamp anchors the segment; a batch whose max
/// timestamp is more than segment.ms later starts a new segment (Kafka `LogSegment.shouldRoll`
/// with `rollingBasedTimestamp`). A full offset index also rolls.
#[test]
fn rolls_on_segment_ms_and_full_index() {
    let d = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_ms: 60_000,
        ..LogConfig::default()
    };
    let log = new_log(d.path(), cfg, mock_clock());
    log.append_as_leader(&values_batch("a", 1, T0), 0).unwrap();
    log.append_as_leader(&values_batch("b", 1, T0 + 59_000), 0)
        .unwrap();
    assert_eq!(log.num_segments(), 1);
    log.append_as_leader(&values_batch("c", 1, T0 + 61_000), 0)
        .unwrap();
    assert_eq!(log.num_segments(), 2);

    let d = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        segment_index_bytes: 16,
        index_interval_bytes: 0,
        ..LogConfig::default()
    };
    let log = new_log(d.path(), cfg, mock_clock());
    for i in 0..6 {
        log.append_as_leader(&values_batch("x", 1, T0 + i), 0)
            .unwrap();
    }
    assert!(log.num_segments() >= 2, "index-full roll expected");
}

/// Follower appends keep the leader's offsets and must increase from the log end
/// (Kafka `UnifiedLog.appendAsFollower`, `UnexpectedAppendOffsetException`).
#[test]
fn follower_append_keeps_offsets_and_rejects_regressions() {
    let d = tempfile::tempdir().unwrap();
    let leader = new_log(d.path(), LogConfig::default(), mock_clock());
    leader
        .append_as_leader(&values_batch("a", 3, T0), 7)
        .unwrap();
    leader
        .append_as_leader(&values_batch("b", 2, T0), 7)
        .unwrap();
    let bytes = leader.read(0, 1 << 20, None, true).unwrap().records;
    let d2 = tempfile::tempdir().unwrap();
    let follower = new_log(d2.path(), LogConfig::default(), mock_clock());
    let info = follower.append_as_follower(&bytes).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (0, 4));
    assert_eq!(follower.log_end_offset(), 5);
    assert_eq!(follower.latest_epoch(), Some(7));
    let e = follower.append_as_follower(&bytes).unwrap_err();
    assert!(
        matches!(e, crate::log::LogError::OffsetsOutOfOrder { .. }),
        "{e}"
    );
    let mut bad = bytes.to_vec();
    bad[40] ^= 1;
    let d3 = tempfile::tempdir().unwrap();
    let f3 = new_log(d3.path(), LogConfig::default(), mock_clock());
    assert_eq!(
        f3.append_as_follower(&bad).unwrap_err().error_code(),
        codes::CORRUPT_MESSAGE
    );
}

/// Kafka 3.9 (IBP ≥ 3.0) stores only v2: uncompressed v0/v1 messages are up-converted
/// (`LogValidator.convertAndAssignOffsetsNonCompressed`); the records survive.
#[test]
fn legacy_messages_are_up_converted_to_v2() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    for version in [0i8, 1] {
        let records: Vec<Record> = (0..3)
            .map(|i| Record {
                transactional: false,
                control: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: KpTs::Creation,
                offset: i,
                sequence: i as i32 - 1,
                timestamp: if version == 0 { -1 } else { T0 + i },
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("v{version}-{i}"))),
                headers: Default::default(),
            })
            .collect();
        let mut buf = bytes::BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version,
                compression: Compression::None,
            },
        )
        .unwrap();
        log.append_as_leader(&buf, 0).unwrap();
    }
    let all = read_everything(&log);
    for (_, h) in crate::protocol::record_batch::BatchIter::new(&all).flatten() {
        assert_eq!(h.magic(), 2);
    }
    let vals: Vec<_> = decode_all(&all).into_iter().map(|r| r.2.unwrap()).collect();
    assert_eq!(vals, vec!["v0-0", "v0-1", "v0-2", "v1-0", "v1-1", "v1-2"]);
}

/// LogValidator.validateKey: a compacted topic rejects a record without a key (INVALID_RECORD).
#[test]
fn compacted_topic_rejects_keyless_records() {
    let d = tempfile::tempdir().unwrap();
    let mut o = std::collections::BTreeMap::new();
    o.insert("cleanup.policy".to_string(), "compact".to_string());
    let log = new_log(
        d.path(),
        LogConfig::default().with_overrides(&o).unwrap(),
        mock_clock(),
    );
    let keyless = crate::protocol::record_batch::test_batches::keyed_batch(
        &[(None, Some(b"v".to_vec()))],
        T0,
        Compression::None,
    );
    assert_eq!(
        log.append_as_leader(&keyless, 0).unwrap_err().error_code(),
        codes::INVALID_RECORD
    );
    log.append_as_leader(&kv_batch(&[("k", Some("v"))], T0), 0)
        .unwrap();
}

/// The append hook runs after offset assignment under the append lock; an error or Skip
/// (duplicate batch, Kafka `analyzeAndValidateProducerState`) writes nothing.
#[test]
fn append_hook_can_reject_or_skip() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    log.append_as_leader(&values_batch("a", 2, T0), 0).unwrap();
    let e = log
        .append_as_leader_with(&values_batch("b", 2, T0), 0, |infos| {
            assert_eq!(infos[0].base_offset, 2);
            Err(crate::log::LogError::Rejected {
                partition: "orders-0".into(),
                code: 45,
                message: "out of order".into(),
            })
        })
        .unwrap_err();
    assert_eq!(e.error_code(), 45);
    let before = log.size();
    let skipped = log
        .append_as_leader_with(&values_batch("b", 2, T0), 0, |_| {
            Ok(AppendDecision::Skip(crate::log::LogAppendInfo {
                first_offset: 0,
                last_offset: 1,
                max_timestamp: -1,
                offset_of_max_timestamp: -1,
                log_append_time: -1,
                log_start_offset: 0,
                record_count: 2,
                valid_bytes: 0,
                batches: vec![],
            }))
        })
        .unwrap();
    assert_eq!(skipped.first_offset, 0);
    assert_eq!(log.size(), before);
    assert_eq!(log.log_end_offset(), 2);
}

/// ListOffsets (Kafka `UnifiedLog.fetchOffsetByTimestamp`): EARLIEST = log start, LATEST = log
/// end, MAX_TIMESTAMP = the record with the largest timestamp, and a time finds the first
/// record whose timestamp is ≥ it — inside a batch, not just at batch starts.
#[test]
fn list_offsets_semantics() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..20i64 {
        log.append_as_leader(&values_batch("r", 5, T0 + i * 100), 3)
            .unwrap();
    }
    // Batch i holds offsets 5i..5i+4 with timestamps T0+100i .. T0+100i+4.
    let at = |ts| log.fetch_offset_by_timestamp(ts).unwrap().unwrap();
    assert_eq!(at(-2).offset, 0);
    assert_eq!(at(-1).offset, 100);
    assert_eq!(at(-1).leader_epoch, Some(3));
    let m = at(MAX_TIMESTAMP);
    assert_eq!((m.timestamp, m.offset), (T0 + 1904, 99));
    let t = at(T0 + 702);
    assert_eq!((t.timestamp, t.offset), (T0 + 702, 37));
    let t = at(T0 + 705);
    assert_eq!((t.timestamp, t.offset), (T0 + 800, 40));
    assert!(log
        .fetch_offset_by_timestamp(T0 + 10_000)
        .unwrap()
        .is_none());
    let _ = Arc::strong_count(&log);
}

/// Kafka 3.9 `LogValidator.validateMessagesAndAssignOffsetsCompressed` (toMagic 2): a
/// compressed v0/v1 wrapper's inner messages are recompressed into one v2 batch with the same
/// codec; offsets are assigned consecutively and v1 timestamps kept. A wrapper with a bad CRC
/// is CORRUPT_MESSAGE and nothing is appended.
#[test]
fn compressed_legacy_wrappers_are_recompressed_as_v2() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    let cases = [
        (1i8, Compression::Gzip, CompressionType::Gzip),
        (0, Compression::Gzip, CompressionType::Gzip),
        (1, Compression::Snappy, CompressionType::Snappy),
        (1, Compression::Lz4, CompressionType::Lz4),
    ];
    let mut expected = Vec::new();
    for (n, (version, compression, stored)) in cases.iter().enumerate() {
        let records: Vec<Record> = (0..4)
            .map(|i| Record {
                transactional: false,
                control: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: KpTs::Creation,
                offset: i,
                sequence: i as i32 - 1,
                timestamp: if *version == 0 { -1 } else { T0 + i },
                key: Some(Bytes::from(format!("k{i}"))),
                value: Some(Bytes::from(format!("c{n}-{i}"))),
                headers: Default::default(),
            })
            .collect();
        let mut buf = bytes::BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            &records,
            &RecordEncodeOptions {
                version: *version,
                compression: *compression,
            },
        )
        .unwrap();
        let info = log.append_as_leader(&buf, 0).unwrap();
        assert_eq!(
            (info.first_offset, info.last_offset),
            (n as i64 * 4, n as i64 * 4 + 3)
        );
        let read = log.read(info.first_offset, 1 << 20, None, false).unwrap();
        let (_, h) = crate::protocol::record_batch::BatchIter::new(&read.records)
            .next()
            .unwrap()
            .unwrap();
        assert_eq!((h.magic(), h.compression_type()), (2, Some(*stored)));
        for r in &records {
            expected.push((r.value.clone().unwrap(), r.timestamp));
        }
    }
    let got: Vec<_> = decode_all(&read_everything(&log))
        .into_iter()
        .map(|r| (Bytes::from(r.2.unwrap()), r.3))
        .collect();
    assert_eq!(got, expected);

    // Flip a byte of the compressed value: the wrapper CRC no longer matches.
    let records = vec![Record {
        transactional: false,
        control: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: KpTs::Creation,
        offset: 0,
        sequence: -1,
        timestamp: T0,
        key: None,
        value: Some(Bytes::from_static(b"payload")),
        headers: Default::default(),
    }];
    let mut buf = bytes::BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 1,
            compression: Compression::Gzip,
        },
    )
    .unwrap();
    let last = buf.len() - 3;
    buf[last] ^= 0xff;
    let leo = log.log_end_offset();
    let err = log.append_as_leader(&buf, 0).unwrap_err();
    assert_eq!(err.error_code(), codes::CORRUPT_MESSAGE, "{err}");
    assert_eq!(log.log_end_offset(), leo);
}
