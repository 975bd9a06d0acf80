//! Compaction checked against a model (proptest), plus the cleaner's guarantees.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::log::cleaner::{clean_log, CleanerStats};
use crate::time::Clock;

fn compact_config(delete_retention_ms: i64) -> LogConfig {
    let mut c = LogConfig {
        segment_bytes: 600,
        index_interval_bytes: 64,
        file_delete_delay_ms: 0,
        min_cleanable_dirty_ratio: 0.0,
        delete_retention_ms,
        ..LogConfig::default()
    };
    c.cleanup_policy.compact = true;
    c.cleanup_policy.delete = false;
    c
}

type Rec = (i64, Option<String>, Option<String>, i64);

/// A keyed batch written by producer `pid` (epoch 0) starting at sequence `base_seq`.
fn producer_batch(pid: i64, base_seq: i32, kvs: &[(String, Option<String>)], ts: i64) -> Bytes {
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };
    let records: Vec<Record> = kvs
        .iter()
        .enumerate()
        .map(|(i, (k, v))| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: 0,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: base_seq + i as i32,
            timestamp: ts + i as i64,
            key: Some(Bytes::from(k.clone())),
            value: v.clone().map(Bytes::from),
            headers: Default::default(),
        })
        .collect();
    let mut buf = bytes::BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

/// Every batch header in the log: (base offset, last offset, producer id, base sequence,
/// record count, has delete horizon).
fn headers(log: &Log) -> Vec<(i64, i64, i64, i32, i32, bool)> {
    let mut out = Vec::new();
    for s in log.segments_snapshot() {
        let bytes = s.read_all().unwrap();
        for (_, h) in crate::protocol::record_batch::BatchIter::new(&bytes).flatten() {
            out.push((
                h.base_offset(),
                h.last_offset(),
                h.producer_id(),
                h.base_sequence(),
                h.record_count(),
                h.has_delete_horizon(),
            ));
        }
    }
    out
}

/// The model of Kafka 3.9's cleaner (`LogCleaner` class doc, `shouldRetainRecord`, KIP-534):
/// below the first uncleanable offset a record survives iff it is the latest for its key, and
/// a tombstone also needs its batch's delete horizon (stamped at the first cleaning that kept
/// it) not to have passed; at and above it nothing changes.
fn model(all: &[Rec], end: i64, drop_tombstones: bool) -> Vec<Rec> {
    let mut latest: BTreeMap<String, i64> = BTreeMap::new();
    for r in all.iter().filter(|r| r.0 < end) {
        latest.insert(r.1.clone().unwrap(), r.0);
    }
    all.iter()
        .filter(|r| {
            r.0 >= end
                || (latest[r.1.as_ref().unwrap()] == r.0 && !(r.2.is_none() && drop_tombstones))
        })
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Compaction against the model: the latest record per key survives, tombstones live until
    /// the delete horizon stamped by the first cleaning (now + delete.retention.ms) has passed,
    /// offsets are kept, the active segment is untouched, each producer's last batch survives
    /// (empty if need be) with its offsets and base sequence, a further pass changes nothing,
    /// and a reload sees the same (Kafka `LogCleaner`, KIP-534, `BatchRetention.RETAIN_EMPTY`).
    #[test]
    fn compaction_matches_model(
        batches in proptest::collection::vec(
            (proptest::option::weighted(0.5, 0i64..3),
             proptest::collection::vec((0u8..6, proptest::option::weighted(0.8, 0u16..1000)), 1..6)),
            1..40),
        tombstones_expire in any::<bool>(),
    ) {
        const RETENTION: i64 = 10_000;
        let d = tempfile::tempdir().unwrap();
        let clock = mock_clock();
        let log = new_log(d.path(), compact_config(RETENTION), clock.clone());
        let mut next_seq = [0i32; 3];
        let mut last_batch_of: BTreeMap<i64, (i64, i64, i32)> = BTreeMap::new();
        for (i, (producer, b)) in batches.iter().enumerate() {
            let kvs: Vec<(String, Option<String>)> =
                b.iter().map(|(k, v)| (format!("key{k}"), v.map(|v| format!("value{v}")))).collect();
            let ts = T0 + i as i64 * 10;
            let info = match producer {
                Some(p) => {
                    let seq = next_seq[*p as usize];
                    next_seq[*p as usize] += kvs.len() as i32;
                    let info = log.append_as_leader(&producer_batch(100 + p, seq, &kvs, ts), 0).unwrap();
                    last_batch_of.insert(100 + p, (info.first_offset, info.last_offset, seq));
                    info
                }
                None => {
                    let refs: Vec<(&str, Option<&str>)> = kvs.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
                    log.append_as_leader(&kv_batch(&refs, ts), 0).unwrap()
                }
            };
            prop_assert!(info.first_offset >= 0);
        }
        log.update_high_watermark(log.log_end_offset());
        clock.advance_ms(1_000);
        let before = decode_all(&read_everything(&log));
        let end = log.active_segment().base_offset();
        let active_bytes_before = log.active_segment().read_all().unwrap();
        let leo = log.log_end_offset();

        // First cleaning: duplicates go, tombstones stay (their batches get a horizon).
        clean_log(&log).unwrap();
        let expected = model(&before, end, false);
        prop_assert_eq!(&decode_all(&read_everything(&log)), &expected);
        prop_assert_eq!(log.active_segment().read_all().unwrap(), active_bytes_before.clone());
        prop_assert_eq!(log.log_end_offset(), leo);
        for r in expected.iter().filter(|r| r.0 < end && r.2.is_none()) {
            let h = headers(&log).into_iter().find(|h| h.0 <= r.0 && r.0 <= h.1).unwrap();
            prop_assert!(h.5, "a kept tombstone's batch carries a delete horizon: {:?}", h);
        }

        // Second cleaning, past the horizon or not. Nothing new is dirty, so (as in Kafka) the
        // cleaner would skip the log: mark it all dirty again, as new data would.
        prop_assert_eq!(clean_log(&log).unwrap(), CleanerStats::default());
        clock.advance_ms(if tombstones_expire { RETENTION + 1 } else { RETENTION / 2 });
        log.set_cleaner_checkpoint(0);
        clean_log(&log).unwrap();
        let expected = model(&before, end, tombstones_expire);
        prop_assert_eq!(&decode_all(&read_everything(&log)), &expected);
        prop_assert_eq!(log.active_segment().read_all().unwrap(), active_bytes_before);

        // Each producer's last batch is still there with its offsets and sequence.
        let hs = headers(&log);
        for (pid, (first, last, seq)) in &last_batch_of {
            prop_assert!(
                hs.iter().any(|h| h.2 == *pid && h.0 == *first && h.1 == *last && h.3 == *seq),
                "last batch of producer {} ({}..={}, seq {}) lost: {:?}", pid, first, last, seq, hs
            );
        }
        // Only a producer's last batch may be empty.
        for h in hs.iter().filter(|h| h.4 == 0) {
            prop_assert_eq!(last_batch_of.get(&h.2).map(|b| (b.0, b.1)), Some((h.0, h.1)));
        }

        // Idempotent, even when forced.
        log.set_cleaner_checkpoint(0);
        let stats = clean_log(&log).unwrap();
        prop_assert_eq!(stats.records_removed, 0);
        prop_assert_eq!(stats.segments_cleaned, 0);
        // Survives a crash-free reload: recovery of the cleaned files sees the same records.
        log.close().unwrap();
        drop(log);
        let (log, _) = open_log(d.path(), compact_config(RETENTION), clock.clone(), false, 0, None);
        prop_assert_eq!(decode_all(&read_everything(&log)), expected);
    }
}

/// `min.cleanable.dirty.ratio`: a log whose dirty part is too small is left alone, unless a
/// dirty segment is older than `max.compaction.lag.ms`; `min.compaction.lag.ms` keeps young
/// segments out of the cleanable range (Kafka `LogCleanerManager.grabFilthiestCompactedLog`,
/// `cleanableOffsets`, `maxCompactionDelay`).
#[test]
fn dirty_ratio_and_compaction_lags() {
    let d = tempfile::tempdir().unwrap();
    // Wall-clock start: a segment emptied by cleaning is judged by its file mtime (Kafka
    // `LogSegment.largestTimestamp`), which must be comparable with the mock clock.
    let start = crate::time::SystemClock::new().milliseconds();
    let clock = Arc::new(crate::time::MockClock::new(start));
    let mut config = compact_config(0);
    config.min_cleanable_dirty_ratio = 0.5;
    let log = new_log(d.path(), config.clone(), clock.clone());
    let put = |key: String, i: i64, ts: i64| {
        log.append_as_leader(&kv_batch(&[(&key, Some(&format!("v{i}")))], ts), 0)
            .unwrap();
    };
    // 60 distinct keys, then new values for 10 of them.
    for i in 0..70 {
        put(format!("a{}", i % 60), i, start + i);
    }
    log.roll().unwrap();
    log.update_high_watermark(log.log_end_offset());
    // Everything is dirty the first time: ratio 1.0 > 0.5.
    assert_eq!(clean_log(&log).unwrap().records_removed, 10);
    // Four more duplicates: the dirty part is far under half of the cleanable bytes.
    for i in 70..74 {
        put(format!("a{}", i % 60), i, start + i);
    }
    log.roll().unwrap();
    log.update_high_watermark(log.log_end_offset());
    assert_eq!(clean_log(&log).unwrap(), CleanerStats::default());
    // max.compaction.lag.ms overrides the ratio once the dirty segment is old enough.
    config.max_compaction_lag_ms = 60_000;
    log.update_config(config.clone());
    assert_eq!(clean_log(&log).unwrap(), CleanerStats::default());
    clock.advance_ms(120_000);
    assert_eq!(clean_log(&log).unwrap().records_removed, 4);
    // min.compaction.lag.ms: segments younger than the lag are not cleaned.
    config.max_compaction_lag_ms = i64::MAX;
    config.min_cleanable_dirty_ratio = 0.0;
    config.min_compaction_lag_ms = 3_600_000;
    log.update_config(config);
    for i in 74..90 {
        put(format!("a{}", i % 60), i, clock.milliseconds());
    }
    log.roll().unwrap();
    log.update_high_watermark(log.log_end_offset());
    assert_eq!(clean_log(&log).unwrap().records_removed, 0);
    clock.advance_ms(3_600_001);
    assert_eq!(clean_log(&log).unwrap().records_removed, 16);
}

/// The latest value for each key read back after compaction equals the last value produced
/// (the `__consumer_offsets` contract).
#[test]
fn latest_values_survive_compaction() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let log = new_log(d.path(), compact_config(0), clock.clone());
    for i in 0..200 {
        let k = format!("group{}", i % 7);
        let v = format!("offset{i}");
        log.append_as_leader(&kv_batch(&[(&k, Some(&v))], T0 + i), 0)
            .unwrap();
    }
    log.update_high_watermark(log.log_end_offset());
    let segments_before = log.num_segments();
    let stats = clean_log(&log).unwrap();
    assert!(stats.records_removed > 150, "{stats:?}");
    assert!(stats.bytes_after < stats.bytes_before);
    assert_eq!(log.num_segments(), segments_before);
    let mut view = BTreeMap::new();
    for r in decode_all(&read_everything(&log)) {
        view.insert(r.1.unwrap(), r.2.unwrap());
    }
    for g in 0..7 {
        let last = (0..200).filter(|i| i % 7 == g).max().unwrap();
        assert_eq!(view[&format!("group{g}")], format!("offset{last}"));
    }
    // No leftover temp files.
    for e in std::fs::read_dir(d.path().join("orders-0")).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            !n.ends_with(".cleaned") && !n.ends_with(".swap") && !n.ends_with(".deleted"),
            "{n}"
        );
    }
}

/// An interrupted swap (crash after `.swap` was written) is completed at load and the
/// segment's indexes are rebuilt (Kafka `LogLoader` swap handling).
#[test]
fn interrupted_swap_is_completed_on_load() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let log = new_log(d.path(), compact_config(0), clock.clone());
    for i in 0..40 {
        log.append_as_leader(&kv_batch(&[("k", Some(&format!("v{i}")))], T0 + i), 0)
            .unwrap();
    }
    log.close().unwrap();
    let first = log.segments_snapshot()[0].clone();
    let dir = log.dir();
    drop(log);
    // Pretend the cleaner wrote a swap file holding only the first batch of segment 0.
    let data = first.read_all().unwrap();
    let size = crate::protocol::record_batch::next_batch_size(&data, 0).unwrap();
    let name = format!("{:020}", first.base_offset());
    std::fs::write(dir.join(format!("{name}.log.swap")), &data[..size]).unwrap();
    drop(first);
    let (log, _) = open_log(d.path(), compact_config(0), clock, true, 40, None);
    assert_eq!(
        std::fs::metadata(dir.join(format!("{name}.log")))
            .unwrap()
            .len(),
        size as u64
    );
    assert!(!dir.join(format!("{name}.log.swap")).exists());
    assert_eq!(log.log_end_offset(), 40);
    let r = log.read(0, 1 << 20, None, false).unwrap();
    assert_eq!(decode_all(&r.records).len(), 1);
}
