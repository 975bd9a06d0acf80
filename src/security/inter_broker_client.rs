//! `InterBrokerClientConfig`: how this broker connects to other brokers — the security
//! protocol, TLS client settings and SASL credentials of the inter-broker listener. Built once
//! at startup and shared by the replica fetchers, the controller channel and the broker →
//! controller RPCs.
//!
//! Kafka: `ChannelBuilders.clientChannelBuilder(interBrokerSecurityProtocol,
//! JaasContext.Type.SERVER, config, interBrokerListenerName, saslMechanismInterBrokerProtocol,
//! ...)` as `ReplicaFetcherBlockingSend`, `ControllerChannelManager` and
//! `BrokerToControllerChannelManager` call it: the listener's `ssl.*` settings, the mechanism
//! `sasl.mechanism.inter.broker.protocol` (default GSSAPI), and the login credentials
//! (`username`/`password` options) of the listener's JAAS entry for that mechanism.
//! `KafkaConfig.validateValues` refuses an inter-broker SASL mechanism that the listener does
//! not enable.

use std::collections::BTreeMap;

use super::client_auth::{SaslClientCredentials, SaslClientMechanism};
use super::config::listener_value;
use super::sasl::jaas;
use super::tls::TlsConfigError;
use super::tls_client::{client_settings, TlsClientSettings};
use crate::cluster::SecurityProtocol;
use crate::config::KafkaConfig;

/// `sasl.mechanism.inter.broker.protocol`; Kafka's default is GSSAPI
/// (`SaslConfigs.DEFAULT_SASL_MECHANISM`).
pub const SASL_MECHANISM_INTER_BROKER_PROTOCOL: &str = "sasl.mechanism.inter.broker.protocol";
const DEFAULT_SASL_MECHANISM: &str = "GSSAPI";

/// Why the inter-broker client settings were refused (a startup error, as in Kafka).
#[derive(Debug, thiserror::Error)]
pub enum InterBrokerConfigError {
    /// Kafka: `KafkaConfig.validateValues` (`require(...)`, hence the prefix).
    #[error("requirement failed: sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication")]
    MechanismNotEnabled,
    #[error("sasl.mechanism.inter.broker.protocol={0} has no client here; use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")]
    UnsupportedMechanism(String),
    /// Kafka: `JaasContext.defaultContext` when no JAAS entry exists for the listener.
    #[error("Could not find a 'KafkaServer' or '{context}.KafkaServer' entry in the JAAS configuration. System property 'java.security.auth.login.config' is not set (set {key})")]
    NoJaasConfig { context: String, key: String },
    #[error(
        "{key}: the JAAS configuration names no username and password for inter-broker connections"
    )]
    NoCredentials { key: String },
    #[error("{key}: {source}")]
    Jaas {
        key: String,
        #[source]
        source: jaas::JaasError,
    },
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
}

/// The client side of the inter-broker listener.
#[derive(Debug, Clone)]
pub struct InterBrokerClientConfig {
    pub listener_name: String,
    pub security_protocol: SecurityProtocol,
    /// Set for SSL and SASL_SSL.
    pub tls: Option<TlsClientSettings>,
    /// Set for SASL_PLAINTEXT and SASL_SSL.
    pub sasl: Option<SaslClientCredentials>,
}

impl Default for InterBrokerClientConfig {
    /// Plain TCP, for tests and tools that build components without a `KafkaConfig`.
    fn default() -> Self {
        InterBrokerClientConfig {
            listener_name: "PLAINTEXT".into(),
            security_protocol: SecurityProtocol::Plaintext,
            tls: None,
            sasl: None,
        }
    }
}

/// Compared by what they do (the TLS config itself has no equality); lets configs holding one
/// keep deriving `PartialEq`.
impl PartialEq for InterBrokerClientConfig {
    fn eq(&self, other: &Self) -> bool {
        self.listener_name == other.listener_name
            && self.security_protocol == other.security_protocol
            && self.sasl == other.sasl
            && self.tls.as_ref().map(|t| t.verify_host) == other.tls.as_ref().map(|t| t.verify_host)
    }
}

impl Eq for InterBrokerClientConfig {}

impl InterBrokerClientConfig {
    pub fn from_kafka_config(
        config: &KafkaConfig,
    ) -> Result<InterBrokerClientConfig, InterBrokerConfigError> {
        Self::from_originals(
            config.originals(),
            &config.inter_broker_listener_name,
            config.inter_broker_security_protocol,
        )
    }

    pub fn from_originals(
        originals: &BTreeMap<String, String>,
        listener: &str,
        protocol: SecurityProtocol,
    ) -> Result<InterBrokerClientConfig, InterBrokerConfigError> {
        let get = |k: &str| listener_value(originals, listener, k);
        let uses_tls = matches!(protocol, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl);
        let uses_sasl = matches!(
            protocol,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        );
        let sasl = if uses_sasl {
            Some(sasl_credentials(originals, listener)?)
        } else {
            None
        };
        let tls = if uses_tls {
            Some(client_settings(listener, &get)?)
        } else {
            None
        };
        Ok(InterBrokerClientConfig {
            listener_name: listener.to_string(),
            security_protocol: protocol,
            tls,
            sasl,
        })
    }
}

fn sasl_credentials(
    originals: &BTreeMap<String, String>,
    listener: &str,
) -> Result<SaslClientCredentials, InterBrokerConfigError> {
    let mechanism = originals
        .get(SASL_MECHANISM_INTER_BROKER_PROTOCOL)
        .map(|m| m.trim().to_string())
        .unwrap_or_else(|| DEFAULT_SASL_MECHANISM.to_string());
    // Kafka: `saslEnabledMechanisms(interBrokerListenerName)` — listener prefix first.
    let enabled = listener_value(originals, listener, "sasl.enabled.mechanisms")
        .unwrap_or_else(|| DEFAULT_SASL_MECHANISM.to_string());
    if !enabled.split(',').any(|m| m.trim() == mechanism) {
        return Err(InterBrokerConfigError::MechanismNotEnabled);
    }
    let client_mechanism = SaslClientMechanism::from_name(&mechanism)
        .ok_or_else(|| InterBrokerConfigError::UnsupportedMechanism(mechanism.clone()))?;
    // Kafka: `JaasContext.loadServerContext(listenerName, mechanism, configs)` — the
    // listener-and-mechanism key; then the unprefixed `sasl.jaas.config`.
    let listener_lower = listener.to_ascii_lowercase();
    let key = format!(
        "listener.name.{listener_lower}.{}.sasl.jaas.config",
        mechanism.to_ascii_lowercase()
    );
    let (used_key, text) = match originals.get(&key) {
        Some(t) => (key, t),
        None => match originals.get("sasl.jaas.config") {
            Some(t) => ("sasl.jaas.config".to_string(), t),
            None => {
                return Err(InterBrokerConfigError::NoJaasConfig {
                    context: listener_lower,
                    key,
                })
            }
        },
    };
    let entries = jaas::parse(text).map_err(|source| InterBrokerConfigError::Jaas {
        key: used_key.clone(),
        source,
    })?;
    // Kafka's login modules read the `username` and `password` options of the entry.
    let option = |name: &str| entries.iter().find_map(|e| e.options.get(name).cloned());
    match (option("username"), option("password")) {
        (Some(username), Some(password)) => Ok(SaslClientCredentials {
            mechanism: client_mechanism,
            username,
            password,
        }),
        _ => Err(InterBrokerConfigError::NoCredentials { key: used_key }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const SCRAM_JAAS: &str = r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="broker-secret";"#;

    /// Kafka `KafkaConfig.validateValues`: an inter-broker SASL listener whose enabled
    /// mechanisms lack `sasl.mechanism.inter.broker.protocol` (default GSSAPI) is a startup
    /// error, with Kafka's message.
    #[test]
    fn inter_broker_mechanism_must_be_enabled() {
        let p = props(&[
            ("sasl.enabled.mechanisms", "PLAIN"),
            ("listener.name.internal.plain.sasl.jaas.config", SCRAM_JAAS),
        ]);
        let e = InterBrokerClientConfig::from_originals(
            &p,
            "INTERNAL",
            SecurityProtocol::SaslPlaintext,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "requirement failed: sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication");
        // Not checked when the inter-broker listener does not use SASL.
        assert!(InterBrokerClientConfig::from_originals(
            &p,
            "INTERNAL",
            SecurityProtocol::Plaintext
        )
        .is_ok());
    }

    /// Kafka `JaasContext.loadServerContext`: the listener-and-mechanism JAAS key first, then
    /// `sasl.jaas.config`; the credentials are its `username`/`password` options.
    #[test]
    fn credentials_come_from_the_listener_jaas_entry() {
        let mut p = props(&[
            (
                "listener.name.internal.sasl.enabled.mechanisms",
                "SCRAM-SHA-512",
            ),
            (SASL_MECHANISM_INTER_BROKER_PROTOCOL, "SCRAM-SHA-512"),
            (
                "listener.name.internal.scram-sha-512.sasl.jaas.config",
                SCRAM_JAAS,
            ),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="other" password="x";"#,
            ),
        ]);
        let c = InterBrokerClientConfig::from_originals(
            &p,
            "INTERNAL",
            SecurityProtocol::SaslPlaintext,
        )
        .unwrap();
        let sasl = c.sasl.unwrap();
        assert_eq!(
            sasl.mechanism,
            SaslClientMechanism::Scram(crate::security::sasl::scram::ScramMechanism::Sha512)
        );
        assert_eq!(
            (sasl.username.as_str(), sasl.password.as_str()),
            ("broker", "broker-secret")
        );
        p.remove("listener.name.internal.scram-sha-512.sasl.jaas.config");
        let c = InterBrokerClientConfig::from_originals(
            &p,
            "INTERNAL",
            SecurityProtocol::SaslPlaintext,
        )
        .unwrap();
        assert_eq!(c.sasl.unwrap().username, "other");
        p.remove("sasl.jaas.config");
        assert!(matches!(
            InterBrokerClientConfig::from_originals(
                &p,
                "INTERNAL",
                SecurityProtocol::SaslPlaintext
            ),
            Err(InterBrokerConfigError::NoJaasConfig { .. })
        ));
    }
}
