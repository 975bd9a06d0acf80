//! What the controller's state changes need to reach ZooKeeper and brokers, and the batch of
//! control requests one state change produces.
//!
//! Kafka: `ControllerBrokerRequestBatch` (`newBatch`, `addLeaderAndIsrRequestForBrokers`,
//! `addStopReplicaRequestForBrokers`, `addUpdateMetadataRequestForBrokers`,
//! `sendRequestsToBrokers`). As in Kafka, every LeaderAndIsr entry also queues the partition for
//! the UpdateMetadata that goes to every live broker, and requests leave in Kafka's order:
//! LeaderAndIsr, then UpdateMetadata, then StopReplica.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use kafka_protocol::messages::stop_replica_request::{
    StopReplicaPartitionState, StopReplicaTopicState,
};
use kafka_protocol::messages::{BrokerId, StopReplicaRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::channel_manager::{ControlRequest, ControllerChannelManager};
use super::controller_config::ControllerConfig;
use super::partition_state_machine as psm;
use super::request_batch;
use super::ControllerContext;
use crate::cluster::{LeaderAndIsr, TopicPartition};
use crate::zk::KafkaZkClient;

/// The controller event loop's I/O handles, borrowed for one state change (the context is
/// passed beside it as `&mut`, so both can be borrowed from the loop at once).
pub struct ControllerIo<'a> {
    /// This broker's id (the controller id in requests).
    pub controller_id: i32,
    pub zk: &'a Arc<KafkaZkClient>,
    /// `None` when not active (then nothing is sent).
    pub channel: Option<&'a ControllerChannelManager>,
    /// `inter.broker.listener.name`: the endpoint leaders are announced on.
    pub inter_broker_listener: &'a str,
    pub config: &'a ControllerConfig,
}

/// Control requests collected during one state change. Kafka: `ControllerBrokerRequestBatch`.
#[derive(Debug, Default)]
pub struct BrokerRequestBatch {
    /// broker → partitions to send in LeaderAndIsr (isNew=false).
    leader_and_isr: BTreeMap<i32, BTreeSet<TopicPartition>>,
    /// Partitions whose state goes to every live broker in UpdateMetadata.
    update_metadata: BTreeSet<TopicPartition>,
    /// Send UpdateMetadata (possibly without partitions) even if nothing else queued it.
    force_update_metadata: bool,
    /// broker → partitions to stop without deleting them.
    stop_replica: BTreeMap<i32, BTreeSet<TopicPartition>>,
}

impl BrokerRequestBatch {
    pub fn new() -> BrokerRequestBatch {
        BrokerRequestBatch::default()
    }

    /// Kafka: `addLeaderAndIsrRequestForBrokers` (which also queues UpdateMetadata for `tp`).
    pub fn add_leader_and_isr(
        &mut self,
        brokers: impl IntoIterator<Item = i32>,
        tp: &TopicPartition,
    ) {
        for b in brokers {
            self.leader_and_isr.entry(b).or_default().insert(tp.clone());
        }
        self.update_metadata.insert(tp.clone());
    }

    /// Kafka: `addStopReplicaRequestForBrokers(deletePartition = false)`.
    pub fn add_stop_replica(&mut self, broker: i32, tp: &TopicPartition) {
        self.stop_replica
            .entry(broker)
            .or_default()
            .insert(tp.clone());
    }

    /// Kafka: `addUpdateMetadataRequestForBrokers(liveOrShuttingDownBrokerIds, partitions)`.
    pub fn add_update_metadata(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) {
        self.update_metadata.extend(partitions);
        self.force_update_metadata = true;
    }

    pub fn is_empty(&self) -> bool {
        self.leader_and_isr.is_empty()
            && self.update_metadata.is_empty()
            && self.stop_replica.is_empty()
            && !self.force_update_metadata
    }

    /// Kafka: `sendRequestsToBrokers`. LeaderAndIsr goes only to live (or shutting-down)
    /// assigned replicas; UpdateMetadata to every live broker.
    pub fn send(self, io: &ControllerIo<'_>, ctx: &ControllerContext) {
        let Some(channel) = io.channel else { return };
        for (broker, partitions) in &self.leader_and_isr {
            let partitions: Vec<TopicPartition> = partitions.iter().cloned().collect();
            psm::send_leader_and_isr(
                io.controller_id,
                ctx,
                channel,
                io.inter_broker_listener,
                &partitions,
                false,
                &BTreeSet::from([*broker]),
            );
        }
        if !self.update_metadata.is_empty() || self.force_update_metadata {
            let partitions: Vec<TopicPartition> = self.update_metadata.iter().cloned().collect();
            request_batch::send_update_metadata(
                io.controller_id,
                ctx,
                channel,
                ctx.live_or_shutting_down_broker_ids(),
                &partitions,
            );
        }
        for (broker, partitions) in &self.stop_replica {
            if let Some(request) = stop_replica_request(io.controller_id, ctx, *broker, partitions)
            {
                channel.send(*broker, ControlRequest::StopReplica(request), None);
            }
        }
    }
}

/// StopReplica v4 (delete=false) for `partitions` on `broker`, carrying each partition's current
/// leader epoch (Kafka: `addStopReplicaRequestForBrokers` uses the cached leader epoch, or
/// `NoEpoch` when unknown). `None` when the broker is not live.
fn stop_replica_request(
    controller_id: i32,
    ctx: &ControllerContext,
    broker: i32,
    partitions: &BTreeSet<TopicPartition>,
) -> Option<StopReplicaRequest> {
    let broker_epoch = *ctx.live_broker_id_and_epochs().get(&broker)?;
    let mut by_topic: BTreeMap<&str, Vec<StopReplicaPartitionState>> = BTreeMap::new();
    for tp in partitions {
        let leader_epoch = ctx
            .partition_leadership
            .get(tp)
            .map(|s| s.leader_and_isr.leader_epoch)
            .unwrap_or(LeaderAndIsr::NO_EPOCH);
        by_topic.entry(&tp.topic).or_default().push(
            StopReplicaPartitionState::default()
                .with_partition_index(tp.partition)
                .with_leader_epoch(leader_epoch)
                .with_delete_partition(false),
        );
    }
    let topic_states = by_topic
        .into_iter()
        .map(|(topic, states)| {
            StopReplicaTopicState::default()
                .with_topic_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partition_states(states)
        })
        .collect();
    Some(
        StopReplicaRequest::default()
            .with_controller_id(BrokerId(controller_id))
            .with_is_k_raft_controller(false)
            .with_controller_epoch(ctx.epoch)
            .with_broker_epoch(broker_epoch)
            .with_topic_states(topic_states),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::LeaderIsrAndControllerEpoch;
    use crate::zk::znodes::BrokerInfo;

    /// Kafka `addStopReplicaRequestForBrokers`: StopReplica v4 groups partitions by topic,
    /// carries the cached leader epoch (or -1) and the target broker's epoch; a dead broker gets
    /// nothing.
    #[test]
    fn stop_replica_carries_leader_epochs() {
        let mut ctx = ControllerContext::default();
        ctx.epoch = 7;
        ctx.set_live_brokers(
            [(2, (BrokerInfo::new(2, vec![], None, -1, 0), 42))]
                .into_iter()
                .collect(),
        );
        let a0 = TopicPartition::new("a", 0);
        let mut l = LeaderAndIsr::new(1, vec![1, 2]);
        l.leader_epoch = 5;
        ctx.partition_leadership.insert(
            a0.clone(),
            LeaderIsrAndControllerEpoch {
                leader_and_isr: l,
                controller_epoch: 7,
            },
        );
        let parts: BTreeSet<TopicPartition> = [a0, TopicPartition::new("a", 1)].into();
        let r = stop_replica_request(1, &ctx, 2, &parts).unwrap();
        assert_eq!((r.controller_epoch, r.broker_epoch), (7, 42));
        assert_eq!(r.topic_states.len(), 1);
        let epochs: Vec<(i32, i32, bool)> = r.topic_states[0]
            .partition_states
            .iter()
            .map(|p| (p.partition_index, p.leader_epoch, p.delete_partition))
            .collect();
        assert_eq!(epochs, vec![(0, 5, false), (1, -1, false)]);
        assert!(stop_replica_request(1, &ctx, 3, &parts).is_none());
    }
}
