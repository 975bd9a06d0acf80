//! ZooKeeper: `KafkaZkClient` and `znodes` — the only code that knows paths and payloads.

pub mod json_order;
pub mod schema;
pub mod znodes;
