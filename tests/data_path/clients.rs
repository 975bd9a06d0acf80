//! Real clients against the in-process broker: kcat and confluent-kafka (librdkafka),
//! kafka-python, and the Java client.

use super::*;

/// kcat (librdkafka 2.0, acks=-1 by default) produces 10k keyed records to a 3-partition
/// topic and consumes them back: every record once, each key in order. Kafka: the produce
/// and fetch paths (`KafkaApis.handleProduceRequest` / `handleFetchRequest`), key partitioning
/// by the client, per-partition order (`docs/design.html#semantics`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_produces_and_consumes_10k_keyed_records() {
    require("kcat", &["-V"]);
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    let topic_id = Uuid::from_u128(0xabc);
    controller_assigns(&[&b], "events", topic_id, &[vec![1], vec![1], vec![1]], 0).await;
    let n = 10_000;
    let input: String = (0..n)
        .map(|i| format!("key{}:value{i}\n", i % 100))
        .collect();
    let out = run(
        "kcat",
        vec![
            "-b".into(),
            format!("127.0.0.1:{}", b.port),
            "-P".into(),
            "-t".into(),
            "events".into(),
            "-K:".into(),
        ],
        Some(input.into_bytes()),
    )
    .await;
    assert!(
        out.status.success(),
        "kcat produce failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = kcat_consume(b.port, "events").await;
    assert_per_key_order(&lines, n, 100);
    let total: i64 = (0..3)
        .map(|p| {
            b.rm.online_partition(&zkafka::cluster::TopicPartition::new("events", p))
                .unwrap()
                .high_watermark()
        })
        .sum();
    assert_eq!(total, n as i64, "sum of high watermarks");
}

/// confluent-kafka (librdkafka from PyPI) with `enable.idempotence=True, acks=all` produces
/// 5000 keyed records (InitProducerId, then sequence-numbered batches checked by the
/// partition's producer state); kcat reads them back. Kafka: `TransactionCoordinator.
/// handleInitProducerId` (null transactional id), `ProducerStateManager` sequence checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confluent_kafka_idempotent_producer() {
    require("kcat", &["-V"]);
    require("python3", &["-c", "import confluent_kafka"]);
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    controller_assigns(
        &[&b],
        "idem",
        Uuid::from_u128(0xdef),
        &[vec![1], vec![1], vec![1]],
        0,
    )
    .await;
    let script = format!(
        r#"
import confluent_kafka, sys
errors = []
def cb(err, msg):
    if err is not None:
        errors.append(str(err))
p = confluent_kafka.Producer({{'bootstrap.servers': '127.0.0.1:{port}', 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5}})
for i in range(5000):
    p.produce('idem', key='key%d' % (i % 50), value='value%d' % i, on_delivery=cb)
    p.poll(0)
left = p.flush(30)
print('left', left, 'errors', len(errors), errors[:3])
sys.exit(1 if left or errors else 0)
"#,
        port = b.port
    );
    let out = run("python3", vec!["-c".into(), script], None).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python producer failed: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("left 0 errors 0"), "{stdout}");
    let lines = kcat_consume(b.port, "idem").await;
    assert_per_key_order(&lines, 5000, 50);
}

/// kafka-python (its own protocol code, not librdkafka) produces 2000 keyed records with
/// acks=all and reads them back with a group-less consumer (`assign` + `seek_to_beginning`,
/// ListOffsets then Fetch). Kafka: ApiVersions-driven version choice by the client, the
/// produce/fetch/list-offsets paths.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_python_produces_and_consumes() {
    require("python3", &["-c", "import kafka"]);
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    controller_assigns(&[&b], "kp", Uuid::from_u128(0xfeed), &[vec![1], vec![1]], 0).await;
    let script = format!(
        r#"
import kafka, sys
bs = '127.0.0.1:{port}'
p = kafka.KafkaProducer(bootstrap_servers=bs, acks='all')
futs = [p.send('kp', key=b'key%d' % (i % 20), value=b'value%d' % i) for i in range(2000)]
p.flush(30)
offs = [f.get(timeout=30) for f in futs]
c = kafka.KafkaConsumer(bootstrap_servers=bs, group_id=None, enable_auto_commit=False, consumer_timeout_ms=3000)
parts = [kafka.TopicPartition('kp', 0), kafka.TopicPartition('kp', 1)]
c.assign(parts)
c.seek_to_beginning(*parts)
got = [(m.key.decode(), m.value.decode()) for m in c]
print('produced', len(offs), 'consumed', len(got))
for k, v in got:
    print('%s:%s' % (k, v))
"#,
        port = b.port
    );
    let out = run("python3", vec!["-c".into(), script], None).await;
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "kafka-python failed: {} {}",
        &stdout[..stdout.len().min(500)],
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("produced 2000 consumed 2000"));
    let rest: Vec<String> = lines.map(str::to_string).collect();
    assert_per_key_order(&rest, 2000, 20);
}

/// The Java client (kafka-clients 3.9 from the local Maven repository) with default producer
/// settings — idempotence on, acks=all (Produce v11, InitProducerId v5) — sends 3000 keyed
/// records; a group-less Java consumer (`assign`, `seekToBeginning`: ListOffsets v8, Fetch v17
/// by topic id) reads them back. Kafka: `ProducerConfig` defaults since 3.0 (KIP-679),
/// `KafkaConsumer` without `group.id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_client_default_producer_and_consumer() {
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".into());
    let m2 = format!("{home}/.m2/repository");
    let find_jar = |dir: &str| -> Option<String> {
        let base = std::path::Path::new(&m2).join(dir);
        let mut versions: Vec<_> = std::fs::read_dir(&base).ok()?.flatten().collect();
        versions.sort_by_key(|e| e.file_name());
        let v = versions.last()?.path();
        std::fs::read_dir(&v)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "jar"))
            .map(|p| p.display().to_string())
    };
    let (Some(clients), Some(slf4j)) = (
        find_jar("org/apache/kafka/kafka-clients"),
        find_jar("org/slf4j/slf4j-api"),
    ) else {
        panic!(
            "kafka-clients and slf4j-api jars are required under {m2} (mvn dependency:get them)"
        );
    };
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    controller_assigns(
        &[&b],
        "jv",
        Uuid::from_u128(0xbeef),
        &[vec![1], vec![1], vec![1]],
        0,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("DataPath.java");
    std::fs::write(
        &source,
        r#"
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;
public class DataPath {
  public static void main(String[] a) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", a[0]);
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    int sent = 0;
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<RecordMetadata>> fs = new ArrayList<>();
      for (int i = 0; i < 3000; i++) fs.add(producer.send(new ProducerRecord<>("jv", "key" + (i % 30), "value" + i)));
      for (java.util.concurrent.Future<RecordMetadata> f : fs) { f.get(); sent++; }
    }
    Properties c = new Properties();
    c.put("bootstrap.servers", a[0]);
    c.put("key.deserializer", StringDeserializer.class.getName());
    c.put("value.deserializer", StringDeserializer.class.getName());
    c.put("enable.auto.commit", "false");
    List<String> got = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
      List<TopicPartition> parts = List.of(new TopicPartition("jv", 0), new TopicPartition("jv", 1), new TopicPartition("jv", 2));
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.currentTimeMillis() + 20000;
      while (got.size() < 3000 && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) got.add(r.key() + ":" + r.value());
      }
    }
    System.out.println("sent " + sent + " consumed " + got.size());
    for (String s : got) System.out.println(s);
  }
}
"#,
    )
    .unwrap();
    let bootstrap = format!("127.0.0.1:{}", b.port);
    let classpath = format!("{clients}:{slf4j}");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("java")
            .args(["-cp", &classpath, &source.display().to_string(), &bootstrap])
            .output()
    })
    .await
    .unwrap()
    .expect("run java");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "java client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("sent 3000 consumed 3000"));
    let rest: Vec<String> = lines.map(str::to_string).collect();
    assert_per_key_order(&rest, 3000, 30);
}

/// Compressed batches (gzip, snappy, lz4, zstd from librdkafka) are stored as they arrive
/// (the broker checks the v2 header and CRC, never decompresses on the append path) and read
/// back intact. Kafka: `LogValidator` keeps the producer's compression when
/// `compression.type=producer` (the default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_compressed_batches_round_trip() {
    require("kcat", &["-V"]);
    let pids = Arc::new(InMemoryProducerIdBlockSourceForTests::new());
    let b = start_broker(1, pids).await;
    for (i, codec) in ["gzip", "snappy", "lz4", "zstd"].iter().enumerate() {
        let topic = format!("z-{codec}");
        controller_assigns(
            &[&b],
            &topic,
            Uuid::from_u128(0x5000 + i as u128),
            &[vec![1]],
            0,
        )
        .await;
        let input: String = (0..1000)
            .map(|i| format!("key{}:value{i}\n", i % 10))
            .collect();
        let out = run(
            "kcat",
            vec![
                "-b".into(),
                format!("127.0.0.1:{}", b.port),
                "-P".into(),
                "-t".into(),
                topic.clone(),
                "-K:".into(),
                "-z".into(),
                codec.to_string(),
            ],
            Some(input.into_bytes()),
        )
        .await;
        assert!(
            out.status.success(),
            "{codec}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let lines = kcat_consume(b.port, &topic).await;
        assert_per_key_order(&lines, 1000, 10);
        // Stored compressed: batches keep the codec they arrived with (librdkafka sends a
        // batch uncompressed when compression would not shrink it, so not every batch has it).
        let p =
            b.rm.online_partition(&zkafka::cluster::TopicPartition::new(topic.as_str(), 0))
                .unwrap();
        let data = p.log().read(0, 1 << 24, None, true).unwrap();
        let codecs: Vec<i16> = zkafka::protocol::record_batch::BatchIter::new(&data.records)
            .map(|b| b.unwrap().1.attributes() & 0x7)
            .collect();
        // librdkafka 2.0 enables lz4 only when the broker also advertises FindCoordinator
        // (`rd_kafka_feature_map` in rdkafka_feature.c ties the LZ4 feature to it); until the
        // group coordinator is served it sends lz4 batches uncompressed ("Broker does not
        // support compression type lz4"). The other codecs must be stored as sent.
        if *codec != "lz4" {
            assert!(
                codecs.contains(&(i as i16 + 1)),
                "{codec}: no batch stored with its compression: {codecs:?}"
            );
        }
    }
}
