//! Brokers, endpoints and partitions as the cluster sees them.

pub mod endpoint;

pub use endpoint::{EndPoint, SecurityProtocol};
