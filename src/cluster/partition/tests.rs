//! Partition behaviour against a real log on disk with a mock clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::log::{LogConfig, LogDirFailureChannel, LogManager, LogManagerOptions};
use crate::protocol::record_batch::test_batches::batch;
use crate::replica::alter_partition::AcceptingAlterPartitionSender;
use crate::time::{Clock, MockClock};

const NOW: i64 = 1_700_000_000_000;
const LAG_MS: i64 = 30_000;

struct Fixture {
    clock: Arc<MockClock>,
    alter: Arc<AcceptingAlterPartitionSender>,
    _logs: Arc<LogManager>,
    _dir: tempfile::TempDir,
    p: Arc<Partition>,
}

fn fixture(overrides: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(MockClock::new(NOW));
    let logs = LogManager::startup(
        &[dir.path().to_path_buf()],
        LogConfig::default(),
        clock.clone(),
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions::default(),
    )
    .unwrap();
    let o: BTreeMap<String, String> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let config = LogConfig::default().with_overrides(&o).unwrap();
    let tp = TopicPartition::new("t", 0);
    let log = logs.get_or_create_log(&tp, config, None).unwrap();
    let alter = Arc::new(AcceptingAlterPartitionSender::new());
    let ctx = PartitionContext {
        local_broker_id: 1,
        clock: clock.clone(),
        replica_lag_time_max_ms: LAG_MS,
        alter_partition: alter.clone(),
        is_broker_alive: Arc::new(|_| true),
    };
    let p = Partition::new(tp, None, log, ctx);
    Fixture {
        clock,
        alter,
        _logs: logs,
        _dir: dir,
        p,
    }
}

fn leader_state(epoch: i32, isr: &[i32], replicas: &[i32]) -> LeaderAndIsrState {
    LeaderAndIsrState {
        controller_epoch: 1,
        leader: 1,
        leader_epoch: epoch,
        isr: isr.to_vec(),
        partition_epoch: 0,
        replicas: replicas.to_vec(),
        ..Default::default()
    }
}

fn append(p: &Partition, n: usize, acks: i16) -> Result<LogAppendInfo, PartitionError> {
    let values: Vec<Vec<u8>> = (0..n).map(|i| format!("v{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = values.iter().map(|v| v.as_slice()).collect();
    p.append_records_to_leader(&batch(&refs, NOW), acks)
}

/// Kafka `Partition.maybeIncrementLeaderHW`: the HW is the smallest log end offset among the
/// leader and the ISR followers; a follower that has not fetched since the leader was elected
/// holds it back.
#[test]
fn high_watermark_is_min_log_end_of_the_isr() {
    let f = fixture(&[]);
    let p = &f.p;
    assert!(p
        .make_leader(&leader_state(0, &[1, 2, 3], &[1, 2, 3]))
        .unwrap());
    append(p, 10, 1).unwrap();
    assert_eq!(p.log_end_offset(), 10);
    assert_eq!(p.high_watermark(), 0, "followers have not fetched");
    p.update_follower_fetch_state(2, 10, 0, NOW, 10).unwrap();
    assert_eq!(p.high_watermark(), 0, "follower 3 still unknown");
    p.update_follower_fetch_state(3, 4, 0, NOW, 10).unwrap();
    assert_eq!(p.high_watermark(), 4);
    p.update_follower_fetch_state(3, 10, 0, NOW, 10).unwrap();
    assert_eq!(p.high_watermark(), 10);
    // A replica not in the assignment cannot report a position.
    assert_eq!(
        p.update_follower_fetch_state(9, 10, 0, NOW, 10)
            .unwrap_err()
            .error_code(),
        6
    );
}

/// Kafka `Partition.maybeShrinkIsr` / `maybeExpandIsr` with `replica.lag.time.max.ms` = 30000:
/// a follower that has not caught up for more than 30 s leaves the ISR through AlterPartition
/// (the partition epoch advances with the controller's answer), and rejoins once it reaches
/// the HW; the HW then advances without the removed follower.
#[test]
fn isr_shrinks_after_lag_time_and_expands_when_caught_up() {
    let f = fixture(&[]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1, 2], &[1, 2])).unwrap();
    append(p, 5, 1).unwrap();
    p.update_follower_fetch_state(2, 5, 0, NOW, 5).unwrap();
    assert_eq!(p.high_watermark(), 5);
    append(p, 5, 1).unwrap();
    f.clock.advance_ms(LAG_MS);
    assert!(
        !p.maybe_shrink_isr(),
        "exactly the lag time is still in sync"
    );
    f.clock.advance_ms(1);
    assert_eq!(p.out_of_sync_replicas(), vec![2]);
    assert!(p.maybe_shrink_isr());
    assert_eq!(p.isr(), vec![1]);
    assert_eq!(p.partition_epoch(), 1);
    assert_eq!(f.alter.submitted()[0].new_isr, vec![1]);
    assert_eq!(f.alter.submitted()[0].partition_epoch, 0);
    // Without follower 2 the HW advances to the leader's end as soon as the shrink commits.
    assert_eq!(p.high_watermark(), 10);
    // Follower fetches at 10 = HW: eligible again.
    p.update_follower_fetch_state(2, 10, 0, f.clock.milliseconds(), 10)
        .unwrap();
    assert_eq!(p.isr(), vec![1, 2]);
    assert_eq!(p.partition_epoch(), 2);
    assert!(!p.maybe_shrink_isr());
}

/// Kafka `Partition.handleAlterPartitionError`: OPERATION_NOT_ATTEMPTED restores the committed
/// ISR; other errors keep the change pending (maximal ISR counts for HW) until LeaderAndIsr.
#[test]
fn pending_isr_change_and_errors() {
    let f = fixture(&[]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1, 2], &[1, 2])).unwrap();
    append(p, 3, 1).unwrap();
    f.clock.advance_ms(LAG_MS + 1);
    f.alter.fail_with(ResponseError::FencedLeaderEpoch.code());
    assert!(p.maybe_shrink_isr());
    assert!(matches!(p.isr_state(), IsrState::PendingShrink { .. }));
    assert_eq!(p.isr_state().maximal_isr(), vec![1, 2]);
    assert!(!p.maybe_shrink_isr(), "one change in flight at a time");
    assert_eq!(
        p.high_watermark(),
        0,
        "the pending shrink still counts follower 2"
    );
    // A new LeaderAndIsr resets it.
    f.alter
        .fail_with(ResponseError::OperationNotAttempted.code());
    p.make_leader(&leader_state(1, &[1, 2], &[1, 2])).unwrap();
    assert_eq!(p.isr_state(), IsrState::Committed { isr: vec![1, 2] });
    f.clock.advance_ms(LAG_MS + 1);
    assert!(p.maybe_shrink_isr());
    assert_eq!(
        p.isr_state(),
        IsrState::Committed { isr: vec![1, 2] },
        "rejected outright: restored"
    );
}

/// Kafka `Partition.appendRecordsToLeader` / `checkEnoughReplicasReachOffset`: acks=-1 with
/// fewer ISR members than min.insync.replicas fails before writing (NOT_ENOUGH_REPLICAS);
/// acks=1 ignores it; a committed append whose ISR shrank below it reports
/// NOT_ENOUGH_REPLICAS_AFTER_APPEND.
#[test]
fn min_insync_replicas() {
    let f = fixture(&[("min.insync.replicas", "2")]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1], &[1, 2])).unwrap();
    let e = append(p, 1, -1).unwrap_err();
    assert_eq!(e.error_code(), 19);
    assert_eq!(p.log_end_offset(), 0, "nothing written");
    append(p, 1, 1).unwrap();
    assert_eq!(p.high_watermark(), 1);
    assert_eq!(p.check_enough_replicas_reach_offset(1), Some(20));
    let f = fixture(&[("min.insync.replicas", "2")]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1, 2], &[1, 2])).unwrap();
    let info = append(p, 2, -1).unwrap();
    assert_eq!(
        p.check_enough_replicas_reach_offset(info.last_offset + 1),
        None,
        "HW not there yet"
    );
    p.update_follower_fetch_state(2, 2, 0, NOW, 2).unwrap();
    assert_eq!(
        p.check_enough_replicas_reach_offset(info.last_offset + 1),
        Some(0)
    );
}

/// Kafka `Partition.validateLeaderEpoch` / fetch from a non-leader: an older current leader
/// epoch is FENCED_LEADER_EPOCH (74), a newer one UNKNOWN_LEADER_EPOCH (75); after becoming
/// follower, produce and fetch answer NOT_LEADER_OR_FOLLOWER (6).
#[test]
fn leader_epoch_fencing() {
    let f = fixture(&[]);
    let p = &f.p;
    p.make_leader(&leader_state(5, &[1], &[1, 2])).unwrap();
    let fetch = |epoch: i32| FetchPartitionParams {
        fetch_offset: 0,
        current_leader_epoch: epoch,
        last_fetched_epoch: -1,
        log_start_offset: -1,
        max_bytes: 1 << 20,
        min_one_batch: true,
        replica_id: None,
        read_committed: false,
    };
    assert_eq!(p.fetch_records(&fetch(4)).unwrap_err().error_code(), 74);
    assert_eq!(p.fetch_records(&fetch(6)).unwrap_err().error_code(), 75);
    assert!(p.fetch_records(&fetch(5)).is_ok());
    assert!(p.fetch_records(&fetch(-1)).is_ok());
    assert_eq!(
        p.last_offset_for_leader_epoch(4, 5, true)
            .unwrap_err()
            .error_code(),
        74
    );
    let mut st = leader_state(6, &[2], &[1, 2]);
    st.leader = 2;
    assert!(p.make_follower(&st));
    assert_eq!(append(p, 1, 1).unwrap_err().error_code(), 6);
    assert_eq!(p.fetch_records(&fetch(6)).unwrap_err().error_code(), 6);
    assert!(
        !p.make_follower(&st),
        "same leader and epoch: nothing changes"
    );
}

/// Kafka `Partition.readRecords` divergence check (KIP-595 style truncation on fetch): a
/// follower whose last fetched epoch ended earlier in the leader's log gets
/// `divergingEpoch = (epoch, end offset)` and no records; OffsetForLeaderEpoch answers from
/// the leader epoch cache; consumers read only to the HW, followers to the log end.
#[test]
fn diverging_epoch_and_read_bounds() {
    let f = fixture(&[]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1, 2], &[1, 2])).unwrap();
    append(p, 5, 1).unwrap();
    p.make_leader(&leader_state(2, &[1, 2], &[1, 2])).unwrap();
    append(p, 3, 1).unwrap();
    let e = p.last_offset_for_leader_epoch(-1, 1, true).unwrap();
    assert_eq!((e.epoch, e.end_offset), (0, 5));
    let e = p.last_offset_for_leader_epoch(-1, 2, true).unwrap();
    assert_eq!((e.epoch, e.end_offset), (2, 8));
    // Follower says: my last batch has epoch 1 and I fetch from 7 → it diverged at 5.
    let follower = FetchPartitionParams {
        fetch_offset: 7,
        current_leader_epoch: 2,
        last_fetched_epoch: 1,
        log_start_offset: 0,
        max_bytes: 1 << 20,
        min_one_batch: true,
        replica_id: Some(2),
        read_committed: false,
    };
    let r = p.fetch_records(&follower).unwrap();
    assert_eq!(
        r.diverging_epoch,
        Some(EpochEndOffset {
            epoch: 0,
            end_offset: 5
        })
    );
    assert!(r.records.is_empty());
    // A consistent follower at 5 with epoch 0 reads everything to the log end.
    let ok = FetchPartitionParams {
        fetch_offset: 5,
        last_fetched_epoch: 0,
        ..follower.clone()
    };
    let r = p.fetch_records(&ok).unwrap();
    assert_eq!(r.diverging_epoch, None);
    assert!(!r.records.is_empty());
    assert_eq!(r.log_end_offset, 8);
    // A consumer at 0 stops at the HW (5: follower 2 is at 5).
    let consumer = FetchPartitionParams {
        fetch_offset: 0,
        last_fetched_epoch: -1,
        replica_id: None,
        ..follower
    };
    let r = p.fetch_records(&consumer).unwrap();
    let last = crate::protocol::record_batch::BatchIter::new(&r.records)
        .last()
        .unwrap()
        .unwrap()
        .1
        .last_offset();
    assert_eq!(p.high_watermark(), 5);
    assert!(last < 5, "consumer read past the HW: {last}");
}

/// Kafka `UnifiedLog.analyzeAndValidateProducerState` + `ProducerStateManager` rebuilt from
/// the log: after a restart (a new Partition over the same log) a retried batch is still
/// recognised as a duplicate and a gap is still refused.
#[test]
fn producer_state_survives_rebuild() {
    let f = fixture(&[]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1], &[1])).unwrap();
    let b = idempotent(7, 0, 0, 3);
    assert_eq!(p.append_records_to_leader(&b, -1).unwrap().first_offset, 0);
    p.take_producer_snapshot();
    let b2 = idempotent(7, 0, 3, 2);
    assert_eq!(p.append_records_to_leader(&b2, -1).unwrap().first_offset, 3);
    let again = Partition::new(
        p.topic_partition().clone(),
        None,
        p.log().clone(),
        p.ctx.clone(),
    );
    again.make_leader(&leader_state(1, &[1], &[1])).unwrap();
    let dup = again.append_records_to_leader(&b2, -1).unwrap();
    assert_eq!((dup.first_offset, dup.last_offset), (3, 4));
    assert_eq!(again.log_end_offset(), 5);
    let gap = idempotent(7, 0, 9, 1);
    assert_eq!(
        again
            .append_records_to_leader(&gap, -1)
            .unwrap_err()
            .error_code(),
        45
    );
}

fn idempotent(pid: i64, epoch: i16, base_seq: i32, n: usize) -> bytes::Bytes {
    use kafka_protocol::records::*;
    let records: Vec<Record> = (0..n)
        .map(|i| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: pid,
            producer_epoch: epoch,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: base_seq + i as i32,
            timestamp: NOW,
            key: None,
            value: Some(bytes::Bytes::from_static(b"v")),
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

/// Kafka `UnifiedLog.roll` takes a producer snapshot named by the new segment's base offset,
/// holding the state as of that offset; a restart loads the newest snapshot and replays only
/// the batches after it, and the state equals the one before the restart (retries are still
/// duplicates, the next sequence is still accepted).
#[test]
fn producer_snapshot_at_every_roll_and_restart_loads_the_latest() {
    let f = fixture(&[("segment.bytes", "300")]);
    let p = &f.p;
    p.make_leader(&leader_state(0, &[1], &[1])).unwrap();
    let mut seq = 0;
    let mut last = None;
    for _ in 0..12 {
        let b = idempotent(7, 0, seq, 3);
        last = Some(b.clone());
        p.append_records_to_leader(&b, -1).unwrap();
        seq += 3;
    }
    let dir = p.log().dir();
    let segment_bases: Vec<i64> = p
        .log()
        .segments_snapshot()
        .iter()
        .map(|s| s.base_offset())
        .collect();
    assert!(segment_bases.len() > 3, "{segment_bases:?}");
    let mut snapshots: Vec<i64> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().to_string();
            n.strip_suffix(".snapshot").map(|o| o.parse().unwrap())
        })
        .collect();
    snapshots.sort_unstable();
    // One per rolled segment (every base but the first).
    assert_eq!(snapshots, segment_bases[1..].to_vec());
    // Each snapshot holds the producer's state as of its offset: last offset before it.
    let newest = *snapshots.last().unwrap();
    let mut m = crate::log::producer_state_manager::ProducerStateManager::new();
    assert_eq!(m.load_latest_snapshot(&dir, 0, i64::MAX).unwrap(), newest);
    assert_eq!(m.entry(7).unwrap().last_data_offset(), newest - 1);
    assert_eq!(m.map_end_offset(), newest);

    // "Restart": a new Partition over the same log rebuilds from the newest snapshot.
    let again = Partition::new(
        p.topic_partition().clone(),
        None,
        p.log().clone(),
        p.ctx.clone(),
    );
    again.make_leader(&leader_state(1, &[1], &[1])).unwrap();
    assert_eq!(
        again.producers().entry(7).unwrap().last_seq(),
        p.producers().entry(7).unwrap().last_seq()
    );
    let dup = again.append_records_to_leader(&last.unwrap(), -1).unwrap();
    assert_eq!(dup.last_offset, 35);
    assert_eq!(again.log_end_offset(), 36);
    let next = idempotent(7, 0, seq, 1);
    assert_eq!(
        again
            .append_records_to_leader(&next, -1)
            .unwrap()
            .first_offset,
        36
    );
}
