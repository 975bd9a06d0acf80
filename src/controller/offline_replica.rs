//! Replicas → OfflineReplica: StopReplica(delete=false) to the replica's broker, the replica
//! removed from each partition's ISR in ZooKeeper (leader → -1 if it led; the last ISR member is
//! never removed; the leader epoch is bumped), and LeaderAndIsr to the other assigned replicas.
//!
//! Kafka: `ZkReplicaStateMachine.doHandleStateChanges` (the `OfflineReplica` branch),
//! `removeReplicasFromIsr` / `doRemoveReplicasFromIsr`. The ISR arithmetic is the pure
//! [`super::election::remove_replica_from_isr`].

use std::collections::{BTreeMap, BTreeSet};

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::election::{isr_removal_recipients, remove_replica_from_isr};
use super::partition_election::{
    is_topic_queued_for_deletion, read_partition_states, update_leader_and_isr, UpdateFailure,
};
use super::ControllerContext;
use crate::cluster::{LeaderAndIsr, LeaderIsrAndControllerEpoch, TopicPartition};
use crate::zk::ZkError;

/// Rounds of re-read + retry after BADVERSION (see `partition_election::MAX_ELECTION_ROUNDS`).
const MAX_ISR_REMOVAL_ROUNDS: usize = 10;

/// Moves the replicas `replicas` (broker → partitions) to OfflineReplica, queueing the
/// requests in `batch`. Kafka: `replicaStateMachine.handleStateChanges(replicas, OfflineReplica)`.
pub async fn offline_replicas(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    replicas: &BTreeMap<i32, BTreeSet<TopicPartition>>,
    batch: &mut BrokerRequestBatch,
) -> Result<(), ZkError> {
    for (&replica_id, partitions) in replicas {
        // StopReplica reaches only a live broker (a dead one has no channel): this matters for
        // controlled shutdown, where the broker stops fetching the partitions it follows.
        for tp in partitions {
            batch.add_stop_replica(replica_id, tp);
        }
        let (with_state, without_state): (Vec<TopicPartition>, Vec<TopicPartition>) = partitions
            .iter()
            .cloned()
            .partition(|tp| ctx.partition_leadership.contains_key(tp));
        let updated = remove_replicas_from_isr(io, ctx, replica_id, &with_state).await?;
        for (tp, state) in updated {
            tracing::info!(
                "Partition {tp} state changed to {state} after removing replica {replica_id} from the ISR as part of transition to OfflineReplica"
            );
            if !is_topic_queued_for_deletion(ctx, &tp.topic) {
                let assignment = ctx
                    .partition_assignments
                    .get(&tp)
                    .cloned()
                    .unwrap_or_default();
                batch.add_leader_and_isr(isr_removal_recipients(&assignment, replica_id), &tp);
            }
        }
        batch.add_update_metadata(without_state);
    }
    Ok(())
}

/// Removes `replica_id` from the ISR of `partitions` in ZooKeeper (fenced, conditional on each
/// state znode's version) and in the context. Returns every partition's resulting state,
/// including partitions whose ISR did not contain the replica (their state is resent as is).
/// Kafka: `removeReplicasFromIsr`.
pub async fn remove_replicas_from_isr(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    replica_id: i32,
    partitions: &[TopicPartition],
) -> Result<BTreeMap<TopicPartition, LeaderIsrAndControllerEpoch>, ZkError> {
    let mut done = BTreeMap::new();
    let mut remaining = partitions.to_vec();
    for _ in 0..MAX_ISR_REMOVAL_ROUNDS {
        if remaining.is_empty() {
            break;
        }
        let states = read_partition_states(io.zk, &remaining).await?;
        let mut planned: Vec<(TopicPartition, LeaderAndIsr)> = Vec::new();
        for (tp, state) in states {
            let Some(state) = state else {
                if !is_topic_queued_for_deletion(ctx, &tp.topic) {
                    tracing::error!(
                        "Failed to remove replica {replica_id} from the ISR of {tp}: its state znode does not exist"
                    );
                }
                continue;
            };
            if state.controller_epoch > ctx.epoch {
                tracing::error!(
                    "Aborted removing replica {replica_id} from the ISR of {tp}: its state was written by controller epoch {}, newer than ours ({})",
                    state.controller_epoch,
                    ctx.epoch
                );
                continue;
            }
            match remove_replica_from_isr(replica_id, &state.leader_and_isr) {
                Some(new) => planned.push((tp, new)),
                None => {
                    // Kafka caches it with our controller epoch and resends it.
                    let s = LeaderIsrAndControllerEpoch {
                        leader_and_isr: state.leader_and_isr,
                        controller_epoch: ctx.epoch,
                    };
                    ctx.partition_leadership.insert(tp.clone(), s.clone());
                    done.insert(tp, s);
                }
            }
        }
        remaining.clear();
        for (tp, result) in update_leader_and_isr(io.zk, ctx, planned).await? {
            match result {
                Ok(new) => {
                    let s = LeaderIsrAndControllerEpoch {
                        leader_and_isr: new,
                        controller_epoch: ctx.epoch,
                    };
                    ctx.partition_leadership.insert(tp.clone(), s.clone());
                    done.insert(tp, s);
                }
                Err(UpdateFailure::BadVersion) => remaining.push(tp),
                Err(UpdateFailure::Failed(m)) => tracing::error!(
                    "Failed to remove replica {replica_id} from the ISR of {tp}: {m}"
                ),
            }
        }
    }
    for tp in remaining {
        tracing::error!(
            "Failed to remove replica {replica_id} from the ISR of {tp}: the state znode kept changing"
        );
    }
    Ok(done)
}

/// Partitions assigned to each of `brokers` (Kafka: `replicasOnBrokers`), skipping topics
/// queued for deletion.
pub fn replicas_on_brokers(
    ctx: &ControllerContext,
    brokers: &BTreeSet<i32>,
) -> BTreeMap<i32, BTreeSet<TopicPartition>> {
    let mut out: BTreeMap<i32, BTreeSet<TopicPartition>> = BTreeMap::new();
    for (tp, replicas) in &ctx.partition_assignments {
        if is_topic_queued_for_deletion(ctx, &tp.topic) {
            continue;
        }
        for r in replicas {
            if brokers.contains(r) {
                out.entry(*r).or_default().insert(tp.clone());
            }
        }
    }
    out
}
