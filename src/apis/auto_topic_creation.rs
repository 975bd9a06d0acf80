//! The hook through which Metadata requests create unknown topics.
//!
//! Kafka: `kafka.server.AutoTopicCreationManager`. In ZooKeeper mode a broker creates the
//! topic itself (`/brokers/topics/<t>` and `/config/topics/<t>`, default partitions and
//! replication factor) and answers LEADER_NOT_AVAILABLE until the controller has elected
//! leaders and sent UpdateMetadata. The topic-lifecycle code implements this trait; without
//! it unknown topics get UNKNOWN_TOPIC_OR_PARTITION.

use super::super::network::{BoxFuture, RequestContext};

/// The outcome of auto-creating one topic, as Metadata reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoCreatedTopic {
    pub name: String,
    /// LEADER_NOT_AVAILABLE (5) when creation started or the topic exists already,
    /// INVALID_TOPIC_EXCEPTION (17) for an illegal name or an internal topic that cannot be
    /// created, or another Kafka error code (e.g. INVALID_REPLICATION_FACTOR when there are too
    /// few brokers, as Kafka's `AutoTopicCreationManager.createTopicsInZk` reports).
    pub error_code: i16,
}

/// Creates topics named in Metadata requests when `auto.create.topics.enable=true` and the
/// request allows it.
pub trait AutoTopicCreationManager: Send + Sync + 'static {
    /// Creates each topic in `topics` (none of which is in the metadata cache) and returns one
    /// result per topic.
    fn create_topics<'a>(
        &'a self,
        topics: &'a [String],
        context: &'a RequestContext,
    ) -> BoxFuture<'a, Vec<AutoCreatedTopic>>;
}

/// Kafka's ZooKeeper-mode auto-creation: the broker handling the Metadata request writes the
/// topic itself (timeout 0, no waiting) with `num.partitions` / `default.replication.factor`
/// (or the offsets topic's settings), and reports LEADER_NOT_AVAILABLE while the controller
/// elects leaders. A name already being created by another request of this broker is
/// UNKNOWN_TOPIC_OR_PARTITION; an illegal name INVALID_TOPIC_EXCEPTION.
///
/// Kafka: `DefaultAutoTopicCreationManager.createTopics`, `filterCreatableTopics`,
/// `createTopicsInZk`.
pub struct ZkAutoTopicCreationManager {
    admin_manager: std::sync::Arc<super::zk_admin_manager::ZkAdminManager>,
    /// Topics whose creation is in flight on this broker. Kafka: `inflightTopics`.
    inflight: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl ZkAutoTopicCreationManager {
    pub fn new(
        admin_manager: std::sync::Arc<super::zk_admin_manager::ZkAdminManager>,
    ) -> ZkAutoTopicCreationManager {
        ZkAutoTopicCreationManager {
            admin_manager,
            inflight: std::sync::Mutex::new(std::collections::HashSet::new()),
        }
    }

    async fn create(&self, topics: &[String]) -> Vec<AutoCreatedTopic> {
        /// Kafka error codes used here.
        const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
        const LEADER_NOT_AVAILABLE: i16 = 5;
        const INVALID_TOPIC_EXCEPTION: i16 = 17;
        const TOPIC_ALREADY_EXISTS: i16 = 36;
        let mut out = Vec::with_capacity(topics.len());
        let mut creatable = Vec::new();
        for topic in topics {
            let error = if !crate::admin::topic::is_valid(topic) {
                Some(INVALID_TOPIC_EXCEPTION)
            } else if !self
                .inflight
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(topic.clone())
            {
                Some(UNKNOWN_TOPIC_OR_PARTITION)
            } else {
                None
            };
            match error {
                Some(code) => out.push(AutoCreatedTopic {
                    name: topic.clone(),
                    error_code: code,
                }),
                None => creatable.push(self.admin_manager.creatable_topic(topic)),
            }
        }
        if creatable.is_empty() {
            return out;
        }
        let outcomes = self.admin_manager.create_topics(&creatable, false).await;
        {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            for t in &creatable {
                inflight.remove(&t.name);
            }
        }
        for o in outcomes {
            // Written (REQUEST_TIMED_OUT with timeout 0 in Kafka) or already there: the
            // controller has not elected leaders yet as far as this request knows.
            let code = match o.error_code {
                0 | TOPIC_ALREADY_EXISTS | super::zk_admin_manager::REQUEST_TIMED_OUT => {
                    LEADER_NOT_AVAILABLE
                }
                other => other,
            };
            if o.error_code == 0 {
                tracing::info!(
                    "Auto-created topic {} ({} partitions)",
                    o.name,
                    o.assignment.len()
                );
            }
            out.push(AutoCreatedTopic {
                name: o.name,
                error_code: code,
            });
        }
        out
    }
}

impl AutoTopicCreationManager for ZkAutoTopicCreationManager {
    fn create_topics<'a>(
        &'a self,
        topics: &'a [String],
        _context: &'a RequestContext,
    ) -> BoxFuture<'a, Vec<AutoCreatedTopic>> {
        Box::pin(self.create(topics))
    }
}
