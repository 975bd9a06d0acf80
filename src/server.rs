//! `KafkaServer`: a broker's numbered startup steps and their shutdown in reverse order.
//!
//! Kafka: `kafka.server.KafkaServer.startup` / `shutdown` (3.9, ZooKeeper mode). Each step is
//! logged as `[KafkaServer id=N] step k/11: ...`; the steps other helpers own (log manager,
//! socket server, replica manager, coordinators, request processing) are marked "slot".
//!
//! A failed step shuts down what already started (Kafka: "Fatal error during KafkaServer
//! startup. Prepare to shutdown") and returns the error; the CLI turns it into a non-zero exit.

use std::sync::Arc;

use crate::cluster::EndPoint;
use crate::config::KafkaConfig;
use crate::controller::KafkaController;
use crate::meta_properties::{MetaPropertiesEnsemble, MetaPropertiesError};
use crate::zk::broker_registration::{generate_cluster_id, RegisterBrokerError};
use crate::zk::znodes::{BrokerInfo, BrokerSequenceIdZNode};
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
}

/// A running broker. Fields are `Some` while their component runs; shutdown takes them in
/// reverse startup order.
pub struct KafkaServer {
    config: Arc<KafkaConfig>,
    broker_id: i32,
    cluster_id: Option<String>,
    broker_epoch: i64,
    /// Step 1. Shared with the controller and (later) every ZooKeeper-using component.
    zk: Option<Arc<KafkaZkClient>>,
    /// Step 10.
    controller: Option<KafkaController>,
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
            controller: None,
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

        // 1. Kafka: initZkClient (chroot created if missing).
        self.step(
            1,
            &format!(
                "connecting to zookeeper on {}",
                config.zk_connect.with_chroot()
            ),
        );
        let zk = KafkaZkClient::connect(
            config.zk_connect.clone(),
            config.zk_session_timeout_ms,
            config.zk_connection_timeout_ms,
            config.zk_max_in_flight_requests,
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
        self.step(6, "log manager (slot: not started by this module)");
        // 7. slot: SocketServer acceptors (bound ports; fills advertised port 0).
        self.step(7, "socket server (slot: not started by this module)");
        // 8. slot: AlterPartitionManager + ReplicaManager.
        self.step(8, "replica manager (slot: not started by this module)");

        // 9. Kafka: createBrokerInfo + registerBroker.
        self.step(9, "registering broker in zookeeper");
        let info = self.create_broker_info(&zk).await?;
        self.broker_epoch = zk.register_broker(&info).await?;

        // 10. Kafka: KafkaController.startup (watch /controller, elect).
        self.step(10, "starting controller");
        self.controller = Some(KafkaController::startup(
            Arc::clone(&zk),
            info,
            self.broker_epoch,
        ));

        // 11. slot: group/transaction coordinators, authorizer, ZkConfigManager, request
        // processing.
        self.step(
            11,
            "coordinators, authorizer, config manager, request processing (slot)",
        );
        Ok(())
    }

    /// Kafka: `KafkaServer.createBrokerInfo` — advertised listeners with empty hosts replaced by
    /// the host name, refusing endpoints another broker already registered.
    async fn create_broker_info(&self, zk: &KafkaZkClient) -> Result<BrokerInfo, ServerError> {
        let host_port = |e: &EndPoint| format!("{}:{}", e.host, e.port);
        let ours: Vec<String> = self
            .config
            .advertised_listeners
            .iter()
            .map(host_port)
            .collect();
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
            .config
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

    /// Shuts down in reverse startup order; closing the ZooKeeper session removes this broker's
    /// ephemeral znodes immediately. Kafka: `KafkaServer.shutdown`.
    pub async fn shutdown(mut self) {
        tracing::info!("[KafkaServer id={}] shutting down", self.broker_id);
        // 11. slot: stop request processing, coordinators, authorizer, config manager.
        // 10.
        if let Some(controller) = self.controller.take() {
            tracing::info!(
                "[KafkaServer id={}] shutting down controller",
                self.broker_id
            );
            controller.shutdown().await;
        }
        // 9. The registration goes with the session (step 1).
        // 8-6. slot: replica manager, socket server, log manager (in that order).
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
