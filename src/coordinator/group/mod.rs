//! The classic group coordinator (ZooKeeper-mode Kafka 3.9's Scala `GroupCoordinator`): consumer
//! groups and their committed offsets in `__consumer_offsets`.
//!
//! - [`group_coordinator`]: validation, rebalance steps, delayed operations, partition
//!   immigration/emigration; [`membership`], [`offsets`], [`group_admin`]: the request handlers.
//! - [`group_metadata`], [`member_metadata`], [`group_state`]: the in-memory model.
//! - [`group_metadata_manager`]: the group cache, owned partitions, loading and storing;
//!   [`offsets_log`]: the replica-manager path to the log.
//! - [`offset_commit_record`], [`group_metadata_record`], [`record_codec`]: the record
//!   schemas, byte-exact with Kafka's.
//! - [`config`]: the broker keys.

pub mod config;
pub mod group_admin;
pub mod group_coordinator;
pub mod group_metadata;
pub mod group_metadata_manager;
pub mod group_metadata_record;
pub mod group_state;
pub mod member_metadata;
pub mod membership;
pub mod offset_commit_record;
pub mod offsets;
pub mod offsets_log;
pub mod record_codec;

pub use config::GroupCoordinatorConfig;
pub use group_coordinator::GroupCoordinator;
pub use offsets_log::{OffsetsLog, ReplicaOffsetsLog, GROUP_METADATA_TOPIC_NAME};
#[cfg(test)]
mod tests;
