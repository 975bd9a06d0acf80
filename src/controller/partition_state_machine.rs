//! Partition creation and the partition-bearing control requests.
//!
//! Kafka: `PartitionStateMachine` (`initializeLeaderAndIsrForPartitions`, New → Online),
//! `KafkaController.initializeControllerContext` / `processTopicChange` (reading topic znodes)
//! and `AbstractControllerBrokerRequestBatch` (LeaderAndIsr v7 and UpdateMetadata v8 carrying
//! partition states). Elections for Offline partitions (broker failure) come with issue 5.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use base64::Engine;
use kafka_protocol::messages::leader_and_isr_request::{
    LeaderAndIsrLiveLeader, LeaderAndIsrPartitionState, LeaderAndIsrTopicState,
};
use kafka_protocol::messages::update_metadata_request::{
    UpdateMetadataPartitionState, UpdateMetadataTopicState,
};
use kafka_protocol::messages::{BrokerId, LeaderAndIsrRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::channel_manager::{ControlRequest, ControllerChannelManager};
use super::election::initial_leader_and_isr;
use super::ControllerContext;
use crate::cluster::{LeaderIsrAndControllerEpoch, TopicPartition};
use crate::zk::controller_election::ControllerWrite;
use crate::zk::znodes::{TopicPartitionStateZNode, TopicPartitionZNode, TopicZNode};
use crate::zk::{KafkaZkClient, ZkError};

/// Reads `/brokers/topics/<t>` and every partition's state znode for `topics` into `ctx`.
/// Kafka: `initializeControllerContext` (`getReplicaAssignmentAndTopicIdForTopics`,
/// `getTopicPartitionStates`).
pub async fn read_topics(
    zk: &KafkaZkClient,
    ctx: &mut ControllerContext,
    topics: &BTreeSet<String>,
) -> Result<(), ZkError> {
    for topic in topics {
        let Some((bytes, _)) = zk.get_data(&TopicZNode::path(topic), false).await? else {
            continue;
        };
        let assignment = match TopicZNode::decode(topic, &bytes) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("Ignoring topic {topic}: {e}");
                continue;
            }
        };
        if let Some(id) = assignment.topic_id {
            ctx.topic_ids.insert(topic.clone(), id);
        }
        for (partition, replicas) in assignment.assignment {
            let tp = TopicPartition::new(topic.clone(), partition);
            let state_path = TopicPartitionStateZNode::path(&tp);
            if let Some((bytes, stat)) = zk.get_data(&state_path, false).await? {
                match TopicPartitionStateZNode::decode(&tp, &bytes, stat.version) {
                    Ok(state) => {
                        ctx.partition_leadership.insert(tp.clone(), state);
                    }
                    Err(e) => tracing::error!("Ignoring unreadable {state_path}: {e}"),
                }
            }
            ctx.partition_assignments.insert(tp, replicas.replicas);
        }
    }
    Ok(())
}

/// State znode creates in flight at once (spawned tasks; the ZooKeeper client caps its own
/// requests in flight, as `partition_election::ZK_BATCH` notes).
const ZK_CREATE_BATCH: usize = 500;

/// New → Online for every partition in `partitions` that has no state znode yet: leader = first
/// live replica in assignment order, ISR = the live replicas, leader epoch 0, written with a
/// create fenced by the controller epoch. A partition without a live replica stays New.
/// Returns the partitions created. Kafka: `PartitionStateMachine.initializeLeaderAndIsrForPartitions`.
pub async fn initialize_new_partitions(
    zk: &Arc<KafkaZkClient>,
    ctx: &mut ControllerContext,
    partitions: &[TopicPartition],
) -> Result<Vec<TopicPartition>, ZkError> {
    let live = ctx.live_broker_ids();
    let mut planned = Vec::new();
    for tp in partitions {
        if ctx.partition_leadership.contains_key(tp) {
            continue;
        }
        let Some(assignment) = ctx.partition_assignments.get(tp) else {
            continue;
        };
        match initial_leader_and_isr(assignment, |id| live.contains(&id)) {
            Some(leader_and_isr) => planned.push((tp.clone(), leader_and_isr)),
            None => tracing::error!(
                "Controller failed to initialize partition {tp}: no replica of {assignment:?} is alive; it stays New"
            ),
        }
    }
    if planned.is_empty() {
        return Ok(Vec::new());
    }
    // Kafka creates `/partitions` and `/partitions/<p>` with null data inside the fenced multi;
    // our ZooKeeper client cannot send null in a multi, so the null parents are created first
    // (harmless without the fence: they carry no state) and the state znode is fenced.
    let parents: Vec<String> = planned
        .iter()
        .map(|(tp, _)| TopicPartitionZNode::path(tp))
        .collect();
    let parent_refs: Vec<&str> = parents.iter().map(String::as_str).collect();
    if !zk.create_null_paths(&parent_refs).await {
        for p in &parents {
            zk.create_recursive(p, &[]).await?;
        }
    }
    // The creates are pipelined, as Kafka's `createTopicPartitionStatesRaw` sends them all
    // before awaiting any: one at a time, 1,000 partitions cost 1,000 ZooKeeper round trips
    // (≈ 10 s on this VM's disk) before the first LeaderAndIsr or UpdateMetadata left.
    let (epoch, epoch_zk_version) = (ctx.epoch, ctx.epoch_zk_version);
    let mut outcomes: BTreeMap<TopicPartition, Result<(), ZkError>> = BTreeMap::new();
    let mut iter = planned.iter().cloned().peekable();
    while iter.peek().is_some() {
        let mut set = JoinSet::new();
        for (tp, leader_and_isr) in iter.by_ref().take(ZK_CREATE_BATCH) {
            let zk = Arc::clone(zk);
            set.spawn(async move {
                let state = LeaderIsrAndControllerEpoch {
                    leader_and_isr,
                    controller_epoch: epoch,
                };
                let write = ControllerWrite::Create {
                    path: TopicPartitionStateZNode::path(&tp),
                    data: TopicPartitionStateZNode::encode(&state),
                };
                let r = zk.controller_write(epoch_zk_version, write).await;
                (tp, r.map(|_| ()))
            });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((tp, r)) => {
                    outcomes.insert(tp, r);
                }
                Err(e) => tracing::error!("Controller failed to initialize a partition: {e}"),
            }
        }
    }
    let mut created = Vec::new();
    let mut moved = None;
    // In the requested order, so the requests list partitions as before.
    for (tp, leader_and_isr) in planned {
        match outcomes.remove(&tp) {
            Some(Ok(())) => {
                let state = LeaderIsrAndControllerEpoch {
                    leader_and_isr,
                    controller_epoch: epoch,
                };
                ctx.partition_leadership.insert(tp.clone(), state);
                created.push(tp);
            }
            Some(Err(ZkError::ControllerMoved(m))) => moved = Some(m),
            Some(Err(e)) => tracing::error!(
                "Controller failed to initialize partition {tp}: state znode create failed: {e}"
            ),
            None => {}
        }
    }
    if let Some(m) = moved {
        return Err(ZkError::ControllerMoved(m));
    }
    Ok(created)
}

/// Kafka `Uuid.toString` (22-char URL-safe base64) back to the 16 bytes requests carry.
pub fn topic_uuid(topic_id: Option<&String>) -> Uuid {
    topic_id
        .and_then(|s| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()
        })
        .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())
        .map(Uuid::from_bytes)
        .unwrap_or(Uuid::nil())
}

/// Sends LeaderAndIsr v7 for `partitions` to each live replica that is in `brokers` (Kafka:
/// replicas → OnlineReplica and new partitions' ISR members), with the leaders' inter-broker
/// endpoints as live leaders.
pub fn send_leader_and_isr(
    controller_id: i32,
    ctx: &ControllerContext,
    channel: &ControllerChannelManager,
    inter_broker_listener: &str,
    partitions: &[TopicPartition],
    is_new: bool,
    brokers: &BTreeSet<i32>,
) {
    let live = ctx.live_or_shutting_down_broker_ids();
    let mut per_broker: BTreeMap<i32, Vec<&TopicPartition>> = BTreeMap::new();
    for tp in partitions {
        if !ctx.partition_leadership.contains_key(tp) {
            continue;
        }
        for &replica in ctx.partition_assignments.get(tp).into_iter().flatten() {
            if live.contains(&replica) && brokers.contains(&replica) {
                per_broker.entry(replica).or_default().push(tp);
            }
        }
    }
    for (broker, tps) in per_broker {
        let Some(&broker_epoch) = ctx.live_broker_id_and_epochs().get(&broker) else {
            continue;
        };
        let mut by_topic: BTreeMap<&str, Vec<LeaderAndIsrPartitionState>> = BTreeMap::new();
        let mut leaders = BTreeSet::new();
        for tp in tps {
            let state = &ctx.partition_leadership[tp];
            let l = &state.leader_and_isr;
            leaders.insert(l.leader);
            by_topic.entry(&tp.topic).or_default().push(
                LeaderAndIsrPartitionState::default()
                    .with_partition_index(tp.partition)
                    .with_controller_epoch(state.controller_epoch)
                    .with_leader(BrokerId(l.leader))
                    .with_leader_epoch(l.leader_epoch)
                    .with_isr(l.isr.iter().map(|&b| BrokerId(b)).collect())
                    .with_partition_epoch(l.partition_epoch)
                    .with_replicas(replicas_of(ctx, tp))
                    .with_is_new(is_new)
                    .with_leader_recovery_state(l.leader_recovery_state.value()),
            );
        }
        let topic_states = by_topic
            .into_iter()
            .map(|(topic, states)| {
                LeaderAndIsrTopicState::default()
                    .with_topic_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_topic_id(topic_uuid(ctx.topic_ids.get(topic)))
                    .with_partition_states(states)
            })
            .collect();
        let live_leaders = leaders
            .into_iter()
            .filter_map(|id| {
                let info = ctx.live_broker(id)?;
                let e = info
                    .endpoints
                    .iter()
                    .find(|e| e.listener_name == inter_broker_listener)?;
                Some(
                    LeaderAndIsrLiveLeader::default()
                        .with_broker_id(BrokerId(id))
                        .with_host_name(StrBytes::from_string(e.host.clone()))
                        .with_port(e.port as i32),
                )
            })
            .collect();
        let request = LeaderAndIsrRequest::default()
            .with_controller_id(BrokerId(controller_id))
            .with_is_k_raft_controller(false)
            .with_controller_epoch(ctx.epoch)
            .with_broker_epoch(broker_epoch)
            .with_topic_states(topic_states)
            .with_live_leaders(live_leaders);
        channel.send(broker, ControlRequest::LeaderAndIsr(request), None);
    }
}

fn replicas_of(ctx: &ControllerContext, tp: &TopicPartition) -> Vec<BrokerId> {
    ctx.partition_assignments
        .get(tp)
        .map(|r| r.iter().map(|&b| BrokerId(b)).collect())
        .unwrap_or_default()
}

/// UpdateMetadata topic states for `partitions` that have a leader state. `offline_replicas` are
/// assigned replicas whose broker is not live or whose log dir failed. Kafka: `addUpdateMetadataRequestForBrokers`.
pub fn update_metadata_topic_states(
    ctx: &ControllerContext,
    partitions: &[TopicPartition],
) -> Vec<UpdateMetadataTopicState> {
    let live = ctx.live_or_shutting_down_broker_ids();
    let mut by_topic: BTreeMap<&str, Vec<UpdateMetadataPartitionState>> = BTreeMap::new();
    for tp in partitions {
        let Some(state) = ctx.partition_leadership.get(tp) else {
            continue;
        };
        let l = &state.leader_and_isr;
        let replicas = ctx
            .partition_assignments
            .get(tp)
            .cloned()
            .unwrap_or_default();
        let offline = replicas
            .iter()
            .filter(|&&r| !live.contains(&r) || ctx.is_replica_on_offline_dir(r, tp))
            .map(|&b| BrokerId(b))
            .collect();
        by_topic.entry(&tp.topic).or_default().push(
            UpdateMetadataPartitionState::default()
                .with_topic_name(TopicName(StrBytes::from_string(tp.topic.clone())))
                .with_partition_index(tp.partition)
                .with_controller_epoch(state.controller_epoch)
                .with_leader(BrokerId(l.leader))
                .with_leader_epoch(l.leader_epoch)
                .with_isr(l.isr.iter().map(|&b| BrokerId(b)).collect())
                .with_zk_version(l.partition_epoch)
                .with_replicas(replicas.iter().map(|&b| BrokerId(b)).collect())
                .with_offline_replicas(offline),
        );
    }
    by_topic
        .into_iter()
        .map(|(topic, states)| {
            UpdateMetadataTopicState::default()
                .with_topic_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_topic_id(topic_uuid(ctx.topic_ids.get(topic)))
                .with_partition_states(states)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::LeaderAndIsr;
    use crate::zk::znodes::BrokerInfo;

    fn ctx_with_partition() -> (ControllerContext, TopicPartition) {
        let mut ctx = ControllerContext::default();
        ctx.epoch = 4;
        let brokers = [1, 2]
            .into_iter()
            .map(|id| {
                (
                    id,
                    (BrokerInfo::new(id, vec![], None, -1, 0), 10 * id as i64),
                )
            })
            .collect();
        ctx.set_live_brokers(brokers);
        let tp = TopicPartition::new("t", 0);
        ctx.partition_assignments.insert(tp.clone(), vec![1, 2, 3]);
        ctx.topic_ids
            .insert("t".into(), "AAAAAAAAAAAAAAAAAAAAAQ".into());
        let mut l = LeaderAndIsr::new(1, vec![1, 2]);
        l.partition_epoch = 3;
        ctx.partition_leadership.insert(
            tp.clone(),
            LeaderIsrAndControllerEpoch {
                leader_and_isr: l,
                controller_epoch: 4,
            },
        );
        (ctx, tp)
    }

    /// UpdateMetadata partition states carry the state znode's zkVersion as `ZkVersion` and list
    /// assigned replicas on dead brokers as offline (`addUpdateMetadataRequestForBrokers`).
    #[test]
    fn update_metadata_partition_state() {
        let (ctx, tp) = ctx_with_partition();
        let topics = update_metadata_topic_states(&ctx, &[tp]);
        assert_eq!(topics.len(), 1);
        assert_eq!(topics[0].topic_id, Uuid::from_u128(1));
        let p = &topics[0].partition_states[0];
        assert_eq!((p.leader.0, p.leader_epoch, p.zk_version), (1, 0, 3));
        assert_eq!(p.isr, vec![BrokerId(1), BrokerId(2)]);
        assert_eq!(p.replicas.len(), 3);
        assert_eq!(p.offline_replicas, vec![BrokerId(3)]);
        assert_eq!(p.controller_epoch, 4);
    }

    /// Kafka `Uuid.toString` is URL-safe base64 without padding; a missing or malformed id is
    /// the zero UUID, as Kafka sends for topics without ids.
    #[test]
    fn topic_ids_decode() {
        assert_eq!(
            topic_uuid(Some(&"AAAAAAAAAAAAAAAAAAAAAQ".to_string())),
            Uuid::from_u128(1)
        );
        assert_eq!(topic_uuid(Some(&"not-an-id".to_string())), Uuid::nil());
        assert_eq!(topic_uuid(None), Uuid::nil());
    }
}
