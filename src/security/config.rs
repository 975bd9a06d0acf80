//! Per-listener security settings from `server.properties`.
//!
//! Kafka: `ChannelBuilders.serverChannelBuilder`, `SaslChannelBuilder`, `JaasContext.loadServerContext`
//! (`listener.name.<listener>.<mechanism>.sasl.jaas.config`), `ListenerName.configPrefix`
//! (`listener.name.<listener lower-case>.` overrides the unprefixed key).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::authenticator::SaslServerConfig;
use super::credential_cache::CredentialCache;
use super::reauthentication::{connections_max_reauth_ms_by_mechanism, ReauthConfigError};
use super::sasl::jaas;
use super::sasl::scram::ScramMechanism;
use super::ssl_principal_mapper::{SslPrincipalMapper, SSL_PRINCIPAL_MAPPING_RULES};
use super::tls::{self, TlsConfigError};
use crate::cluster::{EndPoint, SecurityProtocol};

/// What the network layer needs for one listener.
#[derive(Debug, Clone, Default)]
pub struct ListenerSecurity {
    /// Set on SASL_PLAINTEXT and SASL_SSL listeners.
    pub sasl: Option<Arc<SaslServerConfig>>,
    /// Set on SSL and SASL_SSL listeners.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// `ssl.principal.mapping.rules`, set on SSL listeners (SASL_SSL principals come from
    /// SASL). Kafka: `SslChannelBuilder.configure`.
    pub ssl_principal_mapper: Option<Arc<SslPrincipalMapper>>,
}

/// Why a listener's security settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum SecurityConfigError {
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    #[error(transparent)]
    Reauth(#[from] ReauthConfigError),
    #[error("listener {listener}: SASL mechanism {mechanism} is not supported (sasl.enabled.mechanisms); supported: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512")]
    UnsupportedMechanism { listener: String, mechanism: String },
    #[error("listener {listener}: {key}: {reason}")]
    Invalid {
        listener: String,
        key: String,
        reason: String,
    },
}

/// `listener.name.<listener lower-case>.<key>`, then `<key>`.
pub fn listener_value(
    originals: &BTreeMap<String, String>,
    listener: &str,
    key: &str,
) -> Option<String> {
    let prefixed = format!("listener.name.{}.{key}", listener.to_ascii_lowercase());
    originals
        .get(&prefixed)
        .or_else(|| originals.get(key))
        .cloned()
}

/// Builds one listener's security settings.
pub fn listener_security(
    originals: &BTreeMap<String, String>,
    endpoint: &EndPoint,
    credentials: Arc<CredentialCache>,
) -> Result<ListenerSecurity, SecurityConfigError> {
    let listener = endpoint.listener_name.as_str();
    let get = |k: &str| listener_value(originals, listener, k);
    let mut out = ListenerSecurity::default();
    if matches!(
        endpoint.security_protocol,
        SecurityProtocol::Ssl | SecurityProtocol::SaslSsl
    ) {
        out.tls = Some(tls::server_config(listener, &get)?);
    }
    if endpoint.security_protocol == SecurityProtocol::Ssl {
        // Kafka: `SslChannelBuilder.configure` wraps the IllegalArgumentException of a
        // malformed rule in a KafkaException, which fails startup.
        let rules = get(SSL_PRINCIPAL_MAPPING_RULES);
        let mapper = SslPrincipalMapper::from_rules(rules.as_deref()).map_err(|e| {
            SecurityConfigError::Invalid {
                listener: listener.to_string(),
                key: SSL_PRINCIPAL_MAPPING_RULES.to_string(),
                reason: e.to_string(),
            }
        })?;
        out.ssl_principal_mapper = Some(Arc::new(mapper));
    }
    if matches!(
        endpoint.security_protocol,
        SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
    ) {
        // Kafka's default is GSSAPI, which needs Kerberos and is not implemented.
        let mechanisms: Vec<String> = get("sasl.enabled.mechanisms")
            .unwrap_or_else(|| "GSSAPI".to_string())
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        let mut plain_users = BTreeMap::new();
        for m in &mechanisms {
            if m == "PLAIN" {
                // Kafka: JaasContext.loadServerContext — the listener-and-mechanism prefixed key.
                let key = format!(
                    "listener.name.{}.plain.sasl.jaas.config",
                    listener.to_ascii_lowercase()
                );
                let Some(text) = originals.get(&key) else {
                    return Err(SecurityConfigError::Invalid {
                        listener: listener.to_string(),
                        key,
                        reason: "PLAIN is enabled but no JAAS configuration names its users".into(),
                    });
                };
                plain_users =
                    jaas::plain_users(text).map_err(|e| SecurityConfigError::Invalid {
                        listener: listener.to_string(),
                        key: key.clone(),
                        reason: e.to_string(),
                    })?;
            } else if ScramMechanism::from_mechanism_name(m).is_none() {
                return Err(SecurityConfigError::UnsupportedMechanism {
                    listener: listener.to_string(),
                    mechanism: m.clone(),
                });
            }
        }
        let connections_max_reauth_ms =
            connections_max_reauth_ms_by_mechanism(originals, listener, &mechanisms)?;
        let delay_ms = originals
            .get("connection.failed.authentication.delay.ms")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(100);
        out.sasl = Some(Arc::new(SaslServerConfig {
            enabled_mechanisms: mechanisms,
            plain_users: Arc::new(plain_users),
            scram_credentials: credentials,
            failed_authentication_delay: Duration::from_millis(delay_ms),
            connections_max_reauth_ms,
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(name: &str, p: SecurityProtocol) -> EndPoint {
        EndPoint {
            host: "127.0.0.1".into(),
            port: 0,
            listener_name: name.into(),
            security_protocol: p,
        }
    }

    /// Kafka: a SASL listener reads `listener.name.<l>.sasl.enabled.mechanisms` before
    /// `sasl.enabled.mechanisms`, and PLAIN users from
    /// `listener.name.<l>.plain.sasl.jaas.config`; GSSAPI (the default) is refused here.
    #[test]
    fn sasl_listener_settings() {
        let mut props = BTreeMap::new();
        props.insert("sasl.enabled.mechanisms".to_string(), "GSSAPI".to_string());
        props.insert(
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms".to_string(),
            "PLAIN,SCRAM-SHA-512".to_string(),
        );
        props.insert(
            "listener.name.sasl_plaintext.plain.sasl.jaas.config".to_string(),
            "org.apache.kafka.common.security.plain.PlainLoginModule required user_alice=\"a\";"
                .to_string(),
        );
        let cache = Arc::new(CredentialCache::new());
        let s = listener_security(
            &props,
            &endpoint("SASL_PLAINTEXT", SecurityProtocol::SaslPlaintext),
            cache.clone(),
        )
        .unwrap();
        let sasl = s.sasl.unwrap();
        assert_eq!(sasl.enabled_mechanisms, vec!["PLAIN", "SCRAM-SHA-512"]);
        assert_eq!(sasl.plain_users["alice"], "a");
        assert!(s.tls.is_none());
        assert!(listener_security(
            &props,
            &endpoint("OTHER", SecurityProtocol::SaslPlaintext),
            cache
        )
        .is_err());
    }
}
