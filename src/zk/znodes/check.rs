//! Validation of a snapshot of a live znode tree against zk-schema: the logic behind
//! `zkafka zk check`, kept free of I/O so it can be table-tested.
//!
//! Rules (each finding names the znode and the rule):
//! - `unknown-path`: the path is not part of Kafka 3.9's tree (`zk-schema/tree.json`).
//! - `mode`: ephemeral where Kafka creates a persistent znode, or the reverse (`/controller` may
//!   be persistent only when a KRaft controller owns it, `kraftControllerEpoch > 0`).
//! - `null-data`: data where Kafka writes none.
//! - `json`, `utf8`, `schema:<keyword>`: the payload is not JSON/UTF-8 or breaks its schema.
//! - `decode`: Kafka's reader (our port of it) would refuse the payload.
//! - Cross-checks: `missing-path` (Kafka's startup paths and `/cluster/id` once a broker
//!   registered), `controller-live` (`/controller` names a registered broker),
//!   `controller-epoch` (`/controller_epoch` exists and no partition state has a newer
//!   controller epoch), `broker-host-port` (legacy host/port are the first PLAINTEXT
//!   endpoint), `broker-registration` (dataVersion ≥ 1, from Kafka's create(null)+setData
//!   multi), `partition-assignment` (state znodes only for assigned partitions, ISR ⊆
//!   replicas, leader in ISR or -1).
//! - Warnings (reported, exit code unaffected): `canonical-bytes` (valid, but not the exact
//!   bytes Kafka 3.9's Scala 2.13 build writes — key order or formatting), `topic-config`
//!   (a topic without `/config/topics/<topic>`, which Kafka always creates).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::payload::{self, Decoded};
use super::tree::{Mode, Payload, ZkTree};
use super::PERSISTENT_ZK_PATHS;
use crate::cluster::SecurityProtocol;

/// One znode as read from ZooKeeper. `path` is relative to the chroot (`/` is the chroot).
#[derive(Debug, Clone)]
pub struct ZNodeSnapshot {
    pub path: String,
    pub data: Vec<u8>,
    /// `Stat.ephemeralOwner`: non-zero for ephemeral znodes.
    pub ephemeral_owner: i64,
    /// `Stat.version` (data version).
    pub version: i32,
}

/// A broken rule (or a warning) at one znode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub rule: String,
    pub message: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: [{}] {}", self.path, self.rule, self.message)
    }
}

/// The result of checking a snapshot.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub checked: usize,
    pub violations: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl CheckReport {
    fn violation(&mut self, path: &str, rule: impl Into<String>, message: impl Into<String>) {
        self.violations.push(Finding {
            path: path.to_string(),
            rule: rule.into(),
            message: message.into(),
        });
    }

    fn warning(&mut self, path: &str, rule: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Finding {
            path: path.to_string(),
            rule: rule.into(),
            message: message.into(),
        });
    }
}

/// Checks every znode of a snapshot, then the cross-znode rules.
pub fn check_tree(tree: &ZkTree, nodes: &[ZNodeSnapshot]) -> CheckReport {
    let mut report = CheckReport::default();
    let mut decoded: BTreeMap<String, Decoded> = BTreeMap::new();
    // An unknown subtree (another application's data, a stray chroot) is reported once, at its
    // top, with the number of znodes below it, instead of once per znode.
    let mut unknown_roots: Vec<(String, usize)> = Vec::new();
    for node in nodes {
        report.checked += 1;
        if let Some((_, below)) = unknown_roots
            .iter_mut()
            .find(|(root, _)| node.path.starts_with(&format!("{root}/")))
        {
            *below += 1;
            continue;
        }
        if tree.lookup(&node.path).is_none() {
            unknown_roots.push((node.path.clone(), 0));
            continue;
        }
        if let Some(d) = check_node(tree, node, &mut report) {
            decoded.insert(node.path.clone(), d);
        }
    }
    for (root, below) in unknown_roots {
        let extra = if below > 0 {
            format!(" ({below} znode(s) below it not checked)")
        } else {
            String::new()
        };
        report.violation(
            &root,
            "unknown-path",
            format!("not a znode of Kafka 3.9's ZooKeeper tree{extra}"),
        );
    }
    cross_check(nodes, &decoded, &mut report);
    report
}

/// Validates one znode in isolation; returns its decoded payload when it has one.
pub fn check_node(
    tree: &ZkTree,
    node: &ZNodeSnapshot,
    report: &mut CheckReport,
) -> Option<Decoded> {
    let path = node.path.as_str();
    let Some(entry) = tree.lookup(path) else {
        report.violation(
            path,
            "unknown-path",
            "not a znode of Kafka 3.9's ZooKeeper tree",
        );
        return None;
    };
    let ephemeral = node.ephemeral_owner != 0;
    match entry.mode {
        Mode::Any => return None,
        Mode::Ephemeral if !ephemeral && path != "/controller" => report.violation(
            path,
            "mode",
            "must be ephemeral (Kafka ties it to the owner's session) but is persistent",
        ),
        Mode::Persistent | Mode::PersistentSequential if ephemeral => report.violation(
            path,
            "mode",
            format!(
                "must be {} but is ephemeral (owner session 0x{:x})",
                entry.mode.label(),
                node.ephemeral_owner
            ),
        ),
        _ => {}
    }
    let (schema_name, is_text, nullable) = match &entry.payload {
        Payload::Any => return None,
        Payload::Null => {
            if !node.data.is_empty() {
                report.violation(
                    path,
                    "null-data",
                    format!(
                        "Kafka creates this znode with null data, found {} byte(s)",
                        node.data.len()
                    ),
                );
            }
            return None;
        }
        Payload::Json { schema, nullable } => (schema.as_str(), false, *nullable),
        Payload::Text { schema } => (schema.as_str(), true, false),
    };
    if node.data.is_empty() {
        if !nullable {
            report.violation(
                path,
                "null-data",
                format!("expected a {schema_name} payload, found no data"),
            );
        }
        return None;
    }
    let value = if is_text {
        match std::str::from_utf8(&node.data) {
            Ok(t) => Value::String(t.to_string()),
            Err(_) => {
                report.violation(path, "utf8", "payload is not UTF-8 text");
                return None;
            }
        }
    } else {
        match serde_json::from_slice::<Value>(&node.data) {
            Ok(v) => v,
            Err(e) => {
                report.violation(path, "json", format!("payload is not JSON ({e})"));
                return None;
            }
        }
    };
    let schema = tree.schema(schema_name)?;
    let violations = schema.validate(&value);
    let schema_ok = violations.is_empty();
    for v in violations {
        report.violation(
            path,
            format!("schema:{}", v.keyword),
            format!("{schema_name} {v}"),
        );
    }
    let decoded = match payload::decode(schema_name, path, &node.data) {
        Ok(d) => d,
        Err(e) => {
            report.violation(path, "decode", e.to_string());
            return None;
        }
    };
    if path == "/controller" && !ephemeral {
        if let Decoded::Controller { registration, .. } = &decoded {
            if !registration.is_kraft_controller() {
                report.violation(
                    path,
                    "mode",
                    "must be ephemeral for a ZooKeeper controller (persistent only for a KRaft controller, kraftControllerEpoch > 0)",
                );
            }
        }
    }
    if schema_ok && !decoded.is_canonical(&node.data) {
        if let Some(canonical) = decoded.encode() {
            report.warning(
                path,
                "canonical-bytes",
                format!(
                    "valid, but Kafka 3.9 (Scala 2.13) would write {}",
                    String::from_utf8_lossy(&canonical)
                ),
            );
        }
    }
    Some(decoded)
}

fn cross_check(
    nodes: &[ZNodeSnapshot],
    decoded: &BTreeMap<String, Decoded>,
    report: &mut CheckReport,
) {
    let paths: BTreeSet<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
    let brokers: BTreeSet<i32> = decoded
        .values()
        .filter_map(|d| match d {
            Decoded::Broker(b) => Some(b.id),
            _ => None,
        })
        .collect();
    let is_kafka_tree = paths.contains("/brokers/ids");
    if is_kafka_tree {
        for p in PERSISTENT_ZK_PATHS {
            if !paths.contains(p) {
                report.violation(
                    p,
                    "missing-path",
                    "every Kafka broker creates this path at startup (ZkData.PersistentZkPaths)",
                );
            }
        }
    }
    if !brokers.is_empty() && !paths.contains("/cluster/id") {
        report.violation(
            "/cluster/id",
            "missing-path",
            "brokers are registered but the cluster id is missing",
        );
    }
    let controller_epoch = decoded.get("/controller_epoch").and_then(|d| match d {
        Decoded::ControllerEpoch(e) => Some(*e),
        _ => None,
    });
    if let Some(Decoded::Controller { registration, .. }) = decoded.get("/controller") {
        if !registration.is_kraft_controller() && !brokers.contains(&registration.broker_id) {
            report.violation(
                "/controller",
                "controller-live",
                format!(
                    "brokerid {} is not a registered broker (live: {:?})",
                    registration.broker_id, brokers
                ),
            );
        }
        if !paths.contains("/controller_epoch") {
            report.violation(
                "/controller_epoch",
                "controller-epoch",
                "a controller is elected but /controller_epoch is missing",
            );
        }
    }
    for (path, d) in decoded {
        match d {
            Decoded::Broker(b) => {
                // Kafka: `KafkaZkClient.registerBroker` (CheckedEphemeral) creates the znode with
                // null data and sets the payload in the same multi, so it is never at version 0.
                if nodes.iter().any(|n| n.path == *path && n.version == 0) {
                    report.violation(
                        path,
                        "broker-registration",
                        "dataVersion 0: Kafka registers with multi[create(null), setData(json, 0)], leaving dataVersion >= 1",
                    );
                }
                if b.version >= 2 {
                    check_broker_host_port(path, b, nodes, report);
                }
            }
            Decoded::Topic(t)
                if !paths.contains(format!("/config/topics/{}", t.topic).as_str()) =>
            {
                report.warning(
                    path,
                    "topic-config",
                    "Kafka always writes /config/topics/<topic> when it creates a topic",
                );
            }
            Decoded::PartitionState(s) => {
                let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
                let (topic, partition) = (segs[2], segs[4].parse::<i32>().unwrap_or(-1));
                if let (Some(current), true) = (
                    controller_epoch,
                    s.controller_epoch > controller_epoch.unwrap_or(i32::MAX),
                ) {
                    report.violation(
                        path,
                        "controller-epoch",
                        format!(
                            "controller_epoch {} is newer than /controller_epoch {current}",
                            s.controller_epoch
                        ),
                    );
                }
                check_partition_state(path, topic, partition, s, decoded, report);
            }
            _ => {}
        }
    }
}

fn check_broker_host_port(
    path: &str,
    b: &super::BrokerInfo,
    nodes: &[ZNodeSnapshot],
    report: &mut CheckReport,
) {
    let Some(raw) = nodes.iter().find(|n| n.path == path) else {
        return;
    };
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&raw.data) else {
        return;
    };
    let (want_host, want_port) = match b
        .endpoints
        .iter()
        .find(|e| e.security_protocol == SecurityProtocol::Plaintext)
    {
        Some(e) => (Value::String(e.host.clone()), i64::from(e.port)),
        None => (Value::Null, -1),
    };
    let host = map.get("host").cloned().unwrap_or(Value::Null);
    let port = map.get("port").and_then(Value::as_i64).unwrap_or(-1);
    if host != want_host || port != want_port {
        report.violation(
            path,
            "broker-host-port",
            format!("host/port are {host}/{port} but the first PLAINTEXT endpoint gives {want_host}/{want_port}"),
        );
    }
}

fn check_partition_state(
    path: &str,
    topic: &str,
    partition: i32,
    s: &crate::cluster::LeaderIsrAndControllerEpoch,
    decoded: &BTreeMap<String, Decoded>,
    report: &mut CheckReport,
) {
    let l = &s.leader_and_isr;
    if l.leader >= 0 && !l.isr.contains(&l.leader) {
        report.violation(
            path,
            "partition-assignment",
            format!("leader {} is not in the ISR {:?}", l.leader, l.isr),
        );
    }
    let Some(Decoded::Topic(t)) = decoded.get(&format!("/brokers/topics/{topic}")) else {
        return;
    };
    match t.assignment.get(&partition) {
        None => report.violation(
            path,
            "partition-assignment",
            format!("partition {partition} is not in the assignment of topic {topic}"),
        ),
        Some(a) => {
            let outside: Vec<i32> = l
                .isr
                .iter()
                .copied()
                .filter(|r| !a.replicas.contains(r))
                .collect();
            if !outside.is_empty() {
                report.violation(
                    path,
                    "partition-assignment",
                    format!(
                        "ISR members {outside:?} are not replicas {:?} of {topic}-{partition}",
                        a.replicas
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zk::znodes::*;

    fn node(path: &str, data: &[u8], ephemeral: bool) -> ZNodeSnapshot {
        ZNodeSnapshot {
            path: path.to_string(),
            data: data.to_vec(),
            ephemeral_owner: if ephemeral { 0x1234 } else { 0 },
            version: 0,
        }
    }

    fn kafka_tree() -> Vec<ZNodeSnapshot> {
        let mut nodes = vec![node("/", b"", false)];
        for p in ["/brokers", "/config", "/admin", "/cluster"] {
            nodes.push(node(p, b"", false));
        }
        for p in PERSISTENT_ZK_PATHS {
            nodes.push(node(p, b"", false));
        }
        nodes.push(node(
            "/cluster/id",
            &ClusterIdZNode::encode("AbCdEfGhIjKlMnOpQrStUw"),
            false,
        ));
        nodes.push(node(
            "/controller",
            &ControllerZNode::encode(1, 1_700_000_000_000),
            true,
        ));
        nodes.push(node("/controller_epoch", b"1", false));
        let info = BrokerInfo::new(
            1,
            vec![crate::cluster::EndPoint {
                host: "localhost".into(),
                port: 9092,
                listener_name: "PLAINTEXT".into(),
                security_protocol: SecurityProtocol::Plaintext,
            }],
            None,
            -1,
            1_700_000_000_000,
        );
        let mut broker = node("/brokers/ids/1", &BrokerIdZNode::encode(&info), true);
        broker.version = 1;
        nodes.push(broker);
        nodes.push(node(
            "/feature",
            &FeatureZNode::kafka_39_default().encode(),
            false,
        ));
        nodes
    }

    /// A tree as a Kafka 3.9 broker leaves it is clean.
    #[test]
    fn clean_tree_passes() {
        let tree = ZkTree::kafka39().unwrap();
        let r = check_tree(tree, &kafka_tree());
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    }

    /// Drift is reported with the znode and the rule: numeric timestamp, wrong mode, unknown
    /// path, dead controller, unknown key order (warning only).
    #[test]
    fn drift_is_named() {
        let tree = ZkTree::kafka39().unwrap();
        let mut nodes = kafka_tree();
        nodes.retain(|n| n.path != "/brokers/ids/1");
        nodes.push(node(
            "/brokers/ids/2",
            br#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":1700000000000}"#,
            true,
        ));
        nodes.push(node(
            "/brokers/topics/t",
            br#"{"partitions":{"0":[2]},"adding_replicas":{},"removing_replicas":{},"version":3}"#,
            true,
        ));
        nodes.push(node("/bogus", b"", false));
        nodes.push(node("/bogus/child", b"x", false));
        nodes.push(node("/bogus/child/grandchild", b"", true));
        nodes.push(node(
            "/feature",
            br#"{"version":2,"status":1,"features":{}}"#,
            false,
        ));
        let r = check_tree(tree, &nodes);
        let rules: BTreeSet<(String, String)> = r
            .violations
            .iter()
            .map(|f| (f.path.clone(), f.rule.clone()))
            .collect();
        for expected in [
            ("/brokers/ids/2", "schema:type"),
            ("/brokers/topics/t", "mode"),
            ("/bogus", "unknown-path"),
            ("/controller", "controller-live"),
            ("/brokers/ids/2", "broker-registration"),
        ] {
            assert!(
                rules.contains(&(expected.0.to_string(), expected.1.to_string())),
                "missing {expected:?} in {rules:?}"
            );
        }
        let bad_ts = r
            .violations
            .iter()
            .find(|f| f.path == "/brokers/ids/2")
            .unwrap();
        assert_eq!(
            bad_ts.to_string(),
            "/brokers/ids/2: [schema:type] broker_registration /timestamp: expected string but found integer 1700000000000 [type]"
        );
        let unknown: Vec<String> = r
            .violations
            .iter()
            .filter(|f| f.rule == "unknown-path")
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            unknown,
            vec!["/bogus: [unknown-path] not a znode of Kafka 3.9's ZooKeeper tree (2 znode(s) below it not checked)"]
        );
        assert!(r
            .warnings
            .iter()
            .any(|w| w.path == "/feature" && w.rule == "canonical-bytes"));
        assert!(r
            .warnings
            .iter()
            .any(|w| w.path == "/brokers/topics/t" && w.rule == "topic-config"));
    }

    /// Partition state cross-checks: leader in ISR, ISR ⊆ replicas, assigned partition.
    #[test]
    fn partition_state_cross_checks() {
        let tree = ZkTree::kafka39().unwrap();
        let mut nodes = kafka_tree();
        nodes.push(node(
            "/brokers/topics/t",
            br#"{"partitions":{"0":[1]},"adding_replicas":{},"removing_replicas":{},"version":3}"#,
            false,
        ));
        nodes.push(node(
            "/config/topics/t",
            br#"{"version":1,"config":{}}"#,
            false,
        ));
        nodes.push(node("/brokers/topics/t/partitions", b"", false));
        nodes.push(node("/brokers/topics/t/partitions/0", b"", false));
        nodes.push(node("/brokers/topics/t/partitions/1", b"", false));
        nodes.push(node(
            "/brokers/topics/t/partitions/0/state",
            br#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1]}"#,
            false,
        ));
        let r = check_tree(tree, &nodes);
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        nodes.push(node(
            "/brokers/topics/t/partitions/1/state",
            br#"{"controller_epoch":5,"leader":3,"version":1,"leader_epoch":0,"isr":[2]}"#,
            false,
        ));
        let r = check_tree(tree, &nodes);
        let msgs: Vec<String> = r.violations.iter().map(ToString::to_string).collect();
        assert_eq!(r.violations.len(), 3, "{msgs:?}");
        assert!(msgs
            .iter()
            .any(|m| m.contains("[controller-epoch] controller_epoch 5 is newer")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("leader 3 is not in the ISR")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("partition 1 is not in the assignment")));
    }
}
