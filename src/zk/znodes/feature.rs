//! `/feature` — cluster-wide finalized features (KIP-584); its zkVersion is the finalized
//! features epoch.
//!
//! Kafka: `ZkData.FeatureZNode`, `FeatureZNodeStatus`; `KafkaController.enableFeatureVersioning`,
//! `FinalizedFeatureChangeListener`.

use std::collections::BTreeMap;

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::zk::json_order::scala213_immutable_hash_map_order;

/// Kafka: `FeatureZNodeStatus` — `Disabled` (0) below IBP 2.7-IV0, `Enabled` (1) otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureZNodeStatus {
    Disabled,
    Enabled,
}

impl FeatureZNodeStatus {
    pub fn id(self) -> i32 {
        match self {
            FeatureZNodeStatus::Disabled => 0,
            FeatureZNodeStatus::Enabled => 1,
        }
    }

    /// Kafka: `FeatureZNodeStatus.withNameOpt`.
    pub fn from_id(id: i32) -> Option<FeatureZNodeStatus> {
        match id {
            0 => Some(FeatureZNodeStatus::Disabled),
            1 => Some(FeatureZNodeStatus::Enabled),
            _ => None,
        }
    }
}

/// The content of `/feature`. Kafka: `case class FeatureZNode(version, status, features)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureZNode {
    /// 2 for IBP ≥ 3.3-IV0 (only `max_version_level`), 1 before (also `min_version_level`).
    pub version: i32,
    pub status: FeatureZNodeStatus,
    /// Feature name → finalized max version level.
    pub features: BTreeMap<String, i16>,
}

impl FeatureZNode {
    pub const PATH: &'static str = "/feature";
    pub const V1: i32 = 1;
    pub const V2: i32 = 2;

    /// What a Kafka 3.9 controller writes at failover: v2, Enabled, no finalized features.
    pub fn kafka_39_default() -> FeatureZNode {
        FeatureZNode {
            version: Self::V2,
            status: FeatureZNodeStatus::Enabled,
            features: BTreeMap::new(),
        }
    }

    /// Kafka: `FeatureZNode.encode` — a `mutable.Map` of 3 (Scala 2.13 order `features, version,
    /// status`); each feature `{"max_version_level":n}` (v1 adds `"min_version_level":n`,
    /// a `Map2` so max first). `{"features":{},"version":2,"status":1}`.
    pub fn encode(&self) -> Vec<u8> {
        let pairs: Vec<(String, Json)> = self
            .features
            .iter()
            .map(|(name, level)| {
                let mut range = vec![(
                    "max_version_level".to_string(),
                    Json::Int(i64::from(*level)),
                )];
                if self.version == Self::V1 {
                    range.push((
                        "min_version_level".to_string(),
                        Json::Int(i64::from(*level)),
                    ));
                }
                (name.clone(), Json::Obj(range))
            })
            .collect();
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        let order = scala213_immutable_hash_map_order(&keys);
        Json::Obj(vec![
            ("features".into(), Json::obj_in_order(pairs, &order)),
            ("version".into(), Json::Int(i64::from(self.version))),
            ("status".into(), Json::Int(i64::from(self.status.id()))),
        ])
        .to_bytes()
    }

    /// Kafka: `FeatureZNode.decode` — version 1 or 2; `status` required and 0/1; `features`
    /// required; every feature needs `max_version_level` ≥ 1 and, in v1, `min_version_level` with
    /// `1 ≤ min ≤ max`.
    pub fn decode(bytes: &[u8]) -> Result<FeatureZNode, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        let f = Fields::new(Self::PATH, &map);
        let version = f.req_i32("version")?;
        if !(Self::V1..=Self::V2).contains(&version) {
            return Err(ZNodeError::UnsupportedVersion {
                znode: Self::PATH.to_string(),
                version: i64::from(version),
                supported: "1 or 2",
            });
        }
        let status_id = f.req_i32("status")?;
        let status = FeatureZNodeStatus::from_id(status_id).ok_or_else(|| {
            f.invalid("status", status_id, "expected 0 (Disabled) or 1 (Enabled)")
        })?;
        let features_map = f.req_object("features")?;
        let ff = f.nested("features", features_map);
        let mut features = BTreeMap::new();
        for (name, info) in features_map {
            let obj = ff.as_object(name, info)?;
            let vf = ff.nested(name, obj);
            let max = vf.req_i32("max_version_level")?;
            if version == Self::V1 {
                let min = vf.req_i32("min_version_level")?;
                if min < 1 || max < min {
                    return Err(vf.invalid(
                        "min_version_level",
                        min,
                        format!("expected 1 <= min_version_level <= max_version_level ({max})"),
                    ));
                }
            }
            if max < 1 {
                return Err(vf.invalid(
                    "max_version_level",
                    max,
                    "expected max_version_level >= 1",
                ));
            }
            let max16 = i16::try_from(max).map_err(|_| {
                vf.invalid("max_version_level", max, "expected a 16-bit version level")
            })?;
            features.insert(name.clone(), max16);
        }
        Ok(FeatureZNode {
            version,
            status,
            features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.19: exact `/feature` bytes for v2 and v1; 2.12 order decodes.
    #[test]
    fn golden_feature() {
        let golden = br#"{"features":{},"version":2,"status":1}"#;
        assert_eq!(FeatureZNode::kafka_39_default().encode(), golden.to_vec());
        assert_eq!(
            FeatureZNode::decode(golden).unwrap(),
            FeatureZNode::kafka_39_default()
        );
        let v2 =
            br#"{"features":{"metadata.version":{"max_version_level":1}},"version":2,"status":1}"#;
        assert_eq!(FeatureZNode::decode(v2).unwrap().encode(), v2.to_vec());
        let v1 = br#"{"features":{"some.feature":{"max_version_level":1,"min_version_level":1}},"version":1,"status":1}"#;
        assert_eq!(FeatureZNode::decode(v1).unwrap().encode(), v1.to_vec());
        assert!(FeatureZNode::decode(br#"{"features":{},"status":1,"version":2}"#).is_ok());
    }

    /// `FeatureZNode.decode` rejects missing status/features and bad levels.
    #[test]
    fn rejects_bad_feature_nodes() {
        assert!(FeatureZNode::decode(br#"{"features":{},"version":2}"#).is_err());
        assert!(FeatureZNode::decode(br#"{"version":2,"status":1}"#).is_err());
        assert!(FeatureZNode::decode(br#"{"features":{},"version":3,"status":1}"#).is_err());
        assert!(FeatureZNode::decode(
            br#"{"features":{"f":{"max_version_level":0}},"version":2,"status":1}"#
        )
        .is_err());
        assert!(FeatureZNode::decode(
            br#"{"features":{"f":{"max_version_level":1}},"version":1,"status":1}"#
        )
        .is_err());
    }
}
