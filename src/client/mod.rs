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

/// The tokio runtime the CLI tools run on: two worker threads (this is a client, not a
/// server; two keep the sender task and the caller apart). Returns exit code 1 on failure.
pub fn tool_runtime() -> std::result::Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("could not start the async runtime: {e}");
            1
        })
}

/// Parses repeated `key=value` properties (Kafka's `--property` / `--producer-property`
/// shape; the value may contain '=').
pub fn parse_properties(items: &[String]) -> Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| {
                    ClientError::Config(format!("Invalid property '{kv}': expected key=value"))
                })
        })
        .collect()
}

/// Reads a Java-properties style file (`key=value` lines, `#`/`!` comments), as Kafka's
/// `--producer.config` / `--consumer.config` do. Line continuations are not supported.
pub fn read_properties_file(path: &std::path::Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Config(format!("could not read {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let i = l.find(['=', ':'])?;
            Some((l[..i].trim().to_string(), l[i + 1..].trim().to_string()))
        })
        .collect())
}
