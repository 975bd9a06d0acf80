//! Byte-for-byte comparison with Kafka 3.9's own encoders: `tests/kafka_reference/ZkDataEncode.java`
//! runs `kafka.zk.*ZNode.encode` from the real `kafka_2.13` 3.9 jar (Scala 2.13, Jackson) over
//! generated inputs — topic znodes with 1..100 partitions, entity configs with 1..60 keys
//! (`java.util.Properties` order across table resizes), broker registrations with 1..8
//! listeners, partition states, ACLs for every operation, tokens, and the fixed-shape znodes —
//! and our znode types must produce identical bytes for the same inputs.
//!
//! Needs java and the Kafka 3.9 jars (`KAFKA_LIB_DIR`, else `/work/kafka-ref/lib`, else
//! `integration-tests/lib`); skips with a note when they are absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use zkafka::cluster::{
    EndPoint, LeaderAndIsr, LeaderIsrAndControllerEpoch, LeaderRecoveryState, SecurityProtocol,
};
use zkafka::zk::znodes::*;

fn kafka_lib() -> Option<PathBuf> {
    let candidates = [
        std::env::var("KAFKA_LIB_DIR").ok().map(PathBuf::from),
        Some(PathBuf::from("/work/kafka-ref/lib")),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("integration-tests/lib")),
    ];
    candidates.into_iter().flatten().find(|dir| {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries.flatten().any(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with("kafka_2.13-3.9")
                })
            })
            .unwrap_or(false)
    })
}

fn ep(name: &str, port: u16, p: SecurityProtocol) -> EndPoint {
    EndPoint {
        host: "h".into(),
        port,
        listener_name: name.into(),
        security_protocol: p,
    }
}

/// Kafka 3.9 `ZkData` encoders (real jar) and zkafka's znode types write identical bytes.
#[test]
fn encoders_match_kafka_39_jar() {
    let Some(lib) = kafka_lib() else {
        eprintln!("skipping: Kafka 3.9 jars not found (set KAFKA_LIB_DIR)");
        return;
    };
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kafka_reference/ZkDataEncode.java");
    let out = match Command::new("java")
        .arg("-cp")
        .arg(format!("{}/*", lib.display()))
        .arg(&source)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("skipping: cannot run java ({e})");
            return;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut compared: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, '\t');
        let (kind, input, expected) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let ours: Vec<u8> = match kind {
            "topic" => {
                let n: i32 = input.parse().unwrap();
                let a = (0..n)
                    .map(|p| (p, ReplicaAssignment::new(vec![p % 3, (p + 1) % 3])))
                    .collect();
                TopicZNode::encode(Some("cMr3GpVESX2L3byPGf93lQ"), &a)
            }
            "topic-reassign" => {
                let mut a = BTreeMap::new();
                a.insert(
                    0,
                    ReplicaAssignment {
                        replicas: vec![1, 4],
                        adding_replicas: vec![4],
                        removing_replicas: vec![1],
                    },
                );
                a.insert(1, ReplicaAssignment::new(vec![2]));
                TopicZNode::encode(None, &a)
            }
            "config" => {
                let config: Vec<(String, String)> = input
                    .split(',')
                    .enumerate()
                    .map(|(i, k)| (k.to_string(), format!("v{i}")))
                    .collect();
                ConfigEntityZNode::encode(&config)
            }
            "broker" => {
                let names: Vec<&str> = input.split(',').collect();
                let endpoints = names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| {
                        let p = if i < 4 {
                            SecurityProtocol::from_name(n).unwrap()
                        } else {
                            SecurityProtocol::Plaintext
                        };
                        ep(n, 9000 + i as u16, p)
                    })
                    .collect();
                let rack = names
                    .len()
                    .is_multiple_of(2)
                    .then(|| format!("rack-{}", names.len()));
                // Kafka stamps the current time; reuse its timestamp.
                let ts: i64 = expected
                    .rsplit("\"timestamp\":\"")
                    .next()
                    .unwrap()
                    .trim_end_matches("\"}")
                    .parse()
                    .unwrap();
                BrokerIdZNode::encode(&BrokerInfo::new(1, endpoints, rack, -1, ts))
            }
            "state" => {
                let v: Vec<i32> = input.split(',').map(|x| x.parse().unwrap()).collect();
                let recovery = if v[3] == 1 {
                    LeaderRecoveryState::Recovering
                } else {
                    LeaderRecoveryState::Recovered
                };
                TopicPartitionStateZNode::encode(&LeaderIsrAndControllerEpoch {
                    leader_and_isr: LeaderAndIsr {
                        leader: v[0],
                        leader_epoch: v[1],
                        isr: vec![1, 2, 3],
                        leader_recovery_state: recovery,
                        partition_epoch: 0,
                    },
                    controller_epoch: v[2],
                })
            }
            "acl" => {
                // Operation and permission are taken from Kafka's output; key order, escaping and
                // the PascalCase names round-trip through our types.
                let acls =
                    ResourceZNode::decode("/kafka-acl/Topic/t", expected.as_bytes()).unwrap();
                ResourceZNode::encode(&acls)
            }
            "token" => DelegationTokenInfoZNode::encode(&TokenInformation {
                token_id: "TOKEN_ID".into(),
                owner: "User:alice".into(),
                token_requester: "User:alice".into(),
                renewers: vec!["User:bob".into(), "User:c*rol".into()],
                issue_timestamp_ms: 1_700_000_000_000,
                max_timestamp_ms: 1_700_604_800_000,
                expiry_timestamp_ms: 1_700_086_400_000,
            }),
            "controller" => ControllerZNode::encode(7, 1_700_000_000_000),
            "feature" => FeatureZNode::kafka_39_default().encode(),
            "migration" => MigrationZNode::encode(&MigrationState::EMPTY),
            "cluster_id" => ClusterIdZNode::encode("AbCdEfGhIjKlMnOpQrStUw"),
            "producer_id_block" => ProducerIdBlockZNode::encode(&ProducerIdsBlock {
                assigned_broker_id: 3,
                first_producer_id: 1000,
                size: 1000,
            }),
            "log_dir_event" => LogDirEventNotificationSequenceZNode::encode(4),
            "config_change" => {
                ConfigEntityChangeNotificationSequenceZNode::encode("users/alice/clients/c1")
            }
            other => panic!("unknown case kind {other}"),
        };
        assert_eq!(String::from_utf8(ours).unwrap(), expected, "{kind} {input}");
        *compared.entry(kind.to_string()).or_default() += 1;
    }
    assert_eq!(compared.get("topic"), Some(&100));
    assert_eq!(compared.get("config"), Some(&60));
    assert_eq!(compared.get("broker"), Some(&8));
    assert_eq!(compared.get("acl"), Some(&26));
    assert!(compared.len() >= 14, "{compared:?}");
}
