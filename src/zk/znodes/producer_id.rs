//! `/latest_producer_id_block` — the last producer-id block handed out.
//!
//! Kafka: `ZkData.ProducerIdBlockZNode`, `ZkProducerIdManager.getNewProducerIdBlock`,
//! `org.apache.kafka.server.common.ProducerIdsBlock`.

use super::json::{parse_object, Fields, Json};
use super::ZNodeError;

/// A contiguous range of producer ids allocated to one broker.
/// Kafka: `ProducerIdsBlock(assignedBrokerId, firstProducerId, size)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdsBlock {
    pub assigned_broker_id: i32,
    pub first_producer_id: i64,
    pub size: i32,
}

impl ProducerIdsBlock {
    /// Kafka: `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
    pub const PRODUCER_ID_BLOCK_SIZE: i32 = 1000;

    /// Inclusive last id (`lastProducerId`).
    pub fn last_producer_id(&self) -> i64 {
        self.first_producer_id + i64::from(self.size) - 1
    }

    /// The next block after this one, for `broker` (`ZkProducerIdManager.getNewProducerIdBlock`).
    pub fn next(&self, broker: i32) -> ProducerIdsBlock {
        ProducerIdsBlock {
            assigned_broker_id: broker,
            first_producer_id: self.last_producer_id() + 1,
            size: Self::PRODUCER_ID_BLOCK_SIZE,
        }
    }
}

/// `/latest_producer_id_block` — persistent, created with null data at startup; then
/// `{"version":1,"broker":1,"block_start":"0","block_end":"999"}` (Scala `Map4`; the range ends
/// are **strings**, inclusive). Updated by CAS on its zkVersion.
pub struct ProducerIdBlockZNode;

impl ProducerIdBlockZNode {
    pub const PATH: &'static str = "/latest_producer_id_block";
    pub const CURRENT_VERSION: i64 = 1;

    /// Kafka: `ProducerIdBlockZNode.generateProducerIdBlockJson`.
    pub fn encode(block: &ProducerIdsBlock) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::Int(Self::CURRENT_VERSION)),
            (
                "broker".into(),
                Json::Int(i64::from(block.assigned_broker_id)),
            ),
            (
                "block_start".into(),
                Json::str(block.first_producer_id.to_string()),
            ),
            (
                "block_end".into(),
                Json::str(block.last_producer_id().to_string()),
            ),
        ])
        .to_bytes()
    }

    /// Kafka: `ProducerIdBlockZNode.parseProducerIdBlockData` — `broker` int, `block_start` and
    /// `block_end` decimal strings; the size must fit in an int (`Math.toIntExact`).
    pub fn decode(bytes: &[u8]) -> Result<ProducerIdsBlock, ZNodeError> {
        let map = parse_object(Self::PATH, bytes)?;
        let f = Fields::new(Self::PATH, &map);
        let broker = f.req_i32("broker")?;
        let start = f.req_decimal_string("block_start")?;
        let end = f.req_decimal_string("block_end")?;
        let size = end
            .checked_sub(start)
            .and_then(|d| d.checked_add(1))
            .and_then(|s| i32::try_from(s).ok())
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                f.invalid(
                    "block_end",
                    format!("\"{end}\""),
                    format!("range {start}..={end} is empty or larger than 2^31-1 ids"),
                )
            })?;
        Ok(ProducerIdsBlock {
            assigned_broker_id: broker,
            first_producer_id: start,
            size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.16: exact bytes; `block_start`/`block_end` are strings; next block starts
    /// at `block_end + 1`.
    #[test]
    fn golden_producer_id_block() {
        let golden = br#"{"version":1,"broker":1,"block_start":"0","block_end":"999"}"#;
        let b = ProducerIdsBlock {
            assigned_broker_id: 1,
            first_producer_id: 0,
            size: 1000,
        };
        assert_eq!(ProducerIdBlockZNode::encode(&b), golden.to_vec());
        assert_eq!(ProducerIdBlockZNode::decode(golden).unwrap(), b);
        assert_eq!(b.next(2).first_producer_id, 1000);
        let e = ProducerIdBlockZNode::decode(
            br#"{"version":1,"broker":1,"block_start":0,"block_end":"999"}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("'block_start' must be a string"),
            "{e}"
        );
    }
}
