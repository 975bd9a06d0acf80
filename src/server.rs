//! `KafkaServer`: a broker's numbered startup steps and their shutdown in reverse order.
//!
//! Kafka: `kafka.server.KafkaServer.startup` / `shutdown` (3.9, ZooKeeper mode). Each step is
//! logged as `[KafkaServer id=N] step k/11: ...`; the steps other helpers own (log manager,
//! socket server, replica manager, coordinators, request processing) are marked "slot".
//!
//! A failed step shuts down what already started (Kafka: "Fatal error during KafkaServer
//! startup. Prepare to shutdown") and returns the error; the CLI turns it into a non-zero exit.

use std::sync::Arc;

use std::collections::BTreeMap;

use crate::admin::topic_config_listener::TopicConfigChangeListener;
use crate::admin::{AdminZkClient, CreateTopicDefaults};
use crate::apis::auto_topic_creation::ZkAutoTopicCreationManager;
use crate::apis::zk_admin_manager::{AdminManagerConfig, ZkAdminManager};
use crate::apis::{BrokerEpoch, ControllerEpochFence, KafkaApis, KafkaApisConfig};
use crate::cluster::EndPoint;
use crate::config::KafkaConfig;
use crate::controller::KafkaController;
use crate::log::{
    LogConfig, LogConfigError, LogDirFailureChannel, LogError, LogManager, LogManagerOptions,
};
use crate::meta_properties::{MetaPropertiesEnsemble, MetaPropertiesError};
use crate::metadata_cache::MetadataCache;
use crate::network::{SocketServer, SocketServerConfig, SocketServerError};
use crate::replica::controller_rpc::{
    ControllerAlterPartitionSender, ControllerProducerIdBlockSource, ControllerTarget,
};
use crate::replica::producer_id_manager::RpcProducerIdManager;
use crate::replica::replica_manager::{ReplicaManager, ReplicaManagerConfig, TopicConfigProvider};
use crate::time::SystemClock;
use crate::zk::broker_registration::{generate_cluster_id, RegisterBrokerError};
use crate::zk::zk_security::{JvmSystemProperties, ZkClientSecurity, ZkSecurityError};
use crate::zk::znodes::{BrokerInfo, BrokerSequenceIdZNode};
use crate::zk::znodes::{ConfigEntityTypeZNode, ConfigEntityZNode};
use crate::zk::{KafkaZkClient, ZkError};

/// Why the broker could not start. Each message is one sentence naming the problem.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("ZooKeeper: {0}")]
    Zk(#[from] ZkError),
    #[error("{0}")]
    MetaProperties(#[from] MetaPropertiesError),
    #[error("broker registration: {0}")]
    Register(#[from] RegisterBrokerError),
    /// Kafka: `createBrokerInfo`'s `require` on endpoints already registered by another broker.
    #[error("Configured end points {endpoints} in advertised listeners are already registered by broker {broker_id}")]
    EndpointInUse { endpoints: String, broker_id: i32 },
    #[error("socket server: {0}")]
    SocketServer(#[from] SocketServerError),
    #[error("log configuration: {0}")]
    LogConfig(#[from] LogConfigError),
    #[error("log manager: {0}")]
    Log(#[from] LogError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("security: {0}")]
    Security(#[from] crate::security::manager::SecurityStartError),
    /// Kafka: `KafkaServer.initZkClient`'s `SecurityException` / JAAS loading errors.
    #[error("{0}")]
    ZkSecurity(#[from] ZkSecurityError),
    /// Kafka checks these while building `KafkaConfig`, before anything starts.
    #[error("{0}")]
    InterBrokerSecurity(#[from] crate::security::inter_broker_client::InterBrokerConfigError),
}

/// `zookeeper.set.acl` (ZkConfigs.ZK_ENABLE_SECURE_ACLS_CONFIG, default false).
const ZK_SET_ACL: &str = "zookeeper.set.acl";

/// A running broker. Fields are `Some` while their component runs; shutdown takes them in
/// reverse startup order.
pub struct KafkaServer {
    config: Arc<KafkaConfig>,
    broker_id: i32,
    cluster_id: Option<String>,
    broker_epoch: i64,
    /// Step 1. Shared with the controller and (later) every ZooKeeper-using component.
    zk: Option<Arc<KafkaZkClient>>,
    /// Step 6.
    log_manager: Option<Arc<LogManager>>,
    /// Step 7: bound listeners; request processing starts at step 11.
    socket_server: Option<SocketServer>,
    /// Step 11: authorizer, SCRAM credential cache, listener TLS/SASL settings.
    security: Option<crate::security::manager::SecurityManager>,
    /// How this broker connects to other brokers (inter-broker listener TLS/SASL); checked
    /// before step 1.
    inter_broker_client: Arc<crate::security::inter_broker_client::InterBrokerClientConfig>,
    /// `advertised.listeners` with port 0 replaced by the port actually bound (step 7).
    advertised_listeners: Vec<EndPoint>,
    /// Shared with `KafkaApis` (broker-epoch fence) and the controller (re-registration).
    broker_epoch_cell: Arc<BrokerEpoch>,
    /// Step 8.
    replica_manager: Option<Arc<ReplicaManager>>,
    /// Filled only by the controller's UpdateMetadata; shared by KafkaApis and ReplicaManager.
    metadata_cache: Arc<MetadataCache>,
    /// Highest controller epoch seen; shared by KafkaApis and ReplicaManager.
    controller_epoch: Arc<ControllerEpochFence>,
    /// Step 10.
    controller: Option<KafkaController>,
    /// Step 8: takes failed log dirs offline and notifies the controller.
    log_dir_failure_handler: Option<tokio::task::JoinHandle<()>>,
    /// Step 11: consumer groups and offsets.
    group_coordinator: Option<Arc<crate::coordinator::group::GroupCoordinator>>,
    /// Step 11: applies `/config/changes` topic notifications to local logs.
    topic_config_listener: Option<TopicConfigChangeListener>,
}

/// Total number of startup steps, for the "step k/N" log lines.
const STEPS: u32 = 11;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The machine's host name, used when an advertised listener has an empty host. Kafka uses
/// `InetAddress.getLocalHost.getCanonicalHostName`; we use the kernel host name (no DNS).
fn local_host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

impl KafkaServer {
    /// The broker id in use (configured, from `meta.properties`, or generated).
    pub fn broker_id(&self) -> i32 {
        self.broker_id
    }

    /// The cluster id read from / written to `/cluster/id`.
    pub fn cluster_id(&self) -> Option<&str> {
        self.cluster_id.as_deref()
    }

    /// The broker epoch at registration (czxid of `/brokers/ids/<id>`); the controller module
    /// tracks later ones after session re-initialisation.
    pub fn broker_epoch(&self) -> i64 {
        self.controller
            .as_ref()
            .map(|c| c.broker_epoch())
            .unwrap_or(self.broker_epoch)
    }

    /// The ZooKeeper client, for components started by other modules.
    pub fn zk(&self) -> Option<&Arc<KafkaZkClient>> {
        self.zk.as_ref()
    }

    pub fn config(&self) -> &Arc<KafkaConfig> {
        &self.config
    }

    /// Runs the startup steps. On failure, everything already started is shut down.
    pub async fn startup(config: KafkaConfig) -> Result<KafkaServer, ServerError> {
        let mut server = KafkaServer {
            broker_id: config.broker_id,
            config: Arc::new(config),
            cluster_id: None,
            broker_epoch: -1,
            zk: None,
            log_manager: None,
            socket_server: None,
            security: None,
            inter_broker_client: Arc::default(),
            replica_manager: None,
            // Replaced at step 8, once the broker id is known (it may be generated at step 4).
            metadata_cache: Arc::new(MetadataCache::new(-1)),
            controller_epoch: Arc::new(ControllerEpochFence::new()),
            advertised_listeners: Vec::new(),
            broker_epoch_cell: Arc::new(BrokerEpoch::default()),
            controller: None,
            log_dir_failure_handler: None,
            group_coordinator: None,
            topic_config_listener: None,
        };
        tracing::info!("starting");
        match server.run_startup_steps().await {
            Ok(()) => {
                tracing::info!("[KafkaServer id={}] started", server.broker_id);
                Ok(server)
            }
            Err(e) => {
                tracing::error!("Fatal error during KafkaServer startup. Prepare to shutdown: {e}");
                server.shutdown().await;
                Err(e)
            }
        }
    }

    fn step(&self, n: u32, what: &str) {
        tracing::info!(
            "[KafkaServer id={}] step {n}/{STEPS}: {what}",
            self.broker_id
        );
    }

    async fn run_startup_steps(&mut self) -> Result<(), ServerError> {
        let config = Arc::clone(&self.config);
        // Kafka: KafkaConfig.validateValues and the inter-broker channel builders' settings.
        self.inter_broker_client = Arc::new(
            crate::security::inter_broker_client::InterBrokerClientConfig::from_kafka_config(
                &config,
            )?,
        );

        // 1. Kafka: initZkClient (chroot created if missing).
        self.step(
            1,
            &format!(
                "connecting to zookeeper on {}",
                config.zk_connect.with_chroot()
            ),
        );
        // Kafka: the JAAS ZooKeeper login comes from JVM system properties (KAFKA_OPTS here),
        // and zookeeper.set.acl=true without one fails startup (zk::zk_security).
        let zk_security = ZkClientSecurity::for_broker(
            &JvmSystemProperties::from_env(),
            config.get_bool(ZK_SET_ACL, false)?,
        )?;
        let zk = KafkaZkClient::connect(
            config.zk_connect.clone(),
            config.zk_session_timeout_ms,
            config.zk_connection_timeout_ms,
            config.zk_max_in_flight_requests,
            zk_security,
        )
        .await?;
        self.zk = Some(Arc::clone(&zk));

        // 2. Kafka: createTopLevelPaths.
        self.step(2, "creating top-level paths");
        zk.create_top_level_paths().await?;

        // 3. Kafka: getOrGenerateClusterId.
        self.step(3, "getting or creating the cluster id");
        let cluster_id = zk.create_or_get_cluster_id(&generate_cluster_id()).await?;
        tracing::info!("Cluster ID = {cluster_id}");
        self.cluster_id = Some(cluster_id.clone());

        // 4. Kafka: MetaPropertiesEnsemble.Loader + verify + getOrGenerateBrokerId.
        self.step(4, "loading meta.properties and determining the broker id");
        let mut ensemble = MetaPropertiesEnsemble::load(&config.log_dirs)?;
        let configured = (config.broker_id >= 0).then_some(config.broker_id);
        ensemble.verify(&cluster_id, configured)?;
        self.broker_id = match (configured, ensemble.broker_id()) {
            (Some(id), _) => id,
            (None, Some(stored)) => stored,
            (None, None) if config.broker_id_generation_enable => {
                let seq = zk.generate_broker_sequence_id().await?;
                let id = BrokerSequenceIdZNode::broker_id(seq, config.reserved_broker_max_id);
                tracing::info!(
                    "Generated broker id {id} from {} version {seq}",
                    BrokerSequenceIdZNode::PATH
                );
                id
            }
            (None, None) => return Err(MetaPropertiesError::NoBrokerId.into()),
        };

        // 5. Kafka: the meta.properties Copier block (written before the log manager starts).
        self.step(5, "writing meta.properties to every log dir");
        for dir in ensemble.write_changes(&cluster_id, self.broker_id)? {
            tracing::info!("Rewriting {}/meta.properties", dir.display());
        }
        ensemble.verify(&cluster_id, Some(self.broker_id))?;

        // 6. slot: LogManager (log recovery) — built by the `log` module.
        self.step(6, "starting the log manager (log recovery)");
        let base_log_config =
            LogConfig::from_broker_properties(|k| config.originals().get(k).cloned())?;
        let topic_configs = read_topic_configs(&zk, &base_log_config).await?;
        let log_dir_failures = Arc::new(LogDirFailureChannel::new());
        let log_manager = LogManager::startup(
            &config.log_dirs,
            base_log_config,
            SystemClock::shared(),
            Arc::clone(&log_dir_failures),
            LogManagerOptions {
                retention_check_interval_ms: config
                    .get_i64("log.retention.check.interval.ms", 300_000)?
                    .max(1) as u64,
                cleaner_backoff_ms: config.get_i64("log.cleaner.backoff.ms", 15_000)?.max(1) as u64,
                cleaner_enable: config.get_bool("log.cleaner.enable", true)?,
                initial_task_delay_ms: config.get_i64("log.initial.task.delay.ms", 30_000)?.max(0)
                    as u64,
                topic_configs,
                ..LogManagerOptions::default()
            },
        )?;
        log_manager.start_background();
        self.log_manager = Some(Arc::clone(&log_manager));
        // 7. Kafka: SocketServer acceptors bind now; processing waits for step 11.
        self.step(7, "binding the socket server");
        let socket_server = SocketServer::bind(SocketServerConfig {
            listeners: config.listeners.clone(),
            socket_request_max_bytes: config.socket_request_max_bytes,
            max_connections: config.max_connections,
            inter_broker_listener_name: Some(config.inter_broker_listener_name.clone()),
            connections_max_idle_ms: config.connections_max_idle_ms,
            ..SocketServerConfig::default()
        })
        .await?;
        // Kafka: an advertised port 0 means "the port the listener bound".
        self.advertised_listeners = config
            .advertised_listeners
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if e.port == 0 {
                    if let Some(port) = socket_server.bound_port(&e.listener_name) {
                        e.port = port;
                    }
                }
                e
            })
            .collect();
        self.socket_server = Some(socket_server);
        // 8. Kafka: AlterPartitionManager + ReplicaManager. Brokers reach the controller through
        // the metadata cache (UpdateMetadata names it), as Kafka's ZK-mode channels do.
        self.step(8, "starting the replica manager");
        self.metadata_cache = Arc::new(MetadataCache::new(self.broker_id));
        let controller_target = || ControllerTarget {
            broker_id: self.broker_id,
            broker_epoch: Arc::clone(&self.broker_epoch_cell),
            metadata_cache: Arc::clone(&self.metadata_cache),
            listener_name: config.inter_broker_listener_name.clone(),
            security: Arc::clone(&self.inter_broker_client),
        };
        let mut replica_config = ReplicaManagerConfig::new(self.broker_id);
        replica_config.replica_lag_time_max_ms =
            config.get_i64("replica.lag.time.max.ms", 30_000)?;
        replica_config.inter_broker_listener_name = config.inter_broker_listener_name.clone();
        replica_config.fetcher.inter_broker_client = Arc::clone(&self.inter_broker_client);
        let replica_manager = ReplicaManager::new(
            replica_config,
            SystemClock::shared(),
            Arc::clone(&log_manager),
            Arc::clone(&self.metadata_cache),
            Arc::clone(&self.controller_epoch),
            topic_config_provider(Arc::clone(&zk)),
            ControllerAlterPartitionSender::start(controller_target()),
        );
        replica_manager.start_isr_expiration();
        self.replica_manager = Some(Arc::clone(&replica_manager));
        // Kafka: ReplicaManager.startup → LogDirFailureHandler (dirs that failed while loading
        // are already queued on the channel and are handled now).
        if let Some(failed_dirs) = log_dir_failures.take_receiver() {
            self.log_dir_failure_handler = Some(crate::replica::log_dir_failure::start(
                failed_dirs,
                Arc::clone(&replica_manager),
                Arc::clone(&zk),
                self.broker_id,
                Arc::new(|code| std::process::exit(code)),
            ));
        }
        let producer_ids = Arc::new(RpcProducerIdManager::new(Arc::new(
            ControllerProducerIdBlockSource::new(controller_target()),
        )));

        // 9. Kafka: createBrokerInfo + registerBroker.
        self.step(9, "registering broker in zookeeper");
        let info = self.create_broker_info(&zk).await?;
        self.broker_epoch = zk.register_broker(&info).await?;
        self.broker_epoch_cell.set(self.broker_epoch);

        // 10. Kafka: KafkaController.startup (watch /controller, elect).
        self.step(10, "starting controller");
        self.controller = Some(KafkaController::startup_with_config(
            Arc::clone(&zk),
            info,
            self.broker_epoch,
            config.inter_broker_listener_name.clone(),
            Arc::clone(&self.broker_epoch_cell),
            crate::controller::ControllerConfig {
                inter_broker_client: Arc::clone(&self.inter_broker_client),
                ..crate::controller::ControllerConfig::from_kafka_config(&config)?
            },
        ));

        // 11. slot: group/transaction coordinators, authorizer, ZkConfigManager.
        // Kafka: dataPlaneRequestProcessor + socketServer.enableRequestProcessing.
        self.step(11, "starting request processing");
        let apis = KafkaApis::new(
            KafkaApisConfig {
                broker_id: self.broker_id,
                cluster_id: self.cluster_id.clone().unwrap_or_default(),
                advertised_listeners: self.advertised_listeners.clone(),
                auto_create_topics_enable: config.auto_create_topics_enable,
            },
            Arc::clone(&self.metadata_cache),
        )
        .with_controller_epoch(Arc::clone(&self.controller_epoch))
        .with_broker_epoch(Arc::clone(&self.broker_epoch_cell))
        .with_replica_manager(Arc::clone(&replica_manager))
        .with_producer_id_manager(producer_ids)
        .with_zk(Arc::clone(&zk));
        let apis = match &self.controller {
            Some(controller) => apis.with_controller(controller.handle()),
            None => apis,
        };
        // Kafka: authorizer.start + ZkConfigManager.startup (SCRAM credentials), then the
        // listeners' SSL/SASL channel builders.
        let security =
            crate::security::manager::SecurityManager::start(&config, Arc::clone(&zk)).await?;
        let mut apis = apis.with_credential_cache(Arc::clone(&security.credential_cache));
        if let Some(authorizer) = &security.authorizer {
            apis = apis.with_authorizer(Arc::clone(authorizer));
        }
        let listener_security = security.listener_security.clone();
        self.security = Some(security);
        let apis = apis.with_group_coordinator(self.start_group_coordinator(&replica_manager)?);
        // Kafka: ZkAdminManager + AutoTopicCreationManager (topic lifecycle, `admin` module).
        let admin_manager = Arc::new(ZkAdminManager::new(
            AdminZkClient::new(Arc::clone(&zk)).with_log_config(log_manager.base_config()),
            Arc::clone(&self.metadata_cache),
            AdminManagerConfig {
                defaults: CreateTopicDefaults {
                    num_partitions: config.num_partitions,
                    default_replication_factor: config.default_replication_factor as i16,
                },
                delete_topic_enable: config.get_bool("delete.topic.enable", true)?,
                offsets_topic_num_partitions: config.get_i32("offsets.topic.num.partitions", 50)?,
                offsets_topic_replication_factor: config
                    .get_i32("offsets.topic.replication.factor", 3)?
                    as i16,
                offsets_topic_segment_bytes: config
                    .get_i32("offsets.topic.segment.bytes", 104_857_600)?,
                broker_originals: config.originals().clone(),
            },
        ));
        let apis = apis
            .with_auto_topic_creation(Arc::new(ZkAutoTopicCreationManager::new(Arc::clone(
                &admin_manager,
            ))))
            .with_admin_manager(admin_manager);
        // Kafka: ZkConfigManager (topic configs) — every broker applies config changes.
        self.topic_config_listener = Some(TopicConfigChangeListener::start(
            Arc::clone(&zk),
            Arc::clone(&log_manager),
        ));
        if let Some(socket_server) = &self.socket_server {
            socket_server
                .enable_request_processing_with_security(Arc::new(apis), &listener_security)?;
        }
        Ok(())
    }

    /// Kafka: `groupCoordinator.startup` — the coordinator loads `__consumer_offsets`
    /// partitions as LeaderAndIsr makes this broker their leader.
    fn start_group_coordinator(
        &mut self,
        replica_manager: &Arc<ReplicaManager>,
    ) -> Result<Arc<crate::coordinator::group::GroupCoordinator>, ServerError> {
        use crate::coordinator::group::{
            GroupCoordinator, GroupCoordinatorConfig, ReplicaOffsetsLog,
        };
        let config = GroupCoordinatorConfig::from_kafka_config(&self.config)?;
        let log = ReplicaOffsetsLog::new(
            Arc::clone(replica_manager),
            SystemClock::shared(),
            config.offsets_topic_compression_codec,
        );
        let coordinator = GroupCoordinator::new(config, SystemClock::shared(), Arc::new(log));
        let weak = Arc::downgrade(&coordinator);
        replica_manager.add_leadership_listener(Arc::new(move |leaders, followers| {
            if let Some(c) = weak.upgrade() {
                c.on_leadership_change(leaders, followers);
            }
        }));
        coordinator.startup();
        self.group_coordinator = Some(Arc::clone(&coordinator));
        Ok(coordinator)
    }

    /// Kafka: `KafkaServer.createBrokerInfo` — advertised listeners with empty hosts replaced by
    /// the host name, refusing endpoints another broker already registered.
    async fn create_broker_info(&self, zk: &KafkaZkClient) -> Result<BrokerInfo, ServerError> {
        let host_port = |e: &EndPoint| format!("{}:{}", e.host, e.port);
        let ours: Vec<String> = self.advertised_listeners.iter().map(host_port).collect();
        for (id, (other, _)) in zk.get_all_broker_and_epochs_in_cluster(false).await? {
            if id == self.broker_id {
                continue;
            }
            let common: Vec<String> = other
                .endpoints
                .iter()
                .map(host_port)
                .filter(|hp| ours.contains(hp))
                .collect();
            if !common.is_empty() {
                return Err(ServerError::EndpointInUse {
                    endpoints: common.join(","),
                    broker_id: id,
                });
            }
        }
        let endpoints = self
            .advertised_listeners
            .iter()
            .map(|e| {
                let mut e = e.clone();
                if e.host.trim().is_empty() {
                    e.host = local_host_name();
                }
                e
            })
            .collect();
        Ok(BrokerInfo::new(
            self.broker_id,
            endpoints,
            self.config.broker_rack.clone(),
            -1,
            now_ms(),
        ))
    }

    /// Kafka: `KafkaServer.controlledShutdown` (`replica::controlled_shutdown`).
    async fn controlled_shutdown(&self) {
        let config =
            match crate::replica::controlled_shutdown::ControlledShutdownConfig::from_kafka_config(
                &self.config,
            ) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("Skipping controlled shutdown: {e}");
                    return;
                }
            };
        let target = ControllerTarget {
            broker_id: self.broker_id,
            broker_epoch: Arc::clone(&self.broker_epoch_cell),
            metadata_cache: Arc::clone(&self.metadata_cache),
            listener_name: self.config.inter_broker_listener_name.clone(),
            security: Arc::clone(&self.inter_broker_client),
        };
        crate::replica::controlled_shutdown::controlled_shutdown(&target, &config).await;
    }

    /// Shuts down in reverse startup order; closing the ZooKeeper session removes this broker's
    /// ephemeral znodes immediately. Kafka: `KafkaServer.shutdown`.
    pub async fn shutdown(mut self) {
        tracing::info!("[KafkaServer id={}] shutting down", self.broker_id);
        // Kafka: controlledShutdown() first, while requests are still served, so the controller
        // can move this broker's leaderships away (and tell this broker it now follows).
        if self.socket_server.is_some() && self.controller.is_some() {
            self.controlled_shutdown().await;
        }
        // 11. slot: coordinators, authorizer, config manager.
        // Kafka: socketServer.stopProcessingRequests — no new requests while shutting down.
        if let Some(socket_server) = self.socket_server.take() {
            tracing::info!(
                "[KafkaServer id={}] shutting down socket server",
                self.broker_id
            );
            socket_server.shutdown().await;
        }
        if let Some(security) = self.security.take() {
            security.shutdown();
        }
        if let Some(coordinator) = self.group_coordinator.take() {
            coordinator.shutdown();
        }
        if let Some(listener) = self.topic_config_listener.take() {
            listener.shutdown();
        }
        // 10.
        if let Some(controller) = self.controller.take() {
            tracing::info!(
                "[KafkaServer id={}] shutting down controller",
                self.broker_id
            );
            controller.shutdown().await;
        }
        // 9. The registration goes with the session (step 1).
        // 8. Kafka: replicaManager.shutdown — fetchers stop, producer snapshots are written.
        if let Some(handler) = self.log_dir_failure_handler.take() {
            handler.abort();
        }
        if let Some(replica_manager) = self.replica_manager.take() {
            tracing::info!(
                "[KafkaServer id={}] shutting down replica manager",
                self.broker_id
            );
            replica_manager.shutdown().await;
        }
        // 6. Kafka: logManager.shutdown — flush, checkpoints, clean-shutdown marker.
        if let Some(log_manager) = self.log_manager.take() {
            tracing::info!(
                "[KafkaServer id={}] shutting down log manager",
                self.broker_id
            );
            log_manager.shutdown().await;
        }
        // 1.
        if let Some(zk) = self.zk.take() {
            tracing::info!(
                "[KafkaServer id={}] closing zookeeper session",
                self.broker_id
            );
            zk.close().await;
        }
        tracing::info!("[KafkaServer id={}] shut down completed", self.broker_id);
    }
}

/// Topic overrides from `/config/topics/<t>`, applied over the broker's log defaults, for the
/// logs found on disk at startup. Kafka: `LogManager` reads them through `ZkConfigRepository`
/// before loading logs. A topic whose stored overrides no longer parse keeps the defaults, with
/// a warning (Kafka logs and uses what it can).
async fn read_topic_configs(
    zk: &KafkaZkClient,
    base: &LogConfig,
) -> Result<BTreeMap<String, LogConfig>, ServerError> {
    let mut out = BTreeMap::new();
    let topics = zk
        .get_children(&ConfigEntityTypeZNode::path("topics"), false)
        .await?
        .unwrap_or_default();
    for topic in topics {
        let overrides = read_topic_overrides(zk, &topic).await?;
        match base.with_overrides(&overrides) {
            Ok(c) => {
                out.insert(topic, c);
            }
            Err(e) => tracing::warn!("Ignoring the stored configuration of topic {topic}: {e}"),
        }
    }
    Ok(out)
}

async fn read_topic_overrides(
    zk: &KafkaZkClient,
    topic: &str,
) -> Result<BTreeMap<String, String>, ZkError> {
    let path = ConfigEntityZNode::path("topics", topic);
    Ok(match zk.get_data(&path, false).await? {
        Some((bytes, _)) => ConfigEntityZNode::decode(&path, &bytes)
            .map(|kv| kv.into_iter().collect())
            .unwrap_or_else(|e| {
                tracing::warn!("Ignoring unreadable {path}: {e}");
                BTreeMap::new()
            }),
        None => BTreeMap::new(),
    })
}

/// The replica manager asks for a topic's overrides when LeaderAndIsr creates its log (Kafka:
/// `ReplicaManager` → `ZkConfigRepository.topicConfig`). The provider is synchronous, so the
/// ZooKeeper read runs on the multi-threaded runtime with `block_in_place`.
fn topic_config_provider(zk: Arc<KafkaZkClient>) -> TopicConfigProvider {
    Arc::new(move |topic: &str| {
        let handle = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| handle.block_on(read_topic_overrides(&zk, topic)))
            .unwrap_or_else(|e| {
                tracing::warn!("Could not read the configuration of topic {topic}: {e}");
                BTreeMap::new()
            })
    })
}
