//! A small async Kafka client (tokio) used by the `zkafka` CLI tools: `topics`, `produce`,
//! `consume` and `perf`. It speaks only the wire protocol, so the tools work unchanged against
//! Apache Kafka and against zkafka.
//!
//! Reading order:
//! - [`connection`]: one socket, framing, correlation ids, pipelining, ApiVersions negotiation;
//! - [`kafka_client`]: bootstrap, connection pool, metadata cache and refresh with backoff;
//! - [`admin`]: CreateTopics / DeleteTopics / CreatePartitions / DescribeConfigs;
//! - [`partitioner`] and [`records`]: Kafka's murmur2 partitioner, batch encoding with every
//!   codec (xerial snappy), batch decoding;
//! - [`producer`]: the accumulator and sender (linger, batch.size, acks, retries);
//! - [`fetcher`]: ListOffsets and Fetch without consumer groups.

pub mod admin;
pub mod connection;
pub mod error;
pub mod fetcher;
pub mod kafka_client;
pub mod metadata;
pub mod partitioner;
pub mod producer;
pub mod records;

pub use admin::{Admin, NewTopic};
pub use error::{ClientError, Result};
pub use fetcher::{FetchConfig, Fetcher, OffsetSpec};
pub use kafka_client::{ClientConfig, KafkaClient};
pub use producer::{Producer, ProducerConfig, RecordMetadata};
pub use records::{ConsumerRecord, ProducerRecord};
