//! Retention by time and size, driven by an injected clock, and the two-step delete.

use super::*;
use crate::time::Clock;

fn filled(root: &std::path::Path, cfg: LogConfig, clock: Arc<MockClock>) -> Arc<Log> {
    let log = new_log(root, cfg, clock);
    // 30 batches, timestamps one minute apart starting at T0.
    for i in 0..30i64 {
        log.append_as_leader(&values_batch("r", 3, T0 + i * 60_000), 0)
            .unwrap();
    }
    log
}

/// retention.ms judges each segment by its largest record timestamp (`UnifiedLog.
/// deleteRetentionMsBreachedSegments`); only a prefix goes, never the active segment, and the
/// log start offset moves to the first remaining segment.
#[test]
fn retention_ms_with_mock_clock() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let cfg = LogConfig {
        retention_ms: 10 * 60_000,
        ..small_config()
    };
    let log = filled(d.path(), cfg, clock.clone());
    log.update_high_watermark(log.log_end_offset());
    let n = log.num_segments();
    // At T0 nothing is older than 10 minutes.
    assert_eq!(log.delete_old_segments().unwrap(), 0);
    // 20 minutes after the last record: every non-active segment whose newest record is more
    // than 10 minutes old goes.
    clock.advance_ms(29 * 60_000 + 20 * 60_000);
    let deleted = log.delete_old_segments().unwrap();
    assert!(deleted >= n - 1, "deleted {deleted} of {n}");
    assert!(log.num_segments() >= 1);
    assert_eq!(
        log.log_start_offset(),
        log.segments_snapshot()[0].base_offset()
    );
    // Offsets continue after the deletion.
    let next = log
        .append_as_leader(&values_batch("n", 1, clock.milliseconds()), 0)
        .unwrap();
    assert_eq!(next.first_offset, 90);
}

/// Retention never deletes a segment that reaches past the high watermark (`LocalLog.
/// deletableSegments`: `highWatermark >= upperBoundOffset`).
#[test]
fn retention_stops_at_high_watermark() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let cfg = LogConfig {
        retention_ms: 1,
        ..small_config()
    };
    let log = filled(d.path(), cfg, clock.clone());
    clock.advance_ms(100 * 60_000);
    log.update_high_watermark(0);
    assert_eq!(log.delete_old_segments().unwrap(), 0);
    let second_base = log.segments_snapshot()[1].base_offset();
    log.update_high_watermark(second_base);
    assert_eq!(log.delete_old_segments().unwrap(), 1);
    assert_eq!(log.log_start_offset(), second_base);
}

/// retention.bytes deletes oldest segments while size − segment ≥ limit
/// (`deleteRetentionSizeBreachedSegments`).
#[test]
fn retention_bytes() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let cfg = LogConfig {
        retention_bytes: 2048,
        ..small_config()
    };
    let log = filled(d.path(), cfg, clock);
    log.update_high_watermark(log.log_end_offset());
    let before = log.size();
    assert!(before > 2048);
    log.delete_old_segments().unwrap();
    assert!(log.size() <= 2048 + 1024, "size {}", log.size());
    assert!(log.size() >= 2048 - 1024);
}

/// Kafka's two-step delete: segments — and their producer snapshots — are renamed `.deleted`
/// and removed only after file.delete.delay.ms (`LocalLog.deleteSegmentFiles`,
/// `ProducerStateManager.removeAndMarkSnapshotForDeletion`).
#[test]
fn deleted_segments_wait_for_file_delete_delay() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let cfg = LogConfig {
        retention_ms: 1,
        file_delete_delay_ms: 60_000,
        ..small_config()
    };
    let log = filled(d.path(), cfg, clock.clone());
    log.update_high_watermark(log.log_end_offset());
    let bases: Vec<i64> = log
        .segments_snapshot()
        .iter()
        .map(|s| s.base_offset())
        .collect();
    for b in &bases {
        let mut m = crate::log::producer_state_manager::ProducerStateManager::new();
        m.update_map_end_offset(*b);
        m.take_snapshot(&log.dir()).unwrap();
    }
    clock.advance_ms(100 * 60_000);
    let n = log.delete_old_segments().unwrap();
    assert!(n > 0);
    let remaining = log.segments_snapshot()[0].base_offset();
    let snapshot = |b: i64| crate::log::producer_state_manager::snapshot_path(&log.dir(), b);
    // Snapshots of the deleted segments are gone, those of kept segments stay.
    for b in &bases {
        assert_eq!(snapshot(*b).exists(), *b >= remaining, "snapshot at {b}");
    }
    let count_deleted = || {
        std::fs::read_dir(d.path().join("orders-0"))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".deleted")
            })
            .count()
    };
    assert_eq!(count_deleted(), n * 4);
    log.delete_pending_files();
    assert_eq!(count_deleted(), n * 4);
    clock.advance_ms(60_000);
    log.delete_pending_files();
    assert_eq!(count_deleted(), 0);
    assert_eq!(log.pending_delete_count(), 0);
}

/// A compact-only topic is not subject to time retention (only log-start-offset breaches).
#[test]
fn compact_only_topics_skip_time_retention() {
    let d = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let mut cfg = LogConfig {
        retention_ms: 1,
        ..small_config()
    };
    cfg.cleanup_policy.delete = false;
    cfg.cleanup_policy.compact = true;
    let log = new_log(d.path(), cfg, clock.clone());
    for i in 0..30i64 {
        log.append_as_leader(&kv_batch(&[("k", Some("v"))], T0 + i), 0)
            .unwrap();
    }
    log.update_high_watermark(log.log_end_offset());
    clock.advance_ms(1_000_000);
    assert_eq!(log.delete_old_segments().unwrap(), 0);
}
