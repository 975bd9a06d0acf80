//! The `zkafka` subcommands. `main.rs` only parses and dispatches.

pub mod acls;
pub mod broker;
pub mod configs;
pub mod consume;
pub mod groups;
pub mod perf;
pub mod produce;
pub mod topics;
pub mod zk;
