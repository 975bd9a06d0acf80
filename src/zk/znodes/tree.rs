//! The Kafka 3.9 znode tree as data: `zk-schema/tree.json` (path pattern → mode + payload
//! schema) and every `zk-schema/schemas/*.schema.json`, embedded in the binary so `zkafka zk
//! check` works from any directory.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::zk::schema::{Schema, SchemaError};

use super::acl::ResourceType;

/// Every schema file, by name (`zk-schema/schemas/<name>.schema.json`).
pub const SCHEMA_FILES: &[(&str, &str)] = &[
    (
        "acl_node",
        include_str!("../../../zk-schema/schemas/acl_node.schema.json"),
    ),
    (
        "broker_registration",
        include_str!("../../../zk-schema/schemas/broker_registration.schema.json"),
    ),
    (
        "cluster_id",
        include_str!("../../../zk-schema/schemas/cluster_id.schema.json"),
    ),
    (
        "config_change_notification",
        include_str!("../../../zk-schema/schemas/config_change_notification.schema.json"),
    ),
    (
        "consumer_offset",
        include_str!("../../../zk-schema/schemas/consumer_offset.schema.json"),
    ),
    (
        "controller",
        include_str!("../../../zk-schema/schemas/controller.schema.json"),
    ),
    (
        "controller_epoch",
        include_str!("../../../zk-schema/schemas/controller_epoch.schema.json"),
    ),
    (
        "delegation_token",
        include_str!("../../../zk-schema/schemas/delegation_token.schema.json"),
    ),
    (
        "entity_config",
        include_str!("../../../zk-schema/schemas/entity_config.schema.json"),
    ),
    (
        "extended_acl_change_notification",
        include_str!("../../../zk-schema/schemas/extended_acl_change_notification.schema.json"),
    ),
    (
        "feature",
        include_str!("../../../zk-schema/schemas/feature.schema.json"),
    ),
    (
        "isr_change_notification",
        include_str!("../../../zk-schema/schemas/isr_change_notification.schema.json"),
    ),
    (
        "literal_acl_change_notification",
        include_str!("../../../zk-schema/schemas/literal_acl_change_notification.schema.json"),
    ),
    (
        "log_dir_event_notification",
        include_str!("../../../zk-schema/schemas/log_dir_event_notification.schema.json"),
    ),
    (
        "migration",
        include_str!("../../../zk-schema/schemas/migration.schema.json"),
    ),
    (
        "partition_state",
        include_str!("../../../zk-schema/schemas/partition_state.schema.json"),
    ),
    (
        "preferred_replica_election",
        include_str!("../../../zk-schema/schemas/preferred_replica_election.schema.json"),
    ),
    (
        "producer_id_block",
        include_str!("../../../zk-schema/schemas/producer_id_block.schema.json"),
    ),
    (
        "reassign_partitions",
        include_str!("../../../zk-schema/schemas/reassign_partitions.schema.json"),
    ),
    (
        "token_change_notification",
        include_str!("../../../zk-schema/schemas/token_change_notification.schema.json"),
    ),
    (
        "topic_assignment",
        include_str!("../../../zk-schema/schemas/topic_assignment.schema.json"),
    ),
];

/// `zk-schema/tree.json`.
pub const TREE_JSON: &str = include_str!("../../../zk-schema/tree.json");

/// How a znode must have been created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Persistent,
    Ephemeral,
    /// Persistent, created with a sequential flag (a 10-digit suffix on the name).
    PersistentSequential,
    /// Not checked (ZooKeeper's own `/zookeeper` subtree).
    Any,
}

impl Mode {
    fn parse(s: &str) -> Option<Mode> {
        match s {
            "P" => Some(Mode::Persistent),
            "E" => Some(Mode::Ephemeral),
            "PS" => Some(Mode::PersistentSequential),
            "*" => Some(Mode::Any),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Mode::Persistent => "persistent",
            Mode::Ephemeral => "ephemeral",
            Mode::PersistentSequential => "persistent-sequential",
            Mode::Any => "any",
        }
    }
}

/// What a znode's data must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Null or empty data.
    Null,
    /// JSON validated by the named schema; `nullable` also allows null/empty data.
    Json { schema: String, nullable: bool },
    /// UTF-8 text validated (as a JSON string) by the named schema.
    Text { schema: String },
    /// Not validated.
    Any,
}

/// One path pattern of the tree.
#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub pattern: String,
    segments: Vec<String>,
    subtree: bool,
    pub mode: Mode,
    pub payload: Payload,
    pub writer: String,
    pub watchers: String,
}

/// The whole tree index plus compiled schemas.
#[derive(Debug)]
pub struct ZkTree {
    pub entries: Vec<TreeEntry>,
    pub schemas: BTreeMap<String, Schema>,
}

/// A problem in the embedded zk-schema files themselves (a build defect, caught by tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    #[error("zk-schema/tree.json: {0}")]
    Tree(String),
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl ZkTree {
    /// The embedded Kafka 3.9 tree, compiled once.
    pub fn kafka39() -> Result<&'static ZkTree, TreeError> {
        static TREE: OnceLock<Result<ZkTree, TreeError>> = OnceLock::new();
        TREE.get_or_init(|| ZkTree::parse(TREE_JSON, SCHEMA_FILES))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Parses a tree index and its schemas.
    pub fn parse(tree_json: &str, schema_files: &[(&str, &str)]) -> Result<ZkTree, TreeError> {
        let mut schemas = BTreeMap::new();
        for (name, text) in schema_files {
            schemas.insert(name.to_string(), Schema::compile(name, text)?);
        }
        let doc: Value = serde_json::from_str(tree_json)
            .map_err(|e| TreeError::Tree(format!("not JSON ({e})")))?;
        let raw = doc
            .get("entries")
            .and_then(Value::as_array)
            .ok_or_else(|| TreeError::Tree("missing 'entries' array".into()))?;
        let mut entries = Vec::new();
        for item in raw {
            let s = |k: &str| {
                item.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let pattern = s("path");
            let bad = |why: &str| TreeError::Tree(format!("entry {pattern}: {why}"));
            let mode = Mode::parse(&s("mode")).ok_or_else(|| bad("mode must be P, E, PS or *"))?;
            let p = item.get("payload").ok_or_else(|| bad("missing payload"))?;
            let kind = p.get("kind").and_then(Value::as_str).unwrap_or("");
            let schema_name = p
                .get("schema")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let payload = match kind {
                "null" => Payload::Null,
                "any" => Payload::Any,
                "json" => Payload::Json {
                    schema: schema_name.clone(),
                    nullable: p.get("nullable") == Some(&Value::Bool(true)),
                },
                "text" => Payload::Text {
                    schema: schema_name.clone(),
                },
                _ => return Err(bad("payload.kind must be null, json, text or any")),
            };
            if matches!(payload, Payload::Json { .. } | Payload::Text { .. })
                && !schemas.contains_key(&schema_name)
            {
                return Err(bad(&format!("unknown schema '{schema_name}'")));
            }
            let (body, subtree) = match pattern.strip_suffix("/**") {
                Some(b) => (b.to_string(), true),
                None => (pattern.clone(), false),
            };
            let segments = body
                .split('/')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            entries.push(TreeEntry {
                pattern: pattern.clone(),
                segments,
                subtree,
                mode,
                payload,
                writer: s("writer"),
                watchers: s("watchers"),
            });
        }
        Ok(ZkTree { entries, schemas })
    }

    /// The entry describing a chroot-relative path, if the path belongs to Kafka's tree.
    pub fn lookup(&self, path: &str) -> Option<&TreeEntry> {
        let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
        self.entries.iter().find(|e| e.matches(&segs))
    }

    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.schemas.get(name)
    }
}

impl TreeEntry {
    fn matches(&self, segs: &[&str]) -> bool {
        if self.subtree {
            segs.len() >= self.segments.len()
                && self
                    .segments
                    .iter()
                    .zip(segs)
                    .all(|(p, s)| segment_matches(p, s))
        } else {
            segs.len() == self.segments.len()
                && self
                    .segments
                    .iter()
                    .zip(segs)
                    .all(|(p, s)| segment_matches(p, s))
        }
    }
}

/// Matches one path segment against a pattern segment with at most one `{...}` placeholder.
fn segment_matches(pattern: &str, seg: &str) -> bool {
    let Some(open) = pattern.find('{') else {
        return pattern == seg;
    };
    let Some(close) = pattern[open..].find('}').map(|c| open + c) else {
        return pattern == seg;
    };
    let (prefix, suffix) = (&pattern[..open], &pattern[close + 1..]);
    let Some(value) = seg
        .strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix))
    else {
        return false;
    };
    let spec = &pattern[open + 1..close];
    let kind = spec
        .split_once(':')
        .map(|(_, k)| k)
        .unwrap_or(if spec == "seq" { "seq" } else { "" });
    match kind {
        // ZooKeeper appends the parent's cversion as %010d (negative after overflow: sign + digits).
        "seq" => value.len() == 10 && value.bytes().all(|b| b.is_ascii_digit() || b == b'-'),
        "int" => value.parse::<i32>().is_ok(),
        "resource-type" => ResourceType::ALL.iter().any(|t| t.path_name() == value),
        _ => !value.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded tree and every schema compile; every payload schema named in tree.json exists.
    #[test]
    fn embedded_tree_compiles() {
        let tree = ZkTree::kafka39().unwrap();
        assert!(tree.entries.len() > 50);
        assert_eq!(tree.schemas.len(), SCHEMA_FILES.len());
    }

    /// Reference §1: paths map to Kafka's modes and payloads.
    #[test]
    fn lookup_paths() {
        let tree = ZkTree::kafka39().unwrap();
        let e = tree.lookup("/brokers/ids/1").unwrap();
        assert_eq!(e.mode, Mode::Ephemeral);
        assert_eq!(
            e.payload,
            Payload::Json {
                schema: "broker_registration".into(),
                nullable: false
            }
        );
        assert!(tree.lookup("/brokers/ids/x").is_none());
        assert_eq!(tree.lookup("/").unwrap().payload, Payload::Null);
        assert_eq!(
            tree.lookup("/config/changes/config_change_0000000042")
                .unwrap()
                .mode,
            Mode::PersistentSequential
        );
        assert!(tree.lookup("/config/changes/config_change_42").is_none());
        assert!(tree.lookup("/kafka-acl/Topic/t").is_some());
        assert!(tree.lookup("/kafka-acl/Bogus/t").is_none());
        assert_eq!(tree.lookup("/zookeeper/quota/x").unwrap().mode, Mode::Any);
        assert!(tree
            .lookup("/brokers/topics/t/partitions/0/state")
            .is_some());
        assert!(tree.lookup("/unknown").is_none());
        // Every persistent top-level path Kafka creates is known.
        for p in super::super::PERSISTENT_ZK_PATHS {
            assert_eq!(tree.lookup(p).unwrap().mode, Mode::Persistent, "{p}");
        }
    }

    /// zk-schema/README.md documents every pattern of tree.json (they must not drift apart).
    #[test]
    fn readme_lists_every_pattern() {
        let readme = include_str!("../../../zk-schema/README.md");
        for e in &ZkTree::kafka39().unwrap().entries {
            assert!(
                readme.contains(&format!("| `{}` |", e.pattern)),
                "README misses {}",
                e.pattern
            );
        }
    }
}
