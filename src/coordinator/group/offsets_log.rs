//! How the coordinator reaches `__consumer_offsets`: appends through the replica manager's
//! produce path (acks and timeout as Kafka's `appendForGroup`), and reads a partition from
//! log start to log end when it takes the partition over.
//! Kafka: `GroupMetadataManager.appendForGroup`, `doLoadGroupsAndOffsets` (the log reads).

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::records::Compression;

use crate::client::records::{complete_batches, decode_batch, encode_batch, ProducerRecord};
use crate::cluster::TopicPartition;
use crate::network::BoxFuture;
use crate::protocol::errors::ResponseError;
use crate::replica::ReplicaManager;
use crate::time::SharedClock;

/// Kafka `Topic.GROUP_METADATA_TOPIC_NAME`.
pub const GROUP_METADATA_TOPIC_NAME: &str = "__consumer_offsets";

/// One record read back from an offsets partition.
#[derive(Debug, Clone)]
pub struct LoadedRecord {
    pub offset: i64,
    pub key: Option<Bytes>,
    /// `None` is a tombstone.
    pub value: Option<Bytes>,
}

/// Appends to and reads `__consumer_offsets` partitions.
pub trait OffsetsLog: Send + Sync + 'static {
    /// Appends `(key, value)` records as one batch to `partition` with `required_acks`,
    /// waiting up to `timeout_ms`; returns the base offset, or the append's Kafka error code.
    fn append(
        &self,
        partition: i32,
        records: Vec<(Bytes, Option<Bytes>)>,
        required_acks: i16,
        timeout_ms: i64,
    ) -> BoxFuture<'_, Result<i64, i16>>;

    /// Every record of `partition` from its log start to its log end offset, read
    /// `buffer_bytes` at a time; `Err` when the partition is not hosted or a read fails.
    fn read_all(
        &self,
        partition: i32,
        buffer_bytes: usize,
    ) -> BoxFuture<'_, Result<Vec<LoadedRecord>, String>>;
}

/// [`OffsetsLog`] over the broker's replica manager.
pub struct ReplicaOffsetsLog {
    replica_manager: Arc<ReplicaManager>,
    clock: SharedClock,
    compression: Compression,
}

impl ReplicaOffsetsLog {
    /// `compression_codec` is `offsets.topic.compression.codec` (Kafka's codec ids: 0 none,
    /// 1 gzip, 2 snappy, 3 lz4, 4 zstd).
    pub fn new(
        replica_manager: Arc<ReplicaManager>,
        clock: SharedClock,
        compression_codec: i32,
    ) -> ReplicaOffsetsLog {
        let compression = match compression_codec {
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => Compression::None,
        };
        ReplicaOffsetsLog {
            replica_manager,
            clock,
            compression,
        }
    }
}

impl OffsetsLog for ReplicaOffsetsLog {
    fn append(
        &self,
        partition: i32,
        records: Vec<(Bytes, Option<Bytes>)>,
        required_acks: i16,
        timeout_ms: i64,
    ) -> BoxFuture<'_, Result<i64, i16>> {
        Box::pin(async move {
            let now = self.clock.milliseconds();
            let records: Vec<ProducerRecord> = records
                .into_iter()
                .map(|(key, value)| ProducerRecord {
                    topic: GROUP_METADATA_TOPIC_NAME.to_string(),
                    partition: Some(partition),
                    key: Some(key),
                    value,
                    headers: Vec::new(),
                    timestamp_ms: Some(now),
                })
                .collect();
            let batch = encode_batch(&records, self.compression, now).map_err(|e| {
                tracing::error!(error = %e, "cannot encode an offsets batch");
                ResponseError::UnknownServerError.code()
            })?;
            let tp = TopicPartition::new(GROUP_METADATA_TOPIC_NAME, partition);
            let results = self
                .replica_manager
                .append_records(timeout_ms, required_acks, vec![(tp, batch)])
                .await;
            match results.into_iter().next() {
                Some((_, r)) if r.error_code == 0 => Ok(r.base_offset),
                Some((_, r)) => Err(r.error_code),
                None => Err(ResponseError::UnknownServerError.code()),
            }
        })
    }

    fn read_all(
        &self,
        partition: i32,
        buffer_bytes: usize,
    ) -> BoxFuture<'_, Result<Vec<LoadedRecord>, String>> {
        let tp = TopicPartition::new(GROUP_METADATA_TOPIC_NAME, partition);
        let hosted = self.replica_manager.online_partition(&tp);
        Box::pin(async move {
            let p = hosted.ok_or_else(|| format!("partition {tp} is not hosted here"))?;
            let log = p.log().clone();
            let read = tokio::task::spawn_blocking(move || {
                let end = log.log_end_offset();
                let mut offset = log.log_start_offset();
                let mut out = Vec::new();
                while offset < end {
                    let data = log
                        .read(offset, buffer_bytes, None, true)
                        .map_err(|e| format!("reading {tp} at {offset}: {e}"))?;
                    if data.records.is_empty() {
                        break;
                    }
                    let mut next = offset;
                    for batch in complete_batches(data.records) {
                        let mut records = Vec::new();
                        decode_batch(tp.partition, batch.clone(), offset, &mut records)
                            .map_err(|e| format!("decoding {tp} at {offset}: {e}"))?;
                        next = next.max(
                            crate::client::records::batch_next_offset(&batch).unwrap_or(offset + 1),
                        );
                        out.extend(records.into_iter().map(|r| LoadedRecord {
                            offset: r.offset,
                            key: r.key,
                            value: r.value,
                        }));
                    }
                    if next <= offset {
                        break;
                    }
                    offset = next;
                }
                Ok(out)
            })
            .await
            .map_err(|e| format!("load task failed: {e}"))?;
            read
        })
    }
}
