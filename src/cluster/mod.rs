//! Brokers, endpoints and partitions as the cluster sees them.

pub mod endpoint;
pub mod leader_and_isr;
pub mod topic_partition;

pub use endpoint::{EndPoint, SecurityProtocol};
pub use leader_and_isr::{LeaderAndIsr, LeaderIsrAndControllerEpoch, LeaderRecoveryState};
pub use topic_partition::TopicPartition;
pub mod partition;
pub mod replica;

pub use partition::{LeaderAndIsrState, Partition, PartitionContext, PartitionError};
