//! `KafkaController`: the election on `/controller`, failover/resignation, and broker
//! membership tracking — all on one event-loop task.
//!
//! Kafka: `kafka.controller.KafkaController` (3.9): `startup`, `processStartup`, `elect`,
//! `maybeResign`, `triggerControllerMove`, `processReelect`, `processExpire`,
//! `processRegisterBrokerAndReelect`, `onControllerFailover`, `onControllerResignation`,
//! `processBrokerChange`, `processBrokerModification`, and the `ControllerChangeHandler`,
//! `BrokerChangeHandler`, `BrokerModificationsHandler` watch handlers.
//!
//! Partition and replica state machines, the controller channel manager and topic handling slot
//! into `on_controller_failover`, `on_controller_resignation`, `on_broker_startup` and
//! `on_broker_failure` (marked "slot" below) in later issues.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::channel_manager::ControllerChannelManager;
use super::controller_config::ControllerConfig;
use super::controller_context::ControllerContext;
use super::controller_event::ControllerEvent;
use super::event_manager::{self, ControllerEventSender};
use super::partition_state_machine as psm;
use super::request_batch;
use crate::apis::BrokerEpoch;
use crate::cluster::endpoint::format_address;
use crate::cluster::TopicPartition;
use crate::zk::client::{ZNodeChangeHandler, ZNodeChildChangeHandler};
use crate::zk::znodes::{BrokerIdZNode, BrokerIdsZNode, BrokerInfo, ControllerZNode, TopicsZNode};
use crate::zk::{KafkaZkClient, SessionEvent, ZkError};

/// How long `shutdown` waits for the event loop to finish its current event and resign.
/// Why 10 s: one ZooKeeper round trip plus resignation takes milliseconds; longer means the
/// loop is stuck waiting for an unreachable ZooKeeper.
pub const CONTROLLER_SHUTDOWN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Name of the session handler the controller registers. Kafka: `KafkaController.stateChangeHandler`.
const STATE_CHANGE_HANDLER_NAME: &str = "controller-state-change-handler";

/// What other tasks may read about the controller (atomics; written only by the event loop,
/// except `expirations`, bumped by the session handler).
#[derive(Debug)]
struct ControllerStatus {
    /// Kafka: `activeControllerId` (-1 = unknown).
    active_controller_id: AtomicI32,
    /// This broker's epoch (czxid of its registration). Kafka: `KafkaController.brokerEpoch`.
    broker_epoch: AtomicI64,
    /// Our controller epoch while active, else the last one we knew.
    controller_epoch: AtomicI32,
    /// Session expirations announced by the ZooKeeper supervisor. The loop compares it with the
    /// ones it has handled, so events queued before an expiry are processed as a non-controller
    /// (Kafka clears the queue before `Expire` instead; an mpsc queue cannot be cleared by senders).
    expirations: AtomicU64,
}

/// Handle to this broker's controller module.
pub struct KafkaController {
    broker_id: i32,
    events: ControllerEventSender,
    status: Arc<ControllerStatus>,
    zk: Arc<KafkaZkClient>,
    task: Option<JoinHandle<()>>,
}

impl KafkaController {
    /// Registers the session handler, enqueues `Startup` and starts the event loop, with
    /// Kafka's default controller settings. Kafka: `KafkaController.startup`.
    pub fn startup(
        zk: Arc<KafkaZkClient>,
        broker_info: BrokerInfo,
        broker_epoch: i64,
        inter_broker_listener_name: String,
        broker_epoch_cell: Arc<BrokerEpoch>,
    ) -> KafkaController {
        Self::startup_with_config(
            zk,
            broker_info,
            broker_epoch,
            inter_broker_listener_name,
            broker_epoch_cell,
            ControllerConfig::default(),
        )
    }

    /// [`KafkaController::startup`] with the broker's controller settings (unclean election,
    /// auto leader rebalance).
    pub fn startup_with_config(
        zk: Arc<KafkaZkClient>,
        broker_info: BrokerInfo,
        broker_epoch: i64,
        inter_broker_listener_name: String,
        broker_epoch_cell: Arc<BrokerEpoch>,
        config: ControllerConfig,
    ) -> KafkaController {
        let (events, rx) = event_manager::channel();
        let status = Arc::new(ControllerStatus {
            active_controller_id: AtomicI32::new(-1),
            broker_epoch: AtomicI64::new(broker_epoch),
            controller_epoch: AtomicI32::new(0),
            expirations: AtomicU64::new(0),
        });
        {
            let events = events.clone();
            let status = Arc::clone(&status);
            zk.register_state_change_handler(
                STATE_CHANGE_HANDLER_NAME,
                Arc::new(move |e: SessionEvent| match e {
                    SessionEvent::Expired => {
                        status.expirations.fetch_add(1, Ordering::SeqCst);
                        events.put(ControllerEvent::Expire);
                    }
                    SessionEvent::Reinitialized => {
                        events.put(ControllerEvent::RegisterBrokerAndReelect)
                    }
                }),
            );
        }
        events.put(ControllerEvent::Startup);
        let broker_id = broker_info.id;
        let event_loop = ControllerEventLoop {
            broker_id,
            broker_info,
            zk: Arc::clone(&zk),
            events: events.clone(),
            status: Arc::clone(&status),
            ctx: ControllerContext::default(),
            handled_expirations: 0,
            broker_modification_handlers: BTreeSet::new(),
            inter_broker_listener_name,
            channel: None,
            broker_epoch_cell,
            config,
            rebalance_task: None,
            topic_deletion: Default::default(),
        };
        let task = tokio::spawn(event_loop.run(rx));
        KafkaController {
            broker_id,
            events,
            status,
            zk,
            task: Some(task),
        }
    }

    /// Whether this broker is the active controller.
    pub fn is_active(&self) -> bool {
        self.status.active_controller_id.load(Ordering::SeqCst) == self.broker_id
    }

    /// The active controller's id as last seen, if any.
    pub fn active_controller_id(&self) -> Option<i32> {
        let id = self.status.active_controller_id.load(Ordering::SeqCst);
        (id >= 0).then_some(id)
    }

    /// This broker's current epoch (changes after a session re-initialisation).
    pub fn broker_epoch(&self) -> i64 {
        self.status.broker_epoch.load(Ordering::SeqCst)
    }

    /// The controller epoch this broker holds (meaningful while active).
    pub fn controller_epoch(&self) -> i32 {
        self.status.controller_epoch.load(Ordering::SeqCst)
    }

    /// A handle for enqueueing events (API handlers in later issues).
    pub fn event_sender(&self) -> ControllerEventSender {
        self.events.clone()
    }

    /// A cloneable view for request handlers: "am I the active controller?" and a way to
    /// enqueue events (CreateTopics, AlterPartition, ControlledShutdown ... are answered only by
    /// the active controller, as in Kafka's `KafkaApis` with `zkSupport.controller`).
    pub fn handle(&self) -> ControllerHandle {
        ControllerHandle {
            broker_id: self.broker_id,
            events: self.events.clone(),
            status: Arc::clone(&self.status),
        }
    }

    /// Stops the event loop, resigning first if active. Kafka: `KafkaController.shutdown`.
    ///
    /// The loop may be inside a ZooKeeper retry (ZooKeeper unreachable); after
    /// [`CONTROLLER_SHUTDOWN_TIMEOUT`] the task is aborted so the broker can still exit (its
    /// ephemerals then go with the session).
    pub async fn shutdown(mut self) {
        self.zk
            .unregister_state_change_handler(STATE_CHANGE_HANDLER_NAME);
        if let Some(mut task) = self.task.take() {
            let stopped = tokio::time::timeout(CONTROLLER_SHUTDOWN_TIMEOUT, async {
                self.events.put_async(ControllerEvent::Shutdown).await;
                let _ = (&mut task).await;
            })
            .await;
            if stopped.is_err() {
                tracing::warn!(
                    "Controller event loop did not stop within {} s; aborting it",
                    CONTROLLER_SHUTDOWN_TIMEOUT.as_secs()
                );
                task.abort();
            }
        }
    }
}

/// What `KafkaApis` holds of the controller: cheap to clone, never blocks.
#[derive(Clone)]
pub struct ControllerHandle {
    broker_id: i32,
    events: ControllerEventSender,
    status: Arc<ControllerStatus>,
}

impl ControllerHandle {
    /// Whether this broker is the active controller right now.
    pub fn is_active(&self) -> bool {
        self.status.active_controller_id.load(Ordering::SeqCst) == self.broker_id
    }

    /// The controller epoch this broker holds (meaningful while active).
    pub fn controller_epoch(&self) -> i32 {
        self.status.controller_epoch.load(Ordering::SeqCst)
    }

    /// Enqueues events for the controller's event loop.
    pub fn event_sender(&self) -> ControllerEventSender {
        self.events.clone()
    }
}

/// Topic deletion and partition additions (Kafka's `TopicDeletionManager`,
/// `processPartitionModifications`), kept in their own file.
#[path = "topic_deletion.rs"]
mod topic_deletion;

/// The single task that owns `ControllerContext`.
struct ControllerEventLoop {
    broker_id: i32,
    broker_info: BrokerInfo,
    zk: Arc<KafkaZkClient>,
    /// For watch handlers created while processing (they only enqueue).
    events: ControllerEventSender,
    status: Arc<ControllerStatus>,
    ctx: ControllerContext,
    handled_expirations: u64,
    /// Broker ids with a registered `/brokers/ids/<id>` modification handler.
    broker_modification_handlers: BTreeSet<i32>,
    /// The listener the controller uses to reach brokers (`inter.broker.listener.name`; Kafka
    /// prefers `control.plane.listener.name` when set, which we do not support yet).
    inter_broker_listener_name: String,
    /// Connections to live brokers; `Some` only while active. Kafka: `controllerChannelManager`.
    channel: Option<ControllerChannelManager>,
    /// The broker epoch `KafkaApis` fences control requests with; updated on re-registration.
    broker_epoch_cell: Arc<BrokerEpoch>,
    /// Unclean election and auto-rebalance settings.
    config: ControllerConfig,
    /// The pending auto-rebalance tick (`Some` while active with auto-rebalance on).
    rebalance_task: Option<JoinHandle<()>>,
    /// Topics queued for deletion, replica deletion states, per-topic data watches.
    topic_deletion: topic_deletion::TopicDeletionState,
}

mod log_dir_events;
mod replication_events;

/// Kafka: `ControllerChangeHandler` — every broker watches `/controller`.
struct ControllerChangeHandler(ControllerEventSender);

impl ZNodeChangeHandler for ControllerChangeHandler {
    fn path(&self) -> String {
        ControllerZNode::PATH.to_string()
    }
    fn handle_creation(&self) {
        self.0.put(ControllerEvent::ControllerChange);
    }
    fn handle_deletion(&self) {
        self.0.put(ControllerEvent::Reelect);
    }
    fn handle_data_change(&self) {
        self.0.put(ControllerEvent::ControllerChange);
    }
}

/// Kafka: `BrokerChangeHandler` — the active controller's child watch on `/brokers/ids`.
struct BrokerChangeHandler(ControllerEventSender);

impl ZNodeChildChangeHandler for BrokerChangeHandler {
    fn path(&self) -> String {
        BrokerIdsZNode::PATH.to_string()
    }
    fn handle_child_change(&self) {
        self.0.put(ControllerEvent::BrokerChange);
    }
}

/// Kafka: `TopicChangeHandler` — the active controller's child watch on `/brokers/topics`.
struct TopicChangeHandler(ControllerEventSender);

impl ZNodeChildChangeHandler for TopicChangeHandler {
    fn path(&self) -> String {
        TopicsZNode::PATH.to_string()
    }
    fn handle_child_change(&self) {
        self.0.put(ControllerEvent::TopicChange);
    }
}

/// Kafka: `BrokerModificationsHandler` — data watch on one `/brokers/ids/<id>`.
struct BrokerModificationsHandler {
    broker_id: i32,
    events: ControllerEventSender,
}

impl ZNodeChangeHandler for BrokerModificationsHandler {
    fn path(&self) -> String {
        BrokerIdZNode::path(self.broker_id)
    }
    fn handle_data_change(&self) {
        self.events.put(ControllerEvent::BrokerModifications {
            broker_id: self.broker_id,
        });
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn join_ids(ids: &BTreeSet<i32>) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl ControllerEventLoop {
    async fn run(mut self, mut rx: mpsc::Receiver<ControllerEvent>) {
        while let Some(event) = rx.recv().await {
            let name = event.name();
            // An expiry announced after this event was queued: act on it first (see
            // `ControllerStatus::expirations`).
            if !matches!(event, ControllerEvent::Shutdown) {
                self.maybe_process_expire();
            }
            let result = match event {
                ControllerEvent::Startup => self.process_startup().await,
                ControllerEvent::ControllerChange => self.maybe_resign().await,
                ControllerEvent::Reelect => self.process_reelect().await,
                ControllerEvent::BrokerChange => self.process_broker_change().await,
                ControllerEvent::TopicChange => self.process_topic_change().await,
                ControllerEvent::BrokerModifications { broker_id } => {
                    self.process_broker_modification(broker_id).await
                }
                ControllerEvent::TopicDeletion => self.process_topic_deletion().await,
                ControllerEvent::PartitionModifications { topic } => {
                    self.process_partition_modifications(&topic).await
                }
                ControllerEvent::TopicDeletionStopReplicaResponseReceived { broker_id, errors } => {
                    self.process_topic_deletion_stop_replica_response(broker_id, errors)
                        .await
                }
                // Already handled by `maybe_process_expire` above.
                ControllerEvent::Expire => Ok(()),
                ControllerEvent::RegisterBrokerAndReelect => {
                    self.process_register_broker_and_reelect().await
                }
                e @ (ControllerEvent::AlterPartition { .. }
                | ControllerEvent::ControlledShutdown { .. }
                | ControllerEvent::AllocateProducerIds { .. }
                | ControllerEvent::ReplicaLeaderElection { .. }
                | ControllerEvent::AutoPreferredReplicaLeaderElection) => {
                    self.process_replication_event(e).await
                }
                e @ (ControllerEvent::LogDirEventNotification
                | ControllerEvent::LeaderAndIsrResponseReceived { .. }) => {
                    self.process_log_dir_event(e).await
                }
                ControllerEvent::Shutdown => {
                    if self.is_active() {
                        self.on_controller_resignation();
                    }
                    self.zk
                        .unregister_znode_change_handler(ControllerZNode::PATH);
                    self.status.active_controller_id.store(-1, Ordering::SeqCst);
                    tracing::info!("Controller event loop stopped");
                    return;
                }
            };
            // Kafka: ControllerEventThread.process — ControllerMovedException → maybeResign.
            match result {
                Ok(()) => {}
                Err(ZkError::ControllerMoved(msg)) => {
                    tracing::info!(
                        "Controller moved to another broker when processing {name}: {msg}"
                    );
                    if let Err(e) = self.maybe_resign().await {
                        tracing::error!(
                            "Error processing {name} (resign after controller move): {e}"
                        );
                    }
                }
                Err(ZkError::Closed) => tracing::debug!("Skipped {name}: ZooKeeper client closed"),
                Err(e) => tracing::error!("Error processing event {name}: {e}"),
            }
        }
    }

    fn is_active(&self) -> bool {
        self.status.active_controller_id.load(Ordering::SeqCst) == self.broker_id
    }

    fn set_active_controller_id(&self, id: i32) {
        self.status.active_controller_id.store(id, Ordering::SeqCst);
    }

    /// Kafka: `processStartup`.
    async fn process_startup(&mut self) -> Result<(), ZkError> {
        self.zk
            .register_znode_change_handler_and_check_existence(Arc::new(ControllerChangeHandler(
                self.events.clone(),
            )))
            .await?;
        self.elect().await
    }

    /// Kafka: `elect`.
    async fn elect(&mut self) -> Result<(), ZkError> {
        let current = self.zk.get_controller_id().await?.unwrap_or(-1);
        self.set_active_controller_id(current);
        if current != -1 {
            tracing::debug!("Broker {current} has been elected as the controller, so stopping the election process.");
            return Ok(());
        }
        match self
            .zk
            .register_controller_and_increment_controller_epoch(self.broker_id, now_ms())
            .await
        {
            Ok((epoch, epoch_zk_version)) => {
                self.ctx.epoch = epoch;
                self.ctx.epoch_zk_version = epoch_zk_version;
                self.status.controller_epoch.store(epoch, Ordering::SeqCst);
                self.set_active_controller_id(self.broker_id);
                tracing::info!(
                    "{} successfully elected as the controller. Epoch incremented to {epoch} and epoch zk version is now {epoch_zk_version}",
                    self.broker_id
                );
                if let Err(e) = self.on_controller_failover().await {
                    if matches!(e, ZkError::ControllerMoved(_)) {
                        return Err(e);
                    }
                    tracing::error!(
                        "Error while electing or becoming controller on broker {}. Trigger controller movement immediately: {e}",
                        self.broker_id
                    );
                    self.trigger_controller_move().await;
                }
                Ok(())
            }
            Err(ZkError::ControllerMoved(msg)) => {
                self.maybe_resign().await?;
                let active = self.status.active_controller_id.load(Ordering::SeqCst);
                if active != -1 {
                    tracing::debug!(
                        "Broker {active} was elected as controller instead of broker {}: {msg}",
                        self.broker_id
                    );
                } else {
                    tracing::warn!("A controller has been elected but just resigned, this will result in another round of election: {msg}");
                }
                Ok(())
            }
            Err(ZkError::Closed) => Err(ZkError::Closed),
            Err(e) => {
                tracing::error!(
                    "Error while electing or becoming controller on broker {}. Trigger controller movement immediately: {e}",
                    self.broker_id
                );
                self.trigger_controller_move().await;
                Ok(())
            }
        }
    }

    /// Kafka: `maybeResign` — re-arm the `/controller` watch, read who is controller, resign if
    /// we were active and no longer are.
    async fn maybe_resign(&mut self) -> Result<(), ZkError> {
        let was_active = self.is_active();
        self.zk
            .register_znode_change_handler_and_check_existence(Arc::new(ControllerChangeHandler(
                self.events.clone(),
            )))
            .await?;
        let current = self.zk.get_controller_id().await?.unwrap_or(-1);
        self.set_active_controller_id(current);
        if was_active && !self.is_active() {
            self.on_controller_resignation();
        }
        Ok(())
    }

    /// Kafka: `processReelect`.
    async fn process_reelect(&mut self) -> Result<(), ZkError> {
        self.maybe_resign().await?;
        self.elect().await
    }

    /// Kafka: `processExpire`, run once per announced expiry.
    fn maybe_process_expire(&mut self) {
        let announced = self.status.expirations.load(Ordering::SeqCst);
        if announced == self.handled_expirations {
            return;
        }
        self.handled_expirations = announced;
        let was_active = self.is_active();
        self.set_active_controller_id(-1);
        if was_active {
            self.on_controller_resignation();
        }
    }

    /// Kafka: `processRegisterBrokerAndReelect` — new session: new registration (new epoch).
    async fn process_register_broker_and_reelect(&mut self) -> Result<(), ZkError> {
        let mut info = self.broker_info.clone();
        info.timestamp_ms = now_ms();
        match self.zk.register_broker(&info).await {
            Ok(epoch) => {
                self.status.broker_epoch.store(epoch, Ordering::SeqCst);
                self.broker_epoch_cell.set(epoch);
                self.broker_info = info;
            }
            Err(crate::zk::broker_registration::RegisterBrokerError::Zk(e)) => return Err(e),
            Err(e) => {
                // Another broker took our id while we were expired. Kafka's event fails here
                // (no re-election); the broker stays up without a registration.
                tracing::error!("Re-registration after session expiry failed: {e}");
                return Ok(());
            }
        }
        self.process_reelect().await
    }

    /// Kafka: `triggerControllerMove` — resign and delete `/controller` (fenced) so another
    /// broker can win.
    async fn trigger_controller_move(&mut self) {
        let current = self
            .zk
            .get_controller_id()
            .await
            .ok()
            .flatten()
            .unwrap_or(-1);
        self.set_active_controller_id(current);
        if !self.is_active() {
            tracing::warn!(
                "Controller has already moved when trying to trigger controller movement"
            );
            return;
        }
        let expected = self.ctx.epoch_zk_version;
        self.set_active_controller_id(-1);
        self.on_controller_resignation();
        if let Err(e) = self.zk.delete_controller(expected).await {
            tracing::warn!(
                "Controller has already moved when trying to trigger controller movement: {e}"
            );
        }
    }

    /// Kafka: `onControllerFailover`.
    async fn on_controller_failover(&mut self) -> Result<(), ZkError> {
        // 1. Kafka: enableFeatureVersioning (IBP 3.9 ≥ 2.7-IV0). slot: wait for the broker's
        // FinalizedFeatureChangeListener to see the new epoch.
        self.zk.enable_feature_versioning().await?;
        tracing::info!("Registering handlers");
        self.zk
            .register_znode_child_change_handler(Arc::new(BrokerChangeHandler(
                self.events.clone(),
            )));
        // Kafka: LogDirEventNotificationHandler, then deleteLogDirEventNotifications.
        self.on_controller_failover_log_dirs().await?;
        // slot: TopicChangeHandler, TopicDeletionHandler, LogDirEventNotificationHandler,
        // IsrChangeNotificationHandler child watches; PreferredReplicaElectionHandler and
        // PartitionReassignmentHandler existence watches; delete pending notifications.
        tracing::info!("Initializing controller context");
        self.initialize_controller_context().await?;
        // slot: topic deletion manager init.
        // Kafka: "Sending update metadata request" to all live brokers before the state
        // machines start, so brokers learn the live broker list first.
        self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &[]);
        // Kafka: replicaStateMachine.startup() sends LeaderAndIsr for every partition to its
        // live replicas; partitionStateMachine.startup() moves New partitions Online.
        // slot: Offline partitions (dead leaders) are elected with issue 5.
        let existing: Vec<TopicPartition> = self.ctx.partition_leadership.keys().cloned().collect();
        self.send_leader_and_isr(&existing, false);
        let all: Vec<TopicPartition> = self.ctx.partition_assignments.keys().cloned().collect();
        let created = psm::initialize_new_partitions(&self.zk, &mut self.ctx, &all).await?;
        self.send_leader_and_isr(&created, true);
        let all: Vec<TopicPartition> = self.ctx.partition_leadership.keys().cloned().collect();
        self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &all);
        // Kafka: offline replicas and Offline partitions (dead leaders), pending preferred
        // elections, the auto-rebalance scheduler.
        self.on_controller_failover_replication().await?;
        // slot: resume reassignments / deletions.
        // Kafka: registerPartitionModificationsHandlers, topicDeletionManager.init, tryTopicDeletion.
        self.init_topic_lifecycle().await?;
        // slot: resume reassignments / preferred elections, auto-rebalance scheduler.
        tracing::info!(
            "Ready to serve as the new controller with epoch {} (live brokers: {})",
            self.ctx.epoch,
            join_ids(&self.ctx.live_or_shutting_down_broker_ids())
        );
        Ok(())
    }

    /// Kafka: `initializeControllerContext` (brokers part; topics/partitions come later).
    async fn initialize_controller_context(&mut self) -> Result<(), ZkError> {
        let brokers = self.zk.get_all_broker_and_epochs_in_cluster(true).await?;
        let ids: BTreeSet<i32> = brokers.keys().copied().collect();
        self.ctx.set_live_brokers(brokers);
        tracing::info!(
            "Initialized broker epochs cache: {:?}",
            self.ctx.live_broker_id_and_epochs()
        );
        self.register_broker_modifications_handlers(&ids).await?;
        // Kafka: controllerChannelManager.startup() — a sender per live broker.
        let mut channel = ControllerChannelManager::new(self.broker_id);
        channel.set_leader_and_isr_response_handler(self.leader_and_isr_response_handler());
        channel.set_inter_broker_client(self.config.inter_broker_client.clone());
        for id in &ids {
            if let Some(addr) = self.broker_address(*id) {
                channel.add_broker(*id, addr);
            }
        }
        self.channel = Some(channel);
        // Kafka: TopicChangeHandler, then every topic's assignment and partition state.
        self.zk
            .register_znode_child_change_handler(Arc::new(TopicChangeHandler(self.events.clone())));
        let topics: BTreeSet<String> = self
            .zk
            .get_children(TopicsZNode::PATH, true)
            .await?
            .unwrap_or_default()
            .into_iter()
            .collect();
        psm::read_topics(&self.zk, &mut self.ctx, &topics).await?;
        tracing::info!(
            "Initialized controller context with {} topics and {} partitions",
            topics.len(),
            self.ctx.partition_assignments.len()
        );
        // slot: per-topic PartitionModificationsHandler (CreatePartitions).
        Ok(())
    }

    /// Kafka: `onControllerResignation`.
    fn on_controller_resignation(&mut self) {
        tracing::debug!("Resigning");
        self.zk
            .unregister_znode_child_change_handler(BrokerIdsZNode::PATH);
        self.zk
            .unregister_znode_child_change_handler(TopicsZNode::PATH);
        let ids: Vec<i32> = self.broker_modification_handlers.iter().copied().collect();
        for id in ids {
            self.zk
                .unregister_znode_change_handler(&BrokerIdZNode::path(id));
        }
        self.broker_modification_handlers.clear();
        if let Some(mut channel) = self.channel.take() {
            channel.shutdown();
        }
        self.on_controller_resignation_replication();
        self.on_controller_resignation_log_dirs();
        // slot: shut down partition/replica state machines, topic deletion manager,
        self.reset_topic_lifecycle();
        // slot: shut down partition/replica state machines,
        // scheduler; unregister topic/partition handlers.
        self.ctx.reset_context();
        tracing::info!("Resigned as controller (broker {})", self.broker_id);
    }

    async fn register_broker_modifications_handlers(
        &mut self,
        ids: &BTreeSet<i32>,
    ) -> Result<(), ZkError> {
        for &id in ids {
            let handler = Arc::new(BrokerModificationsHandler {
                broker_id: id,
                events: self.events.clone(),
            });
            self.broker_modification_handlers.insert(id);
            self.zk
                .register_znode_change_handler_and_check_existence(handler)
                .await?;
        }
        Ok(())
    }

    fn unregister_broker_modifications_handlers(&mut self, ids: &BTreeSet<i32>) {
        for id in ids {
            self.broker_modification_handlers.remove(id);
            self.zk
                .unregister_znode_change_handler(&BrokerIdZNode::path(*id));
        }
    }

    /// Kafka: `processBrokerChange` — diff the registered brokers against the context.
    async fn process_broker_change(&mut self) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let current = self.zk.get_all_broker_and_epochs_in_cluster(true).await?;
        let current_ids: BTreeSet<i32> = current.keys().copied().collect();
        let known = self.ctx.live_or_shutting_down_broker_ids();
        let new_ids: BTreeSet<i32> = current_ids.difference(&known).copied().collect();
        let dead_ids: BTreeSet<i32> = known.difference(&current_ids).copied().collect();
        let bounced_ids: BTreeSet<i32> = current_ids
            .intersection(&known)
            .copied()
            .filter(|id| {
                current[id].1
                    > self
                        .ctx
                        .live_broker_id_and_epochs()
                        .get(id)
                        .copied()
                        .unwrap_or(i64::MAX)
            })
            .collect();
        tracing::info!(
            "Newly added brokers: {}, deleted brokers: {}, bounced brokers: {}, all live brokers: {}",
            join_ids(&new_ids),
            join_ids(&dead_ids),
            join_ids(&bounced_ids),
            join_ids(&current_ids)
        );
        let pick = |ids: &BTreeSet<i32>| -> BTreeMap<i32, (BrokerInfo, i64)> {
            current
                .iter()
                .filter(|(id, _)| ids.contains(id))
                .map(|(id, v)| (*id, v.clone()))
                .collect()
        };
        if !new_ids.is_empty() {
            self.ctx.add_live_brokers(pick(&new_ids));
            self.on_broker_startup(&new_ids).await?;
        }
        if !bounced_ids.is_empty() {
            self.ctx.remove_live_brokers(&bounced_ids);
            self.on_broker_failure(&bounced_ids).await?;
            self.ctx.add_live_brokers(pick(&bounced_ids));
            self.on_broker_startup(&bounced_ids).await?;
        }
        if !dead_ids.is_empty() {
            self.ctx.remove_live_brokers(&dead_ids);
            self.on_broker_failure(&dead_ids).await?;
        }
        if !(new_ids.is_empty() && dead_ids.is_empty() && bounced_ids.is_empty()) {
            tracing::info!(
                "Updated broker epochs cache: {:?}",
                self.ctx.live_broker_id_and_epochs()
            );
        }
        Ok(())
    }

    /// Kafka: `onBrokerStartup` (the membership part).
    async fn on_broker_startup(&mut self, ids: &BTreeSet<i32>) -> Result<(), ZkError> {
        tracing::info!("New broker startup callback for {}", join_ids(ids));
        self.forget_offline_dirs(ids);
        for &id in ids {
            if let (Some(addr), Some(channel)) = (self.broker_address(id), self.channel.as_mut()) {
                channel.add_broker(id, addr);
            }
        }
        // Kafka: UpdateMetadata (no partitions) to the existing brokers so they learn the new
        // ones, and UpdateMetadata with every partition to the new brokers.
        let existing: BTreeSet<i32> = self
            .ctx
            .live_or_shutting_down_broker_ids()
            .difference(ids)
            .copied()
            .collect();
        self.send_update_metadata(existing, &[]);
        let all: Vec<TopicPartition> = self.ctx.partition_leadership.keys().cloned().collect();
        self.send_update_metadata(ids.clone(), &all);
        // Kafka: the new brokers' replicas → OnlineReplica (LeaderAndIsr with the current
        // leader and ISR); the controller does not add them to any ISR, leaders do.
        let theirs: Vec<TopicPartition> = self
            .ctx
            .partition_assignments
            .iter()
            .filter(|(tp, replicas)| {
                self.ctx.partition_leadership.contains_key(*tp)
                    && replicas.iter().any(|r| ids.contains(r))
            })
            .map(|(tp, _)| tp.clone())
            .collect();
        self.send_leader_and_isr_to(&theirs, false, ids);
        // Kafka: triggerOnlinePartitionStateChange — partitions that had no live replica.
        let all: Vec<TopicPartition> = self.ctx.partition_assignments.keys().cloned().collect();
        let created = psm::initialize_new_partitions(&self.zk, &mut self.ctx, &all).await?;
        self.send_leader_and_isr(&created, true);
        self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &created);
        // Kafka: triggerOnlinePartitionStateChange also elects Offline partitions.
        self.on_broker_startup_replication().await?;
        // slot: resume reassignment/deletion.
        // Kafka: resume deletion of topics that waited for these brokers.
        self.resume_topic_deletions().await?;
        // slot: resume reassignment.
        self.register_broker_modifications_handlers(ids).await
    }

    /// Kafka: `onBrokerFailure` (the membership part).
    async fn on_broker_failure(&mut self, ids: &BTreeSet<i32>) -> Result<(), ZkError> {
        tracing::info!("Broker failure callback for {}", join_ids(ids));
        self.forget_offline_dirs(ids);
        self.fail_replica_deletions_on(ids);
        if let Some(channel) = self.channel.as_mut() {
            for &id in ids {
                channel.remove_broker(id);
            }
        }
        // Kafka: onReplicasBecomeOffline — elections for partitions the dead brokers led, their
        // replicas → OfflineReplica, UpdateMetadata to the survivors.
        let result = self.on_broker_failure_replication(ids).await;
        self.unregister_broker_modifications_handlers(ids);
        result
    }

    /// Kafka: `processBrokerModification`.
    async fn process_broker_modification(&mut self, broker_id: i32) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let Some((new, _epoch)) = self.zk.get_broker(broker_id, true).await? else {
            return Ok(());
        };
        if let Some(old) = self.ctx.live_broker(broker_id) {
            if old.endpoints != new.endpoints || old.features != new.features {
                tracing::info!("Updated broker metadata: {old:?} -> {new:?}");
                self.ctx.update_broker_metadata(new);
                if let (Some(addr), Some(channel)) =
                    (self.broker_address(broker_id), self.channel.as_mut())
                {
                    channel.add_broker(broker_id, addr);
                }
                // Kafka: onBrokerUpdate → UpdateMetadata to all live brokers.
                self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &[]);
            }
        }
        Ok(())
    }

    /// `host:port` of `broker_id`'s inter-broker listener, from its registration.
    fn broker_address(&self, broker_id: i32) -> Option<String> {
        let info = self.ctx.live_broker(broker_id)?;
        let endpoint = info
            .endpoints
            .iter()
            .find(|e| e.listener_name == self.inter_broker_listener_name);
        if endpoint.is_none() {
            tracing::warn!(
                "Broker {broker_id} has no endpoint for listener {}; the controller cannot reach it",
                self.inter_broker_listener_name
            );
        }
        endpoint.map(|e| format_address(&e.host, e.port))
    }

    /// Sends UpdateMetadata with the broker list and `partitions` to `broker_ids` (Kafka:
    /// `sendUpdateMetadataRequest`).
    fn send_update_metadata(&self, broker_ids: BTreeSet<i32>, partitions: &[TopicPartition]) {
        if let Some(channel) = &self.channel {
            request_batch::send_update_metadata(
                self.broker_id,
                &self.ctx,
                channel,
                broker_ids,
                partitions,
            );
        }
    }

    /// LeaderAndIsr for `partitions` to all their live replicas.
    fn send_leader_and_isr(&self, partitions: &[TopicPartition], is_new: bool) {
        let all = self.ctx.live_or_shutting_down_broker_ids();
        self.send_leader_and_isr_to(partitions, is_new, &all);
    }

    /// LeaderAndIsr for `partitions` to those of their live replicas in `brokers`.
    fn send_leader_and_isr_to(
        &self,
        partitions: &[TopicPartition],
        is_new: bool,
        brokers: &BTreeSet<i32>,
    ) {
        if let Some(channel) = &self.channel {
            psm::send_leader_and_isr(
                self.broker_id,
                &self.ctx,
                channel,
                &self.inter_broker_listener_name,
                partitions,
                is_new,
                brokers,
            );
        }
    }

    /// Kafka: `processTopicChange` — new topics' assignments are read and their partitions
    /// created (New → Online). Topic deletion goes through `/admin/delete_topics` (later).
    async fn process_topic_change(&mut self) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let topics: BTreeSet<String> = self
            .zk
            .get_children(TopicsZNode::PATH, true)
            .await?
            .unwrap_or_default()
            .into_iter()
            .collect();
        let known = self.ctx.all_topics();
        let new_topics: BTreeSet<String> = topics.difference(&known).cloned().collect();
        if new_topics.is_empty() {
            return Ok(());
        }
        tracing::info!(
            "New topics: [{}], deleted topics: [{}]",
            new_topics.iter().cloned().collect::<Vec<_>>().join(","),
            known
                .difference(&topics)
                .cloned()
                .collect::<Vec<_>>()
                .join(",")
        );
        psm::read_topics(&self.zk, &mut self.ctx, &new_topics).await?;
        self.register_partition_modifications_handlers(&new_topics)
            .await?;
        let partitions: Vec<TopicPartition> = self
            .ctx
            .partition_assignments
            .keys()
            .filter(|tp| new_topics.contains(&tp.topic))
            .cloned()
            .collect();
        tracing::info!(
            "New partition creation callback for {}",
            partitions
                .iter()
                .map(|tp| tp.to_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let created = psm::initialize_new_partitions(&self.zk, &mut self.ctx, &partitions).await?;
        self.send_leader_and_isr(&created, true);
        self.send_update_metadata(self.ctx.live_or_shutting_down_broker_ids(), &created);
        Ok(())
    }
}
