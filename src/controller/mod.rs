//! `KafkaController`: election, the controller event loop and its state machines.

pub mod election;
pub mod partition_state;
pub mod replica_state;
