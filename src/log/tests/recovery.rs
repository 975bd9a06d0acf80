//! Recovery after unclean shutdown, index rebuild, clean-shutdown skip, persistence of offsets.

use std::fs;
use std::path::Path;

use super::*;

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Kafka `LogSegment.recover` / `LogLoader.recoverLog`: after a crash the tail is re-validated
/// and a torn last batch is truncated — for a cut at *every* byte position of the last batch,
/// the log reopens with exactly the earlier batches, and the next append reuses no offset.
#[test]
fn torn_write_at_every_byte_of_the_last_batch_is_truncated() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), LogConfig::default(), mock_clock());
    log.append_as_leader(&values_batch("a", 3, T0), 1).unwrap();
    log.append_as_leader(&values_batch("b", 2, T0), 1).unwrap();
    let last = log.append_as_leader(&values_batch("c", 4, T0), 2).unwrap();
    let total = log.size();
    let last_start = total - last.valid_bytes as u64;
    drop(log);
    let src = d.path().join("orders-0");
    for cut in last_start..total {
        let root = tempfile::tempdir().unwrap();
        copy_dir(&src, &root.path().join("orders-0"));
        let f = fs::OpenOptions::new()
            .write(true)
            .open(root.path().join("orders-0/00000000000000000000.log"))
            .unwrap();
        f.set_len(cut).unwrap();
        drop(f);
        let (log, report) = open_log(
            root.path(),
            LogConfig::default(),
            mock_clock(),
            false,
            0,
            None,
        );
        assert_eq!(log.log_end_offset(), 5, "cut at {cut}");
        assert_eq!(log.size(), last_start, "cut at {cut}");
        assert_eq!(report.truncated_bytes, cut - last_start, "cut at {cut}");
        // Epoch 2 was only in the torn batch: the rebuilt/truncated cache ends at epoch 1.
        assert_eq!(log.latest_epoch(), Some(1), "cut at {cut}");
        let again = log.append_as_leader(&values_batch("d", 1, T0), 3).unwrap();
        assert_eq!(again.first_offset, 5);
        assert_eq!(decode_all(&read_everything(&log)).len(), 6);
    }
}

/// A corrupt batch in the middle (bit rot, CRC mismatch) truncates the segment there and Kafka
/// deletes every later segment (`LogLoader.recoverLog`).
#[test]
fn corruption_truncates_and_drops_later_segments() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    let mut positions = Vec::new();
    for i in 0..30 {
        let before = log.active_segment();
        let info = log
            .append_as_leader(&values_batch("z", 3, T0 + i), 0)
            .unwrap();
        positions.push((before.base_offset(), info.first_offset));
    }
    let segs = log.segments_snapshot();
    assert!(segs.len() >= 3);
    let victim = segs[1].clone();
    let victim_path = victim.log_path();
    drop(log);
    // Flip a byte in the second batch of the second segment.
    let mut bytes = fs::read(&victim_path).unwrap();
    let first_size = crate::protocol::record_batch::next_batch_size(&bytes, 0).unwrap();
    bytes[first_size + 40] ^= 0x55;
    fs::write(&victim_path, &bytes).unwrap();
    let (log, report) = open_log(d.path(), small_config(), mock_clock(), false, 0, None);
    assert_eq!(log.num_segments(), 2);
    assert_eq!(report.segments_deleted, segs.len() - 2);
    assert_eq!(log.log_end_offset(), victim.base_offset() + 3);
    assert_eq!(fs::metadata(&victim_path).unwrap().len(), first_size as u64);
    assert_eq!(
        decode_all(&read_everything(&log)).len() as i64,
        log.log_end_offset()
    );
}

/// Indexes carry no checksum and are rebuilt when missing or failing the sanity check
/// (`LogLoader`, `OffsetIndex.sanityCheck`); the rebuilt index equals the original byte for byte.
#[test]
fn index_rebuild_matches_original() {
    let d = tempfile::tempdir().unwrap();
    let cfg = LogConfig {
        index_interval_bytes: 100,
        ..LogConfig::default()
    };
    let log = new_log(d.path(), cfg.clone(), mock_clock());
    for i in 0..50 {
        log.append_as_leader(&values_batch("i", 2, T0 + i), 0)
            .unwrap();
    }
    log.close().unwrap();
    drop(log);
    let dir = d.path().join("orders-0");
    let idx = dir.join("00000000000000000000.index");
    let tidx = dir.join("00000000000000000000.timeindex");
    let original = fs::read(&idx).unwrap();
    assert!(
        original.len() >= 8 * 10,
        "index has {} bytes",
        original.len()
    );
    fs::remove_file(&idx).unwrap();
    fs::write(&tidx, [1u8; 5]).unwrap();
    let (log, report) = open_log(d.path(), cfg, mock_clock(), true, 100, None);
    assert_eq!(report.indexes_rebuilt, 1);
    assert_eq!(fs::read(&idx).unwrap(), original);
    assert_eq!(log.log_end_offset(), 100);
    let r = log.read(57, 1 << 20, None, true).unwrap();
    assert_eq!(decode_all(&r.records)[0].0, 56);
    assert_eq!(
        log.fetch_offset_by_timestamp(T0 + 30)
            .unwrap()
            .unwrap()
            .offset,
        59
    );
}

/// `.kafka_cleanshutdown` present → no recovery; absent → segments from the recovery point on
/// are recovered, earlier ones just load (Kafka `LogLoader.load`).
#[test]
fn clean_shutdown_skips_recovery_and_recovery_point_limits_it() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..30 {
        log.append_as_leader(&values_batch("r", 3, T0 + i), 0)
            .unwrap();
    }
    let segs = log.segments_snapshot();
    let third_base = segs[2].base_offset();
    log.close().unwrap();
    drop(log);
    let (_, clean) = open_log(d.path(), small_config(), mock_clock(), true, 90, None);
    assert_eq!(clean.segments_recovered, 0);
    let (_, unclean) = open_log(
        d.path(),
        small_config(),
        mock_clock(),
        false,
        third_base + 1,
        None,
    );
    assert_eq!(unclean.segments_recovered, segs.len() - 2);
}

/// Offsets are never reused: the log start offset persists through deletion of every record
/// and a restart (Kafka `log-start-offset-checkpoint`, `LogLoader` "log end < log start").
#[test]
fn log_start_offset_survives_restart_and_offsets_are_not_reused() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..10 {
        log.append_as_leader(&values_batch("s", 3, T0 + i), 0)
            .unwrap();
    }
    log.update_high_watermark(30);
    log.delete_records_before(30).unwrap();
    log.delete_old_segments().unwrap();
    assert_eq!(log.log_start_offset(), 30);
    log.close().unwrap();
    drop(log);
    // Even if every segment file is lost, the checkpointed start keeps offsets moving forward.
    for e in fs::read_dir(d.path().join("orders-0")).unwrap() {
        let p = e.unwrap().path();
        if p.extension()
            .is_some_and(|x| x == "log" || x == "index" || x == "timeindex")
        {
            fs::remove_file(p).unwrap();
        }
    }
    let (log, _) = open_log(d.path(), small_config(), mock_clock(), true, 30, Some(30));
    assert_eq!(log.log_start_offset(), 30);
    assert_eq!(log.log_end_offset(), 30);
    assert_eq!(
        log.append_as_leader(&values_batch("n", 1, T0), 0)
            .unwrap()
            .first_offset,
        30
    );
}

/// Writes a small closed log to `$ZKAFKA_FIXTURE_DIR/orders-0` for Kafka's own
/// `kafka.tools.DumpLogSegments` (run by hand; see docs/benchmarks.md / the log report).
#[test]
#[ignore = "writes a fixture for Kafka's DumpLogSegments; run explicitly"]
fn write_fixture_for_kafka_dump_log() {
    let root = std::path::PathBuf::from(
        std::env::var("ZKAFKA_FIXTURE_DIR").unwrap_or_else(|_| "/tmp/zkafka-fixture".into()),
    );
    let _ = fs::remove_dir_all(root.join("orders-0"));
    let log = new_log(&root, small_config(), mock_clock());
    for i in 0..12 {
        log.append_as_leader(&values_batch(&format!("m{i}"), 3, T0 + i * 1000), 5)
            .unwrap();
    }
    log.close().unwrap();
    // A producer snapshot at the log end with one idempotent producer (id 4242, epoch 3,
    // sequences 0..=35 at offsets 0..=35).
    let mut m = crate::log::producer_state_manager::ProducerStateManager::new();
    m.load_batches(&[crate::log::producer_state_manager::ProducerBatch {
        producer_id: 4242,
        producer_epoch: 3,
        base_sequence: 0,
        last_offset_delta: 35,
        max_timestamp: T0 + 11_000,
        is_transactional: false,
        is_control: false,
        first_offset: 0,
        last_offset: 35,
    }]);
    m.take_snapshot(&log.dir()).unwrap();
}

/// Flush policy: by default nothing is fsynced on append (the recovery point stays put, Kafka's
/// `flush.messages` / `flush.ms` = Long.MAX_VALUE); `flush.messages=N` flushes once N messages
/// are unflushed and `flush.ms` once that long has passed since the last flush, each moving
/// the recovery point to the log end (Kafka `UnifiedLog.maybeFlush`... `LogManager.flushDirtyLogs`).
#[test]
fn flush_policy_moves_the_recovery_point() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let log = new_log(d.path(), small_config(), clock.clone());
    for i in 0..5 {
        log.append_as_leader(&values_batch("x", 2, T0 + i), 0)
            .unwrap();
    }
    log.flush_if_due().unwrap();
    assert_eq!(
        log.recovery_point(),
        0,
        "default: no flush on the produce path"
    );

    let by_messages = LogConfig {
        flush_messages: 6,
        ..small_config()
    };
    log.update_config(by_messages);
    log.append_as_leader(&values_batch("y", 2, T0), 0).unwrap();
    // 12 unflushed messages ≥ 6: flushed by this append.
    assert_eq!(log.recovery_point(), 12);
    log.append_as_leader(&values_batch("y", 2, T0), 0).unwrap();
    assert_eq!(log.recovery_point(), 12, "2 < 6 unflushed messages");

    let by_time = LogConfig {
        flush_ms: 1_000,
        ..small_config()
    };
    log.update_config(by_time);
    log.flush_if_due().unwrap();
    assert_eq!(log.recovery_point(), 12, "flush.ms not yet elapsed");
    clock.advance_ms(1_000);
    log.flush_if_due().unwrap();
    assert_eq!(log.recovery_point(), 14);
}
