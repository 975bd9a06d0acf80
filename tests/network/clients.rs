//! Real Kafka clients nobody here wrote, pointed at the in-process broker of `tests/network.rs`
//! after its metadata cache was filled by an UpdateMetadata v8 request over the socket. Both
//! brokers the metadata names answer (see `filled_two_node_cluster`).

use super::filled_two_node_cluster;

/// A real client: kcat (librdkafka) lists the cluster from the in-process broker. It negotiates
/// with ApiVersions, then reads Metadata; its listing must show what UpdateMetadata said
/// (librdkafka: `rd_kafka_metadata`; kcat `-L`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kcat_lists_the_cluster() {
    if std::process::Command::new("kcat")
        .arg("-V")
        .output()
        .is_err()
    {
        panic!("kcat is not installed (apt-get install kcat)");
    }
    let (broker, _second, port2) = filled_two_node_cluster().await;
    let bootstrap = format!("127.0.0.1:{}", broker.port);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("kcat")
            .args(["-L", "-b", &bootstrap, "-m", "10"])
            .output()
    })
    .await
    .expect("join kcat")
    .expect("run kcat");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("kcat stdout:\n{stdout}\nkcat stderr:\n{stderr}");
    assert!(out.status.success(), "kcat failed: {stderr}");
    assert!(stdout.contains("2 brokers:"), "{stdout}");
    assert!(
        stdout.contains(&format!("broker 1 at 127.0.0.1:{}", broker.port)),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("broker 2 at 127.0.0.1:{port2} (controller)")),
        "{stdout}"
    );
    assert!(
        stdout.contains("topic \"orders\" with 3 partitions:"),
        "{stdout}"
    );
    assert!(
        stdout.contains("partition 0, leader 1, replicas: 1,2,3, isrs: 1,2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("partition 1, leader 2, replicas: 1,2,3, isrs: 1,2"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "partition 2, leader -1, replicas: 1,2,3, isrs: 1,2, Broker: Leader not available"
        ),
        "{stdout}"
    );
}

/// Real clients in Python: confluent-kafka (librdkafka, as installed from PyPI) and kafka-python
/// (its own protocol code) list topics from the in-process broker. kafka-python probes
/// versions with ApiVersions then reads Metadata; both must see topic "orders" with 3
/// partitions and the controller.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_clients_list_topics() {
    let (broker, _second, _port2) = filled_two_node_cluster().await;
    let bootstrap = format!("127.0.0.1:{}", broker.port);
    let script = r#"
import sys
from confluent_kafka.admin import AdminClient
md = AdminClient({'bootstrap.servers': sys.argv[1]}).list_topics(timeout=10)
t = md.topics['orders']
print('confluent', md.controller_id, sorted(md.brokers), len(t.partitions), t.partitions[0].leader, list(t.partitions[0].isrs))
from kafka import KafkaConsumer
c = KafkaConsumer(bootstrap_servers=sys.argv[1], request_timeout_ms=10000)
print('kafka-python', sorted(c.topics()), sorted(c.partitions_for_topic('orders')))
c.close()
"#;
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", script, &bootstrap])
            .output()
    })
    .await
    .expect("join python")
    .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "python clients failed: {stderr}");
    assert!(stdout.contains("confluent 2 [1, 2] 3 1 [1, 2]"), "{stdout}");
    assert!(
        stdout.contains("kafka-python ['orders'] [0, 1, 2]"),
        "{stdout}"
    );
}

/// The Java client (kafka-clients 3.9.x from the local Maven repository): its AdminClient sends
/// ApiVersions v4, then Metadata v12, and must describe the cluster and topic "orders"
/// (`KafkaAdminClient.describeCluster` falls back to Metadata when DescribeCluster is not
/// advertised; `describeTopics` uses Metadata).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_admin_client_describes_the_cluster() {
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
        panic!("kafka-clients and slf4j-api jars not found under {m2} (mvn dependency:get them)");
    };
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("Check.java");
    std::fs::write(
        &source,
        r#"
import java.util.*;
import org.apache.kafka.clients.admin.*;
public class Check {
  public static void main(String[] a) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", a[0]);
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", "15000");
    try (Admin admin = Admin.create(p)) {
      DescribeClusterResult c = admin.describeCluster();
      System.out.println("cluster " + c.clusterId().get() + " controller " + c.controller().get().id()
          + " nodes " + c.nodes().get().size());
      System.out.println("topics " + admin.listTopics().names().get());
      TopicDescription d = admin.describeTopics(List.of("orders")).allTopicNames().get().get("orders");
      System.out.println("orders " + d.topicId() + " partitions " + d.partitions().size()
          + " p0 leader " + d.partitions().get(0).leader().id()
          + " rack " + d.partitions().get(0).leader().rack());
    }
  }
}
"#,
    )
    .unwrap();
    let (broker, _second, _port2) = filled_two_node_cluster().await;
    let bootstrap = format!("127.0.0.1:{}", broker.port);
    let classpath = format!("{clients}:{slf4j}");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("java")
            .args(["-cp", &classpath, &source.display().to_string(), &bootstrap])
            .output()
    })
    .await
    .expect("join java")
    .expect("run java");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(out.status.success(), "java client failed: {stderr}");
    assert!(
        stdout.contains("cluster zkafka-test-cluster controller 2 nodes 2"),
        "{stdout}"
    );
    assert!(stdout.contains("topics [orders]"), "{stdout}");
    // Kafka prints topic ids in URL-safe base64 without padding (`Uuid.toString`).
    assert!(
        stdout.contains("orders EjRWeJq83vARIjNEVWZ3iA partitions 3 p0 leader 1 rack rack-a"),
        "{stdout}"
    );
}
