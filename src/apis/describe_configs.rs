//! DescribeConfigs (API key 32), versions 0-4: topic configs (overrides from
//! `/config/topics/<t>` over the broker's log defaults) and this broker's static configs.
//!
//! Kafka: `KafkaApis.handleDescribeConfigsRequest`, `ConfigHelper.describeConfigs`,
//! `createTopicConfigEntry`, `createBrokerConfigEntry`, `configSynonyms`. Sources are Kafka's
//! `DescribeConfigsResponse.ConfigSource` ids; a topic key's synonyms are the topic override
//! (TOPIC_CONFIG), then each broker synonym set in `server.properties` (STATIC_BROKER_CONFIG),
//! then the broker synonym's default (DEFAULT_CONFIG). `kafka-topics --describe` prints the
//! entries whose source is not DEFAULT_CONFIG. Dynamic broker configs (`/config/brokers`) are
//! not supported, so DYNAMIC_* broker sources never appear.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::admin::topic::validate as validate_topic_name;
use crate::config::known_keys::KAFKA_BROKER_CONFIG_KEYS;
use crate::log::config::{BROKER_SYNONYMS, TOPIC_CONFIG_NAMES};
use crate::log::LogConfig;
use crate::network::{Request, Response};

/// `ConfigResource.Type` ids.
pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

/// `DescribeConfigsResponse.ConfigSource` ids.
pub const SOURCE_TOPIC_CONFIG: i8 = 1;
pub const SOURCE_STATIC_BROKER_CONFIG: i8 = 4;
pub const SOURCE_DEFAULT_CONFIG: i8 = 5;

/// One described config, before it is shaped for a response version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    pub value: Option<String>,
    pub source: i8,
    pub read_only: bool,
    pub is_sensitive: bool,
    /// `DescribeConfigsResponse.ConfigType` id.
    pub config_type: i8,
    /// `(name, value, source)`, most specific first.
    pub synonyms: Vec<(String, Option<String>, i8)>,
}

/// `ConfigDef.Type` name → `DescribeConfigsResponse.ConfigType` id.
fn config_type_id(type_name: &str) -> i8 {
    match type_name {
        "BOOLEAN" => 1,
        "STRING" => 2,
        "INT" => 3,
        "SHORT" => 4,
        "LONG" => 5,
        "DOUBLE" => 6,
        "LIST" => 7,
        "CLASS" => 8,
        "PASSWORD" => 9,
        _ => 0,
    }
}

/// The `ConfigDef` type of each topic key. Kafka: `LogConfig.CONFIG` definitions.
pub fn topic_config_type(name: &str) -> &'static str {
    match name {
        "segment.bytes"
        | "segment.index.bytes"
        | "max.message.bytes"
        | "index.interval.bytes"
        | "min.insync.replicas"
        | "compression.gzip.level"
        | "compression.lz4.level"
        | "compression.zstd.level" => "INT",
        "min.cleanable.dirty.ratio" => "DOUBLE",
        "cleanup.policy"
        | "leader.replication.throttled.replicas"
        | "follower.replication.throttled.replicas" => "LIST",
        "unclean.leader.election.enable"
        | "preallocate"
        | "message.downconversion.enable"
        | "remote.storage.enable"
        | "remote.log.copy.disable"
        | "remote.log.delete.on.disable" => "BOOLEAN",
        "compression.type" | "message.format.version" | "message.timestamp.type" => "STRING",
        _ => "LONG",
    }
}

/// The broker keys a topic key falls back to, most specific first.
/// Kafka: `ServerTopicConfigSynonyms.ALL_TOPIC_CONFIG_SYNONYMS`.
pub fn broker_synonyms(topic_key: &str) -> Vec<&'static str> {
    match topic_key {
        "segment.ms" => vec!["log.roll.ms", "log.roll.hours"],
        "segment.jitter.ms" => vec!["log.roll.jitter.ms", "log.roll.jitter.hours"],
        "retention.ms" => vec![
            "log.retention.ms",
            "log.retention.minutes",
            "log.retention.hours",
        ],
        "flush.ms" => vec!["log.flush.interval.ms", "log.flush.scheduler.interval.ms"],
        _ => BROKER_SYNONYMS
            .iter()
            .filter(|(_, t)| *t == topic_key)
            .map(|(b, _)| *b)
            .collect(),
    }
}

/// Kafka's default for a broker key as `DescribeConfigs` prints it (`None` for "no default").
fn broker_default(key: &str) -> Option<(&'static str, &'static str)> {
    KAFKA_BROKER_CONFIG_KEYS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, d, t)| (*d, *t))
}

/// Every topic config of a topic with `overrides`, over `base` (the broker's log defaults
/// from `broker_originals`). Kafka: `ConfigHelper.createTopicConfigEntry` over
/// `allConfigs(logConfig)`.
pub fn topic_config_entries(
    base: &LogConfig,
    overrides: &BTreeMap<String, String>,
    broker_originals: &BTreeMap<String, String>,
) -> Vec<ConfigEntry> {
    let effective = base.with_overrides(overrides).unwrap_or_else(|e| {
        tracing::warn!("Stored topic overrides do not validate ({e}); describing the defaults");
        base.clone()
    });
    TOPIC_CONFIG_NAMES
        .iter()
        .map(|&name| {
            let value = effective.get(name);
            let mut synonyms = Vec::new();
            if overrides.contains_key(name) {
                synonyms.push((name.to_string(), value.clone(), SOURCE_TOPIC_CONFIG));
            }
            for key in broker_synonyms(name) {
                if let Some(v) = broker_originals.get(key) {
                    synonyms.push((
                        key.to_string(),
                        Some(v.clone()),
                        SOURCE_STATIC_BROKER_CONFIG,
                    ));
                }
            }
            for key in broker_synonyms(name) {
                if let Some((d, _)) = broker_default(key) {
                    if d != "null" {
                        synonyms.push((
                            key.to_string(),
                            Some(d.to_string()),
                            SOURCE_DEFAULT_CONFIG,
                        ));
                    }
                }
            }
            let source = synonyms
                .first()
                .map(|s| s.2)
                .unwrap_or(SOURCE_DEFAULT_CONFIG);
            ConfigEntry {
                name: name.to_string(),
                value,
                source,
                read_only: false,
                is_sensitive: false,
                config_type: config_type_id(topic_config_type(name)),
                synonyms,
            }
        })
        .collect()
}

/// Every broker config: the `server.properties` value (STATIC_BROKER_CONFIG) or Kafka's default
/// (DEFAULT_CONFIG); passwords are sensitive and have no value. `read_only` is false only for
/// the log keys Kafka can change dynamically (the topic-config synonyms).
// Kafka: ConfigHelper.createBrokerConfigEntry
pub fn broker_config_entries(broker_originals: &BTreeMap<String, String>) -> Vec<ConfigEntry> {
    KAFKA_BROKER_CONFIG_KEYS
        .iter()
        .map(|&(name, default, type_name)| {
            let is_sensitive = type_name == "PASSWORD";
            let (value, source) = match broker_originals.get(name) {
                Some(v) => (Some(v.clone()), SOURCE_STATIC_BROKER_CONFIG),
                None => (
                    (default != "null" && default != "<required>").then(|| default.to_string()),
                    SOURCE_DEFAULT_CONFIG,
                ),
            };
            let value = if is_sensitive { None } else { value };
            ConfigEntry {
                name: name.to_string(),
                value: value.clone(),
                source,
                read_only: !BROKER_SYNONYMS.iter().any(|(b, _)| *b == name),
                is_sensitive,
                config_type: config_type_id(type_name),
                synonyms: vec![(name.to_string(), value, source)],
            }
        })
        .collect()
}

fn str_opt(v: &Option<String>) -> Option<StrBytes> {
    v.as_ref().map(|s| StrBytes::from_string(s.clone()))
}

/// Shapes entries for a DescribeConfigs response of `version`.
fn response_configs(
    entries: Vec<ConfigEntry>,
    keys: Option<&[StrBytes]>,
    include_synonyms: bool,
    version: i16,
) -> Vec<DescribeConfigsResourceResult> {
    entries
        .into_iter()
        .filter(|e| match keys {
            Some(keys) if !keys.is_empty() => keys.iter().any(|k| k.as_str() == e.name),
            _ => true,
        })
        .map(|e| {
            let synonyms = if include_synonyms && version >= 1 {
                e.synonyms
                    .iter()
                    .map(|(n, v, s)| {
                        DescribeConfigsSynonym::default()
                            .with_name(StrBytes::from_string(n.clone()))
                            .with_value(str_opt(v))
                            .with_source(*s)
                    })
                    .collect()
            } else {
                Vec::new()
            };
            DescribeConfigsResourceResult::default()
                .with_name(StrBytes::from_string(e.name))
                .with_value(str_opt(&e.value))
                .with_read_only(e.read_only)
                // v0 only; later versions carry the source instead.
                .with_is_default(version == 0 && e.source == SOURCE_DEFAULT_CONFIG)
                .with_config_source(e.source)
                .with_is_sensitive(e.is_sensitive)
                .with_synonyms(synonyms)
                .with_config_type(if version >= 3 { e.config_type } else { 0 })
                .with_documentation(if version >= 3 {
                    None
                } else {
                    Some(StrBytes::default())
                })
        })
        .collect()
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: DescribeConfigsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let Some(manager) = apis.admin_manager.clone() else {
        return Response::Close("DescribeConfigs received before the admin manager started".into());
    };
    let originals = &manager.config.broker_originals;
    let mut results = Vec::with_capacity(req.resources.len());
    for resource in &req.resources {
        let name = resource.resource_name.to_string();
        // Kafka: `handleDescribeConfigsRequest` — DescribeConfigs on the topic, or on the
        // cluster for broker resources.
        let authorized = match resource.resource_type {
            RESOURCE_TOPIC => apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::DescribeConfigs,
                crate::zk::znodes::ResourceType::Topic,
                &name,
            ),
            RESOURCE_BROKER => apis.authorize_cluster(
                &request.context,
                crate::zk::znodes::AclOperation::DescribeConfigs,
            ),
            _ => true,
        };
        let outcome: Result<Vec<ConfigEntry>, (i16, String)> = match resource.resource_type {
            _ if !authorized => Err(if resource.resource_type == RESOURCE_TOPIC {
                (29, "Topic authorization failed.".to_string())
            } else {
                (31, "Cluster authorization failed.".to_string())
            }),
            RESOURCE_TOPIC => match validate_topic_name(&name) {
                Err(e) => Err((e.error_code(), e.to_string())),
                Ok(()) if !manager.metadata_cache.contains_topic(&name) => {
                    Err((3, format!("The topic '{name}' does not exist.")))
                }
                Ok(()) => match manager.admin_zk.fetch_entity_config("topics", &name).await {
                    Ok(overrides) => Ok(topic_config_entries(
                        manager.admin_zk.base_log_config(),
                        &overrides,
                        originals,
                    )),
                    Err(e) => Err((e.error_code(), e.to_string())),
                },
            },
            RESOURCE_BROKER => {
                if name.is_empty() {
                    // Cluster-wide dynamic defaults (`/config/brokers/<default>`): none are
                    // supported, so there is nothing to list.
                    Ok(Vec::new())
                } else if name.parse::<i32>().ok() == Some(apis.broker_id()) {
                    Ok(broker_config_entries(originals))
                } else {
                    Err((
                        42,
                        format!(
                            "Unexpected broker id, expected {} or empty string, but received {name}",
                            apis.broker_id()
                        ),
                    ))
                }
            }
            other => Err((42, format!("Unsupported resource type: {other}"))),
        };
        let result = DescribeConfigsResult::default()
            .with_resource_type(resource.resource_type)
            .with_resource_name(resource.resource_name.clone());
        results.push(match outcome {
            Ok(entries) => result
                .with_error_code(0)
                .with_error_message(None)
                .with_configs(response_configs(
                    entries,
                    resource.configuration_keys.as_deref(),
                    req.include_synonyms,
                    version,
                )),
            Err((code, message)) => result
                .with_error_code(code)
                .with_error_message(Some(StrBytes::from_string(message))),
        });
    }
    respond(
        request,
        &DescribeConfigsResponse::default().with_results(results),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A topic override is TOPIC_CONFIG with itself first among the synonyms; a key set in
    /// server.properties is STATIC_BROKER_CONFIG; the rest DEFAULT_CONFIG, with Kafka's default
    /// synonym (`retention.ms` falls back to `log.retention.hours=168`)
    /// (ConfigHelper.createTopicConfigEntry, configSynonyms).
    #[test]
    fn topic_sources_and_synonyms() {
        let originals: BTreeMap<String, String> =
            [("log.segment.bytes".to_string(), "1048576".to_string())].into();
        let base = LogConfig::from_broker_properties(|k| originals.get(k).cloned()).unwrap();
        let overrides: BTreeMap<String, String> =
            [("retention.ms".to_string(), "1000".to_string())].into();
        let entries = topic_config_entries(&base, &overrides, &originals);
        let get = |n: &str| entries.iter().find(|e| e.name == n).unwrap().clone();
        let retention = get("retention.ms");
        assert_eq!(
            (retention.value.as_deref(), retention.source),
            (Some("1000"), SOURCE_TOPIC_CONFIG)
        );
        assert_eq!(
            retention.synonyms.last().unwrap(),
            &(
                "log.retention.hours".to_string(),
                Some("168".to_string()),
                SOURCE_DEFAULT_CONFIG
            )
        );
        let segment = get("segment.bytes");
        assert_eq!(
            (segment.value.as_deref(), segment.source),
            (Some("1048576"), SOURCE_STATIC_BROKER_CONFIG)
        );
        let policy = get("cleanup.policy");
        assert_eq!(
            (policy.value.as_deref(), policy.source, policy.config_type),
            (Some("delete"), SOURCE_DEFAULT_CONFIG, 7)
        );
        assert_eq!(entries.len(), TOPIC_CONFIG_NAMES.len());
    }

    /// Broker entries: set keys are STATIC_BROKER_CONFIG, passwords are sensitive without a
    /// value (ConfigHelper.createBrokerConfigEntry).
    #[test]
    fn broker_entries() {
        let originals: BTreeMap<String, String> = [
            ("num.partitions".to_string(), "6".to_string()),
            ("ssl.key.password".to_string(), "secret".to_string()),
        ]
        .into();
        let entries = broker_config_entries(&originals);
        let get = |n: &str| entries.iter().find(|e| e.name == n).unwrap().clone();
        assert_eq!(
            (
                get("num.partitions").value.as_deref(),
                get("num.partitions").source
            ),
            (Some("6"), SOURCE_STATIC_BROKER_CONFIG)
        );
        let pw = get("ssl.key.password");
        assert!(pw.is_sensitive && pw.value.is_none());
        assert_eq!(
            get("auto.create.topics.enable").source,
            SOURCE_DEFAULT_CONFIG
        );
    }
}
