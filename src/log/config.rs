//! `LogConfig`: Kafka's topic-level log configuration, its defaults, validation, the mapping from
//! broker `log.*` keys to the base config, and topic overrides.
//! Kafka: `storage/.../log/LogConfig.java` (topic keys, defaults, validators) and
//! `KafkaConfig.extractLogConfigMap` (broker key → topic key, with precedence rules).

use std::collections::BTreeMap;

use thiserror::Error;

use crate::protocol::record_batch::CompressionType;

/// `Long.MAX_VALUE`, Kafka's "never" for flush and timestamp-difference limits.
pub const LONG_MAX: i64 = i64::MAX;

/// A rejected config value or unknown config name. Wire code INVALID_CONFIG (40), as Kafka's
/// `InvalidConfigurationException` / `ConfigException` from CreateTopics and AlterConfigs.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum LogConfigError {
    /// Kafka: `LogConfig.validateNames` → "Unknown topic config name: x".
    #[error("Unknown topic config name: {0}")]
    UnknownKey(String),
    /// Kafka: `ConfigDef.parseType` / validators → "Invalid value v for configuration k: ...".
    #[error("Invalid value {value} for configuration {key}: {accepted}")]
    InvalidValue {
        key: String,
        value: String,
        accepted: String,
    },
}

impl LogConfigError {
    /// Kafka wire error code INVALID_CONFIG.
    pub fn error_code(&self) -> i16 {
        40
    }
}

/// `cleanup.policy`. Kafka: `TopicConfig.CLEANUP_POLICY_*`; a list of `delete`, `compact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CleanupPolicy {
    pub delete: bool,
    pub compact: bool,
}

impl CleanupPolicy {
    fn render(&self) -> String {
        match (self.compact, self.delete) {
            (true, true) => "compact,delete".into(),
            (true, false) => "compact".into(),
            (false, true) => "delete".into(),
            (false, false) => String::new(),
        }
    }
}

/// `message.timestamp.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageTimestampType {
    CreateTime,
    LogAppendTime,
}

/// `compression.type` at topic level: `producer` keeps the producer's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicCompression {
    Producer,
    Uncompressed,
    Codec(CompressionType),
}

/// Every topic-level log setting Kafka 3.9 knows (LogConfig.java `CONFIG`), typed.
/// Names carry units. Defaults are Kafka's (`LogConfig.DEFAULT_*`, `ServerLogConfigs`).
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    pub segment_bytes: i32,
    pub segment_ms: i64,
    pub segment_jitter_ms: i64,
    pub segment_index_bytes: i32,
    pub flush_messages: i64,
    pub flush_ms: i64,
    pub retention_bytes: i64,
    pub retention_ms: i64,
    pub max_message_bytes: i32,
    pub index_interval_bytes: i32,
    pub delete_retention_ms: i64,
    pub min_compaction_lag_ms: i64,
    pub max_compaction_lag_ms: i64,
    pub file_delete_delay_ms: i64,
    pub min_cleanable_dirty_ratio: f64,
    pub cleanup_policy: CleanupPolicy,
    pub unclean_leader_election_enable: bool,
    pub min_insync_replicas: i32,
    pub compression_type: TopicCompression,
    pub compression_gzip_level: i32,
    pub compression_lz4_level: i32,
    pub compression_zstd_level: i32,
    pub preallocate: bool,
    pub message_format_version: String,
    pub message_timestamp_type: MessageTimestampType,
    pub message_timestamp_difference_max_ms: i64,
    pub message_timestamp_before_max_ms: i64,
    pub message_timestamp_after_max_ms: i64,
    pub message_downconversion_enable: bool,
    pub leader_replication_throttled_replicas: String,
    pub follower_replication_throttled_replicas: String,
    pub remote_storage_enable: bool,
    pub local_retention_ms: i64,
    pub local_retention_bytes: i64,
    pub remote_log_copy_disable: bool,
    pub remote_log_delete_on_disable: bool,
    /// Topic keys explicitly set (by broker mapping or override), for DescribeConfigs sources and
    /// for the before/after-vs-difference precedence.
    pub explicitly_set: Vec<String>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            segment_bytes: 1024 * 1024 * 1024,
            segment_ms: 7 * 24 * 3600 * 1000,
            segment_jitter_ms: 0,
            segment_index_bytes: 10 * 1024 * 1024,
            flush_messages: LONG_MAX,
            flush_ms: LONG_MAX,
            retention_bytes: -1,
            retention_ms: 7 * 24 * 3600 * 1000,
            // 1 MiB + Records.LOG_OVERHEAD (LogConfig.DEFAULT_MAX_MESSAGE_BYTES).
            max_message_bytes: 1024 * 1024 + 12,
            index_interval_bytes: 4096,
            delete_retention_ms: 24 * 3600 * 1000,
            min_compaction_lag_ms: 0,
            max_compaction_lag_ms: LONG_MAX,
            file_delete_delay_ms: 60_000,
            min_cleanable_dirty_ratio: 0.5,
            cleanup_policy: CleanupPolicy {
                delete: true,
                compact: false,
            },
            unclean_leader_election_enable: false,
            min_insync_replicas: 1,
            compression_type: TopicCompression::Producer,
            compression_gzip_level: -1,
            compression_lz4_level: 9,
            compression_zstd_level: 3,
            preallocate: false,
            message_format_version: "3.0-IV1".into(),
            message_timestamp_type: MessageTimestampType::CreateTime,
            message_timestamp_difference_max_ms: LONG_MAX,
            message_timestamp_before_max_ms: LONG_MAX,
            message_timestamp_after_max_ms: LONG_MAX,
            message_downconversion_enable: true,
            leader_replication_throttled_replicas: String::new(),
            follower_replication_throttled_replicas: String::new(),
            remote_storage_enable: false,
            local_retention_ms: -2,
            local_retention_bytes: -2,
            remote_log_copy_disable: false,
            remote_log_delete_on_disable: false,
            explicitly_set: Vec::new(),
        }
    }
}

/// Every topic config name, in Kafka's `LogConfig` order.
pub const TOPIC_CONFIG_NAMES: &[&str] = &[
    "segment.bytes",
    "segment.ms",
    "segment.jitter.ms",
    "segment.index.bytes",
    "flush.messages",
    "flush.ms",
    "retention.bytes",
    "retention.ms",
    "max.message.bytes",
    "index.interval.bytes",
    "delete.retention.ms",
    "min.compaction.lag.ms",
    "max.compaction.lag.ms",
    "file.delete.delay.ms",
    "min.cleanable.dirty.ratio",
    "cleanup.policy",
    "unclean.leader.election.enable",
    "min.insync.replicas",
    "compression.type",
    "compression.gzip.level",
    "compression.lz4.level",
    "compression.zstd.level",
    "preallocate",
    "message.format.version",
    "message.timestamp.type",
    "message.timestamp.difference.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.after.max.ms",
    "message.downconversion.enable",
    "leader.replication.throttled.replicas",
    "follower.replication.throttled.replicas",
    "remote.storage.enable",
    "local.retention.ms",
    "local.retention.bytes",
    "remote.log.copy.disable",
    "remote.log.delete.on.disable",
];

/// Broker key → topic key, for keys whose broker name is a plain synonym.
/// Kafka: `ServerTopicConfigSynonyms.TOPIC_CONFIG_SYNONYMS`. Keys with unit variants (roll,
/// jitter, retention, flush interval) are handled in [`LogConfig::from_broker_properties`].
pub const BROKER_SYNONYMS: &[(&str, &str)] = &[
    ("log.segment.bytes", "segment.bytes"),
    ("log.index.size.max.bytes", "segment.index.bytes"),
    ("log.flush.interval.messages", "flush.messages"),
    ("log.retention.bytes", "retention.bytes"),
    ("message.max.bytes", "max.message.bytes"),
    ("log.index.interval.bytes", "index.interval.bytes"),
    ("log.cleaner.delete.retention.ms", "delete.retention.ms"),
    ("log.cleaner.min.compaction.lag.ms", "min.compaction.lag.ms"),
    ("log.cleaner.max.compaction.lag.ms", "max.compaction.lag.ms"),
    ("log.segment.delete.delay.ms", "file.delete.delay.ms"),
    (
        "log.cleaner.min.cleanable.ratio",
        "min.cleanable.dirty.ratio",
    ),
    ("log.cleanup.policy", "cleanup.policy"),
    (
        "unclean.leader.election.enable",
        "unclean.leader.election.enable",
    ),
    ("min.insync.replicas", "min.insync.replicas"),
    ("compression.type", "compression.type"),
    ("compression.gzip.level", "compression.gzip.level"),
    ("compression.lz4.level", "compression.lz4.level"),
    ("compression.zstd.level", "compression.zstd.level"),
    ("log.preallocate", "preallocate"),
    ("log.message.format.version", "message.format.version"),
    ("log.message.timestamp.type", "message.timestamp.type"),
    (
        "log.message.timestamp.difference.max.ms",
        "message.timestamp.difference.max.ms",
    ),
    (
        "log.message.timestamp.before.max.ms",
        "message.timestamp.before.max.ms",
    ),
    (
        "log.message.timestamp.after.max.ms",
        "message.timestamp.after.max.ms",
    ),
    (
        "log.message.downconversion.enable",
        "message.downconversion.enable",
    ),
    ("log.local.retention.ms", "local.retention.ms"),
    ("log.local.retention.bytes", "local.retention.bytes"),
];

fn invalid(key: &str, value: &str, accepted: impl Into<String>) -> LogConfigError {
    LogConfigError::InvalidValue {
        key: key.to_string(),
        value: value.to_string(),
        accepted: accepted.into(),
    }
}

fn parse_long(key: &str, v: &str, min: i64) -> Result<i64, LogConfigError> {
    let n: i64 = v
        .trim()
        .parse()
        .map_err(|_| invalid(key, v, "Not a number of type LONG"))?;
    if n < min {
        return Err(invalid(key, v, format!("Value must be at least {min}")));
    }
    Ok(n)
}

fn parse_int(key: &str, v: &str, min: i32, max: i32) -> Result<i32, LogConfigError> {
    let n: i32 = v
        .trim()
        .parse()
        .map_err(|_| invalid(key, v, "Not a number of type INT"))?;
    if n < min || n > max {
        let accepted = if max == i32::MAX {
            format!("Value must be at least {min}")
        } else {
            format!("Value must be in the range [{min}, {max}]")
        };
        return Err(invalid(key, v, accepted));
    }
    Ok(n)
}

fn parse_bool(key: &str, v: &str) -> Result<bool, LogConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(key, v, "Expected value to be either true or false")),
    }
}

impl LogConfig {
    /// Sets one topic key from its string form, validating like Kafka's `ConfigDef`.
    pub fn set(&mut self, key: &str, v: &str) -> Result<(), LogConfigError> {
        match key {
            // LegacyRecord.RECORD_OVERHEAD_V0 = 14 is Kafka's minimum segment size.
            "segment.bytes" => self.segment_bytes = parse_int(key, v, 14, i32::MAX)?,
            "segment.ms" => self.segment_ms = parse_long(key, v, 1)?,
            "segment.jitter.ms" => self.segment_jitter_ms = parse_long(key, v, 0)?,
            // OffsetIndex entry size 8 is Kafka's minimum (validator atLeast(4)).
            "segment.index.bytes" => self.segment_index_bytes = parse_int(key, v, 4, i32::MAX)?,
            "flush.messages" => self.flush_messages = parse_long(key, v, 1)?,
            "flush.ms" => self.flush_ms = parse_long(key, v, 0)?,
            "retention.bytes" => self.retention_bytes = parse_long(key, v, i64::MIN)?,
            "retention.ms" => self.retention_ms = parse_long(key, v, -1)?,
            "max.message.bytes" => self.max_message_bytes = parse_int(key, v, 0, i32::MAX)?,
            "index.interval.bytes" => self.index_interval_bytes = parse_int(key, v, 0, i32::MAX)?,
            "delete.retention.ms" => self.delete_retention_ms = parse_long(key, v, 0)?,
            "min.compaction.lag.ms" => self.min_compaction_lag_ms = parse_long(key, v, 0)?,
            "max.compaction.lag.ms" => self.max_compaction_lag_ms = parse_long(key, v, 1)?,
            "file.delete.delay.ms" => self.file_delete_delay_ms = parse_long(key, v, 0)?,
            "min.cleanable.dirty.ratio" => {
                let r: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| invalid(key, v, "Not a number of type DOUBLE"))?;
                if !(0.0..=1.0).contains(&r) {
                    return Err(invalid(key, v, "Value must be in the range [0, 1]"));
                }
                self.min_cleanable_dirty_ratio = r;
            }
            "cleanup.policy" => {
                let mut p = CleanupPolicy::default();
                for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    match item {
                        "delete" => p.delete = true,
                        "compact" => p.compact = true,
                        _ => return Err(invalid(key, v, "String must be one of: compact, delete")),
                    }
                }
                self.cleanup_policy = p;
            }
            "unclean.leader.election.enable" => {
                self.unclean_leader_election_enable = parse_bool(key, v)?
            }
            "min.insync.replicas" => self.min_insync_replicas = parse_int(key, v, 1, i32::MAX)?,
            "compression.type" => {
                self.compression_type = match v.trim() {
                    "producer" => TopicCompression::Producer,
                    "uncompressed" => TopicCompression::Uncompressed,
                    "gzip" => TopicCompression::Codec(CompressionType::Gzip),
                    "snappy" => TopicCompression::Codec(CompressionType::Snappy),
                    "lz4" => TopicCompression::Codec(CompressionType::Lz4),
                    "zstd" => TopicCompression::Codec(CompressionType::Zstd),
                    _ => return Err(invalid(
                        key,
                        v,
                        "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer",
                    )),
                }
            }
            // KIP-390 level ranges: gzip 1..9 or -1, lz4 1..17, zstd -131072..22.
            "compression.gzip.level" => {
                let n = parse_int(key, v, -1, 9)?;
                if n == 0 {
                    return Err(invalid(key, v, "Value must be -1 or in the range [1, 9]"));
                }
                self.compression_gzip_level = n;
            }
            "compression.lz4.level" => self.compression_lz4_level = parse_int(key, v, 1, 17)?,
            "compression.zstd.level" => {
                self.compression_zstd_level = parse_int(key, v, -131072, 22)?
            }
            "preallocate" => self.preallocate = parse_bool(key, v)?,
            // Deprecated and ignored under IBP 3.0+ (always v2); any version string is accepted.
            "message.format.version" => self.message_format_version = v.trim().to_string(),
            "message.timestamp.type" => {
                self.message_timestamp_type = match v.trim() {
                    "CreateTime" => MessageTimestampType::CreateTime,
                    "LogAppendTime" => MessageTimestampType::LogAppendTime,
                    _ => {
                        return Err(invalid(
                            key,
                            v,
                            "String must be one of: CreateTime, LogAppendTime",
                        ))
                    }
                }
            }
            "message.timestamp.difference.max.ms" => {
                self.message_timestamp_difference_max_ms = parse_long(key, v, 0)?
            }
            "message.timestamp.before.max.ms" => {
                self.message_timestamp_before_max_ms = parse_long(key, v, 0)?
            }
            "message.timestamp.after.max.ms" => {
                self.message_timestamp_after_max_ms = parse_long(key, v, 0)?
            }
            "message.downconversion.enable" => {
                self.message_downconversion_enable = parse_bool(key, v)?
            }
            "leader.replication.throttled.replicas" => {
                self.leader_replication_throttled_replicas = v.trim().to_string()
            }
            "follower.replication.throttled.replicas" => {
                self.follower_replication_throttled_replicas = v.trim().to_string()
            }
            "remote.storage.enable" => self.remote_storage_enable = parse_bool(key, v)?,
            "local.retention.ms" => self.local_retention_ms = parse_long(key, v, -2)?,
            "local.retention.bytes" => self.local_retention_bytes = parse_long(key, v, -2)?,
            "remote.log.copy.disable" => self.remote_log_copy_disable = parse_bool(key, v)?,
            "remote.log.delete.on.disable" => {
                self.remote_log_delete_on_disable = parse_bool(key, v)?
            }
            _ => return Err(LogConfigError::UnknownKey(key.to_string())),
        }
        if !self.explicitly_set.iter().any(|k| k == key) {
            self.explicitly_set.push(key.to_string());
        }
        Ok(())
    }

    /// The current value of a topic key in Kafka's string form (for DescribeConfigs).
    pub fn get(&self, key: &str) -> Option<String> {
        Some(match key {
            "segment.bytes" => self.segment_bytes.to_string(),
            "segment.ms" => self.segment_ms.to_string(),
            "segment.jitter.ms" => self.segment_jitter_ms.to_string(),
            "segment.index.bytes" => self.segment_index_bytes.to_string(),
            "flush.messages" => self.flush_messages.to_string(),
            "flush.ms" => self.flush_ms.to_string(),
            "retention.bytes" => self.retention_bytes.to_string(),
            "retention.ms" => self.retention_ms.to_string(),
            "max.message.bytes" => self.max_message_bytes.to_string(),
            "index.interval.bytes" => self.index_interval_bytes.to_string(),
            "delete.retention.ms" => self.delete_retention_ms.to_string(),
            "min.compaction.lag.ms" => self.min_compaction_lag_ms.to_string(),
            "max.compaction.lag.ms" => self.max_compaction_lag_ms.to_string(),
            "file.delete.delay.ms" => self.file_delete_delay_ms.to_string(),
            "min.cleanable.dirty.ratio" => self.min_cleanable_dirty_ratio.to_string(),
            "cleanup.policy" => self.cleanup_policy.render(),
            "unclean.leader.election.enable" => self.unclean_leader_election_enable.to_string(),
            "min.insync.replicas" => self.min_insync_replicas.to_string(),
            "compression.type" => match self.compression_type {
                TopicCompression::Producer => "producer".into(),
                TopicCompression::Uncompressed => "uncompressed".into(),
                TopicCompression::Codec(c) => c.name().into(),
            },
            "compression.gzip.level" => self.compression_gzip_level.to_string(),
            "compression.lz4.level" => self.compression_lz4_level.to_string(),
            "compression.zstd.level" => self.compression_zstd_level.to_string(),
            "preallocate" => self.preallocate.to_string(),
            "message.format.version" => self.message_format_version.clone(),
            "message.timestamp.type" => match self.message_timestamp_type {
                MessageTimestampType::CreateTime => "CreateTime".into(),
                MessageTimestampType::LogAppendTime => "LogAppendTime".into(),
            },
            "message.timestamp.difference.max.ms" => {
                self.message_timestamp_difference_max_ms.to_string()
            }
            "message.timestamp.before.max.ms" => self.message_timestamp_before_max_ms.to_string(),
            "message.timestamp.after.max.ms" => self.message_timestamp_after_max_ms.to_string(),
            "message.downconversion.enable" => self.message_downconversion_enable.to_string(),
            "leader.replication.throttled.replicas" => {
                self.leader_replication_throttled_replicas.clone()
            }
            "follower.replication.throttled.replicas" => {
                self.follower_replication_throttled_replicas.clone()
            }
            "remote.storage.enable" => self.remote_storage_enable.to_string(),
            "local.retention.ms" => self.local_retention_ms.to_string(),
            "local.retention.bytes" => self.local_retention_bytes.to_string(),
            "remote.log.copy.disable" => self.remote_log_copy_disable.to_string(),
            "remote.log.delete.on.disable" => self.remote_log_delete_on_disable.to_string(),
            _ => return None,
        })
    }

    /// Every topic key with its current value, in Kafka's order.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        TOPIC_CONFIG_NAMES
            .iter()
            .filter_map(|k| self.get(k).map(|v| (*k, v)))
            .collect()
    }

    /// Effective lower bound on `now - timestamp` for CreateTime batches. Kafka 3.6+ (KIP-937):
    /// `message.timestamp.before.max.ms` when set, otherwise the deprecated
    /// `message.timestamp.difference.max.ms`. Kafka: `LogConfig.getMessageTimestampBeforeMaxMs`.
    pub fn timestamp_before_max_ms(&self) -> i64 {
        if self.is_set("message.timestamp.before.max.ms") {
            self.message_timestamp_before_max_ms
        } else {
            self.message_timestamp_difference_max_ms
        }
    }

    /// Effective bound on `timestamp - now`; see [`LogConfig::timestamp_before_max_ms`].
    pub fn timestamp_after_max_ms(&self) -> i64 {
        if self.is_set("message.timestamp.after.max.ms") {
            self.message_timestamp_after_max_ms
        } else {
            self.message_timestamp_difference_max_ms
        }
    }

    fn is_set(&self, key: &str) -> bool {
        self.explicitly_set.iter().any(|k| k == key)
    }

    /// Whether records need keys and the cleaner runs (`compact` in cleanup.policy).
    pub fn compact(&self) -> bool {
        self.cleanup_policy.compact
    }

    /// The base config from broker properties (`server.properties`), applying Kafka's
    /// precedence: `log.roll.ms` over `log.roll.hours`, `log.roll.jitter.ms` over
    /// `log.roll.jitter.hours`, `log.retention.ms` over `.minutes` over `.hours` (a negative
    /// result means unlimited, -1), `log.flush.interval.ms` falling back to
    /// `log.flush.scheduler.interval.ms`. Kafka: `KafkaConfig.logRollTimeMillis`,
    /// `logRetentionTimeMillis`, `logFlushIntervalMs`, `extractLogConfigMap`.
    pub fn from_broker_properties(
        prop: impl Fn(&str) -> Option<String>,
    ) -> Result<LogConfig, LogConfigError> {
        let mut c = LogConfig::default();
        for (broker_key, topic_key) in BROKER_SYNONYMS {
            if let Some(v) = prop(broker_key) {
                c.set(topic_key, &v)
                    .map_err(|e| rename_key(e, broker_key))?;
            }
        }
        let long = |k: &str| -> Result<Option<i64>, LogConfigError> {
            prop(k)
                .map(|v| {
                    v.trim()
                        .parse::<i64>()
                        .map_err(|_| invalid(k, &v, "Not a number of type LONG"))
                })
                .transpose()
        };
        let hours_ms = 3_600_000i64;
        if let Some(ms) = long("log.roll.ms")? {
            c.set("segment.ms", &ms.to_string())
                .map_err(|e| rename_key(e, "log.roll.ms"))?;
        } else if let Some(h) = long("log.roll.hours")? {
            c.set("segment.ms", &h.saturating_mul(hours_ms).to_string())
                .map_err(|e| rename_key(e, "log.roll.hours"))?;
        }
        if let Some(ms) = long("log.roll.jitter.ms")? {
            c.set("segment.jitter.ms", &ms.to_string())
                .map_err(|e| rename_key(e, "log.roll.jitter.ms"))?;
        } else if let Some(h) = long("log.roll.jitter.hours")? {
            c.set("segment.jitter.ms", &h.saturating_mul(hours_ms).to_string())
                .map_err(|e| rename_key(e, "log.roll.jitter.hours"))?;
        }
        let retention = if let Some(ms) = long("log.retention.ms")? {
            Some(ms)
        } else if let Some(m) = long("log.retention.minutes")? {
            Some(m.saturating_mul(60_000))
        } else {
            long("log.retention.hours")?.map(|h| h.saturating_mul(hours_ms))
        };
        if let Some(ms) = retention {
            c.set("retention.ms", &if ms < 0 { -1 } else { ms }.to_string())?;
        }
        if let Some(ms) = long("log.flush.interval.ms")? {
            c.set("flush.ms", &ms.to_string())?;
        } else if let Some(ms) = long("log.flush.scheduler.interval.ms")? {
            c.set("flush.ms", &ms.to_string())?;
        }
        c.validate()?;
        // Base values are "defaults" for topics: overrides mark their own keys.
        c.explicitly_set
            .retain(|k| k.starts_with("message.timestamp."));
        Ok(c)
    }

    /// This config with topic overrides applied (CreateTopics configs, `/config/topics/<t>`).
    /// Unknown keys and bad values are errors naming the key, as Kafka's CreateTopics answers.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<LogConfig, LogConfigError> {
        let mut c = self.clone();
        for (k, v) in overrides {
            c.set(k, v)?;
        }
        c.validate()?;
        Ok(c)
    }

    /// Cross-field checks. Kafka: `LogConfig.validate` (compaction lags; segment size vs max
    /// message size is not checked by Kafka and is not here either).
    pub fn validate(&self) -> Result<(), LogConfigError> {
        if self.min_compaction_lag_ms > self.max_compaction_lag_ms {
            return Err(invalid(
                "min.compaction.lag.ms",
                &self.min_compaction_lag_ms.to_string(),
                format!(
                    "conflict: min.compaction.lag.ms must not exceed max.compaction.lag.ms ({})",
                    self.max_compaction_lag_ms
                ),
            ));
        }
        Ok(())
    }
}

fn rename_key(e: LogConfigError, broker_key: &str) -> LogConfigError {
    match e {
        LogConfigError::InvalidValue {
            value, accepted, ..
        } => LogConfigError::InvalidValue {
            key: broker_key.to_string(),
            value,
            accepted,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: BTreeMap<String, String> = kv
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| m.get(k).cloned()
    }

    /// Kafka's defaults (LogConfig.DEFAULT_*): 1 GiB segments, 7-day roll and retention,
    /// 1048588-byte max message, 4096 index interval, delete policy.
    #[test]
    fn defaults_match_kafka() {
        let c = LogConfig::from_broker_properties(|_| None).unwrap();
        assert_eq!(c.get("segment.bytes").unwrap(), "1073741824");
        assert_eq!(c.get("segment.ms").unwrap(), "604800000");
        assert_eq!(c.get("retention.ms").unwrap(), "604800000");
        assert_eq!(c.get("retention.bytes").unwrap(), "-1");
        assert_eq!(c.get("max.message.bytes").unwrap(), "1048588");
        assert_eq!(c.get("index.interval.bytes").unwrap(), "4096");
        assert_eq!(c.get("segment.index.bytes").unwrap(), "10485760");
        assert_eq!(c.get("cleanup.policy").unwrap(), "delete");
        assert_eq!(c.get("flush.messages").unwrap(), i64::MAX.to_string());
        assert_eq!(c.get("file.delete.delay.ms").unwrap(), "60000");
        assert_eq!(c.get("delete.retention.ms").unwrap(), "86400000");
        assert_eq!(c.entries().len(), TOPIC_CONFIG_NAMES.len());
    }

    /// KafkaConfig precedence: log.retention.ms > minutes > hours; log.roll.ms > hours;
    /// negative retention → -1; message.max.bytes → max.message.bytes.
    #[test]
    fn broker_keys_follow_kafka_precedence() {
        let c = LogConfig::from_broker_properties(props(&[
            ("log.retention.hours", "1"),
            ("log.retention.minutes", "5"),
            ("log.roll.hours", "2"),
            ("message.max.bytes", "2000"),
            ("log.cleanup.policy", "compact,delete"),
        ]))
        .unwrap();
        assert_eq!(c.retention_ms, 300_000);
        assert_eq!(c.segment_ms, 7_200_000);
        assert_eq!(c.max_message_bytes, 2000);
        assert!(c.cleanup_policy.compact && c.cleanup_policy.delete);
        let c = LogConfig::from_broker_properties(props(&[
            ("log.retention.ms", "-5"),
            ("log.retention.hours", "1"),
            ("log.roll.ms", "10"),
            ("log.roll.hours", "2"),
        ]))
        .unwrap();
        assert_eq!(c.retention_ms, -1);
        assert_eq!(c.segment_ms, 10);
    }

    /// CreateTopics with an unknown config name fails with "Unknown topic config name"
    /// (Kafka: LogConfig.validateNames); a bad value names the key and what is accepted.
    #[test]
    fn overrides_validate_names_and_values() {
        let base = LogConfig::default();
        let mut o = BTreeMap::new();
        o.insert("retention.ms".to_string(), "1000".to_string());
        assert_eq!(base.with_overrides(&o).unwrap().retention_ms, 1000);
        o.insert("no.such.key".to_string(), "1".to_string());
        let e = base.with_overrides(&o).unwrap_err();
        assert_eq!(e, LogConfigError::UnknownKey("no.such.key".into()));
        assert_eq!(e.error_code(), 40);
        let mut o = BTreeMap::new();
        o.insert("cleanup.policy".to_string(), "shred".to_string());
        let e = base.with_overrides(&o).unwrap_err().to_string();
        assert!(
            e.contains("cleanup.policy") && e.contains("compact, delete"),
            "{e}"
        );
        let mut o = BTreeMap::new();
        o.insert("segment.bytes".to_string(), "10".to_string());
        assert!(base
            .with_overrides(&o)
            .unwrap_err()
            .to_string()
            .contains("at least 14"));
    }

    /// KIP-937: before/after.max.ms win when set, else difference.max.ms applies.
    #[test]
    fn timestamp_bounds_precedence() {
        let mut o = BTreeMap::new();
        o.insert(
            "message.timestamp.difference.max.ms".to_string(),
            "500".to_string(),
        );
        let c = LogConfig::default().with_overrides(&o).unwrap();
        assert_eq!(c.timestamp_before_max_ms(), 500);
        o.insert(
            "message.timestamp.after.max.ms".to_string(),
            "7".to_string(),
        );
        let c = LogConfig::default().with_overrides(&o).unwrap();
        assert_eq!(c.timestamp_after_max_ms(), 7);
        assert_eq!(c.timestamp_before_max_ms(), 500);
    }
}
