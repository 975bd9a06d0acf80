//! Unit tests for `KafkaConfig`: Kafka 3.9's defaults and `KafkaConfig.validateValues` rules.

use super::*;

fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn cfg(pairs: &[(&str, &str)]) -> Result<KafkaConfig, ConfigError> {
    let mut p = props(&[("zookeeper.connect", "127.0.0.1:2181")]);
    p.extend(props(pairs));
    KafkaConfig::from_props(p)
}

fn err_text(pairs: &[(&str, &str)]) -> String {
    cfg(pairs).expect_err("config must be refused").to_string()
}

/// Kafka 3.9 defaults (`KafkaConfig.configDef`, checked against the real jar's ConfigDef).
#[test]
fn defaults_match_kafka() {
    let c = cfg(&[]).unwrap();
    assert_eq!(c.broker_id, -1);
    assert!(c.broker_id_generation_enable);
    assert_eq!(c.reserved_broker_max_id, 1000);
    assert_eq!(c.broker_rack, None);
    assert_eq!(c.listeners.len(), 1);
    assert_eq!(c.listeners[0].connection_string(), "PLAINTEXT://:9092");
    assert_eq!(c.advertised_listeners, c.listeners);
    assert_eq!(c.listener_security_protocol_map.len(), 4);
    assert_eq!(c.inter_broker_listener_name, "PLAINTEXT");
    assert_eq!(c.log_dirs, vec![PathBuf::from("/tmp/kafka-logs")]);
    assert_eq!(c.zk_session_timeout_ms, 18000);
    assert_eq!(
        c.zk_connection_timeout_ms, 18000,
        "defaults to the session timeout"
    );
    assert_eq!(c.zk_max_in_flight_requests, 10);
    assert!(c.controlled_shutdown_enable);
    assert_eq!(c.num_partitions, 1);
    assert_eq!(c.default_replication_factor, 1);
    assert!(c.auto_create_topics_enable);
    assert_eq!(c.socket_request_max_bytes, 104_857_600);
    assert_eq!(c.max_connections, i32::MAX);
    assert_eq!(c.connections_max_idle_ms, 600_000);
    for (k, _, _) in known_keys::KAFKA_BROKER_CONFIG_KEYS {
        assert!(known_keys::is_known_kafka_key(k));
    }
    // Cross-check our typed defaults against the generated Kafka table.
    let table: BTreeMap<&str, &str> = known_keys::KAFKA_BROKER_CONFIG_KEYS
        .iter()
        .map(|(k, d, _)| (*k, *d))
        .collect();
    assert_eq!(table["reserved.broker.max.id"], "1000");
    assert_eq!(table["zookeeper.session.timeout.ms"], "18000");
    assert_eq!(table["listeners"], defaults::LISTENERS);
    assert_eq!(
        table["listener.security.protocol.map"],
        defaults::LISTENER_SECURITY_PROTOCOL_MAP
    );
    assert_eq!(table["socket.request.max.bytes"], "104857600");
    assert_eq!(table["connections.max.idle.ms"], "600000");
}

/// `zookeeper.connect` has no default (`ZkConfigs.ZK_CONNECT_CONFIG`): Kafka's ConfigException
/// names the key.
#[test]
fn zookeeper_connect_is_required() {
    let e = KafkaConfig::from_props(BTreeMap::new()).unwrap_err();
    assert_eq!(e, ConfigError::Missing("zookeeper.connect"));
    assert!(e.to_string().contains("\"zookeeper.connect\""));
}

/// Chroot is split off at the first `/` (ZooKeeper `ConnectStringParser`).
#[test]
fn zookeeper_connect_with_chroot() {
    let c = cfg(&[("zookeeper.connect", "a:2181,b:2182/kafka/prod")]).unwrap();
    assert_eq!(c.zk_connect.hosts, "a:2181,b:2182");
    assert_eq!(c.zk_connect.chroot.as_deref(), Some("/kafka/prod"));
    assert_eq!(c.zk_connect.with_chroot(), "a:2181,b:2182/kafka/prod");
    assert!(err_text(&[("zookeeper.connect", "a:2181/kafka/")]).contains("zookeeper.connect"));
    assert!(err_text(&[("zookeeper.connect", "a:notaport")]).contains("zookeeper.connect"));
}

/// Bad INT/BOOLEAN values: "Invalid value v for configuration k: ..." (`ConfigDef.parseType`).
#[test]
fn invalid_values_name_the_key() {
    let t = err_text(&[("broker.id", "one")]);
    assert_eq!(
        t,
        "Invalid value one for configuration broker.id: Not a number of type INT"
    );
    let t = err_text(&[("auto.create.topics.enable", "yes")]);
    assert!(
        t.contains("auto.create.topics.enable") && t.contains("true or false"),
        "{t}"
    );
    let t = err_text(&[("num.partitions", "0")]);
    assert!(
        t.contains("num.partitions") && t.contains("at least 1"),
        "{t}"
    );
    assert!(cfg(&[("controlled.shutdown.enable", " FALSE ")]).is_ok());
}

/// `KafkaConfig.validateValues`: broker.id within [-1, reserved.broker.max.id] when generation
/// is enabled, ≥ 0 when it is disabled.
#[test]
fn broker_id_range() {
    assert!(cfg(&[("broker.id", "1000")]).is_ok());
    assert!(err_text(&[("broker.id", "1001")]).contains("reserved.broker.max.id"));
    assert!(cfg(&[("broker.id", "5000"), ("reserved.broker.max.id", "5000")]).is_ok());
    assert!(err_text(&[("broker.id", "-2")]).contains("broker.id"));
    let t = err_text(&[("broker.id.generation.enable", "false")]);
    assert!(
        t.contains("broker.id must be greater than or equal to 0"),
        "{t}"
    );
    assert!(cfg(&[
        ("broker.id.generation.enable", "false"),
        ("broker.id", "5000")
    ])
    .is_ok());
}

/// advertised.listeners default to listeners; 0.0.0.0 cannot be advertised; names must be a
/// subset of listeners (`KafkaConfig.validateValues`).
#[test]
fn advertised_listener_rules() {
    let c = cfg(&[
        ("listeners", "PLAINTEXT://0.0.0.0:9092"),
        ("advertised.listeners", "PLAINTEXT://h1:9092"),
    ])
    .unwrap();
    assert_eq!(c.advertised_listeners[0].host, "h1");
    let t = err_text(&[("listeners", "PLAINTEXT://0.0.0.0:9092")]);
    assert!(
        t.contains("advertised.listeners") && t.contains("0.0.0.0"),
        "{t}"
    );
    let t = err_text(&[
        ("listeners", "PLAINTEXT://:9092"),
        ("advertised.listeners", "SSL://h:9093"),
    ]);
    assert!(t.contains("subset"), "{t}");
}

/// Listener names must appear in listener.security.protocol.map; custom names need the map
/// and an inter-broker listener that exists (`KafkaConfig.interBrokerListenerNameAndSecurityProtocol`).
#[test]
fn listener_names_and_inter_broker_listener() {
    let t = err_text(&[("listeners", "INTERNAL://:9092")]);
    assert!(t.contains("listeners") && t.contains("INTERNAL"), "{t}");
    let t = err_text(&[
        ("listeners", "INTERNAL://:9092,EXTERNAL://:9093"),
        (
            "listener.security.protocol.map",
            "INTERNAL:PLAINTEXT,EXTERNAL:SSL",
        ),
    ]);
    assert!(t.contains("inter.broker.listener.name"), "{t}");
    let c = cfg(&[
        ("listeners", "INTERNAL://:9092,EXTERNAL://:9093"),
        (
            "listener.security.protocol.map",
            "INTERNAL:PLAINTEXT,EXTERNAL:SSL",
        ),
        ("inter.broker.listener.name", "internal"),
    ])
    .unwrap();
    assert_eq!(c.inter_broker_listener_name, "INTERNAL");
    assert_eq!(
        c.inter_broker_security_protocol,
        SecurityProtocol::Plaintext
    );
    assert_eq!(c.listeners[1].security_protocol, SecurityProtocol::Ssl);
    let t = err_text(&[
        ("inter.broker.listener.name", "PLAINTEXT"),
        ("security.inter.broker.protocol", "PLAINTEXT"),
    ]);
    assert!(t.contains("Only one of"), "{t}");
    let t = err_text(&[("listener.security.protocol.map", "PLAINTEXT:NOPE")]);
    assert!(t.contains("listener.security.protocol.map"), "{t}");
    let t = err_text(&[("listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093")]);
    assert!(t.contains("different name"), "{t}");
    let t = err_text(&[("listeners", "PLAINTEXT://:9092,SSL://h:9092")]);
    assert!(t.contains("different port"), "{t}");
    assert!(cfg(&[("listeners", "PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9092")]).is_ok());
    assert!(
        cfg(&[("listeners", "PLAINTEXT://:0,SSL://:0")]).is_ok(),
        "port 0 may repeat"
    );
}

/// `log.dirs` wins over `log.dir`; both split on commas (`KafkaConfig.logDirs`).
#[test]
fn log_dirs() {
    let c = cfg(&[("log.dir", "/x"), ("log.dirs", "/a, /b")]).unwrap();
    assert_eq!(c.log_dirs, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
    let c = cfg(&[("log.dir", "/x")]).unwrap();
    assert_eq!(c.log_dirs, vec![PathBuf::from("/x")]);
}

/// Unknown keys are reported (Kafka warns "supplied but isn't a known config"); Kafka keys we
/// do not type yet and per-listener overrides are not unknown.
#[test]
fn unknown_keys_are_reported() {
    let c = cfg(&[
        ("log.retention.hours", "1"),
        ("listener.name.internal.ssl.keystore.location", "/k"),
        ("log.retention.hour", "1"),
        ("bogus.key", "x"),
    ])
    .unwrap();
    assert_eq!(c.unknown_keys(), vec!["bogus.key", "log.retention.hour"]);
    assert_eq!(c.get_i32("log.retention.hours", 168).unwrap(), 1);
    assert_eq!(c.get_i64("log.segment.bytes", 1 << 30).unwrap(), 1 << 30);
}

/// `KafkaConfig::load`: file in Properties syntax, then `--override key=value` (later wins).
#[test]
fn load_file_with_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    std::fs::write(
        &path,
        "# comment\nbroker.id = 3\nzookeeper.connect:127.0.0.1:2181/zk\\\n  afka\nlog.dirs /d1\n",
    )
    .unwrap();
    let c = KafkaConfig::load(&path, &["broker.id=4".into(), "broker.rack=r1".into()]).unwrap();
    assert_eq!(c.broker_id, 4);
    assert_eq!(c.broker_rack.as_deref(), Some("r1"));
    assert_eq!(c.zk_connect.chroot.as_deref(), Some("/zkafka"));
    assert_eq!(c.log_dirs, vec![PathBuf::from("/d1")]);
    assert!(matches!(
        KafkaConfig::load(&path, &["novalue".into()]),
        Err(ConfigError::BadOverride(_))
    ));
    assert!(matches!(
        KafkaConfig::load(&dir.path().join("missing"), &[]),
        Err(ConfigError::Io { .. })
    ));
}
