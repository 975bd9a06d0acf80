//! `/brokers`, `/brokers/ids`, `/brokers/ids/<id>` (broker registration) and `/brokers/seqid`.
//!
//! Kafka: `ZkData.BrokersZNode`, `BrokerIdsZNode`, `BrokerInfo`, `BrokerIdZNode`,
//! `BrokerSequenceIdZNode`; `KafkaZkClient.registerBroker`, `generateBrokerSequenceId`.

use std::collections::BTreeMap;

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::cluster::{EndPoint, SecurityProtocol};
use crate::zk::json_order::{java_hash_map_order, scala213_immutable_hash_map_order};

/// `/brokers` — persistent, null data.
pub struct BrokersZNode;

impl BrokersZNode {
    pub const PATH: &'static str = "/brokers";
}

/// `/brokers/ids` — persistent, null data; the controller keeps a child watch on it.
pub struct BrokerIdsZNode;

impl BrokerIdsZNode {
    pub const PATH: &'static str = "/brokers/ids";
}

/// `/brokers/seqid` — persistent, created with null data. Broker id generation does an
/// unconditional `setData(path, byte[0], -1)`; the resulting data version is the sequence number
/// and the broker id is `sequence + reserved.broker.max.id` (first generated id: 1001).
///
/// Kafka: `KafkaZkClient.generateBrokerSequenceId`, `KafkaServer.generateBrokerId`.
pub struct BrokerSequenceIdZNode;

impl BrokerSequenceIdZNode {
    pub const PATH: &'static str = "/brokers/seqid";

    /// The data written on every id generation: an empty byte array (not null).
    pub fn encode() -> Vec<u8> {
        Vec::new()
    }

    /// Kafka: `KafkaServer.generateBrokerId` = `generateBrokerSequenceId() + maxReservedBrokerId`.
    pub fn broker_id(sequence_data_version: i32, reserved_broker_max_id: i32) -> i32 {
        sequence_data_version.saturating_add(reserved_broker_max_id)
    }
}

/// A broker registration as stored in `/brokers/ids/<id>`.
///
/// Kafka: `kafka.zk.BrokerInfo` + `kafka.cluster.Broker`. `version` is the JSON version (5 for
/// IBP ≥ 2.7-IV0, i.e. always in Kafka 3.9 defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    /// Advertised listeners, in `advertised.listeners` order.
    pub endpoints: Vec<EndPoint>,
    pub rack: Option<String>,
    /// `com.sun.management.jmxremote.port`, `-1` when unset.
    pub jmx_port: i32,
    /// Registration time; written as a decimal *string*.
    pub timestamp_ms: i64,
    pub version: i32,
    /// Supported features, name → (min_version, max_version). Always empty for Apache Kafka ZK
    /// brokers 2.7–3.9 (`BrokerFeatures.createEmpty()`).
    pub features: BTreeMap<String, (i16, i16)>,
}

impl BrokerInfo {
    /// A version-5 registration with no features, as a Kafka 3.9 broker writes it.
    pub fn new(
        id: i32,
        endpoints: Vec<EndPoint>,
        rack: Option<String>,
        jmx_port: i32,
        timestamp_ms: i64,
    ) -> BrokerInfo {
        BrokerInfo {
            id,
            endpoints,
            rack,
            jmx_port,
            timestamp_ms,
            version: BrokerIdZNode::CURRENT_VERSION,
            features: BTreeMap::new(),
        }
    }

    /// The first PLAINTEXT endpoint: the legacy top-level `host`/`port` for old clients.
    pub fn plaintext_endpoint(&self) -> Option<&EndPoint> {
        self.endpoints
            .iter()
            .find(|e| e.security_protocol == SecurityProtocol::Plaintext)
    }

    /// The endpoint of a listener, by (upper-case) listener name.
    pub fn endpoint(&self, listener_name: &str) -> Option<&EndPoint> {
        self.endpoints
            .iter()
            .find(|e| e.listener_name == listener_name)
    }
}

/// `/brokers/ids/<id>` — **ephemeral** broker registration (broker epoch = its czxid).
///
/// Version 5 JSON, Scala 2.13 key order (a `mutable.HashMap`, see reference Appendix A.1):
/// `{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1700000000000"}`
/// (`rack` sits between `endpoints` and `jmx_port` when set). Scala 2.12 builds write
/// `listener_security_protocol_map, endpoints, rack, jmx_port, features, host, timestamp, port, version`.
pub struct BrokerIdZNode;

impl BrokerIdZNode {
    /// JSON version written by Kafka 3.9 (IBP ≥ 2.7-IV0).
    pub const CURRENT_VERSION: i32 = 5;

    /// Scala 2.13 iteration order of the registration map: 6 entries given to `mutable.Map(...)`
    /// (capacity 16), then `rack`, `listener_security_protocol_map`, `features` added. Verified
    /// against the algorithm in `json_order` tests; absent keys are skipped.
    const KEY_ORDER_213: [&'static str; 9] = [
        "features",
        "listener_security_protocol_map",
        "endpoints",
        "rack",
        "jmx_port",
        "port",
        "host",
        "version",
        "timestamp",
    ];

    pub fn path(id: i32) -> String {
        format!("{}/{}", BrokerIdsZNode::PATH, id)
    }

    /// Kafka: `BrokerIdZNode.encode` — writes `rack` from version 3, the listener map from 4,
    /// `features` from 5. `host`/`port` are the first PLAINTEXT endpoint, else `null`/`-1`.
    pub fn encode(info: &BrokerInfo) -> Vec<u8> {
        let (host, port) = match info.plaintext_endpoint() {
            Some(e) => (Json::str(e.host.clone()), i64::from(e.port)),
            None => (Json::Null, -1),
        };
        let mut fields: Vec<(&str, Json)> = vec![
            ("version", Json::Int(i64::from(info.version))),
            ("host", host),
            ("port", Json::Int(port)),
            (
                "endpoints",
                Json::Arr(
                    info.endpoints
                        .iter()
                        .map(|e| Json::str(e.connection_string()))
                        .collect(),
                ),
            ),
            ("jmx_port", Json::Int(i64::from(info.jmx_port))),
            ("timestamp", Json::str(info.timestamp_ms.to_string())),
        ];
        if info.version >= 3 {
            if let Some(rack) = &info.rack {
                fields.push(("rack", Json::str(rack.clone())));
            }
        }
        if info.version >= 4 {
            fields.push((
                "listener_security_protocol_map",
                listener_map_json(&info.endpoints),
            ));
        }
        if info.version >= 5 {
            fields.push(("features", features_json(&info.features)));
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

    /// Kafka: `BrokerIdZNode.decode` — tolerant of key order (both Scala builds), versions 1–5,
    /// unknown keys (e.g. Confluent's `tags`). Requires `version` ≥ 1 and `jmx_port`; version 1
    /// reads `host`/`port` as a PLAINTEXT endpoint, later versions parse `endpoints` with
    /// `listener_security_protocol_map` (or the default map: listener name = protocol name).
    pub fn decode(id: i32, bytes: &[u8]) -> Result<BrokerInfo, ZNodeError> {
        let znode = Self::path(id);
        let map = parse_object(&znode, bytes)?;
        let f = Fields::new(&znode, &map);
        let version = f.req_i32("version")?;
        let jmx_port = f.req_i32("jmx_port")?;
        if version < 1 {
            return Err(ZNodeError::UnsupportedVersion {
                znode,
                version: i64::from(version),
                supported: "1 to 5",
            });
        }
        let endpoints = if version == 1 {
            let host = f.req_str("host")?;
            let port = f.req_i32("port")?;
            let port = u16::try_from(port)
                .map_err(|_| f.invalid("port", port, "expected a TCP port 0-65535"))?;
            vec![EndPoint {
                host: host.to_string(),
                port,
                listener_name: SecurityProtocol::Plaintext.name().to_string(),
                security_protocol: SecurityProtocol::Plaintext,
            }]
        } else {
            let protocol_map = match f.opt_object("listener_security_protocol_map")? {
                None => SecurityProtocol::ALL
                    .iter()
                    .map(|p| (p.name().to_string(), *p))
                    .collect(),
                Some(m) => {
                    let lf = f.nested("listener_security_protocol_map", m);
                    let mut out = BTreeMap::new();
                    for (listener, protocol) in m {
                        let name = lf.as_str(listener, protocol)?;
                        let p = SecurityProtocol::from_name(name).ok_or_else(|| {
                            lf.invalid(listener, format!("\"{name}\""), "not a security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)")
                        })?;
                        out.insert(listener.to_ascii_uppercase(), p);
                    }
                    out
                }
            };
            f.req_str_array("endpoints")?
                .into_iter()
                .map(|s| {
                    EndPoint::parse(s, &protocol_map)
                        .map_err(|e| f.invalid("endpoints", format!("\"{s}\""), e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let rack = f.opt_str("rack")?.map(str::to_string);
        // Kafka never reads `timestamp`; we keep it for display and accept a number too.
        let timestamp_ms = match f.get("timestamp") {
            Some(serde_json::Value::String(s)) => s.parse::<i64>().unwrap_or(-1),
            Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(-1),
            _ => -1,
        };
        let features = match f.opt_object("features")? {
            None => BTreeMap::new(),
            Some(m) => decode_supported_features(&f.nested("features", m), m)?,
        };
        Ok(BrokerInfo {
            id,
            endpoints,
            rack,
            jmx_port,
            timestamp_ms,
            version,
            features,
        })
    }
}

/// `listener_security_protocol_map`: built with Scala `.toMap`, so up to four listeners keep
/// advertised order (`Map1`..`Map4`) and five or more take CHAMP order (reference §2.4, A.3).
fn listener_map_json(endpoints: &[EndPoint]) -> Json {
    // `.toMap` keeps the first position of a key and the last value.
    let mut pairs: Vec<(String, Json)> = Vec::new();
    for e in endpoints {
        let value = Json::str(e.security_protocol.name());
        match pairs.iter_mut().find(|(k, _)| *k == e.listener_name) {
            Some(slot) => slot.1 = value,
            None => pairs.push((e.listener_name.clone(), value)),
        }
    }
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let order = scala213_immutable_hash_map_order(&keys);
    Json::obj_in_order(pairs, &order)
}

/// `features`: `Features.toMap` — a `java.util.HashMap` of `BaseVersionRange.toMap` maps
/// (`min_version`, `max_version`, also a `java.util.HashMap`).
fn features_json(features: &BTreeMap<String, (i16, i16)>) -> Json {
    let range_keys = ["min_version", "max_version"];
    let range_order = java_hash_map_order(&range_keys);
    let pairs: Vec<(String, Json)> = features
        .iter()
        .map(|(name, (min, max))| {
            let range = vec![
                ("min_version".to_string(), Json::Int(i64::from(*min))),
                ("max_version".to_string(), Json::Int(i64::from(*max))),
            ];
            (name.clone(), Json::obj_in_order(range, &range_order))
        })
        .collect();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let order = java_hash_map_order(&keys);
    Json::obj_in_order(pairs, &order)
}

/// Kafka: `BrokerIdZNode.featuresAsJavaMap` + `Features.fromSupportedFeaturesMap` — every
/// feature needs `min_version` and `max_version` (16-bit).
fn decode_supported_features(
    f: &Fields<'_>,
    m: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, (i16, i16)>, ZNodeError> {
    let mut out = BTreeMap::new();
    for (name, range) in m {
        let range = f.as_object(name, range)?;
        let rf = f.nested(name, range);
        let min = rf.req_i32("min_version")?;
        let max = rf.req_i32("max_version")?;
        let min16 = i16::try_from(min)
            .map_err(|_| rf.invalid("min_version", min, "expected a 16-bit version"))?;
        let max16 = i16::try_from(max)
            .map_err(|_| rf.invalid("max_version", max, "expected a 16-bit version"))?;
        out.insert(name.clone(), (min16, max16));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(name: &str, host: &str, port: u16, p: SecurityProtocol) -> EndPoint {
        EndPoint {
            host: host.to_string(),
            port,
            listener_name: name.to_string(),
            security_protocol: p,
        }
    }

    /// Reference §2.4: the exact v5 registration bytes of a Scala 2.13 Kafka 3.9 broker
    /// (`BrokerIdZNode.encode`), including `host:null`/`port:-1` without a PLAINTEXT listener
    /// and `rack` placement.
    #[test]
    fn golden_broker_v5() {
        let info = BrokerInfo::new(
            1,
            vec![ep(
                "PLAINTEXT",
                "localhost",
                9092,
                SecurityProtocol::Plaintext,
            )],
            None,
            -1,
            1_700_000_000_000,
        );
        let golden = br#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":5,"timestamp":"1700000000000"}"#;
        assert_eq!(
            String::from_utf8(BrokerIdZNode::encode(&info)).unwrap(),
            String::from_utf8(golden.to_vec()).unwrap()
        );
        assert_eq!(BrokerIdZNode::decode(1, golden).unwrap(), info);

        let info = BrokerInfo::new(
            2,
            vec![
                ep("INTERNAL", "b1.internal", 9093, SecurityProtocol::Ssl),
                ep(
                    "EXTERNAL",
                    "b1.example.com",
                    9094,
                    SecurityProtocol::SaslSsl,
                ),
            ],
            Some("use1-az1".into()),
            -1,
            1_717_000_000_000,
        );
        let golden = br#"{"features":{},"listener_security_protocol_map":{"INTERNAL":"SSL","EXTERNAL":"SASL_SSL"},"endpoints":["INTERNAL://b1.internal:9093","EXTERNAL://b1.example.com:9094"],"rack":"use1-az1","jmx_port":-1,"port":-1,"host":null,"version":5,"timestamp":"1717000000000"}"#;
        assert_eq!(
            String::from_utf8(BrokerIdZNode::encode(&info)).unwrap(),
            String::from_utf8(golden.to_vec()).unwrap()
        );
        assert_eq!(BrokerIdZNode::decode(2, golden).unwrap(), info);
    }

    /// Reference §2.4: five listeners → the listener map takes Scala CHAMP order.
    #[test]
    fn five_listeners_use_champ_order() {
        let names = [
            ("PLAINTEXT", SecurityProtocol::Plaintext),
            ("SSL", SecurityProtocol::Ssl),
            ("SASL_PLAINTEXT", SecurityProtocol::SaslPlaintext),
            ("SASL_SSL", SecurityProtocol::SaslSsl),
            ("INTERNAL", SecurityProtocol::Plaintext),
        ];
        let endpoints = names
            .iter()
            .enumerate()
            .map(|(i, (n, p))| ep(n, "h", 9092 + i as u16, *p))
            .collect();
        let info = BrokerInfo::new(0, endpoints, None, -1, 1);
        let text = String::from_utf8(BrokerIdZNode::encode(&info)).unwrap();
        assert!(
            text.contains(r#""listener_security_protocol_map":{"SSL":"SSL","SASL_PLAINTEXT":"SASL_PLAINTEXT","INTERNAL":"PLAINTEXT","SASL_SSL":"SASL_SSL","PLAINTEXT":"PLAINTEXT"}"#),
            "{text}"
        );
    }

    /// Reference §2.4: Scala 2.12 key order, v4, v2 and v1 payloads decode (`BrokerIdZNode.decode`).
    #[test]
    fn decodes_legacy_and_212_payloads() {
        let b212 = br#"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"features":{},"host":"localhost","timestamp":"1700000000000","port":9092,"version":5}"#;
        let info = BrokerIdZNode::decode(7, b212).unwrap();
        assert_eq!(
            info.endpoints[0].connection_string(),
            "PLAINTEXT://localhost:9092"
        );
        assert_eq!(info.timestamp_ms, 1_700_000_000_000);

        let v4 = br#"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":4,"timestamp":"1700000000000"}"#;
        let info = BrokerIdZNode::decode(1, v4).unwrap();
        assert_eq!(info.version, 4);
        assert_eq!(BrokerIdZNode::encode(&info), v4.to_vec());

        let v2 = br#"{"endpoints":["PLAINTEXT://localhost:9092"],"jmx_port":-1,"port":9092,"host":"localhost","version":2,"timestamp":"1700000000000"}"#;
        let info = BrokerIdZNode::decode(1, v2).unwrap();
        assert_eq!(BrokerIdZNode::encode(&info), v2.to_vec());

        let v1 =
            br#"{"version":1,"host":"h1","port":9092,"jmx_port":9999,"timestamp":"2233345666"}"#;
        let info = BrokerIdZNode::decode(1, v1).unwrap();
        assert_eq!(info.endpoints[0].connection_string(), "PLAINTEXT://h1:9092");
        assert_eq!(info.jmx_port, 9999);

        // Confluent's extra `tags` is ignored.
        let tagged = br#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://x:1"],"jmx_port":-1,"port":1,"host":"x","version":5,"timestamp":"1","tags":{}}"#;
        assert!(BrokerIdZNode::decode(1, tagged).is_ok());
    }

    /// `BrokerIdZNode.decode` requires `version` and `jmx_port`; unknown listeners fail.
    #[test]
    fn rejects_bad_registrations() {
        let e = BrokerIdZNode::decode(3, br#"{"version":5,"endpoints":[]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "znode /brokers/ids/3: required field 'jmx_port' is missing"
        );
        let e = BrokerIdZNode::decode(3, br#"{"version":0,"jmx_port":-1}"#).unwrap_err();
        assert!(matches!(e, ZNodeError::UnsupportedVersion { .. }));
        let e = BrokerIdZNode::decode(
            3,
            br#"{"version":5,"jmx_port":-1,"endpoints":["FOO://h:1"]}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("field 'endpoints' has invalid value \"FOO://h:1\""),
            "{e}"
        );
    }

    /// Reference §2.4: features with values use `min_version`/`max_version` (Java HashMap order).
    #[test]
    fn features_round_trip() {
        let mut info = BrokerInfo::new(
            1,
            vec![ep("PLAINTEXT", "h", 1, SecurityProtocol::Plaintext)],
            None,
            -1,
            5,
        );
        info.features.insert("metadata.version".into(), (1, 21));
        let bytes = BrokerIdZNode::encode(&info);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(
                r#"{"features":{"metadata.version":{"min_version":1,"max_version":21}},"#
            ),
            "{text}"
        );
        assert_eq!(BrokerIdZNode::decode(1, &bytes).unwrap(), info);
    }

    /// Kafka: `KafkaServer.generateBrokerId` — first generated id is 1001 with the default
    /// `reserved.broker.max.id` of 1000.
    #[test]
    fn sequence_id() {
        assert_eq!(BrokerSequenceIdZNode::broker_id(1, 1000), 1001);
        assert!(BrokerSequenceIdZNode::encode().is_empty());
        assert_eq!(BrokerIdZNode::path(1001), "/brokers/ids/1001");
    }
}
