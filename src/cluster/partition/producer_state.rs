//! Rebuilding a partition's producer state from its log: the newest `.snapshot` file at or
//! below the log end, then every batch after it. Kafka: `UnifiedLog.rebuildProducerState` /
//! `ProducerStateManager.truncateAndReload`.

use super::{producer_batch, Partition};
use crate::log::producer_state_manager::ProducerStateManager;
use crate::log::unified_log::batch_info;
use crate::protocol::record_batch::BatchIter;

/// Bytes read per step while replaying the log (headers only are used; the bound keeps memory
/// flat on large logs). Kafka replays segment by segment for the same reason.
const REPLAY_READ_BYTES: usize = 4 << 20;

impl Partition {
    /// Rebuilds the producer state: loads the latest snapshot (or starts empty at the log
    /// start) and replays the batches after it. Errors leave the state as far as it got and are
    /// logged: a missing producer only loosens sequence checks (Kafka accepts any sequence
    /// for an unknown producer), it never rejects valid data.
    pub fn rebuild_producer_state(&self) {
        let mut producers = self.producers();
        let log = self.log.clone();
        let leo = log.log_end_offset();
        let dir = log.dir();
        let mut fresh = ProducerStateManager::new();
        let mut from = match fresh.load_latest_snapshot(&dir, log.log_start_offset(), leo) {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(partition = %self.tp, error = %e, "cannot load producer snapshots; replaying the whole log");
                fresh = ProducerStateManager::new();
                log.log_start_offset()
            }
        };
        from = from.max(log.log_start_offset());
        let mut replayed = 0usize;
        while from < leo {
            let data = match log.read(from, REPLAY_READ_BYTES, None, true) {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(partition = %self.tp, offset = from, error = %e, "producer state replay stopped");
                    break;
                }
            };
            if data.records.is_empty() {
                break;
            }
            let mut batches = Vec::new();
            let mut next = from;
            for item in BatchIter::new(&data.records) {
                let Ok((_, h)) = item else { break };
                next = h.next_offset();
                if h.is_v2() && h.last_offset() >= from {
                    batches.push(producer_batch(&batch_info(&h)));
                }
            }
            replayed += batches.len();
            fresh.load_batches(&batches);
            if next <= from {
                break;
            }
            from = next;
        }
        tracing::debug!(partition = %self.tp, replayed, producers = fresh.producer_count(), "rebuilt producer state");
        *producers = fresh;
    }

    /// After an append: when the log rolled a segment at `first_offset` (where this append
    /// starts), writes the snapshot at that offset from the state not yet updated by the append
    /// — the state at the new segment's base. The caller holds the producer-state lock.
    /// Kafka: `UnifiedLog.roll` → `producerStateManager.updateMapEndOffset` + `takeSnapshot`.
    pub(super) fn snapshot_at_roll(&self, producers: &mut ProducerStateManager, first_offset: i64) {
        let Some(base) = self.log.take_rolled_segment_base() else {
            return;
        };
        if base != first_offset || producers.map_end_offset() > base {
            return;
        }
        producers.update_map_end_offset(base);
        if let Err(e) = producers.take_snapshot(&self.log.dir()) {
            tracing::warn!(partition = %self.tp, error = %e, "cannot write producer snapshot at segment roll");
        }
    }

    /// Writes `<log dir>/<20-digit offset>.snapshot` so the next load replays less. Called at
    /// clean shutdown and when the replica is stopped. Kafka: `ProducerStateManager.takeSnapshot`.
    pub fn take_producer_snapshot(&self) {
        let producers = self.producers();
        if producers.map_end_offset() == 0 && producers.producer_count() == 0 {
            return;
        }
        if let Err(e) = producers.take_snapshot(&self.log.dir()) {
            tracing::warn!(partition = %self.tp, error = %e, "cannot write producer snapshot");
        }
    }
}
