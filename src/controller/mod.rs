//! `KafkaController`: election, the controller event loop and its state machines.
//!
//! Every broker runs a `KafkaController`; the one that wins `/controller` is *active*. All
//! controller work happens on one task that owns [`ControllerContext`]; ZooKeeper watches only
//! enqueue [`ControllerEvent`]s ([`event_manager`]). Kafka: `kafka.controller`.

pub mod alter_partition;
pub mod broker_failure;
pub mod broker_request_batch;
pub mod channel_manager;
pub mod controlled_shutdown;
pub mod controller_config;
pub mod controller_context;
pub mod controller_event;
pub mod election;
pub mod event_manager;
pub mod kafka_controller;
pub mod log_dir_event;
pub mod offline_replica;
pub mod partition_election;
pub mod partition_state;
pub mod partition_state_machine;
pub mod preferred_election;
pub mod producer_id_block;
pub mod replica_state;
pub mod request_batch;

pub use controller_config::ControllerConfig;
pub use controller_context::ControllerContext;
pub use controller_event::ControllerEvent;
pub use event_manager::{ControllerEventSender, CONTROLLER_EVENT_QUEUE_CAPACITY};
pub use kafka_controller::{ControllerHandle, KafkaController};
