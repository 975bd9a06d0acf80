//! The read side of a partition leader: fetches (consumer and follower), ListOffsets and
//! OffsetForLeaderEpoch. Kafka: `Partition.fetchRecords`, `readRecords`,
//! `fetchOffsetForTimestamp`, `lastOffsetForLeaderEpoch`.

use std::sync::Arc;

use bytes::Bytes;

use super::{Partition, PartitionError, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET};
use crate::log::unified_log::{TimestampAndOffset, LATEST_TIMESTAMP};

/// One partition of a Fetch request. Kafka: `FetchParams` + `PartitionData`.
#[derive(Debug, Clone)]
pub struct FetchPartitionParams {
    pub fetch_offset: i64,
    /// -1 when the client did not send one (Fetch < v9).
    pub current_leader_epoch: i32,
    /// Epoch of the last batch the fetcher has (Fetch v12+); -1 when absent.
    pub last_fetched_epoch: i32,
    /// Follower's log start offset (followers only; -1 for consumers).
    pub log_start_offset: i64,
    pub max_bytes: usize,
    /// Return the first batch even if larger than `max_bytes` (the first partition of a
    /// response with room left, KIP-74).
    pub min_one_batch: bool,
    /// The fetching broker's id, or `None` for a consumer.
    pub replica_id: Option<i32>,
    /// Consumer isolation: read_committed stops at the LSO (= HW here: no transactions yet).
    pub read_committed: bool,
}

/// `(epoch, end offset)` the leader reports when a follower's log diverges from its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEndOffset {
    pub epoch: i32,
    pub end_offset: i64,
}

/// What a fetch read. Kafka: `LogReadInfo`.
#[derive(Debug, Clone)]
pub struct PartitionRead {
    pub records: Bytes,
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
    pub diverging_epoch: Option<EpochEndOffset>,
}

impl Partition {
    /// Serves a fetch as leader: checks the leader epoch, detects follower divergence from
    /// `last_fetched_epoch`, reads up to the HW (consumers) or the log end (followers), and
    /// for a follower records its position (maybe expanding the ISR and advancing the HW).
    /// Kafka: `Partition.fetchRecords`.
    pub fn fetch_records(
        self: &Arc<Self>,
        p: &FetchPartitionParams,
    ) -> Result<PartitionRead, PartitionError> {
        let (read, leo_at_read) = {
            let st = self.read_state();
            self.check_leader_epoch(&st, p.current_leader_epoch)?;
            self.check_leader(&st)?;
            let log = &self.log;
            let hw = log.high_watermark();
            let leo = log.log_end_offset();
            let lso = log.log_start_offset();
            if p.last_fetched_epoch >= 0 {
                // Kafka `Partition.readRecords`: the fetcher's last epoch must end at or after
                // its fetch offset in our log, else it has records we do not.
                let (epoch, end) = log.end_offset_for_epoch(p.last_fetched_epoch);
                if epoch == UNDEFINED_EPOCH || end == UNDEFINED_EPOCH_OFFSET || p.fetch_offset < lso
                {
                    return Err(PartitionError::Log(
                        crate::log::LogError::OffsetOutOfRange {
                            partition: self.tp.to_string(),
                            offset: p.fetch_offset,
                            log_start_offset: lso,
                            log_end_offset: leo,
                        },
                    ));
                }
                if epoch < p.last_fetched_epoch || end < p.fetch_offset {
                    let diverging = EpochEndOffset {
                        epoch,
                        end_offset: end,
                    };
                    return Ok(PartitionRead {
                        records: Bytes::new(),
                        high_watermark: hw,
                        last_stable_offset: hw,
                        log_start_offset: lso,
                        log_end_offset: leo,
                        diverging_epoch: Some(diverging),
                    });
                }
            }
            let upper = if p.replica_id.is_some() {
                None
            } else {
                Some(hw)
            };
            let data = log.read(p.fetch_offset, p.max_bytes, upper, p.min_one_batch)?;
            (
                PartitionRead {
                    records: data.records,
                    high_watermark: data.high_watermark,
                    last_stable_offset: data.high_watermark,
                    log_start_offset: data.log_start_offset,
                    log_end_offset: data.log_end_offset,
                    diverging_epoch: None,
                },
                data.log_end_offset,
            )
        };
        if let Some(replica_id) = p.replica_id {
            let now = self.ctx.clock.milliseconds();
            self.update_follower_fetch_state(
                replica_id,
                p.fetch_offset,
                p.log_start_offset,
                now,
                leo_at_read,
            )?;
            if let Some(r) = self.replicas().get_mut(&replica_id) {
                r.last_sent_high_watermark = read.high_watermark;
            }
        }
        Ok(read)
    }

    /// Whether follower `replica_id` was last sent a high watermark below the current one.
    /// Kafka: `Partition.followerNeedsHwUpdate` (used by `DelayedFetch`).
    pub fn follower_needs_hw_update(&self, replica_id: i32) -> bool {
        let hw = self.log.high_watermark();
        self.replicas()
            .get(&replica_id)
            .is_some_and(|r| r.last_sent_high_watermark < hw)
    }

    /// ListOffsets on the leader. `isolation` is `None` for a replica's request (LATEST = log
    /// end), else `Some(read_committed)` (LATEST = HW or LSO). A timestamp lookup never returns
    /// an offset at or above what the requester may read. Kafka: `Partition.fetchOffsetForTimestamp`.
    pub fn fetch_offset_for_timestamp(
        &self,
        timestamp: i64,
        isolation: Option<bool>,
        current_leader_epoch: i32,
        fetch_only_from_leader: bool,
    ) -> Result<Option<TimestampAndOffset>, PartitionError> {
        let st = self.read_state();
        self.check_leader_epoch(&st, current_leader_epoch)?;
        if fetch_only_from_leader {
            self.check_leader(&st)?;
        }
        let hw = self.log.high_watermark();
        let last_fetchable = match isolation {
            Some(_) => hw,
            None => self.log.log_end_offset(),
        };
        if timestamp == LATEST_TIMESTAMP {
            if let (Some(start), Some(_)) = (st.leader_epoch_start_offset, isolation) {
                if start > hw {
                    return Err(PartitionError::OffsetNotAvailable {
                        partition: self.tp.to_string(),
                        hw,
                        epoch_start: start,
                    });
                }
            }
            return Ok(Some(TimestampAndOffset {
                timestamp: -1,
                offset: last_fetchable,
                leader_epoch: Some(st.leader_epoch),
            }));
        }
        let found = self.log.fetch_offset_by_timestamp(timestamp)?;
        if timestamp < 0 {
            return Ok(found);
        }
        Ok(found.filter(|f| f.offset < last_fetchable))
    }

    /// OffsetForLeaderEpoch: the end offset of `leader_epoch` in this log. Kafka:
    /// `Partition.lastOffsetForLeaderEpoch`.
    pub fn last_offset_for_leader_epoch(
        &self,
        current_leader_epoch: i32,
        leader_epoch: i32,
        fetch_only_from_leader: bool,
    ) -> Result<EpochEndOffset, PartitionError> {
        let st = self.read_state();
        self.check_leader_epoch(&st, current_leader_epoch)?;
        if fetch_only_from_leader {
            self.check_leader(&st)?;
        }
        let (epoch, end) = self.log.end_offset_for_epoch(leader_epoch);
        if epoch == UNDEFINED_EPOCH {
            return Ok(EpochEndOffset {
                epoch: UNDEFINED_EPOCH,
                end_offset: UNDEFINED_EPOCH_OFFSET,
            });
        }
        Ok(EpochEndOffset {
            epoch,
            end_offset: end,
        })
    }
}
