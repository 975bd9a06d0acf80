//! Replica leader elections asked for explicitly: ElectLeaders (PREFERRED or UNCLEAN), the legacy
//! `/admin/preferred_replica_election` znode, and the periodic auto-rebalance check.
//!
//! Kafka: `KafkaController.processReplicaLeaderElection` (unknown partitions →
//! UNKNOWN_TOPIC_OR_PARTITION, topics being deleted → INVALID_TOPIC_EXCEPTION, already led by
//! the preferred replica / already has a live leader → ELECTION_NOT_NEEDED, failed elections →
//! PREFERRED_LEADER_NOT_AVAILABLE / ELIGIBLE_LEADERS_NOT_AVAILABLE), `onReplicaElection` (unclean
//! election only when the admin client asked for it; the znode is deleted after a ZK- or
//! auto-triggered election), `processAutoPreferredReplicaLeaderElection` /
//! `checkAndTriggerAutoLeaderRebalance` (the per-broker imbalance ratio of
//! [`super::election::leader_imbalance`]).

use std::collections::BTreeSet;

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::controller_event::{ElectionResults, ElectionTrigger};
use super::election::{election_needed, leader_imbalance, ElectionType, PartitionLeadership};
use super::partition_election::{
    elect_leader_for_partitions, is_topic_queued_for_deletion, ElectionStrategy,
};
use super::ControllerContext;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;
use crate::zk::controller_election::ControllerWrite;
use crate::zk::znodes::PreferredReplicaElectionZNode;
use crate::zk::ZkError;

/// Kafka: `processReplicaLeaderElection` + `onReplicaElection`. `partitions` is `None` for the
/// ZooKeeper trigger (read from the znode). Not active → NOT_CONTROLLER for every partition.
pub async fn process_replica_leader_election(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    is_active: bool,
    partitions: Option<BTreeSet<TopicPartition>>,
    election_type: ElectionType,
    trigger: ElectionTrigger,
) -> Result<ElectionResults, ZkError> {
    let mut results = ElectionResults::new();
    if !is_active {
        for tp in partitions.into_iter().flatten() {
            results.insert(tp, Err((ResponseError::NotController.code(), None)));
        }
        return Ok(results);
    }
    let partitions = match partitions {
        Some(p) => p,
        None => match io
            .zk
            .get_data(PreferredReplicaElectionZNode::PATH, true)
            .await?
        {
            Some((bytes, _)) => match PreferredReplicaElectionZNode::decode(&bytes) {
                Ok(p) => p.into_iter().collect(),
                Err(e) => {
                    tracing::error!(
                        "Ignoring unreadable {}: {e}",
                        PreferredReplicaElectionZNode::PATH
                    );
                    BTreeSet::new()
                }
            },
            // The watch is re-armed by the read; nothing to do until the znode appears.
            None => return Ok(results),
        },
    };
    let live = ctx.live_broker_ids();
    let mut electable = Vec::new();
    for tp in &partitions {
        let (Some(assignment), Some(state)) = (
            ctx.partition_assignments.get(tp),
            ctx.partition_leadership.get(tp),
        ) else {
            tracing::info!(
                "Skipping replica leader election ({election_type:?}) for partition {tp} by {trigger:?} since it doesn't exist."
            );
            results.insert(
                tp.clone(),
                Err((
                    ResponseError::UnknownTopicOrPartition.code(),
                    Some("The partition does not exist.".into()),
                )),
            );
            continue;
        };
        if is_topic_queued_for_deletion(ctx, &tp.topic) {
            results.insert(
                tp.clone(),
                Err((
                    ResponseError::InvalidTopicException.code(),
                    Some("The topic is being deleted".into()),
                )),
            );
            continue;
        }
        if election_needed(
            election_type,
            assignment,
            state.leader_and_isr.leader,
            |id| live.contains(&id),
        ) {
            electable.push(tp.clone());
        } else {
            results.insert(
                tp.clone(),
                Err((ResponseError::ElectionNotNeeded.code(), None)),
            );
        }
    }
    let outcome = on_replica_election(io, ctx, &electable, election_type, trigger).await?;
    let failure_code = match election_type {
        ElectionType::Preferred => ResponseError::PreferredLeaderNotAvailable.code(),
        ElectionType::Unclean => ResponseError::EligibleLeadersNotAvailable.code(),
    };
    for (tp, leader) in outcome.0 {
        results.insert(tp, Ok(leader));
    }
    for (tp, why) in outcome.1 {
        results.insert(tp, Err((failure_code, Some(why))));
    }
    Ok(results)
}

/// Elected partitions with their new leader, and failed ones with the reason.
type ReplicaElectionOutcome = (Vec<(TopicPartition, i32)>, Vec<(TopicPartition, String)>);

/// Kafka: `onReplicaElection` — PREFERRED uses the preferred-replica strategy; UNCLEAN uses the
/// offline strategy, allowing unclean election only when the admin client asked. The
/// `/admin/preferred_replica_election` znode is removed after a non-admin election.
async fn on_replica_election(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    partitions: &[TopicPartition],
    election_type: ElectionType,
    trigger: ElectionTrigger,
) -> Result<ReplicaElectionOutcome, ZkError> {
    tracing::info!(
        "Starting replica leader election ({election_type:?}) for partitions {} triggered by {trigger:?}",
        partitions
            .iter()
            .map(|tp| tp.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let strategy = match election_type {
        ElectionType::Preferred => ElectionStrategy::Preferred,
        ElectionType::Unclean => ElectionStrategy::Offline {
            allow_unclean: trigger == ElectionTrigger::AdminClient,
        },
    };
    let mut batch = BrokerRequestBatch::new();
    let outcome = if partitions.is_empty() {
        Default::default()
    } else {
        elect_leader_for_partitions(io, ctx, partitions, strategy, &mut batch).await?
    };
    batch.send(io, ctx);
    if trigger == ElectionTrigger::Zk {
        // Kafka: removePartitionsFromPreferredReplicaElection → deletePreferredReplicaElection,
        // fenced by the controller epoch; then the existence watch is re-armed for the next one.
        let delete = ControllerWrite::Delete {
            path: PreferredReplicaElectionZNode::PATH.to_string(),
            expected_version: None,
        };
        match io.zk.controller_write(ctx.epoch_zk_version, delete).await {
            Ok(_) => {}
            Err(e) if matches!(e.code(), Some(zookeeper_client::Error::NoNode)) => {}
            Err(e) => return Err(e),
        }
        io.zk
            .exists(PreferredReplicaElectionZNode::PATH, true)
            .await?;
    }
    Ok((
        outcome
            .elected
            .into_iter()
            .map(|(tp, l)| (tp, l.leader))
            .collect(),
        outcome.failed.into_iter().collect(),
    ))
}

/// Kafka: `checkAndTriggerAutoLeaderRebalance` — for each preferred broker whose imbalance
/// ratio exceeds `leader.imbalance.per.broker.percentage`, a PREFERRED election for its
/// partitions whose preferred replica is live and in the ISR.
pub async fn check_and_trigger_auto_leader_rebalance(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
) -> Result<(), ZkError> {
    let live = ctx.live_broker_ids();
    let to_elect: Vec<TopicPartition> = {
        let partitions = ctx
            .partition_assignments
            .iter()
            .filter(|(tp, _)| !is_topic_queued_for_deletion(ctx, &tp.topic))
            .map(|(tp, assignment)| PartitionLeadership {
                partition: tp.clone(),
                assignment: assignment.as_slice(),
                leader_and_isr: ctx.partition_leadership.get(tp).map(|s| &s.leader_and_isr),
            });
        leader_imbalance(
            partitions,
            io.config.leader_imbalance_per_broker_percentage,
            |_, id| live.contains(&id),
        )
        .into_iter()
        .inspect(|b| {
            tracing::trace!(
                "Leader imbalance ratio for broker {} is {}",
                b.broker,
                b.imbalance_ratio
            )
        })
        .flat_map(|b| b.to_elect)
        .collect()
    };
    if to_elect.is_empty() {
        return Ok(());
    }
    on_replica_election(
        io,
        ctx,
        &to_elect,
        ElectionType::Preferred,
        ElectionTrigger::Auto,
    )
    .await?;
    Ok(())
}
