//! `ControllerEvent`: everything the controller's single event loop processes.
//!
//! Kafka: the `ControllerEvent` case objects/classes at the end of `KafkaController.scala`.
//! ZooKeeper watch handlers and session handlers only *create* these; all ZooKeeper reads and
//! writes happen while processing them (which also re-arms the one-shot watches).

/// One unit of controller work. Later issues add topic, partition, ISR and API events.
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
        }
    }
}
