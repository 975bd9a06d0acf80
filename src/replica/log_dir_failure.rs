//! The broker's reaction to a failed log directory (disk full, I/O error): stop serving its
//! partitions, halt when no log directory is left, and tell the controller through
//! `/log_dir_event_notification/log_dir_event_<seq>`.
//!
//! Kafka: `ReplicaManager.LogDirFailureHandler` (a thread taking dirs off
//! `LogDirFailureChannel`), `ReplicaManager.handleLogDirFailure`, `LogManager.handleLogDirFailure`
//! ("Shutdown broker because all log dirs in ... have failed" → `Exit.halt(1)`), and
//! `KafkaZkClient.propagateLogDirEvent` (ZooKeeper mode). With IBP ≥ 1.0 the broker does not halt
//! on the first failed dir (`haltBrokerOnDirFailure` is false).
//!
//! Order, as Kafka does it: partitions offline (KAFKA_STORAGE_ERROR to clients, fetchers
//! stopped) → the log manager drops the dir (halt if it was the last) → the notification znode.
//! The controller then sends LeaderAndIsr for all of this broker's replicas; the broker answers
//! KAFKA_STORAGE_ERROR for the ones in the failed dir, which the controller marks offline
//! (semantics doc §1.1; layout doc §2.15).

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;
use zookeeper_client::CreateMode;

use super::replica_manager::ReplicaManager;
use crate::zk::znodes::LogDirEventNotificationSequenceZNode;
use crate::zk::{KafkaZkClient, ZkError};

/// What to do when every log dir has failed. The broker passes `std::process::exit` (Kafka:
/// `Exit.halt(1)`: no orderly shutdown, the data on disk stays as it was).
pub type Halt = Arc<dyn Fn(i32) + Send + Sync>;

/// Writes `/log_dir_event_notification/log_dir_event_<seq>` = `{"version":1,"broker":<id>,"event":1}`
/// (persistent-sequential). Returns the created path. Kafka: `KafkaZkClient.propagateLogDirEvent`.
pub async fn propagate_log_dir_event(
    zk: &KafkaZkClient,
    broker_id: i32,
) -> Result<String, ZkError> {
    let path = LogDirEventNotificationSequenceZNode::path("");
    let data = LogDirEventNotificationSequenceZNode::encode(broker_id);
    let options = zk.create_options(CreateMode::PersistentSequential, &path);
    let seq = zk
        .retry_until_connected("create", &path, |c, _| {
            let (path, data, options) = (&path, &data, &options);
            async move { c.create(path, data, options).await.map(|(_, seq)| seq) }
        })
        .await?;
    Ok(format!("{path}{seq}"))
}

/// Handles one failed dir. Returns false when the broker must halt (no live log dir left).
pub fn take_dir_offline(replica_manager: &ReplicaManager, dir: &std::path::Path) -> bool {
    tracing::warn!(dir = %dir.display(), "Stopping serving replicas in dir because the log directory has failed");
    replica_manager.handle_log_dir_failure(dir);
    !replica_manager.log_manager().live_dirs().is_empty()
}

/// Runs the failure handler until the channel closes: each failed dir is taken offline, then
/// either the broker halts (last dir) or the controller is notified.
/// Kafka: `LogDirFailureHandler.doWork`.
pub fn start(
    mut failed_dirs: mpsc::UnboundedReceiver<PathBuf>,
    replica_manager: Arc<ReplicaManager>,
    zk: Arc<KafkaZkClient>,
    broker_id: i32,
    halt: Halt,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(dir) = failed_dirs.recv().await {
            let rm = replica_manager.clone();
            let d = dir.clone();
            let live = tokio::task::spawn_blocking(move || take_dir_offline(&rm, &d))
                .await
                .unwrap_or(false);
            if !live {
                let all: Vec<String> = replica_manager
                    .log_manager()
                    .log_dirs()
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect();
                tracing::error!(
                    "Shutdown broker because all log dirs in {} have failed",
                    all.join(", ")
                );
                halt(1);
                return;
            }
            match propagate_log_dir_event(&zk, broker_id).await {
                Ok(path) => tracing::warn!(dir = %dir.display(), znode = %path,
                    "Stopped serving replicas in dir; notified the controller"),
                Err(e) => tracing::error!(dir = %dir.display(), error = %e,
                    "could not write the log dir event notification"),
            }
        }
    })
}
