//! `LogError`: every failure of the log layer, with Kafka's wire error code.
//! Codes from Kafka's `org.apache.kafka.common.protocol.Errors`.

use std::path::PathBuf;

use thiserror::Error;

use crate::protocol::record_batch::BatchError;

/// Kafka error codes the log layer produces (`Errors.java`).
pub mod codes {
    pub const UNKNOWN_SERVER_ERROR: i16 = -1;
    pub const OFFSET_OUT_OF_RANGE: i16 = 1;
    pub const CORRUPT_MESSAGE: i16 = 2;
    pub const MESSAGE_TOO_LARGE: i16 = 10;
    pub const RECORD_LIST_TOO_LARGE: i16 = 18;
    pub const INVALID_TIMESTAMP: i16 = 32;
    pub const UNSUPPORTED_FOR_MESSAGE_FORMAT: i16 = 43;
    pub const KAFKA_STORAGE_ERROR: i16 = 56;
    pub const INVALID_RECORD: i16 = 87;
}

/// A log-layer failure. `Display` is a sentence with the partition and values involved.
#[derive(Debug, Error)]
pub enum LogError {
    /// Kafka: `OffsetOutOfRangeException` (fetch/ListOffsets/DeleteRecords outside the log).
    #[error("offset {offset} is out of range for partition {partition}: log start {log_start_offset}, end {log_end_offset}")]
    OffsetOutOfRange {
        partition: String,
        offset: i64,
        log_start_offset: i64,
        log_end_offset: i64,
    },
    /// Kafka: `CorruptRecordException` (bad CRC, bad length, truncated batch from a client).
    #[error("corrupt record batch for partition {partition}: {source}")]
    CorruptMessage {
        partition: String,
        #[source]
        source: BatchError,
    },
    /// Kafka: `RecordTooLargeException` (a batch above `max.message.bytes`).
    #[error(
        "record batch of {size} bytes for partition {partition} exceeds max.message.bytes {max}"
    )]
    MessageTooLarge {
        partition: String,
        size: usize,
        max: i32,
    },
    /// Kafka: `RecordBatchTooLargeException` (the appended set is larger than `segment.bytes`).
    #[error("appended record set of {size} bytes for partition {partition} exceeds segment.bytes {segment_bytes}")]
    RecordListTooLarge {
        partition: String,
        size: usize,
        segment_bytes: i32,
    },
    /// Kafka: `InvalidTimestampException` (CreateTime outside the before/after bounds).
    #[error(
        "timestamp {timestamp} of a batch for partition {partition} is out of range: {reason}"
    )]
    InvalidTimestamp {
        partition: String,
        timestamp: i64,
        reason: String,
    },
    /// Kafka: `UnsupportedForMessageFormatException`.
    #[error("unsupported for the message format of partition {partition}: {reason}")]
    UnsupportedForMessageFormat { partition: String, reason: String },
    /// Kafka: `InvalidRecordException` (inconsistent counts, control batch from a client, keyless
    /// record for a compacted topic ...).
    #[error("invalid record for partition {partition}: {reason}")]
    InvalidRecord { partition: String, reason: String },
    /// A follower append whose offsets go backwards. Kafka: `OffsetsOutOfOrderException` /
    /// `UnexpectedAppendOffsetException`, which the fetcher treats as fatal for the partition.
    #[error("out-of-order offsets appended to partition {partition}: {reason}")]
    OffsetsOutOfOrder { partition: String, reason: String },
    /// Kafka: `KafkaStorageException` after an I/O error; the log directory is offline.
    #[error("log directory {dir} is offline; partition {partition} cannot be served: {reason}")]
    KafkaStorage {
        partition: String,
        dir: PathBuf,
        reason: String,
    },
    /// An I/O error before it has been attributed to a directory (turned into `KafkaStorage`
    /// by the log, which reports the directory on the failure channel).
    #[error("I/O error {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// A rejection from the append hook (the idempotence layer), carried with its code.
    #[error("append to partition {partition} rejected: {message}")]
    Rejected {
        partition: String,
        code: i16,
        message: String,
    },
}

impl LogError {
    /// Kafka's wire error code for this failure.
    pub fn error_code(&self) -> i16 {
        use codes::*;
        match self {
            LogError::OffsetOutOfRange { .. } => OFFSET_OUT_OF_RANGE,
            LogError::CorruptMessage { source, .. } => match source {
                BatchError::Invalid { .. } => INVALID_RECORD,
                _ => CORRUPT_MESSAGE,
            },
            LogError::MessageTooLarge { .. } => MESSAGE_TOO_LARGE,
            LogError::RecordListTooLarge { .. } => RECORD_LIST_TOO_LARGE,
            LogError::InvalidTimestamp { .. } => INVALID_TIMESTAMP,
            LogError::UnsupportedForMessageFormat { .. } => UNSUPPORTED_FOR_MESSAGE_FORMAT,
            LogError::InvalidRecord { .. } => INVALID_RECORD,
            LogError::OffsetsOutOfOrder { .. } => UNKNOWN_SERVER_ERROR,
            LogError::KafkaStorage { .. } | LogError::Io { .. } => KAFKA_STORAGE_ERROR,
            LogError::Rejected { code, .. } => *code,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> LogError {
        LogError::Io {
            context: context.into(),
            source,
        }
    }
}
