//! `ControllerContext`: the controller's view of the cluster, owned by the event-loop task.
//!
//! Kafka: `kafka.controller.ControllerContext`. Only the controller event loop reads or writes
//! it (no locks); other tasks learn about it through events. Partition assignments, leadership
//! and replica states join it in later issues.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::{LeaderIsrAndControllerEpoch, TopicPartition};
use crate::zk::controller_election::{
    INITIAL_CONTROLLER_EPOCH, INITIAL_CONTROLLER_EPOCH_ZK_VERSION,
};
use crate::zk::znodes::BrokerInfo;

/// The active controller's state of the world.
#[derive(Debug)]
pub struct ControllerContext {
    /// The controller epoch this controller won (`/controller_epoch`).
    pub epoch: i32,
    /// `/controller_epoch`'s zkVersion after our election: the fence for every controller write.
    pub epoch_zk_version: i32,
    /// Live brokers: id → registration.
    live_brokers: BTreeMap<i32, BrokerInfo>,
    /// Live brokers' epochs (czxid of `/brokers/ids/<id>`).
    live_broker_epochs: BTreeMap<i32, i64>,
    /// Brokers that asked for controlled shutdown (still registered).
    pub shutting_down_broker_ids: BTreeSet<i32>,
    /// Topic ids from `/brokers/topics/<t>` (`topic_id`, Kafka `Uuid.toString`).
    pub topic_ids: BTreeMap<String, String>,
    /// Replica assignment of every partition. Kafka: `partitionAssignments`.
    pub partition_assignments: BTreeMap<TopicPartition, Vec<i32>>,
    /// Leader, ISR and partition epoch from each `.../partitions/<p>/state` znode. Kafka:
    /// `partitionLeadershipInfo`.
    pub partition_leadership: BTreeMap<TopicPartition, LeaderIsrAndControllerEpoch>,
    /// Replicas a live broker reported KAFKA_STORAGE_ERROR for (their log dir failed): broker →
    /// partitions. Kafka: `replicasOnOfflineDirs`, filled from LeaderAndIsr responses and
    /// forgotten when the broker starts or dies.
    pub replicas_on_offline_dirs: BTreeMap<i32, BTreeSet<TopicPartition>>,
    /// Topics queued for deletion (mirrors the deletion manager's queue so elections skip
    /// them). Kafka: `ControllerContext.topicsToBeDeleted`.
    pub topics_to_be_deleted: BTreeSet<String>,
}

impl Default for ControllerContext {
    fn default() -> Self {
        ControllerContext {
            epoch: INITIAL_CONTROLLER_EPOCH,
            epoch_zk_version: INITIAL_CONTROLLER_EPOCH_ZK_VERSION,
            live_brokers: BTreeMap::new(),
            live_broker_epochs: BTreeMap::new(),
            shutting_down_broker_ids: BTreeSet::new(),
            topic_ids: BTreeMap::new(),
            partition_assignments: BTreeMap::new(),
            partition_leadership: BTreeMap::new(),
            replicas_on_offline_dirs: BTreeMap::new(),
            topics_to_be_deleted: BTreeSet::new(),
        }
    }
}

impl ControllerContext {
    /// Kafka: `ControllerContext.setLiveBrokers`.
    pub fn set_live_brokers(&mut self, brokers: BTreeMap<i32, (BrokerInfo, i64)>) {
        self.live_brokers.clear();
        self.live_broker_epochs.clear();
        self.add_live_brokers(brokers);
    }

    /// Kafka: `ControllerContext.addLiveBrokers`.
    pub fn add_live_brokers(&mut self, brokers: BTreeMap<i32, (BrokerInfo, i64)>) {
        for (id, (info, epoch)) in brokers {
            self.live_brokers.insert(id, info);
            self.live_broker_epochs.insert(id, epoch);
        }
    }

    /// Kafka: `ControllerContext.removeLiveBrokers`.
    pub fn remove_live_brokers(&mut self, ids: &BTreeSet<i32>) {
        for id in ids {
            self.live_brokers.remove(id);
            self.live_broker_epochs.remove(id);
        }
    }

    /// Kafka: `ControllerContext.updateBrokerMetadata`.
    pub fn update_broker_metadata(&mut self, info: BrokerInfo) {
        self.live_brokers.insert(info.id, info);
    }

    /// Live brokers not shutting down. Kafka: `liveBrokerIds`.
    pub fn live_broker_ids(&self) -> BTreeSet<i32> {
        self.live_brokers
            .keys()
            .copied()
            .filter(|id| !self.shutting_down_broker_ids.contains(id))
            .collect()
    }

    /// Kafka: `liveOrShuttingDownBrokerIds`.
    pub fn live_or_shutting_down_broker_ids(&self) -> BTreeSet<i32> {
        self.live_brokers.keys().copied().collect()
    }

    /// Kafka: `liveBrokerIdAndEpochs`.
    pub fn live_broker_id_and_epochs(&self) -> &BTreeMap<i32, i64> {
        &self.live_broker_epochs
    }

    pub fn live_broker(&self, id: i32) -> Option<&BrokerInfo> {
        self.live_brokers.get(&id)
    }

    pub fn live_brokers(&self) -> impl Iterator<Item = &BrokerInfo> {
        self.live_brokers.values()
    }

    /// Whether `broker`'s replica of `tp` is in a failed log dir. The `!` of the second half of
    /// Kafka's `isReplicaOnline` (the first half, broker liveness, callers check with the live
    /// set that fits them).
    pub fn is_replica_on_offline_dir(&self, broker: i32, tp: &TopicPartition) -> bool {
        self.replicas_on_offline_dirs
            .get(&broker)
            .is_some_and(|tps| tps.contains(tp))
    }

    /// Topics the controller knows. Kafka: `allTopics`.
    pub fn all_topics(&self) -> BTreeSet<String> {
        self.partition_assignments
            .keys()
            .map(|tp| tp.topic.clone())
            .collect()
    }

    /// Forget everything (resignation). Kafka: `ControllerContext.resetContext`.
    pub fn reset_context(&mut self) {
        *self = ControllerContext::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: i32) -> BrokerInfo {
        BrokerInfo::new(id, vec![], None, -1, 0)
    }

    /// Kafka's context bookkeeping: live vs shutting-down ids, epochs per broker, reset.
    #[test]
    fn live_broker_bookkeeping() {
        let mut c = ControllerContext::default();
        c.set_live_brokers(
            [(1, (info(1), 10)), (2, (info(2), 20))]
                .into_iter()
                .collect(),
        );
        c.shutting_down_broker_ids.insert(2);
        assert_eq!(c.live_broker_ids(), [1].into_iter().collect());
        assert_eq!(
            c.live_or_shutting_down_broker_ids(),
            [1, 2].into_iter().collect()
        );
        c.add_live_brokers([(2, (info(2), 30))].into_iter().collect());
        assert_eq!(c.live_broker_id_and_epochs()[&2], 30);
        c.remove_live_brokers(&[1].into_iter().collect());
        assert!(c.live_broker(1).is_none());
        c.epoch = 5;
        c.reset_context();
        assert_eq!((c.epoch, c.live_brokers().count()), (0, 0));
    }
}
