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
