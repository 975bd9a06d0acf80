//! Behavioural tests of the log against real files in temp dirs. Each test names the Kafka
//! behaviour it checks and where Kafka defines it.

mod append_read;
mod compaction;
mod manager;
mod recovery;
mod retention;
mod truncation;

use std::path::Path;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use kafka_protocol::records::{Compression, RecordBatchDecoder};

use super::config::LogConfig;
use super::dir_failure::LogDirFailureChannel;
use super::loader::{LoadParams, LoadReport};
use super::unified_log::Log;
use crate::cluster::TopicPartition;
use crate::protocol::record_batch::test_batches;
use crate::time::{MockClock, SharedClock};

/// 2026-01-01T00:00:00Z, the mock clock's starting point.
pub(crate) const T0: i64 = 1_767_225_600_000;

pub(crate) fn tp() -> TopicPartition {
    TopicPartition::new("orders", 0)
}

pub(crate) fn mock_clock() -> Arc<MockClock> {
    Arc::new(MockClock::new(T0))
}

/// Loads (or creates) `orders-0` under `root`.
pub(crate) fn open_log(
    root: &Path,
    config: LogConfig,
    clock: SharedClock,
    clean: bool,
    recovery_point: i64,
    log_start_offset: Option<i64>,
) -> (Arc<Log>, LoadReport) {
    Log::load(LoadParams {
        tp: tp(),
        dir: root.join("orders-0"),
        parent_dir: root.to_path_buf(),
        config,
        clock,
        failure: Arc::new(LogDirFailureChannel::new()),
        recovery_point,
        log_start_offset,
        high_watermark: None,
        had_clean_shutdown: clean,
        topic_id: None,
    })
    .expect("log loads")
}

pub(crate) fn new_log(root: &Path, config: LogConfig, clock: SharedClock) -> Arc<Log> {
    open_log(root, config, clock, true, 0, None).0
}

/// A batch of `n` records `"<tag>-<i>"` with timestamps `ts..ts+n`.
pub(crate) fn values_batch(tag: &str, n: usize, ts: i64) -> Bytes {
    let vals: Vec<Vec<u8>> = (0..n).map(|i| format!("{tag}-{i}").into_bytes()).collect();
    let refs: Vec<&[u8]> = vals.iter().map(|v| v.as_slice()).collect();
    test_batches::batch(&refs, ts)
}

/// A batch of keyed records (None value = tombstone).
pub(crate) fn kv_batch(kvs: &[(&str, Option<&str>)], ts: i64) -> Bytes {
    let kvs: Vec<test_batches::KeyValue> = kvs
        .iter()
        .map(|(k, v)| {
            (
                Some(k.as_bytes().to_vec()),
                v.map(|v| v.as_bytes().to_vec()),
            )
        })
        .collect();
    test_batches::keyed_batch(&kvs, ts, Compression::None)
}

/// A kafka-protocol record for the encoder: offset `i` (kafka-protocol keeps offset − sequence
/// constant within a batch), producer fields unset unless `producer` = (id, epoch, base sequence).
pub(crate) fn record(
    i: i64,
    key: Option<&str>,
    value: Option<&str>,
    timestamp: i64,
    producer: Option<(i64, i16, i32)>,
) -> kafka_protocol::records::Record {
    let (producer_id, producer_epoch, base_seq) = producer.unwrap_or((-1, -1, -1));
    kafka_protocol::records::Record {
        transactional: false,
        control: false,
        partition_leader_epoch: -1,
        producer_id,
        producer_epoch,
        timestamp_type: kafka_protocol::records::TimestampType::Creation,
        offset: i,
        sequence: if producer.is_some() {
            base_seq + i as i32
        } else {
            i as i32 - 1
        },
        timestamp,
        key: key.map(|k| Bytes::from(k.to_string())),
        value: value.map(|v| Bytes::from(v.to_string())),
        headers: Default::default(),
    }
}

/// Encodes `records` in message format `version` with `compression`.
pub(crate) fn encode(
    records: &[kafka_protocol::records::Record],
    version: i8,
    compression: Compression,
) -> Bytes {
    let mut buf = BytesMut::new();
    kafka_protocol::records::RecordBatchEncoder::encode(
        &mut buf,
        records,
        &kafka_protocol::records::RecordEncodeOptions {
            version,
            compression,
        },
    )
    .expect("encoding a well-formed test batch cannot fail");
    buf.freeze()
}

/// Decodes every record in `bytes` with the independent kafka-protocol decoder:
/// (offset, key, value, timestamp).
pub(crate) fn decode_all(bytes: &Bytes) -> Vec<(i64, Option<String>, Option<String>, i64)> {
    let mut b = bytes.clone();
    let mut out = Vec::new();
    let sets = RecordBatchDecoder::decode_all(&mut b).expect("independent decoder reads our bytes");
    for s in sets {
        for r in s.records {
            out.push((
                r.offset,
                r.key.map(|k| String::from_utf8_lossy(&k).to_string()),
                r.value.map(|v| String::from_utf8_lossy(&v).to_string()),
                r.timestamp,
            ));
        }
    }
    out
}

/// Reads the whole log from its start with the follower bound (log end).
pub(crate) fn read_everything(log: &Log) -> Bytes {
    let mut out = BytesMut::new();
    let mut next = log.log_start_offset();
    while next < log.log_end_offset() {
        let d = log.read(next, 1 << 20, None, true).expect("read succeeds");
        if d.records.is_empty() {
            break;
        }
        let recs = decode_all(&d.records);
        next = recs.last().map(|r| r.0 + 1).unwrap_or(next + 1);
        // The last batch can end with compacted-away records: jump by headers instead.
        let mut pos = 0;
        while pos < d.records.len() {
            let h = crate::protocol::record_batch::next_batch_size(&d.records[pos..], pos).unwrap();
            let hdr =
                crate::protocol::record_batch::RecordBatchHeader::new(&d.records[pos..pos + h])
                    .unwrap();
            next = next.max(hdr.next_offset());
            pos += h;
        }
        out.extend_from_slice(&d.records);
    }
    out.freeze()
}

/// Small segments and a dense index so tests exercise rolls and index lookups.
pub(crate) fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 1024,
        index_interval_bytes: 64,
        file_delete_delay_ms: 0,
        ..LogConfig::default()
    }
}
