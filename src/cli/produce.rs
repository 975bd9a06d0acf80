//! `zkafka produce` — the shapes of Kafka's console producer (`kafka-console-producer.sh`,
//! Kafka 3.9: `kafka.tools.ConsoleProducer` with its `LineMessageReader`): one record per stdin
//! line, optional key and headers parsed from the line.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::client::producer::{Producer, ProducerConfig};
use crate::client::{
    parse_properties, read_properties_file, ClientConfig, KafkaClient, ProducerRecord,
};

/// Arguments of `zkafka produce`, named as `kafka-console-producer.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct ProduceArgs {
    /// REQUIRED: the Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(
        long = "bootstrap-server",
        alias = "broker-list",
        value_name = "SERVERS"
    )]
    pub bootstrap_server: String,
    /// REQUIRED: the topic to produce to.
    #[arg(long)]
    pub topic: String,
    /// Line-reader property (repeatable): parse.key, key.separator, parse.headers,
    /// headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error.
    #[arg(long = "property", value_name = "KEY=VALUE")]
    pub property: Vec<String>,
    /// Producer config (repeatable), e.g. acks=all, linger.ms=5, compression.type=lz4.
    #[arg(long = "producer-property", value_name = "KEY=VALUE")]
    pub producer_property: Vec<String>,
    /// A producer config file (Java properties).
    #[arg(long = "producer.config", value_name = "FILE")]
    pub producer_config: Option<PathBuf>,
    /// none, gzip, snappy, lz4 or zstd; `gzip` when given without a value (as Kafka).
    #[arg(long = "compression-codec", num_args = 0..=1, default_missing_value = "gzip", value_name = "CODEC")]
    pub compression_codec: Option<String>,
    /// acks (Kafka's console producer default: -1).
    #[arg(long = "request-required-acks", default_value = "-1")]
    pub request_required_acks: String,
    /// linger.ms (Kafka's console producer default: 1000).
    #[arg(long = "timeout", default_value_t = 1000)]
    pub timeout: u64,
    /// Wait for each record to be acknowledged before reading the next line.
    #[arg(long)]
    pub sync: bool,
    /// zkafka extension (Kafka's console producer has no such flag): send every record to
    /// this partition instead of letting the partitioner choose.
    #[arg(long)]
    pub partition: Option<i32>,
}

/// Settings of the line reader (Kafka: `ConsoleProducer.LineMessageReader`), with Kafka's
/// defaults.
#[derive(Debug, Clone)]
pub struct LineReader {
    pub parse_key: bool,
    pub key_separator: String,
    pub parse_headers: bool,
    pub headers_delimiter: String,
    pub headers_separator: String,
    pub headers_key_separator: String,
    pub null_marker: Option<String>,
    pub ignore_error: bool,
}

impl Default for LineReader {
    fn default() -> Self {
        LineReader {
            parse_key: false,
            key_separator: "\t".into(),
            parse_headers: false,
            headers_delimiter: "\t".into(),
            headers_separator: ",".into(),
            headers_key_separator: ":".into(),
            null_marker: None,
            ignore_error: false,
        }
    }
}

/// A parsed line: headers, key, value.
pub type ParsedLine = (Vec<(String, Option<Bytes>)>, Option<Bytes>, Option<Bytes>);

impl LineReader {
    /// Applies `--property` values; unknown keys are ignored, as Kafka does.
    pub fn configure(&mut self, props: &[(String, String)]) {
        for (k, v) in props {
            let flag = v.trim().eq_ignore_ascii_case("true");
            match k.as_str() {
                "parse.key" => self.parse_key = flag,
                "key.separator" => self.key_separator = v.clone(),
                "parse.headers" => self.parse_headers = flag,
                "headers.delimiter" => self.headers_delimiter = v.clone(),
                "headers.separator" => self.headers_separator = v.clone(),
                "headers.key.separator" => self.headers_key_separator = v.clone(),
                "null.marker" => self.null_marker = Some(v.clone()),
                "ignore.error" => self.ignore_error = flag,
                _ => {}
            }
        }
    }

    /// Splits off `line[start..]` up to `demarcation` when `enabled`; Kafka's
    /// `LineMessageReader.parse`.
    fn part<'l>(
        &self,
        enabled: bool,
        line: &'l str,
        start: usize,
        demarcation: &str,
        name: &str,
        n: usize,
    ) -> Result<Option<&'l str>, String> {
        if !enabled {
            return Ok(None);
        }
        match line.get(start..).and_then(|rest| rest.find(demarcation)) {
            Some(i) => Ok(Some(&line[start..start + i])),
            None if self.ignore_error => Ok(None),
            None => Err(format!("No {name} found on line number {n}: '{line}'")),
        }
    }

    fn bytes_unless_null(&self, s: &str) -> Option<Bytes> {
        if self.null_marker.as_deref() == Some(s) {
            None
        } else {
            Some(Bytes::from(s.to_string()))
        }
    }

    /// Parses line number `n` (1-based) into headers, key and value, exactly as Kafka's
    /// `LineMessageReader.readMessage`: headers come first (up to `headers.delimiter`), then
    /// the key (up to `key.separator`), and the rest is the value.
    pub fn parse(&self, line: &str, n: usize) -> Result<ParsedLine, String> {
        let headers = self.part(
            self.parse_headers,
            line,
            0,
            &self.headers_delimiter,
            "headers delimiter",
            n,
        )?;
        let header_offset = headers.map_or(0, |h| h.len() + self.headers_delimiter.len());
        let key = self.part(
            self.parse_key,
            line,
            header_offset,
            &self.key_separator,
            "key separator",
            n,
        )?;
        let key_offset = key.map_or(0, |k| k.len() + self.key_separator.len());
        let value = &line[header_offset + key_offset..];
        let mut parsed_headers = Vec::new();
        if let Some(h) = headers {
            if self.null_marker.as_deref() != Some(h) {
                for pair in h.split(self.headers_separator.as_str()) {
                    match pair.find(self.headers_key_separator.as_str()) {
                        None if self.ignore_error => parsed_headers.push((pair.to_string(), None)),
                        None => {
                            return Err(format!(
                                "No header key separator found in pair '{pair}' on line number {n}"
                            ));
                        }
                        Some(i) => {
                            let hk = &pair[..i];
                            if self.null_marker.as_deref() == Some(hk) {
                                return Err(format!(
                                    "Header key cannot match null marker '{hk}' on line number {n}"
                                ));
                            }
                            let hv = &pair[i + self.headers_key_separator.len()..];
                            parsed_headers.push((hk.to_string(), self.bytes_unless_null(hv)));
                        }
                    }
                }
            }
        }
        let key = key.and_then(|k| self.bytes_unless_null(k));
        Ok((parsed_headers, key, self.bytes_unless_null(value)))
    }
}

/// Builds the producer config: Kafka console producer defaults, then the config file, then
/// `--producer-property`, then the dedicated flags.
fn producer_config(args: &ProduceArgs) -> Result<ProducerConfig, String> {
    let mut config = ProducerConfig {
        linger_ms: args.timeout,
        ..ProducerConfig::default()
    };
    config
        .set("acks", &args.request_required_acks)
        .map_err(|e| e.to_string())?;
    let mut props = Vec::new();
    if let Some(path) = &args.producer_config {
        props.extend(read_properties_file(path).map_err(|e| e.to_string())?);
    }
    props.extend(parse_properties(&args.producer_property).map_err(|e| e.to_string())?);
    for (k, v) in &props {
        if k == "bootstrap.servers" || k == "client.id" {
            continue;
        }
        if let Err(e) = config.set(k, v) {
            if e.to_string().starts_with("unknown producer config") {
                eprintln!("WARN The configuration '{k}' was supplied but isn't a known config.");
            } else {
                return Err(e.to_string());
            }
        }
    }
    if let Some(codec) = &args.compression_codec {
        config
            .set("compression.type", codec)
            .map_err(|e| e.to_string())?;
    }
    Ok(config)
}

/// Runs the console producer; returns the process exit code (1 when any record failed, which
/// Kafka's tool only logs).
pub fn run(args: ProduceArgs) -> i32 {
    let runtime = match crate::client::tool_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(execute(args)) {
        Ok(0) => 0,
        Ok(_) => 1,
        Err(message) => {
            eprintln!("ERROR {message}");
            1
        }
    }
}

async fn execute(args: ProduceArgs) -> Result<usize, String> {
    let mut reader = LineReader::default();
    reader.configure(&parse_properties(&args.property).map_err(|e| e.to_string())?);
    let config = producer_config(&args)?;
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    let producer = Producer::new(client, config);
    let failures = Arc::new(AtomicUsize::new(0));

    // tokio's stdin needs the io-std feature; a plain thread feeding a bounded channel does
    // the same job (1024 lines of look-ahead).
    let (tx, mut rx) = tokio::sync::mpsc::channel::<std::io::Result<String>>(1024);
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut n = 0usize;
    while let Some(line) = rx.recv().await {
        let line = line.map_err(|e| format!("could not read stdin: {e}"))?;
        n += 1;
        let (headers, key, value) = reader.parse(&line, n)?;
        let record = ProducerRecord {
            topic: args.topic.clone(),
            partition: args.partition,
            key,
            value,
            headers,
            timestamp_ms: None,
        };
        let (key_len, value_len) = (
            record.key.as_ref().map_or(-1, |k| k.len() as i64),
            record.value.as_ref().map_or(-1, |v| v.len() as i64),
        );
        let topic = args.topic.clone();
        let failures_cb = failures.clone();
        let receiver = producer.send(record).await.map_err(|e| e.to_string())?;
        let report = move |r: Result<_, crate::client::producer::DeliveryError>| {
            if let Err(e) = r {
                failures_cb.fetch_add(1, Ordering::Relaxed);
                // Kafka: ErrorLoggingCallback.
                eprintln!(
                    "ERROR Error when sending message to topic {topic} with key: {} bytes, value: {} bytes with error: {e}",
                    if key_len < 0 { "null".to_string() } else { key_len.to_string() },
                    value_len
                );
            }
        };
        if args.sync {
            producer.flush().await;
            if let Ok(r) = receiver.await {
                report(r);
            }
        } else {
            tokio::spawn(async move {
                if let Ok(r) = receiver.await {
                    report(r);
                }
            });
        }
    }
    producer.close().await;
    // Let the reporting tasks of the last records print.
    tokio::task::yield_now().await;
    Ok(failures.load(Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(props: &[(&str, &str)]) -> LineReader {
        let mut r = LineReader::default();
        r.configure(
            &props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<Vec<_>>(),
        );
        r
    }

    fn b(s: &str) -> Option<Bytes> {
        Some(Bytes::from(s.to_string()))
    }

    /// Kafka's `LineMessageReader`: without parse.key the whole line is the value; with
    /// parse.key the key ends at the first key.separator (default TAB).
    #[test]
    fn keys_split_at_first_separator() {
        assert_eq!(
            reader(&[]).parse("a:b", 1).unwrap(),
            (vec![], None, b("a:b"))
        );
        let r = reader(&[("parse.key", "true"), ("key.separator", ":")]);
        assert_eq!(r.parse("k1:v:1", 1).unwrap(), (vec![], b("k1"), b("v:1")));
        assert_eq!(
            r.parse("novalue", 7).unwrap_err(),
            "No key separator found on line number 7: 'novalue'"
        );
        let r = reader(&[("parse.key", "true")]);
        assert_eq!(r.parse("k\tv", 1).unwrap(), (vec![], b("k"), b("v")));
    }

    /// Kafka's header convention `h1:v1,h2:v2<TAB>key<TAB>value` (KIP-798), null.marker for
    /// null keys, values and header values.
    #[test]
    fn headers_then_key_then_value() {
        let r = reader(&[("parse.key", "true"), ("parse.headers", "true")]);
        assert_eq!(
            r.parse("h1:v1,h2:v2\tkey\tvalue", 1).unwrap(),
            (
                vec![("h1".into(), b("v1")), ("h2".into(), b("v2"))],
                b("key"),
                b("value")
            )
        );
        let r = reader(&[("parse.headers", "true"), ("null.marker", "NULL")]);
        assert_eq!(
            r.parse("h1:NULL\tNULL", 1).unwrap(),
            (vec![("h1".into(), None)], None, None)
        );
        assert!(r
            .parse("h1\tv", 3)
            .unwrap_err()
            .contains("No header key separator found in pair 'h1' on line number 3"));
        let r = reader(&[("parse.headers", "true"), ("ignore.error", "true")]);
        assert_eq!(r.parse("plain", 1).unwrap(), (vec![], None, b("plain")));
    }

    /// `--compression-codec` without a value means gzip (Kafka's ConsoleProducer option
    /// text); `--producer-property acks=all` maps to acks -1.
    #[test]
    fn producer_flags_map_to_configs() {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct T {
            #[command(flatten)]
            a: ProduceArgs,
        }
        let t = T::try_parse_from([
            "t",
            "--bootstrap-server",
            "h:1",
            "--topic",
            "x",
            "--compression-codec",
            "--producer-property",
            "acks=all",
        ])
        .unwrap();
        let c = producer_config(&t.a).unwrap();
        assert_eq!(c.compression, kafka_protocol::records::Compression::Gzip);
        assert_eq!(c.acks, -1);
        assert_eq!(c.linger_ms, 1000);
        let t = T::try_parse_from([
            "t",
            "--bootstrap-server",
            "h:1",
            "--topic",
            "x",
            "--compression-codec",
            "zstd",
            "--request-required-acks",
            "1",
        ])
        .unwrap();
        let c = producer_config(&t.a).unwrap();
        assert_eq!(c.compression, kafka_protocol::records::Compression::Zstd);
        assert_eq!(c.acks, 1);
    }
}
