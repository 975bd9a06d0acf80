//! `/migration` — ZooKeeper → KRaft migration state (KIP-866), written by the KRaft controller.
//!
//! Kafka: `ZkData.MigrationZNode`, `KafkaZkClient.getOrCreateMigrationState`,
//! `org.apache.kafka.metadata.migration.ZkMigrationLeadershipState`.

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::zk::json_order::scala213_immutable_hash_map_order;

/// The migration leadership state stored in `/migration` (its zkVersion fences KRaft dual-writes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MigrationState {
    pub kraft_controller_id: i32,
    pub kraft_controller_epoch: i32,
    pub kraft_metadata_offset: i64,
    pub kraft_metadata_epoch: i32,
}

impl MigrationState {
    /// `ZkMigrationLeadershipState.EMPTY`: every field -1.
    pub const EMPTY: MigrationState = MigrationState {
        kraft_controller_id: -1,
        kraft_controller_epoch: -1,
        kraft_metadata_offset: -1,
        kraft_metadata_epoch: -1,
    };
}

/// `/migration` — persistent; an immutable Scala `Map` of 5 (CHAMP order in 2.13):
/// `{"version":0,"kraft_metadata_offset":-1,"kraft_controller_id":-1,"kraft_metadata_epoch":-1,"kraft_controller_epoch":-1}`.
pub struct MigrationZNode;

impl MigrationZNode {
    pub const PATH: &'static str = "/migration";
    pub const CURRENT_VERSION: i32 = 0;

    /// Kafka: `MigrationZNode.encode`.
    pub fn encode(state: &MigrationState) -> Vec<u8> {
        let fields = vec![
            (
                "version".to_string(),
                Json::Int(i64::from(Self::CURRENT_VERSION)),
            ),
            (
                "kraft_controller_id".to_string(),
                Json::Int(i64::from(state.kraft_controller_id)),
            ),
            (
                "kraft_controller_epoch".to_string(),
                Json::Int(i64::from(state.kraft_controller_epoch)),
            ),
            (
                "kraft_metadata_offset".to_string(),
                Json::Int(state.kraft_metadata_offset),
            ),
            (
                "kraft_metadata_epoch".to_string(),
                Json::Int(i64::from(state.kraft_metadata_epoch)),
            ),
        ];
        let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
        let order = scala213_immutable_hash_map_order(&keys);
        Json::obj_in_order(fields, &order).to_bytes()
    }

    /// Kafka: `MigrationZNode.decode` — version must be 0.
    pub fn decode(bytes: &[u8]) -> Result<MigrationState, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        let f = Fields::new(Self::PATH, &map);
        let version = f.req_i32("version")?;
        if version != Self::CURRENT_VERSION {
            return Err(ZNodeError::UnsupportedVersion {
                znode: Self::PATH.to_string(),
                version: i64::from(version),
                supported: "0",
            });
        }
        Ok(MigrationState {
            kraft_controller_id: f.req_i32("kraft_controller_id")?,
            kraft_controller_epoch: f.req_i32("kraft_controller_epoch")?,
            kraft_metadata_offset: f.req_i64("kraft_metadata_offset")?,
            kraft_metadata_epoch: f.req_i32("kraft_metadata_epoch")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.20: exact 2.13 bytes of the empty state; the 2.12 order decodes.
    #[test]
    fn golden_migration() {
        let golden = br#"{"version":0,"kraft_metadata_offset":-1,"kraft_controller_id":-1,"kraft_metadata_epoch":-1,"kraft_controller_epoch":-1}"#;
        assert_eq!(
            MigrationZNode::encode(&MigrationState::EMPTY),
            golden.to_vec()
        );
        assert_eq!(
            MigrationZNode::decode(golden).unwrap(),
            MigrationState::EMPTY
        );
        let b212 = br#"{"kraft_metadata_epoch":-1,"kraft_controller_epoch":-1,"version":0,"kraft_metadata_offset":-1,"kraft_controller_id":-1}"#;
        assert_eq!(MigrationZNode::decode(b212).unwrap(), MigrationState::EMPTY);
        assert!(MigrationZNode::decode(br#"{"version":1}"#).is_err());
    }
}
