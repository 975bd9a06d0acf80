//! ZooKeeper: `KafkaZkClient` and `znodes` — the only code that knows paths and payloads.
