//! The authorizer's ZooKeeper side: loading every ACL, following change notifications, and
//! the conditional writes of CreateAcls/DeleteAcls.
//!
//! Kafka: `AclAuthorizer.startup` (`createAclPaths`, `loadCache`, `startZkChangeListeners`),
//! `AclAuthorizer.updateResourceAcls` (CAS on the resource znode's version, up to
//! `maxUpdateRetries` = 10 retries with backoff), `KafkaZkClient.conditionalSetAclsForResource`,
//! `createAclsForResourceIfNotExists`, `deleteResource`, `createAclChangeNotification`.

use std::collections::HashSet;
use std::sync::{Arc, Weak};
use std::time::Duration;

use zookeeper_client::CreateMode;

use super::{AclAuthorizer, AclBinding, AclBindingFilter, AuthorizerConfig, VersionedAcls};
use crate::network::BoxFuture;
use crate::security::change_notification::{ChangeNotificationListener, NotificationHandler};
use crate::zk::znodes::{
    AclEntry, ExtendedAclChangeStore, LiteralAclChangeStore, PatternType, ResourcePattern,
    ResourceType, ResourceZNode, ZkAclStore, ACL_CHANGE_SEQUENCE_PREFIX,
};
use crate::zk::{KafkaZkClient, ZkError};

/// Kafka: `AclAuthorizer.maxUpdateRetries`.
const MAX_UPDATE_RETRIES: usize = 10;
/// Kafka: `AclAuthorizer.retryBackoffMs` (100) + up to `retryBackoffJitterMs` (50).
const RETRY_BACKOFF_MS: u64 = 100;
const RETRY_BACKOFF_JITTER_MS: u64 = 50;

/// Why an ACL write failed.
#[derive(Debug, thiserror::Error)]
pub enum AclWriteError {
    #[error("{0}")]
    Zk(#[from] ZkError),
    #[error(
        "Failed to update ACLs for {resource} after trying a maximum of {MAX_UPDATE_RETRIES} times"
    )]
    TooManyConflicts { resource: String },
    #[error("the authorizer has no ZooKeeper client")]
    NoZooKeeper,
}

/// Creates a persistent-sequential znode `prefix_path` + 10-digit sequence with `data`.
/// Kafka: `KafkaZkClient.createSequentialPersistentPath`.
pub async fn create_sequential_persistent(
    zk: &KafkaZkClient,
    prefix_path: &str,
    data: &[u8],
) -> Result<(), ZkError> {
    let options = zk.create_options(CreateMode::PersistentSequential, prefix_path);
    let options = &options;
    zk.retry_until_connected("create", prefix_path, |c, _| async move {
        c.create(prefix_path, data, options).await.map(|_| ())
    })
    .await
}

async fn read_resource(
    zk: &KafkaZkClient,
    pattern: &ResourcePattern,
) -> Result<VersionedAcls, ZkError> {
    let path = ResourceZNode::path(pattern);
    Ok(match zk.get_data(&path, false).await? {
        Some((bytes, stat)) => VersionedAcls {
            acls: ResourceZNode::decode(&path, &bytes).unwrap_or_else(|e| {
                tracing::warn!("Ignoring unreadable ACL znode {path}: {e}");
                Vec::new()
            }),
            zk_version: stat.version,
        },
        None => VersionedAcls {
            acls: Vec::new(),
            zk_version: -1,
        },
    })
}

/// Reloads one resource's ACLs into the cache (change notification).
struct AclChangeHandler {
    authorizer: Weak<AclAuthorizer>,
    zk: Arc<KafkaZkClient>,
    pattern_type: PatternType,
}

impl NotificationHandler for AclChangeHandler {
    fn process_notification(&self, data: Option<Vec<u8>>) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let (Some(data), Some(authorizer)) = (data, self.authorizer.upgrade()) else {
                return;
            };
            let decoded = match self.pattern_type {
                PatternType::Literal => {
                    LiteralAclChangeStore::decode(LiteralAclChangeStore::PATH, &data)
                }
                PatternType::Prefixed => {
                    ExtendedAclChangeStore::decode(ExtendedAclChangeStore::PATH, &data)
                }
            };
            match decoded {
                Ok(pattern) => match read_resource(&self.zk, &pattern).await {
                    Ok(v) => authorizer.update_cache(pattern, v),
                    Err(e) => tracing::warn!("Could not reload ACLs of {pattern:?}: {e}"),
                },
                Err(e) => tracing::warn!("Ignoring ACL change notification: {e}"),
            }
        })
    }
}

impl AclAuthorizer {
    /// Creates the ACL paths, loads every ACL and starts following both change roots.
    /// Kafka: `AclAuthorizer.configure` + `startup` (step 9 of broker startup).
    pub async fn start(
        config: AuthorizerConfig,
        zk: Arc<KafkaZkClient>,
    ) -> Result<Arc<AclAuthorizer>, ZkError> {
        let authorizer = Arc::new(AclAuthorizer {
            zk: Some(zk.clone()),
            ..AclAuthorizer::new(config)
        });
        // Kafka: `KafkaZkClient.createAclPaths` (null data).
        let paths = ZkAclStore::all_paths();
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        if !zk.create_null_paths(&refs).await {
            for p in &paths {
                zk.create_recursive(p, &[]).await?;
            }
        }
        // Kafka: `loadCache` — every resource of every type and pattern type.
        for pattern_type in [PatternType::Literal, PatternType::Prefixed] {
            for resource_type in ResourceType::ALL {
                let names = zk
                    .get_children(&ZkAclStore::type_path(pattern_type, resource_type), false)
                    .await?
                    .unwrap_or_default();
                for name in names {
                    let pattern = ResourcePattern {
                        resource_type,
                        name,
                        pattern_type,
                    };
                    let v = read_resource(&zk, &pattern).await?;
                    authorizer.update_cache(pattern, v);
                }
            }
        }
        let mut listeners = Vec::new();
        for (root, pattern_type) in [
            (LiteralAclChangeStore::PATH, PatternType::Literal),
            (ExtendedAclChangeStore::PATH, PatternType::Prefixed),
        ] {
            listeners.push(
                ChangeNotificationListener::start(
                    zk.clone(),
                    root,
                    ACL_CHANGE_SEQUENCE_PREFIX,
                    Arc::new(AclChangeHandler {
                        authorizer: Arc::downgrade(&authorizer),
                        zk: zk.clone(),
                        pattern_type,
                    }),
                )
                .await,
            );
        }
        *authorizer
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = listeners;
        Ok(authorizer)
    }

    /// Applies `change` to a resource's ACL set with compare-and-set on its znode, then writes
    /// the change notification. Returns whether anything changed.
    /// Kafka: `AclAuthorizer.updateResourceAcls` + `updateCache` + `createAclChangeNotification`.
    async fn update_resource_acls(
        &self,
        pattern: &ResourcePattern,
        change: impl Fn(&[AclEntry]) -> Vec<AclEntry>,
    ) -> Result<bool, AclWriteError> {
        let zk = self.zk.as_ref().ok_or(AclWriteError::NoZooKeeper)?;
        let path = ResourceZNode::path(pattern);
        // Kafka starts from the cached version and re-reads from ZooKeeper after a conflict.
        let mut current = match self.cached(pattern) {
            Some(v) => v,
            None => read_resource(zk, pattern).await?,
        };
        for attempt in 0..=MAX_UPDATE_RETRIES {
            let new_acls = change(&current.acls);
            let unchanged = {
                let a: HashSet<&AclEntry> = new_acls.iter().collect();
                let b: HashSet<&AclEntry> = current.acls.iter().collect();
                a == b
            };
            if unchanged {
                // The cache may still be stale (a conflict made us re-read): keep what we read.
                self.update_cache(pattern.clone(), current);
                return Ok(false);
            }
            let result: Result<i32, ZkError> = if new_acls.is_empty() {
                zk.delete(&path, Some(current.zk_version)).await.map(|_| -1)
            } else if current.zk_version >= 0 {
                zk.set_data(
                    &path,
                    &ResourceZNode::encode(&new_acls),
                    Some(current.zk_version),
                )
                .await
                .map(|s| s.version)
            } else {
                match zk
                    .create_recursive(&path, &ResourceZNode::encode(&new_acls))
                    .await
                {
                    Ok(true) => Ok(0),
                    Ok(false) => Err(ZkError::keeper(
                        "create",
                        &path,
                        zookeeper_client::Error::NodeExists,
                    )),
                    Err(e) => Err(e),
                }
            };
            match result {
                Ok(version) => {
                    self.update_cache(
                        pattern.clone(),
                        VersionedAcls {
                            acls: new_acls,
                            zk_version: version,
                        },
                    );
                    let (root, data) = match pattern.pattern_type {
                        PatternType::Literal => (
                            LiteralAclChangeStore::create_path(),
                            LiteralAclChangeStore::encode(pattern.resource_type, &pattern.name),
                        ),
                        PatternType::Prefixed => (
                            ExtendedAclChangeStore::create_path(),
                            ExtendedAclChangeStore::encode(pattern),
                        ),
                    };
                    create_sequential_persistent(zk, &root, &data).await?;
                    return Ok(true);
                }
                Err(e)
                    if matches!(
                        e.code(),
                        Some(
                            zookeeper_client::Error::BadVersion
                                | zookeeper_client::Error::NoNode
                                | zookeeper_client::Error::NodeExists
                        )
                    ) =>
                {
                    tracing::debug!("Conflict updating {path} (attempt {attempt}): {e}");
                    let jitter = rand::random::<u64>() % RETRY_BACKOFF_JITTER_MS;
                    tokio::time::sleep(Duration::from_millis(RETRY_BACKOFF_MS + jitter)).await;
                    current = read_resource(zk, pattern).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(AclWriteError::TooManyConflicts {
            resource: path.to_string(),
        })
    }

    /// Adds bindings, grouped by resource. Kafka: `AclAuthorizer.createAcls`.
    /// Results are per binding, in order.
    pub async fn create_acls(&self, bindings: &[AclBinding]) -> Vec<Result<(), AclWriteError>> {
        let mut out: Vec<Option<Result<(), AclWriteError>>> =
            bindings.iter().map(|_| None).collect();
        let mut by_resource: Vec<(ResourcePattern, Vec<usize>)> = Vec::new();
        for (i, b) in bindings.iter().enumerate() {
            match by_resource.iter_mut().find(|(p, _)| *p == b.pattern) {
                Some((_, v)) => v.push(i),
                None => by_resource.push((b.pattern.clone(), vec![i])),
            }
        }
        for (pattern, indexes) in by_resource {
            let new: Vec<AclEntry> = indexes.iter().map(|i| bindings[*i].entry.clone()).collect();
            let r = self
                .update_resource_acls(&pattern, |current| {
                    let mut all = current.to_vec();
                    for e in &new {
                        if !all.contains(e) {
                            all.push(e.clone());
                        }
                    }
                    all
                })
                .await;
            for i in indexes {
                out[i] = Some(match &r {
                    Ok(_) => Ok(()),
                    Err(e) => Err(AclWriteError::TooManyConflicts {
                        resource: e.to_string(),
                    }),
                });
            }
        }
        out.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
    }

    /// Removes every binding matching each filter; returns the bindings each filter deleted.
    /// Kafka: `AclAuthorizer.deleteAcls`.
    pub async fn delete_acls(
        &self,
        filters: &[AclBindingFilter],
    ) -> Vec<Result<Vec<AclBinding>, AclWriteError>> {
        let mut results = Vec::with_capacity(filters.len());
        for filter in filters {
            let matched = self.acls(filter);
            let mut patterns: Vec<ResourcePattern> = Vec::new();
            for b in &matched {
                if !patterns.contains(&b.pattern) {
                    patterns.push(b.pattern.clone());
                }
            }
            let mut deleted = Vec::new();
            let mut failure = None;
            for pattern in patterns {
                let r = self
                    .update_resource_acls(&pattern, |current| {
                        current
                            .iter()
                            .filter(|e| !filter.matches_entry(e))
                            .cloned()
                            .collect()
                    })
                    .await;
                match r {
                    Ok(_) => {
                        deleted.extend(matched.iter().filter(|b| b.pattern == pattern).cloned())
                    }
                    Err(e) => failure = Some(e),
                }
            }
            results.push(match failure {
                Some(e) => Err(e),
                None => Ok(deleted),
            });
        }
        results
    }
}
