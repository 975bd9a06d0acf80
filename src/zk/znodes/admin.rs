//! `/admin`, `/admin/delete_topics[/<topic>]`, `/admin/reassign_partitions` and
//! `/admin/preferred_replica_election`.
//!
//! Kafka: `ZkData.AdminZNode`, `DeleteTopicsZNode`, `DeleteTopicsTopicZNode`,
//! `ReassignPartitionsZNode`, `PreferredReplicaElectionZNode`.

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::cluster::TopicPartition;

/// `/admin` — persistent, null data.
pub struct AdminZNode;

impl AdminZNode {
    pub const PATH: &'static str = "/admin";
}

/// `/admin/delete_topics` — persistent, null data; the controller child-watches it.
pub struct DeleteTopicsZNode;

impl DeleteTopicsZNode {
    pub const PATH: &'static str = "/admin/delete_topics";
}

/// `/admin/delete_topics/<topic>` — persistent, **null data**: marks a topic for deletion.
/// Kafka: `KafkaZkClient.createDeleteTopicPath`.
pub struct DeleteTopicsTopicZNode;

impl DeleteTopicsTopicZNode {
    pub fn path(topic: &str) -> String {
        format!("{}/{}", DeleteTopicsZNode::PATH, topic)
    }
}

/// `/admin/reassign_partitions` — legacy (deprecated since 2.4, still honoured in 3.9)
/// reassignment request, a Jackson bean (declaration order):
/// `{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}`.
///
/// Jackson bean binding fails on unknown properties (e.g. `log_dirs`), so the controller logs and
/// ignores such a znode; [`ReassignPartitionsZNode::decode`] refuses them the same way.
pub struct ReassignPartitionsZNode;

impl ReassignPartitionsZNode {
    pub const PATH: &'static str = "/admin/reassign_partitions";

    /// Kafka: `ReassignPartitionsZNode.encode`.
    pub fn encode(reassignment: &[(TopicPartition, Vec<i32>)]) -> Vec<u8> {
        let partitions = reassignment
            .iter()
            .map(|(tp, replicas)| {
                Json::Obj(vec![
                    ("topic".into(), Json::str(tp.topic.clone())),
                    ("partition".into(), Json::Int(i64::from(tp.partition))),
                    ("replicas".into(), Json::int_array(replicas)),
                ])
            })
            .collect();
        Json::Obj(vec![
            ("version".into(), Json::Int(1)),
            ("partitions".into(), Json::Arr(partitions)),
        ])
        .to_bytes()
    }

    /// Kafka: `ReassignPartitionsZNode.decode` (`Json.parseBytesAs[LegacyPartitionAssignment]`).
    pub fn decode(bytes: &[u8]) -> Result<Vec<(TopicPartition, Vec<i32>)>, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        let f = Fields::new(Self::PATH, &map);
        reject_unknown(&f, &["version", "partitions"])?;
        f.req_i32("version")?;
        let mut out = Vec::new();
        for (i, item) in f.req_array("partitions")?.iter().enumerate() {
            let field = format!("partitions[{i}]");
            let obj = f.as_object(&field, item)?;
            let pf = f.nested(&field, obj);
            reject_unknown(&pf, &["topic", "partition", "replicas"])?;
            let tp = TopicPartition::new(pf.req_str("topic")?, pf.req_i32("partition")?);
            out.push((tp, pf.req_i32_array("replicas")?));
        }
        Ok(out)
    }
}

/// Jackson's `FAIL_ON_UNKNOWN_PROPERTIES` (default on in `kafka.utils.Json`'s mapper).
fn reject_unknown(f: &Fields<'_>, known: &[&str]) -> Result<(), ZNodeError> {
    match f.map.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(f.invalid(
            k,
            "(present)",
            format!("unknown property; only {} are allowed", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// `/admin/preferred_replica_election` — legacy trigger for preferred leader election:
/// `{"version":1,"partitions":[{"topic":"my-topic","partition":0}]}` (Scala `Map2`s).
pub struct PreferredReplicaElectionZNode;

impl PreferredReplicaElectionZNode {
    pub const PATH: &'static str = "/admin/preferred_replica_election";

    /// Kafka: `PreferredReplicaElectionZNode.encode`.
    pub fn encode(partitions: &[TopicPartition]) -> Vec<u8> {
        partition_list_json(partitions)
    }

    /// Kafka: `PreferredReplicaElectionZNode.decode` — reads `partitions[].topic/partition`.
    pub fn decode(bytes: &[u8]) -> Result<Vec<TopicPartition>, ZNodeError> {
        decode_partition_list(Self::PATH, bytes)
    }
}

/// `{"version":1,"partitions":[{"topic":..,"partition":..},...]}` — shared by the preferred
/// election znode and ISR change notifications (both Scala `Map2`, insertion order).
pub(super) fn partition_list_json(partitions: &[TopicPartition]) -> Vec<u8> {
    let items = partitions
        .iter()
        .map(|tp| {
            Json::Obj(vec![
                ("topic".into(), Json::str(tp.topic.clone())),
                ("partition".into(), Json::Int(i64::from(tp.partition))),
            ])
        })
        .collect();
    Json::Obj(vec![
        ("version".into(), Json::Int(1)),
        ("partitions".into(), Json::Arr(items)),
    ])
    .to_bytes()
}

pub(super) fn decode_partition_list(
    znode: &str,
    bytes: &[u8],
) -> Result<Vec<TopicPartition>, ZNodeError> {
    let map = parse_object(znode, bytes)?;
    let f = Fields::new(znode, &map);
    let mut out = Vec::new();
    for (i, item) in f.req_array("partitions")?.iter().enumerate() {
        let field = format!("partitions[{i}]");
        let obj = f.as_object(&field, item)?;
        let pf = f.nested(&field, obj);
        out.push(TopicPartition::new(
            pf.req_str("topic")?,
            pf.req_i32("partition")?,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.12: exact legacy reassignment bytes; unknown properties are refused like
    /// Jackson bean binding does.
    #[test]
    fn golden_reassign_partitions() {
        let golden =
            br#"{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1,2,3]}]}"#;
        let r = vec![(TopicPartition::new("foo", 0), vec![1, 2, 3])];
        assert_eq!(ReassignPartitionsZNode::encode(&r), golden.to_vec());
        assert_eq!(ReassignPartitionsZNode::decode(golden).unwrap(), r);
        let e = ReassignPartitionsZNode::decode(
            br#"{"version":1,"partitions":[{"topic":"foo","partition":0,"replicas":[1],"log_dirs":["any"]}]}"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("'partitions[0].log_dirs'"), "{e}");
    }

    /// Reference §2.13: exact preferred-election bytes.
    #[test]
    fn golden_preferred_replica_election() {
        let golden = br#"{"version":1,"partitions":[{"topic":"my-topic","partition":0}]}"#;
        let p = vec![TopicPartition::new("my-topic", 0)];
        assert_eq!(PreferredReplicaElectionZNode::encode(&p), golden.to_vec());
        assert_eq!(PreferredReplicaElectionZNode::decode(golden).unwrap(), p);
        assert_eq!(DeleteTopicsTopicZNode::path("t"), "/admin/delete_topics/t");
    }
}
