//! Property tests: our encoders and decoders are inverse for arbitrary inputs (the decoders are
//! what Kafka's readers accept; the encoders what Kafka's writers produce), and JSON strings
//! survive Jackson-style escaping.

use std::collections::BTreeMap;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

use super::json::Json;
use super::*;
use crate::cluster::{EndPoint, SecurityProtocol};

fn protocol() -> impl Strategy<Value = SecurityProtocol> {
    prop_oneof![
        Just(SecurityProtocol::Plaintext),
        Just(SecurityProtocol::Ssl),
        Just(SecurityProtocol::SaslPlaintext),
        Just(SecurityProtocol::SaslSsl),
    ]
}

fn endpoints() -> impl Strategy<Value = Vec<EndPoint>> {
    let host = prop_oneof![
        "[a-z][a-z0-9.-]{0,20}",
        Just("::1".to_string()),
        Just("10.0.0.7".to_string())
    ];
    btree_map("[A-Z][A-Z_]{0,10}", (host, any::<u16>(), protocol()), 1..8).prop_map(|m| {
        m.into_iter()
            .map(
                |(listener_name, (host, port, security_protocol))| EndPoint {
                    host,
                    port,
                    listener_name,
                    security_protocol,
                },
            )
            .collect()
    })
}

proptest! {
    /// `BrokerIdZNode.decode(encode(info)) == info` for any listeners (IPv6 hosts included),
    /// rack, JMX port, timestamp and supported features.
    #[test]
    fn broker_registration_round_trips(
        id in 0..i32::MAX,
        endpoints in endpoints(),
        rack in proptest::option::of("[a-z0-9-]{1,12}"),
        jmx_port in -1..65536i32,
        timestamp_ms in 0..i64::MAX,
        features in btree_map("[a-z.]{1,20}", (any::<i16>(), any::<i16>()), 0..4),
    ) {
        let mut info = BrokerInfo::new(id, endpoints, rack, jmx_port, timestamp_ms);
        info.features = features;
        let bytes = BrokerIdZNode::encode(&info);
        prop_assert_eq!(BrokerIdZNode::decode(id, &bytes).unwrap(), info);
    }

    /// `TopicZNode.decode(encode(assignment)) == assignment`, and re-encoding is stable.
    #[test]
    fn topic_assignment_round_trips(
        parts in btree_map(0..200i32, (vec(0..1000i32, 1..4), vec(0..1000i32, 0..2), vec(0..1000i32, 0..2)), 0..80),
        with_id in any::<bool>(),
    ) {
        let assignment: BTreeMap<i32, ReplicaAssignment> = parts
            .into_iter()
            .map(|(p, (replicas, adding_replicas, removing_replicas))| (p, ReplicaAssignment { replicas, adding_replicas, removing_replicas }))
            .collect();
        let id = with_id.then_some("cMr3GpVESX2L3byPGf93lQ");
        let bytes = TopicZNode::encode(id, &assignment);
        let decoded = TopicZNode::decode("t", &bytes).unwrap();
        prop_assert_eq!(&decoded.assignment, &assignment);
        prop_assert_eq!(decoded.topic_id.as_deref(), id);
        prop_assert_eq!(TopicZNode::encode(decoded.topic_id.as_deref(), &decoded.assignment), bytes);
    }

    /// Entity configs keep every key/value (any Unicode, control characters escaped); what we
    /// write is canonical, and up to 11 keys decode→encode reproduces the bytes (from 12 keys
    /// on, `Properties` order depends on insertion history, as in Kafka itself).
    #[test]
    fn entity_config_round_trips(config in btree_map("\\PC{1,30}", "\\PC{0,30}|[\\x00-\\x1f\"\\\\]{1,5}", 0..40)) {
        let pairs: Vec<(String, String)> = config.clone().into_iter().collect();
        let bytes = ConfigEntityZNode::encode(&pairs);
        let decoded = ConfigEntityZNode::decode("/config/topics/t", &bytes).unwrap();
        prop_assert_eq!(decoded.iter().cloned().collect::<BTreeMap<_, _>>(), config);
        prop_assert!(ConfigEntityZNode::is_canonical(&bytes, &decoded));
        if pairs.len() < 12 {
            prop_assert_eq!(ConfigEntityZNode::encode(&decoded), bytes);
        }
    }

    /// Jackson-style string escaping is valid JSON that parses back to the same string.
    #[test]
    fn json_strings_survive_escaping(s in "\\PC*|[\\x00-\\x7f]*") {
        let bytes = Json::str(s.clone()).to_bytes();
        prop_assert_eq!(serde_json::from_slice::<String>(&bytes).unwrap(), s);
    }
}
