//! Broker membership: top-level paths, cluster id, broker id generation, `/brokers/ids/<id>`.
//!
//! Kafka: `KafkaZkClient.{createTopLevelPaths, getClusterId, createOrGetClusterId,
//! generateBrokerSequenceId, registerBroker, getAllBrokerAndEpochsInCluster, getBroker}` and
//! its `CheckedEphemeral` helper. Paths and payloads come from `zk::znodes` only.

use std::collections::BTreeMap;

use base64::Engine;
use zookeeper_client::Error as ZkCode;

use super::client::{KafkaZkClient, ZkError};
use crate::zk::znodes::{
    BrokerIdZNode, BrokerIdsZNode, BrokerInfo, BrokerSequenceIdZNode, ClusterIdZNode,
    PERSISTENT_ZK_PATHS,
};

/// Why `/brokers/ids/<id>` could not be created.
#[derive(Debug, thiserror::Error)]
pub enum RegisterBrokerError {
    /// Another live session owns the ephemeral: Kafka fails startup with NODEEXISTS.
    #[error("Error while creating ephemeral at {path}, node already exists and owner '0x{owner:x}' does not match current session '0x{session:x}': broker.id {broker_id} is already registered by another live broker")]
    BrokerIdInUse {
        broker_id: i32,
        path: String,
        owner: i64,
        session: i64,
    },
    #[error(transparent)]
    Zk(#[from] ZkError),
}

/// A new cluster id: a random UUID's 16 bytes as URL-safe base64 without padding (22 chars).
/// Kafka: `CoreUtils.generateUuidAsBase64` (`Uuid.randomUuid` → `Base64.getUrlEncoder.withoutPadding`).
pub fn generate_cluster_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    // RFC 4122 version 4 / variant bits, as java.util.UUID.randomUUID sets them.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

impl KafkaZkClient {
    /// Creates every persistent top-level path with empty data, idempotently.
    /// Kafka: `KafkaZkClient.createTopLevelPaths` (`createRecursive(path, null, false)`).
    ///
    /// Kafka writes `null` data (distinct from an empty array for Java clients and kazoo); that
    /// goes through `null_data`, falling back to empty data if it cannot.
    pub async fn create_top_level_paths(&self) -> Result<(), ZkError> {
        if self.create_null_paths(PERSISTENT_ZK_PATHS).await {
            return Ok(());
        }
        for path in PERSISTENT_ZK_PATHS {
            self.create_recursive(path, &[]).await?;
        }
        Ok(())
    }

    /// Reads `/cluster/id`. Kafka: `KafkaZkClient.getClusterId`.
    pub async fn get_cluster_id(&self) -> Result<Option<String>, ZkError> {
        match self.get_data(ClusterIdZNode::PATH, false).await? {
            Some((data, _)) => Ok(Some(ClusterIdZNode::decode(&data)?)),
            None => Ok(None),
        }
    }

    /// Creates `/cluster/id` with `proposed`, or returns the id some other broker created first.
    /// Kafka: `KafkaZkClient.createOrGetClusterId` + `KafkaServer.getOrGenerateClusterId`.
    pub async fn create_or_get_cluster_id(&self, proposed: &str) -> Result<String, ZkError> {
        if let Some(id) = self.get_cluster_id().await? {
            return Ok(id);
        }
        if self
            .create_recursive(ClusterIdZNode::PATH, &ClusterIdZNode::encode(proposed))
            .await?
        {
            return Ok(proposed.to_string());
        }
        self.get_cluster_id()
            .await?
            .ok_or_else(|| ZkError::keeper("getData", ClusterIdZNode::PATH, ZkCode::NoNode))
    }

    /// Bumps `/brokers/seqid`'s data version and returns it (1, 2, ...).
    /// Kafka: `KafkaZkClient.generateBrokerSequenceId` (unconditional setData of `byte[0]`;
    /// on NONODE create the node and retry).
    pub async fn generate_broker_sequence_id(&self) -> Result<i32, ZkError> {
        let data = BrokerSequenceIdZNode::encode();
        loop {
            match self
                .set_data(BrokerSequenceIdZNode::PATH, &data, None)
                .await
            {
                Ok(stat) => return Ok(stat.version),
                Err(e) if matches!(e.code(), Some(ZkCode::NoNode)) => {
                    self.create_recursive(BrokerSequenceIdZNode::PATH, &data)
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Registers this broker: multi `create(path, empty, EPHEMERAL)` + `setData(path, json,
    /// version 0)`, so the znode's dataVersion is 1; returns the broker epoch (= czxid).
    ///
    /// On NODEEXISTS: a node owned by our current session is accepted (our earlier attempt won
    /// before a connection loss); one owned by our *previous* session is deleted and re-created
    /// (ZOOKEEPER-2985, KAFKA-7165); one owned by anyone else means the id is in use.
    /// Kafka: `KafkaZkClient.registerBroker`, `CheckedEphemeral`.
    pub async fn register_broker(&self, info: &BrokerInfo) -> Result<i64, RegisterBrokerError> {
        let path = BrokerIdZNode::path(info.id);
        let json = BrokerIdZNode::encode(info);
        let options = self.ephemeral(&path);
        loop {
            let created = self
                .retry_until_connected("multi(create,setData)", &path, |c, _| {
                    let path = path.as_str();
                    let json = json.as_slice();
                    let options = &options;
                    async move {
                        let mut multi = c.new_multi_writer();
                        multi.add_create(path, &[], options)?;
                        multi.add_set_data(path, json, Some(0))?;
                        let results = multi
                            .commit()
                            .await
                            .map_err(zookeeper_client::Error::from)?;
                        match results.into_iter().nth(1) {
                            Some(zookeeper_client::MultiWriteResult::SetData { stat }) => Ok(stat),
                            other => Err(zookeeper_client::Error::UnexpectedError(format!(
                                "multi result for setData was {other:?}"
                            ))),
                        }
                    }
                })
                .await;
            let stat = match created {
                Ok(stat) => stat,
                Err(e) if matches!(e.code(), Some(ZkCode::NodeExists)) => {
                    let Some((_, stat)) = self.get_data(&path, false).await? else {
                        // Vanished between create and read (the old session just expired): retry.
                        continue;
                    };
                    let session = self.session_id();
                    let owner = stat.ephemeral_owner;
                    if owner == session {
                        stat
                    } else if Some(owner) == self.previous_session_id() && self.is_connected() {
                        tracing::info!(
                            "Was not possible to create the ephemeral at {path}, node already exists and owner \
                             '0x{owner:x}' does not match current session '0x{session:x}', trying to delete and \
                             re-create it with the newest Zookeeper session"
                        );
                        self.delete(&path, None).await?;
                        continue;
                    } else {
                        return Err(RegisterBrokerError::BrokerIdInUse {
                            broker_id: info.id,
                            path,
                            owner,
                            session,
                        });
                    }
                }
                Err(e) => return Err(e.into()),
            };
            tracing::info!(
                "Registered broker {} at path {} with addresses: {}, czxid (broker epoch): {}",
                info.id,
                path,
                info.endpoints
                    .iter()
                    .map(|e| e.connection_string())
                    .collect::<Vec<_>>()
                    .join(","),
                stat.czxid
            );
            return Ok(stat.czxid);
        }
    }

    /// Every registered broker with its epoch (czxid), by id; arms the `/brokers/ids` child watch
    /// when `watch` and a handler is registered. Kafka: `getAllBrokerAndEpochsInCluster`.
    pub async fn get_all_broker_and_epochs_in_cluster(
        &self,
        watch: bool,
    ) -> Result<BTreeMap<i32, (BrokerInfo, i64)>, ZkError> {
        let children = self
            .get_children(BrokerIdsZNode::PATH, watch)
            .await?
            .unwrap_or_default();
        let mut out = BTreeMap::new();
        for child in children {
            let Ok(id) = child.parse::<i32>() else {
                tracing::warn!(
                    "Ignoring non-numeric broker znode {}/{child}",
                    BrokerIdsZNode::PATH
                );
                continue;
            };
            if let Some((info, czxid)) = self.get_broker(id, false).await? {
                out.insert(id, (info, czxid));
            }
        }
        Ok(out)
    }

    /// One broker's registration and epoch, or `None` if it is not registered. With `watch`, a
    /// registered change handler for `/brokers/ids/<id>` is armed. Kafka: `getBroker`.
    pub async fn get_broker(
        &self,
        id: i32,
        watch: bool,
    ) -> Result<Option<(BrokerInfo, i64)>, ZkError> {
        let path = BrokerIdZNode::path(id);
        match self.get_data(&path, watch).await? {
            Some((data, stat)) => Ok(Some((BrokerIdZNode::decode(id, &data)?, stat.czxid))),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka cluster ids are 22-char URL-safe base64 of a v4 UUID (`CoreUtils.generateUuidAsBase64`).
    #[test]
    fn cluster_id_shape() {
        let a = generate_cluster_id();
        let b = generate_cluster_id();
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{a}"
        );
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&a)
            .unwrap();
        assert_eq!(raw[6] >> 4, 4, "UUID version 4");
        assert_eq!(raw[8] >> 6, 0b10, "IETF variant");
    }
}
