//! Producer ids for InitProducerId. Since IBP 3.0-IV0 (KIP-730) a ZK-mode broker does not write
//! `/latest_producer_id_block` itself: it asks the controller with AllocateProducerIds, the
//! controller performs the conditional ZK update and hands back a block of 1000 ids. The broker
//! serves ids from its block, prefetches the next one when 90 % is used, and answers
//! COORDINATOR_LOAD_IN_PROGRESS while it has none.
//! Kafka: `ProducerIdManager.scala` (`RPCProducerIdManager`), `ProducerIdsBlock.java`.

use std::sync::{Arc, Mutex};

use crate::network::BoxFuture;
use crate::protocol::errors::ResponseError;

/// `ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE`.
pub const PRODUCER_ID_BLOCK_SIZE: i64 = 1000;
/// Kafka prefetches the next block once this fraction of the current one is used
/// (`RPCProducerIdManager.PidPrefetchThreshold` = 0.90).
const PREFETCH_THRESHOLD: f64 = 0.90;

/// A contiguous range of producer ids. Kafka: `ProducerIdsBlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdsBlock {
    pub first_producer_id: i64,
    pub size: i64,
}

impl ProducerIdsBlock {
    pub fn last_producer_id(&self) -> i64 {
        self.first_producer_id + self.size - 1
    }
}

/// Where blocks come from: AllocateProducerIds to the controller (the RPC side is served by the
/// controller work; errors are Kafka codes such as NOT_CONTROLLER, STALE_BROKER_EPOCH).
pub trait ProducerIdBlockSource: Send + Sync + std::fmt::Debug {
    fn allocate_block(&self) -> BoxFuture<'static, Result<ProducerIdsBlock, i16>>;
}

/// Hands out producer ids. Kafka: `ProducerIdManager.generateProducerId`.
pub trait ProducerIdManager: Send + Sync + std::fmt::Debug {
    /// The next id, or COORDINATOR_LOAD_IN_PROGRESS while no block is available (clients retry).
    fn generate_producer_id(&self) -> BoxFuture<'_, Result<i64, i16>>;
}

#[derive(Debug, Default)]
struct BlockState {
    current: Option<ProducerIdsBlock>,
    next_id: i64,
    prefetched: Option<ProducerIdsBlock>,
    /// A request to the source is in flight (at most one, as in Kafka).
    requesting: bool,
}

/// Serves ids from blocks obtained through a [`ProducerIdBlockSource`].
/// Kafka: `RPCProducerIdManager`.
#[derive(Debug)]
pub struct RpcProducerIdManager {
    source: Arc<dyn ProducerIdBlockSource>,
    state: Arc<Mutex<BlockState>>,
}

impl RpcProducerIdManager {
    pub fn new(source: Arc<dyn ProducerIdBlockSource>) -> RpcProducerIdManager {
        RpcProducerIdManager {
            source,
            state: Arc::new(Mutex::new(BlockState::default())),
        }
    }

    /// Starts one block request in the background unless one is already in flight.
    fn maybe_request_block(&self, st: &mut BlockState) {
        if st.requesting || st.prefetched.is_some() {
            return;
        }
        st.requesting = true;
        let fut = self.source.allocate_block();
        let state = self.state.clone();
        tokio::spawn(async move {
            let r = fut.await;
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.requesting = false;
            match r {
                Ok(block) if block.size > 0 && block.first_producer_id >= 0 => {
                    st.prefetched = Some(block);
                }
                Ok(block) => {
                    tracing::error!(?block, "controller returned an invalid producer id block")
                }
                Err(code) => tracing::warn!(code, "producer id block allocation failed"),
            }
        });
    }

    fn try_next(&self) -> Option<i64> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(block) = st.current {
                if st.next_id <= block.last_producer_id() {
                    let id = st.next_id;
                    st.next_id += 1;
                    let used = (st.next_id - block.first_producer_id) as f64 / block.size as f64;
                    if used >= PREFETCH_THRESHOLD {
                        self.maybe_request_block(&mut st);
                    }
                    return Some(id);
                }
            }
            match st.prefetched.take() {
                Some(b) => {
                    st.current = Some(b);
                    st.next_id = b.first_producer_id;
                }
                None => {
                    self.maybe_request_block(&mut st);
                    return None;
                }
            }
        }
    }
}

/// How long `generate_producer_id` waits for a first block before answering
/// COORDINATOR_LOAD_IN_PROGRESS. Kafka waits `maxWaitMs` = 50 ms (`RPCProducerIdManager`).
const BLOCK_WAIT_MS: u64 = 50;

impl ProducerIdManager for RpcProducerIdManager {
    fn generate_producer_id(&self) -> BoxFuture<'_, Result<i64, i16>> {
        Box::pin(async move {
            if let Some(id) = self.try_next() {
                return Ok(id);
            }
            let deadline =
                tokio::time::Instant::now() + std::time::Duration::from_millis(BLOCK_WAIT_MS);
            while tokio::time::Instant::now() < deadline {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                if let Some(id) = self.try_next() {
                    return Ok(id);
                }
            }
            Err(ResponseError::CoordinatorLoadInProgress.code())
        })
    }
}

/// TEST DOUBLE: hands out consecutive blocks from an in-process counter, standing in for the
/// controller's AllocateProducerIds + `/latest_producer_id_block`. Share one instance between
/// brokers of an in-process test so their ids do not collide. Never used by the real broker.
#[derive(Debug, Default)]
pub struct InMemoryProducerIdBlockSourceForTests {
    next_block_start: Mutex<i64>,
}

impl InMemoryProducerIdBlockSourceForTests {
    pub fn new() -> InMemoryProducerIdBlockSourceForTests {
        InMemoryProducerIdBlockSourceForTests::default()
    }
}

impl ProducerIdBlockSource for InMemoryProducerIdBlockSourceForTests {
    fn allocate_block(&self) -> BoxFuture<'static, Result<ProducerIdsBlock, i16>> {
        let mut next = self
            .next_block_start
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let block = ProducerIdsBlock {
            first_producer_id: *next,
            size: PRODUCER_ID_BLOCK_SIZE,
        };
        *next += PRODUCER_ID_BLOCK_SIZE;
        Box::pin(async move { Ok(block) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `RPCProducerIdManager`: ids are consecutive within a block of 1000, the next block
    /// is fetched before the current one runs out, and two managers sharing the controller's
    /// counter never hand out the same id.
    #[tokio::test]
    async fn ids_come_from_blocks_of_1000_without_collisions() {
        let source = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
        let a = RpcProducerIdManager::new(source.clone());
        let b = RpcProducerIdManager::new(source.clone());
        let first_a = a.generate_producer_id().await.unwrap();
        let first_b = b.generate_producer_id().await.unwrap();
        assert_eq!(first_a, 0);
        assert_eq!(first_b, 1000);
        let mut seen = std::collections::HashSet::new();
        seen.insert(first_a);
        seen.insert(first_b);
        for _ in 0..2500 {
            assert!(seen.insert(a.generate_producer_id().await.unwrap()));
            assert!(seen.insert(b.generate_producer_id().await.unwrap()));
        }
        // a: 2501 ids → blocks 0, 2000, 4000 (b took 1000, 3000, 5000).
        let next = a.generate_producer_id().await.unwrap();
        assert!((4000..5000).contains(&next), "got {next}");
    }
}
