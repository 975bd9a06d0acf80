//! Controller election on `/controller` + `/controller_epoch`, and the epoch fence that every
//! later controller write goes through.
//!
//! Kafka: `KafkaZkClient.{getControllerId, getControllerEpoch,
//! registerControllerAndIncrementControllerEpoch, deleteController}` and
//! `wrapRequestWithControllerEpochCheck` / `handleUnwrappedCheckOp`.

use zookeeper_client::{Error as ZkCode, MultiWriteResult, Stat};

use super::client::{KafkaZkClient, ZkError};
use crate::zk::znodes::{
    ControllerEpochZNode, ControllerRegistration, ControllerZNode, FeatureZNode, FeatureZNodeStatus,
};

/// Kafka: `KafkaController.InitialControllerEpoch`.
pub const INITIAL_CONTROLLER_EPOCH: i32 = 0;
/// Kafka: `KafkaController.InitialControllerEpochZkVersion`.
pub const INITIAL_CONTROLLER_EPOCH_ZK_VERSION: i32 = 0;

/// One write made on behalf of the controller (the inner op of the fenced multi).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerWrite {
    /// Persistent create.
    Create { path: String, data: Vec<u8> },
    /// setData at an expected version (`None` = any).
    SetData {
        path: String,
        data: Vec<u8>,
        expected_version: Option<i32>,
    },
    /// delete at an expected version (`None` = any).
    Delete {
        path: String,
        expected_version: Option<i32>,
    },
}

impl ControllerWrite {
    fn path(&self) -> &str {
        match self {
            ControllerWrite::Create { path, .. }
            | ControllerWrite::SetData { path, .. }
            | ControllerWrite::Delete { path, .. } => path,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ControllerWrite::Create { .. } => "create",
            ControllerWrite::SetData { .. } => "setData",
            ControllerWrite::Delete { .. } => "delete",
        }
    }
}

/// The result of a fenced write's inner op: its `Stat` for create/setData, `None` for delete.
pub type ControllerWriteResult = Option<Stat>;

impl KafkaZkClient {
    /// The controller registration in `/controller`, if any. Arms the `/controller` watch when a
    /// handler is registered (Kafka's `getControllerId` is a watched getData).
    pub async fn get_controller(&self) -> Result<Option<ControllerRegistration>, ZkError> {
        match self.get_data(ControllerZNode::PATH, true).await? {
            Some((data, _)) => Ok(Some(ControllerZNode::decode(&data)?)),
            None => Ok(None),
        }
    }

    /// The active controller's broker id. Kafka: `KafkaZkClient.getControllerId`.
    pub async fn get_controller_id(&self) -> Result<Option<i32>, ZkError> {
        Ok(self.get_controller().await?.map(|c| c.broker_id))
    }

    /// `/controller_epoch` value and stat. Kafka: `KafkaZkClient.getControllerEpoch`.
    pub async fn get_controller_epoch(&self) -> Result<Option<(i32, Stat)>, ZkError> {
        match self.get_data(ControllerEpochZNode::PATH, false).await? {
            Some((data, stat)) => Ok(Some((ControllerEpochZNode::decode(&data)?, stat))),
            None => Ok(None),
        }
    }

    /// Creates `/controller_epoch` = "0" if absent; returns (epoch, zkVersion).
    /// Kafka: `maybeCreateControllerEpochZNode`.
    async fn maybe_create_controller_epoch_znode(&self) -> Result<(i32, i32), ZkError> {
        let data = ControllerEpochZNode::encode(INITIAL_CONTROLLER_EPOCH);
        let options = self.persistent(ControllerEpochZNode::PATH);
        let created = self
            .retry_until_connected("create", ControllerEpochZNode::PATH, |c, _| {
                let data = data.as_slice();
                let options = &options;
                async move { c.create(ControllerEpochZNode::PATH, data, options).await }
            })
            .await;
        match created {
            Ok(_) => Ok((
                INITIAL_CONTROLLER_EPOCH,
                INITIAL_CONTROLLER_EPOCH_ZK_VERSION,
            )),
            Err(e) if matches!(e.code(), Some(ZkCode::NodeExists)) => {
                match self.get_controller_epoch().await? {
                    Some((epoch, stat)) => Ok((epoch, stat.version)),
                    None => Err(ZkError::ControllerMoved(format!(
                        "{} existed but went away while reading it",
                        ControllerEpochZNode::PATH
                    ))),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Tries to become controller: one multi creating ephemeral `/controller` and setting
    /// `/controller_epoch` to epoch+1 at the read zkVersion. Returns (new epoch, epoch zkVersion).
    ///
    /// NODEEXISTS/BADVERSION → if `/controller` names us and the epoch is epoch+1, our earlier
    /// attempt succeeded across a connection loss: success with the current zkVersion; otherwise
    /// `ControllerMoved`. Kafka: `registerControllerAndIncrementControllerEpoch`.
    pub async fn register_controller_and_increment_controller_epoch(
        &self,
        controller_id: i32,
        timestamp_ms: i64,
    ) -> Result<(i32, i32), ZkError> {
        let (cur_epoch, cur_epoch_zk_version) = match self.get_controller_epoch().await? {
            Some((epoch, stat)) => (epoch, stat.version),
            None => self.maybe_create_controller_epoch_znode().await?,
        };
        let new_epoch = cur_epoch + 1;
        tracing::debug!(
            "Try to create {} and increment controller epoch to {new_epoch} with expected controller epoch zkVersion {cur_epoch_zk_version}",
            ControllerZNode::PATH
        );
        let controller_data = ControllerZNode::encode(controller_id, timestamp_ms);
        let epoch_data = ControllerEpochZNode::encode(new_epoch);
        let options = self.ephemeral(ControllerZNode::PATH);
        let r = self
            .retry_until_connected("multi(create,setData)", ControllerZNode::PATH, |c, _| {
                let controller_data = controller_data.as_slice();
                let epoch_data = epoch_data.as_slice();
                let options = &options;
                async move {
                    let mut multi = c.new_multi_writer();
                    multi.add_create(ControllerZNode::PATH, controller_data, options)?;
                    multi.add_set_data(
                        ControllerEpochZNode::PATH,
                        epoch_data,
                        Some(cur_epoch_zk_version),
                    )?;
                    let results = multi.commit().await.map_err(ZkCode::from)?;
                    match results.into_iter().nth(1) {
                        Some(MultiWriteResult::SetData { stat }) => Ok(stat),
                        other => Err(ZkCode::UnexpectedError(format!(
                            "multi result for setData was {other:?}"
                        ))),
                    }
                }
            })
            .await;
        match r {
            Ok(stat) => Ok((new_epoch, stat.version)),
            Err(e) if matches!(e.code(), Some(ZkCode::NodeExists | ZkCode::BadVersion)) => {
                self.check_controller_and_epoch(controller_id, new_epoch)
                    .await
            }
            Err(e) => Err(e),
        }
    }

    /// Kafka: `checkControllerAndEpoch` inside `registerControllerAndIncrementControllerEpoch`.
    async fn check_controller_and_epoch(
        &self,
        controller_id: i32,
        new_epoch: i32,
    ) -> Result<(i32, i32), ZkError> {
        let current = self.get_controller_id().await?.ok_or_else(|| {
            ZkError::ControllerMoved(format!(
                "The ephemeral node at {} went away while checking whether the controller election succeeds. \
                 Aborting controller startup procedure",
                ControllerZNode::PATH
            ))
        })?;
        if current == controller_id {
            if let Some((epoch, stat)) = self.get_controller_epoch().await? {
                if epoch == new_epoch {
                    return Ok((new_epoch, stat.version));
                }
            }
        }
        Err(ZkError::ControllerMoved(
            "Controller moved to another broker. Aborting controller startup procedure".to_string(),
        ))
    }

    /// Deletes `/controller`, fenced by the epoch zkVersion. Kafka: `deleteController`.
    pub async fn delete_controller(&self, epoch_zk_version: i32) -> Result<(), ZkError> {
        let r = self
            .controller_write(
                epoch_zk_version,
                ControllerWrite::Delete {
                    path: ControllerZNode::PATH.to_string(),
                    expected_version: None,
                },
            )
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if matches!(e.code(), Some(ZkCode::NoNode)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Performs one controller write as `multi[check(/controller_epoch, epoch_zk_version), op]`.
    /// A failed check → [`ZkError::ControllerMoved`]; a failed inner op → its own error code (as
    /// Kafka's `handleUnwrappedCheckOp` returns it). Every controller write must use this.
    /// Kafka: `KafkaZkClient.wrapRequestWithControllerEpochCheck`.
    pub async fn controller_write(
        &self,
        epoch_zk_version: i32,
        write: ControllerWrite,
    ) -> Result<ControllerWriteResult, ZkError> {
        let path = write.path().to_string();
        let options = self.persistent(&path);
        let r = self
            .retry_until_connected(write.name(), &path, |c, _| {
                let write = &write;
                let options = &options;
                async move {
                    let mut multi = c.new_multi_writer();
                    multi.add_check_version(ControllerEpochZNode::PATH, epoch_zk_version)?;
                    match write {
                        ControllerWrite::Create { path, data } => {
                            multi.add_create(path, data, options)?
                        }
                        ControllerWrite::SetData {
                            path,
                            data,
                            expected_version,
                        } => multi.add_set_data(path, data, *expected_version)?,
                        ControllerWrite::Delete {
                            path,
                            expected_version,
                        } => multi.add_delete(path, *expected_version)?,
                    }
                    match multi.commit().await {
                        Ok(results) => Ok(Ok(results.into_iter().nth(1))),
                        Err(zookeeper_client::MultiWriteError::OperationFailed {
                            index: 0,
                            source,
                        }) => Ok(Err(source)),
                        Err(e) => Err(ZkCode::from(e)),
                    }
                }
            })
            .await?;
        match r {
            Ok(Some(MultiWriteResult::Create { stat, .. }))
            | Ok(Some(MultiWriteResult::SetData { stat })) => Ok(Some(stat)),
            Ok(_) => Ok(None),
            Err(check_failure) => Err(ZkError::ControllerMoved(format!(
                "Controller epoch zkVersion check fails. Expected zkVersion = {epoch_zk_version} \
                 ({check_failure} on {})",
                ControllerEpochZNode::PATH
            ))),
        }
    }

    /// Makes `/feature` exist with status Enabled, keeping finalized features that an enabled
    /// node already has. Returns the node's zkVersion afterwards. Kafka:
    /// `KafkaController.enableFeatureVersioning` (run first in `onControllerFailover` when
    /// IBP ≥ 2.7-IV0) with `KafkaZkClient.createFeatureZNode` (createRecursive) and
    /// `updateFeatureZNode` (unconditional setData) — neither is epoch-fenced in Kafka.
    pub async fn enable_feature_versioning(&self) -> Result<i32, ZkError> {
        match self.get_data(FeatureZNode::PATH, false).await? {
            None => {
                let node = FeatureZNode::kafka_39_default();
                if self
                    .create_recursive(FeatureZNode::PATH, &node.encode())
                    .await?
                {
                    tracing::info!("Created {} with {:?}", FeatureZNode::PATH, node);
                    return Ok(0);
                }
                // Someone created it in between: re-read it like an existing node.
                Box::pin(self.enable_feature_versioning()).await
            }
            Some((data, stat)) => {
                let existing = FeatureZNode::decode(&data)?;
                let features = match existing.status {
                    FeatureZNodeStatus::Enabled => existing.features.clone(),
                    FeatureZNodeStatus::Disabled => {
                        if !existing.features.is_empty() {
                            tracing::warn!(
                                "FeatureZNode at path: {} with disabled status contains non-empty features: {:?}",
                                FeatureZNode::PATH,
                                existing.features
                            );
                        }
                        Default::default()
                    }
                };
                let wanted = FeatureZNode {
                    features,
                    ..FeatureZNode::kafka_39_default()
                };
                if wanted == existing {
                    return Ok(stat.version);
                }
                let stat = self
                    .set_data(FeatureZNode::PATH, &wanted.encode(), None)
                    .await?;
                tracing::info!("Updated {} to {:?}", FeatureZNode::PATH, wanted);
                Ok(stat.version)
            }
        }
    }
}
