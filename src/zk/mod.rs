//! ZooKeeper: `KafkaZkClient` and `znodes` — the only code that knows paths and payloads.

pub mod broker_registration;
pub mod client;
pub mod controller_election;
pub mod json_order;
pub mod null_data;
pub mod operations;
pub mod schema;
pub mod zk_acls;
pub mod zk_sasl_client;
pub mod zk_security;
pub mod znodes;

pub use client::{KafkaZkClient, SessionEvent, ZkError};
