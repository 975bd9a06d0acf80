//! Follower truncation, full truncation, DeleteRecords.

use super::*;
use crate::log::errors::codes;

/// `UnifiedLog.truncateTo`: removes everything from the target on, across segments; the log end,
/// high watermark and epoch cache follow; the next append continues at the target.
#[test]
fn truncate_to_removes_suffix_across_segments() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..30 {
        log.append_as_leader(&values_batch("t", 2, T0 + i), (i / 10) as i32)
            .unwrap();
    }
    log.update_high_watermark(60);
    let n = log.num_segments();
    assert!(log.truncate_to(24).unwrap());
    assert_eq!(log.log_end_offset(), 24);
    assert_eq!(log.high_watermark(), 24);
    assert!(log.num_segments() < n);
    assert_eq!(log.latest_epoch(), Some(1));
    assert_eq!(log.end_offset_for_epoch(1), (1, 24));
    assert!(!log.truncate_to(100).unwrap());
    assert_eq!(
        log.append_as_leader(&values_batch("u", 1, T0), 5)
            .unwrap()
            .first_offset,
        24
    );
    let recs = decode_all(&read_everything(&log));
    assert_eq!(recs.len(), 25);
    assert!(recs.iter().enumerate().all(|(i, r)| r.0 == i as i64));
}

/// `UnifiedLog.truncateFullyAndStartAt`: empty log at the new offset (start = end = HW), epoch
/// cache cleared.
#[test]
fn truncate_fully_and_start_at() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..10 {
        log.append_as_leader(&values_batch("t", 2, T0 + i), 1)
            .unwrap();
    }
    log.truncate_fully_and_start_at(500).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.high_watermark()
        ),
        (500, 500, 500)
    );
    assert_eq!(log.num_segments(), 1);
    assert_eq!(log.latest_epoch(), None);
    assert_eq!(
        log.append_as_leader(&values_batch("n", 1, T0), 2)
            .unwrap()
            .first_offset,
        500
    );
    assert!(d.path().join("orders-0/00000000000000000500.log").exists());
    assert_eq!(
        log.read(10, 100, None, true).unwrap_err().error_code(),
        codes::OFFSET_OUT_OF_RANGE
    );
}

/// DeleteRecords (`maybeIncrementLogStartOffset`): never past the high watermark
/// (OFFSET_OUT_OF_RANGE); reads below the new start are out of range; ListOffsets EARLIEST moves.
#[test]
fn delete_records_before_advances_log_start() {
    let d = tempfile::tempdir().unwrap();
    let log = new_log(d.path(), small_config(), mock_clock());
    for i in 0..10 {
        log.append_as_leader(&values_batch("t", 2, T0 + i), 1)
            .unwrap();
    }
    log.update_high_watermark(10);
    assert_eq!(
        log.delete_records_before(11).unwrap_err().error_code(),
        codes::OFFSET_OUT_OF_RANGE
    );
    assert_eq!(log.delete_records_before(7).unwrap(), 7);
    assert_eq!(
        log.read(6, 100, None, true).unwrap_err().error_code(),
        codes::OFFSET_OUT_OF_RANGE
    );
    assert_eq!(
        log.fetch_offset_by_timestamp(-2).unwrap().unwrap().offset,
        7
    );
    // Reading at the new start returns the batch containing it (offsets 6..7).
    let r = log.read(7, 1 << 20, None, true).unwrap();
    assert_eq!(decode_all(&r.records)[0].0, 6);
}
