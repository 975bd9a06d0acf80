//! `/controller` and `/controller_epoch`: controller election and its fencing token.
//!
//! Kafka: `ZkData.ControllerZNode`, `ZkData.ControllerEpochZNode`,
//! `KafkaZkClient.registerControllerAndIncrementControllerEpoch`.

use super::json::{parse_object, parse_text, Fields, Json};
use super::ZNodeError;

/// Who holds `/controller`, as decoded. Kafka: `ZKControllerRegistration` (without the zkVersion,
/// which comes from the znode's `Stat`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRegistration {
    pub broker_id: i32,
    /// `kraftControllerEpoch` (v2): `Some(-1)` for a ZooKeeper controller, `Some(e > 0)` when a
    /// KRaft controller owns `/controller` during migration, `None` for a v1 payload.
    pub kraft_controller_epoch: Option<i32>,
}

impl ControllerRegistration {
    /// Kafka treats `kraftControllerEpoch > 0` as "a KRaft controller is active" (e.g.
    /// `KafkaZkClient.setOrCreateEntityConfigs` refuses to write).
    pub fn is_kraft_controller(&self) -> bool {
        self.kraft_controller_epoch.is_some_and(|e| e > 0)
    }
}

/// `/controller` — ephemeral (persistent when a KRaft controller took over during migration).
///
/// Version 2 (Kafka 3.4+), a Scala `Map4` so insertion order in both builds:
/// `{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}`.
/// Version 1 (before 3.4): `{"version":1,"brokerid":0,"timestamp":"..."}`.
pub struct ControllerZNode;

impl ControllerZNode {
    pub const PATH: &'static str = "/controller";

    /// Kafka: `ControllerZNode.encode(brokerId, timestamp)` with `kraftControllerEpoch = -1`.
    pub fn encode(broker_id: i32, timestamp_ms: i64) -> Vec<u8> {
        Self::encode_with_kraft_epoch(broker_id, timestamp_ms, -1)
    }

    /// Kafka: `ControllerZNode.encode(brokerId, timestamp, kraftControllerEpoch)` — the form a
    /// KRaft controller writes during migration.
    pub fn encode_with_kraft_epoch(
        broker_id: i32,
        timestamp_ms: i64,
        kraft_controller_epoch: i32,
    ) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::Int(2)),
            ("brokerid".into(), Json::Int(i64::from(broker_id))),
            ("timestamp".into(), Json::str(timestamp_ms.to_string())),
            (
                "kraftControllerEpoch".into(),
                Json::Int(i64::from(kraft_controller_epoch)),
            ),
        ])
        .to_bytes()
    }

    /// Kafka: `ControllerZNode.decodeController` — reads `brokerid` and optional
    /// `kraftControllerEpoch`; `version` and `timestamp` are not checked.
    pub fn decode(bytes: &[u8]) -> Result<ControllerRegistration, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        let f = Fields::new(Self::PATH, &map);
        Ok(ControllerRegistration {
            broker_id: f.req_i32("brokerid")?,
            kraft_controller_epoch: f.opt_i32("kraftControllerEpoch")?,
        })
    }
}

/// `/controller_epoch` — persistent; the epoch as ASCII decimal text (e.g. `1`), no JSON.
///
/// Its zkVersion (not its value) fences every controller write. Kafka:
/// `KafkaController.InitialControllerEpoch = 0`, `InitialControllerEpochZkVersion = 0`.
pub struct ControllerEpochZNode;

impl ControllerEpochZNode {
    pub const PATH: &'static str = "/controller_epoch";

    /// Kafka: `ControllerEpochZNode.encode` = `epoch.toString.getBytes(UTF_8)`.
    pub fn encode(epoch: i32) -> Vec<u8> {
        epoch.to_string().into_bytes()
    }

    /// Kafka: `ControllerEpochZNode.decode` = `new String(bytes, UTF_8).toInt` (`Integer.parseInt`:
    /// optional sign, decimal digits, no whitespace).
    pub fn decode(bytes: &[u8]) -> Result<i32, ZNodeError> {
        let text = parse_text(Self::PATH, bytes)?;
        text.parse::<i32>().map_err(|_| ZNodeError::BadText {
            znode: Self::PATH.to_string(),
            text: text.to_string(),
            expected: "a decimal 32-bit integer",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.2: exact v2 bytes (`ControllerZNode.encode`, Map4 insertion order).
    #[test]
    fn golden_controller_v2() {
        let golden =
            br#"{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#;
        assert_eq!(ControllerZNode::encode(1, 1_700_000_000_000), golden);
        let reg = ControllerZNode::decode(golden).unwrap();
        assert_eq!(reg.broker_id, 1);
        assert_eq!(reg.kraft_controller_epoch, Some(-1));
        assert!(!reg.is_kraft_controller());
        let kraft = br#"{"version":2,"brokerid":3000,"timestamp":"1717000000000","kraftControllerEpoch":5}"#;
        assert_eq!(
            ControllerZNode::encode_with_kraft_epoch(3000, 1_717_000_000_000, 5),
            kraft
        );
        assert!(ControllerZNode::decode(kraft)
            .unwrap()
            .is_kraft_controller());
    }

    /// Reference §2.2: pre-3.4 v1 payloads (no `kraftControllerEpoch`) still decode.
    #[test]
    fn decodes_controller_v1() {
        let reg =
            ControllerZNode::decode(br#"{"version":1,"brokerid":0,"timestamp":"1"}"#).unwrap();
        assert_eq!(
            reg,
            ControllerRegistration {
                broker_id: 0,
                kraft_controller_epoch: None
            }
        );
        let e = ControllerZNode::decode(br#"{"version":2,"brokerid":"1"}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("field 'brokerid' must be a 32-bit integer"),
            "{e}"
        );
    }

    /// Reference §2.3: `/controller_epoch` is decimal text (`ControllerEpochZNode`).
    #[test]
    fn controller_epoch_text() {
        assert_eq!(ControllerEpochZNode::encode(0), b"0");
        assert_eq!(ControllerEpochZNode::encode(17), b"17");
        assert_eq!(ControllerEpochZNode::decode(b"17").unwrap(), 17);
        assert_eq!(ControllerEpochZNode::decode(b"-1").unwrap(), -1);
        let e = ControllerEpochZNode::decode(b" 1").unwrap_err();
        assert_eq!(
            e.to_string(),
            "znode /controller_epoch: payload \" 1\" is not a decimal 32-bit integer"
        );
        assert!(ControllerEpochZNode::decode(b"").is_err());
    }
}
