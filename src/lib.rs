//! # zkafka — Apache Kafka's ZooKeeper-mode broker, rebuilt in Rust
//!
//! Reference behaviour: Apache Kafka 3.9 in ZooKeeper mode, `inter.broker.protocol.version=3.9`.
//! Real Kafka clients connect unchanged; the broker writes exactly the znodes Kafka writes.
//!
//! A guided tour (see ARCHITECTURE.md for the long form):
//! - [`config`]: `KafkaConfig`, Kafka's `server.properties` keys and defaults.
//! - [`server`]: `KafkaServer`, numbered startup steps, shutdown in reverse.
//! - [`meta_properties`]: the per-log-dir `meta.properties` identity file and its checks.
//! - [`zk`]: `KafkaZkClient` (session supervision) and `znodes` (every path and payload).
//! - [`controller`]: `KafkaController`, the single event loop that owns `ControllerContext`.
//! - [`network`] / [`protocol`] / [`apis`]: sockets, framing, and one handler per API.
//! - [`metadata_cache`]: `MetadataCache`, what the controller's UpdateMetadata said.
//! - [`replica`] and [`cluster::partition`]: the data path — `ReplicaManager` (LeaderAndIsr,
//!   StopReplica, produce with acks, fetch with long polling, ISR expiry), `Partition`
//!   (leader/follower, ISR, high watermark, producer state), replica fetchers.
//! - [`log`]: the binary segment log (`LogManager`, `Log`, `LogSegment`, indexes, checkpoints).
//! - [`client`]: a small async Kafka client used by the CLI tools.
//! - [`cli`]: the `zkafka` subcommands.

pub mod admin;
pub mod apis;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod config;
pub mod controller;
pub mod coordinator;
pub mod log;
pub mod meta_properties;
pub mod metadata_cache;
pub mod network;
pub mod protocol;
pub mod replica;
pub mod security;
pub mod server;
pub mod time;
pub mod utils;
pub mod zk;
