//! `zkafka perf produce` and `zkafka perf consume` — the flags and output lines of Kafka
//! 3.9's `kafka-producer-perf-test.sh` (`org.apache.kafka.tools.ProducerPerformance`) and
//! `kafka-consumer-perf-test.sh` (`org.apache.kafka.tools.ConsumerPerformance`).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use crate::client::fetcher::{FetchConfig, Fetcher, OffsetSpec};
use crate::client::producer::{Producer, ProducerConfig};
use crate::client::{
    parse_properties, read_properties_file, ClientConfig, KafkaClient, ProducerRecord,
};

/// `zkafka perf produce|consume`.
#[derive(clap::Args, Debug)]
pub struct PerfArgs {
    #[command(subcommand)]
    pub command: PerfCommand,
}

/// The two benchmarks.
#[derive(clap::Subcommand, Debug)]
pub enum PerfCommand {
    /// Producer benchmark, like kafka-producer-perf-test.sh.
    Produce(ProducePerfArgs),
    /// Consumer benchmark, like kafka-consumer-perf-test.sh.
    Consume(ConsumePerfArgs),
}

/// Arguments of `zkafka perf produce`, named as `kafka-producer-perf-test.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct ProducePerfArgs {
    /// Produce messages to this topic.
    #[arg(long)]
    pub topic: String,
    /// Number of messages to produce.
    #[arg(long = "num-records")]
    pub num_records: u64,
    /// Message size in bytes.
    #[arg(long = "record-size")]
    pub record_size: usize,
    /// Throttle to about this many messages/sec; -1 for no throttling.
    #[arg(long, allow_hyphen_values = true)]
    pub throughput: f64,
    /// Producer configs, e.g. bootstrap.servers=host:port acks=all linger.ms=5 batch.size=65536
    /// compression.type=lz4.
    #[arg(long = "producer-props", num_args = 1.., value_name = "PROP=VALUE")]
    pub producer_props: Vec<String>,
    /// A producer config file (Java properties).
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<PathBuf>,
    /// zkafka extension: bootstrap servers without --producer-props.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: Option<String>,
}

/// Arguments of `zkafka perf consume`, named as `kafka-consumer-perf-test.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct ConsumePerfArgs {
    /// REQUIRED: the server(s) to connect to.
    #[arg(
        long = "bootstrap-server",
        alias = "broker-list",
        value_name = "SERVERS"
    )]
    pub bootstrap_server: String,
    /// REQUIRED: the topic to consume from.
    #[arg(long)]
    pub topic: String,
    /// REQUIRED: the number of messages to consume.
    #[arg(long)]
    pub messages: u64,
    /// Give up when no message arrived for this many ms (Kafka's default 10000).
    #[arg(long, default_value_t = 10_000)]
    pub timeout: u64,
    /// Start at the end of the log instead of the beginning.
    #[arg(long = "from-latest")]
    pub from_latest: bool,
    /// max.partition.fetch.bytes (Kafka's default 1048576).
    #[arg(long = "fetch-size", default_value_t = 1_048_576)]
    pub fetch_size: i32,
    /// Do not print the header line.
    #[arg(long = "hide-header")]
    pub hide_header: bool,
    /// Accepted for compatibility; zkafka consumes without a consumer group for now.
    #[arg(long)]
    pub group: Option<String>,
    /// A consumer config file (Java properties): fetch.max.wait.ms, fetch.min.bytes, ...
    #[arg(long = "consumer.config", value_name = "FILE")]
    pub consumer_config: Option<PathBuf>,
}

/// Runs a benchmark; returns the process exit code.
pub fn run(args: PerfArgs) -> i32 {
    let runtime = match crate::client::tool_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let result = match args.command {
        PerfCommand::Produce(a) => runtime.block_on(produce(a)),
        PerfCommand::Consume(a) => runtime.block_on(consume(a)),
    };
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

const MIB: f64 = 1024.0 * 1024.0;

/// Kafka's `ProducerPerformance.Stats`: latencies in whole ms, a window line every 5 s, a
/// sample of at most 500000 latencies for the percentiles.
pub struct Stats {
    start: Instant,
    window_start: Instant,
    sampling: u64,
    latencies: Vec<u32>,
    iteration: u64,
    count: u64,
    bytes: u64,
    max_latency: u64,
    total_latency: u64,
    window_count: u64,
    window_max_latency: u64,
    window_total_latency: u64,
    window_bytes: u64,
    reporting_interval: Duration,
}

impl Stats {
    /// Stats for `num_records` records, reporting every `reporting_interval`.
    pub fn new(num_records: u64, reporting_interval: Duration) -> Self {
        let now = Instant::now();
        let sampling = num_records / num_records.clamp(1, 500_000);
        Stats {
            start: now,
            window_start: now,
            sampling: sampling.max(1),
            latencies: Vec::with_capacity((num_records / sampling.max(1)) as usize + 1),
            iteration: 0,
            count: 0,
            bytes: 0,
            max_latency: 0,
            total_latency: 0,
            window_count: 0,
            window_max_latency: 0,
            window_total_latency: 0,
            window_bytes: 0,
            reporting_interval,
        }
    }

    /// Records one acknowledged record; returns a window line when one is due.
    pub fn record(&mut self, latency_ms: u64, bytes: u64) -> Option<String> {
        self.count += 1;
        self.bytes += bytes;
        self.total_latency += latency_ms;
        self.max_latency = self.max_latency.max(latency_ms);
        self.window_count += 1;
        self.window_bytes += bytes;
        self.window_total_latency += latency_ms;
        self.window_max_latency = self.window_max_latency.max(latency_ms);
        if self.iteration.is_multiple_of(self.sampling) {
            self.latencies.push(latency_ms.min(u32::MAX as u64) as u32);
        }
        self.iteration += 1;
        if self.window_start.elapsed() >= self.reporting_interval {
            let line = window_line(
                self.window_count,
                self.window_bytes,
                self.window_total_latency,
                self.window_max_latency,
                self.window_start.elapsed().as_millis() as u64,
            );
            self.window_start = Instant::now();
            self.window_count = 0;
            self.window_bytes = 0;
            self.window_total_latency = 0;
            self.window_max_latency = 0;
            return Some(line);
        }
        None
    }

    /// The final line.
    pub fn total_line(&mut self) -> String {
        let elapsed_ms = self.start.elapsed().as_millis() as u64;
        self.latencies.sort_unstable();
        total_line(
            self.count,
            self.bytes,
            self.total_latency,
            self.max_latency,
            elapsed_ms,
            &self.latencies,
        )
    }
}

/// `ProducerPerformance.Stats.printWindow`:
/// `%d records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, %.1f ms max latency.`
pub fn window_line(
    count: u64,
    bytes: u64,
    total_latency: u64,
    max_latency: u64,
    elapsed_ms: u64,
) -> String {
    let elapsed = elapsed_ms.max(1) as f64;
    format!(
        "{} records sent, {:.1} records/sec ({:.2} MB/sec), {:.1} ms avg latency, {:.1} ms max latency.",
        count,
        1000.0 * count as f64 / elapsed,
        1000.0 * bytes as f64 / elapsed / MIB,
        total_latency as f64 / count.max(1) as f64,
        max_latency as f64
    )
}

/// `ProducerPerformance.Stats.printTotal`: `%d records sent, %f records/sec (%.2f MB/sec),
/// %.2f ms avg latency, %.2f ms max latency, %d ms 50th, %d ms 95th, %d ms 99th, %d ms 99.9th.`
/// Percentiles are `sorted[(int)(n * p)]` of the sampled latencies, as Kafka's `percentiles`.
pub fn total_line(
    count: u64,
    bytes: u64,
    total_latency: u64,
    max_latency: u64,
    elapsed_ms: u64,
    sorted: &[u32],
) -> String {
    let elapsed = elapsed_ms.max(1) as f64;
    let pct = |p: f64| {
        let i = ((sorted.len() as f64) * p) as usize;
        sorted
            .get(i.min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0)
    };
    format!(
        "{} records sent, {:.6} records/sec ({:.2} MB/sec), {:.2} ms avg latency, {:.2} ms max latency, {} ms 50th, {} ms 95th, {} ms 99th, {} ms 99.9th.",
        count,
        1000.0 * count as f64 / elapsed,
        1000.0 * bytes as f64 / elapsed / MIB,
        total_latency as f64 / count.max(1) as f64,
        max_latency as f64,
        pct(0.5),
        pct(0.95),
        pct(0.99),
        pct(0.999)
    )
}

/// Kafka's perf payload: `record-size` random upper-case letters, generated once and reused.
fn payload(size: usize) -> Bytes {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    Bytes::from(
        (0..size)
            .map(|_| rng.gen_range(b'A'..=b'Z'))
            .collect::<Vec<u8>>(),
    )
}

async fn produce(args: ProducePerfArgs) -> Result<(), String> {
    let mut props = Vec::new();
    if let Some(path) = &args.producer_config {
        props.extend(read_properties_file(path).map_err(|e| e.to_string())?);
    }
    props.extend(parse_properties(&args.producer_props).map_err(|e| e.to_string())?);
    let mut bootstrap = args.bootstrap_server.clone();
    let mut config = ProducerConfig::default();
    for (k, v) in &props {
        match k.as_str() {
            "bootstrap.servers" => bootstrap = Some(v.clone()),
            "client.id" | "key.serializer" | "value.serializer" => {}
            _ => {
                if let Err(e) = config.set(k, v) {
                    if e.to_string().starts_with("unknown producer config") {
                        eprintln!(
                            "WARN The configuration '{k}' was supplied but isn't a known config."
                        );
                    } else {
                        return Err(e.to_string());
                    }
                }
            }
        }
    }
    let bootstrap = bootstrap.ok_or(
        "Missing required configuration \"bootstrap.servers\" which has no default value.",
    )?;
    let client = KafkaClient::connect(ClientConfig::new(&bootstrap))
        .await
        .map_err(|e| e.to_string())?;
    let producer = Producer::new(client, config);
    let value = payload(args.record_size);
    let stats = Arc::new(Mutex::new(Stats::new(
        args.num_records,
        Duration::from_secs(5),
    )));
    let errors = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now();
    for i in 0..args.num_records {
        // Kafka: ThroughputThrottler — sleep while ahead of the target rate.
        if args.throughput > 0.0 {
            let due = Duration::from_secs_f64(i as f64 / args.throughput);
            let elapsed = start.elapsed();
            if due > elapsed {
                tokio::time::sleep(due - elapsed).await;
            }
        }
        let send_start = Instant::now();
        let stats = stats.clone();
        let errors = errors.clone();
        let bytes = args.record_size as u64;
        let record = ProducerRecord {
            topic: args.topic.clone(),
            value: Some(value.clone()),
            ..Default::default()
        };
        producer
            .send_with_callback(
                record,
                Box::new(move |r| match r {
                    Ok(_) => {
                        let latency = send_start.elapsed().as_millis() as u64;
                        let line = stats
                            .lock()
                            .expect("stats lock poisoned")
                            .record(latency, bytes);
                        if let Some(line) = line {
                            println!("{line}");
                        }
                    }
                    Err(e) => {
                        let mut first = errors.lock().expect("errors lock poisoned");
                        if first.is_none() {
                            eprintln!("ERROR {e}");
                            *first = Some(e.to_string());
                        }
                    }
                }),
            )
            .await
            .map_err(|e| e.to_string())?;
    }
    producer.flush().await;
    println!(
        "{}",
        stats.lock().expect("stats lock poisoned").total_line()
    );
    producer.close().await;
    let first_error = errors.lock().expect("errors lock poisoned").take();
    match first_error {
        Some(e) => Err(format!("some records failed: {e}")),
        None => Ok(()),
    }
}

/// `ConsumerPerformance`'s header line (without --show-detailed-stats).
pub const CONSUMER_HEADER: &str = "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

/// `ConsumerPerformance`'s result line: `%s, %s, %.4f, %.4f, %d, %.4f, %d, %d, %.4f, %.4f`.
pub fn consumer_result_line(
    start_ms: i64,
    end_ms: i64,
    bytes: u64,
    messages: u64,
    join_ms: i64,
) -> String {
    let elapsed_secs = ((end_ms - start_ms) as f64 / 1000.0).max(f64::MIN_POSITIVE);
    let total_mb = bytes as f64 / MIB;
    let fetch_ms = end_ms - start_ms - join_ms;
    let fetch_secs = (fetch_ms as f64 / 1000.0).max(f64::MIN_POSITIVE);
    format!(
        "{}, {}, {:.4}, {:.4}, {}, {:.4}, {}, {}, {:.4}, {:.4}",
        format_date_ms(start_ms),
        format_date_ms(end_ms),
        total_mb,
        total_mb / elapsed_secs,
        messages,
        messages as f64 / elapsed_secs,
        join_ms,
        fetch_ms,
        total_mb / fetch_secs,
        messages as f64 / fetch_secs
    )
}

/// Kafka's default `--date-format` `yyyy-MM-dd HH:mm:ss:SSS`, rendered in UTC.
pub fn format_date_ms(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let ms = epoch_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}:{ms:03}",
        tod / 3600,
        (tod % 3600) / 60,
        tod % 60
    )
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn consume(args: ConsumePerfArgs) -> Result<(), String> {
    if args.group.is_some() {
        eprintln!("WARN zkafka perf consume does not use consumer groups yet; --group is ignored.");
    }
    let mut config = FetchConfig {
        max_partition_bytes: args.fetch_size,
        ..FetchConfig::default()
    };
    if let Some(path) = &args.consumer_config {
        for (k, v) in read_properties_file(path).map_err(|e| e.to_string())? {
            let n = v.trim().parse::<i32>();
            match (k.as_str(), n) {
                ("fetch.max.wait.ms", Ok(n)) => config.max_wait_ms = n,
                ("fetch.min.bytes", Ok(n)) => config.min_bytes = n,
                ("fetch.max.bytes", Ok(n)) => config.max_bytes = n,
                ("max.partition.fetch.bytes", Ok(n)) => config.max_partition_bytes = n,
                _ => {}
            }
        }
    }
    if !args.hide_header {
        println!("{CONSUMER_HEADER}");
    }
    let start_ms = epoch_ms();
    let start = Instant::now();
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    let mut fetcher = Fetcher::new(client, config);
    let from = if args.from_latest {
        OffsetSpec::Latest
    } else {
        OffsetSpec::Earliest
    };
    fetcher
        .assign(&args.topic, None, from)
        .await
        .map_err(|e| e.to_string())?;
    // No group join happens; the time to find leaders and starting offsets stands in for
    // Kafka's rebalance.time.ms.
    let join_ms = start.elapsed().as_millis() as i64;
    let timeout = Duration::from_millis(args.timeout);
    let mut last_consumed = Instant::now();
    let (mut messages, mut bytes) = (0u64, 0u64);
    while messages < args.messages && last_consumed.elapsed() <= timeout {
        let records = fetcher.poll().await.map_err(|e| e.to_string())?;
        if !records.is_empty() {
            last_consumed = Instant::now();
        }
        for (_, r) in records {
            messages += 1;
            bytes += (r.key.map_or(0, |k| k.len()) + r.value.map_or(0, |v| v.len())) as u64;
        }
    }
    let end_ms = epoch_ms();
    if messages < args.messages {
        println!(
            "WARNING: Exiting before consuming the expected number of messages: timeout ({} ms) exceeded. You can use the --timeout option to increase the timeout.",
            args.timeout
        );
    }
    println!(
        "{}",
        consumer_result_line(start_ms, end_ms, bytes, messages, join_ms)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka 3.9.1's ProducerPerformance final line on the reference broker:
    /// "2000000 records sent, 42643.014008 records/sec (4.07 MB/sec), 5656.53 ms avg latency,
    /// 12022.00 ms max latency, 5463 ms 50th, 11249 ms 95th, 11843 ms 99th, 12008 ms 99.9th."
    /// — same printf shapes and, for the same count and elapsed time (46901 ms), the same rate.
    #[test]
    fn producer_lines_have_kafka_format() {
        let sorted: Vec<u32> = (0..1000).collect();
        assert_eq!(
            total_line(2_000_000, 200_000_000, 2_000_000 * 5, 12_022, 46_901, &sorted),
            "2000000 records sent, 42643.014008 records/sec (4.07 MB/sec), 5.00 ms avg latency, 12022.00 ms max latency, 500 ms 50th, 950 ms 95th, 990 ms 99th, 999 ms 99.9th."
        );
        assert_eq!(
            window_line(125_206, 12_520_600, 125_206 * 7831, 10_105, 5001),
            "125206 records sent, 25036.2 records/sec (2.39 MB/sec), 7831.0 ms avg latency, 10105.0 ms max latency."
        );
    }

    /// Kafka's `Stats` keeps every `numRecords / min(numRecords, 500000)`-th latency.
    #[test]
    fn stats_sample_at_most_500k_latencies() {
        let mut s = Stats::new(2_000_000, Duration::from_secs(3600));
        assert_eq!(s.sampling, 4);
        for i in 0..2_000_000u64 {
            s.record(i % 10, 100);
        }
        assert_eq!(s.latencies.len(), 500_000);
        assert!(s.total_line().starts_with("2000000 records sent, "));
    }

    /// ConsumerPerformance's date format `yyyy-MM-dd HH:mm:ss:SSS` and result columns.
    #[test]
    fn consumer_line_has_kafka_format() {
        assert_eq!(format_date_ms(0), "1970-01-01 00:00:00:000");
        assert_eq!(format_date_ms(1_795_672_161_021), "2026-11-26 05:49:21:021");
        let line = consumer_result_line(
            1_795_672_161_021,
            1_795_672_171_021,
            2 * 1024 * 1024 * 10,
            200_000,
            1000,
        );
        assert_eq!(
            line,
            "2026-11-26 05:49:21:021, 2026-11-26 05:49:31:021, 20.0000, 2.0000, 200000, 20000.0000, 1000, 9000, 2.2222, 22222.2222"
        );
    }
}
