//! Online/Offline → OnlinePartition: leader elections by strategy, each written to the state
//! znode conditionally on its zkVersion (the partition epoch) inside the controller-epoch fence.
//!
//! Kafka: `ZkPartitionStateMachine.electLeaderForPartitions` / `doElectLeaderForPartitions`
//! (re-read the state znodes, skip partitions a newer controller wrote, elect with the pure
//! functions of [`super::election`], write, retry on BADVERSION), `collectUncleanLeaderElectionState`
//! (the topic's effective `unclean.leader.election.enable`, read only for partitions without a
//! live ISR member) and `KafkaZkClient.updateLeaderAndIsr`.
//!
//! The controller does not keep an explicit New/Online/Offline map: a partition without a state
//! znode is New, one whose leader is not a live broker (or -1) is Offline, the rest are Online.
//! That is what Kafka's `initializePartitionState` derives on failover and what
//! `partitionsWithOfflineLeader` selects on broker failure.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::election::{
    has_live_in_sync_replica, leader_for_controlled_shutdown, leader_for_offline,
    leader_for_preferred_replica, ElectionResult,
};
use super::ControllerContext;
use crate::cluster::{LeaderAndIsr, LeaderIsrAndControllerEpoch, TopicPartition};
use crate::zk::controller_election::ControllerWrite;
use crate::zk::znodes::{ConfigEntityZNode, TopicPartitionStateZNode};
use crate::zk::{KafkaZkClient, ZkError};

/// Kafka's `PartitionLeaderElectionStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionStrategy {
    /// Broker failure, failover, broker startup (`allow_unclean=false`, but the topic's
    /// `unclean.leader.election.enable` is consulted), ElectLeaders UNCLEAN (`true`).
    Offline { allow_unclean: bool },
    /// Auto-rebalance, ElectLeaders PREFERRED, `/admin/preferred_replica_election`.
    Preferred,
    /// Leaders on a broker in controlled shutdown.
    ControlledShutdown,
}

/// Per-partition results of one round of elections.
#[derive(Debug, Default)]
pub struct ElectionOutcome {
    /// Partitions with a new leader, and the state written (with its new partition epoch).
    pub elected: BTreeMap<TopicPartition, LeaderAndIsr>,
    /// Partitions left as they were, with the reason (Kafka's `StateChangeFailedException`
    /// message).
    pub failed: BTreeMap<TopicPartition, String>,
}

/// Why the conditional write of one state znode did not happen.
#[derive(Debug)]
pub enum UpdateFailure {
    /// The znode's version moved on (someone else wrote): re-read and retry.
    BadVersion,
    /// Any other per-partition failure (znode gone ...).
    Failed(String),
}

/// Rounds of re-read + retry after BADVERSION before a partition is reported failed. Kafka
/// loops until no partition needs a retry; a bound keeps a pathological writer from pinning the
/// event loop (each round re-reads the znode, so 10 concurrent writers in a row are needed).
const MAX_ELECTION_ROUNDS: usize = 10;

/// Partitions per batch of concurrent ZooKeeper requests. The ZooKeeper client itself caps
/// requests in flight (`zookeeper.max.in.flight.requests`); this only bounds spawned tasks.
const ZK_BATCH: usize = 500;

/// Reads the state znodes of `partitions` concurrently. Kafka: `getTopicPartitionStatesRaw`.
pub async fn read_partition_states(
    zk: &Arc<KafkaZkClient>,
    partitions: &[TopicPartition],
) -> Result<Vec<(TopicPartition, Option<LeaderIsrAndControllerEpoch>)>, ZkError> {
    let mut out = Vec::with_capacity(partitions.len());
    for chunk in partitions.chunks(ZK_BATCH) {
        let mut set = JoinSet::new();
        for (i, tp) in chunk.iter().enumerate() {
            let zk = Arc::clone(zk);
            let tp = tp.clone();
            set.spawn(async move {
                let path = TopicPartitionStateZNode::path(&tp);
                let r = zk.get_data(&path, false).await;
                (i, tp, r)
            });
        }
        let mut results: Vec<Option<(TopicPartition, Option<LeaderIsrAndControllerEpoch>)>> =
            (0..chunk.len()).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            let Ok((i, tp, r)) = joined else { continue };
            let state = match r? {
                Some((bytes, stat)) => {
                    match TopicPartitionStateZNode::decode(&tp, &bytes, stat.version) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            tracing::error!("Unreadable state znode of {tp}: {e}");
                            None
                        }
                    }
                }
                None => None,
            };
            results[i] = Some((tp, state));
        }
        out.extend(results.into_iter().flatten());
    }
    Ok(out)
}

/// Writes `states` (each carrying the expected zkVersion as `partition_epoch`) concurrently,
/// fenced by the controller epoch, with `controller_epoch` = ours. Returns per partition the
/// written state with its new partition epoch, or why not. `ControllerMoved` aborts everything.
/// Kafka: `KafkaZkClient.updateLeaderAndIsr`.
pub async fn update_leader_and_isr(
    zk: &Arc<KafkaZkClient>,
    ctx: &ControllerContext,
    states: Vec<(TopicPartition, LeaderAndIsr)>,
) -> Result<Vec<(TopicPartition, Result<LeaderAndIsr, UpdateFailure>)>, ZkError> {
    let mut out = Vec::with_capacity(states.len());
    let (epoch, epoch_zk_version) = (ctx.epoch, ctx.epoch_zk_version);
    let mut iter = states.into_iter().peekable();
    while iter.peek().is_some() {
        let mut set = JoinSet::new();
        for (tp, state) in iter.by_ref().take(ZK_BATCH) {
            let zk = Arc::clone(zk);
            set.spawn(async move {
                let write = ControllerWrite::SetData {
                    path: TopicPartitionStateZNode::path(&tp),
                    data: TopicPartitionStateZNode::encode(&LeaderIsrAndControllerEpoch {
                        leader_and_isr: state.clone(),
                        controller_epoch: epoch,
                    }),
                    expected_version: Some(state.partition_epoch),
                };
                let r = zk.controller_write(epoch_zk_version, write).await;
                (tp, state, r)
            });
        }
        let mut moved = None;
        while let Some(joined) = set.join_next().await {
            let Ok((tp, state, r)) = joined else { continue };
            let result = match r {
                Ok(Some(stat)) => Ok(state.with_partition_epoch(stat.version)),
                Ok(None) => Err(UpdateFailure::Failed("the write returned no stat".into())),
                Err(ZkError::ControllerMoved(m)) => {
                    moved = Some(m);
                    continue;
                }
                Err(e) if matches!(e.code(), Some(zookeeper_client::Error::BadVersion)) => {
                    Err(UpdateFailure::BadVersion)
                }
                Err(e @ ZkError::Closed) => return Err(e),
                Err(e) => Err(UpdateFailure::Failed(e.to_string())),
            };
            out.push((tp, result));
        }
        if let Some(m) = moved {
            return Err(ZkError::ControllerMoved(m));
        }
    }
    Ok(out)
}

/// The topic's effective `unclean.leader.election.enable`: its `/config/topics/<t>` override
/// over the broker default. Kafka: `collectUncleanLeaderElectionState` (reads the topic config
/// through `KafkaZkClient.getLogConfigs`).
pub async fn unclean_leader_election_enabled(
    zk: &KafkaZkClient,
    topic: &str,
    broker_default: bool,
) -> Result<bool, ZkError> {
    let path = ConfigEntityZNode::path("topics", topic);
    let Some((bytes, _)) = zk.get_data(&path, false).await? else {
        return Ok(broker_default);
    };
    let overrides = match ConfigEntityZNode::decode(&path, &bytes) {
        Ok(kv) => kv,
        Err(e) => {
            tracing::warn!("Ignoring unreadable {path}: {e}");
            return Ok(broker_default);
        }
    };
    Ok(overrides
        .iter()
        .find(|(k, _)| k == "unclean.leader.election.enable")
        .map(|(_, v)| v.trim().eq_ignore_ascii_case("true"))
        .unwrap_or(broker_default))
}

/// Elects leaders for `partitions` with `strategy`, writes them, updates the context and queues
/// LeaderAndIsr (to the strategy's recipients) and UpdateMetadata in `batch`.
/// Kafka: `ZkPartitionStateMachine.electLeaderForPartitions` + the batch part of
/// `doHandleStateChanges`.
pub async fn elect_leader_for_partitions(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    partitions: &[TopicPartition],
    strategy: ElectionStrategy,
    batch: &mut BrokerRequestBatch,
) -> Result<ElectionOutcome, ZkError> {
    let mut outcome = ElectionOutcome::default();
    let mut remaining: Vec<TopicPartition> = partitions.to_vec();
    for round in 0..MAX_ELECTION_ROUNDS {
        if remaining.is_empty() {
            break;
        }
        let states = read_partition_states(io.zk, &remaining).await?;
        let mut planned: Vec<(TopicPartition, LeaderAndIsr)> = Vec::new();
        let mut recipients: BTreeMap<TopicPartition, Vec<i32>> = BTreeMap::new();
        for (tp, state) in states {
            let Some(state) = state else {
                outcome
                    .failed
                    .insert(tp, "its state znode does not exist".to_string());
                continue;
            };
            // Kafka: a newer controller wrote this partition; we are a zombie for it.
            if state.controller_epoch > ctx.epoch {
                outcome.failed.insert(
                    tp,
                    format!(
                        "aborted leader election: the state znode was written by controller epoch {}, newer than ours ({})",
                        state.controller_epoch, ctx.epoch
                    ),
                );
                continue;
            }
            let Some(assignment) = ctx.partition_assignments.get(&tp).cloned() else {
                outcome
                    .failed
                    .insert(tp, "it has no replica assignment".to_string());
                continue;
            };
            let current = state.leader_and_isr;
            let result = elect_one(io, ctx, &tp, &assignment, &current, strategy).await?;
            match result.leader_and_isr {
                Some(new) => {
                    if result.unclean {
                        tracing::warn!(
                            "Unclean leader election for {tp}: broker {} was not in the ISR {:?}; data loss may occur",
                            new.leader,
                            current.isr
                        );
                    }
                    recipients.insert(tp.clone(), result.recipients);
                    planned.push((tp, new));
                }
                None => {
                    outcome.failed.insert(
                        tp.clone(),
                        format!(
                            "Failed to elect leader for partition {tp} under strategy {strategy:?}: no eligible replica among {assignment:?} (ISR {:?}, live brokers {:?})",
                            current.isr,
                            ctx.live_broker_ids()
                        ),
                    );
                }
            }
        }
        let written = update_leader_and_isr(io.zk, ctx, planned).await?;
        remaining.clear();
        for (tp, result) in written {
            match result {
                Ok(new) => {
                    tracing::info!(
                        "Changed partition {tp} from OfflinePartition/OnlinePartition to OnlinePartition with state {new} (strategy {strategy:?})"
                    );
                    ctx.partition_leadership.insert(
                        tp.clone(),
                        LeaderIsrAndControllerEpoch {
                            leader_and_isr: new.clone(),
                            controller_epoch: ctx.epoch,
                        },
                    );
                    batch.add_leader_and_isr(recipients.remove(&tp).unwrap_or_default(), &tp);
                    outcome.elected.insert(tp, new);
                }
                Err(UpdateFailure::BadVersion) if round + 1 < MAX_ELECTION_ROUNDS => {
                    remaining.push(tp)
                }
                Err(UpdateFailure::BadVersion) => {
                    outcome.failed.insert(
                        tp,
                        format!("the state znode kept changing for {MAX_ELECTION_ROUNDS} rounds"),
                    );
                }
                Err(UpdateFailure::Failed(m)) => {
                    outcome.failed.insert(tp, m);
                }
            }
        }
    }
    for (tp, why) in &outcome.failed {
        tracing::error!(
            "Controller failed to change state for partition {tp} to OnlinePartition: {why}"
        );
    }
    Ok(outcome)
}

/// One partition's election by strategy (pure except for the unclean config read).
async fn elect_one(
    io: &ControllerIo<'_>,
    ctx: &ControllerContext,
    tp: &TopicPartition,
    assignment: &[i32],
    current: &LeaderAndIsr,
    strategy: ElectionStrategy,
) -> Result<ElectionResult, ZkError> {
    let live = ctx.live_broker_ids();
    // Kafka: `isReplicaOnline` — a live broker whose replica is not in a failed log dir.
    let is_online = |id: i32| live.contains(&id) && !ctx.is_replica_on_offline_dir(id, tp);
    Ok(match strategy {
        ElectionStrategy::Offline { allow_unclean } => {
            // Kafka reads the topic config only when no ISR member is live.
            let unclean = if allow_unclean {
                true
            } else if has_live_in_sync_replica(&current.isr, is_online) {
                false
            } else {
                unclean_leader_election_enabled(
                    io.zk,
                    &tp.topic,
                    io.config.unclean_leader_election_enable,
                )
                .await?
            };
            leader_for_offline(assignment, current, is_online, unclean)
        }
        ElectionStrategy::Preferred => leader_for_preferred_replica(assignment, current, is_online),
        ElectionStrategy::ControlledShutdown => {
            let all = ctx.live_or_shutting_down_broker_ids();
            leader_for_controlled_shutdown(
                assignment,
                current,
                |id| all.contains(&id) && !ctx.is_replica_on_offline_dir(id, tp),
                |id| ctx.shutting_down_broker_ids.contains(&id),
            )
        }
    })
}

/// Partitions that have a state but whose leader is not a live broker (or is -1, or its replica
/// is in a failed log dir): Kafka's
/// `OfflinePartition`s (`partitionsWithOfflineLeader`), excluding topics queued for deletion.
pub fn partitions_with_offline_leader(ctx: &ControllerContext) -> Vec<TopicPartition> {
    let live = ctx.live_broker_ids();
    ctx.partition_leadership
        .iter()
        .filter(|(tp, s)| {
            let leader = s.leader_and_isr.leader;
            (!live.contains(&leader) || ctx.is_replica_on_offline_dir(leader, tp))
                && !is_topic_queued_for_deletion(ctx, &tp.topic)
        })
        .map(|(tp, _)| tp.clone())
        .collect()
}

/// Whether `topic` is queued for deletion (`/admin/delete_topics/<t>`). Kafka:
/// `TopicDeletionManager.isTopicQueuedUpForDeletion`. The deletion manager
/// (`controller/topic_deletion.rs`) keeps `ControllerContext::topics_to_be_deleted` current.
pub fn is_topic_queued_for_deletion(ctx: &ControllerContext, topic: &str) -> bool {
    ctx.topics_to_be_deleted.contains(topic)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zk::znodes::BrokerInfo;

    fn ctx_with_leaders(leaders: &[(i32, i32)]) -> ControllerContext {
        let mut ctx = ControllerContext::default();
        ctx.set_live_brokers(
            [1, 2, 3]
                .into_iter()
                .map(|id| (id, (BrokerInfo::new(id, vec![], None, -1, 0), 10)))
                .collect(),
        );
        for &(p, leader) in leaders {
            ctx.partition_leadership.insert(
                TopicPartition::new("t", p),
                LeaderIsrAndControllerEpoch {
                    leader_and_isr: LeaderAndIsr::new(leader, vec![leader.max(1)]),
                    controller_epoch: 1,
                },
            );
        }
        ctx
    }

    /// Kafka `ControllerContext.partitionsWithOfflineLeader`: a partition is Offline when its
    /// leader is -1, a dead broker, or a broker in controlled shutdown (not "live").
    #[test]
    fn offline_partitions_are_those_without_a_live_leader() {
        let mut ctx = ctx_with_leaders(&[(0, 1), (1, -1), (2, 4), (3, 3)]);
        ctx.shutting_down_broker_ids.insert(3);
        let offline: Vec<i32> = partitions_with_offline_leader(&ctx)
            .into_iter()
            .map(|tp| tp.partition)
            .collect();
        assert_eq!(offline, vec![1, 2, 3]);
    }
}
