//! The broker settings the controller reads: unclean election and leader auto-rebalance.
//!
//! Kafka: `KafkaConfig` (`uncleanLeaderElectionEnable`, `autoLeaderRebalanceEnable`,
//! `leaderImbalancePerBrokerPercentage`, `leaderImbalanceCheckIntervalSeconds`), defaults from
//! `ReplicationConfigs` / `LogConfig` in 3.9.

use crate::config::{ConfigError, KafkaConfig};

/// What the controller event loop needs from `server.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerConfig {
    /// `unclean.leader.election.enable` (broker default; a topic override in `/config/topics`
    /// wins). Kafka default: false.
    pub unclean_leader_election_enable: bool,
    /// `auto.leader.rebalance.enable`. Kafka default: true.
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.per.broker.percentage`. Kafka default: 10.
    pub leader_imbalance_per_broker_percentage: i32,
    /// `leader.imbalance.check.interval.seconds`. Kafka default: 300.
    pub leader_imbalance_check_interval_seconds: i64,
    /// How the controller channel reaches brokers (TLS, SASL of the inter-broker listener);
    /// set by `KafkaServer` from `InterBrokerClientConfig::from_kafka_config`.
    pub inter_broker_client:
        std::sync::Arc<crate::security::inter_broker_client::InterBrokerClientConfig>,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            unclean_leader_election_enable: false,
            auto_leader_rebalance_enable: true,
            leader_imbalance_per_broker_percentage: 10,
            leader_imbalance_check_interval_seconds: 300,
            inter_broker_client: Default::default(),
        }
    }
}

impl ControllerConfig {
    /// Reads the four keys with Kafka's defaults.
    pub fn from_kafka_config(config: &KafkaConfig) -> Result<ControllerConfig, ConfigError> {
        let d = ControllerConfig::default();
        Ok(ControllerConfig {
            unclean_leader_election_enable: config.get_bool(
                "unclean.leader.election.enable",
                d.unclean_leader_election_enable,
            )?,
            auto_leader_rebalance_enable: config.get_bool(
                "auto.leader.rebalance.enable",
                d.auto_leader_rebalance_enable,
            )?,
            leader_imbalance_per_broker_percentage: config.get_i32(
                "leader.imbalance.per.broker.percentage",
                d.leader_imbalance_per_broker_percentage,
            )?,
            leader_imbalance_check_interval_seconds: config.get_i64(
                "leader.imbalance.check.interval.seconds",
                d.leader_imbalance_check_interval_seconds,
            )?,
            inter_broker_client: d.inter_broker_client,
        })
    }
}
