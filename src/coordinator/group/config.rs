//! Broker settings of the group coordinator and the offsets manager, with Kafka's keys and
//! defaults. Kafka: `GroupConfig` / `OffsetConfig` built in `KafkaServer` from `KafkaConfig`.

use crate::config::KafkaConfig;

/// Settings of the group coordinator (Kafka key and default on each field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupCoordinatorConfig {
    /// `group.min.session.timeout.ms` (6000).
    pub group_min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms` (1800000).
    pub group_max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms` (3000).
    pub group_initial_rebalance_delay_ms: i32,
    /// `group.max.size` (Int.MaxValue).
    pub group_max_size: i32,
    /// `offsets.topic.num.partitions` (50).
    pub offsets_topic_num_partitions: i32,
    /// `offsets.topic.replication.factor` (3).
    pub offsets_topic_replication_factor: i16,
    /// `offsets.topic.segment.bytes` (104857600).
    pub offsets_topic_segment_bytes: i32,
    /// `offsets.topic.compression.codec` (0 = none).
    pub offsets_topic_compression_codec: i32,
    /// `offset.metadata.max.bytes` (4096).
    pub offset_metadata_max_bytes: usize,
    /// `offsets.commit.required.acks` (-1).
    pub offsets_commit_required_acks: i16,
    /// `offsets.commit.timeout.ms` (5000).
    pub offsets_commit_timeout_ms: i64,
    /// `offsets.retention.minutes` (10080) in ms.
    pub offsets_retention_ms: i64,
    /// `offsets.retention.check.interval.ms` (600000).
    pub offsets_retention_check_interval_ms: i64,
    /// `offsets.load.buffer.size` (5242880): bytes read per step while loading a partition.
    pub offsets_load_buffer_size: usize,
}

impl Default for GroupCoordinatorConfig {
    fn default() -> Self {
        GroupCoordinatorConfig {
            group_min_session_timeout_ms: 6000,
            group_max_session_timeout_ms: 1_800_000,
            group_initial_rebalance_delay_ms: 3000,
            group_max_size: i32::MAX,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            offsets_topic_segment_bytes: 100 * 1024 * 1024,
            offsets_topic_compression_codec: 0,
            offset_metadata_max_bytes: 4096,
            offsets_commit_required_acks: -1,
            offsets_commit_timeout_ms: 5000,
            offsets_retention_ms: 10080 * 60 * 1000,
            offsets_retention_check_interval_ms: 600_000,
            offsets_load_buffer_size: 5 * 1024 * 1024,
        }
    }
}

impl GroupCoordinatorConfig {
    /// Reads the keys from the broker's properties; absent keys keep Kafka's defaults.
    pub fn from_kafka_config(config: &KafkaConfig) -> Result<Self, crate::config::ConfigError> {
        let d = GroupCoordinatorConfig::default();
        let i32_of = |key: &str, default: i32| -> Result<i32, crate::config::ConfigError> {
            Ok(config.get_i64(key, i64::from(default))? as i32)
        };
        Ok(GroupCoordinatorConfig {
            group_min_session_timeout_ms: i32_of(
                "group.min.session.timeout.ms",
                d.group_min_session_timeout_ms,
            )?,
            group_max_session_timeout_ms: i32_of(
                "group.max.session.timeout.ms",
                d.group_max_session_timeout_ms,
            )?,
            group_initial_rebalance_delay_ms: i32_of(
                "group.initial.rebalance.delay.ms",
                d.group_initial_rebalance_delay_ms,
            )?,
            group_max_size: i32_of("group.max.size", d.group_max_size)?,
            offsets_topic_num_partitions: i32_of(
                "offsets.topic.num.partitions",
                d.offsets_topic_num_partitions,
            )?,
            offsets_topic_replication_factor: i32_of(
                "offsets.topic.replication.factor",
                i32::from(d.offsets_topic_replication_factor),
            )? as i16,
            offsets_topic_segment_bytes: i32_of(
                "offsets.topic.segment.bytes",
                d.offsets_topic_segment_bytes,
            )?,
            offsets_topic_compression_codec: i32_of(
                "offsets.topic.compression.codec",
                d.offsets_topic_compression_codec,
            )?,
            offset_metadata_max_bytes: i32_of(
                "offset.metadata.max.bytes",
                d.offset_metadata_max_bytes as i32,
            )?
            .max(0) as usize,
            offsets_commit_required_acks: i32_of(
                "offsets.commit.required.acks",
                i32::from(d.offsets_commit_required_acks),
            )? as i16,
            offsets_commit_timeout_ms: config
                .get_i64("offsets.commit.timeout.ms", d.offsets_commit_timeout_ms)?,
            offsets_retention_ms: config.get_i64("offsets.retention.minutes", 10080)? * 60 * 1000,
            offsets_retention_check_interval_ms: config.get_i64(
                "offsets.retention.check.interval.ms",
                d.offsets_retention_check_interval_ms,
            )?,
            offsets_load_buffer_size: i32_of(
                "offsets.load.buffer.size",
                d.offsets_load_buffer_size as i32,
            )?
            .max(1) as usize,
        })
    }
}
