//! The broker side of controlled shutdown: before anything stops, ask the controller to move
//! this broker's leaderships away, so clients fail over without waiting for the ZooKeeper
//! session to expire.
//!
//! Kafka: `KafkaServer.controlledShutdown` (3.9, ZK mode): with `controlled.shutdown.enable`
//! (default true), send `ControlledShutdown{brokerId, brokerEpoch}` (v3 at IBP ≥ 2.4-IV1) to the
//! controller named in the metadata cache; success when `remainingPartitions` is empty; otherwise
//! (error, leftovers, no controller, I/O failure) retry up to `controlled.shutdown.max.retries`
//! (3) times with `controlled.shutdown.retry.backoff.ms` (5000) between attempts, then shut down
//! anyway ("Proceeding to do an unclean shutdown").

use std::time::{Duration, Instant};

use kafka_protocol::messages::{BrokerId, ControlledShutdownRequest};

use super::controller_rpc::ControllerTarget;
use crate::config::{ConfigError, KafkaConfig};

/// ControlledShutdown version for IBP ≥ 2.4-IV1 (`KafkaServer.controlledShutdown`).
pub const CONTROLLED_SHUTDOWN_VERSION: i16 = 3;

/// The settings of the broker's controlled shutdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledShutdownConfig {
    /// `controlled.shutdown.enable` (true).
    pub enable: bool,
    /// `controlled.shutdown.max.retries` (3): attempts in total.
    pub max_retries: i32,
    /// `controlled.shutdown.retry.backoff.ms` (5000).
    pub retry_backoff_ms: u64,
    /// `controller.socket.timeout.ms` (30000): bound on one request.
    pub socket_timeout_ms: u64,
}

impl ControlledShutdownConfig {
    /// Kafka's keys and defaults (`KafkaConfig`, `ServerConfigs`).
    pub fn from_kafka_config(
        config: &KafkaConfig,
    ) -> Result<ControlledShutdownConfig, ConfigError> {
        Ok(ControlledShutdownConfig {
            enable: config.controlled_shutdown_enable,
            max_retries: config.get_i32("controlled.shutdown.max.retries", 3)?,
            retry_backoff_ms: config
                .get_i64("controlled.shutdown.retry.backoff.ms", 5000)?
                .max(0) as u64,
            socket_timeout_ms: config
                .get_i64("controller.socket.timeout.ms", 30_000)?
                .max(0) as u64,
        })
    }
}

/// Runs the controlled shutdown; returns whether the controller confirmed that this broker
/// leads nothing more. Kafka: `KafkaServer.controlledShutdown` / `doControlledShutdown`.
pub async fn controlled_shutdown(
    target: &ControllerTarget,
    config: &ControlledShutdownConfig,
) -> bool {
    if !config.enable {
        return false;
    }
    tracing::info!(
        "[KafkaServer id={}] Starting controlled shutdown",
        target.broker_id
    );
    let mut remaining_retries = config.max_retries;
    while remaining_retries > 0 {
        remaining_retries -= 1;
        if attempt(target, config).await {
            return true;
        }
        if remaining_retries > 0 {
            tokio::time::sleep(Duration::from_millis(config.retry_backoff_ms)).await;
            tracing::info!("Retrying controlled shutdown ({remaining_retries} retries remaining)");
        }
    }
    tracing::warn!(
        "Proceeding to do an unclean shutdown as all the controlled shutdown attempts failed"
    );
    false
}

/// One ControlledShutdown round trip.
async fn attempt(target: &ControllerTarget, config: &ControlledShutdownConfig) -> bool {
    let Some(mut conn) = target.connect().await else {
        tracing::info!("No controller present in the metadata cache (or it is unreachable)");
        return false;
    };
    let request = ControlledShutdownRequest::default()
        .with_broker_id(BrokerId(target.broker_id))
        .with_broker_epoch(target.broker_epoch.get());
    let started = Instant::now();
    let timeout = Duration::from_millis(config.socket_timeout_ms);
    match tokio::time::timeout(timeout, conn.send(CONTROLLED_SHUTDOWN_VERSION, &request)).await {
        Ok(Ok(response)) => {
            let ms = started.elapsed().as_millis();
            if response.error_code != 0 {
                tracing::info!(
                    "Controlled shutdown request returned after {ms}ms with error {}",
                    response.error_code
                );
                false
            } else if response.remaining_partitions.is_empty() {
                tracing::info!("Controlled shutdown request returned successfully after {ms}ms");
                true
            } else {
                tracing::info!(
                    "Controlled shutdown request returned after {ms}ms with partitions remaining to move: {}",
                    response
                        .remaining_partitions
                        .iter()
                        .map(|p| format!("{}-{}", p.topic_name.0, p.partition_index))
                        .collect::<Vec<_>>()
                        .join(",")
                );
                false
            }
        }
        Ok(Err(e)) => {
            tracing::warn!("Error during controlled shutdown: {e}");
            false
        }
        Err(_) => {
            tracing::warn!(
                "Error during controlled shutdown, possibly because leader movement took longer than the configured controller.socket.timeout.ms ({} ms)",
                config.socket_timeout_ms
            );
            false
        }
    }
}
