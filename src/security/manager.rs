//! The broker's security components, started together at step 11 of `KafkaServer.startup`
//! and stopped together at shutdown.
//!
//! Kafka: `KafkaServer.startup` — `authorizer.foreach(_.start)` (ACL paths, cache, change
//! listeners), then `ZkConfigManager.startup` (the `/config/changes` listener that keeps the
//! SCRAM `CredentialCache` current), then the per-listener `ChannelBuilder`s of the
//! `SocketServer` (SSL/SASL settings).

use std::collections::HashMap;
use std::sync::Arc;

use super::authorizer::{AclAuthorizer, AuthorizerConfig, ACL_AUTHORIZER_CLASS};
use super::change_notification::ChangeNotificationListener;
use super::config::{listener_security, ListenerSecurity, SecurityConfigError};
use super::credential_cache::{CredentialCache, UserConfigChangeHandler};
use crate::cluster::SecurityProtocol;
use crate::config::KafkaConfig;
use crate::zk::znodes::{
    ConfigEntityChangeNotificationSequenceZNode, ConfigEntityChangeNotificationZNode,
};
use crate::zk::{KafkaZkClient, ZkError};

/// Why security could not start.
#[derive(Debug, thiserror::Error)]
pub enum SecurityStartError {
    #[error("ZooKeeper: {0}")]
    Zk(#[from] ZkError),
    #[error("{0}")]
    Listener(#[from] SecurityConfigError),
    /// Kafka fails startup on a class it cannot load; only AclAuthorizer exists here.
    #[error("Invalid value {0} for configuration authorizer.class.name: only {ACL_AUTHORIZER_CLASS} is supported (ZooKeeper mode)")]
    UnsupportedAuthorizer(String),
    /// Kafka loads `principal.builder.class` as a Java class; only its default exists here.
    #[error("Invalid value {0} for configuration principal.builder.class: only {DEFAULT_PRINCIPAL_BUILDER} is supported (custom principal builders are Java classes)")]
    UnsupportedPrincipalBuilder(String),
}

/// Kafka: `BrokerSecurityConfigs.PRINCIPAL_BUILDER_CLASS_CONFIG`'s default.
pub const DEFAULT_PRINCIPAL_BUILDER: &str =
    "org.apache.kafka.common.security.authenticator.DefaultKafkaPrincipalBuilder";

/// `principal.builder.class` (plain or listener-prefixed) must be Kafka's default.
/// `sasl.kerberos.principal.to.local.rules` is accepted whatever its value: Kafka only reads it
/// for GSSAPI (`SaslChannelBuilder` builds the `KerberosShortNamer` only then), which is not
/// served.
fn check_principal_builder(
    originals: &std::collections::BTreeMap<String, String>,
) -> Result<(), SecurityStartError> {
    for (key, value) in originals {
        let is_builder_key = key == "principal.builder.class"
            || (key.starts_with("listener.name.") && key.ends_with(".principal.builder.class"));
        let value = value.trim();
        if is_builder_key && !value.is_empty() && value != DEFAULT_PRINCIPAL_BUILDER {
            return Err(SecurityStartError::UnsupportedPrincipalBuilder(
                value.to_string(),
            ));
        }
    }
    Ok(())
}

/// The running security components.
pub struct SecurityManager {
    pub credential_cache: Arc<CredentialCache>,
    pub authorizer: Option<Arc<AclAuthorizer>>,
    /// Settings of every non-PLAINTEXT listener, by listener name.
    pub listener_security: HashMap<String, ListenerSecurity>,
    config_listener: ChangeNotificationListener,
}

impl SecurityManager {
    pub async fn start(
        config: &KafkaConfig,
        zk: Arc<KafkaZkClient>,
    ) -> Result<SecurityManager, SecurityStartError> {
        let originals = config.originals();
        check_principal_builder(originals)?;
        let authorizer = match originals.get("authorizer.class.name").map(|s| s.trim()) {
            None | Some("") => None,
            Some(ACL_AUTHORIZER_CLASS) => {
                let allow_everyone = originals
                    .get("allow.everyone.if.no.acl.found")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
                let authorizer_config = AuthorizerConfig::new(
                    originals.get("super.users").map(String::as_str),
                    allow_everyone,
                );
                Some(AclAuthorizer::start(authorizer_config, zk.clone()).await?)
            }
            Some(other) => {
                return Err(SecurityStartError::UnsupportedAuthorizer(other.to_string()))
            }
        };
        let credential_cache = Arc::new(CredentialCache::new());
        credential_cache.load_all(&zk).await?;
        let config_listener = ChangeNotificationListener::start(
            zk.clone(),
            ConfigEntityChangeNotificationZNode::PATH,
            ConfigEntityChangeNotificationSequenceZNode::SEQUENCE_NUMBER_PREFIX,
            Arc::new(UserConfigChangeHandler {
                zk: zk.clone(),
                cache: credential_cache.clone(),
            }),
        )
        .await;
        let mut listener_security_map = HashMap::new();
        for endpoint in &config.listeners {
            if endpoint.security_protocol != SecurityProtocol::Plaintext {
                listener_security_map.insert(
                    endpoint.listener_name.clone(),
                    listener_security(originals, endpoint, credential_cache.clone())?,
                );
            }
        }
        Ok(SecurityManager {
            credential_cache,
            authorizer,
            listener_security: listener_security_map,
            config_listener,
        })
    }

    pub fn shutdown(&self) {
        self.config_listener.close();
        if let Some(a) = &self.authorizer {
            a.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's default principal builder is accepted (plain or listener-prefixed); any other
    /// class is a startup error naming the key.
    #[test]
    fn only_the_default_principal_builder() {
        let mut props = std::collections::BTreeMap::new();
        assert!(check_principal_builder(&props).is_ok());
        props.insert(
            "principal.builder.class".to_string(),
            DEFAULT_PRINCIPAL_BUILDER.to_string(),
        );
        assert!(check_principal_builder(&props).is_ok());
        props.insert(
            "listener.name.ssl.principal.builder.class".to_string(),
            "com.example.MyBuilder".to_string(),
        );
        let e = check_principal_builder(&props).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "Invalid value com.example.MyBuilder for configuration principal.builder.class"
            ),
            "{e}"
        );
    }
}
