//! Log storage benchmarks (issue 3 targets: append ≥ 1 GB/s into the page cache, reads ≥ 2 GB/s,
//! recovery time of a 1 GiB log). Run: `cargo bench --bench log`.
//! Each benchmark uses a log in a temp dir under `$ZKAFKA_BENCH_DIR` (default `/tmp`, the local
//! disk through the page cache; nothing is fsynced, as Kafka does by default). Set it to
//! `/dev/shm` to measure the log's own cost without device write-back throttling.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use zkafka::cluster::TopicPartition;
use zkafka::log::{LoadParams, Log, LogConfig, LogDirFailureChannel};
use zkafka::time::SystemClock;

/// One v2 batch of 16 records with 1 KiB values (≈16.5 KiB), as a producer would send.
fn batch_16k() -> Bytes {
    let records: Vec<Record> = (0..16)
        .map(|i| Record {
            transactional: false,
            control: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i,
            sequence: i as i32 - 1,
            timestamp: 1_767_225_600_000 + i,
            key: Some(Bytes::from(format!("key-{i}"))),
            value: Some(Bytes::from(vec![b'v'; 1024])),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        &records,
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .expect("encodes");
    buf.freeze()
}

fn bench_root() -> tempfile::TempDir {
    let base = std::env::var("ZKAFKA_BENCH_DIR").unwrap_or_else(|_| "/tmp".to_string());
    tempfile::tempdir_in(base).expect("bench dir is writable")
}

fn open(dir: &Path, clean: bool) -> Arc<Log> {
    Log::load(LoadParams {
        tp: TopicPartition::new("bench", 0),
        dir: dir.join("bench-0"),
        parent_dir: dir.to_path_buf(),
        config: LogConfig::default(),
        clock: SystemClock::shared(),
        failure: Arc::new(LogDirFailureChannel::new()),
        recovery_point: 0,
        log_start_offset: None,
        high_watermark: None,
        had_clean_shutdown: clean,
        topic_id: None,
    })
    .expect("log loads")
    .0
}

/// Process CPU time (user + system) in seconds, from /proc/self/stat (clock ticks of 10 ms).
/// The build machine is shared (load average far above its 2 cores), so wall-clock numbers
/// understate the log; CPU-time throughput over a multi-second loop says what one core does.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_comm = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) overall = indexes 11 and 12 after the comm field.
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// Prints bytes per CPU-second and per wall-second for `work`, which returns bytes processed.
fn cpu_report(name: &str, mut work: impl FnMut() -> u64) {
    let (c0, w0) = (cpu_seconds(), Instant::now());
    let bytes = work();
    let (cpu, wall) = (cpu_seconds() - c0, w0.elapsed().as_secs_f64());
    println!(
        "CPU-TIME {name}: {:.0} MB in {:.2} s CPU ({:.2} s wall): {:.2} GB/s per CPU-second, {:.2} GB/s wall",
        bytes as f64 / 1e6,
        cpu,
        wall,
        bytes as f64 / 1e9 / cpu.max(0.01),
        bytes as f64 / 1e9 / wall
    );
}

fn cpu_time_runs(_c: &mut Criterion) {
    let dir = bench_root();
    let log = open(dir.path(), true);
    let batch = batch_16k();
    // Append 2 GiB in 512 MiB rounds (truncating between rounds, like the criterion bench).
    cpu_report("append_as_leader 16 KiB batches", || {
        let mut total = 0u64;
        for _ in 0..4 {
            while log.size() < 512 << 20 {
                log.append_as_leader(&batch, 1).unwrap();
                total += batch.len() as u64;
            }
            log.truncate_fully_and_start_at(log.log_end_offset())
                .unwrap();
        }
        total
    });
    while log.size() < 512 << 20 {
        log.append_as_leader(&batch, 1).unwrap();
    }
    let start = log.log_start_offset();
    let leo = log.log_end_offset();
    cpu_report("read 1 MiB sequential", || {
        let mut total = 0u64;
        for _ in 0..4 {
            let mut next = start;
            while next < leo {
                let d = log.read(next, 1 << 20, Some(leo), true).unwrap();
                next += 16 * (d.records.len() / batch.len()) as i64;
                total += d.records.len() as u64;
            }
        }
        total
    });
    log.close().unwrap();
    let size = log.size();
    drop(log);
    cpu_report("recover (unclean load) 512 MiB log", || {
        let log = open(dir.path(), false);
        assert!(log.log_end_offset() > 0);
        size
    });
}

fn append(c: &mut Criterion) {
    let dir = bench_root();
    let log = open(dir.path(), true);
    let batch = batch_16k();
    let mut g = c.benchmark_group("log");
    g.throughput(Throughput::Bytes(batch.len() as u64));
    g.measurement_time(Duration::from_secs(8));
    g.bench_function("append_as_leader 16 KiB batch (1 KiB records)", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                log.append_as_leader(&batch, 1).unwrap();
            }
            let t = start.elapsed();
            // Keep the page cache footprint bounded (not timed).
            if log.size() > 512 << 20 {
                log.truncate_fully_and_start_at(log.log_end_offset())
                    .unwrap();
            }
            t
        })
    });
    g.finish();
}

fn read(c: &mut Criterion) {
    let dir = bench_root();
    let log = open(dir.path(), true);
    let batch = batch_16k();
    // 256 MiB of batches.
    while log.size() < 256 << 20 {
        log.append_as_leader(&batch, 1).unwrap();
    }
    let leo = log.log_end_offset();
    let mut g = c.benchmark_group("log");
    let max_bytes = 1 << 20;
    g.throughput(Throughput::Bytes(max_bytes as u64));
    g.measurement_time(Duration::from_secs(8));
    let mut next = 0i64;
    g.bench_function("read 1 MiB sequential (whole batches)", |b| {
        b.iter(|| {
            let d = log.read(next, max_bytes, Some(leo), true).unwrap();
            next += 16 * (d.records.len() / batch.len()) as i64;
            if next >= leo {
                next = 0;
            }
            d.records.len()
        })
    });
    g.finish();
}

fn recovery(c: &mut Criterion) {
    let dir = bench_root();
    {
        let log = open(dir.path(), true);
        let batch = batch_16k();
        while log.size() < 1 << 30 {
            log.append_as_leader(&batch, 1).unwrap();
        }
        log.close().unwrap();
    }
    let mut g = c.benchmark_group("log");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(1 << 30));
    g.bench_function(
        "recover 1 GiB log (unclean shutdown, page cache warm)",
        |b| {
            b.iter(|| {
                let log = open(dir.path(), false);
                assert!(log.log_end_offset() > 0);
            })
        },
    );
    g.finish();
}

criterion_group!(benches, cpu_time_runs, append, read, recovery);
criterion_main!(benches);
