//! Log compaction (`cleanup.policy=compact`). Kafka: `LogCleaner.scala`, `LogCleanerManager.scala`.

use super::errors::LogError;
use super::unified_log::Log;

/// What one cleaning pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CleanerStats {
    pub segments_cleaned: usize,
    pub records_removed: usize,
}

/// Cleans the log's cleanable range once.
pub fn clean_log(_log: &Log) -> Result<CleanerStats, LogError> {
    Ok(CleanerStats::default())
}

/// The offset up to which the log has been cleaned (for `cleaner-offset-checkpoint`).
pub fn cleaner_checkpoint(log: &Log) -> i64 {
    log.log_start_offset()
}
