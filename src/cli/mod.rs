//! The `zkafka` subcommands. `main.rs` only parses and dispatches.

pub mod broker;
pub mod zk;
