//! The `zkafka` subcommands. `main.rs` only parses and dispatches.

pub mod broker;
pub mod consume;
pub mod groups;
pub mod perf;
pub mod produce;
pub mod topics;
pub mod zk;
