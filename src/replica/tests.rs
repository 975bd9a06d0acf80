//! ReplicaManager behaviour: LeaderAndIsr/StopReplica validation, delayed produce and fetch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::replica_manager::{FetchParams, FetchPartitionRequest, LeaderAndIsrPartition};
use super::*;
use crate::apis::ControllerEpochFence;
use crate::cluster::{LeaderAndIsrState, TopicPartition};
use crate::log::{LogConfig, LogDirFailureChannel, LogManager, LogManagerOptions};
use crate::metadata_cache::MetadataCache;
use crate::protocol::record_batch::test_batches::batch;
use crate::time::{MockClock, SharedClock};

struct Fixture {
    rm: Arc<ReplicaManager>,
    clock: Arc<MockClock>,
    _dir: tempfile::TempDir,
}

fn fixture(topic_overrides: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(MockClock::new(1_700_000_000_000));
    let shared: SharedClock = clock.clone();
    let logs = LogManager::startup(
        &[dir.path().to_path_buf()],
        LogConfig::default(),
        shared.clone(),
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions::default(),
    )
    .unwrap();
    let overrides: BTreeMap<String, String> = topic_overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let rm = ReplicaManager::new(
        ReplicaManagerConfig::new(1),
        shared,
        logs,
        Arc::new(MetadataCache::new(1)),
        Arc::new(ControllerEpochFence::new()),
        Arc::new(move |_: &str| overrides.clone()),
        Arc::new(AcceptingAlterPartitionSender::new()),
    );
    Fixture {
        rm,
        clock,
        _dir: dir,
    }
}

fn lai(
    topic: &str,
    p: i32,
    leader: i32,
    epoch: i32,
    replicas: &[i32],
    isr: &[i32],
) -> LeaderAndIsrPartition {
    LeaderAndIsrPartition {
        topic_partition: TopicPartition::new(topic, p),
        topic_id: Some([7; 16]),
        state: LeaderAndIsrState {
            controller_epoch: 1,
            leader,
            leader_epoch: epoch,
            isr: isr.to_vec(),
            partition_epoch: 0,
            replicas: replicas.to_vec(),
            ..Default::default()
        },
    }
}

fn records(n: usize) -> Bytes {
    let v: Vec<Vec<u8>> = (0..n).map(|i| format!("r{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = v.iter().map(|x| x.as_slice()).collect();
    batch(&refs, 1_700_000_000_000)
}

/// Kafka `ReplicaManager.becomeLeaderOrFollower` (semantics §1.6, layout §7.5): an older
/// controller epoch fails the whole request (STALE_CONTROLLER_EPOCH 11); per partition, a
/// leader epoch that does not increase → 11, a broker not among the replicas →
/// UNKNOWN_TOPIC_OR_PARTITION (3), a different topic id → INCONSISTENT_TOPIC_ID (103).
#[tokio::test]
async fn leader_and_isr_validation() {
    let f = fixture(&[]);
    let rm = &f.rm;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = seen.clone();
    rm.add_leadership_listener(Arc::new(move |leaders, followers| {
        s2.lock()
            .unwrap()
            .push((leaders.to_vec(), followers.to_vec()));
    }));
    let r = rm
        .become_leader_or_follower(
            5,
            &[lai("a", 0, 1, 3, &[1], &[1]), lai("a", 1, 2, 0, &[2], &[2])],
        )
        .unwrap();
    // Kafka `onLeadershipChange`: only partitions that changed role are reported.
    assert_eq!(
        *seen.lock().unwrap(),
        vec![(vec![(TopicPartition::new("a", 0), 3)], vec![])]
    );
    assert_eq!(r[0].1, 0);
    assert_eq!(r[1].1, 3);
    assert!(rm
        .online_partition(&TopicPartition::new("a", 0))
        .unwrap()
        .is_leader());
    assert!(rm.online_partition(&TopicPartition::new("a", 1)).is_none());
    assert_eq!(
        rm.become_leader_or_follower(4, &[lai("a", 0, 1, 9, &[1], &[1])]),
        Err(11)
    );
    let r = rm
        .become_leader_or_follower(5, &[lai("a", 0, 1, 3, &[1], &[1])])
        .unwrap();
    assert_eq!(r[0].1, 11, "equal leader epoch");
    let r = rm
        .become_leader_or_follower(6, &[lai("a", 0, 1, 2, &[1], &[1])])
        .unwrap();
    assert_eq!(r[0].1, 11, "lower leader epoch");
    let mut other_id = lai("a", 0, 1, 4, &[1], &[1]);
    other_id.topic_id = Some([9; 16]);
    assert_eq!(
        rm.become_leader_or_follower(6, &[other_id]).unwrap()[0].1,
        103
    );
    assert_eq!(
        rm.online_partition(&TopicPartition::new("a", 0))
            .unwrap()
            .leader_epoch(),
        3
    );
    // Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION for produce.
    assert_eq!(
        rm.partition_or_error(&TopicPartition::new("zzz", 0))
            .unwrap_err(),
        3
    );
}

/// Kafka `ReplicaManager.stopReplicas`: a leader epoch older than the partition's is
/// FENCED_LEADER_EPOCH (74); -2 (topic being deleted) always applies; with delete the
/// partition is gone and its log renamed for deletion.
#[tokio::test]
async fn stop_replica_fencing_and_delete() {
    let f = fixture(&[]);
    let rm = &f.rm;
    rm.become_leader_or_follower(1, &[lai("d", 0, 1, 5, &[1], &[1])])
        .unwrap();
    let tp = TopicPartition::new("d", 0);
    assert_eq!(
        rm.stop_replicas(1, &[(tp.clone(), 4, true)]).unwrap()[0].1,
        74
    );
    assert!(rm.online_partition(&tp).is_some());
    assert_eq!(rm.stop_replicas(0, &[(tp.clone(), -2, true)]), Err(11));
    assert_eq!(
        rm.stop_replicas(1, &[(tp.clone(), -2, true)]).unwrap()[0].1,
        0
    );
    assert!(rm.online_partition(&tp).is_none());
    assert!(rm.log_manager().get_log(&tp).is_none());
}

/// Kafka `DelayedProduce`: acks=-1 waits for the HW; if the follower never fetches, the
/// partition answers REQUEST_TIMED_OUT (7) at the request's timeout, though the data was
/// written.
#[tokio::test]
async fn acks_all_times_out_without_the_follower() {
    let f = fixture(&[]);
    let rm = &f.rm;
    rm.become_leader_or_follower(1, &[lai("p", 0, 1, 0, &[1, 2], &[1, 2])])
        .unwrap();
    let tp = TopicPartition::new("p", 0);
    let started = std::time::Instant::now();
    let r = rm
        .append_records(150, -1, vec![(tp.clone(), records(2))])
        .await;
    assert_eq!(r[0].1.error_code, 7);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(rm.online_partition(&tp).unwrap().log_end_offset(), 2);
    // acks=1 does not wait.
    let r = rm.append_records(150, 1, vec![(tp, records(1))]).await;
    assert_eq!((r[0].1.error_code, r[0].1.base_offset), (0, 2));
}

/// Kafka `DelayedProduce.tryComplete` → `checkEnoughReplicasReachOffset`: while an acks=-1
/// produce waits, the ISR shrinks below min.insync.replicas; the HW then passes the batch and
/// the produce completes with NOT_ENOUGH_REPLICAS_AFTER_APPEND (20). Before appending,
/// NOT_ENOUGH_REPLICAS (19).
#[tokio::test]
async fn not_enough_replicas_after_append() {
    let f = fixture(&[("min.insync.replicas", "2")]);
    let rm = f.rm.clone();
    rm.become_leader_or_follower(1, &[lai("m", 0, 1, 0, &[1, 2], &[1, 2])])
        .unwrap();
    let tp = TopicPartition::new("m", 0);
    let waiting = {
        let rm = rm.clone();
        let tp = tp.clone();
        tokio::spawn(async move { rm.append_records(10_000, -1, vec![(tp, records(3))]).await })
    };
    let p = rm.online_partition(&tp).unwrap();
    while p.log_end_offset() < 3 {
        tokio::task::yield_now().await;
    }
    f.clock.advance_ms(30_001);
    rm.maybe_shrink_isr();
    assert_eq!(p.isr(), vec![1]);
    let r = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("completed by the ISR change")
        .unwrap();
    assert_eq!(r[0].1.error_code, 20);
    let r = rm.append_records(100, -1, vec![(tp, records(1))]).await;
    assert_eq!(r[0].1.error_code, 19);
}

/// Kafka `DelayedFetch`: a consumer fetch at the log end with fetch.min.bytes=1 waits until an
/// append (and HW move) brings data, well before max.wait.ms; with nothing arriving it returns
/// empty at max.wait.ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_fetch_is_woken_by_an_append() {
    let f = fixture(&[]);
    let rm = f.rm.clone();
    rm.become_leader_or_follower(1, &[lai("f", 0, 1, 0, &[1], &[1])])
        .unwrap();
    let tp = TopicPartition::new("f", 0);
    let params = FetchParams {
        replica_id: None,
        max_wait_ms: 10_000,
        min_bytes: 1,
        max_bytes: 1 << 20,
        read_committed: false,
    };
    let req = vec![FetchPartitionRequest {
        topic_partition: tp.clone(),
        fetch_offset: 0,
        current_leader_epoch: -1,
        last_fetched_epoch: -1,
        log_start_offset: -1,
        partition_max_bytes: 1 << 20,
    }];
    let started = std::time::Instant::now();
    let fetch = {
        let (rm, params, req) = (rm.clone(), params.clone(), req.clone());
        tokio::spawn(async move { rm.fetch_messages(&params, &req).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!fetch.is_finished(), "nothing to read yet");
    rm.append_records(1_000, 1, vec![(tp.clone(), records(4))])
        .await;
    let r = tokio::time::timeout(Duration::from_secs(5), fetch)
        .await
        .expect("woken")
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    let read = r[0].read.as_ref().unwrap();
    assert_eq!((r[0].error_code, read.high_watermark), (0, 4));
    assert!(!read.records.is_empty());
    // Nothing new: empty answer after max.wait.ms.
    let short = FetchParams {
        max_wait_ms: 100,
        ..params
    };
    let req = vec![FetchPartitionRequest {
        fetch_offset: 4,
        ..req[0].clone()
    }];
    let started = std::time::Instant::now();
    let r = rm.fetch_messages(&short, &req).await;
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(r[0].read.as_ref().unwrap().records.is_empty());
}

/// Kafka `DelayedFetch` case H (`Partition.followerNeedsHwUpdate`): a follower fetch that
/// finds no new data still returns at once when the leader's HW moved past the one last sent
/// to that follower — here the fetch itself advances the HW — so followers learn the HW
/// without waiting `replica.fetch.wait.max.ms`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_fetch_returns_early_when_its_hw_is_stale() {
    let f = fixture(&[]);
    let rm = f.rm.clone();
    rm.become_leader_or_follower(1, &[lai("h", 0, 1, 0, &[1, 2], &[1, 2])])
        .unwrap();
    let tp = TopicPartition::new("h", 0);
    rm.append_records(1_000, 1, vec![(tp.clone(), records(5))])
        .await;
    let params = FetchParams {
        replica_id: Some(2),
        max_wait_ms: 10_000,
        min_bytes: 1,
        max_bytes: 1 << 20,
        read_committed: false,
    };
    let at = |offset: i64| {
        vec![FetchPartitionRequest {
            topic_partition: tp.clone(),
            fetch_offset: offset,
            current_leader_epoch: 0,
            last_fetched_epoch: if offset == 0 { -1 } else { 0 },
            log_start_offset: 0,
            partition_max_bytes: 1 << 20,
        }]
    };
    let r = rm.fetch_messages(&params, &at(0)).await;
    assert_eq!(r[0].read.as_ref().unwrap().high_watermark, 0);
    let started = std::time::Instant::now();
    let r = rm.fetch_messages(&params, &at(5)).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "parked until max.wait.ms"
    );
    let read = r[0].read.as_ref().unwrap();
    assert!(read.records.is_empty());
    assert_eq!(read.high_watermark, 5);
}

/// Kafka `DelayedFetch`: with fetch.min.bytes above what arrives, the fetch waits for more
/// appends and answers what it has at max.wait.ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_min_bytes_waits_for_enough_data() {
    let f = fixture(&[]);
    let rm = f.rm.clone();
    rm.become_leader_or_follower(1, &[lai("mb", 0, 1, 0, &[1], &[1])])
        .unwrap();
    let tp = TopicPartition::new("mb", 0);
    let params = FetchParams {
        replica_id: None,
        max_wait_ms: 400,
        min_bytes: 1 << 20,
        max_bytes: 1 << 20,
        read_committed: false,
    };
    let req = vec![FetchPartitionRequest {
        topic_partition: tp.clone(),
        fetch_offset: 0,
        current_leader_epoch: -1,
        last_fetched_epoch: -1,
        log_start_offset: -1,
        partition_max_bytes: 1 << 20,
    }];
    let fetch = {
        let (rm, params, req) = (rm.clone(), params.clone(), req.clone());
        tokio::spawn(async move { rm.fetch_messages(&params, &req).await })
    };
    let started = std::time::Instant::now();
    tokio::time::sleep(Duration::from_millis(50)).await;
    rm.append_records(1_000, 1, vec![(tp.clone(), records(3))])
        .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !fetch.is_finished(),
        "3 records are far below fetch.min.bytes"
    );
    let r = fetch.await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(350));
    assert!(!r[0].read.as_ref().unwrap().records.is_empty());
}
