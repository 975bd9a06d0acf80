//! Topic deletion and partition additions on the active controller.
//!
//! Kafka: `kafka.controller.TopicDeletionManager` (`enqueueTopicsForDeletion`,
//! `resumeDeletions`, `onTopicDeletion`, `onPartitionDeletion`, `completeDeleteTopic`,
//! `completeReplicaDeletion`, `failReplicaDeletion`) and `KafkaController.processTopicDeletion`,
//! `processTopicDeletionStopReplicaResponseReceived`, `processPartitionModifications` with the
//! `TopicDeletionHandler` (child watch on `/admin/delete_topics`) and
//! `PartitionModificationsHandler` (data watch on each `/brokers/topics/<t>`).
//!
//! Deletion flow, per topic (semantics spec §1.12):
//! 1. `/admin/delete_topics/<t>` appears → queued (unknown topics: the mark is just removed).
//! 2. UpdateMetadata with leader −2 (`LeaderDuringDelete`) for every partition to every live
//!    broker (they drop the topic from metadata), then StopReplica(delete=true, leader epoch
//!    −2) to every live replica; replicas → `ReplicaDeletionStarted`.
//! 3. Replicas on dead brokers → `ReplicaDeletionIneligible`, and the topic is *ineligible*
//!    until every replica's broker is live again; then the remaining replicas are retried.
//! 4. StopReplica answers move replicas to `ReplicaDeletionSuccessful` (or `Ineligible`, to be
//!    retried when the topic becomes eligible again: a broker comes back).
//! 5. All successful → delete `/brokers/topics/<t>` (whole subtree), `/config/topics/<t>` and
//!    `/admin/delete_topics/<t>`, every write fenced by the controller epoch; forget the topic.
//!
//! Simplification: Kafka first moves live replicas to `OfflineReplica` (StopReplica without
//! delete + an ISR shrink in ZooKeeper) before `ReplicaDeletionStarted`; we send the deleting
//! StopReplica directly, since the partition state znodes are deleted with the topic anyway and
//! brokers already stop fetchers on a deleting StopReplica. `delete.topic.enable=false` is
//! enforced by the DeleteTopics API, not re-checked here.
//!
//! This file is a child module of `kafka_controller` so it can extend `ControllerEventLoop`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafka_protocol::messages::stop_replica_request::{
    StopReplicaPartitionState, StopReplicaTopicState,
};
use kafka_protocol::messages::{BrokerId, StopReplicaRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::super::channel_manager::{ControlRequest, ControlResponse};
use super::super::controller_event::ControllerEvent;
use super::super::partition_state_machine as psm;
use super::super::replica_state::ReplicaState;
use super::super::request_batch;
use super::ControllerEventLoop;
use crate::cluster::TopicPartition;
use crate::metadata_cache::LEADER_DURING_DELETE;
use crate::zk::client::{ZNodeChangeHandler, ZNodeChildChangeHandler};
use crate::zk::controller_election::ControllerWrite;
use crate::zk::znodes::{
    ConfigEntityZNode, DeleteTopicsTopicZNode, DeleteTopicsZNode, TopicPartitionStateZNode,
    TopicPartitionZNode, TopicPartitionsZNode, TopicZNode,
};
use crate::zk::ZkError;

/// The deletion bookkeeping the controller keeps. Kafka: `TopicDeletionManager` state plus the
/// deletion states of `ReplicaStateMachine`.
#[derive(Debug, Default)]
pub struct TopicDeletionState {
    /// Kafka: `controllerContext.topicsToBeDeleted`.
    pub topics_to_be_deleted: BTreeSet<String>,
    /// Kafka: `controllerContext.topicsIneligibleForDeletion`.
    pub topics_ineligible: BTreeSet<String>,
    /// Replica deletion states of topics being deleted: (partition, broker) → state.
    pub replica_states: BTreeMap<(TopicPartition, i32), ReplicaState>,
    /// Topics with a registered `/brokers/topics/<t>` data handler.
    pub partition_modification_handlers: BTreeSet<String>,
}

impl TopicDeletionState {
    /// Kafka: `isTopicQueuedUpForDeletion`.
    pub fn is_queued(&self, topic: &str) -> bool {
        self.topics_to_be_deleted.contains(topic)
    }

    fn replicas_of<'a>(
        &'a self,
        topic: &'a str,
    ) -> impl Iterator<Item = (&'a (TopicPartition, i32), &'a ReplicaState)> + 'a {
        self.replica_states
            .iter()
            .filter(move |((tp, _), _)| tp.topic == topic)
    }

    /// Kafka: `isTopicDeletionInProgress` — some replica has `ReplicaDeletionStarted`.
    fn in_progress(&self, topic: &str) -> bool {
        self.replicas_of(topic)
            .any(|(_, s)| *s == ReplicaState::ReplicaDeletionStarted)
    }

    /// Kafka: `areAllReplicasForTopicDeleted`.
    fn all_deleted(&self, topic: &str) -> bool {
        let mut any = false;
        for (_, s) in self.replicas_of(topic) {
            any = true;
            if *s != ReplicaState::ReplicaDeletionSuccessful {
                return false;
            }
        }
        any
    }
}

/// Kafka: `TopicDeletionHandler` — child watch on `/admin/delete_topics`.
pub struct TopicDeletionHandler(pub super::ControllerEventSender);

impl ZNodeChildChangeHandler for TopicDeletionHandler {
    fn path(&self) -> String {
        DeleteTopicsZNode::PATH.to_string()
    }
    fn handle_child_change(&self) {
        self.0.put(ControllerEvent::TopicDeletion);
    }
}

/// Kafka: `PartitionModificationsHandler` — data watch on `/brokers/topics/<t>`.
pub struct PartitionModificationsHandler {
    pub topic: String,
    pub events: super::ControllerEventSender,
}

impl ZNodeChangeHandler for PartitionModificationsHandler {
    fn path(&self) -> String {
        TopicZNode::path(&self.topic)
    }
    fn handle_data_change(&self) {
        self.events.put(ControllerEvent::PartitionModifications {
            topic: self.topic.clone(),
        });
    }
}

impl ControllerEventLoop {
    /// Registers the deletion watch and queues what is already marked; registers a data watch
    /// on every known topic. Kafka: `onControllerFailover` (`registerPartitionModificationsHandlers`,
    /// `fetchTopicDeletionsInProgress`, `topicDeletionManager.init`, `tryTopicDeletion`).
    pub(super) async fn init_topic_lifecycle(&mut self) -> Result<(), ZkError> {
        let topics = self.ctx.all_topics();
        self.register_partition_modifications_handlers(&topics)
            .await?;
        self.zk
            .register_znode_child_change_handler(Arc::new(TopicDeletionHandler(
                self.events.clone(),
            )));
        self.process_topic_deletion().await
    }

    /// Kafka: `registerPartitionModificationsHandlers`.
    pub(super) async fn register_partition_modifications_handlers(
        &mut self,
        topics: &BTreeSet<String>,
    ) -> Result<(), ZkError> {
        for topic in topics {
            if !self
                .topic_deletion
                .partition_modification_handlers
                .insert(topic.clone())
            {
                continue;
            }
            let handler = Arc::new(PartitionModificationsHandler {
                topic: topic.clone(),
                events: self.events.clone(),
            });
            self.zk
                .register_znode_change_handler_and_check_existence(handler)
                .await?;
        }
        Ok(())
    }

    /// Drops every watch and all deletion state (resignation).
    pub(super) fn reset_topic_lifecycle(&mut self) {
        self.zk
            .unregister_znode_child_change_handler(DeleteTopicsZNode::PATH);
        for topic in std::mem::take(&mut self.topic_deletion.partition_modification_handlers) {
            self.zk
                .unregister_znode_change_handler(&TopicZNode::path(&topic));
        }
        self.topic_deletion = TopicDeletionState::default();
        self.ctx.topics_to_be_deleted.clear();
    }

    /// Kafka: `processTopicDeletion` — read the marks, drop marks of unknown topics, queue the
    /// rest and try to delete them.
    pub(super) async fn process_topic_deletion(&mut self) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let marked: BTreeSet<String> = self
            .zk
            .get_children(DeleteTopicsZNode::PATH, true)
            .await?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let known = self.ctx.all_topics();
        let unknown: Vec<&String> = marked.iter().filter(|t| !known.contains(*t)).collect();
        for topic in &unknown {
            tracing::info!("Ignoring request to delete non-existing topic {topic}");
            self.zk
                .controller_write(
                    self.ctx.epoch_zk_version,
                    ControllerWrite::Delete {
                        path: DeleteTopicsTopicZNode::path(topic),
                        expected_version: None,
                    },
                )
                .await
                .or_else(ignore_no_node)?;
        }
        let queue: Vec<String> = marked
            .iter()
            .filter(|t| known.contains(*t) && !self.topic_deletion.is_queued(t))
            .cloned()
            .collect();
        if !queue.is_empty() {
            tracing::info!("Starting topic deletion for topics {}", queue.join(","));
            self.ctx.topics_to_be_deleted.extend(queue.iter().cloned());
            self.topic_deletion.topics_to_be_deleted.extend(queue);
        }
        self.resume_topic_deletions().await
    }

    /// Kafka: `TopicDeletionManager.resumeDeletions` — complete topics whose replicas are all
    /// deleted, (re)start eligible ones. A topic halted by a dead replica becomes eligible again
    /// once all its replicas' brokers are live (Kafka: `resumeDeletionForTopics` from
    /// `onBrokerStartup`).
    pub(super) async fn resume_topic_deletions(&mut self) -> Result<(), ZkError> {
        let queued: Vec<String> = self
            .topic_deletion
            .topics_to_be_deleted
            .iter()
            .cloned()
            .collect();
        let live = self.ctx.live_or_shutting_down_broker_ids();
        for topic in queued {
            if self.topic_deletion.all_deleted(&topic) {
                self.complete_delete_topic(&topic).await?;
                continue;
            }
            let partitions = partitions_of(&self.ctx, &topic);
            if self.topic_deletion.topics_ineligible.contains(&topic) {
                let all_live = partitions
                    .iter()
                    .flat_map(|tp| self.ctx.partition_assignments[tp].iter())
                    .all(|b| live.contains(b));
                if !all_live {
                    continue;
                }
                self.topic_deletion.topics_ineligible.remove(&topic);
            }
            if !self.topic_deletion.in_progress(&topic) {
                self.on_topic_deletion(&topic, &partitions);
            }
        }
        Ok(())
    }

    /// UpdateMetadata with leader −2, then StopReplica(delete) to every replica.
    /// Kafka: `TopicDeletionManager.onTopicDeletion`, `onPartitionDeletion`.
    fn on_topic_deletion(&mut self, topic: &str, partitions: &[TopicPartition]) {
        tracing::info!("Topic deletion callback for {topic}");
        let Some(channel) = &self.channel else {
            return;
        };
        // Brokers drop the partitions from their metadata caches.
        let mut states = psm::update_metadata_topic_states(&self.ctx, partitions);
        for t in &mut states {
            for p in &mut t.partition_states {
                p.leader = BrokerId(LEADER_DURING_DELETE);
            }
        }
        for id in self.ctx.live_or_shutting_down_broker_ids() {
            if let Some(&epoch) = self.ctx.live_broker_id_and_epochs().get(&id) {
                let request = request_batch::update_metadata_request(
                    self.broker_id,
                    &self.ctx,
                    epoch,
                    states.clone(),
                );
                channel.send(id, ControlRequest::UpdateMetadata(request), None);
            }
        }
        // StopReplica(delete=true) per broker, leader epoch −2 (`LeaderAndIsr.EpochDuringDelete`),
        // to live replicas not yet deleted; replicas on dead brokers become ineligible and halt
        // the topic until their broker returns (Kafka: `onPartitionDeletion`).
        let live = self.ctx.live_or_shutting_down_broker_ids();
        let mut per_broker: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
        let mut dead = BTreeSet::new();
        for tp in partitions {
            for &replica in &self.ctx.partition_assignments[tp] {
                let key = (tp.clone(), replica);
                let state = if self.topic_deletion.replica_states.get(&key)
                    == Some(&ReplicaState::ReplicaDeletionSuccessful)
                {
                    continue;
                } else if live.contains(&replica) {
                    per_broker.entry(replica).or_default().push(tp.partition);
                    ReplicaState::ReplicaDeletionStarted
                } else {
                    dead.insert(replica);
                    ReplicaState::ReplicaDeletionIneligible
                };
                self.topic_deletion.replica_states.insert(key, state);
            }
        }
        if !dead.is_empty() {
            tracing::info!("Halted deletion of topic {topic}: replicas on dead brokers {dead:?}");
            self.topic_deletion
                .topics_ineligible
                .insert(topic.to_string());
        }
        for (broker, mut indexes) in per_broker {
            indexes.sort_unstable();
            let Some(&broker_epoch) = self.ctx.live_broker_id_and_epochs().get(&broker) else {
                continue;
            };
            let request = StopReplicaRequest::default()
                .with_controller_id(BrokerId(self.broker_id))
                .with_is_k_raft_controller(false)
                .with_controller_epoch(self.ctx.epoch)
                .with_broker_epoch(broker_epoch)
                .with_topic_states(vec![StopReplicaTopicState::default()
                    .with_topic_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partition_states(
                        indexes
                            .iter()
                            .map(|&p| {
                                StopReplicaPartitionState::default()
                                    .with_partition_index(p)
                                    .with_leader_epoch(-2)
                                    .with_delete_partition(true)
                            })
                            .collect(),
                    )]);
            let events = self.events.clone();
            let topic_name = topic.to_string();
            let requested: Vec<TopicPartition> = indexes
                .iter()
                .map(|&p| TopicPartition::new(topic_name.clone(), p))
                .collect();
            channel.send(
                broker,
                ControlRequest::StopReplica(request),
                Some(Box::new(move |broker_id, response| {
                    let errors = stop_replica_errors(&requested, &response);
                    events.put(ControllerEvent::TopicDeletionStopReplicaResponseReceived {
                        broker_id,
                        errors,
                    });
                })),
            );
        }
    }

    /// Replicas on brokers that died while their deletion was started become ineligible; the
    /// deletion resumes when the broker returns. Kafka: `onBrokerFailure` →
    /// `topicDeletionManager.failReplicaDeletion`.
    pub(super) fn fail_replica_deletions_on(&mut self, dead: &BTreeSet<i32>) {
        let mut halted = BTreeSet::new();
        for ((tp, broker), state) in self.topic_deletion.replica_states.iter_mut() {
            if dead.contains(broker) && *state == ReplicaState::ReplicaDeletionStarted {
                *state = ReplicaState::ReplicaDeletionIneligible;
                halted.insert(tp.topic.clone());
            }
        }
        for topic in halted {
            tracing::info!("Halted deletion of topic {topic}: a replica's broker failed");
            self.topic_deletion.topics_ineligible.insert(topic);
        }
    }

    /// Kafka: `processTopicDeletionStopReplicaResponseReceived` → `completeReplicaDeletion` /
    /// `failReplicaDeletion`.
    pub(super) async fn process_topic_deletion_stop_replica_response(
        &mut self,
        broker_id: i32,
        errors: Vec<(TopicPartition, i16)>,
    ) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let mut topics = BTreeSet::new();
        for (tp, code) in errors {
            let key = (tp.clone(), broker_id);
            if !self.topic_deletion.replica_states.contains_key(&key) {
                continue;
            }
            let state = if code == 0 {
                ReplicaState::ReplicaDeletionSuccessful
            } else {
                tracing::warn!(
                    "Deletion of replica {tp} on broker {broker_id} failed with error code {code}; retrying later"
                );
                self.topic_deletion
                    .topics_ineligible
                    .insert(tp.topic.clone());
                ReplicaState::ReplicaDeletionIneligible
            };
            self.topic_deletion.replica_states.insert(key, state);
            topics.insert(tp.topic);
        }
        for topic in topics {
            if self.topic_deletion.all_deleted(&topic) {
                self.complete_delete_topic(&topic).await?;
            }
        }
        Ok(())
    }

    /// Kafka: `TopicDeletionManager.completeDeleteTopic` with
    /// `ControllerDeletionClient.deleteTopic` — every write fenced by the controller epoch.
    async fn complete_delete_topic(&mut self, topic: &str) -> Result<(), ZkError> {
        self.zk
            .unregister_znode_change_handler(&TopicZNode::path(topic));
        self.topic_deletion
            .partition_modification_handlers
            .remove(topic);
        let partitions = partitions_of(&self.ctx, topic);
        // `/brokers/topics/<t>` recursively, deepest first (Kafka: deleteRecursive).
        let partition_ids: Vec<String> = self
            .zk
            .get_children(&TopicPartitionsZNode::path(topic), false)
            .await?
            .unwrap_or_default();
        let mut paths = Vec::new();
        for id in partition_ids {
            if let Ok(p) = id.parse::<i32>() {
                let tp = TopicPartition::new(topic.to_string(), p);
                paths.push(TopicPartitionStateZNode::path(&tp));
                paths.push(TopicPartitionZNode::path(&tp));
            }
        }
        paths.push(TopicPartitionsZNode::path(topic));
        paths.push(TopicZNode::path(topic));
        paths.push(ConfigEntityZNode::path("topics", topic));
        paths.push(DeleteTopicsTopicZNode::path(topic));
        for path in paths {
            self.zk
                .controller_write(
                    self.ctx.epoch_zk_version,
                    ControllerWrite::Delete {
                        path,
                        expected_version: None,
                    },
                )
                .await
                .or_else(ignore_no_node)?;
        }
        for tp in &partitions {
            self.ctx.partition_assignments.remove(tp);
            self.ctx.partition_leadership.remove(tp);
        }
        self.ctx.topic_ids.remove(topic);
        self.topic_deletion
            .replica_states
            .retain(|(tp, _), _| tp.topic != topic);
        self.topic_deletion.topics_to_be_deleted.remove(topic);
        self.ctx.topics_to_be_deleted.remove(topic);
        self.topic_deletion.topics_ineligible.remove(topic);
        tracing::info!("Deletion of topic {topic} successfully completed");
        Ok(())
    }

    /// Kafka: `processPartitionModifications` — partitions added to `/brokers/topics/<t>`
    /// become New → Online; additions to a topic being deleted are reverted.
    pub(super) async fn process_partition_modifications(
        &mut self,
        topic: &str,
    ) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let Some((bytes, _)) = self.zk.get_data(&TopicZNode::path(topic), true).await? else {
            return Ok(());
        };
        let assignment = match TopicZNode::decode(topic, &bytes) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("Ignoring a change of topic {topic}: {e}");
                return Ok(());
            }
        };
        let to_add: BTreeMap<TopicPartition, Vec<i32>> = assignment
            .assignment
            .iter()
            .map(|(p, a)| {
                (
                    TopicPartition::new(topic.to_string(), *p),
                    a.replicas.clone(),
                )
            })
            .filter(|(tp, _)| !self.ctx.partition_assignments.contains_key(tp))
            .collect();
        if to_add.is_empty() {
            return Ok(());
        }
        if self.topic_deletion.is_queued(topic) {
            tracing::warn!(
                "Skipping adding partitions {:?} for topic {topic} since it is currently being deleted; restoring its assignment",
                to_add.keys().collect::<Vec<_>>()
            );
            let restored: BTreeMap<i32, _> = assignment
                .assignment
                .into_iter()
                .filter(|(p, _)| {
                    self.ctx
                        .partition_assignments
                        .contains_key(&TopicPartition::new(topic.to_string(), *p))
                })
                .collect();
            let data = TopicZNode::encode(assignment.topic_id.as_deref(), &restored);
            self.zk
                .controller_write(
                    self.ctx.epoch_zk_version,
                    ControllerWrite::SetData {
                        path: TopicZNode::path(topic),
                        data,
                        expected_version: None,
                    },
                )
                .await?;
            return Ok(());
        }
        tracing::info!("New partitions to be added {to_add:?}");
        let partitions: Vec<TopicPartition> = to_add.keys().cloned().collect();
        self.ctx.partition_assignments.extend(to_add);
        // Kafka: onNewPartitionCreation.
        let created = psm::initialize_new_partitions(&self.zk, &mut self.ctx, &partitions).await?;
        self.send_leader_and_isr(&created, true);
        self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &created);
        Ok(())
    }
}

/// The partitions the controller knows for `topic`.
fn partitions_of(ctx: &super::ControllerContext, topic: &str) -> Vec<TopicPartition> {
    ctx.partition_assignments
        .keys()
        .filter(|tp| tp.topic == topic)
        .cloned()
        .collect()
}

/// Per-partition error codes of a StopReplica answer (a top-level error applies to all).
fn stop_replica_errors(
    requested: &[TopicPartition],
    response: &ControlResponse,
) -> Vec<(TopicPartition, i16)> {
    let ControlResponse::StopReplica(r) = response else {
        return requested.iter().map(|tp| (tp.clone(), -1)).collect();
    };
    if r.error_code != 0 {
        return requested
            .iter()
            .map(|tp| (tp.clone(), r.error_code))
            .collect();
    }
    requested
        .iter()
        .map(|tp| {
            let code = r
                .partition_errors
                .iter()
                .find(|e| e.topic_name.0.as_str() == tp.topic && e.partition_index == tp.partition)
                .map(|e| e.error_code)
                .unwrap_or(0);
            (tp.clone(), code)
        })
        .collect()
}

/// A delete of a znode that is already gone is what the caller wanted.
fn ignore_no_node(e: ZkError) -> Result<Option<zookeeper_client::Stat>, ZkError> {
    if matches!(e.code(), Some(zookeeper_client::Error::NoNode)) {
        Ok(None)
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A topic counts as deleted only when every tracked replica reports success
    /// (`TopicDeletionManager.areAllReplicasForTopicDeleted`), and is in progress while one is
    /// still started (`isTopicDeletionInProgress`).
    #[test]
    fn replica_deletion_bookkeeping() {
        let mut s = TopicDeletionState::default();
        assert!(!s.all_deleted("t"));
        let tp = |p| TopicPartition::new("t", p);
        s.replica_states
            .insert((tp(0), 1), ReplicaState::ReplicaDeletionStarted);
        s.replica_states
            .insert((tp(0), 2), ReplicaState::ReplicaDeletionSuccessful);
        s.replica_states.insert(
            (TopicPartition::new("u", 0), 1),
            ReplicaState::ReplicaDeletionStarted,
        );
        assert!(s.in_progress("t") && !s.all_deleted("t"));
        s.replica_states
            .insert((tp(0), 1), ReplicaState::ReplicaDeletionSuccessful);
        assert!(!s.in_progress("t") && s.all_deleted("t"));
    }

    /// StopReplica answers: a top-level error fails every partition; a missing partition entry
    /// is success.
    #[test]
    fn stop_replica_error_mapping() {
        use kafka_protocol::messages::StopReplicaResponse;
        let req = vec![TopicPartition::new("t", 0), TopicPartition::new("t", 1)];
        let all_bad =
            ControlResponse::StopReplica(StopReplicaResponse::default().with_error_code(11));
        assert_eq!(
            stop_replica_errors(&req, &all_bad),
            vec![(req[0].clone(), 11), (req[1].clone(), 11)]
        );
        let ok = ControlResponse::StopReplica(StopReplicaResponse::default());
        assert_eq!(
            stop_replica_errors(&req, &ok),
            vec![(req[0].clone(), 0), (req[1].clone(), 0)]
        );
    }
}
