//! The controller's reaction to a failed log directory on a broker.
//!
//! A broker whose log dir fails keeps running and writes
//! `/log_dir_event_notification/log_dir_event_<seq>` (see `replica::log_dir_failure`). The
//! controller, child-watching that path, sends LeaderAndIsr for every replica on the brokers
//! named there; the broker answers KAFKA_STORAGE_ERROR for the partitions of its failed dir; the
//! controller records those replicas as offline and takes them offline like a dead broker's:
//! elections for the partitions they led, removal from ISRs, UpdateMetadata listing them as
//! offline replicas. The notifications are deleted with writes fenced on the controller epoch.
//!
//! Kafka: `KafkaController.processLogDirEventNotification`, `onBrokerLogDirFailure`,
//! `processLeaderAndIsrResponseReceived`, `LogDirEventNotificationHandler`;
//! `KafkaZkClient.getAllLogDirEventNotifications`, `getBrokerIdsFromLogDirEvents`,
//! `deleteLogDirEventNotifications`.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::LeaderAndIsrResponse;

use super::broker_failure::on_replicas_become_offline;
use super::broker_request_batch::{BrokerRequestBatch, ControllerIo};
use super::controller_event::ControllerEvent;
use super::event_manager::ControllerEventSender;
use super::offline_replica::replicas_on_brokers;
use super::partition_election::is_topic_queued_for_deletion;
use super::partition_state_machine::topic_uuid;
use super::ControllerContext;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;
use crate::zk::client::ZNodeChildChangeHandler;
use crate::zk::controller_election::ControllerWrite;
use crate::zk::znodes::{LogDirEventNotificationSequenceZNode, LogDirEventNotificationZNode};
use crate::zk::{KafkaZkClient, ZkError};

/// Kafka: `LogDirEventNotificationHandler` — the active controller's child watch on
/// `/log_dir_event_notification`.
pub struct LogDirEventNotificationHandler(pub ControllerEventSender);

impl ZNodeChildChangeHandler for LogDirEventNotificationHandler {
    fn path(&self) -> String {
        LogDirEventNotificationZNode::PATH.to_string()
    }
    fn handle_child_change(&self) {
        self.0.put(ControllerEvent::LogDirEventNotification);
    }
}

/// Sequence numbers of the pending notifications, re-arming the child watch. Kafka:
/// `KafkaZkClient.getAllLogDirEventNotifications`.
pub async fn get_all_log_dir_event_notifications(
    zk: &KafkaZkClient,
) -> Result<Vec<String>, ZkError> {
    let children = zk
        .get_children(LogDirEventNotificationZNode::PATH, true)
        .await?
        .unwrap_or_default();
    Ok(children
        .iter()
        .map(|c| LogDirEventNotificationSequenceZNode::sequence_number(c).to_string())
        .collect())
}

/// The broker ids named by the notifications `sequence_numbers`. A notification deleted
/// meanwhile is skipped; one that does not decode is logged and skipped (Kafka's decode yields
/// no broker id for it). Kafka: `KafkaZkClient.getBrokerIdsFromLogDirEvents`.
pub async fn get_broker_ids_from_log_dir_events(
    zk: &KafkaZkClient,
    sequence_numbers: &[String],
) -> Result<BTreeSet<i32>, ZkError> {
    let mut ids = BTreeSet::new();
    for seq in sequence_numbers {
        let path = LogDirEventNotificationSequenceZNode::path(seq);
        let Some((data, _)) = zk.get_data(&path, false).await? else {
            continue;
        };
        match LogDirEventNotificationSequenceZNode::decode(&path, &data) {
            Ok(id) => {
                ids.insert(id);
            }
            Err(e) => tracing::error!("Ignoring log dir event notification {path}: {e}"),
        }
    }
    Ok(ids)
}

/// Deletes the notifications `sequence_numbers`, each delete fenced on `/controller_epoch`'s
/// zkVersion (a deposed controller fails with `ControllerMoved`); an already deleted one is
/// fine. Kafka: `KafkaZkClient.deleteLogDirEventNotifications(sequenceNumbers, epochZkVersion)`.
pub async fn delete_log_dir_event_notifications(
    zk: &KafkaZkClient,
    sequence_numbers: &[String],
    epoch_zk_version: i32,
) -> Result<(), ZkError> {
    for seq in sequence_numbers {
        let path = LogDirEventNotificationSequenceZNode::path(seq);
        let delete = ControllerWrite::Delete {
            path: path.clone(),
            expected_version: None,
        };
        match zk.controller_write(epoch_zk_version, delete).await {
            Ok(_) => {}
            Err(e) if matches!(e.code(), Some(zookeeper_client::Error::NoNode)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Failover: arm the watch and delete every pending notification without acting on it. Kafka
/// does the same (`onControllerFailover` → `deleteLogDirEventNotifications(epochZkVersion)`):
/// failover then sends LeaderAndIsr for every replica to its live broker, and the
/// KAFKA_STORAGE_ERROR answers mark the replicas of failed dirs offline — the notifications'
/// whole effect.
pub async fn on_controller_failover(
    zk: &KafkaZkClient,
    epoch_zk_version: i32,
) -> Result<(), ZkError> {
    let pending = get_all_log_dir_event_notifications(zk).await?;
    if !pending.is_empty() {
        tracing::info!(
            "Deleting {} log dir event notification(s) at failover",
            pending.len()
        );
    }
    delete_log_dir_event_notifications(zk, &pending, epoch_zk_version).await
}

/// Kafka: `processLogDirEventNotification` — read the pending notifications, react, and delete
/// them whatever the reaction did (Kafka's `finally`). The caller checks that this controller
/// is active.
pub async fn process_log_dir_event_notification(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
) -> Result<(), ZkError> {
    let sequence_numbers = get_all_log_dir_event_notifications(io.zk).await?;
    if sequence_numbers.is_empty() {
        return Ok(());
    }
    let reacted = match get_broker_ids_from_log_dir_events(io.zk, &sequence_numbers).await {
        Ok(ids) => {
            on_broker_log_dir_failure(io, ctx, &ids);
            Ok(())
        }
        Err(e) => Err(e),
    };
    let deleted =
        delete_log_dir_event_notifications(io.zk, &sequence_numbers, ctx.epoch_zk_version).await;
    reacted.and(deleted)
}

/// Kafka: `onBrokerLogDirFailure` — every replica on `broker_ids` → OnlineReplica, i.e.
/// LeaderAndIsr with the partition's current state to that broker (and the partitions in
/// UpdateMetadata), so that the broker reports which of them sit in a failed dir.
pub fn on_broker_log_dir_failure(
    io: &ControllerIo<'_>,
    ctx: &ControllerContext,
    broker_ids: &BTreeSet<i32>,
) {
    tracing::info!(
        "Handling log directory failure for brokers {}",
        comma_separated(broker_ids)
    );
    let mut batch = BrokerRequestBatch::new();
    for (broker, partitions) in replicas_on_brokers(ctx, broker_ids) {
        for tp in partitions
            .iter()
            .filter(|tp| ctx.partition_leadership.contains_key(*tp))
        {
            batch.add_leader_and_isr([broker], tp);
        }
    }
    batch.send(io, ctx);
}

/// Records `broker_id`'s LeaderAndIsr answer: partitions answered KAFKA_STORAGE_ERROR become
/// offline replicas, partitions answered NONE online again, other errors change nothing.
/// Returns the replicas that just became offline. A response with a top-level error is ignored.
/// Kafka: the bookkeeping half of `processLeaderAndIsrResponseReceived`.
pub fn record_leader_and_isr_response(
    ctx: &mut ControllerContext,
    broker_id: i32,
    response: &LeaderAndIsrResponse,
) -> BTreeSet<TopicPartition> {
    if response.error_code != 0 {
        tracing::error!(
            "Received error {} in LeaderAndIsr response from broker {broker_id}",
            response.error_code
        );
        return BTreeSet::new();
    }
    let storage_error = ResponseError::KafkaStorageError.code();
    let mut offline = Vec::new();
    let mut online = Vec::new();
    for (tp, code) in partition_errors(ctx, response) {
        if code == storage_error {
            offline.push(tp);
        } else if code == 0 {
            online.push(tp);
        }
    }
    let previous = ctx
        .replicas_on_offline_dirs
        .get(&broker_id)
        .cloned()
        .unwrap_or_default();
    let mut current = previous.clone();
    for tp in &online {
        current.remove(tp);
    }
    current.extend(offline);
    let new_offline: BTreeSet<TopicPartition> = current.difference(&previous).cloned().collect();
    if current.is_empty() {
        ctx.replicas_on_offline_dirs.remove(&broker_id);
    } else {
        ctx.replicas_on_offline_dirs.insert(broker_id, current);
    }
    new_offline
}

/// The per-partition error codes of a LeaderAndIsr response: v5+ names topics by id (resolved
/// through the context; unknown ids are skipped), older versions by name. Kafka:
/// `LeaderAndIsrResponse.partitionErrors(topicNames)`.
fn partition_errors(
    ctx: &ControllerContext,
    response: &LeaderAndIsrResponse,
) -> Vec<(TopicPartition, i16)> {
    let mut out: Vec<(TopicPartition, i16)> = response
        .partition_errors
        .iter()
        .map(|p| {
            (
                TopicPartition::new(p.topic_name.0.as_str(), p.partition_index),
                p.error_code,
            )
        })
        .collect();
    if response.topics.is_empty() {
        return out;
    }
    let names: BTreeMap<uuid::Uuid, &String> = ctx
        .topic_ids
        .iter()
        .map(|(name, id)| (topic_uuid(Some(id)), name))
        .collect();
    for topic in &response.topics {
        let Some(name) = names.get(&topic.topic_id) else {
            continue;
        };
        for p in &topic.partition_errors {
            out.push((
                TopicPartition::new(name.as_str(), p.partition_index),
                p.error_code,
            ));
        }
    }
    out
}

/// Kafka: `processLeaderAndIsrResponseReceived` — the replicas newly reported in failed dirs go
/// through `onReplicasBecomeOffline`. The caller checks that this controller is active.
pub async fn process_leader_and_isr_response_received(
    io: &ControllerIo<'_>,
    ctx: &mut ControllerContext,
    broker_id: i32,
    response: &LeaderAndIsrResponse,
) -> Result<(), ZkError> {
    let new_offline = record_leader_and_isr_response(ctx, broker_id, response);
    if new_offline.is_empty() {
        return Ok(());
    }
    tracing::info!(
        "Mark replicas {} on broker {broker_id} as offline",
        comma_separated(&new_offline)
    );
    // Kafka passes replicas of topics queued for deletion to the deletion manager
    // (`failReplicaDeletion`) instead of OfflineReplica; the deletion's own StopReplica
    // answers (KAFKA_STORAGE_ERROR) halt it here.
    let not_for_deletion: BTreeSet<TopicPartition> = new_offline
        .into_iter()
        .filter(|tp| !is_topic_queued_for_deletion(ctx, &tp.topic))
        .collect();
    if not_for_deletion.is_empty() {
        return Ok(());
    }
    let replicas = BTreeMap::from([(broker_id, not_for_deletion)]);
    on_replicas_become_offline(io, ctx, &replicas).await
}

/// `a,b,c` for log lines (Kafka's `mkString(",")`).
fn comma_separated<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::leader_and_isr_response::{
        LeaderAndIsrPartitionError, LeaderAndIsrTopicError,
    };

    const TOPIC_ID: &str = "AAAAAAAAAAAAAAAAAAAAAQ";

    fn response(errors: &[(i32, i16)]) -> LeaderAndIsrResponse {
        LeaderAndIsrResponse::default().with_topics(vec![LeaderAndIsrTopicError::default()
            .with_topic_id(topic_uuid(Some(&TOPIC_ID.to_string())))
            .with_partition_errors(
                errors
                    .iter()
                    .map(|&(p, c)| {
                        LeaderAndIsrPartitionError::default()
                            .with_partition_index(p)
                            .with_error_code(c)
                    })
                    .collect(),
            )])
    }

    fn tps(ps: &[i32]) -> BTreeSet<TopicPartition> {
        ps.iter().map(|&p| TopicPartition::new("t", p)).collect()
    }

    /// Kafka `processLeaderAndIsrResponseReceived`: KAFKA_STORAGE_ERROR (56) adds the replica to
    /// `replicasOnOfflineDirs`, NONE removes it, any other error (STALE_CONTROLLER_EPOCH) leaves
    /// it; only replicas not already offline are returned; topics are resolved by id (v5+).
    #[test]
    fn storage_errors_mark_replicas_offline_once() {
        let mut ctx = ControllerContext::default();
        ctx.topic_ids.insert("t".into(), TOPIC_ID.into());
        let first = record_leader_and_isr_response(&mut ctx, 1, &response(&[(0, 56), (1, 0)]));
        assert_eq!(first, tps(&[0]));
        assert!(ctx.is_replica_on_offline_dir(1, &TopicPartition::new("t", 0)));
        assert!(!ctx.is_replica_on_offline_dir(2, &TopicPartition::new("t", 0)));
        let again = record_leader_and_isr_response(&mut ctx, 1, &response(&[(0, 56), (2, 11)]));
        assert!(again.is_empty());
        assert_eq!(ctx.replicas_on_offline_dirs[&1], tps(&[0]));
        let back = record_leader_and_isr_response(&mut ctx, 1, &response(&[(0, 0)]));
        assert!(back.is_empty());
        assert!(!ctx.replicas_on_offline_dirs.contains_key(&1));
    }

    /// Kafka: a LeaderAndIsr response with a top-level error (STALE_BROKER_EPOCH, ...) is only
    /// logged; a topic id the controller does not know is skipped.
    #[test]
    fn top_level_errors_and_unknown_topic_ids_change_nothing() {
        let mut ctx = ControllerContext::default();
        ctx.topic_ids.insert("t".into(), TOPIC_ID.into());
        let mut r = response(&[(0, 56)]);
        r.error_code = ResponseError::StaleBrokerEpoch.code();
        assert!(record_leader_and_isr_response(&mut ctx, 1, &r).is_empty());
        ctx.topic_ids.clear();
        assert!(record_leader_and_isr_response(&mut ctx, 1, &response(&[(0, 56)])).is_empty());
        assert!(ctx.replicas_on_offline_dirs.is_empty());
    }
}
