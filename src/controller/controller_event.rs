//! `ControllerEvent`: everything the controller's single event loop processes.
//!
//! Kafka: the `ControllerEvent` case objects/classes at the end of `KafkaController.scala`.
//! ZooKeeper watch handlers and session handlers only *create* these; all ZooKeeper reads and
//! writes happen while processing them (which also re-arms the one-shot watches).

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::{
    AlterPartitionRequest, AlterPartitionResponse, LeaderAndIsrResponse,
};
use tokio::sync::oneshot;

use super::election::ElectionType;
use crate::cluster::TopicPartition;
use crate::zk::znodes::ProducerIdsBlock;

/// Per-partition answer of a replica leader election: the new (or expected) leader, or Kafka's
/// error code with an optional message. Kafka: `ElectLeadersCallback`'s `Either[ApiError, Int]`.
pub type ElectionResults = BTreeMap<TopicPartition, Result<i32, (i16, Option<String>)>>;

/// Who asked for a replica leader election. Kafka: `ElectionTrigger`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionTrigger {
    /// `/admin/preferred_replica_election` was created. Kafka: `ZkTriggered`.
    Zk,
    /// The ElectLeaders API. Kafka: `AdminClientTriggered`.
    AdminClient,
    /// The auto-rebalance task. Kafka: `AutoTriggered`.
    Auto,
}

/// One unit of controller work.
#[derive(Debug)]
pub enum ControllerEvent {
    /// Register the `/controller` watch and run the first election. Kafka: `Startup`.
    Startup,
    /// `/controller` was created or changed: resign if it is no longer us. Kafka: `ControllerChange`.
    ControllerChange,
    /// `/controller` was deleted: resign if needed, then elect. Kafka: `Reelect`.
    Reelect,
    /// `/brokers/ids` children changed. Kafka: `BrokerChange`.
    BrokerChange,
    /// `/brokers/ids/<id>` data changed (endpoints/features). Kafka: `BrokerModifications`.
    BrokerModifications { broker_id: i32 },
    /// `/brokers/topics` children changed: new topics to create partitions for. Kafka:
    /// `TopicChange`.
    TopicChange,
    /// `/admin/delete_topics` children changed. Kafka: `TopicDeletion`.
    TopicDeletion,
    /// `/brokers/topics/<t>` data changed (partitions added). Kafka: `PartitionModifications`.
    PartitionModifications { topic: String },
    /// A broker answered a deleting StopReplica: per-partition error codes. Kafka:
    /// `TopicDeletionStopReplicaResponseReceived`.
    TopicDeletionStopReplicaResponseReceived {
        broker_id: i32,
        errors: Vec<(crate::cluster::TopicPartition, i16)>,
    },
    /// The ZooKeeper session expired: resign and forget state. Kafka: `Expire`.
    Expire,
    /// A new session exists: re-create `/brokers/ids/<id>` (new broker epoch) and re-elect.
    /// Kafka: `RegisterBrokerAndReelect`.
    RegisterBrokerAndReelect,
    /// Stop the event loop (resigning first if active). Kafka: `KafkaController.shutdown`.
    Shutdown,
    /// A partition leader proposes a new ISR. Kafka: `AlterPartitionReceived`.
    AlterPartition {
        request: AlterPartitionRequest,
        version: i16,
        respond: oneshot::Sender<AlterPartitionResponse>,
    },
    /// A broker asks to shut down: move its leaderships away, answer with what it still
    /// leads, or Kafka's error code. Kafka: `ControlledShutdown`.
    ControlledShutdown {
        broker_id: i32,
        broker_epoch: i64,
        respond: oneshot::Sender<Result<BTreeSet<TopicPartition>, i16>>,
    },
    /// A broker asks for a block of producer ids. Kafka: `AllocateProducerIds`.
    AllocateProducerIds {
        broker_id: i32,
        broker_epoch: i64,
        respond: oneshot::Sender<Result<ProducerIdsBlock, i16>>,
    },
    /// Preferred or unclean election for `partitions` (`None`: read them from
    /// `/admin/preferred_replica_election`). Kafka: `ReplicaLeaderElection`.
    ReplicaLeaderElection {
        partitions: Option<BTreeSet<TopicPartition>>,
        election_type: ElectionType,
        trigger: ElectionTrigger,
        respond: Option<oneshot::Sender<ElectionResults>>,
    },
    /// The periodic leader-imbalance check. Kafka: `AutoPreferredReplicaLeaderElection`.
    AutoPreferredReplicaLeaderElection,
    /// `/log_dir_event_notification` children changed: a broker's log dir failed. Kafka:
    /// `LogDirEventNotification`.
    LogDirEventNotification,
    /// A broker answered a LeaderAndIsr: replicas it reports KAFKA_STORAGE_ERROR for go offline.
    /// Kafka: `LeaderAndIsrResponseReceived`.
    LeaderAndIsrResponseReceived {
        broker_id: i32,
        response: LeaderAndIsrResponse,
    },
}

impl ControllerEvent {
    /// Kafka's `ControllerState` name for the event, used in logs.
    pub fn name(&self) -> &'static str {
        match self {
            ControllerEvent::Startup => "Startup",
            ControllerEvent::ControllerChange => "ControllerChange",
            ControllerEvent::Reelect => "Reelect",
            ControllerEvent::BrokerChange => "BrokerChange",
            ControllerEvent::BrokerModifications { .. } => "BrokerModifications",
            ControllerEvent::TopicChange => "TopicChange",
            ControllerEvent::TopicDeletion => "TopicDeletion",
            ControllerEvent::PartitionModifications { .. } => "PartitionModifications",
            ControllerEvent::TopicDeletionStopReplicaResponseReceived { .. } => {
                "TopicDeletionStopReplicaResponseReceived"
            }
            ControllerEvent::Expire => "Expire",
            ControllerEvent::RegisterBrokerAndReelect => "RegisterBrokerAndReelect",
            ControllerEvent::Shutdown => "Shutdown",
            ControllerEvent::AlterPartition { .. } => "AlterPartitionReceived",
            ControllerEvent::ControlledShutdown { .. } => "ControlledShutdown",
            ControllerEvent::AllocateProducerIds { .. } => "AllocateProducerIds",
            ControllerEvent::ReplicaLeaderElection { .. } => "ReplicaLeaderElection",
            ControllerEvent::AutoPreferredReplicaLeaderElection => {
                "AutoPreferredReplicaLeaderElection"
            }
            ControllerEvent::LogDirEventNotification => "LogDirChange",
            ControllerEvent::LeaderAndIsrResponseReceived { .. } => "LeaderAndIsrResponseReceived",
        }
    }
}
