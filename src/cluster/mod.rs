//! Brokers, endpoints and partitions as the cluster sees them.

pub mod endpoint;
pub mod topic_partition;

pub use endpoint::{EndPoint, SecurityProtocol};
pub use topic_partition::TopicPartition;
pub mod partition;
pub mod replica;

pub use partition::{LeaderAndIsrState, Partition, PartitionContext, PartitionError};
