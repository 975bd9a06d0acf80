//! Every broker applies topic config changes announced under `/config/changes`.
//!
//! Kafka: `kafka.server.ZkConfigManager` with `ZkNodeChangeNotificationListener` (child watch on
//! `/config/changes`, notifications processed in sequence order, all of them replayed at
//! startup, notifications older than 15 minutes purged by any broker) and `TopicConfigHandler`
//! (re-read `/config/topics/<t>` and update the config of every local log of the topic). Layout
//! doc §2.9, §9. Only `topics/...` entities are handled here; other entity types (users,
//! clients, brokers, ips) are skipped with a debug line.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::log::manager::LogManager;
use crate::zk::client::ZNodeChildChangeHandler;
use crate::zk::znodes::{
    ConfigEntityChangeNotificationSequenceZNode, ConfigEntityChangeNotificationZNode,
    ConfigEntityZNode, ConfigType,
};
use crate::zk::{KafkaZkClient, SessionEvent, ZkError};

/// Notifications older than this are deleted. Kafka: `ZkConfigManager.changeExpirationMs`.
pub const CHANGE_EXPIRATION_MS: i64 = 15 * 60 * 1000;

const STATE_HANDLER_NAME: &str = "topic-config-change-listener";

/// The running listener; dropping it does not stop it, [`Self::shutdown`] does.
pub struct TopicConfigChangeListener {
    zk: Arc<KafkaZkClient>,
    task: JoinHandle<()>,
}

/// Wakes the listener task on a child change (the handler only notifies, as Kafka's only
/// enqueues).
struct ChangeHandler(Arc<Notify>);

impl ZNodeChildChangeHandler for ChangeHandler {
    fn path(&self) -> String {
        ConfigEntityChangeNotificationZNode::PATH.to_string()
    }
    fn handle_child_change(&self) {
        self.0.notify_one();
    }
    fn owner(&self) -> &'static str {
        "topic_config_listener"
    }
}

impl TopicConfigChangeListener {
    /// Registers the watch and starts processing (everything present is replayed first).
    pub fn start(
        zk: Arc<KafkaZkClient>,
        log_manager: Arc<LogManager>,
    ) -> TopicConfigChangeListener {
        let notify = Arc::new(Notify::new());
        zk.register_znode_child_change_handler(Arc::new(ChangeHandler(Arc::clone(&notify))));
        {
            let notify = Arc::clone(&notify);
            zk.register_state_change_handler(
                STATE_HANDLER_NAME,
                Arc::new(move |e| {
                    if e == SessionEvent::Reinitialized {
                        notify.notify_one();
                    }
                }),
            );
        }
        let task = {
            let zk = Arc::clone(&zk);
            tokio::spawn(async move {
                let mut last_processed: i64 = -1;
                loop {
                    match process_notifications(&zk, &log_manager, &mut last_processed).await {
                        Ok(()) => {}
                        Err(ZkError::Closed) => return,
                        Err(e) => tracing::warn!("Processing config change notifications: {e}"),
                    }
                    notify.notified().await;
                }
            })
        };
        TopicConfigChangeListener { zk, task }
    }

    /// Stops the listener and removes its handlers.
    pub fn shutdown(self) {
        self.zk
            .unregister_znode_child_change_handler(ConfigEntityChangeNotificationZNode::PATH);
        self.zk.unregister_state_change_handler(STATE_HANDLER_NAME);
        self.task.abort();
    }
}

/// Kafka: `ZkNodeChangeNotificationListener.processNotifications`.
async fn process_notifications(
    zk: &KafkaZkClient,
    log_manager: &LogManager,
    last_processed: &mut i64,
) -> Result<(), ZkError> {
    let children = zk
        .get_children(ConfigEntityChangeNotificationZNode::PATH, true)
        .await?
        .unwrap_or_default();
    let mut sequenced: Vec<(i64, String)> = children
        .into_iter()
        .filter_map(|c| {
            let n = c
                .strip_prefix(ConfigEntityChangeNotificationSequenceZNode::SEQUENCE_NUMBER_PREFIX)?
                .parse::<i64>()
                .ok()?;
            Some((n, c))
        })
        .collect();
    sequenced.sort();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    for (n, child) in sequenced {
        let path = format!("{}/{child}", ConfigEntityChangeNotificationZNode::PATH);
        if n > *last_processed {
            if let Some((bytes, _)) = zk.get_data(&path, false).await? {
                match ConfigEntityChangeNotificationSequenceZNode::decode(&path, &bytes) {
                    Ok(notification) if notification.entity_type() == ConfigType::TOPIC => {
                        let topic = &notification.entity_path[ConfigType::TOPIC.len() + 1..];
                        apply_topic_config(zk, log_manager, topic).await?;
                    }
                    Ok(notification) => tracing::debug!(
                        "Config change for {} is not handled by the topic config listener",
                        notification.entity_path
                    ),
                    Err(e) => tracing::warn!("Ignoring config change notification {path}: {e}"),
                }
            }
            *last_processed = n;
        }
        // Kafka: purgeObsoleteNotifications — any broker deletes expired ones.
        if let Some(stat) = zk.exists(&path, false).await? {
            if now_ms - stat.ctime > CHANGE_EXPIRATION_MS {
                let _ = zk.delete(&path, None).await;
            }
        }
    }
    Ok(())
}

/// Kafka: `TopicConfigHandler.processConfigChanges` — the topic's overrides over the broker's
/// log defaults become the config of each of its local logs.
async fn apply_topic_config(
    zk: &KafkaZkClient,
    log_manager: &LogManager,
    topic: &str,
) -> Result<(), ZkError> {
    let path = ConfigEntityZNode::path(ConfigType::TOPIC, topic);
    let overrides: BTreeMap<String, String> = match zk.get_data(&path, false).await? {
        Some((bytes, _)) => match ConfigEntityZNode::decode(&path, &bytes) {
            Ok(kv) => kv.into_iter().collect(),
            Err(e) => {
                tracing::warn!("Ignoring unreadable {path}: {e}");
                return Ok(());
            }
        },
        None => BTreeMap::new(),
    };
    let config = match log_manager.base_config().with_overrides(&overrides) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("Ignoring the new configuration of topic {topic}: {e}");
            return Ok(());
        }
    };
    let mut updated = 0;
    for log in log_manager.all_logs() {
        if log.topic_partition().topic == topic {
            log.update_config(config.clone());
            updated += 1;
        }
    }
    if updated > 0 {
        tracing::info!("Processed config change for topic {topic}: {overrides:?} ({updated} logs)");
    }
    Ok(())
}
