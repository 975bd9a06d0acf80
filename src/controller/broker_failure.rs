//! Broker failure and return: leaders re-elected for the partitions a dead broker led, its
//! replicas taken out of ISRs, and Offline partitions brought back when a broker returns.
//!
//! Kafka: `KafkaController.onBrokerFailure` → `onReplicasBecomeOffline`
//! (partitions with an offline leader → OfflinePartition → OnlinePartition with the
//! OfflinePartitionLeaderElectionStrategy; the dead broker's replicas → OfflineReplica;
//! UpdateMetadata to the survivors when nothing else sent one), `onBrokerStartup`
//! (`triggerOnlinePartitionStateChange`), and the failover half of
//! `ZkReplicaStateMachine.startup` / `ZkPartitionStateMachine.startup`.

use std::collections::BTreeSet;

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::offline_replica::{offline_replicas, replicas_on_brokers};
use super::partition_election::{
    elect_leader_for_partitions, partitions_with_offline_leader, ElectionOutcome, ElectionStrategy,
};
use super::ControllerContext;
use crate::zk::ZkError;

/// Kafka: `onBrokerFailure` after the brokers left the live set (`dead` are no longer in
/// `ctx`'s live brokers). Sends its own requests.
pub async fn on_broker_failure(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    dead: &BTreeSet<i32>,
) -> Result<(), ZkError> {
    let were_shutting_down: Vec<i32> = dead
        .iter()
        .copied()
        .filter(|id| ctx.shutting_down_broker_ids.remove(id))
        .collect();
    if !were_shutting_down.is_empty() {
        tracing::info!("Removed {were_shutting_down:?} from list of shutting down brokers.");
    }
    let replicas = replicas_on_brokers(ctx, dead);
    on_replicas_become_offline(io, ctx, &replicas).await
}

/// Kafka: `onReplicasBecomeOffline` (dead brokers' replicas, and replicas whose log dir failed).
pub async fn on_replicas_become_offline(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    replicas: &std::collections::BTreeMap<i32, BTreeSet<crate::cluster::TopicPartition>>,
) -> Result<(), ZkError> {
    // OfflinePartition is only a mark; the election below is triggerOnlinePartitionStateChange.
    // Its requests leave before the ISR removals start: the new leaders must not wait for the
    // controller to rewrite the state znode of every partition the dead broker only followed
    // (Kafka: `handleStateChanges` sends its own batch, then `replicaStateMachine` its own).
    let mut elections = BrokerRequestBatch::new();
    let outcome = trigger_online_partition_state_change(io, ctx, &mut elections).await?;
    elections.send(io, ctx);
    let mut removals = BrokerRequestBatch::new();
    offline_replicas(io, ctx, replicas, &mut removals).await?;
    // Kafka: with no replica going offline and no successful election, nothing above sent an
    // UpdateMetadata, so one goes out explicitly to announce the new broker list.
    if replicas.is_empty() && outcome.elected.is_empty() {
        removals.add_update_metadata(Vec::new());
    }
    removals.send(io, ctx);
    Ok(())
}

/// Elects leaders for every Offline partition (state present, leader not live), with the
/// OfflinePartitionLeaderElectionStrategy(allowUnclean=false) — the topic's
/// `unclean.leader.election.enable` still applies to partitions without a live ISR member.
/// New partitions (no state znode) are created by `partition_state_machine::initialize_new_partitions`.
/// Kafka: `PartitionStateMachine.triggerOnlinePartitionStateChange`.
pub async fn trigger_online_partition_state_change(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    batch: &mut BrokerRequestBatch,
) -> Result<ElectionOutcome, ZkError> {
    let offline = partitions_with_offline_leader(ctx);
    if offline.is_empty() {
        return Ok(ElectionOutcome::default());
    }
    tracing::info!(
        "Electing leaders for {} offline partition(s): {}",
        offline.len(),
        offline
            .iter()
            .map(|tp| tp.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    elect_leader_for_partitions(
        io,
        ctx,
        &offline,
        ElectionStrategy::Offline {
            allow_unclean: false,
        },
        batch,
    )
    .await
}

/// The failover steps after every live replica got LeaderAndIsr: replicas on brokers that are
/// not registered → OfflineReplica (their ISR entries removed), then Offline partitions
/// elected. Kafka: `ZkReplicaStateMachine.startup` (offline replicas) followed by
/// `ZkPartitionStateMachine.startup` (`triggerOnlinePartitionStateChange`).
pub async fn on_failover(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
) -> Result<(), ZkError> {
    let live = ctx.live_or_shutting_down_broker_ids();
    let dead: BTreeSet<i32> = ctx
        .partition_assignments
        .values()
        .flatten()
        .copied()
        .filter(|id| !live.contains(id))
        .collect();
    let mut batch = BrokerRequestBatch::new();
    let replicas = replicas_on_brokers(ctx, &dead);
    offline_replicas(io, ctx, &replicas, &mut batch).await?;
    trigger_online_partition_state_change(io, ctx, &mut batch).await?;
    batch.send(io, ctx);
    Ok(())
}

/// The election half of `onBrokerStartup`: Offline partitions that the returning brokers can now
/// lead get a leader. Kafka: `onBrokerStartup` → `triggerOnlinePartitionStateChange`.
pub async fn on_broker_startup(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
) -> Result<(), ZkError> {
    let mut batch = BrokerRequestBatch::new();
    trigger_online_partition_state_change(io, ctx, &mut batch).await?;
    batch.send(io, ctx);
    Ok(())
}
