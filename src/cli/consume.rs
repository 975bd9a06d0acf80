//! `zkafka consume` — the shapes of Kafka's console consumer (`kafka-console-consumer.sh`,
//! Kafka 3.9: `org.apache.kafka.tools.consumer.ConsoleConsumer`) and the output of its
//! `DefaultMessageFormatter`. No consumer groups yet: partitions are assigned directly.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kafka_protocol::records::TimestampType;

use crate::client::fetcher::{FetchConfig, Fetcher, OffsetSpec};
use crate::client::{
    parse_properties, read_properties_file, ClientConfig, ConsumerRecord, KafkaClient,
};

/// Arguments of `zkafka consume`, named as `kafka-console-consumer.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct ConsumeArgs {
    /// REQUIRED: the Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: String,
    /// The topic to consume from.
    #[arg(long)]
    pub topic: String,
    /// Consume only this partition (all partitions when absent).
    #[arg(long)]
    pub partition: Option<i32>,
    /// earliest, latest, or an offset; needs --partition (Kafka's rule). Default: latest.
    #[arg(long)]
    pub offset: Option<String>,
    /// Start with the earliest message rather than the latest.
    #[arg(long = "from-beginning")]
    pub from_beginning: bool,
    /// Exit after this many messages.
    #[arg(long = "max-messages")]
    pub max_messages: Option<u64>,
    /// Exit when no message arrived for this many milliseconds.
    #[arg(long = "timeout-ms")]
    pub timeout_ms: Option<u64>,
    /// Formatter property (repeatable): print.key, print.value, print.timestamp,
    /// print.partition, print.offset, print.headers, key.separator, line.separator,
    /// headers.separator, null.literal.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub property: Vec<String>,
    /// Consumer config (repeatable): fetch.max.wait.ms, fetch.min.bytes, fetch.max.bytes,
    /// max.partition.fetch.bytes, isolation.level.
    #[arg(long = "consumer-property", value_name = "KEY=VALUE")]
    pub consumer_property: Vec<String>,
    /// A consumer config file (Java properties).
    #[arg(long = "consumer.config", value_name = "FILE")]
    pub consumer_config: Option<PathBuf>,
    /// read_committed or read_uncommitted (default).
    #[arg(long = "isolation-level")]
    pub isolation_level: Option<String>,
    /// Consumer groups are not supported yet; giving one is an error.
    #[arg(long)]
    pub group: Option<String>,
}

/// Kafka's `DefaultMessageFormatter` settings and defaults.
#[derive(Debug, Clone)]
pub struct MessageFormatter {
    pub print_timestamp: bool,
    pub print_key: bool,
    pub print_value: bool,
    pub print_partition: bool,
    pub print_offset: bool,
    pub print_headers: bool,
    pub key_separator: Vec<u8>,
    pub line_separator: Vec<u8>,
    pub headers_separator: Vec<u8>,
    pub null_literal: Vec<u8>,
}

impl Default for MessageFormatter {
    fn default() -> Self {
        MessageFormatter {
            print_timestamp: false,
            print_key: false,
            print_value: true,
            print_partition: false,
            print_offset: false,
            print_headers: false,
            key_separator: b"\t".to_vec(),
            line_separator: b"\n".to_vec(),
            headers_separator: b",".to_vec(),
            null_literal: b"null".to_vec(),
        }
    }
}

impl MessageFormatter {
    /// Applies `--property` values (Kafka: `DefaultMessageFormatter.configure`; booleans are
    /// "true" ignoring case and whitespace, anything else is false).
    pub fn configure(&mut self, props: &[(String, String)]) {
        for (k, v) in props {
            let flag = v.trim().eq_ignore_ascii_case("true");
            match k.as_str() {
                "print.timestamp" => self.print_timestamp = flag,
                "print.key" => self.print_key = flag,
                "print.value" => self.print_value = flag,
                "print.partition" => self.print_partition = flag,
                "print.offset" => self.print_offset = flag,
                "print.headers" => self.print_headers = flag,
                "key.separator" => self.key_separator = v.as_bytes().to_vec(),
                "line.separator" => self.line_separator = v.as_bytes().to_vec(),
                "headers.separator" => self.headers_separator = v.as_bytes().to_vec(),
                "null.literal" => self.null_literal = v.as_bytes().to_vec(),
                _ => {}
            }
        }
    }

    fn separator(&self, out: &mut Vec<u8>, column: bool) {
        out.extend_from_slice(if column {
            &self.key_separator
        } else {
            &self.line_separator
        });
    }

    /// Writes one record exactly as Kafka's `DefaultMessageFormatter.writeTo`: each enabled
    /// field followed by key.separator when a later field is printed, else line.separator.
    pub fn write(&self, r: &ConsumerRecord, out: &mut Vec<u8>) {
        let later_than_timestamp = self.print_partition
            || self.print_offset
            || self.print_headers
            || self.print_key
            || self.print_value;
        if self.print_timestamp {
            let kind = match r.timestamp_type {
                TimestampType::Creation => "CreateTime",
                TimestampType::LogAppend => "LogAppendTime",
            };
            if r.timestamp_ms < 0 {
                out.extend_from_slice(b"NO_TIMESTAMP");
            } else {
                out.extend_from_slice(format!("{kind}:{}", r.timestamp_ms).as_bytes());
            }
            self.separator(out, later_than_timestamp);
        }
        if self.print_partition {
            out.extend_from_slice(format!("Partition:{}", r.partition).as_bytes());
            self.separator(
                out,
                self.print_offset || self.print_headers || self.print_key || self.print_value,
            );
        }
        if self.print_offset {
            out.extend_from_slice(format!("Offset:{}", r.offset).as_bytes());
            self.separator(
                out,
                self.print_headers || self.print_key || self.print_value,
            );
        }
        if self.print_headers {
            if r.headers.is_empty() {
                out.extend_from_slice(b"NO_HEADERS");
            } else {
                for (i, (k, v)) in r.headers.iter().enumerate() {
                    out.extend_from_slice(k.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(v.as_deref().unwrap_or(&self.null_literal));
                    if i + 1 < r.headers.len() {
                        out.extend_from_slice(&self.headers_separator);
                    }
                }
            }
            self.separator(out, self.print_key || self.print_value);
        }
        if self.print_key {
            out.extend_from_slice(r.key.as_deref().unwrap_or(&self.null_literal));
            self.separator(out, self.print_value);
        }
        if self.print_value {
            out.extend_from_slice(r.value.as_deref().unwrap_or(&self.null_literal));
            out.extend_from_slice(&self.line_separator);
        }
    }
}

/// Where to start, from --offset / --from-beginning / --partition
/// (Kafka: `ConsoleConsumerOptions.checkArgs` and its offset rules).
pub fn start_position(args: &ConsumeArgs) -> Result<OffsetSpec, String> {
    if let Some(o) = &args.offset {
        if args.partition.is_none() {
            return Err("The partition is required when offset is specified.".into());
        }
        if args.from_beginning {
            return Err("Options from-beginning and offset cannot be specified together.".into());
        }
        return match o.to_ascii_lowercase().as_str() {
            "earliest" => Ok(OffsetSpec::Earliest),
            "latest" => Ok(OffsetSpec::Latest),
            n => n
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(OffsetSpec::Offset)
                .ok_or_else(|| "The provided offset value is incorrect. Valid values are 'earliest', 'latest', or a non-negative long.".to_string()),
        };
    }
    Ok(if args.from_beginning {
        OffsetSpec::Earliest
    } else {
        OffsetSpec::Latest
    })
}

fn fetch_config(args: &ConsumeArgs, start: OffsetSpec) -> Result<FetchConfig, String> {
    let mut config = FetchConfig {
        offset_reset: if start == OffsetSpec::Earliest {
            OffsetSpec::Earliest
        } else {
            OffsetSpec::Latest
        },
        ..FetchConfig::default()
    };
    let mut props = Vec::new();
    if let Some(path) = &args.consumer_config {
        props.extend(read_properties_file(path).map_err(|e| e.to_string())?);
    }
    props.extend(parse_properties(&args.consumer_property).map_err(|e| e.to_string())?);
    if let Some(level) = &args.isolation_level {
        props.push(("isolation.level".into(), level.clone()));
    }
    for (k, v) in props {
        let int = || {
            v.trim()
                .parse::<i32>()
                .map_err(|_| format!("Invalid value {v} for configuration {k}"))
        };
        match k.as_str() {
            "fetch.max.wait.ms" => config.max_wait_ms = int()?,
            "fetch.min.bytes" => config.min_bytes = int()?,
            "fetch.max.bytes" => config.max_bytes = int()?,
            "max.partition.fetch.bytes" => config.max_partition_bytes = int()?,
            "isolation.level" => {
                config.isolation_level = match v.trim() {
                    "read_committed" => 1,
                    "read_uncommitted" => 0,
                    _ => {
                        return Err(format!(
                            "Invalid value {v} for configuration isolation.level"
                        ))
                    }
                }
            }
            "auto.offset.reset" => {
                config.offset_reset = if v.trim() == "earliest" {
                    OffsetSpec::Earliest
                } else {
                    OffsetSpec::Latest
                }
            }
            "group.id" => return Err(group_unsupported()),
            _ => {}
        }
    }
    Ok(config)
}

fn group_unsupported() -> String {
    "consumer groups are not supported yet by zkafka consume; omit --group (partitions are assigned directly)".into()
}

/// Runs the console consumer; returns the process exit code.
pub fn run(args: ConsumeArgs) -> i32 {
    let runtime = match crate::client::tool_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    let mut count = 0u64;
    let result = runtime.block_on(execute(&args, &mut count));
    // Kafka prints the count on stderr however the consumer ends.
    eprintln!("Processed a total of {count} messages");
    match result {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

async fn execute(args: &ConsumeArgs, count: &mut u64) -> Result<(), String> {
    if args.group.is_some() {
        return Err(group_unsupported());
    }
    let start = start_position(args)?;
    let mut config = fetch_config(args, start)?;
    if let Some(t) = args.timeout_ms {
        config.metadata_timeout_ms = t;
    }
    let mut formatter = MessageFormatter::default();
    formatter.configure(&parse_properties(&args.property).map_err(|e| e.to_string())?);
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    let mut fetcher = Fetcher::new(client, config);
    fetcher
        .assign(&args.topic, args.partition.map(|p| vec![p]), start)
        .await
        .map_err(|e| e.to_string())?;
    let timeout = args.timeout_ms.map(Duration::from_millis);
    let mut last_message = Instant::now();
    let stdout = std::io::stdout();
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        if args.max_messages.is_some_and(|m| *count >= m) {
            return Ok(());
        }
        let records = tokio::select! {
            r = fetcher.poll() => r.map_err(|e| e.to_string())?,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        if records.is_empty() {
            if timeout.is_some_and(|t| last_message.elapsed() >= t) {
                // Kafka logs "Error processing message, terminating consumer process:
                // TimeoutException" and exits normally.
                eprintln!("ERROR Error processing message, terminating consumer process: org.apache.kafka.common.errors.TimeoutException");
                return Ok(());
            }
            continue;
        }
        last_message = Instant::now();
        buf.clear();
        for (_, r) in &records {
            if args.max_messages.is_some_and(|m| *count >= m) {
                break;
            }
            formatter.write(r, &mut buf);
            *count += 1;
        }
        let mut out = stdout.lock();
        if out.write_all(&buf).and_then(|_| out.flush()).is_err() {
            // A closed pipe (e.g. `| head`) ends the consumer quietly.
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn record() -> ConsumerRecord {
        ConsumerRecord {
            partition: 0,
            offset: 0,
            timestamp_type: TimestampType::Creation,
            timestamp_ms: 1_795_672_161_021,
            key: Some(Bytes::from_static(b"k3")),
            value: Some(Bytes::from_static(b"v3")),
            headers: vec![
                ("h1".into(), Some(Bytes::from_static(b"a"))),
                ("h2".into(), Some(Bytes::from_static(b"b"))),
            ],
        }
    }

    fn fmt(props: &[(&str, &str)], r: &ConsumerRecord) -> String {
        let mut f = MessageFormatter::default();
        f.configure(
            &props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        let mut out = Vec::new();
        f.write(r, &mut out);
        String::from_utf8(out).unwrap()
    }

    /// Kafka 3.9.1's console consumer printed exactly these lines on the reference broker with
    /// print.key/timestamp/headers/partition/offset=true (`DefaultMessageFormatter.writeTo`).
    #[test]
    fn formatter_matches_kafka_output() {
        let all = [
            ("print.key", "true"),
            ("print.timestamp", "true"),
            ("print.headers", "true"),
            ("print.partition", "true"),
            ("print.offset", "true"),
        ];
        assert_eq!(
            fmt(&all, &record()),
            "CreateTime:1795672161021\tPartition:0\tOffset:0\th1:a,h2:b\tk3\tv3\n"
        );
        let mut no_headers = record();
        no_headers.headers.clear();
        no_headers.partition = 1;
        no_headers.offset = 1;
        assert_eq!(
            fmt(&all, &no_headers),
            "CreateTime:1795672161021\tPartition:1\tOffset:1\tNO_HEADERS\tk3\tv3\n"
        );
        assert_eq!(fmt(&[], &record()), "v3\n");
    }

    /// key.separator, null.literal and print.value=false follow `DefaultMessageFormatter`:
    /// the last printed field ends with line.separator.
    #[test]
    fn formatter_separators_and_nulls() {
        let mut r = record();
        r.key = None;
        assert_eq!(
            fmt(&[("print.key", "true"), ("key.separator", ":")], &r),
            "null:v3\n"
        );
        assert_eq!(
            fmt(&[("print.key", "TRUE "), ("print.value", "false")], &r),
            "null\n"
        );
        assert_eq!(
            fmt(&[("print.key", "true"), ("null.literal", "<nil>")], &r),
            "<nil>\tv3\n"
        );
        r.timestamp_type = TimestampType::LogAppend;
        assert_eq!(
            fmt(&[("print.timestamp", "true")], &r),
            "LogAppendTime:1795672161021\tv3\n"
        );
    }

    /// Kafka's ConsoleConsumer rules: --offset needs --partition and excludes
    /// --from-beginning; the default start is latest.
    #[test]
    fn offset_rules() {
        let mut a = ConsumeArgs {
            topic: "t".into(),
            ..Default::default()
        };
        assert_eq!(start_position(&a).unwrap(), OffsetSpec::Latest);
        a.from_beginning = true;
        assert_eq!(start_position(&a).unwrap(), OffsetSpec::Earliest);
        a.offset = Some("5".into());
        assert_eq!(
            start_position(&a).unwrap_err(),
            "The partition is required when offset is specified."
        );
        a.partition = Some(0);
        assert!(start_position(&a)
            .unwrap_err()
            .contains("cannot be specified together"));
        a.from_beginning = false;
        assert_eq!(start_position(&a).unwrap(), OffsetSpec::Offset(5));
        a.offset = Some("-3".into());
        assert!(start_position(&a).is_err());
    }
}
