//! `LogManager`: every partition log on this broker, spread across `log.dirs`, plus the
//! background work (retention, flush, checkpoints, cleaner, delayed deletes) and clean shutdown.
//! Kafka: `LogManager.scala`.
//!
//! Channels / tasks: `start_background` spawns one tokio task per periodic job; each does its
//! blocking file work in `spawn_blocking` and stops when `shutdown` flips `stop` and notifies
//! `stop_notify`. I/O errors take the affected dir offline via the `LogDirFailureChannel`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use super::checkpoint::{
    write_partition_metadata, OffsetCheckpointFile, CLEANER_OFFSET_CHECKPOINT, CLEAN_SHUTDOWN_FILE,
    LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, REPLICATION_OFFSET_CHECKPOINT,
};
use super::config::LogConfig;
use super::dir_failure::LogDirFailureChannel;
use super::errors::LogError;
use super::loader::{LoadParams, LoadReport};
use super::unified_log::Log;
use crate::cluster::TopicPartition;
use crate::time::SharedClock;

/// Kafka's suffix for a partition directory awaiting deletion. Kafka: `LocalLog.DeleteDirSuffix`.
pub const DELETE_DIR_SUFFIX: &str = "-delete";
/// Kafka: `LocalLog.FutureDirSuffix` (alter-log-dirs copies; not supported here, skipped on load).
pub const FUTURE_DIR_SUFFIX: &str = "-future";

/// Broker-level settings of the log manager (KafkaConfig names in the field docs).
#[derive(Debug, Clone)]
pub struct LogManagerOptions {
    /// `log.retention.check.interval.ms` (300000).
    pub retention_check_interval_ms: u64,
    /// `log.flush.scheduler.interval.ms` (Long.MAX: flush only via flush.ms/flush.messages); we
    /// poll `flush.ms` at this cadence, capped to 1 s when unset.
    pub flush_check_interval_ms: u64,
    /// `log.flush.offset.checkpoint.interval.ms` (60000).
    pub recovery_point_checkpoint_interval_ms: u64,
    /// `log.flush.start.offset.checkpoint.interval.ms` (60000).
    pub log_start_offset_checkpoint_interval_ms: u64,
    /// `replica.high.watermark.checkpoint.interval.ms` (5000).
    pub high_watermark_checkpoint_interval_ms: u64,
    /// `log.cleaner.enable` (true) and `log.cleaner.backoff.ms` (15000).
    pub cleaner_enable: bool,
    pub cleaner_backoff_ms: u64,
    /// Per-topic configs (base config + `/config/topics/<t>` overrides) for logs found on disk.
    pub topic_configs: BTreeMap<String, LogConfig>,
    /// `log.initial.task.delay.ms` (30000): delay before the first retention, flush,
    /// checkpoint and delete-logs run. Kafka: `LogManager.startupWithConfigOverrides`
    /// (`initialTaskDelayMs`); the cleaner and the HW checkpoint start without it.
    pub initial_task_delay_ms: u64,
}

impl Default for LogManagerOptions {
    fn default() -> Self {
        LogManagerOptions {
            retention_check_interval_ms: 300_000,
            flush_check_interval_ms: 1_000,
            recovery_point_checkpoint_interval_ms: 60_000,
            log_start_offset_checkpoint_interval_ms: 60_000,
            high_watermark_checkpoint_interval_ms: 5_000,
            cleaner_enable: true,
            cleaner_backoff_ms: 15_000,
            topic_configs: BTreeMap::new(),
            initial_task_delay_ms: 30_000,
        }
    }
}

/// All logs of this broker.
#[derive(Debug)]
pub struct LogManager {
    log_dirs: Vec<PathBuf>,
    base_config: RwLock<LogConfig>,
    clock: SharedClock,
    failure: Arc<LogDirFailureChannel>,
    logs: RwLock<BTreeMap<TopicPartition, Arc<Log>>>,
    /// Logs being created outside the `logs` lock, with the log dir chosen for each: counted
    /// when placing the next new log, and a second creator of the same partition waits.
    creating: Mutex<HashMap<TopicPartition, PathBuf>>,
    options: LogManagerOptions,
    /// Partition dirs renamed `-delete`, removed after `file.delete.delay.ms`: (due ms, dir).
    pending_dir_deletes: Mutex<Vec<(i64, PathBuf)>>,
    /// Recovery reports from startup, for logs/tests.
    load_reports: Mutex<BTreeMap<TopicPartition, LoadReport>>,
    stop: Arc<AtomicBool>,
    stop_notify: Arc<tokio::sync::Notify>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// Parses `<topic>-<partition>` (the partition is after the last `-`). Kafka: `UnifiedLog.parseTopicPartitionName`.
pub fn parse_topic_partition_dir(name: &str) -> Option<TopicPartition> {
    let (topic, part) = name.rsplit_once('-')?;
    if topic.is_empty() || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(TopicPartition::new(topic, part.parse().ok()?))
}

impl LogManager {
    /// Opens every log dir, loads every partition found (recovering unless the dir's
    /// `.kafka_cleanshutdown` marker was present; the marker is deleted before loading so a
    /// crash while loading counts as unclean). Dirs that cannot be opened start offline.
    /// Kafka: `LogManager.startup` → `loadLogs`.
    pub fn startup(
        log_dirs: &[PathBuf],
        base_config: LogConfig,
        clock: SharedClock,
        failure: Arc<LogDirFailureChannel>,
        options: LogManagerOptions,
    ) -> Result<Arc<LogManager>, LogError> {
        let mgr = Arc::new(LogManager {
            log_dirs: log_dirs.to_vec(),
            base_config: RwLock::new(base_config),
            clock,
            failure,
            logs: RwLock::new(BTreeMap::new()),
            creating: Mutex::new(HashMap::new()),
            options,
            pending_dir_deletes: Mutex::new(Vec::new()),
            load_reports: Mutex::new(BTreeMap::new()),
            stop: Arc::new(AtomicBool::new(false)),
            stop_notify: Arc::new(tokio::sync::Notify::new()),
            tasks: Mutex::new(Vec::new()),
        });
        for dir in log_dirs {
            if let Err(e) = mgr.load_dir(dir) {
                tracing::error!(dir = %dir.display(), error = %e, "log directory failed at startup");
                mgr.failure.maybe_add_offline_log_dir(dir, &e.to_string());
            }
        }
        if mgr.live_dirs().is_empty() {
            return Err(LogError::KafkaStorage {
                partition: "-".into(),
                dir: log_dirs.first().cloned().unwrap_or_default(),
                reason: "no log directory is usable (Kafka shuts down when all log.dirs fail)"
                    .into(),
            });
        }
        Ok(mgr)
    }

    fn load_dir(&self, dir: &Path) -> Result<(), LogError> {
        let io =
            |what: &str, e: std::io::Error| LogError::io(format!("{what} {}", dir.display()), e);
        fs::create_dir_all(dir).map_err(|e| io("creating", e))?;
        let marker = dir.join(CLEAN_SHUTDOWN_FILE);
        let clean = marker.exists();
        if clean {
            fs::remove_file(&marker).map_err(|e| io("removing the clean shutdown marker in", e))?;
        }
        let read = |name: &str| {
            OffsetCheckpointFile::new(dir.join(name))
                .read()
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "ignoring unreadable checkpoint");
                    BTreeMap::new()
                })
        };
        let recovery = read(RECOVERY_POINT_CHECKPOINT);
        let starts = read(LOG_START_OFFSET_CHECKPOINT);
        let hws = read(REPLICATION_OFFSET_CHECKPOINT);
        let cleaned = read(CLEANER_OFFSET_CHECKPOINT);
        let now = self.clock.milliseconds();
        for entry in fs::read_dir(dir).map_err(|e| io("listing", e))? {
            let entry = entry.map_err(|e| io("listing", e))?;
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(DELETE_DIR_SUFFIX) {
                // A deletion interrupted by the restart: finish it. Kafka: `loadLogs` → `addLogToBeDeleted`.
                self.pending_dir_deletes
                    .lock()
                    .expect("pending dir deletes lock poisoned")
                    .push((now, entry.path()));
                continue;
            }
            if name.ends_with(FUTURE_DIR_SUFFIX) {
                continue;
            }
            let Some(tp) = parse_topic_partition_dir(&name) else {
                continue;
            };
            let config = self.config_for(&tp.topic);
            let params = LoadParams {
                tp: tp.clone(),
                dir: entry.path(),
                parent_dir: dir.to_path_buf(),
                config,
                clock: self.clock.clone(),
                failure: self.failure.clone(),
                recovery_point: recovery.get(&tp).copied().unwrap_or(0),
                log_start_offset: starts.get(&tp).copied(),
                high_watermark: hws.get(&tp).copied(),
                had_clean_shutdown: clean,
                topic_id: None,
            };
            let (log, report) = Log::load(params)?;
            if let Some(&o) = cleaned.get(&tp) {
                log.set_cleaner_checkpoint(o);
            }
            self.load_reports
                .lock()
                .expect("load reports lock poisoned")
                .insert(tp.clone(), report);
            self.logs
                .write()
                .expect("logs lock poisoned")
                .insert(tp, log);
        }
        Ok(())
    }

    fn config_for(&self, topic: &str) -> LogConfig {
        self.options
            .topic_configs
            .get(topic)
            .cloned()
            .unwrap_or_else(|| self.base_config())
    }

    pub fn base_config(&self) -> LogConfig {
        self.base_config
            .read()
            .expect("config lock poisoned")
            .clone()
    }

    /// Replaces the base config (dynamic broker config); existing logs keep theirs.
    pub fn set_base_config(&self, config: LogConfig) {
        *self.base_config.write().expect("config lock poisoned") = config;
    }

    /// Every configured log dir (`log.dirs`), online or not.
    pub fn log_dirs(&self) -> &[PathBuf] {
        &self.log_dirs
    }

    /// Configured dirs that are not offline.
    pub fn live_dirs(&self) -> Vec<PathBuf> {
        self.log_dirs
            .iter()
            .filter(|d| !self.failure.is_offline(d))
            .cloned()
            .collect()
    }

    pub fn failure_channel(&self) -> &Arc<LogDirFailureChannel> {
        &self.failure
    }

    /// The startup recovery report of a partition.
    pub fn load_report(&self, tp: &TopicPartition) -> Option<LoadReport> {
        self.load_reports
            .lock()
            .expect("load reports lock poisoned")
            .get(tp)
            .cloned()
    }

    pub fn get_log(&self, tp: &TopicPartition) -> Option<Arc<Log>> {
        self.logs
            .read()
            .expect("logs lock poisoned")
            .get(tp)
            .cloned()
    }

    pub fn all_logs(&self) -> Vec<Arc<Log>> {
        self.logs
            .read()
            .expect("logs lock poisoned")
            .values()
            .cloned()
            .collect()
    }

    /// The existing log, or a new one in the live dir with the fewest partitions (Kafka:
    /// `LogManager.nextLogDirs`). Writes `partition.metadata` when a topic id is given.
    /// Kafka: `LogManager.getOrCreateLog`.
    pub fn get_or_create_log(
        &self,
        tp: &TopicPartition,
        config: LogConfig,
        topic_id: Option<[u8; 16]>,
    ) -> Result<Arc<Log>, LogError> {
        loop {
            if let Some(l) = self.existing_log_with_topic_id(tp, topic_id)? {
                return Ok(l);
            }
            match self.reserve_log_dir(tp)? {
                Some(parent) => {
                    let created = self.create_log(tp, &parent, config, topic_id);
                    self.creating
                        .lock()
                        .expect("creating lock poisoned")
                        .remove(tp);
                    return created;
                }
                // Another thread is creating this partition's log: use it once it is there.
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }

    /// The hosted log, recording `topic_id` in `partition.metadata` if it had none.
    fn existing_log_with_topic_id(
        &self,
        tp: &TopicPartition,
        topic_id: Option<[u8; 16]>,
    ) -> Result<Option<Arc<Log>>, LogError> {
        let logs = self.logs.read().expect("logs lock poisoned");
        let Some(l) = logs.get(tp) else {
            return Ok(None);
        };
        if let (Some(id), None) = (topic_id, l.topic_id()) {
            write_partition_metadata(&l.dir(), &id)
                .map_err(|e| l.storage_error("writing partition.metadata", e))?;
            *l.topic_id.lock().expect("topic id lock poisoned") = Some(id);
        }
        Ok(Some(l.clone()))
    }

    /// Chooses the live log dir with the fewest partitions (counting logs being created) for a
    /// new log of `tp` and records the choice; `None` when `tp` is being created already.
    /// Kafka: `LogManager.nextLogDirs`.
    fn reserve_log_dir(&self, tp: &TopicPartition) -> Result<Option<PathBuf>, LogError> {
        let mut creating = self.creating.lock().expect("creating lock poisoned");
        if creating.contains_key(tp) {
            return Ok(None);
        }
        let logs = self.logs.read().expect("logs lock poisoned");
        if logs.contains_key(tp) {
            // Created between the caller's look-up and now: the caller looks again.
            return Ok(None);
        }
        let parent = self
            .live_dirs()
            .into_iter()
            .min_by_key(|d| {
                logs.values()
                    .filter(|l| l.parent_dir() == d.as_path())
                    .count()
                    + creating.values().filter(|p| *p == d).count()
            })
            .ok_or_else(|| LogError::KafkaStorage {
                partition: tp.to_string(),
                dir: PathBuf::new(),
                reason: "no live log directory to create the log in".into(),
            })?;
        creating.insert(tp.clone(), parent.clone());
        Ok(Some(parent))
    }

    /// Creates (or loads, if its directory exists) the log of `tp` under `parent`. Runs outside
    /// the `logs` lock, so partitions of one LeaderAndIsr are created in parallel: a new log
    /// costs a directory, empty segment files and the fsynced `partition.metadata`.
    /// Kafka: `LogManager.getOrCreateLog`.
    fn create_log(
        &self,
        tp: &TopicPartition,
        parent: &Path,
        config: LogConfig,
        topic_id: Option<[u8; 16]>,
    ) -> Result<Arc<Log>, LogError> {
        let dir = parent.join(tp.to_string());
        let params = LoadParams {
            tp: tp.clone(),
            dir: dir.clone(),
            parent_dir: parent.to_path_buf(),
            config,
            clock: self.clock.clone(),
            failure: self.failure.clone(),
            recovery_point: 0,
            log_start_offset: None,
            high_watermark: None,
            had_clean_shutdown: true,
            topic_id,
        };
        let (log, _) = Log::load(params)?;
        if let Some(id) = topic_id {
            write_partition_metadata(&dir, &id)
                .map_err(|e| log.storage_error("writing partition.metadata", e))?;
        }
        tracing::info!(partition = %tp, dir = %parent.display(), "created log");
        self.logs
            .write()
            .expect("logs lock poisoned")
            .insert(tp.clone(), log.clone());
        Ok(log)
    }

    /// Removes the log: renames its dir to `<tp>.<uuid>-delete`, then deletes it after
    /// `file.delete.delay.ms` (background task). Kafka: `LogManager.asyncDelete`.
    pub fn async_delete(&self, tp: &TopicPartition) -> Result<Option<Arc<Log>>, LogError> {
        let Some(log) = self.logs.write().expect("logs lock poisoned").remove(tp) else {
            return Ok(None);
        };
        let _w = log.writer.lock().expect("writer lock poisoned");
        let old = log.dir();
        let unique = format!("{:032x}", rand::random::<u128>());
        let new = log
            .parent_dir()
            .join(format!("{tp}.{unique}{DELETE_DIR_SUFFIX}"));
        fs::rename(&old, &new)
            .map_err(|e| log.storage_error("renaming the log dir for deletion", e))?;
        *log.dir.write().expect("dir lock poisoned") = new.clone();
        for s in log.segments_snapshot() {
            s.set_dir(&new);
        }
        log.leader_epoch_cache().set_dir(&new);
        log.deleted.store(true, Ordering::Release);
        let due = self.clock.milliseconds() + log.config().file_delete_delay_ms.max(0);
        self.pending_dir_deletes
            .lock()
            .expect("pending dir deletes lock poisoned")
            .push((due, new.clone()));
        tracing::info!(partition = %tp, dir = %new.display(), "scheduled log for deletion");
        drop(_w);
        Ok(Some(log))
    }

    /// Removes `-delete` dirs whose delay has passed.
    pub fn delete_pending_dirs(&self) {
        let now = self.clock.milliseconds();
        let due: Vec<PathBuf> = {
            let mut p = self
                .pending_dir_deletes
                .lock()
                .expect("pending dir deletes lock poisoned");
            let (due, keep): (Vec<_>, Vec<_>) = p.drain(..).partition(|(t, _)| *t <= now);
            *p = keep;
            due.into_iter().map(|(_, d)| d).collect()
        };
        for d in due {
            if let Err(e) = fs::remove_dir_all(&d) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(dir = %d.display(), error = %e, "could not delete log dir");
                }
            }
        }
    }

    /// Logs in an offline dir are dropped from the manager; returns their partitions so the
    /// replica layer can mark them offline. Kafka: `LogManager.handleLogDirFailure`.
    pub fn handle_log_dir_failure(&self, dir: &Path) -> Vec<TopicPartition> {
        let mut logs = self.logs.write().expect("logs lock poisoned");
        let gone: Vec<TopicPartition> = logs
            .iter()
            .filter(|(_, l)| l.parent_dir() == dir)
            .map(|(tp, _)| tp.clone())
            .collect();
        for tp in &gone {
            logs.remove(tp);
        }
        gone
    }

    /// One retention pass over every log plus delayed file deletes. Kafka: `LogManager.cleanupLogs`.
    pub fn cleanup_logs(&self) -> usize {
        let mut n = 0;
        for log in self.all_logs() {
            match log.delete_old_segments() {
                Ok(k) => n += k,
                Err(e) => {
                    tracing::warn!(partition = %log.topic_partition(), error = %e, "retention failed")
                }
            }
            log.delete_pending_files();
        }
        self.delete_pending_dirs();
        n
    }

    /// Flushes logs whose `flush.ms` elapsed. Kafka: `LogManager.flushDirtyLogs`.
    pub fn flush_dirty_logs(&self) {
        for log in self.all_logs() {
            if let Err(e) = log.flush_if_due() {
                tracing::warn!(partition = %log.topic_partition(), error = %e, "flush failed");
            }
        }
    }

    fn write_checkpoint(&self, name: &str, value: impl Fn(&Log) -> i64) {
        for dir in self.live_dirs() {
            let offsets: BTreeMap<TopicPartition, i64> = self
                .all_logs()
                .iter()
                .filter(|l| l.parent_dir() == dir.as_path())
                .map(|l| (l.topic_partition().clone(), value(l)))
                .collect();
            if let Err(e) = OffsetCheckpointFile::new(dir.join(name)).write(&offsets) {
                self.failure
                    .maybe_add_offline_log_dir(&dir, &format!("writing {name}: {e}"));
            }
        }
    }

    /// Writes `recovery-point-offset-checkpoint` (after writing index entries so a clean load
    /// below the recovery point finds them). Kafka: `checkpointLogRecoveryOffsets`.
    pub fn checkpoint_recovery_offsets(&self) {
        for log in self.all_logs() {
            let _ = log.flush_indexes();
        }
        self.write_checkpoint(RECOVERY_POINT_CHECKPOINT, |l| l.recovery_point());
    }

    /// Writes `log-start-offset-checkpoint`. Kafka: `checkpointLogStartOffsets` (Kafka omits
    /// logs whose start equals their first segment base; we write every log, which reads the same).
    pub fn checkpoint_log_start_offsets(&self) {
        self.write_checkpoint(LOG_START_OFFSET_CHECKPOINT, |l| l.log_start_offset());
    }

    /// Writes `replication-offset-checkpoint` (high watermarks). Kafka: `ReplicaManager.checkpointHighWatermarks`.
    pub fn checkpoint_high_watermarks(&self) {
        self.write_checkpoint(REPLICATION_OFFSET_CHECKPOINT, |l| l.high_watermark());
    }

    /// Runs one compaction pass over compacted logs. Kafka: `LogCleaner` thread loop.
    pub fn run_cleaner_once(&self) -> usize {
        let mut cleaned = 0;
        for log in self.all_logs() {
            if log.config().compact() {
                match super::cleaner::clean_log(&log) {
                    Ok(stats) => cleaned += stats.records_removed,
                    Err(e) => {
                        tracing::warn!(partition = %log.topic_partition(), error = %e, "log cleaning failed")
                    }
                }
            }
        }
        if !self.options.cleaner_enable {
            return cleaned;
        }
        self.write_checkpoint(CLEANER_OFFSET_CHECKPOINT, |l| {
            super::cleaner::cleaner_checkpoint(l)
        });
        cleaned
    }

    /// Starts the periodic jobs on the current tokio runtime. Kafka: `LogManager.startupWithConfigOverrides` scheduling.
    pub fn start_background(self: &Arc<Self>) {
        type Job = fn(&LogManager);
        let o = &self.options;
        let delayed = Some(o.initial_task_delay_ms);
        // (name, first run after (None = one interval), interval, job)
        let mut jobs: Vec<(&'static str, Option<u64>, u64, Job)> = vec![
            (
                "kafka-log-retention",
                delayed,
                o.retention_check_interval_ms,
                |m| {
                    m.cleanup_logs();
                },
            ),
            (
                "kafka-log-flusher",
                delayed,
                o.flush_check_interval_ms,
                |m| m.flush_dirty_logs(),
            ),
            (
                "kafka-recovery-point-checkpoint",
                delayed,
                o.recovery_point_checkpoint_interval_ms,
                |m| m.checkpoint_recovery_offsets(),
            ),
            (
                "kafka-log-start-offset-checkpoint",
                delayed,
                o.log_start_offset_checkpoint_interval_ms,
                |m| m.checkpoint_log_start_offsets(),
            ),
            (
                "highwatermark-checkpoint",
                None,
                o.high_watermark_checkpoint_interval_ms,
                |m| m.checkpoint_high_watermarks(),
            ),
            ("kafka-delete-logs", delayed, 1_000, |m| {
                m.delete_pending_dirs()
            }),
        ];
        if o.cleaner_enable {
            jobs.push(("kafka-log-cleaner", None, o.cleaner_backoff_ms, |m| {
                m.run_cleaner_once();
            }));
        }
        let mut tasks = self.tasks.lock().expect("tasks lock poisoned");
        for (name, first_ms, interval_ms, job) in jobs {
            let mgr = Arc::downgrade(self);
            let stop = self.stop.clone();
            let notify = self.stop_notify.clone();
            let interval = Duration::from_millis(interval_ms.max(10));
            let mut wait = first_ms.map_or(interval, Duration::from_millis);
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = notify.notified() => {}
                    }
                    wait = interval;
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Some(m) = mgr.upgrade() else { break };
                    if tokio::task::spawn_blocking(move || job(&m)).await.is_err() {
                        tracing::error!(job = name, "log manager background job panicked");
                    }
                }
            }));
        }
    }

    /// Stops background jobs, closes (flushes) every log, writes all checkpoints and, in each
    /// dir where everything succeeded, the `.kafka_cleanshutdown` marker. Kafka: `LogManager.shutdown`.
    pub async fn shutdown(self: &Arc<Self>) {
        self.stop.store(true, Ordering::Release);
        self.stop_notify.notify_waiters();
        let tasks: Vec<_> = std::mem::take(&mut *self.tasks.lock().expect("tasks lock poisoned"));
        for t in tasks {
            let _ = t.await;
        }
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || me.shutdown_blocking()).await;
    }

    /// The blocking part of [`shutdown`](Self::shutdown), usable without a runtime.
    pub fn shutdown_blocking(&self) {
        self.stop.store(true, Ordering::Release);
        let mut failed_dirs: HashMap<PathBuf, bool> = HashMap::new();
        for log in self.all_logs() {
            if let Err(e) = log.close() {
                tracing::error!(partition = %log.topic_partition(), error = %e, "closing log failed");
                failed_dirs.insert(log.parent_dir().to_path_buf(), true);
            }
        }
        self.checkpoint_recovery_offsets();
        self.checkpoint_log_start_offsets();
        self.checkpoint_high_watermarks();
        for dir in self.live_dirs() {
            if failed_dirs.contains_key(&dir) {
                continue;
            }
            if let Err(e) = super::checkpoint::write_atomically(&dir.join(CLEAN_SHUTDOWN_FILE), b"")
            {
                tracing::error!(dir = %dir.display(), error = %e, "could not write the clean shutdown marker");
            }
        }
        tracing::info!("log manager shut down");
    }
}
