//! `/cluster` and `/cluster/id`.
//!
//! Kafka: `ZkData.ClusterZNode`, `ZkData.ClusterIdZNode`, `KafkaZkClient.createOrGetClusterId`.

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;

/// `/cluster` — persistent, null data (parent created by `createRecursive`).
pub struct ClusterZNode;

impl ClusterZNode {
    pub const PATH: &'static str = "/cluster";
}

/// `/cluster/id` — persistent; `{"version":"1","id":"<22-char url-safe base64 uuid>"}`.
///
/// `version` is the JSON *string* `"1"` (a Scala `Map2`, so keys keep insertion order in both
/// Scala builds). Kafka reads only `id` (`ClusterIdZNode.fromJson`).
pub struct ClusterIdZNode;

impl ClusterIdZNode {
    pub const PATH: &'static str = "/cluster/id";

    /// Kafka: `ClusterIdZNode.toJson`.
    pub fn encode(id: &str) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::str("1")),
            ("id".into(), Json::str(id)),
        ])
        .to_bytes()
    }

    /// Kafka: `ClusterIdZNode.fromJson` — only `id` is read and it must be a string.
    pub fn decode(bytes: &[u8]) -> Result<String, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        Fields::new(Self::PATH, &map)
            .req_str("id")
            .map(str::to_string)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.1: exact bytes `{"version":"1","id":...}` (`ClusterIdZNode.toJson`).
    #[test]
    fn golden_cluster_id() {
        let golden = br#"{"version":"1","id":"AbCdEfGhIjKlMnOpQrStUw"}"#;
        assert_eq!(ClusterIdZNode::encode("AbCdEfGhIjKlMnOpQrStUw"), golden);
        assert_eq!(
            ClusterIdZNode::decode(golden).unwrap(),
            "AbCdEfGhIjKlMnOpQrStUw"
        );
    }

    /// `ClusterIdZNode.fromJson` fails without an `id` string; the message names the znode.
    #[test]
    fn rejects_missing_id() {
        let e = ClusterIdZNode::decode(br#"{"version":"1"}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "znode /cluster/id: required field 'id' is missing"
        );
        assert!(ClusterIdZNode::decode(b"").is_err());
        assert!(ClusterIdZNode::decode(br#"{"id":5}"#).is_err());
    }
}
