//! Runs the per-partition disk work of one LeaderAndIsr request on a few threads at once.
//!
//! Becoming leader writes each partition's `leader-epoch-checkpoint` and creating a log writes
//! its fsynced `partition.metadata`; both must be durable before the broker answers (a leader
//! must not serve an epoch it could forget, Kafka: `Partition.makeLeader` →
//! `LeaderEpochFileCache.assign`). Kafka does these one partition after another inside
//! `ReplicaManager.makeLeaders`; at one fsync pair (~7–11 ms on the benchmark machine's virtio
//! disk) per partition a failover that moves 500 partitions to a broker then takes seconds.
//! The partitions are independent files, so their fsyncs can be in flight together and the
//! file system commits them in shared journal transactions: the same guarantees per
//! partition, a fraction of the wall time.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads used for one request's partition work. Chosen by measurement (docs/benchmarks.md,
/// "Failover"): checkpoint writes (write, fsync, rename, fsync dir) in parallel cost per write
/// 10.8 ms with 1 thread, 3.6 ms with 4, 3.2 ms with 8, 2.2 ms with 16 and 2.5 ms with 32.
pub const STATE_CHANGE_THREADS: usize = 16;

/// `f` applied to every item, results in item order, on up to [`STATE_CHANGE_THREADS`] scoped
/// threads (the calling thread alone for a single item). `f` must be safe to run for
/// different items concurrently.
pub fn map_in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = STATE_CHANGE_THREADS.min(items.len());
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    // Work that needs the async runtime (a ZooKeeper read, a spawned task) finds it from the
    // workers as it would from the calling `spawn_blocking` thread.
    let runtime = tokio::runtime::Handle::try_current().ok();
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let _runtime = runtime.as_ref().map(|h| h.enter());
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        out.push((i, f(item)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for (i, r) in done.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots
        .into_iter()
        .map(|r| r.expect("every index is taken by exactly one worker"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in item order whatever thread ran them, and every item runs once.
    #[test]
    fn results_in_item_order() {
        let items: Vec<u64> = (0..1000).collect();
        let runs = AtomicUsize::new(0);
        let out = map_in_parallel(&items, |x| {
            runs.fetch_add(1, Ordering::Relaxed);
            x * 2
        });
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(runs.load(Ordering::Relaxed), 1000);
        assert!(map_in_parallel(&[] as &[u64], |x| *x).is_empty());
        assert_eq!(map_in_parallel(&[7u64], |x| x + 1), vec![8]);
    }

    /// Called from a runtime's blocking thread (as LeaderAndIsr is), the workers see the same
    /// runtime: the topic-config provider's ZooKeeper read needs `Handle::current()`.
    #[test]
    fn workers_enter_the_callers_runtime() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let out = rt.block_on(async {
            tokio::task::spawn_blocking(|| {
                map_in_parallel(&[1u32, 2, 3, 4], |x| {
                    let h = tokio::runtime::Handle::current();
                    tokio::task::block_in_place(|| h.block_on(async { x * 10 }))
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(out, vec![10, 20, 30, 40]);
    }

    /// Work really overlaps: 16 items that each sleep 50 ms finish in well under 16 × 50 ms.
    #[test]
    fn items_run_concurrently() {
        let items: Vec<u32> = (0..16).collect();
        let start = std::time::Instant::now();
        map_in_parallel(&items, |_| {
            std::thread::sleep(std::time::Duration::from_millis(50))
        });
        assert!(
            start.elapsed() < std::time::Duration::from_millis(400),
            "{:?}",
            start.elapsed()
        );
    }
}
