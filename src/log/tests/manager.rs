//! LogManager: placement, metadata, checkpoints, clean shutdown, async delete, dir failure.

use std::collections::BTreeMap;
use std::fs;

use super::*;
use crate::log::checkpoint::{
    OffsetCheckpointFile, CLEAN_SHUTDOWN_FILE, LOG_START_OFFSET_CHECKPOINT,
    RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT,
};
use crate::log::errors::codes;
use crate::log::manager::{LogManager, LogManagerOptions};

fn start(dirs: &[std::path::PathBuf], clock: SharedClock) -> Arc<LogManager> {
    LogManager::startup(
        dirs,
        LogConfig::default(),
        clock,
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions::default(),
    )
    .unwrap()
}

/// `LogManager.nextLogDirs`: a new partition goes to the dir with the fewest partitions;
/// `partition.metadata` records the topic id (KIP-516).
#[test]
fn new_partitions_spread_over_dirs_and_record_topic_id() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let dirs = vec![a.path().to_path_buf(), b.path().to_path_buf()];
    let m = start(&dirs, mock_clock());
    for p in 0..4 {
        m.get_or_create_log(
            &TopicPartition::new("t", p),
            LogConfig::default(),
            Some([9u8; 16]),
        )
        .unwrap();
    }
    let in_a = fs::read_dir(a.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    let in_b = fs::read_dir(b.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!((in_a, in_b), (2, 2));
    let log = m.get_log(&TopicPartition::new("t", 3)).unwrap();
    let meta = fs::read_to_string(log.dir().join("partition.metadata")).unwrap();
    assert!(meta.starts_with("version: 0\ntopic_id: "), "{meta}");
}

/// Logs are created outside the `logs` lock so one LeaderAndIsr creates its partitions in
/// parallel: placement still balances the dirs (logs being created count, as in
/// `LogManager.nextLogDirs`), and racing creators of one partition get the same log.
/// A new log's empty leader-epoch checkpoint exists (Kafka creates the file) and is empty.
#[test]
fn concurrent_creation_balances_dirs_and_shares_one_log() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let dirs = vec![a.path().to_path_buf(), b.path().to_path_buf()];
    let m = start(&dirs, mock_clock());
    let tps: Vec<TopicPartition> = (0..40).map(|p| TopicPartition::new("c", p)).collect();
    std::thread::scope(|s| {
        for chunk in tps.chunks(5) {
            let m = &m;
            s.spawn(move || {
                for tp in chunk {
                    m.get_or_create_log(tp, LogConfig::default(), Some([3u8; 16]))
                        .unwrap();
                }
            });
        }
    });
    let count = |d: &std::path::Path| {
        fs::read_dir(d)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count()
    };
    assert_eq!((count(a.path()), count(b.path())), (20, 20));
    let same = TopicPartition::new("same", 0);
    let logs: Vec<Arc<Log>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    m.get_or_create_log(&same, LogConfig::default(), None)
                        .unwrap()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(logs.iter().all(|l| Arc::ptr_eq(l, &logs[0])));
    let epochs = fs::read_to_string(logs[0].dir().join("leader-epoch-checkpoint")).unwrap();
    assert_eq!(epochs, "0\n0\n");
}

/// Clean shutdown (`LogManager.shutdown`): every checkpoint file and `.kafka_cleanshutdown`
/// are written; the next startup removes the marker, skips recovery and restores offsets.
#[test]
fn shutdown_writes_checkpoints_and_marker_and_restart_restores() {
    let a = tempfile::tempdir().unwrap();
    let dirs = vec![a.path().to_path_buf()];
    let clock = mock_clock();
    let m = start(&dirs, clock.clone());
    let tp = TopicPartition::new("orders", 2);
    let log = m.get_or_create_log(&tp, small_config(), None).unwrap();
    for i in 0..20 {
        log.append_as_leader(&values_batch("x", 2, T0 + i), 0)
            .unwrap();
    }
    log.update_high_watermark(30);
    log.delete_records_before(4).unwrap();
    m.shutdown_blocking();
    assert!(a.path().join(CLEAN_SHUTDOWN_FILE).exists());
    let read = |n: &str| OffsetCheckpointFile::new(a.path().join(n)).read().unwrap();
    assert_eq!(read(RECOVERY_POINT_CHECKPOINT).get(&tp), Some(&40));
    assert_eq!(read(LOG_START_OFFSET_CHECKPOINT).get(&tp), Some(&4));
    assert_eq!(read(REPLICATION_OFFSET_CHECKPOINT).get(&tp), Some(&30));
    drop(log);
    drop(m);
    let mut topic_configs = BTreeMap::new();
    topic_configs.insert("orders".to_string(), small_config());
    let m = LogManager::startup(
        &dirs,
        LogConfig::default(),
        clock,
        Arc::new(LogDirFailureChannel::new()),
        LogManagerOptions {
            topic_configs,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!a.path().join(CLEAN_SHUTDOWN_FILE).exists());
    assert_eq!(m.load_report(&tp).unwrap().segments_recovered, 0);
    let log = m.get_log(&tp).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.high_watermark()
        ),
        (4, 40, 30)
    );
}

/// `LogManager.asyncDelete`: the dir is renamed `<tp>.<uuid>-delete`, then removed after
/// file.delete.delay.ms; a restart finishes an interrupted deletion.
#[test]
fn async_delete_renames_then_removes() {
    let a = tempfile::tempdir().unwrap();
    let clock = mock_clock();
    let m = start(&[a.path().to_path_buf()], clock.clone());
    let tp = TopicPartition::new("gone", 0);
    let log = m
        .get_or_create_log(&tp, LogConfig::default(), None)
        .unwrap();
    log.append_as_leader(&values_batch("x", 2, T0), 0).unwrap();
    m.async_delete(&tp).unwrap().unwrap();
    assert!(m.get_log(&tp).is_none());
    let names: Vec<String> = fs::read_dir(a.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let renamed = names
        .iter()
        .find(|n| n.starts_with("gone-0.") && n.ends_with("-delete"))
        .expect("renamed dir");
    assert_eq!(renamed.len(), "gone-0.".len() + 32 + "-delete".len());
    m.delete_pending_dirs();
    assert!(a.path().join(renamed).exists());
    clock.advance_ms(60_000);
    m.delete_pending_dirs();
    assert!(!a.path().join(renamed).exists());
}

/// Disk full → the dir goes offline (Kafka `LogDirFailureChannel`, `KafkaStorageException`):
/// the failing append answers KAFKA_STORAGE_ERROR (56), the dir is reported once on the channel,
/// later reads also answer 56, and the batches acknowledged before stay intact on disk.
/// Uses a 256 KiB tmpfs; skipped (with a printed reason) where mounting is not permitted.
#[test]
fn disk_full_takes_the_dir_offline_without_damaging_acknowledged_data() {
    let root = tempfile::tempdir().unwrap();
    let mnt = root.path().join("tiny");
    fs::create_dir_all(&mnt).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "SKIPPED disk_full test: cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)"
        );
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let failure = Arc::new(LogDirFailureChannel::new());
    let mut rx = failure.take_receiver().unwrap();
    let m = LogManager::startup(
        std::slice::from_ref(&mnt),
        LogConfig::default(),
        mock_clock(),
        failure.clone(),
        LogManagerOptions::default(),
    )
    .unwrap();
    let tp = TopicPartition::new("full", 0);
    let log = m
        .get_or_create_log(&tp, LogConfig::default(), None)
        .unwrap();
    let batch = values_batch(&"p".repeat(1000), 10, T0);
    let mut acked = 0i64;
    let err = loop {
        match log.append_as_leader(&batch, 0) {
            Ok(info) => acked = info.last_offset + 1,
            Err(e) => break e,
        }
        assert!(acked < 10_000, "tmpfs never filled");
    };
    assert_eq!(err.error_code(), codes::KAFKA_STORAGE_ERROR, "{err}");
    assert_eq!(rx.try_recv().unwrap(), mnt);
    assert!(rx.try_recv().is_err());
    assert_eq!(
        log.read(0, 1000, None, true).unwrap_err().error_code(),
        codes::KAFKA_STORAGE_ERROR
    );
    assert_eq!(
        log.append_as_leader(&batch, 0).unwrap_err().error_code(),
        codes::KAFKA_STORAGE_ERROR
    );
    assert_eq!(m.handle_log_dir_failure(&mnt), vec![tp]);
    // Every acknowledged record is intact in the .log file (a torn tail, if any, follows it).
    let bytes = fs::read(log.dir().join("00000000000000000000.log")).unwrap();
    let mut pos = 0;
    let mut seen = 0i64;
    for item in crate::protocol::record_batch::BatchIter::new(&bytes) {
        let Ok((_, h)) = item else { break };
        if h.ensure_valid(0).is_err() {
            break;
        }
        seen = h.next_offset();
        pos += h.size_in_bytes();
    }
    assert!(pos > 0);
    assert_eq!(seen, acked);
}

/// The background jobs (Kafka's `kafka-log-retention`, flusher, checkpoint tasks) run on the
/// tokio runtime and `shutdown` stops them, then writes checkpoints and the clean marker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_jobs_run_and_shutdown_is_clean() {
    let a = tempfile::tempdir().unwrap();
    let opts = LogManagerOptions {
        retention_check_interval_ms: 20,
        high_watermark_checkpoint_interval_ms: 20,
        recovery_point_checkpoint_interval_ms: 20,
        log_start_offset_checkpoint_interval_ms: 20,
        cleaner_backoff_ms: 20,
        initial_task_delay_ms: 0,
        ..Default::default()
    };
    let m = LogManager::startup(
        &[a.path().to_path_buf()],
        LogConfig::default(),
        crate::time::SystemClock::shared(),
        Arc::new(LogDirFailureChannel::new()),
        opts,
    )
    .unwrap();
    let tp = TopicPartition::new("bg", 0);
    let log = m
        .get_or_create_log(&tp, LogConfig::default(), None)
        .unwrap();
    log.append_as_leader(&values_batch("x", 3, T0), 0).unwrap();
    log.update_high_watermark(3);
    m.start_background();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The high-watermark checkpoint job has run on its own.
    let hw = OffsetCheckpointFile::new(a.path().join(REPLICATION_OFFSET_CHECKPOINT))
        .read()
        .unwrap();
    assert_eq!(hw.get(&tp), Some(&3));
    m.shutdown().await;
    assert!(a.path().join(CLEAN_SHUTDOWN_FILE).exists());
}

/// An injected I/O error (the partition directory vanishes, so rolling a segment fails with
/// ENOENT) takes the log dir offline exactly like disk full: KAFKA_STORAGE_ERROR for the append
/// and every later operation, one notification on the failure channel, and the manager stops
/// writing checkpoints there. Works without root, unlike the tmpfs test.
#[test]
fn injected_io_error_takes_the_dir_offline() {
    let a = tempfile::tempdir().unwrap();
    let failure = Arc::new(LogDirFailureChannel::new());
    let mut rx = failure.take_receiver().unwrap();
    let m = LogManager::startup(
        &[a.path().to_path_buf()],
        LogConfig::default(),
        mock_clock(),
        failure.clone(),
        LogManagerOptions::default(),
    )
    .unwrap();
    let tp = TopicPartition::new("eio", 0);
    let log = m.get_or_create_log(&tp, small_config(), None).unwrap();
    let first = log.append_as_leader(&values_batch("ok", 2, T0), 0).unwrap();
    assert_eq!(first.first_offset, 0);
    fs::remove_dir_all(log.dir()).unwrap();
    let err = loop {
        match log.append_as_leader(&values_batch("more", 4, T0), 0) {
            Ok(_) => assert!(log.log_end_offset() < 1000, "roll never happened"),
            Err(e) => break e,
        }
    };
    assert_eq!(err.error_code(), codes::KAFKA_STORAGE_ERROR, "{err}");
    assert_eq!(rx.try_recv().unwrap(), a.path().to_path_buf());
    assert!(failure.is_offline(a.path()));
    assert_eq!(
        log.fetch_offset_by_timestamp(-1).unwrap_err().error_code(),
        codes::KAFKA_STORAGE_ERROR
    );
    assert!(m.live_dirs().is_empty());
    // No checkpoint is written into an offline dir.
    m.checkpoint_high_watermarks();
    assert!(!a.path().join(REPLICATION_OFFSET_CHECKPOINT).exists());
    assert!(m
        .get_or_create_log(&TopicPartition::new("eio", 1), LogConfig::default(), None)
        .is_err());
}
