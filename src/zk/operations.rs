//! Basic ZooKeeper operations of `KafkaZkClient` (paths relative to the chroot), each run
//! through `retry_until_connected`; reads arm one-shot watches for registered handlers.
//!
//! Kafka: the request wrappers of `KafkaZkClient` / `ZooKeeperClient` (`GetDataRequest`,
//! `ExistsRequest`, `GetChildrenRequest`, `createRecursive`, `deletePath`, `SetDataRequest`).

use zookeeper_client::{OneshotWatcher, Stat};

use super::client::{KafkaZkClient, WatchKind, ZkError};
use super::zk_acls::default_acls;

impl KafkaZkClient {
    /// `exists`, arming a data/existence watch when `watch` and a change handler is registered.
    pub async fn exists(&self, path: &str, watch: bool) -> Result<Option<Stat>, ZkError> {
        self.retry_until_connected("exists", path, |c, generation| async move {
            if watch && self.claim_watch(path, WatchKind::Data, generation) {
                match c.check_and_watch_stat(path).await {
                    Ok((stat, w)) => {
                        self.arm(w, path, WatchKind::Data, generation);
                        Ok(stat)
                    }
                    Err(e) => {
                        self.release_watch(path, WatchKind::Data, generation);
                        Err(e)
                    }
                }
            } else {
                c.check_stat(path).await
            }
        })
        .await
    }

    /// `getData`; `Ok(None)` when the node does not exist. Arms a watch like [`Self::exists`].
    pub async fn get_data(
        &self,
        path: &str,
        watch: bool,
    ) -> Result<Option<(Vec<u8>, Stat)>, ZkError> {
        let r = self
            .retry_until_connected("getData", path, |c, generation| async move {
                if watch && self.claim_watch(path, WatchKind::Data, generation) {
                    // getData on a missing node would not leave a watch; Kafka arms an exists
                    // watch in that case so creation is still seen.
                    match c.get_and_watch_data(path).await {
                        Ok((d, s, w)) => {
                            self.arm(w, path, WatchKind::Data, generation);
                            Ok(Some((d, s)))
                        }
                        Err(zookeeper_client::Error::NoNode) => {
                            match c.check_and_watch_stat(path).await {
                                Ok((None, w)) => {
                                    self.arm(w, path, WatchKind::Data, generation);
                                    Ok(None)
                                }
                                Ok((Some(_), w)) => {
                                    // Created in between: dispatching the watch re-reads it.
                                    self.arm(w, path, WatchKind::Data, generation);
                                    Ok(None)
                                }
                                Err(e) => {
                                    self.release_watch(path, WatchKind::Data, generation);
                                    Err(e)
                                }
                            }
                        }
                        Err(e) => {
                            self.release_watch(path, WatchKind::Data, generation);
                            Err(e)
                        }
                    }
                } else {
                    match c.get_data(path).await {
                        Ok(v) => Ok(Some(v)),
                        Err(zookeeper_client::Error::NoNode) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            })
            .await?;
        Ok(r)
    }

    /// `getChildren`; `Ok(None)` when the node does not exist. Arms a child watch when `watch`
    /// and a child handler is registered.
    pub async fn get_children(
        &self,
        path: &str,
        watch: bool,
    ) -> Result<Option<Vec<String>>, ZkError> {
        self.retry_until_connected("getChildren", path, |c, generation| async move {
            let r = if watch && self.claim_watch(path, WatchKind::Child, generation) {
                match c.get_and_watch_children(path).await {
                    Ok((children, _, w)) => {
                        self.arm(w, path, WatchKind::Child, generation);
                        Ok(children)
                    }
                    Err(e) => {
                        self.release_watch(path, WatchKind::Child, generation);
                        Err(e)
                    }
                }
            } else {
                c.list_children(path).await
            };
            match r {
                Ok(v) => Ok(Some(v)),
                Err(zookeeper_client::Error::NoNode) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await
    }

    fn arm(&self, watcher: OneshotWatcher, path: &str, kind: WatchKind, generation: u64) {
        // `spawn_watch` needs an `Arc<Self>`; every KafkaZkClient lives in an Arc (see `connect`).
        match self.me.upgrade() {
            Some(me) => me.spawn_watch(watcher, path.to_string(), kind, generation),
            None => self.release_watch(path, kind, generation),
        }
    }

    /// Creates `path` with `data`, creating missing parents with empty data; `Ok(false)` when it
    /// already existed. Kafka: `KafkaZkClient.createRecursive(path, data, throwIfPathExists = false)`.
    pub async fn create_recursive(&self, path: &str, data: &[u8]) -> Result<bool, ZkError> {
        loop {
            let r = self
                .retry_until_connected("create", path, |c, _| async move {
                    c.create(path, data, &self.persistent(path))
                        .await
                        .map(|_| ())
                })
                .await;
            match r {
                Ok(()) => return Ok(true),
                Err(e) => match e.code() {
                    Some(zookeeper_client::Error::NodeExists) => return Ok(false),
                    Some(zookeeper_client::Error::NoNode) => {
                        let parent = match path.rfind('/') {
                            Some(0) | None => return Err(e),
                            Some(i) => &path[..i],
                        };
                        // Kafka creates missing parents with null data.
                        if !self.create_null_paths(&[parent]).await {
                            Box::pin(self.create_recursive(parent, &[])).await?;
                        }
                    }
                    _ => return Err(e),
                },
            }
        }
    }

    /// Creates `paths` (relative to the chroot) and their parents as persistent znodes with
    /// null data, like Kafka's `createRecursive(path, null)`; existing ones are kept. Returns
    /// false if that could not be done (the caller then falls back to empty data).
    ///
    /// Each znode gets `ZkData.defaultAcls` of its path as Kafka's client sees it: relative to
    /// the chroot (the chroot's own prefixes, normally existing already, absolute).
    pub async fn create_null_paths(&self, paths: &[&str]) -> bool {
        let chroot = self.connect.chroot.as_deref();
        let secure = self.security.secure_acls;
        let mut all: Vec<(String, zookeeper_client::Acls<'static>)> = Vec::new();
        let mut push = |absolute: String, acls| {
            if !all.iter().any(|(p, _)| *p == absolute) {
                all.push((absolute, acls));
            }
        };
        if let Some(chroot) = chroot {
            for prefix in super::null_data::prefixes(None, chroot) {
                let acls = default_acls(secure, &prefix);
                push(prefix, acls);
            }
        }
        for p in paths {
            for prefix in super::null_data::prefixes(None, p) {
                let acls = default_acls(secure, &prefix);
                push(format!("{}{prefix}", chroot.unwrap_or("")), acls);
            }
        }
        match super::null_data::create_null_paths(
            &self.connect.hosts,
            &all,
            self.session_timeout.as_millis() as u32,
            self.connection_timeout,
            self.security.sasl.as_ref(),
        )
        .await
        {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(
                    "Creating {paths:?} with null data failed ({e}); using empty data instead"
                );
                false
            }
        }
    }

    /// Deletes `path` at `expected_version` (`None` = any). `Ok(false)` when it did not exist.
    pub async fn delete(&self, path: &str, expected_version: Option<i32>) -> Result<bool, ZkError> {
        let r = self
            .retry_until_connected("delete", path, |c, _| async move {
                c.delete(path, expected_version).await
            })
            .await;
        match r {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.code(), Some(zookeeper_client::Error::NoNode)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `setData` at `expected_version` (`None` = any).
    pub async fn set_data(
        &self,
        path: &str,
        data: &[u8],
        expected_version: Option<i32>,
    ) -> Result<Stat, ZkError> {
        self.retry_until_connected("setData", path, |c, _| async move {
            c.set_data(path, data, expected_version).await
        })
        .await
    }
}
