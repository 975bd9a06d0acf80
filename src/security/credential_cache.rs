//! The broker's SCRAM credential cache, filled from `/config/users/<user>` at startup and on
//! every `/config/changes` notification for a user entity.
//!
//! Kafka: `CredentialCache`, `CredentialProvider.updateCredentials`, `UserConfigHandler`
//! (`ZkConfigManager` → `DynamicConfigManager` → `ConfigHandler` for `users`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::change_notification::NotificationHandler;
use super::sasl::scram::{ScramCredential, ScramCredentialLookup, ScramMechanism};
use crate::network::BoxFuture;
use crate::zk::znodes::{
    desanitize, ConfigEntityChangeNotificationSequenceZNode, ConfigEntityTypeZNode,
    ConfigEntityZNode, ConfigType,
};
use crate::zk::{KafkaZkClient, ZkError};

/// user → mechanism → credential.
#[derive(Debug, Default)]
pub struct CredentialCache {
    users: RwLock<HashMap<String, BTreeMap<ScramMechanism, ScramCredential>>>,
}

impl ScramCredentialLookup for CredentialCache {
    fn credential(&self, user: &str, mechanism: ScramMechanism) -> Option<ScramCredential> {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .and_then(|m| m.get(&mechanism))
            .cloned()
    }
}

impl CredentialCache {
    pub fn new() -> CredentialCache {
        CredentialCache::default()
    }

    /// Replaces `user`'s credentials with those in its config (other keys are quotas and are
    /// ignored here). Kafka: `CredentialProvider.updateCredentials` — a credential that does
    /// not parse is skipped with a warning.
    pub fn update_credentials(&self, user: &str, config: &[(String, String)]) {
        let mut creds = BTreeMap::new();
        for (k, v) in config {
            if let Some(m) = ScramMechanism::from_mechanism_name(k) {
                match ScramCredential::from_config_string(v) {
                    Ok(c) => {
                        creds.insert(m, c);
                    }
                    Err(e) => tracing::warn!("Ignoring {k} of user {user}: {e}"),
                }
            }
        }
        let mut users = self.users.write().unwrap_or_else(|e| e.into_inner());
        if creds.is_empty() {
            users.remove(user);
        } else {
            users.insert(user.to_string(), creds);
        }
    }

    /// Mechanisms and iterations of `user` (DescribeUserScramCredentials).
    pub fn describe(&self, user: &str) -> Vec<(ScramMechanism, i32)> {
        self.users
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(user)
            .map(|m| m.iter().map(|(k, c)| (*k, c.iterations)).collect())
            .unwrap_or_default()
    }

    /// Reads one user's config znode into the cache.
    pub async fn reload_user(&self, zk: &KafkaZkClient, sanitized: &str) -> Result<(), ZkError> {
        let Some(user) = desanitize(sanitized) else {
            return Ok(());
        };
        let path = ConfigEntityZNode::path(ConfigType::USER, sanitized);
        let config = match zk.get_data(&path, false).await? {
            Some((bytes, _)) => ConfigEntityZNode::decode(&path, &bytes).unwrap_or_else(|e| {
                tracing::warn!("Ignoring unreadable {path}: {e}");
                Vec::new()
            }),
            None => Vec::new(),
        };
        self.update_credentials(&user, &config);
        Ok(())
    }

    /// Loads every user under `/config/users`. Kafka: `DynamicConfigManager.startup` bootstraps
    /// all entities of every type before watching for changes.
    pub async fn load_all(&self, zk: &KafkaZkClient) -> Result<(), ZkError> {
        let users = zk
            .get_children(&ConfigEntityTypeZNode::path(ConfigType::USER), false)
            .await?
            .unwrap_or_default();
        for u in users {
            self.reload_user(zk, &u).await?;
        }
        Ok(())
    }
}

/// Handles `/config/changes` notifications for `users/<user>` (and ignores other entity
/// types, whose handlers live elsewhere). Kafka: `ConfigChangedNotificationHandler` →
/// `UserConfigHandler.processConfigChanges`.
pub struct UserConfigChangeHandler {
    pub zk: Arc<KafkaZkClient>,
    pub cache: Arc<CredentialCache>,
}

impl NotificationHandler for UserConfigChangeHandler {
    fn process_notification(&self, data: Option<Vec<u8>>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let Some(data) = data else { return };
            let n =
                match ConfigEntityChangeNotificationSequenceZNode::decode("/config/changes", &data)
                {
                    Ok(n) => n,
                    Err(e) => {
                        tracing::debug!("Ignoring config change notification: {e}");
                        return;
                    }
                };
            let parts: Vec<&str> = n.entity_path.split('/').collect();
            // `users/<user>` carries credentials; `users/<user>/clients/<id>` only quotas.
            if parts.len() == 2 && parts[0] == ConfigType::USER {
                if let Err(e) = self.cache.reload_user(&self.zk, parts[1]).await {
                    tracing::warn!("Could not reload the credentials of {}: {e}", parts[1]);
                }
            }
        })
    }
}
