//! Golden examples in `zk-schema/examples/<schema>/` (exact bytes from the reference
//! `kafka-zk-layout.md`): every example validates against its schema and decodes; canonical
//! Kafka 3.9 (Scala 2.13) examples re-encode byte for byte. Files named `scala212-*` (the
//! Scala 2.12 build's key order) and `legacy-*` (older versions Kafka 3.9 still reads) are
//! decode-only.

use std::path::Path;

use serde_json::Value;

use super::payload;
use super::tree::{Payload, ZkTree, SCHEMA_FILES};

/// A representative path for each payload type (decoders take ids from the path).
fn sample_path(schema: &str) -> &'static str {
    match schema {
        "broker_registration" => "/brokers/ids/1",
        "topic_assignment" => "/brokers/topics/my-topic",
        "partition_state" => "/brokers/topics/my-topic/partitions/0/state",
        "entity_config" => "/config/topics/my-topic",
        "config_change_notification" => "/config/changes/config_change_0000000000",
        "isr_change_notification" => "/isr_change_notification/isr_change_0000000000",
        "log_dir_event_notification" => "/log_dir_event_notification/log_dir_event_0000000000",
        "acl_node" => "/kafka-acl/Topic/my-topic",
        "literal_acl_change_notification" => "/kafka-acl-changes/acl_changes_0000000000",
        "extended_acl_change_notification" => "/kafka-acl-extended-changes/acl_changes_0000000000",
        "delegation_token" => "/delegation_token/tokens/TOKEN_ID",
        "token_change_notification" => "/delegation_token/token_changes/token_change_0000000000",
        "consumer_offset" => "/consumers/g/offsets/t/0",
        "cluster_id" => "/cluster/id",
        "controller" => "/controller",
        "controller_epoch" => "/controller_epoch",
        "reassign_partitions" => "/admin/reassign_partitions",
        "preferred_replica_election" => "/admin/preferred_replica_election",
        "producer_id_block" => "/latest_producer_id_block",
        "feature" => "/feature",
        "migration" => "/migration",
        _ => "/unknown",
    }
}

/// Reference `kafka-zk-layout.md` §2 exact examples: schema-valid, decodable, and (for the
/// canonical Kafka 3.9 / Scala 2.13 ones) reproduced byte for byte by our encoders
/// (`ZkData.*ZNode.encode`).
#[test]
fn every_golden_example_validates_and_round_trips() {
    let tree = ZkTree::kafka39().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("zk-schema/examples");
    let mut checked = 0;
    let mut round_tripped = 0;
    for (schema_name, _) in SCHEMA_FILES {
        let dir = root.join(schema_name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: every schema needs examples ({e})", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{schema_name}: no examples");
        let schema = tree.schema(schema_name).unwrap();
        let path = sample_path(schema_name);
        // The sample path must map to this schema in tree.json.
        let entry = tree
            .lookup(path)
            .unwrap_or_else(|| panic!("{path} not in tree.json"));
        let is_text = matches!(&entry.payload, Payload::Text { schema } if schema == schema_name);
        assert!(
            is_text
                || matches!(&entry.payload, Payload::Json { schema, .. } if schema == schema_name),
            "{path} maps to {:?}, not {schema_name}",
            entry.payload
        );
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.ends_with(b"\n"),
                "{name}: examples hold exact bytes, no trailing newline"
            );
            let value: Value = if is_text {
                Value::String(String::from_utf8(bytes.clone()).unwrap())
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|e| panic!("{schema_name}/{name}: {e}"))
            };
            let violations = schema.validate(&value);
            assert!(
                violations.is_empty(),
                "{schema_name}/{name}: {violations:?}"
            );
            let decoded = payload::decode(schema_name, path, &bytes)
                .unwrap_or_else(|e| panic!("{schema_name}/{name}: {e}"));
            checked += 1;
            if !(name.starts_with("scala212") || name.starts_with("legacy")) {
                let encoded = decoded
                    .encode()
                    .unwrap_or_else(|| panic!("{schema_name}/{name}: cannot re-encode"));
                assert_eq!(
                    String::from_utf8_lossy(&encoded),
                    String::from_utf8_lossy(&bytes),
                    "{schema_name}/{name}: decode then encode must give the original bytes"
                );
                round_tripped += 1;
            }
        }
    }
    assert!(checked >= 47, "only {checked} examples found");
    assert!(
        round_tripped >= 35,
        "only {round_tripped} canonical examples"
    );
}

/// A drifted payload (numeric timestamp, as a naive writer would produce) fails the schema with
/// a rule naming the field.
#[test]
fn drifted_examples_fail_validation() {
    let tree = ZkTree::kafka39().unwrap();
    let v: Value = serde_json::from_str(
        r#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":1700000000000}"#,
    )
    .unwrap();
    let violations = tree.schema("broker_registration").unwrap().validate(&v);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].pointer, "/timestamp");
    let v: Value =
        serde_json::from_str(r#"{"version":1,"config":{"retention.ms":86400000}}"#).unwrap();
    assert_eq!(
        tree.schema("entity_config").unwrap().validate(&v)[0].pointer,
        "/config/retention.ms"
    );
}
