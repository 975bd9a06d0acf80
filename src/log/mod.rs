//! The binary segment log: `LogManager`, `Log`, `LogSegment`, indexes and checkpoints.
//! See the crate-level tour and the section "Interface" below.
//!
//! # On-disk layout (Kafka's, readable by `kafka-dump-log`)
//! `<log.dir>/<topic>-<partition>/` holds `<20-digit base offset>.log` (v2 record batches exactly
//! as appended), `.index` (8-byte entries: relative offset, position; one per
//! `index.interval.bytes`), `.timeindex` (12-byte entries: max timestamp, relative offset),
//! `leader-epoch-checkpoint`, `partition.metadata`. Each log dir holds
//! `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint`,
//! `replication-offset-checkpoint`, `cleaner-offset-checkpoint` and, after a clean shutdown,
//! `.kafka_cleanshutdown`.
//!
//! # Interface
//! - [`LogManager::startup`]`(log_dirs, base LogConfig, clock, failure channel, options)` loads
//!   every partition (recovery unless the clean-shutdown marker was present);
//!   [`LogManager::get_log`], [`LogManager::get_or_create_log`]`(tp, config, topic_id)` (new
//!   partitions go to the live dir with the fewest partitions; writes `partition.metadata`),
//!   [`LogManager::async_delete`] (rename to `<tp>.<uuid>-delete`, remove after
//!   `file.delete.delay.ms`), [`LogManager::start_background`] (retention, flush, checkpoints,
//!   cleaner, delayed deletes), [`LogManager::shutdown`] (flush, checkpoints, marker),
//!   [`LogManager::handle_log_dir_failure`].
//! - [`Log`] (shared as `Arc<Log>`): [`Log::append_as_leader`]`(records, leader_epoch)` and
//!   [`Log::append_as_leader_with`] (a hook under the append lock for producer-state checks),
//!   [`Log::append_as_follower`], [`Log::read`]`(start, max_bytes, upper_bound, min_one_batch)`
//!   → [`FetchDataInfo`] with `records: Bytes` of whole batches (pread; nothing decoded),
//!   [`Log::log_start_offset`], [`Log::log_end_offset`], [`Log::high_watermark`],
//!   [`Log::update_high_watermark`], [`Log::truncate_to`], [`Log::truncate_fully_and_start_at`],
//!   [`Log::delete_records_before`], [`Log::fetch_offset_by_timestamp`] (ListOffsets: -2, -1,
//!   -3, -4, or a time), [`Log::leader_epoch_cache`] / [`Log::assign_epoch_start_offset`] /
//!   [`Log::end_offset_for_epoch`], [`Log::flush`], [`Log::delete_old_segments`].
//! - [`LogError::error_code`] gives Kafka's wire code for every failure.
//! - [`LogDirFailureChannel`]: on an I/O error the dir goes offline, its logs answer
//!   KAFKA_STORAGE_ERROR, and the dir path is sent once to the subscriber
//!   (`replica::log_dir_failure`: partitions offline, `/log_dir_event_notification`, halt when
//!   the last dir fails).
//! - Producer state lives with the partition: [`Log::take_rolled_segment_base`] tells it where
//!   to write the `.snapshot` after a roll; [`Log::set_active_producers_provider`] tells the
//!   cleaner each active producer's last batch (kept, KIP-534-style horizons for tombstones).
//! - [`LogConfig`]: topic keys, [`LogConfig::from_broker_properties`], [`LogConfig::with_overrides`].
//!
//! # Hot path
//! Append: one pass over batch headers (size, magic, CRC32C, counts), one memcpy into a reused
//! buffer, offsets/epoch patched in place (outside the CRC), one `pwrite`. Read: one index
//! lookup, a few header `pread`s, one `pread` of the byte range. Records are never decoded.
//! Magic 0/1: see [`legacy`] (v0/v1 produce data is up-converted to v2 as Kafka 3.9 does,
//! compressed wrappers recompressed with their codec; Fetch v0–v3 is not served).
//!
//! # Background work
//! Retention ([`retention`]), compaction ([`cleaner`], keeps offsets, never the active segment,
//! bounded by the high watermark), flush by `flush.ms`, checkpoints, delayed deletes — all run
//! from [`LogManager::start_background`]; each also has a method tests call directly with a
//! [`crate::time::MockClock`].

pub mod batch_writer;
pub mod checkpoint;
pub mod cleaner;
pub mod config;
pub mod dir_failure;
pub mod errors;
pub mod index;
pub mod leader_epoch;
pub mod legacy;
pub mod legacy_compressed;
pub mod list_offsets;
pub mod loader;
pub mod manager;
pub mod producer_state_manager;
pub mod retention;
pub mod segment;
pub mod truncation;
pub mod unified_log;

#[cfg(test)]
mod tests;

pub use config::{LogConfig, LogConfigError};
pub use dir_failure::LogDirFailureChannel;
pub use errors::LogError;
pub use index::{OffsetIndex, TimeIndex};
pub use leader_epoch::LeaderEpochFileCache;
pub use loader::{LoadParams, LoadReport};
pub use manager::{LogManager, LogManagerOptions};
pub use segment::LogSegment;
pub use unified_log::{
    AppendDecision, BatchAppendInfo, FetchDataInfo, Log, LogAppendInfo, TimestampAndOffset,
};
