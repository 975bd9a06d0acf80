//! AlterPartition on the controller: a partition leader's proposed ISR is validated against the
//! controller's view, written to the state znode conditionally on its zkVersion (the partition
//! epoch) inside the controller-epoch fence, cached, answered with the new partition epoch, and
//! announced with UpdateMetadata.
//!
//! Kafka: `KafkaController.processAlterPartition` / `tryProcessAlterPartition` (3.9). Checks, in
//! Kafka's order, per partition:
//!
//! | condition | answer |
//! |---|---|
//! | no state for the partition | UNKNOWN_TOPIC_OR_PARTITION |
//! | request's partition or leader epoch newer than ours | NOT_CONTROLLER (we are probably stale) |
//! | request's leader epoch older | FENCED_LEADER_EPOCH |
//! | already in the requested state (stale partition epoch allowed) | the current state |
//! | request's partition epoch older | INVALID_UPDATE_VERSION |
//! | RECOVERING with more than one ISR member, or RECOVERED → RECOVERING | INVALID_REQUEST |
//! | a new-ISR member that is not a live, not-shutting-down broker (KIP-841) | INELIGIBLE_REPLICA (v2+), else OPERATION_NOT_ATTEMPTED |
//! | the conditional write hits BADVERSION | INVALID_UPDATE_VERSION |
//!
//! Before the partitions, the request's broker must be live with exactly the broker epoch the
//! controller knows (STALE_BROKER_EPOCH otherwise), and only the active controller answers
//! (NOT_CONTROLLER). Leader-driven ISR changes keep the leader epoch (only the partition epoch
//! moves), unlike controller-driven ones.

use std::collections::BTreeMap;

use kafka_protocol::messages::alter_partition_response::{PartitionData, TopicData};
use kafka_protocol::messages::{
    AlterPartitionRequest, AlterPartitionResponse, BrokerId, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::partition_election::{update_leader_and_isr, UpdateFailure};
use super::partition_state_machine::topic_uuid;
use super::ControllerContext;
use crate::cluster::{
    LeaderAndIsr, LeaderIsrAndControllerEpoch, LeaderRecoveryState, TopicPartition,
};
use crate::protocol::errors::ResponseError;
use crate::zk::ZkError;

/// Kafka `Errors.INELIGIBLE_REPLICA` (107, KIP-841); `kafka-protocol` 0.15.1 has no name for it.
pub const INELIGIBLE_REPLICA: i16 = 107;

/// The answer to a request the controller could not process: one top-level error.
pub fn error_response(code: i16) -> AlterPartitionResponse {
    AlterPartitionResponse::default().with_error_code(code)
}

/// Validates one proposal against the current state. `Ok(None)`: nothing to write, answer with
/// the current state; `Ok(Some(new))`: write `new`; `Err(code)`: answer with the error.
/// `is_eligible` says whether a broker may be in an ISR (live and not shutting down).
/// Kafka: the per-partition checks of `tryProcessAlterPartition`.
pub fn validate_proposal(
    proposed: &LeaderAndIsr,
    current: &LeaderAndIsr,
    version: i16,
    is_eligible: impl Fn(i32) -> bool,
) -> Result<Option<LeaderAndIsr>, i16> {
    if proposed.partition_epoch > current.partition_epoch
        || proposed.leader_epoch > current.leader_epoch
    {
        // The leader knows a newer state than ours: we are likely no longer the controller.
        return Err(ResponseError::NotController.code());
    }
    if proposed.leader_epoch < current.leader_epoch {
        return Err(ResponseError::FencedLeaderEpoch.code());
    }
    // Checked before the partition epoch so a retried, already-applied request succeeds.
    if proposed.equals_allow_stale_partition_epoch(current) {
        return Ok(None);
    }
    if proposed.partition_epoch < current.partition_epoch {
        return Err(ResponseError::InvalidUpdateVersion.code());
    }
    if proposed.leader_recovery_state == LeaderRecoveryState::Recovering && proposed.isr.len() > 1 {
        return Err(ResponseError::InvalidRequest.code());
    }
    if current.leader_recovery_state == LeaderRecoveryState::Recovered
        && proposed.leader_recovery_state == LeaderRecoveryState::Recovering
    {
        return Err(ResponseError::InvalidRequest.code());
    }
    if proposed.isr.iter().any(|&id| !is_eligible(id)) {
        return Err(if version > 1 {
            INELIGIBLE_REPLICA
        } else {
            ResponseError::OperationNotAttempted.code()
        });
    }
    Ok(Some(proposed.clone()))
}

/// Kafka: `tryProcessAlterPartition`. Writes, caches and queues UpdateMetadata; returns the
/// response. `ControllerMoved` is returned as an error (the caller answers NOT_CONTROLLER and
/// resigns).
pub async fn process_alter_partition(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    is_active: bool,
    request: &AlterPartitionRequest,
    version: i16,
) -> Result<AlterPartitionResponse, ZkError> {
    if !is_active {
        return Ok(error_response(ResponseError::NotController.code()));
    }
    let broker_id = request.broker_id.0;
    match ctx.live_broker_id_and_epochs().get(&broker_id) {
        None => {
            tracing::info!("Ignoring AlterPartition due to unknown broker {broker_id}");
            return Ok(error_response(ResponseError::StaleBrokerEpoch.code()));
        }
        Some(&epoch) if epoch != request.broker_epoch => {
            tracing::info!(
                "Ignoring AlterPartition due to stale broker epoch {} and local broker epoch {epoch} for broker {broker_id}",
                request.broker_epoch
            );
            return Ok(error_response(ResponseError::StaleBrokerEpoch.code()));
        }
        Some(_) => {}
    }
    let use_topic_ids = version > 1;
    let names_by_id: BTreeMap<Uuid, String> = ctx
        .topic_ids
        .iter()
        .map(|(name, id)| (topic_uuid(Some(id)), name.clone()))
        .collect();
    let mut response = AlterPartitionResponse::default();
    let mut proposals: Vec<(TopicPartition, LeaderAndIsr)> = Vec::new();
    for topic in &request.topics {
        let name = if use_topic_ids {
            names_by_id.get(&topic.topic_id).cloned()
        } else {
            Some(topic.topic_name.0.to_string())
        };
        let Some(name) = name else {
            response.topics.push(
                TopicData::default()
                    .with_topic_id(topic.topic_id)
                    .with_partitions(
                        topic
                            .partitions
                            .iter()
                            .map(|p| {
                                PartitionData::default()
                                    .with_partition_index(p.partition_index)
                                    .with_error_code(ResponseError::UnknownTopicId.code())
                            })
                            .collect(),
                    ),
            );
            continue;
        };
        for p in &topic.partitions {
            let isr: Vec<i32> = if version >= 3 {
                p.new_isr_with_epochs
                    .iter()
                    .map(|b| b.broker_id.0)
                    .collect()
            } else {
                p.new_isr.iter().map(|b| b.0).collect()
            };
            proposals.push((
                TopicPartition::new(name.clone(), p.partition_index),
                LeaderAndIsr {
                    leader: broker_id,
                    leader_epoch: p.leader_epoch,
                    isr,
                    leader_recovery_state: LeaderRecoveryState::of(p.leader_recovery_state)
                        .unwrap_or_default(),
                    partition_epoch: p.partition_epoch,
                },
            ));
        }
    }
    let mut results: BTreeMap<TopicPartition, Result<LeaderAndIsr, i16>> = BTreeMap::new();
    let mut to_write: Vec<(TopicPartition, LeaderAndIsr)> = Vec::new();
    let eligible = ctx.live_broker_ids();
    for (tp, proposed) in &proposals {
        let Some(current) = ctx.partition_leadership.get(tp) else {
            results.insert(
                tp.clone(),
                Err(ResponseError::UnknownTopicOrPartition.code()),
            );
            continue;
        };
        let current = &current.leader_and_isr;
        match validate_proposal(proposed, current, version, |id| eligible.contains(&id)) {
            Ok(None) => {
                results.insert(tp.clone(), Ok(current.clone()));
            }
            Ok(Some(new)) => to_write.push((tp.clone(), new)),
            Err(code) => {
                if code == INELIGIBLE_REPLICA || code == ResponseError::OperationNotAttempted.code()
                {
                    tracing::info!(
                        "Rejecting AlterPartition request from node {broker_id} for {tp} because it specified ineligible replicas in the new ISR {:?}",
                        proposed.isr
                    );
                }
                results.insert(tp.clone(), Err(code));
            }
        }
    }
    for (tp, written) in update_leader_and_isr(io.zk, ctx, to_write).await? {
        match written {
            Ok(new) => {
                tracing::debug!(
                    "ISR for partition {tp} updated to {:?} and zkVersion updated to version {}",
                    new.isr,
                    new.partition_epoch
                );
                ctx.partition_leadership.insert(
                    tp.clone(),
                    LeaderIsrAndControllerEpoch {
                        leader_and_isr: new.clone(),
                        controller_epoch: ctx.epoch,
                    },
                );
                results.insert(tp, Ok(new));
            }
            Err(UpdateFailure::BadVersion) => {
                tracing::info!("Failed to update ISR for partition {tp}, bad ZK version.");
                results.insert(tp, Err(ResponseError::InvalidUpdateVersion.code()));
            }
            Err(UpdateFailure::Failed(m)) => {
                tracing::error!("Failed to update ISR for partition {tp}: {m}");
                results.insert(tp, Err(ResponseError::UnknownServerError.code()));
            }
        }
    }
    // Kafka: UpdateMetadata for every partition of the request, to every live broker.
    let mut batch = BrokerRequestBatch::new();
    batch.add_update_metadata(proposals.iter().map(|(tp, _)| tp.clone()));
    batch.send(io, ctx);

    let mut by_topic: BTreeMap<String, Vec<PartitionData>> = BTreeMap::new();
    for (tp, r) in results {
        let pd = PartitionData::default().with_partition_index(tp.partition);
        let pd = match r {
            Err(code) => pd.with_error_code(code),
            Ok(l) => pd
                .with_leader_id(BrokerId(l.leader))
                .with_leader_epoch(l.leader_epoch)
                .with_isr(l.isr.iter().map(|&b| BrokerId(b)).collect())
                .with_leader_recovery_state(l.leader_recovery_state.value())
                .with_partition_epoch(l.partition_epoch),
        };
        by_topic.entry(tp.topic).or_default().push(pd);
    }
    for (topic, partitions) in by_topic {
        let mut t = TopicData::default().with_partitions(partitions);
        if use_topic_ids {
            t.topic_id = topic_uuid(ctx.topic_ids.get(&topic));
        } else {
            t.topic_name = TopicName(StrBytes::from_string(topic));
        }
        response.topics.push(t);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(leader_epoch: i32, isr: &[i32], partition_epoch: i32) -> LeaderAndIsr {
        LeaderAndIsr {
            leader: 1,
            leader_epoch,
            isr: isr.to_vec(),
            leader_recovery_state: LeaderRecoveryState::Recovered,
            partition_epoch,
        }
    }

    /// Kafka `tryProcessAlterPartition`'s checks, in order: newer epochs → NOT_CONTROLLER,
    /// older leader epoch → FENCED_LEADER_EPOCH, identical state → success without a write,
    /// older partition epoch → INVALID_UPDATE_VERSION, recovery-state rules → INVALID_REQUEST,
    /// a non-live or shutting-down ISR member → INELIGIBLE_REPLICA (v2+) or
    /// OPERATION_NOT_ATTEMPTED (v0–1).
    #[test]
    fn proposal_checks_in_kafka_order() {
        let current = state(5, &[1, 2, 3], 10);
        let all = |_: i32| true;
        let v = 3;
        assert_eq!(
            validate_proposal(&state(6, &[1, 2], 10), &current, v, all),
            Err(ResponseError::NotController.code())
        );
        assert_eq!(
            validate_proposal(&state(5, &[1, 2], 11), &current, v, all),
            Err(ResponseError::NotController.code())
        );
        assert_eq!(
            validate_proposal(&state(4, &[1, 2], 10), &current, v, all),
            Err(ResponseError::FencedLeaderEpoch.code())
        );
        // A retry of an applied change (older partition epoch, same content) succeeds.
        assert_eq!(
            validate_proposal(&state(5, &[1, 2, 3], 9), &current, v, all),
            Ok(None)
        );
        assert_eq!(
            validate_proposal(&state(5, &[1, 2], 9), &current, v, all),
            Err(ResponseError::InvalidUpdateVersion.code())
        );
        let mut recovering = state(5, &[1, 2], 10);
        recovering.leader_recovery_state = LeaderRecoveryState::Recovering;
        assert_eq!(
            validate_proposal(&recovering, &current, v, all),
            Err(ResponseError::InvalidRequest.code())
        );
        recovering.isr = vec![1];
        assert_eq!(
            validate_proposal(&recovering, &current, v, all),
            Err(ResponseError::InvalidRequest.code())
        );
        let not_3 = |id: i32| id != 3;
        assert_eq!(
            validate_proposal(&state(5, &[1, 3], 10), &state(5, &[1], 10), v, not_3),
            Err(INELIGIBLE_REPLICA)
        );
        assert_eq!(
            validate_proposal(&state(5, &[1, 3], 10), &state(5, &[1], 10), 1, not_3),
            Err(ResponseError::OperationNotAttempted.code())
        );
        let shrink = state(5, &[1, 2], 10);
        assert_eq!(
            validate_proposal(&shrink, &current, v, all),
            Ok(Some(shrink.clone()))
        );
    }

    /// A RECOVERING leader (after an unclean election) reports RECOVERED with a one-member ISR:
    /// accepted (Kafka KIP-704).
    #[test]
    fn recovering_to_recovered_is_accepted() {
        let mut current = state(5, &[1], 10);
        current.leader_recovery_state = LeaderRecoveryState::Recovering;
        let proposed = state(5, &[1], 10);
        assert_eq!(
            validate_proposal(&proposed, &current, 3, |_| true),
            Ok(Some(proposed.clone()))
        );
    }
}
