//! `/consumers` — the pre-0.9 consumer tree, still created at startup and always open-ACL.
//!
//! Kafka: `ZkData.ConsumerPathZNode`, `ZkData.ConsumerOffset`.

use super::json::parse_text;
use super::ZNodeError;

/// `/consumers` — persistent, null data.
pub struct ConsumerPathZNode;

impl ConsumerPathZNode {
    pub const PATH: &'static str = "/consumers";
}

/// `/consumers/<group>/offsets/<topic>/<partition>` — a committed offset as decimal text.
pub struct ConsumerOffset;

impl ConsumerOffset {
    pub fn path(group: &str, topic: &str, partition: i32) -> String {
        format!(
            "{}/{group}/offsets/{topic}/{partition}",
            ConsumerPathZNode::PATH
        )
    }

    /// Kafka: `ConsumerOffset.encode` = `offset.toString`.
    pub fn encode(offset: i64) -> Vec<u8> {
        offset.to_string().into_bytes()
    }

    /// Kafka: `ConsumerOffset.decode` = `toLong`.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<i64, ZNodeError> {
        let text = parse_text(path, bytes)?;
        text.parse().map_err(|_| ZNodeError::BadText {
            znode: path.to_string(),
            text: text.to_string(),
            expected: "a decimal 64-bit offset",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka: `ConsumerOffset` stores decimal text.
    #[test]
    fn consumer_offset_text() {
        let p = ConsumerOffset::path("g", "t", 0);
        assert_eq!(p, "/consumers/g/offsets/t/0");
        assert_eq!(ConsumerOffset::encode(42), b"42");
        assert_eq!(ConsumerOffset::decode(&p, b"42").unwrap(), 42);
        assert!(ConsumerOffset::decode(&p, b"x").is_err());
    }
}
