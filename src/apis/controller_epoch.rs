//! Fencing of controller requests by controller epoch and broker epoch.
//!
//! Kafka: `ReplicaManager.controllerEpoch` guarded by `replicaStateChangeLock` (shared by
//! LeaderAndIsr, UpdateMetadata and StopReplica), and `ZkBrokerEpochManager.isBrokerEpochStale`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

/// The controller epoch before any controller request: Kafka's
/// `KafkaController.InitialControllerEpoch`.
pub const INITIAL_CONTROLLER_EPOCH: i32 = 0;

/// The highest controller epoch this broker has accepted. A request from an older controller
/// is refused with STALE_CONTROLLER_EPOCH; an accepted request's effects and the epoch update
/// happen under one lock, so two controller requests never interleave.
#[derive(Debug)]
pub struct ControllerEpochFence {
    /// Kafka: `replicaStateChangeLock` + `controllerEpoch`.
    epoch: Mutex<i32>,
}

/// The request's controller epoch is older than one already seen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("controller epoch {request_epoch} is older than the latest known controller epoch {current_epoch}")]
pub struct StaleControllerEpoch {
    pub request_epoch: i32,
    pub current_epoch: i32,
}

impl Default for ControllerEpochFence {
    fn default() -> Self {
        ControllerEpochFence {
            epoch: Mutex::new(INITIAL_CONTROLLER_EPOCH),
        }
    }
}

impl ControllerEpochFence {
    pub fn new() -> ControllerEpochFence {
        ControllerEpochFence::default()
    }

    /// The highest controller epoch accepted so far.
    pub fn current(&self) -> i32 {
        *self.epoch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `apply` if `request_epoch` is not older than the current epoch, then records
    /// `request_epoch`. `apply` runs under the fence's lock: keep it short and synchronous.
    /// Kafka: `ReplicaManager.maybeUpdateMetadataCache` / `becomeLeaderOrFollower`.
    pub fn apply_if_current<R>(
        &self,
        request_epoch: i32,
        apply: impl FnOnce() -> R,
    ) -> Result<R, StaleControllerEpoch> {
        let mut epoch = self.epoch.lock().unwrap_or_else(|e| e.into_inner());
        if request_epoch < *epoch {
            return Err(StaleControllerEpoch {
                request_epoch,
                current_epoch: *epoch,
            });
        }
        let result = apply();
        *epoch = request_epoch;
        Ok(result)
    }
}

/// This broker's epoch: the czxid of its `/brokers/ids/<id>` znode, set by the server after
/// registration; −1 until then. Kafka: `KafkaController.brokerEpoch`.
#[derive(Debug)]
pub struct BrokerEpoch(AtomicI64);

impl Default for BrokerEpoch {
    fn default() -> Self {
        BrokerEpoch(AtomicI64::new(-1))
    }
}

impl BrokerEpoch {
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Acquire)
    }

    pub fn set(&self, epoch: i64) {
        self.0.store(epoch, Ordering::Release)
    }

    /// Kafka: `ZkBrokerEpochManager.isBrokerEpochStale` — −1 in a request means "not sent"
    /// (older controllers), otherwise an epoch below ours was meant for an earlier incarnation
    /// of this broker.
    pub fn is_stale(&self, request_broker_epoch: i64) -> bool {
        request_broker_epoch != -1 && request_broker_epoch < self.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka: `ReplicaManager.maybeUpdateMetadataCache` — an older controller epoch is refused,
    /// equal or newer is applied and recorded.
    #[test]
    fn controller_epoch_fence() {
        let fence = ControllerEpochFence::new();
        assert_eq!(fence.apply_if_current(3, || 1), Ok(1));
        assert_eq!(fence.current(), 3);
        assert_eq!(fence.apply_if_current(3, || 2), Ok(2));
        assert_eq!(
            fence.apply_if_current(2, || 3),
            Err(StaleControllerEpoch {
                request_epoch: 2,
                current_epoch: 3
            })
        );
        assert_eq!(fence.current(), 3);
    }

    /// Kafka: `ZkBrokerEpochManager.isBrokerEpochStale`.
    #[test]
    fn broker_epoch_staleness() {
        let e = BrokerEpoch::default();
        assert!(!e.is_stale(5));
        e.set(100);
        assert!(!e.is_stale(-1));
        assert!(!e.is_stale(100));
        assert!(!e.is_stale(101));
        assert!(e.is_stale(99));
    }
}
