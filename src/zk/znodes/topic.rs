//! `/brokers/topics`, `/brokers/topics/<topic>` (replica assignment) and the partition subtree
//! `/brokers/topics/<t>/partitions[/<p>[/state]]`.
//!
//! Kafka: `ZkData.TopicsZNode`, `TopicZNode`, `TopicPartitionsZNode`, `TopicPartitionZNode`,
//! `TopicPartitionStateZNode`; `KafkaZkClient.createTopicAssignment`, `setTopicAssignment`,
//! `createTopicPartitionStatesRaw`, `updateLeaderAndIsr`.

use std::collections::BTreeMap;

use base64::Engine;

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::cluster::{
    LeaderAndIsr, LeaderIsrAndControllerEpoch, LeaderRecoveryState, TopicPartition,
};
use crate::zk::json_order::scala213_mutable_hash_map_order_from_empty;

/// `/brokers/topics` — persistent, null data; the controller keeps a child watch on it.
pub struct TopicsZNode;

impl TopicsZNode {
    pub const PATH: &'static str = "/brokers/topics";
}

/// The replicas of one partition, with the in-flight reassignment sets.
///
/// Kafka: `kafka.controller.ReplicaAssignment` — `replicas` is the full replica set RS (preferred
/// leader first); during a reassignment `adding_replicas` (AR) and `removing_replicas` (RR).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplicaAssignment {
    pub replicas: Vec<i32>,
    pub adding_replicas: Vec<i32>,
    pub removing_replicas: Vec<i32>,
}

impl ReplicaAssignment {
    /// An assignment with no reassignment in progress.
    pub fn new(replicas: Vec<i32>) -> ReplicaAssignment {
        ReplicaAssignment {
            replicas,
            adding_replicas: Vec::new(),
            removing_replicas: Vec::new(),
        }
    }

    /// Kafka: `ReplicaAssignment.isBeingReassigned`.
    pub fn is_being_reassigned(&self) -> bool {
        !self.adding_replicas.is_empty() || !self.removing_replicas.is_empty()
    }
}

/// The decoded content of a topic znode. Kafka: `TopicZNode.TopicIdReplicaAssignment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicIdReplicaAssignment {
    pub topic: String,
    /// Kafka `Uuid.toString`: 22-character URL-safe base64 without padding.
    pub topic_id: Option<String>,
    /// Partition index → assignment.
    pub assignment: BTreeMap<i32, ReplicaAssignment>,
}

/// `/brokers/topics/<topic>` — persistent replica assignment, written as version 3.
///
/// Scala 2.13 key order `partitions, [topic_id,] adding_replicas, removing_replicas, version`
/// (`mutable.Map` of 4, then `+=` topic_id); partition keys inside each map in Scala 2.13
/// `mutable.HashMap` order (ids 0–10 ascending; 12 partitions → `"11","0",...,"10"`). Example:
/// `{"partitions":{"0":[1,2,3]},"topic_id":"cMr3GpVESX2L3byPGf93lQ","adding_replicas":{},"removing_replicas":{},"version":3}`.
pub struct TopicZNode;

impl TopicZNode {
    pub const CURRENT_VERSION: i32 = 3;
    const KEY_ORDER_213: [&'static str; 5] = [
        "partitions",
        "topic_id",
        "adding_replicas",
        "removing_replicas",
        "version",
    ];

    pub fn path(topic: &str) -> String {
        format!("{}/{}", TopicsZNode::PATH, topic)
    }

    /// Kafka: `TopicZNode.encode` — `adding_replicas`/`removing_replicas` list only partitions
    /// with a non-empty set; `topic_id` is omitted when `None`.
    pub fn encode(
        topic_id: Option<&str>,
        assignment: &BTreeMap<i32, ReplicaAssignment>,
    ) -> Vec<u8> {
        let partitions = partition_map(assignment.iter().map(|(p, a)| (*p, &a.replicas)));
        let adding = partition_map(
            assignment
                .iter()
                .filter(|(_, a)| !a.adding_replicas.is_empty())
                .map(|(p, a)| (*p, &a.adding_replicas)),
        );
        let removing = partition_map(
            assignment
                .iter()
                .filter(|(_, a)| !a.removing_replicas.is_empty())
                .map(|(p, a)| (*p, &a.removing_replicas)),
        );
        let mut fields: Vec<(&str, Json)> = vec![
            ("partitions", partitions),
            ("adding_replicas", adding),
            ("removing_replicas", removing),
            ("version", Json::Int(i64::from(Self::CURRENT_VERSION))),
        ];
        if let Some(id) = topic_id {
            fields.push(("topic_id", Json::str(id)));
        }
        let mut ordered = Vec::with_capacity(fields.len());
        for key in Self::KEY_ORDER_213 {
            if let Some(pos) = fields.iter().position(|(k, _)| *k == key) {
                let (k, v) = fields.swap_remove(pos);
                ordered.push((k.to_string(), v));
            }
        }
        Json::Obj(ordered).to_bytes()
    }

    /// Kafka: `TopicZNode.decode` — every key optional (`partitions` missing → no partitions),
    /// `version` not checked, any key order (v1, v2 and both Scala builds of v3).
    pub fn decode(topic: &str, bytes: &[u8]) -> Result<TopicIdReplicaAssignment, ZNodeError> {
        let znode = Self::path(topic);
        let map = parse_object(&znode, bytes)?;
        let f = Fields::new(&znode, &map);
        let topic_id = match f.get("topic_id") {
            None => None,
            Some(v) => {
                let s = f.as_str("topic_id", v)?;
                validate_uuid(s)
                    .map_err(|reason| f.invalid("topic_id", format!("\"{s}\""), reason))?;
                Some(s.to_string())
            }
        };
        let adding = f.opt_object("adding_replicas")?;
        let removing = f.opt_object("removing_replicas")?;
        let mut assignment = BTreeMap::new();
        if let Some(partitions) = f.opt_object("partitions")? {
            let pf = f.nested("partitions", partitions);
            for (key, replicas) in partitions {
                let partition: i32 = key.parse().map_err(|_| {
                    pf.invalid(
                        key,
                        format!("\"{key}\""),
                        "partition keys must be decimal partition ids",
                    )
                })?;
                let get = |m: Option<&serde_json::Map<String, serde_json::Value>>,
                           name: &str|
                 -> Result<Vec<i32>, ZNodeError> {
                    match m.and_then(|m| m.get(key)) {
                        None => Ok(Vec::new()),
                        Some(v) => f.as_i32_array(&format!("{name}.{key}"), v),
                    }
                };
                assignment.insert(
                    partition,
                    ReplicaAssignment {
                        replicas: pf.as_i32_array(key, replicas)?,
                        adding_replicas: get(adding, "adding_replicas")?,
                        removing_replicas: get(removing, "removing_replicas")?,
                    },
                );
            }
        }
        Ok(TopicIdReplicaAssignment {
            topic: topic.to_string(),
            topic_id,
            assignment,
        })
    }
}

/// A `{"<partition>":[replicas]}` object in Scala 2.13 `mutable.HashMap` order (built from empty).
fn partition_map<'a>(entries: impl Iterator<Item = (i32, &'a Vec<i32>)>) -> Json {
    let pairs: Vec<(String, Json)> = entries
        .map(|(p, replicas)| (p.to_string(), Json::int_array(replicas)))
        .collect();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let order = scala213_mutable_hash_map_order_from_empty(&keys);
    Json::obj_in_order(pairs, &order)
}

/// Kafka: `Uuid.fromString` — URL-safe base64 (no padding) of exactly 16 bytes.
pub fn validate_uuid(s: &str) -> Result<(), String> {
    if s.len() != 22 {
        return Err(format!(
            "a Kafka Uuid has 22 base64 characters, this has {}",
            s.len()
        ));
    }
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s) {
        Ok(bytes) if bytes.len() == 16 => Ok(()),
        _ => Err("not URL-safe base64 of 16 bytes".to_string()),
    }
}

/// `/brokers/topics/<topic>/partitions` — persistent, null data (created by the controller).
pub struct TopicPartitionsZNode;

impl TopicPartitionsZNode {
    pub fn path(topic: &str) -> String {
        format!("{}/partitions", TopicZNode::path(topic))
    }
}

/// `/brokers/topics/<topic>/partitions/<p>` — persistent, null data.
pub struct TopicPartitionZNode;

impl TopicPartitionZNode {
    pub fn path(tp: &TopicPartition) -> String {
        format!("{}/{}", TopicPartitionsZNode::path(&tp.topic), tp.partition)
    }
}

/// `/brokers/topics/<topic>/partitions/<p>/state` — persistent leader/ISR record; its zkVersion
/// is the partition epoch.
///
/// An immutable Scala `Map` of 5 entries (a CHAMP `HashMap`), `++ leader_recovery_state` only
/// when RECOVERING; identical in both Scala builds:
/// `{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}` and
/// `{"controller_epoch":3,"leader":1,"version":1,"leader_recovery_state":1,"leader_epoch":5,"isr":[1]}`.
pub struct TopicPartitionStateZNode;

impl TopicPartitionStateZNode {
    pub fn path(tp: &TopicPartition) -> String {
        format!("{}/state", TopicPartitionZNode::path(tp))
    }

    /// Kafka: `TopicPartitionStateZNode.encode`.
    pub fn encode(state: &LeaderIsrAndControllerEpoch) -> Vec<u8> {
        let l = &state.leader_and_isr;
        let mut fields = vec![
            (
                "controller_epoch".to_string(),
                Json::Int(i64::from(state.controller_epoch)),
            ),
            ("leader".to_string(), Json::Int(i64::from(l.leader))),
            ("version".to_string(), Json::Int(1)),
        ];
        if l.leader_recovery_state != LeaderRecoveryState::Recovered {
            fields.push((
                "leader_recovery_state".to_string(),
                Json::Int(i64::from(l.leader_recovery_state.value())),
            ));
        }
        fields.push((
            "leader_epoch".to_string(),
            Json::Int(i64::from(l.leader_epoch)),
        ));
        fields.push(("isr".to_string(), Json::int_array(&l.isr)));
        Json::Obj(fields).to_bytes()
    }

    /// Kafka: `TopicPartitionStateZNode.decode` — requires `leader`, `leader_epoch`, `isr`,
    /// `controller_epoch`; `leader_recovery_state` optional (absent = RECOVERED); `version` not
    /// checked. `zk_version` is the znode's `Stat.version` and becomes the partition epoch.
    pub fn decode(
        tp: &TopicPartition,
        bytes: &[u8],
        zk_version: i32,
    ) -> Result<LeaderIsrAndControllerEpoch, ZNodeError> {
        let znode = Self::path(tp);
        let map = parse_object(&znode, bytes)?;
        let f = Fields::new(&znode, &map);
        let leader = f.req_i32("leader")?;
        let leader_epoch = f.req_i32("leader_epoch")?;
        let isr = f.req_i32_array("isr")?;
        let leader_recovery_state = match f.opt_i32("leader_recovery_state")? {
            None => LeaderRecoveryState::Recovered,
            Some(v) => i8::try_from(v)
                .ok()
                .and_then(LeaderRecoveryState::of)
                .ok_or_else(|| {
                    f.invalid(
                        "leader_recovery_state",
                        v,
                        "expected 0 (RECOVERED) or 1 (RECOVERING)",
                    )
                })?,
        };
        let controller_epoch = f.req_i32("controller_epoch")?;
        Ok(LeaderIsrAndControllerEpoch {
            leader_and_isr: LeaderAndIsr {
                leader,
                leader_epoch,
                isr,
                leader_recovery_state,
                partition_epoch: zk_version,
            },
            controller_epoch,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (partition, replicas, adding, removing)
    type Row<'a> = (i32, &'a [i32], &'a [i32], &'a [i32]);

    fn assignment(entries: &[Row<'_>]) -> BTreeMap<i32, ReplicaAssignment> {
        entries
            .iter()
            .map(|(p, r, a, rm)| {
                (
                    *p,
                    ReplicaAssignment {
                        replicas: r.to_vec(),
                        adding_replicas: a.to_vec(),
                        removing_replicas: rm.to_vec(),
                    },
                )
            })
            .collect()
    }

    /// Reference §2.6: exact topic znode bytes (`TopicZNode.encode`, Scala 2.13 order).
    #[test]
    fn golden_topic_v3() {
        let a = assignment(&[
            (0, &[1, 2, 3], &[], &[]),
            (1, &[2, 3, 1], &[], &[]),
            (2, &[3, 1, 2], &[], &[]),
        ]);
        let golden = br#"{"partitions":{"0":[1,2,3],"1":[2,3,1],"2":[3,1,2]},"topic_id":"cMr3GpVESX2L3byPGf93lQ","adding_replicas":{},"removing_replicas":{},"version":3}"#;
        assert_eq!(
            TopicZNode::encode(Some("cMr3GpVESX2L3byPGf93lQ"), &a),
            golden.to_vec()
        );
        let d = TopicZNode::decode("t", golden).unwrap();
        assert_eq!(d.assignment, a);
        assert_eq!(d.topic_id.as_deref(), Some("cMr3GpVESX2L3byPGf93lQ"));

        let a = assignment(&[(0, &[1], &[4], &[1]), (1, &[2], &[], &[])]);
        let golden = br#"{"partitions":{"0":[1],"1":[2]},"topic_id":"Ol0sB7tbSPmFMZhVVbcPog","adding_replicas":{"0":[4]},"removing_replicas":{"0":[1]},"version":3}"#;
        assert_eq!(
            TopicZNode::encode(Some("Ol0sB7tbSPmFMZhVVbcPog"), &a),
            golden.to_vec()
        );
        assert_eq!(TopicZNode::decode("t", golden).unwrap().assignment, a);

        let golden =
            br#"{"partitions":{"0":[1]},"adding_replicas":{},"removing_replicas":{},"version":3}"#;
        let a = assignment(&[(0, &[1], &[], &[])]);
        assert_eq!(TopicZNode::encode(None, &a), golden.to_vec());
    }

    /// Reference §2.6/A.2: 12 partitions → `"11"` first.
    #[test]
    fn twelve_partitions_hash_order() {
        let a: BTreeMap<i32, ReplicaAssignment> = (0..12)
            .map(|p| (p, ReplicaAssignment::new(vec![0])))
            .collect();
        let text = String::from_utf8(TopicZNode::encode(None, &a)).unwrap();
        assert!(
            text.starts_with(r#"{"partitions":{"11":[0],"0":[0],"1":[0],"#),
            "{text}"
        );
    }

    /// Reference §2.6: Scala 2.12 order and the pre-2.8 v2 layout decode; bad ids are refused.
    #[test]
    fn decodes_other_layouts() {
        let b212 = br#"{"removing_replicas":{},"partitions":{"2":[3],"1":[2],"0":[1]},"topic_id":"cMr3GpVESX2L3byPGf93lQ","adding_replicas":{},"version":3}"#;
        assert_eq!(TopicZNode::decode("t", b212).unwrap().assignment.len(), 3);
        let v2 =
            br#"{"version":2,"partitions":{"0":[0]},"adding_replicas":{},"removing_replicas":{}}"#;
        let d = TopicZNode::decode("t", v2).unwrap();
        assert_eq!(d.topic_id, None);
        assert_eq!(d.assignment[&0].replicas, vec![0]);
        let e = TopicZNode::decode("t", br#"{"partitions":{"x":[0]}}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("znode /brokers/topics/t: field 'partitions.x'"),
            "{e}"
        );
        assert!(TopicZNode::decode("t", br#"{"topic_id":"short"}"#).is_err());
    }

    /// Reference §2.7: exact partition state bytes (`TopicPartitionStateZNode.encode`), decode
    /// takes the partition epoch from the znode's zkVersion.
    #[test]
    fn golden_partition_state() {
        let tp = TopicPartition::new("t", 0);
        assert_eq!(
            TopicPartitionStateZNode::path(&tp),
            "/brokers/topics/t/partitions/0/state"
        );
        let cases: [(&[u8], LeaderAndIsr, i32); 3] = [
            (
                br#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}"#,
                LeaderAndIsr::new(1, vec![1, 2, 3]),
                1,
            ),
            (
                br#"{"controller_epoch":2,"leader":-1,"version":1,"leader_epoch":7,"isr":[3]}"#,
                LeaderAndIsr { leader_epoch: 7, ..LeaderAndIsr::new(-1, vec![3]) },
                2,
            ),
            (
                br#"{"controller_epoch":3,"leader":1,"version":1,"leader_recovery_state":1,"leader_epoch":5,"isr":[1]}"#,
                LeaderAndIsr {
                    leader_epoch: 5,
                    leader_recovery_state: LeaderRecoveryState::Recovering,
                    ..LeaderAndIsr::new(1, vec![1])
                },
                3,
            ),
        ];
        for (golden, l, controller_epoch) in cases {
            let state = LeaderIsrAndControllerEpoch {
                leader_and_isr: l.with_partition_epoch(9),
                controller_epoch,
            };
            assert_eq!(TopicPartitionStateZNode::encode(&state), golden.to_vec());
            assert_eq!(
                TopicPartitionStateZNode::decode(&tp, golden, 9).unwrap(),
                state
            );
        }
        let e =
            TopicPartitionStateZNode::decode(&tp, br#"{"leader":1,"leader_epoch":0,"isr":[1]}"#, 0)
                .unwrap_err();
        assert!(
            e.to_string().contains("'controller_epoch' is missing"),
            "{e}"
        );
    }
}
