//! `LogDirFailureChannel`: how an I/O error takes a log directory offline.
//!
//! The first I/O error in a directory marks it offline (once) and sends its path on a channel.
//! Sender: any `Log` or the `LogManager` hitting an I/O error. Receiver: the server (one
//! subscriber, taken with [`LogDirFailureChannel::take_receiver`]), which stops serving the
//! directory's partitions and tells the controller (Kafka: `ReplicaManager.handleLogDirFailure`
//! → `/log_dir_event_notification`). Every log in an offline directory answers
//! `KAFKA_STORAGE_ERROR` from then on; data already written is left untouched.
//! Kafka: `LogDirFailureChannel.java`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::sync::mpsc;

/// Offline directories and the notification channel.
#[derive(Debug)]
pub struct LogDirFailureChannel {
    offline: Mutex<HashSet<PathBuf>>,
    sender: mpsc::UnboundedSender<PathBuf>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<PathBuf>>>,
}

impl Default for LogDirFailureChannel {
    fn default() -> Self {
        Self::new()
    }
}

impl LogDirFailureChannel {
    pub fn new() -> LogDirFailureChannel {
        // Unbounded is safe: at most one message per configured log dir is ever sent.
        let (sender, receiver) = mpsc::unbounded_channel();
        LogDirFailureChannel {
            offline: Mutex::new(HashSet::new()),
            sender,
            receiver: Mutex::new(Some(receiver)),
        }
    }

    /// The receiving end, for the one subscriber (the server). `None` after the first call.
    pub fn take_receiver(&self) -> Option<mpsc::UnboundedReceiver<PathBuf>> {
        self.receiver
            .lock()
            .expect("failure channel lock poisoned")
            .take()
    }

    /// Marks `dir` offline and notifies the subscriber, the first time only.
    /// Kafka: `LogDirFailureChannel.maybeAddOfflineLogDir`.
    pub fn maybe_add_offline_log_dir(&self, dir: &Path, reason: &str) {
        let first = self
            .offline
            .lock()
            .expect("failure channel lock poisoned")
            .insert(dir.to_path_buf());
        if first {
            tracing::error!(dir = %dir.display(), reason, "log directory is offline");
            // A dropped receiver means nobody listens (tests, shutdown); the offline mark stands.
            let _ = self.sender.send(dir.to_path_buf());
        }
    }

    pub fn is_offline(&self, dir: &Path) -> bool {
        self.offline
            .lock()
            .expect("failure channel lock poisoned")
            .contains(dir)
    }

    pub fn offline_dirs(&self) -> Vec<PathBuf> {
        self.offline
            .lock()
            .expect("failure channel lock poisoned")
            .iter()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka notifies each offline dir once (`maybeAddOfflineLogDir` uses putIfAbsent).
    #[test]
    fn dir_is_reported_once() {
        let c = LogDirFailureChannel::new();
        let mut rx = c.take_receiver().unwrap();
        assert!(c.take_receiver().is_none());
        c.maybe_add_offline_log_dir(Path::new("/d1"), "EIO");
        c.maybe_add_offline_log_dir(Path::new("/d1"), "EIO again");
        assert!(c.is_offline(Path::new("/d1")));
        assert_eq!(rx.try_recv().unwrap(), PathBuf::from("/d1"));
        assert!(rx.try_recv().is_err());
    }
}
