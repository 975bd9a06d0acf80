//! Decode any znode payload by its zk-schema name: used by `zkafka zk tree` (human summaries),
//! `zkafka zk check` (semantic validation and the canonical-bytes check) and the golden-example
//! tests (decode → encode must give the exact bytes back).

use serde_json::Value;

use super::json::parse_object;
use super::*;
use crate::cluster::{LeaderIsrAndControllerEpoch, TopicPartition};

/// A decoded payload of any znode type.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    ClusterId(String),
    Controller {
        registration: ControllerRegistration,
        version: i64,
        timestamp: Option<String>,
    },
    ControllerEpoch(i32),
    Broker(BrokerInfo),
    Topic(TopicIdReplicaAssignment),
    PartitionState(LeaderIsrAndControllerEpoch),
    EntityConfig(Vec<(String, String)>),
    ConfigChange {
        notification: ConfigChangeNotification,
        version: i32,
    },
    Reassignment(Vec<(TopicPartition, Vec<i32>)>),
    PreferredElection(Vec<TopicPartition>),
    IsrChange(Vec<TopicPartition>),
    LogDirEvent(i32),
    ProducerIdBlock(ProducerIdsBlock),
    Acls(Vec<AclEntry>),
    LiteralAclChange(ResourcePattern),
    ExtendedAclChange(ResourcePattern),
    DelegationToken(TokenInformation),
    TokenChange(String),
    Feature(FeatureZNode),
    Migration(MigrationState),
    ConsumerOffset(i64),
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

fn path_error(path: &str, what: &str) -> ZNodeError {
    ZNodeError::InvalidValue {
        znode: path.to_string(),
        field: "(path)".into(),
        value: path.to_string(),
        reason: format!("expected {what}"),
    }
}

/// Decodes `bytes` of the chroot-relative `path` as the payload type `schema` (a zk-schema name).
pub fn decode(schema: &str, path: &str, bytes: &[u8]) -> Result<Decoded, ZNodeError> {
    let segs = segments(path);
    let nth = |i: usize| {
        segs.get(i)
            .copied()
            .ok_or_else(|| path_error(path, "a longer path"))
    };
    Ok(match schema {
        "cluster_id" => Decoded::ClusterId(ClusterIdZNode::decode(bytes)?),
        "controller" => {
            let registration = ControllerZNode::decode(bytes)?;
            let map = parse_object(path, bytes)?;
            Decoded::Controller {
                registration,
                version: map.get("version").and_then(Value::as_i64).unwrap_or(-1),
                timestamp: map
                    .get("timestamp")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }
        }
        "controller_epoch" => Decoded::ControllerEpoch(ControllerEpochZNode::decode(bytes)?),
        "broker_registration" => {
            let id = nth(2)?
                .parse()
                .map_err(|_| path_error(path, "/brokers/ids/<int id>"))?;
            Decoded::Broker(BrokerIdZNode::decode(id, bytes)?)
        }
        "topic_assignment" => Decoded::Topic(TopicZNode::decode(nth(2)?, bytes)?),
        "partition_state" => {
            let partition = nth(4)?
                .parse()
                .map_err(|_| path_error(path, "an int partition"))?;
            let tp = TopicPartition::new(nth(2)?, partition);
            Decoded::PartitionState(TopicPartitionStateZNode::decode(&tp, bytes, 0)?)
        }
        "entity_config" => Decoded::EntityConfig(ConfigEntityZNode::decode(path, bytes)?),
        "config_change_notification" => {
            let notification = ConfigEntityChangeNotificationSequenceZNode::decode(path, bytes)?;
            let version = parse_object(path, bytes)?
                .get("version")
                .and_then(Value::as_i64)
                .unwrap_or(2) as i32;
            Decoded::ConfigChange {
                notification,
                version,
            }
        }
        "reassign_partitions" => Decoded::Reassignment(ReassignPartitionsZNode::decode(bytes)?),
        "preferred_replica_election" => {
            Decoded::PreferredElection(PreferredReplicaElectionZNode::decode(bytes)?)
        }
        "isr_change_notification" => {
            Decoded::IsrChange(IsrChangeNotificationSequenceZNode::decode(path, bytes)?)
        }
        "log_dir_event_notification" => {
            Decoded::LogDirEvent(LogDirEventNotificationSequenceZNode::decode(path, bytes)?)
        }
        "producer_id_block" => Decoded::ProducerIdBlock(ProducerIdBlockZNode::decode(bytes)?),
        "acl_node" => Decoded::Acls(ResourceZNode::decode(path, bytes)?),
        "literal_acl_change_notification" => {
            Decoded::LiteralAclChange(LiteralAclChangeStore::decode(path, bytes)?)
        }
        "extended_acl_change_notification" => {
            Decoded::ExtendedAclChange(ExtendedAclChangeStore::decode(path, bytes)?)
        }
        "delegation_token" => {
            Decoded::DelegationToken(DelegationTokenInfoZNode::decode(path, bytes)?)
        }
        "token_change_notification" => Decoded::TokenChange(
            DelegationTokenChangeNotificationSequenceZNode::decode(path, bytes)?,
        ),
        "feature" => Decoded::Feature(FeatureZNode::decode(bytes)?),
        "migration" => Decoded::Migration(MigrationZNode::decode(bytes)?),
        "consumer_offset" => Decoded::ConsumerOffset(ConsumerOffset::decode(path, bytes)?),
        other => {
            return Err(ZNodeError::InvalidValue {
                znode: path.to_string(),
                field: "(schema)".into(),
                value: other.to_string(),
                reason: "no decoder for this payload type".into(),
            })
        }
    })
}

impl Decoded {
    /// The bytes a Scala 2.13 Kafka 3.9 build writes for this content. Compare with the stored
    /// bytes to detect non-canonical key order or formatting. `None` where the stored payload
    /// cannot be reproduced from the decoded content (a controller payload without timestamp).
    pub fn encode(&self) -> Option<Vec<u8>> {
        Some(match self {
            Decoded::ClusterId(id) => ClusterIdZNode::encode(id),
            Decoded::Controller {
                registration,
                timestamp,
                ..
            } => {
                let ts = timestamp.as_deref()?.parse().ok()?;
                ControllerZNode::encode_with_kraft_epoch(
                    registration.broker_id,
                    ts,
                    registration.kraft_controller_epoch.unwrap_or(-1),
                )
            }
            Decoded::ControllerEpoch(e) => ControllerEpochZNode::encode(*e),
            Decoded::Broker(info) => BrokerIdZNode::encode(info),
            Decoded::Topic(t) => TopicZNode::encode(t.topic_id.as_deref(), &t.assignment),
            Decoded::PartitionState(s) => TopicPartitionStateZNode::encode(s),
            Decoded::EntityConfig(c) => ConfigEntityZNode::encode(c),
            Decoded::ConfigChange { notification, .. } => {
                ConfigEntityChangeNotificationSequenceZNode::encode(&notification.entity_path)
            }
            Decoded::Reassignment(r) => ReassignPartitionsZNode::encode(r),
            Decoded::PreferredElection(p) => PreferredReplicaElectionZNode::encode(p),
            Decoded::IsrChange(p) => IsrChangeNotificationSequenceZNode::encode(p),
            Decoded::LogDirEvent(b) => LogDirEventNotificationSequenceZNode::encode(*b),
            Decoded::ProducerIdBlock(b) => ProducerIdBlockZNode::encode(b),
            Decoded::Acls(a) => ResourceZNode::encode(a),
            Decoded::LiteralAclChange(r) => LiteralAclChangeStore::encode(r.resource_type, &r.name),
            Decoded::ExtendedAclChange(r) => ExtendedAclChangeStore::encode(r),
            Decoded::DelegationToken(t) => DelegationTokenInfoZNode::encode(t),
            Decoded::TokenChange(t) => DelegationTokenChangeNotificationSequenceZNode::encode(t),
            Decoded::Feature(f) => f.encode(),
            Decoded::Migration(m) => MigrationZNode::encode(m),
            Decoded::ConsumerOffset(o) => ConsumerOffset::encode(*o),
        })
    }

    /// Whether `bytes` (this payload's source) are byte-identical to what Kafka 3.9 (Scala 2.13)
    /// writes for this content. Large configs are judged by `ConfigEntityZNode::is_canonical`,
    /// because their key order depends on insertion history Kafka does not store.
    pub fn is_canonical(&self, bytes: &[u8]) -> bool {
        match self {
            Decoded::EntityConfig(c) => ConfigEntityZNode::is_canonical(bytes, c),
            other => other.encode().is_none_or(|canonical| canonical == bytes),
        }
    }

    /// A one-line human reading of the payload, for `zkafka zk tree`.
    pub fn summary(&self) -> String {
        fn tps(p: &[TopicPartition]) -> String {
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        }
        match self {
            Decoded::ClusterId(id) => format!("cluster id {id}"),
            Decoded::Controller {
                registration,
                timestamp,
                version,
            } => {
                let who = if registration.is_kraft_controller() {
                    format!(
                        "KRaft controller {} (kraft epoch {})",
                        registration.broker_id,
                        registration.kraft_controller_epoch.unwrap_or(-1)
                    )
                } else {
                    format!("controller is broker {}", registration.broker_id)
                };
                format!(
                    "{who}, elected at {} ms (v{version})",
                    timestamp.as_deref().unwrap_or("?")
                )
            }
            Decoded::ControllerEpoch(e) => format!("controller epoch {e}"),
            Decoded::Broker(b) => format!(
                "broker {} v{}: {}{}, jmx_port {}, registered at {} ms",
                b.id,
                b.version,
                b.endpoints
                    .iter()
                    .map(|e| e.connection_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                b.rack
                    .as_ref()
                    .map(|r| format!(", rack {r}"))
                    .unwrap_or_default(),
                b.jmx_port,
                b.timestamp_ms
            ),
            Decoded::Topic(t) => {
                let parts: Vec<String> = t
                    .assignment
                    .iter()
                    .map(|(p, a)| {
                        let mut s = format!("{p}→{:?}", a.replicas);
                        if a.is_being_reassigned() {
                            s.push_str(&format!(
                                " (adding {:?}, removing {:?})",
                                a.adding_replicas, a.removing_replicas
                            ));
                        }
                        s
                    })
                    .collect();
                // Long assignments (e.g. 50 `__consumer_offsets` partitions) are shortened.
                const SHOWN: usize = 12;
                let more = parts.len().saturating_sub(SHOWN);
                let mut listed = parts.into_iter().take(SHOWN).collect::<Vec<_>>().join(", ");
                if more > 0 {
                    listed.push_str(&format!(", ... ({more} more)"));
                }
                format!(
                    "topic {} id {}: {} partition(s) {}",
                    t.topic,
                    t.topic_id.as_deref().unwrap_or("(none)"),
                    t.assignment.len(),
                    listed
                )
            }
            Decoded::PartitionState(s) => {
                let l = &s.leader_and_isr;
                format!(
                    "leader {} epoch {} isr {:?}{}, decided by controller epoch {}",
                    l.leader,
                    l.leader_epoch,
                    l.isr,
                    if l.leader_recovery_state == crate::cluster::LeaderRecoveryState::Recovering {
                        " RECOVERING"
                    } else {
                        ""
                    },
                    s.controller_epoch
                )
            }
            Decoded::EntityConfig(c) if c.is_empty() => "no overrides".into(),
            Decoded::EntityConfig(c) => c
                .iter()
                .map(|(k, v)| {
                    if k.starts_with("SCRAM-") {
                        format!("{k}=<credential>")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect::<Vec<_>>()
                .join(", "),
            Decoded::ConfigChange { notification, .. } => {
                format!("config of {} changed", notification.entity_path)
            }
            Decoded::Reassignment(r) => format!(
                "reassign {}",
                r.iter()
                    .map(|(tp, rs)| format!("{tp}→{rs:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Decoded::PreferredElection(p) => format!("elect preferred leaders of {}", tps(p)),
            Decoded::IsrChange(p) => format!("ISR changed for {}", tps(p)),
            Decoded::LogDirEvent(b) => format!("a log dir of broker {b} failed"),
            Decoded::ProducerIdBlock(b) => format!(
                "producer ids {}..={} allocated to broker {}",
                b.first_producer_id,
                b.last_producer_id(),
                b.assigned_broker_id
            ),
            Decoded::Acls(a) => a
                .iter()
                .map(|e| {
                    format!(
                        "{} {} {} from {}",
                        e.principal,
                        e.permission_type.pascal_name(),
                        e.operation.pascal_name(),
                        e.host
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Decoded::LiteralAclChange(r) | Decoded::ExtendedAclChange(r) => {
                format!(
                    "ACLs of {} {} ({}) changed",
                    r.resource_type,
                    r.name,
                    r.pattern_type.name()
                )
            }
            Decoded::DelegationToken(t) => format!(
                "token {} owned by {} (renewers {:?}), expires at {} ms, max {} ms",
                t.token_id, t.owner, t.renewers, t.expiry_timestamp_ms, t.max_timestamp_ms
            ),
            Decoded::TokenChange(t) => format!("token {t} changed"),
            Decoded::Feature(f) => format!(
                "features v{} {:?}: {}",
                f.version,
                f.status,
                if f.features.is_empty() {
                    "none finalized".to_string()
                } else {
                    f.features
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            Decoded::Migration(m) => format!(
                "migration: KRaft controller {} epoch {}, metadata offset {} epoch {}",
                m.kraft_controller_id,
                m.kraft_controller_epoch,
                m.kraft_metadata_offset,
                m.kraft_metadata_epoch
            ),
            Decoded::ConsumerOffset(o) => format!("offset {o}"),
        }
    }
}
