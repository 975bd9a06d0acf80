//! Delayed operations: a produce with acks=-1 waiting for the high watermark, a fetch waiting
//! for `fetch.min.bytes`. Kafka: `DelayedOperationPurgatory`, `DelayedProduce`, `DelayedFetch`.
//!
//! Instead of Kafka's purgatory (a timer wheel plus per-key watcher lists), a delayed operation
//! is an async task: it registers one `tokio::sync::Notify` on each partition it depends on
//! ([`Partition::watch`]), re-checks its completion condition every time one of them changes
//! (append, HW move, ISR change, leadership change), and gives up at its deadline.
//!
//! Limits: the socket server handles one request per connection at a time, so at most one
//! delayed operation exists per open connection (`max.connections`), each registered once per
//! partition it names (watch lists de-duplicate and prune dropped operations).

use std::sync::Arc;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::cluster::Partition;

/// Waits until `check` returns `Some`, re-checking whenever one of `partitions` changes, or
/// until `deadline`, when `check` runs one last time and its `None` is returned as is.
/// Kafka: `DelayedOperation.tryComplete` / `forceComplete` / `onExpiration`.
pub async fn wait_until<T>(
    partitions: &[Arc<Partition>],
    deadline: Instant,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let notify = Arc::new(Notify::new());
    loop {
        // Register before checking: a change between the check and the wait stores a permit
        // in the Notify, so it is never missed.
        for p in partitions {
            p.watch(&notify);
        }
        if let Some(done) = check() {
            return Some(done);
        }
        if tokio::time::timeout_at(deadline, notify.notified())
            .await
            .is_err()
        {
            return check();
        }
    }
}

/// Waits for the next change of any of `partitions`; `false` when `deadline` passed first.
pub async fn wait_for_change(partitions: &[Arc<Partition>], deadline: Instant) -> bool {
    let notify = Arc::new(Notify::new());
    for p in partitions {
        p.watch(&notify);
    }
    tokio::time::timeout_at(deadline, notify.notified())
        .await
        .is_ok()
}
