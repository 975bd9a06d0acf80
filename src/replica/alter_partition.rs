//! How a partition leader proposes an ISR change to the controller.
//!
//! Kafka (IBP ≥ 2.7-IV2, so 3.9 in ZK mode): the leader never writes the partition state znode
//! itself. It sends `AlterPartition{brokerId, brokerEpoch, topic, partition, leaderEpoch,
//! newIsr, partitionEpoch}` to the active controller, which validates it, writes
//! `/brokers/topics/<t>/partitions/<p>/state` conditionally on its zkVersion (the partition
//! epoch) and answers with the committed ISR and the new partition epoch. Until the answer
//! arrives the leader keeps the change *pending* and uses the maximal ISR (KIP-497).
//! Kafka: `AlterPartitionManager.scala` (`submit`), `Partition.scala` (`sendAlterPartitionRequest`,
//! `handleAlterPartitionError`).
//!
//! [`AlterPartitionSender`] is the seam: the network implementation (an AlterPartition RPC to
//! the controller found in the metadata cache) belongs to the controller-channel work; tests and
//! single-broker setups use [`AcceptingAlterPartitionSender`].

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

use crate::cluster::TopicPartition;

/// One proposed ISR change. Kafka: `AlterPartitionRequestData.PartitionData` + topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlterPartitionItem {
    pub topic_partition: TopicPartition,
    /// Zero when the topic has no id (pre-2.8 topics); AlterPartition v2 uses names then.
    pub topic_id: [u8; 16],
    pub leader_epoch: i32,
    pub new_isr: Vec<i32>,
    /// The partition epoch the leader believes current (the state znode's zkVersion).
    pub partition_epoch: i32,
    /// 0 = RECOVERED (the only state a ZK-mode leader proposes once it has caught up).
    pub leader_recovery_state: i8,
}

/// The controller's answer for one partition. Kafka: `LeaderAndIsr` built from
/// `AlterPartitionResponseData.PartitionData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedIsr {
    pub leader: i32,
    pub leader_epoch: i32,
    pub isr: Vec<i32>,
    pub partition_epoch: i32,
}

/// Completion callback; receives the committed state or Kafka's error code
/// (OPERATION_NOT_ATTEMPTED, INELIGIBLE_REPLICA, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION,
/// UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER ...).
pub type AlterPartitionCallback = Box<dyn FnOnce(Result<CommittedIsr, i16>) + Send>;

/// Sends ISR changes to the controller. Implementations must not call `callback` while the
/// caller could be holding partition locks: [`crate::cluster::partition::Partition`] only calls
/// `submit` after releasing its own locks, so calling back synchronously is allowed.
/// Transient failures (controller moved, connection lost) are the implementation's to retry,
/// as Kafka's `AlterPartitionManager` does.
pub trait AlterPartitionSender: Send + Sync + std::fmt::Debug {
    fn submit(&self, item: AlterPartitionItem, callback: AlterPartitionCallback);
}

/// Accepts every proposal at once, bumping the partition epoch by one, as a controller with no
/// competing writer would. A stand-in for the controller in unit tests and in-process
/// integration tests (which run no controller); it records what it was sent.
#[derive(Debug, Default)]
pub struct AcceptingAlterPartitionSender {
    submitted: Mutex<Vec<AlterPartitionItem>>,
    /// When non-zero, every proposal fails with this error code instead (tests of the error path).
    fail_with: AtomicI32,
}

impl AcceptingAlterPartitionSender {
    pub fn new() -> AcceptingAlterPartitionSender {
        AcceptingAlterPartitionSender::default()
    }

    /// Proposals received so far, oldest first.
    pub fn submitted(&self) -> Vec<AlterPartitionItem> {
        self.submitted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes later proposals fail with `code` (0 restores acceptance).
    pub fn fail_with(&self, code: i16) {
        self.fail_with.store(i32::from(code), Ordering::SeqCst);
    }
}

impl AlterPartitionSender for AcceptingAlterPartitionSender {
    fn submit(&self, item: AlterPartitionItem, callback: AlterPartitionCallback) {
        self.submitted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(item.clone());
        let fail = self.fail_with.load(Ordering::SeqCst);
        if fail != 0 {
            callback(Err(fail as i16));
            return;
        }
        callback(Ok(CommittedIsr {
            leader: -1,
            leader_epoch: item.leader_epoch,
            isr: item.new_isr,
            partition_epoch: item.partition_epoch + 1,
        }));
    }
}
