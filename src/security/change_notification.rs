//! A listener on a change-notification root (`/config/changes`, `/kafka-acl-changes`,
//! `/kafka-acl-extended-changes`): every broker child-watches the root and processes each new
//! sequential child once.
//!
//! Kafka: `kafka.common.ZkNodeChangeNotificationListener` — on start, on every child change and
//! on session re-initialisation, list the children, sort by name, process those whose sequence
//! number (`name.substring(prefix.length).toLong`) is above the last processed (starting at -1,
//! so all are replayed at startup), then delete notifications older than
//! `changeExpirationMs` = 15 minutes (any broker may purge them).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::network::BoxFuture;
use crate::zk::client::ZNodeChildChangeHandler;
use crate::zk::{KafkaZkClient, SessionEvent};

/// Kafka: `ZkNodeChangeNotificationListener.changeExpirationMs` default (15 minutes).
pub const CHANGE_EXPIRATION_MS: i64 = 15 * 60 * 1000;

/// What to do with one notification's payload (`None` when the znode vanished in between).
pub trait NotificationHandler: Send + Sync + 'static {
    fn process_notification(&self, data: Option<Vec<u8>>) -> BoxFuture<'_, ()>;
}

struct ChildWatch {
    root: String,
    wake: mpsc::UnboundedSender<()>,
}

impl ZNodeChildChangeHandler for ChildWatch {
    fn path(&self) -> String {
        self.root.clone()
    }
    fn handle_child_change(&self) {
        let _ = self.wake.send(());
    }
}

/// A running listener; [`ChangeNotificationListener::close`] stops it.
pub struct ChangeNotificationListener {
    root: String,
    zk: Arc<KafkaZkClient>,
    task: JoinHandle<()>,
    /// Highest sequence number processed; shared with the task (for tests and logging).
    last_processed: Arc<AtomicI64>,
}

impl ChangeNotificationListener {
    /// Registers the child watch and processes everything already there, then keeps going in a
    /// background task. Kafka: `ZkNodeChangeNotificationListener.init`.
    pub async fn start(
        zk: Arc<KafkaZkClient>,
        root: &str,
        prefix: &str,
        handler: Arc<dyn NotificationHandler>,
    ) -> ChangeNotificationListener {
        let (wake_tx, mut wake_rx) = mpsc::unbounded_channel::<()>();
        zk.register_znode_child_change_handler(Arc::new(ChildWatch {
            root: root.to_string(),
            wake: wake_tx.clone(),
        }));
        let state_wake = wake_tx.clone();
        zk.register_state_change_handler(
            &format!("change-notification:{root}"),
            Arc::new(move |e| {
                if e == SessionEvent::Reinitialized {
                    let _ = state_wake.send(());
                }
            }),
        );
        let last_processed = Arc::new(AtomicI64::new(-1));
        // The first round runs before `start` returns, so a broker serves requests only after
        // its caches hold what ZooKeeper held at startup.
        process_notifications(&zk, root, prefix, handler.as_ref(), &last_processed).await;
        let task = {
            let zk = zk.clone();
            let root = root.to_string();
            let prefix = prefix.to_string();
            let last = last_processed.clone();
            tokio::spawn(async move {
                while wake_rx.recv().await.is_some() {
                    // Coalesce a burst of wake-ups into one listing.
                    while wake_rx.try_recv().is_ok() {}
                    process_notifications(&zk, &root, &prefix, handler.as_ref(), &last).await;
                }
            })
        };
        ChangeNotificationListener {
            root: root.to_string(),
            zk,
            task,
            last_processed,
        }
    }

    pub fn last_processed(&self) -> i64 {
        self.last_processed.load(Ordering::Relaxed)
    }

    pub fn close(&self) {
        self.zk.unregister_znode_child_change_handler(&self.root);
        self.zk
            .unregister_state_change_handler(&format!("change-notification:{}", self.root));
        self.task.abort();
    }
}

impl Drop for ChangeNotificationListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Kafka: `ZkNodeChangeNotificationListener.processNotifications` + `purgeObsoleteNotifications`.
async fn process_notifications(
    zk: &KafkaZkClient,
    root: &str,
    prefix: &str,
    handler: &dyn NotificationHandler,
    last_processed: &AtomicI64,
) {
    let children = loop {
        match zk.get_children(root, true).await {
            Ok(c) => break c.unwrap_or_default(),
            Err(crate::zk::ZkError::Closed) => return,
            Err(e) => {
                tracing::warn!("Error processing notifications under {root}: {e}; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut children: Vec<(i64, String)> = children
        .into_iter()
        .filter_map(|c| {
            let seq = c.strip_prefix(prefix)?.parse::<i64>().ok()?;
            Some((seq, c))
        })
        .collect();
    children.sort();
    let now = now_ms();
    for (seq, name) in children {
        let path = format!("{root}/{name}");
        let read = zk.get_data(&path, false).await;
        if seq > last_processed.load(Ordering::Relaxed) {
            let data = match &read {
                Ok(Some((d, _))) => Some(d.clone()),
                _ => None,
            };
            handler.process_notification(data).await;
            last_processed.store(seq, Ordering::Relaxed);
        }
        if let Ok(Some((_, stat))) = read {
            if now - stat.ctime > CHANGE_EXPIRATION_MS {
                tracing::debug!("Purging obsolete notification {path}");
                let _ = zk.delete(&path, None).await;
            }
        }
    }
}
