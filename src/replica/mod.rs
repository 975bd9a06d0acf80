//! `ReplicaManager`, replica fetchers and purgatories: the broker's data path between the
//! network layer and the log.
//!
//! - [`replica_manager::ReplicaManager`]: the partitions this broker hosts, LeaderAndIsr /
//!   StopReplica handling, produce (`append_records`) and fetch (`fetch_messages`), ISR expiry.
//! - [`purgatory`]: delayed produce (acks=-1) and delayed fetch (fetch.min.bytes/max.wait.ms).
//! - [`fetcher`]: `ReplicaFetcherManager` / `ReplicaFetcher`, followers pulling from leaders.
//! - [`alter_partition`]: the leader → controller ISR-change seam.
//! - [`log_dir_failure`]: a failed log dir → partitions offline, controller notified, halt if last.
//! - [`producer_id_manager`]: producer id blocks for InitProducerId.
//! - [`state_change_workers`]: one LeaderAndIsr's per-partition disk work on parallel threads.

pub mod alter_partition;
pub mod controlled_shutdown;
pub mod controller_rpc;
pub mod fetcher;
pub mod log_dir_failure;
pub mod producer_id_manager;
pub mod purgatory;
pub mod replica_manager;
pub mod state_change_workers;

pub use alter_partition::{AcceptingAlterPartitionSender, AlterPartitionSender};
pub use producer_id_manager::{ProducerIdBlockSource, ProducerIdManager, RpcProducerIdManager};
pub use replica_manager::{
    LeadershipListener, ReplicaManager, ReplicaManagerConfig, TopicConfigProvider,
};

#[cfg(test)]
mod tests;
