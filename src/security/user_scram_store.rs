//! Writing SCRAM credentials to `/config/users/<user>` and notifying every broker through
//! `/config/changes`. Shared by AlterUserScramCredentials and the `zkafka configs` CLI.
//!
//! Kafka: `AdminZkClient.changeConfigs(USER, ...)` → `KafkaZkClient.setOrCreateEntityConfigs`
//! (setData, or createRecursive when absent) + `createConfigChangeNotification`
//! (`{"version":2,"entity_path":"users/<sanitized>"}`).

use super::authorizer::zk_store::create_sequential_persistent;
use crate::admin::zk_admin::set_or_create_entity_configs;
use crate::zk::znodes::{
    sanitize, ConfigEntityChangeNotificationSequenceZNode, ConfigEntityZNode, ConfigType,
};
use crate::zk::{KafkaZkClient, ZkError};

/// A user's config properties (credentials and quotas), in znode order.
pub async fn read_user_config(
    zk: &KafkaZkClient,
    user: &str,
) -> Result<Vec<(String, String)>, ZkError> {
    let path = ConfigEntityZNode::path(ConfigType::USER, &sanitize(user));
    Ok(match zk.get_data(&path, false).await? {
        Some((bytes, _)) => ConfigEntityZNode::decode(&path, &bytes)?,
        None => Vec::new(),
    })
}

/// Replaces a user's config and writes the change notification.
/// Kafka: `AdminZkClient.changeUserOrUserClientIdConfig` (in ZK mode also called for SCRAM
/// through `ZkAdminManager.alterUserScramCredentials`).
///
/// `controller_check`: true for the broker (AlterUserScramCredentials: the write is refused
/// without a ZooKeeper controller and fenced on `/controller`'s zkVersion), false for the CLI
/// (Kafka's `ConfigCommand --zookeeper` runs with `enableEntityConfigControllerCheck = false`
/// so credentials can be created before any broker starts).
pub async fn write_user_config(
    zk: &KafkaZkClient,
    user: &str,
    config: &[(String, String)],
    controller_check: bool,
) -> Result<(), ZkError> {
    let sanitized = sanitize(user);
    let path = ConfigEntityZNode::path(ConfigType::USER, &sanitized);
    let data = ConfigEntityZNode::encode(config);
    set_or_create_entity_configs(zk, &path, &data, controller_check).await?;
    create_sequential_persistent(
        zk,
        &ConfigEntityChangeNotificationSequenceZNode::create_path(),
        &ConfigEntityChangeNotificationSequenceZNode::encode(&format!(
            "{}/{sanitized}",
            ConfigType::USER
        )),
    )
    .await
}
