//! `/config`, `/config/<entityType>[/<entity>[/clients/<client>]]` (dynamic configs, quotas,
//! SCRAM credentials) and `/config/changes/config_change_<seq>` notifications.
//!
//! Kafka: `ZkData.ConfigZNode`, `ConfigEntityTypeZNode`, `ConfigEntityZNode`,
//! `ConfigEntityChangeNotificationZNode`, `ConfigEntityChangeNotificationSequenceZNode`;
//! `org.apache.kafka.server.config.ConfigType`, `org.apache.kafka.common.utils.Sanitizer`.

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::zk::json_order::{is_possible_java_properties_order, java_properties_order};

/// `/config` — persistent, null data.
pub struct ConfigZNode;

impl ConfigZNode {
    pub const PATH: &'static str = "/config";
}

/// Config entity types. Kafka: `ConfigType` (`ALL` excludes `client-metrics`, which has no
/// ZooKeeper storage).
pub struct ConfigType;

impl ConfigType {
    pub const TOPIC: &'static str = "topics";
    pub const CLIENT: &'static str = "clients";
    pub const USER: &'static str = "users";
    pub const BROKER: &'static str = "brokers";
    pub const IP: &'static str = "ips";
    pub const ALL: [&'static str; 5] = [
        Self::TOPIC,
        Self::CLIENT,
        Self::USER,
        Self::BROKER,
        Self::IP,
    ];
}

/// The entity name of defaults (`/config/brokers/<default>`, `/config/users/<default>`).
/// Kafka: `ZooKeeperInternals.DEFAULT_STRING`; written literally, never sanitised.
pub const DEFAULT_ENTITY: &str = "<default>";

/// `/config/<entityType>` — persistent, null data, created at startup.
pub struct ConfigEntityTypeZNode;

impl ConfigEntityTypeZNode {
    pub fn path(entity_type: &str) -> String {
        format!("{}/{}", ConfigZNode::PATH, entity_type)
    }
}

/// `/config/<entityType>/<entity>` — persistent `{"version":1,"config":{...}}`.
///
/// `version` then `config` (Scala `Map2`); keys inside `config` in `java.util.Properties`
/// iteration order; every value is a JSON string (Kafka's decoder does `v.to[String]`).
/// Examples: `{"version":1,"config":{}}`,
/// `{"version":1,"config":{"cleanup.policy":"compact","min.insync.replicas":"2","retention.ms":"86400000"}}`.
pub struct ConfigEntityZNode;

impl ConfigEntityZNode {
    /// `entity_name` must already be sanitised (see [`sanitize`]); for user/client quota pairs
    /// pass `alice/clients/client-1`.
    pub fn path(entity_type: &str, entity_name: &str) -> String {
        format!(
            "{}/{}",
            ConfigEntityTypeZNode::path(entity_type),
            entity_name
        )
    }

    /// Kafka: `ConfigEntityZNode.encode(Properties)`. `config` is in insertion (`setProperty`)
    /// order; the output takes `Properties` iteration order.
    pub fn encode(config: &[(String, String)]) -> Vec<u8> {
        let keys: Vec<&str> = config.iter().map(|(k, _)| k.as_str()).collect();
        let order = java_properties_order(&keys);
        let pairs: Vec<(String, Json)> = config
            .iter()
            .map(|(k, v)| (k.clone(), Json::str(v.clone())))
            .collect();
        Json::Obj(vec![
            ("version".into(), Json::Int(1)),
            ("config".into(), Json::obj_in_order(pairs, &order)),
        ])
        .to_bytes()
    }

    /// Whether `bytes` are exactly what Kafka could have written for their content: Jackson's
    /// formatting and a `Properties` iteration order. Up to 11 keys the order is fully determined
    /// (so this equals `encode(decode(bytes)) == bytes`); from 12 keys on only the bin order is
    /// (see `json_order::is_possible_java_properties_order`).
    pub fn is_canonical(bytes: &[u8], config: &[(String, String)]) -> bool {
        let keys: Vec<&str> = config.iter().map(|(k, _)| k.as_str()).collect();
        if config.len() < 12 {
            return Self::encode(config) == bytes;
        }
        let as_given = Json::Obj(vec![
            ("version".into(), Json::Int(1)),
            (
                "config".into(),
                Json::Obj(
                    config
                        .iter()
                        .map(|(k, v)| (k.clone(), Json::str(v.clone())))
                        .collect(),
                ),
            ),
        ]);
        as_given.to_bytes() == bytes && is_possible_java_properties_order(&keys)
    }

    /// Kafka: `ConfigEntityZNode.decode` — reads `config` (missing → empty); every value must
    /// be a string. Returned in payload order, which re-encodes to the same bytes.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<Vec<(String, String)>, ZNodeError> {
        let map = parse_object(path, bytes)?;
        let f = Fields::new(path, &map);
        let Some(config) = f.opt_object("config")? else {
            return Ok(Vec::new());
        };
        let cf = f.nested("config", config);
        config
            .iter()
            .map(|(k, v)| Ok((k.clone(), cf.as_str(k, v)?.to_string())))
            .collect()
    }
}

/// `/config/changes` — persistent, null data; every broker keeps a child watch on it.
pub struct ConfigEntityChangeNotificationZNode;

impl ConfigEntityChangeNotificationZNode {
    pub const PATH: &'static str = "/config/changes";
}

/// `/config/changes/config_change_<seq>` — persistent-sequential trigger
/// `{"version":2,"entity_path":"topics/my-topic"}` (Scala `Map2`).
pub struct ConfigEntityChangeNotificationSequenceZNode;

/// A decoded config change notification. Kafka: `ZkConfigManager.ConfigChangedNotificationHandler`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChangeNotification {
    /// `<entityType>/<sanitised entity>`, e.g. `users/alice/clients/client-1`.
    pub entity_path: String,
}

impl ConfigChangeNotification {
    /// The entity type (first path segment).
    pub fn entity_type(&self) -> &str {
        self.entity_path.split('/').next().unwrap_or("")
    }
}

impl ConfigEntityChangeNotificationSequenceZNode {
    pub const SEQUENCE_NUMBER_PREFIX: &'static str = "config_change_";

    /// The path handed to a persistent-sequential create.
    pub fn create_path() -> String {
        format!(
            "{}/{}",
            ConfigEntityChangeNotificationZNode::PATH,
            Self::SEQUENCE_NUMBER_PREFIX
        )
    }

    /// Kafka: `ConfigEntityChangeNotificationSequenceZNode.encode`.
    pub fn encode(sanitized_entity_path: &str) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::Int(2)),
            ("entity_path".into(), Json::str(sanitized_entity_path)),
        ])
        .to_bytes()
    }

    /// Kafka: `ConfigChangedNotificationHandler.processNotification` — version 2 needs
    /// `entity_path`; legacy version 1 needs `entity_type` (`topics` or `clients`) and
    /// `entity_name`.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<ConfigChangeNotification, ZNodeError> {
        let map = parse_object(path, bytes)?;
        let f = Fields::new(path, &map);
        match f.req_i32("version")? {
            1 => {
                let entity_type = f.req_str("entity_type")?;
                if entity_type != ConfigType::TOPIC && entity_type != ConfigType::CLIENT {
                    return Err(f.invalid(
                        "entity_type",
                        format!("\"{entity_type}\""),
                        "version 1 notifications support only topics and clients",
                    ));
                }
                let entity_name = f.req_str("entity_name")?;
                Ok(ConfigChangeNotification {
                    entity_path: format!("{entity_type}/{entity_name}"),
                })
            }
            2 => {
                let entity_path = f.req_str("entity_path")?;
                let parts: Vec<&str> = entity_path.split('/').collect();
                let valid = (parts.len() == 2 || parts.len() == 4)
                    && ConfigType::ALL.contains(&parts[0])
                    && parts.iter().all(|p| !p.is_empty());
                if !valid {
                    return Err(f.invalid(
                        "entity_path",
                        format!("\"{entity_path}\""),
                        "expected <entityType>/<entity> or <entityType>/<entity>/<childType>/<child>",
                    ));
                }
                Ok(ConfigChangeNotification {
                    entity_path: entity_path.to_string(),
                })
            }
            v => Err(ZNodeError::UnsupportedVersion {
                znode: path.to_string(),
                version: i64::from(v),
                supported: "1 or 2",
            }),
        }
    }
}

/// Kafka: `Sanitizer.sanitize` — `URLEncoder.encode(name, UTF-8)` then `*` → `%2A` and `+`
/// (an encoded space) → `%20`, so a name is safe as one znode path segment.
pub fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => out.push(b as char),
            b' ' => out.push_str("%20"),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Kafka: `Sanitizer.desanitize` (`URLDecoder.decode`, which also maps `+` to a space). Returns
/// `None` for malformed escapes or non-UTF-8 results.
pub fn desanitize(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = name.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Reference §2.8: exact entity-config bytes (`ConfigEntityZNode.encode`, Properties order).
    #[test]
    fn golden_entity_configs() {
        assert_eq!(
            ConfigEntityZNode::encode(&[]),
            br#"{"version":1,"config":{}}"#.to_vec()
        );
        let topic = pairs(&[
            ("retention.ms", "86400000"),
            ("cleanup.policy", "compact"),
            ("min.insync.replicas", "2"),
        ]);
        let golden = br#"{"version":1,"config":{"cleanup.policy":"compact","min.insync.replicas":"2","retention.ms":"86400000"}}"#;
        assert_eq!(ConfigEntityZNode::encode(&topic), golden.to_vec());
        let decoded = ConfigEntityZNode::decode("/config/topics/t", golden).unwrap();
        assert_eq!(ConfigEntityZNode::encode(&decoded), golden.to_vec());
        let quotas = pairs(&[
            ("producer_byte_rate", "1048576"),
            ("consumer_byte_rate", "2097152"),
            ("request_percentage", "200.0"),
        ]);
        assert_eq!(
            ConfigEntityZNode::encode(&quotas),
            br#"{"version":1,"config":{"request_percentage":"200.0","producer_byte_rate":"1048576","consumer_byte_rate":"2097152"}}"#.to_vec()
        );
        assert_eq!(
            ConfigEntityZNode::path(ConfigType::USER, &sanitize("alice@EXAMPLE.COM")),
            "/config/users/alice%40EXAMPLE.COM"
        );
    }

    /// `ConfigEntityZNode.decode` does `v.to[String]`: numeric values are rejected.
    #[test]
    fn config_values_must_be_strings() {
        let e = ConfigEntityZNode::decode(
            "/config/topics/t",
            br#"{"version":1,"config":{"retention.ms":1}}"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "znode /config/topics/t: field 'config.retention.ms' must be a string but is a number (1)");
    }

    /// Reference §2.9: notification v2 bytes, legacy v1 accepted.
    #[test]
    fn config_change_notifications() {
        let golden = br#"{"version":2,"entity_path":"topics/my-topic"}"#;
        assert_eq!(
            ConfigEntityChangeNotificationSequenceZNode::encode("topics/my-topic"),
            golden.to_vec()
        );
        let p = "/config/changes/config_change_0000000000";
        let n = ConfigEntityChangeNotificationSequenceZNode::decode(p, golden).unwrap();
        assert_eq!(n.entity_type(), "topics");
        let v1 = br#"{"version":1,"entity_type":"topics","entity_name":"foo"}"#;
        assert_eq!(
            ConfigEntityChangeNotificationSequenceZNode::decode(p, v1)
                .unwrap()
                .entity_path,
            "topics/foo"
        );
        assert!(ConfigEntityChangeNotificationSequenceZNode::decode(
            p,
            br#"{"version":2,"entity_path":"bogus"}"#
        )
        .is_err());
        assert!(ConfigEntityChangeNotificationSequenceZNode::decode(
            p,
            br#"{"version":2,"entity_path":"users/a/clients/b"}"#
        )
        .is_ok());
        assert_eq!(
            ConfigEntityChangeNotificationSequenceZNode::create_path(),
            "/config/changes/config_change_"
        );
    }

    /// Kafka: `Sanitizer` (`SanitizerTest`): `*` → `%2A`, space → `%20`, non-ASCII UTF-8 escaped.
    #[test]
    fn sanitizer() {
        assert_eq!(sanitize("alice@EXAMPLE.COM"), "alice%40EXAMPLE.COM");
        assert_eq!(sanitize("User:*"), "User%3A%2A");
        assert_eq!(sanitize("a b"), "a%20b");
        assert_eq!(sanitize("é"), "%C3%A9");
        assert_eq!(desanitize("User%3Aalice").as_deref(), Some("User:alice"));
        assert_eq!(desanitize(&sanitize("x y*é/z")).as_deref(), Some("x y*é/z"));
        assert_eq!(desanitize("%G1"), None);
    }
}
