//! Small pure helpers that reproduce Java/Kafka arithmetic exactly where the wire or the on-disk
//! layout depends on it.

pub mod java_hash;
