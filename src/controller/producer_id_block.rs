//! AllocateProducerIds on the controller (KIP-730): the next block of 1000 producer ids,
//! allocated by a read-modify-write of `/latest_producer_id_block` conditional on its zkVersion,
//! retried when another writer got there first.
//!
//! Kafka: `KafkaController.processAllocateProducerIds` (NOT_CONTROLLER, BROKER_ID_NOT_REGISTERED,
//! STALE_BROKER_EPOCH checks) and `ZkProducerIdManager.getNewProducerIdBlock` (first block
//! `[0, 999]` when the znode holds no data; `conditionalUpdatePath`, which is **not** fenced by
//! the controller epoch).

use super::ControllerContext;
use crate::protocol::errors::ResponseError;
use crate::zk::znodes::{ProducerIdBlockZNode, ProducerIdsBlock};
use crate::zk::{KafkaZkClient, ZkError};

/// Conditional-update attempts before giving up with UNKNOWN_SERVER_ERROR. Kafka loops without
/// bound; a conflict means another writer (an older broker during a rolling upgrade) took a
/// block, so a handful of attempts always suffices in practice, and the bound keeps the
/// controller's event loop from spinning.
const MAX_ATTEMPTS: usize = 100;

/// The block after `current` (`None`: the znode holds no data yet → the first block), or `None`
/// when the id space is exhausted. Kafka: `getNewProducerIdBlock`.
pub fn next_block(current: Option<&ProducerIdsBlock>, broker_id: i32) -> Option<ProducerIdsBlock> {
    match current {
        None => Some(ProducerIdsBlock {
            assigned_broker_id: broker_id,
            first_producer_id: 0,
            size: ProducerIdsBlock::PRODUCER_ID_BLOCK_SIZE,
        }),
        Some(block) => {
            if block.last_producer_id()
                > i64::MAX - i64::from(ProducerIdsBlock::PRODUCER_ID_BLOCK_SIZE)
            {
                None
            } else {
                Some(block.next(broker_id))
            }
        }
    }
}

/// Kafka: `processAllocateProducerIds`. Errors are Kafka codes.
pub async fn process_allocate_producer_ids(
    zk: &KafkaZkClient,
    ctx: &ControllerContext,
    is_active: bool,
    broker_id: i32,
    broker_epoch: i64,
) -> Result<Result<ProducerIdsBlock, i16>, ZkError> {
    if !is_active {
        return Ok(Err(ResponseError::NotController.code()));
    }
    match ctx.live_broker_id_and_epochs().get(&broker_id) {
        None => {
            tracing::warn!("Ignoring AllocateProducerIds due to unknown broker {broker_id}");
            return Ok(Err(ResponseError::BrokerIdNotRegistered.code()));
        }
        Some(&epoch) if epoch != broker_epoch => {
            tracing::warn!(
                "Ignoring AllocateProducerIds due to stale broker epoch {broker_epoch} for broker {broker_id}"
            );
            return Ok(Err(ResponseError::StaleBrokerEpoch.code()));
        }
        Some(_) => {}
    }
    for _ in 0..MAX_ATTEMPTS {
        let Some((data, stat)) = zk.get_data(ProducerIdBlockZNode::PATH, false).await? else {
            // Brokers create the znode at startup; without it there is nothing to update.
            tracing::error!("{} does not exist", ProducerIdBlockZNode::PATH);
            return Ok(Err(ResponseError::UnknownServerError.code()));
        };
        let current = if data.is_empty() {
            None
        } else {
            match ProducerIdBlockZNode::decode(&data) {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::error!("Cannot allocate a producer id block: {e}");
                    return Ok(Err(ResponseError::UnknownServerError.code()));
                }
            }
        };
        let Some(block) = next_block(current.as_ref(), broker_id) else {
            tracing::error!("Exhausted all producerIds (current block {current:?})");
            return Ok(Err(ResponseError::UnknownServerError.code()));
        };
        match zk
            .set_data(
                ProducerIdBlockZNode::PATH,
                &ProducerIdBlockZNode::encode(&block),
                Some(stat.version),
            )
            .await
        {
            Ok(new_stat) => {
                tracing::info!(
                    "Acquired new producerId block {block:?} by writing to Zk with path version {}",
                    new_stat.version
                );
                return Ok(Ok(block));
            }
            Err(e) if matches!(e.code(), Some(zookeeper_client::Error::BadVersion)) => continue,
            Err(e) => return Err(e),
        }
    }
    tracing::error!(
        "Could not allocate a producer id block: {} changed under us {MAX_ATTEMPTS} times",
        ProducerIdBlockZNode::PATH
    );
    Ok(Err(ResponseError::UnknownServerError.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `getNewProducerIdBlock`: the first block is [0, 999] for the asking broker; each
    /// next block starts after the last one handed out (to any broker); the id space ends
    /// before `Long.MaxValue`.
    #[test]
    fn blocks_follow_each_other() {
        let first = next_block(None, 2).unwrap();
        assert_eq!(
            (
                first.assigned_broker_id,
                first.first_producer_id,
                first.last_producer_id()
            ),
            (2, 0, 999)
        );
        let second = next_block(Some(&first), 3).unwrap();
        assert_eq!(
            (
                second.assigned_broker_id,
                second.first_producer_id,
                second.size
            ),
            (3, 1000, 1000)
        );
        let last = ProducerIdsBlock {
            assigned_broker_id: 1,
            first_producer_id: i64::MAX - 1500,
            size: 1000,
        };
        assert_eq!(next_block(Some(&last), 1), None);
    }
}
