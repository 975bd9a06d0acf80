//! ISR maintenance and the high watermark on the leader: expanding the ISR when a follower
//! catches up, shrinking it when one lags more than `replica.lag.time.max.ms`, proposing each
//! change with AlterPartition and applying the controller's answer, and advancing the HW.
//! Kafka: `Partition.maybeExpandIsr`, `maybeShrinkIsr`, `sendAlterPartitionRequest`,
//! `handleAlterPartitionUpdate`, `maybeIncrementLeaderHW`, `checkEnoughReplicasReachOffset`.

use std::sync::Arc;

use super::{IsrState, Partition, State, INELIGIBLE_REPLICA};
use crate::cluster::replica::RemoteReplica;
use crate::protocol::errors::ResponseError;
use crate::replica::alter_partition::{AlterPartitionItem, CommittedIsr};

impl Partition {
    /// A follower may join the ISR when it has reached the high watermark and the current
    /// leader epoch's start offset, and is a live broker. Kafka: `Partition.isFollowerInSync`,
    /// `isReplicaIsrEligible`.
    pub(super) fn is_follower_in_sync(&self, st: &State, r: &RemoteReplica) -> bool {
        let hw = self.log.high_watermark();
        r.log_end_offset >= hw
            && r.log_end_offset >= st.leader_epoch_start_offset.unwrap_or(i64::MAX)
            && (self.ctx.is_broker_alive)(r.broker_id)
    }

    /// Proposes adding `replica_id` to the ISR if it is now in sync. Kafka: `Partition.maybeExpandIsr`.
    pub(super) fn maybe_expand_isr(self: &Arc<Self>, replica_id: i32) {
        let item = {
            let mut st = self.write_state();
            if st.leader != self.ctx.local_broker_id || st.isr.is_inflight() {
                return;
            }
            if st.isr.isr().contains(&replica_id) || !st.assignment.contains(&replica_id) {
                return;
            }
            let Some(r) = self.replicas().get(&replica_id).cloned() else {
                return;
            };
            if !self.is_follower_in_sync(&st, &r) {
                return;
            }
            let mut new_isr = st.isr.isr().to_vec();
            new_isr.push(replica_id);
            let item = self.alter_item(&st, new_isr);
            st.isr = IsrState::PendingExpand {
                isr: st.isr.isr().to_vec(),
                new_in_sync: replica_id,
            };
            item
        };
        self.submit_isr_change(item, "expand");
    }

    /// Followers of the committed ISR that have not caught up within `replica.lag.time.max.ms`.
    /// Kafka: `Partition.getOutOfSyncReplicas`.
    pub fn out_of_sync_replicas(&self) -> Vec<i32> {
        let st = self.read_state();
        self.out_of_sync_locked(&st)
    }

    fn out_of_sync_locked(&self, st: &State) -> Vec<i32> {
        let now = self.ctx.clock.milliseconds();
        let leo = self.log.log_end_offset();
        let reps = self.replicas();
        st.isr
            .isr()
            .iter()
            .copied()
            .filter(|&id| id != self.ctx.local_broker_id)
            .filter(|id| match reps.get(id) {
                Some(r) => !r.is_caught_up(leo, now, self.ctx.replica_lag_time_max_ms),
                None => true,
            })
            .collect()
    }

    /// Proposes removing lagging followers from the ISR (the leader never removes itself).
    /// Returns whether a change was proposed. Kafka: `Partition.maybeShrinkIsr` (run every
    /// `replica.lag.time.max.ms / 2` by the replica manager).
    pub fn maybe_shrink_isr(self: &Arc<Self>) -> bool {
        let item = {
            let mut st = self.write_state();
            if st.leader != self.ctx.local_broker_id || st.isr.is_inflight() {
                return false;
            }
            let out = self.out_of_sync_locked(&st);
            if out.is_empty() {
                return false;
            }
            let new_isr: Vec<i32> = st
                .isr
                .isr()
                .iter()
                .copied()
                .filter(|id| !out.contains(id))
                .collect();
            tracing::info!(partition = %self.tp, out_of_sync = ?out, new_isr = ?new_isr,
                lag_ms = self.ctx.replica_lag_time_max_ms, "shrinking ISR");
            let item = self.alter_item(&st, new_isr);
            st.isr = IsrState::PendingShrink {
                isr: st.isr.isr().to_vec(),
                out_of_sync: out,
            };
            item
        };
        self.submit_isr_change(item, "shrink");
        true
    }

    fn alter_item(&self, st: &State, new_isr: Vec<i32>) -> AlterPartitionItem {
        AlterPartitionItem {
            topic_partition: self.tp.clone(),
            topic_id: self.topic_id.unwrap_or([0; 16]),
            leader_epoch: st.leader_epoch,
            new_isr,
            partition_epoch: st.partition_epoch,
            leader_recovery_state: 0,
        }
    }

    fn submit_isr_change(self: &Arc<Self>, item: AlterPartitionItem, why: &'static str) {
        let weak = Arc::downgrade(self);
        let leader_epoch = item.leader_epoch;
        tracing::debug!(partition = %self.tp, why, new_isr = ?item.new_isr, "sending AlterPartition");
        self.ctx.alter_partition.submit(
            item,
            Box::new(move |result| {
                if let Some(p) = weak.upgrade() {
                    p.handle_alter_partition_result(leader_epoch, result);
                }
            }),
        );
    }

    /// Applies the controller's answer to a proposed ISR change. A stale answer (the leader
    /// epoch moved on) is ignored; OPERATION_NOT_ATTEMPTED and INELIGIBLE_REPLICA mean the
    /// controller rejected it outright, so the committed state is restored; other errors
    /// leave the change pending until a LeaderAndIsr resets the state, as Kafka does.
    /// Kafka: `Partition.handleAlterPartitionUpdate` / `handleAlterPartitionError`.
    pub fn handle_alter_partition_result(
        &self,
        leader_epoch: i32,
        result: Result<CommittedIsr, i16>,
    ) {
        {
            let mut st = self.write_state();
            if st.leader_epoch != leader_epoch || !st.isr.is_inflight() {
                return;
            }
            match result {
                Ok(c) => {
                    if c.partition_epoch < st.partition_epoch {
                        return;
                    }
                    tracing::info!(partition = %self.tp, isr = ?c.isr, partition_epoch = c.partition_epoch, "ISR updated");
                    st.isr = IsrState::Committed { isr: c.isr };
                    st.partition_epoch = c.partition_epoch;
                }
                Err(code)
                    if code == ResponseError::OperationNotAttempted.code()
                        || code == INELIGIBLE_REPLICA =>
                {
                    tracing::info!(partition = %self.tp, code, "ISR change rejected; restoring the committed ISR");
                    st.isr = IsrState::Committed {
                        isr: st.isr.isr().to_vec(),
                    };
                }
                Err(code) => {
                    tracing::warn!(partition = %self.tp, code, "ISR change failed; waiting for LeaderAndIsr");
                }
            }
        }
        self.maybe_increment_leader_hw();
        self.wake_watchers();
    }

    /// Advances the HW to the smallest log end offset among the leader and every follower that
    /// is in the maximal ISR, or is caught up and eligible to join it. Returns whether it moved.
    /// Kafka: `Partition.maybeIncrementLeaderHW`.
    pub fn maybe_increment_leader_hw(&self) -> bool {
        let st = self.read_state();
        if st.leader != self.ctx.local_broker_id {
            return false;
        }
        let now = self.ctx.clock.milliseconds();
        let leo = self.log.log_end_offset();
        let maximal = st.isr.maximal_isr();
        let mut new_hw = leo;
        for r in self.replicas().values() {
            let counts = maximal.contains(&r.broker_id)
                || (r.is_caught_up(leo, now, self.ctx.replica_lag_time_max_ms)
                    && self.is_follower_in_sync(&st, r));
            if counts && r.log_end_offset < new_hw {
                new_hw = r.log_end_offset.max(-1);
            }
        }
        // A replica in the maximal ISR that never fetched (-1) holds the HW where it is.
        let old = self.log.high_watermark();
        if new_hw > old {
            self.log.update_high_watermark(new_hw);
            tracing::trace!(partition = %self.tp, old, new_hw, "high watermark advanced");
            true
        } else {
            false
        }
    }

    /// Whether an acks=all append ending before `required_offset` is committed: `Some(code)`
    /// when done (NONE, NOT_ENOUGH_REPLICAS_AFTER_APPEND if the maximal ISR fell below
    /// min.insync.replicas, NOT_LEADER_OR_FOLLOWER if leadership was lost), `None` to keep
    /// waiting. Kafka: `Partition.checkEnoughReplicasReachOffset`.
    pub fn check_enough_replicas_reach_offset(&self, required_offset: i64) -> Option<i16> {
        let st = self.read_state();
        if st.leader != self.ctx.local_broker_id {
            return Some(ResponseError::NotLeaderOrFollower.code());
        }
        if self.log.high_watermark() >= required_offset {
            let maximal = st.isr.maximal_isr().len() as i64;
            if i64::from(self.min_isr()) <= maximal {
                Some(0)
            } else {
                Some(ResponseError::NotEnoughReplicasAfterAppend.code())
            }
        } else {
            None
        }
    }
}
