//! Controlled shutdown on the controller: the stopping broker stops being "live" for elections
//! and ISR expansion, leadership of its partitions moves to other ISR members, it leaves the
//! ISRs of the partitions it follows, and the reply lists the partitions it still leads.
//!
//! Kafka: `KafkaController.doControlledShutdown` (3.9):
//! 1. not active → NOT_CONTROLLER (`ControllerMovedException`); a broker epoch older than the
//!    registered one → STALE_BROKER_EPOCH (-1 = unknown is accepted); unknown broker →
//!    BROKER_NOT_AVAILABLE;
//! 2. the broker joins `shuttingDownBrokerIds`;
//! 3. of its partitions with RF > 1, a state, and a topic not queued for deletion: those it leads
//!    → OnlinePartition with the ControlledShutdown strategy; those it follows →
//!    StopReplica(delete=false) and OfflineReplica (ISR removal, LeaderAndIsr to the leader);
//! 4. reply `partitionLeadersOnBroker` (RF > 1 partitions it still leads).

use std::collections::{BTreeMap, BTreeSet};

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::election::{
    controlled_shutdown_action, still_led_by_shutting_down_broker, ControlledShutdownAction,
};
use super::offline_replica::offline_replicas;
use super::partition_election::{
    elect_leader_for_partitions, is_topic_queued_for_deletion, ElectionStrategy,
};
use super::ControllerContext;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;
use crate::zk::ZkError;

/// Kafka `AbstractControlRequest.UNKNOWN_BROKER_EPOCH`.
const UNKNOWN_BROKER_EPOCH: i64 = -1;

/// Kafka: `doControlledShutdown`. `Ok(Err(code))` is Kafka's error answer.
pub async fn do_controlled_shutdown(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    is_active: bool,
    broker_id: i32,
    broker_epoch: i64,
) -> Result<Result<BTreeSet<TopicPartition>, i16>, ZkError> {
    if !is_active {
        return Ok(Err(ResponseError::NotController.code()));
    }
    if broker_epoch != UNKNOWN_BROKER_EPOCH {
        if let Some(&cached) = ctx.live_broker_id_and_epochs().get(&broker_id) {
            if broker_epoch < cached {
                tracing::info!(
                    "Received controlled shutdown request from an old broker epoch {broker_epoch} for broker {broker_id}. Current broker epoch is {cached}."
                );
                return Ok(Err(ResponseError::StaleBrokerEpoch.code()));
            }
        }
    }
    tracing::info!("Shutting down broker {broker_id}");
    if !ctx.live_or_shutting_down_broker_ids().contains(&broker_id) {
        return Ok(Err(ResponseError::BrokerNotAvailable.code()));
    }
    ctx.shutting_down_broker_ids.insert(broker_id);
    tracing::debug!(
        "All shutting down brokers: {:?}; live brokers: {:?}",
        ctx.shutting_down_broker_ids,
        ctx.live_broker_ids()
    );
    let mut led = Vec::new();
    let mut followed = BTreeSet::new();
    for (tp, assignment) in &ctx.partition_assignments {
        if !assignment.contains(&broker_id) {
            continue;
        }
        let current = ctx.partition_leadership.get(tp).map(|s| &s.leader_and_isr);
        match controlled_shutdown_action(
            broker_id,
            assignment,
            current,
            is_topic_queued_for_deletion(ctx, &tp.topic),
        ) {
            ControlledShutdownAction::MoveLeadership => led.push(tp.clone()),
            ControlledShutdownAction::StopFollower => {
                followed.insert(tp.clone());
            }
            ControlledShutdownAction::Untouched => {}
        }
    }
    let mut batch = BrokerRequestBatch::new();
    if !led.is_empty() {
        elect_leader_for_partitions(
            io,
            ctx,
            &led,
            ElectionStrategy::ControlledShutdown,
            &mut batch,
        )
        .await?;
    }
    // Kafka sends the leader moves (and the follower StopReplicas) before shrinking the ISRs.
    batch.send(io, ctx);
    let mut batch = BrokerRequestBatch::new();
    offline_replicas(
        io,
        ctx,
        &BTreeMap::from([(broker_id, followed)]),
        &mut batch,
    )
    .await?;
    batch.send(io, ctx);
    Ok(Ok(partition_leaders_on_broker(ctx, broker_id)))
}

/// Partitions with RF > 1 that `broker_id` still leads. Kafka: `partitionLeadersOnBroker`.
pub fn partition_leaders_on_broker(
    ctx: &ControllerContext,
    broker_id: i32,
) -> BTreeSet<TopicPartition> {
    ctx.partition_leadership
        .iter()
        .filter(|(tp, s)| {
            let assignment = ctx
                .partition_assignments
                .get(*tp)
                .map(Vec::as_slice)
                .unwrap_or(&[]);
            still_led_by_shutting_down_broker(
                broker_id,
                assignment,
                &s.leader_and_isr,
                is_topic_queued_for_deletion(ctx, &tp.topic),
            )
        })
        .map(|(tp, _)| tp.clone())
        .collect()
}
