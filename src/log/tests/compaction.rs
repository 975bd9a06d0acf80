//! Compaction checked against a model (proptest), plus the cleaner's guarantees.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::log::cleaner::clean_log;

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

/// The model of one cleaning pass (Kafka `LogCleaner` class doc): below the first uncleanable
/// offset, a record survives iff it is the latest for its key there, and a tombstone also needs
/// to be younger than delete.retention.ms; at and above it nothing changes.
fn model(all: &[Rec], end: i64, now: i64, delete_retention_ms: i64) -> Vec<Rec> {
    let mut latest: BTreeMap<String, i64> = BTreeMap::new();
    for r in all.iter().filter(|r| r.0 < end) {
        latest.insert(r.1.clone().unwrap(), r.0);
    }
    all.iter()
        .filter(|r| {
            r.0 >= end
                || (latest[r.1.as_ref().unwrap()] == r.0
                    && !(r.2.is_none() && now - r.3 > delete_retention_ms))
        })
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Compaction keeps the latest record per key (and unexpired tombstones), keeps offsets,
    /// never touches the active segment, and a second pass changes nothing (Kafka `LogCleaner`).
    #[test]
    fn compaction_matches_model(
        batches in proptest::collection::vec(
            proptest::collection::vec((0u8..6, proptest::option::weighted(0.8, 0u16..1000)), 1..6),
            1..40),
        tombstones_expire in any::<bool>(),
    ) {
        let d = tempfile::tempdir().unwrap();
        let clock = mock_clock();
        let retention = if tombstones_expire { 0 } else { 1_000_000_000 };
        let log = new_log(d.path(), compact_config(retention), clock.clone());
        for (i, b) in batches.iter().enumerate() {
            let kvs: Vec<(String, Option<String>)> =
                b.iter().map(|(k, v)| (format!("key{k}"), v.map(|v| format!("value{v}")))).collect();
            let refs: Vec<(&str, Option<&str>)> = kvs.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
            log.append_as_leader(&kv_batch(&refs, T0 + i as i64 * 10), 0).unwrap();
        }
        log.update_high_watermark(log.log_end_offset());
        clock.advance_ms(1_000);
        let before = decode_all(&read_everything(&log));
        let end = log.active_segment().base_offset();
        let active_bytes_before = log.active_segment().read_all().unwrap();
        clean_log(&log).unwrap();
        let after = decode_all(&read_everything(&log));
        let expected = model(&before, end, T0 + 1_000, retention);
        prop_assert_eq!(&after, &expected);
        prop_assert_eq!(log.active_segment().read_all().unwrap(), active_bytes_before);
        prop_assert_eq!(log.log_end_offset(), before.last().unwrap().0 + 1);
        // Idempotent.
        let stats = clean_log(&log).unwrap();
        prop_assert_eq!(stats.records_removed, 0);
        // Survives a crash-free reload: recovery of the cleaned files sees the same records.
        log.close().unwrap();
        drop(log);
        let (log, _) = open_log(d.path(), compact_config(retention), clock.clone(), false, 0, None);
        prop_assert_eq!(decode_all(&read_everything(&log)), expected);
    }
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
