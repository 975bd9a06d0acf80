"""Topic lifecycle as Kafka 3.9 runs it in ZooKeeper mode, driven by real admin clients
(kafka-python, confluent-kafka, Kafka's own `TopicCommand`) and by raw requests where a client
would hide the error code.

Kafka: `KafkaApis.handleCreateTopicsRequest` / `handleCreatePartitionsRequest` /
`handleDeleteTopicsRequest` / `handleDescribeConfigsRequest` (ZK mode: controller only),
`ZkAdminManager`, `AdminZkClient.createTopicWithAssignment` (`/config/topics/<t>` then
`/brokers/topics/<t>` v3), `AutoTopicCreationManager.createTopicsInZk`, `TopicDeletionManager`;
semantics doc §1.9, §1.12; layout doc §2.6, §2.8, §2.11, §6.3, §6.7.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions as CNewPartitions
from confluent_kafka.admin import NewTopic as CNewTopic

from harness import kafka_wire
from harness.broker import ZkafkaCluster
from harness.clients import confluent_config, kafka_python_config, kcat, kcat_metadata, run_java
from harness.kafka_formats import decode_kafka_uuid
from harness.waiting import wait_until

# Kafka error codes (org.apache.kafka.common.protocol.Errors).
LEADER_NOT_AVAILABLE = 5
INVALID_TOPIC_EXCEPTION = 17
TOPIC_ALREADY_EXISTS = 36
INVALID_PARTITIONS = 37
INVALID_REPLICATION_FACTOR = 38
INVALID_REPLICA_ASSIGNMENT = 39
INVALID_CONFIG = 40
NOT_CONTROLLER = 41
INVALID_REQUEST = 42


def _topic(label: str) -> str:
    return f"{label}-{os.getpid()}-{int(time.time() * 1000) % 100000}"


def _topic_znode_bytes(assignment: dict[int, list[int]], topic_id: str) -> bytes:
    """Kafka 3.9's `/brokers/topics/<t>` for ≤ 11 partitions (Scala 2.13 key order, partition
    ids ascending; layout doc §2.6)."""
    partitions = ",".join(f'"{p}":[{",".join(map(str, r))}]' for p, r in sorted(assignment.items()))
    return (
        f'{{"partitions":{{{partitions}}},"topic_id":"{topic_id}",'
        '"adding_replicas":{},"removing_replicas":{},"version":3}'
    ).encode()


def _check_topic_znodes(cluster: ZkafkaCluster, topic: str, partitions: int, rf: int,
                        config: bytes = b'{"version":1,"config":{}}') -> dict[int, list[int]]:
    """The znodes a created topic has in Kafka: the assignment (v3, topic id, Kafka's bytes),
    the config entity (always written), and one state znode per partition with leader = first
    replica (all brokers live). Returns the assignment."""
    zk = cluster.view
    node = zk.require(f"/brokers/topics/{topic}")
    doc = node.json()
    assignment = {int(p): r for p, r in doc["partitions"].items()}
    assert sorted(assignment) == list(range(partitions))
    assert all(len(r) == rf and len(set(r)) == rf for r in assignment.values()), assignment
    decode_kafka_uuid(doc["topic_id"])
    assert node.data == _topic_znode_bytes(assignment, doc["topic_id"]), node.data
    assert zk.require(f"/config/topics/{topic}").data == config
    brokers = sorted(zk.broker_ids())
    # Kafka's round-robin: preferred leaders spread evenly over the brokers.
    if partitions % len(brokers) == 0 and rf <= len(brokers):
        firsts = [r[0] for r in assignment.values()]
        assert sorted(firsts) == sorted(brokers * (partitions // len(brokers))), assignment
    epoch = zk.controller_epoch()
    for p, replicas in assignment.items():
        path = f"/brokers/topics/{topic}/partitions/{p}/state"
        state = wait_until(lambda: zk.get(path), 20.0, f"{path}")
        assert state.data == (
            f'{{"controller_epoch":{epoch},"leader":{replicas[0]},"version":1,'
            f'"leader_epoch":0,"isr":[{",".join(map(str, replicas))}]}}'
        ).encode(), state.data
    return assignment


def _wait_metadata_has_all_brokers(cluster: ZkafkaCluster) -> None:
    """Every broker's metadata cache lists every live broker (the controller's first
    UpdateMetadata arrived); until then Kafka assigns over fewer brokers, as we do."""
    n = len(cluster.running())
    for broker in cluster.running():
        wait_until(lambda: len(kcat_metadata(broker.bootstrap)["brokers"]) == n, 20.0,
                   f"broker {broker.broker_id} to know all {n} brokers")


def _leaders_now(broker_bootstrap: str, topic: str) -> dict[int, int]:
    md = kcat_metadata(broker_bootstrap, topic)
    return {p["partition"]: p["leader"] for p in md["topics"][0].get("partitions", [])}


def test_create_with_kafka_python_admin_writes_kafkas_znodes_and_waits_for_leaders(cluster: ZkafkaCluster) -> None:
    """CreateTopics from kafka-python (RF 3, 6 partitions) writes Kafka's znodes, and the answer
    comes only once the controller broker's metadata has a leader for every partition
    (`DelayedCreatePartitions`); CreatePartitions adds partitions keeping the topic id
    (`AdminZkClient.createPartitionsWithAssignment`) (semantics doc §1.9)."""
    _wait_metadata_has_all_brokers(cluster)
    from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic

    topic = _topic("kp-admin")
    admin = KafkaAdminClient(**kafka_python_config(cluster.bootstrap_servers))
    try:
        admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=3)], timeout_ms=30000)
        controller = cluster.controller()
        # Usable when the response returns: the controller broker already has every leader.
        assert sorted(_leaders_now(controller.bootstrap, topic)) == list(range(6))
        assert all(leader >= 0 for leader in _leaders_now(controller.bootstrap, topic).values())
        assignment = _check_topic_znodes(cluster, topic, 6, 3)
        topic_id = cluster.view.require(f"/brokers/topics/{topic}").json()["topic_id"]

        described = admin.describe_topics([topic])
        assert described[0]["error_code"] == 0
        assert len(described[0]["partitions"]) == 6

        admin.create_partitions({topic: NewPartitions(total_count=8)}, timeout_ms=30000)
        doc = cluster.view.require(f"/brokers/topics/{topic}").json()
        assert doc["topic_id"] == topic_id
        grown = {int(p): r for p, r in doc["partitions"].items()}
        assert sorted(grown) == list(range(8))
        assert {p: grown[p] for p in range(6)} == assignment
        assert all(len(set(grown[p])) == 3 for p in (6, 7))
        assert sorted(_leaders_now(controller.bootstrap, topic)) == list(range(8))
        for p in (6, 7):
            assert cluster.view.exists(f"/brokers/topics/{topic}/partitions/{p}/state")
    finally:
        admin.close()


def test_create_with_confluent_admin_configs_validate_only_and_describe_configs(cluster: ZkafkaCluster) -> None:
    """confluent-kafka's CreateTopics with overrides writes `/config/topics/<t>` in Kafka's
    `Properties` order (layout doc §2.8 golden); validate_only writes nothing; DescribeConfigs
    reports the override as DYNAMIC_TOPIC_CONFIG and the rest as DEFAULT_CONFIG, and a broker's
    own settings as STATIC_BROKER_CONFIG (`ConfigHelper.createTopicConfigEntry`)."""
    _wait_metadata_has_all_brokers(cluster)
    from confluent_kafka.admin import ConfigSource

    topic = _topic("ck-admin")
    admin = AdminClient(confluent_config(cluster.bootstrap_servers))
    configs = {"cleanup.policy": "compact", "retention.ms": "86400000", "min.insync.replicas": "2"}
    ghost = _topic("ck-ghost")
    admin.create_topics([CNewTopic(ghost, 3, 3)], validate_only=True)[ghost].result(30)
    assert not cluster.view.exists(f"/brokers/topics/{ghost}")
    assert not cluster.view.exists(f"/config/topics/{ghost}")

    admin.create_topics([CNewTopic(topic, 6, 3, config=configs)], operation_timeout=30)[topic].result(30)
    _check_topic_znodes(
        cluster, topic, 6, 3,
        config=b'{"version":1,"config":{"cleanup.policy":"compact","min.insync.replicas":"2",'
               b'"retention.ms":"86400000"}}',
    )
    resource = ConfigResource("topic", topic)
    entries = admin.describe_configs([resource])[resource].result(30)
    assert entries["retention.ms"].value == "86400000"
    assert entries["retention.ms"].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
    assert entries["cleanup.policy"].value == "compact"
    assert entries["segment.bytes"].value == "1073741824"
    assert entries["segment.bytes"].source == ConfigSource.DEFAULT_CONFIG.value
    assert entries["segment.bytes"].is_default

    broker = ConfigResource("broker", "1")
    broker_entries = admin.describe_configs([broker])[broker].result(30)
    assert broker_entries["broker.id"].value == "1"
    assert broker_entries["broker.id"].source == ConfigSource.STATIC_BROKER_CONFIG.value
    assert broker_entries["num.partitions"].value == "1"
    assert broker_entries["num.partitions"].source == ConfigSource.DEFAULT_CONFIG.value

    # CreatePartitions through librdkafka.
    admin.create_partitions([CNewPartitions(topic, 9)], operation_timeout=30)[topic].result(30)
    assert len(cluster.view.require(f"/brokers/topics/{topic}").json()["partitions"]) == 9


def test_kafka_topic_command_create_list_describe_alter_delete(cluster: ZkafkaCluster) -> None:
    """Kafka's own `kafka-topics.sh` (`org.apache.kafka.tools.TopicCommand`) against the
    cluster: --create RF 3 × 6 partitions with a config, --list, --describe (Kafka's output
    shape, the override under Configs), --alter --partitions, --delete."""
    _wait_metadata_has_all_brokers(cluster)
    topic = _topic("tc")
    tool = "org.apache.kafka.tools.TopicCommand"
    bs = ["--bootstrap-server", cluster.bootstrap_servers]

    r = run_java(tool, [*bs, "--create", "--topic", topic, "--partitions", "6",
                        "--replication-factor", "3", "--config", "retention.ms=3600000"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"Created topic {topic}." in r.stdout
    _check_topic_znodes(cluster, topic, 6, 3, config=b'{"version":1,"config":{"retention.ms":"3600000"}}')

    r = run_java(tool, [*bs, "--list"])
    assert r.returncode == 0 and topic in r.stdout.split(), r.stdout + r.stderr

    r = run_java(tool, [*bs, "--describe", "--topic", topic])
    assert r.returncode == 0, r.stdout + r.stderr
    header = re.search(rf"Topic: {topic}\tTopicId: (\S+)\tPartitionCount: 6\tReplicationFactor: 3\tConfigs: (.*)",
                       r.stdout)
    assert header, r.stdout
    assert header.group(1) == cluster.view.require(f"/brokers/topics/{topic}").json()["topic_id"]
    assert header.group(2).strip() == "retention.ms=3600000"
    rows = re.findall(rf"Topic: {topic}\tPartition: (\d+)\tLeader: (\d+)\tReplicas: ([\d,]+)\tIsr: ([\d,]+)",
                      r.stdout)
    assert sorted(int(p) for p, *_ in rows) == list(range(6)), r.stdout
    for _, leader, replicas, isr in rows:
        assert leader == replicas.split(",")[0]
        assert sorted(isr.split(",")) == sorted(replicas.split(","))

    r = run_java(tool, [*bs, "--alter", "--topic", topic, "--partitions", "8"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(cluster.view.require(f"/brokers/topics/{topic}").json()["partitions"]) == 8

    r = run_java(tool, [*bs, "--alter", "--topic", topic, "--partitions", "4"])
    assert r.returncode != 0
    assert "Topic currently has 8 partitions, which is higher than the requested 4." in r.stdout

    r = run_java(tool, [*bs, "--delete", "--topic", topic])
    assert r.returncode == 0, r.stdout + r.stderr
    cluster.view.wait_gone(f"/brokers/topics/{topic}", 30.0)
    cluster.view.wait_gone(f"/admin/delete_topics/{topic}", 30.0)


def test_create_topics_errors_have_kafkas_codes(cluster: ZkafkaCluster) -> None:
    """CreateTopics per-topic errors, as `ZkAdminManager.createTopics` / `AdminZkClient
    .validateTopicCreate` / `LogConfig.validate` answer them: existing topic, replication factor
    above the live brokers, zero partitions, illegal name, unknown config name and bad value,
    counts together with an assignment, a duplicate replica, a name given twice; the good topic
    in the same request is created (one bad topic never fails the others)."""
    _wait_metadata_has_all_brokers(cluster)
    address = cluster.controller().bootstrap
    existing = _topic("exists")
    good = _topic("good")
    assert kafka_wire.create_topics_v4(address, [(existing, 1, 1, {})]) == [(existing, 0, None)]
    results = kafka_wire.create_topics_v4(address, [
        (existing, 1, 1, {}),
        (_topic("rf"), 3, 4, {}),
        (_topic("zero"), 0, 1, {}),
        ("bad name", 1, 1, {}),
        (_topic("cfg"), 1, 1, {"no.such.config": "1"}),
        (_topic("cfgv"), 1, 1, {"retention.ms": "soon"}),
        (_topic("nullcfg"), 1, 1, {"retention.ms": None}),
        (_topic("dup"), {0: [0, 0]}, {}),
        ("twice", 1, 1, {}),
        ("twice", 1, 1, {}),
        (good, 2, 3, {}),
    ])
    codes = [(code, msg) for _, code, msg in results]
    assert codes[0] == (TOPIC_ALREADY_EXISTS, f"Topic '{existing}' already exists.")
    assert codes[1] == (INVALID_REPLICATION_FACTOR, "Replication factor: 4 larger than available brokers: 3.")
    assert codes[2] == (INVALID_PARTITIONS, "Number of partitions must be larger than 0.")
    assert codes[3][0] == INVALID_TOPIC_EXCEPTION
    assert codes[4] == (INVALID_CONFIG, "Unknown topic config name: no.such.config")
    assert codes[5][0] == INVALID_CONFIG and "retention.ms" in codes[5][1]
    assert codes[6] == (INVALID_CONFIG, "Null value not supported for topic configs: retention.ms")
    assert codes[7][0] == INVALID_REPLICA_ASSIGNMENT
    assert codes[8] == (INVALID_REQUEST, "Found multiple entries for this topic.")
    assert codes[9] == (INVALID_REQUEST, "Found multiple entries for this topic.")
    assert codes[10] == (0, None)
    _check_topic_znodes(cluster, good, 2, 3)
    for name, code, _ in results[:-1]:
        if code != TOPIC_ALREADY_EXISTS and name != "bad name":
            assert not cluster.view.exists(f"/brokers/topics/{name}"), name

    # The same errors through a client library: confluent-kafka raises with Kafka's code.
    admin = AdminClient(confluent_config(cluster.bootstrap_servers))
    with pytest.raises(KafkaException) as exc:
        admin.create_topics([CNewTopic(existing, 1, 1)])[existing].result(30)
    assert exc.value.args[0].code() == TOPIC_ALREADY_EXISTS

    # CreatePartitions below the current count.
    name, code, msg = kafka_wire.create_partitions_v1(address, good, 1)
    assert (code, msg) == (INVALID_PARTITIONS, "Topic currently has 2 partitions, which is higher than the requested 1.")
    name, code, msg = kafka_wire.create_partitions_v1(address, good, 2)
    assert (code, msg) == (INVALID_PARTITIONS, "Topic already has 2 partitions.")


def test_admin_requests_off_the_controller_get_not_controller(cluster: ZkafkaCluster) -> None:
    """In ZooKeeper mode only the active controller serves CreateTopics, CreatePartitions and
    DeleteTopics; every other broker answers NOT_CONTROLLER per topic and writes nothing
    (`KafkaApis.handleCreateTopicsRequest`: `if (!zkSupport.controller.isActive)`)."""
    _wait_metadata_has_all_brokers(cluster)
    controller_id = cluster.view.controller_id()
    other = next(b for b in cluster.running() if b.broker_id != controller_id)
    topic = _topic("notctl")
    # Kafka answers before createTopics runs, leaving errorMessage at its default "".
    assert kafka_wire.create_topics_v4(other.bootstrap, [(topic, 1, 1, {})]) == [(topic, NOT_CONTROLLER, "")]
    assert not cluster.view.exists(f"/brokers/topics/{topic}")
    assert kafka_wire.create_partitions_v1(other.bootstrap, topic, 3)[1] == NOT_CONTROLLER
    assert kafka_wire.delete_topics_v3(other.bootstrap, [topic]) == [(topic, NOT_CONTROLLER)]


def test_metadata_auto_creates_topics_with_broker_defaults(cluster_factory) -> None:
    """`auto.create.topics.enable` (default true): a Metadata request naming an unknown topic
    makes the broker that serves it write the topic with `num.partitions` /
    `default.replication.factor`, answering LEADER_NOT_AVAILABLE until the controller elected
    leaders (`AutoTopicCreationManager.createTopicsInZk`); a kafka-python producer then sends to
    a topic nobody created."""
    from kafka import KafkaProducer

    cluster = cluster_factory(size=3, properties={"num.partitions": "3", "default.replication.factor": "2"}).start()
    _wait_metadata_has_all_brokers(cluster)
    topic = _topic("auto")
    non_controller = next(b for b in cluster.running() if b.broker_id != cluster.view.controller_id())
    first = kafka_wire.metadata_v4(non_controller.bootstrap, [topic])
    assert first[topic][0] == LEADER_NOT_AVAILABLE
    _check_topic_znodes(cluster, topic, 3, 2)
    ready = wait_until(
        lambda: (lambda md: md if md[topic][0] == 0 and len(md[topic][1]) == 3 else None)(
            kafka_wire.metadata_v4(non_controller.bootstrap, [topic])),
        20.0, f"{topic} to get leaders",
    )
    assert all(leader >= 0 for _, leader, _ in ready[topic][1].values())
    # Not created when the request disallows it.
    other = _topic("noauto")
    assert kafka_wire.metadata_v4(non_controller.bootstrap, [other], allow_auto_topic_creation=False)[other][0] == 3
    assert not cluster.view.exists(f"/brokers/topics/{other}")

    produced = _topic("auto-producer")
    producer = KafkaProducer(**kafka_python_config(cluster.bootstrap_servers), acks="all",
                             enable_idempotence=False)
    try:
        meta = producer.send(produced, key=b"k", value=b"v").get(timeout=60)
        assert meta.offset == 0
    finally:
        producer.close()
    _check_topic_znodes(cluster, produced, 3, 2)


def test_delete_topic_removes_znodes_metadata_and_log_dirs_everywhere(cluster_factory) -> None:
    """DeleteTopics marks `/admin/delete_topics/<t>`; the controller sends UpdateMetadata with
    leader −2 and StopReplica(delete) to every replica, then removes `/brokers/topics/<t>`,
    `/config/topics/<t>` and the mark; brokers rename each partition dir to
    `<t>-<p>.<uuid>-delete` and remove it after `file.delete.delay.ms`
    (`TopicDeletionManager`, `LogManager.asyncDelete`; semantics doc §1.12)."""
    cluster = cluster_factory(size=3, properties={"log.segment.delete.delay.ms": "500"}).start()
    _wait_metadata_has_all_brokers(cluster)
    topic = _topic("del")
    admin = AdminClient(confluent_config(cluster.bootstrap_servers))
    admin.create_topics([CNewTopic(topic, 6, 3)], operation_timeout=30)[topic].result(30)
    lines = "".join(f"k{i}:v{i}\n" for i in range(600))
    import subprocess
    produced = subprocess.run(["kcat", "-b", cluster.bootstrap_servers, "-P", "-t", topic, "-K:", "-X", "acks=all"],
                              input=lines, text=True, capture_output=True, timeout=60)
    assert produced.returncode == 0, produced.stderr

    def topic_dirs(broker) -> list[str]:
        return [d.name for log_dir in broker.log_dirs for d in Path(log_dir).iterdir()
                if d.name.startswith(f"{topic}-")]

    for broker in cluster.running():
        wait_until(lambda: len(topic_dirs(broker)) == 6, 20.0, f"6 partition dirs on broker {broker.broker_id}")

    admin.delete_topics([topic], operation_timeout=30)[topic].result(30)
    zk = cluster.view
    for path in (f"/brokers/topics/{topic}", f"/config/topics/{topic}", f"/admin/delete_topics/{topic}"):
        zk.wait_gone(path, 30.0)
    for broker in cluster.running():
        wait_until(lambda: not topic_dirs(broker), 30.0,
                   f"{topic} dirs gone on broker {broker.broker_id}",
                   describe=lambda: str(topic_dirs(broker)))
        md = kafka_wire.metadata_v4(broker.bootstrap, [topic], allow_auto_topic_creation=False)
        assert md[topic][0] == 3, md
    # Deleting it again: unknown.
    with pytest.raises(KafkaException) as exc:
        admin.delete_topics([topic], operation_timeout=30)[topic].result(30)
    assert exc.value.args[0].code() == 3

    # DeleteTopics v6 by topic id (KIP-516): a known id deletes its topic, an unknown one is
    # UNKNOWN_TOPIC_ID (100).
    by_id = _topic("delid")
    admin.create_topics([CNewTopic(by_id, 2, 3)], operation_timeout=30)[by_id].result(30)
    topic_id = decode_kafka_uuid(zk.require(f"/brokers/topics/{by_id}").json()["topic_id"]).bytes
    controller = cluster.controller()
    assert kafka_wire.delete_topics_v6(controller.bootstrap, [(None, topic_id)]) == [(by_id, topic_id, 0)]
    zk.wait_gone(f"/brokers/topics/{by_id}", 30.0)
    unknown = bytes(range(1, 17))
    assert kafka_wire.delete_topics_v6(controller.bootstrap, [(None, unknown)]) == [(None, unknown, 100)]


@pytest.mark.zkafka_only
def test_zkafka_topics_cli_create_describe_alter_delete(cluster: ZkafkaCluster) -> None:
    """`zkafka topics` speaks kafka-topics.sh's shapes over --bootstrap-server (Kafka:
    `TopicCommand`): "Created topic t.", the describe lines with the override under Configs,
    --alter --partitions, --list, --delete."""
    _wait_metadata_has_all_brokers(cluster)
    from harness.broker import zkafka_bin
    from harness.procs import run_command

    topic = _topic("cli")
    bs = ["--bootstrap-server", cluster.bootstrap_servers]

    def topics(*args: str):
        return run_command([zkafka_bin(), "topics", *bs, *args], timeout=60)

    r = topics("--create", "--topic", topic, "--partitions", "6", "--replication-factor", "3",
               "--config", "retention.ms=3600000")
    assert r.returncode == 0 and r.stdout == f"Created topic {topic}.\n", r.stdout + r.stderr
    _check_topic_znodes(cluster, topic, 6, 3, config=b'{"version":1,"config":{"retention.ms":"3600000"}}')
    r = topics("--describe", "--topic", topic)
    assert r.returncode == 0, r.stderr
    topic_id = cluster.view.require(f"/brokers/topics/{topic}").json()["topic_id"]
    assert r.stdout.splitlines()[0] == (
        f"Topic: {topic}\tTopicId: {topic_id}\tPartitionCount: 6\tReplicationFactor: 3\tConfigs: retention.ms=3600000")
    assert len(r.stdout.splitlines()) == 7
    r = topics("--alter", "--topic", topic, "--partitions", "7")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(cluster.view.require(f"/brokers/topics/{topic}").json()["partitions"]) == 7
    r = topics("--create", "--topic", topic, "--partitions", "1")
    assert r.returncode == 1 and "already exists" in r.stdout, r.stdout
    assert topic in topics("--list").stdout.split()
    r = topics("--delete", "--topic", topic)
    assert r.returncode == 0, r.stdout + r.stderr
    cluster.view.wait_gone(f"/brokers/topics/{topic}", 30.0)


def test_incremental_alter_configs_writes_override_notifies_and_brokers_apply_it(cluster: ZkafkaCluster) -> None:
    """IncrementalAlterConfigs on a topic rewrites `/config/topics/<t>` and creates
    `/config/changes/config_change_<seq>` = `{"version":2,"entity_path":"topics/<t>"}`; every
    broker re-reads the overrides (`ZkConfigManager`, `TopicConfigHandler`), so a lowered
    `max.message.bytes` makes the leader refuse a larger batch with MESSAGE_TOO_LARGE
    (`ZkAdminManager.incrementalAlterConfigs`; layout doc §2.8, §2.9)."""
    _wait_metadata_has_all_brokers(cluster)
    from confluent_kafka import KafkaError, Producer
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry

    topic = _topic("alter")
    admin = AdminClient(confluent_config(cluster.bootstrap_servers))
    admin.create_topics([CNewTopic(topic, 3, 3, config={"retention.ms": "86400000"})],
                        operation_timeout=30)[topic].result(30)
    before = set(cluster.view.children("/config/changes"))
    resource = ConfigResource("topic", topic, incremental_configs=[
        ConfigEntry("max.message.bytes", "1024", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE),
    ])
    admin.incremental_alter_configs([resource])[resource].result(30)
    assert cluster.view.require(f"/config/topics/{topic}").data == \
        b'{"version":1,"config":{"max.message.bytes":"1024"}}'
    added = [c for c in cluster.view.children("/config/changes") if c not in before]
    assert len(added) == 1 and added[0].startswith("config_change_"), added
    assert cluster.view.require(f"/config/changes/{added[0]}").data == \
        f'{{"version":2,"entity_path":"topics/{topic}"}}'.encode()
    described = admin.describe_configs([ConfigResource("topic", topic)])
    entries = list(described.values())[0].result(30)
    assert entries["max.message.bytes"].value == "1024"
    assert entries["retention.ms"].value == "604800000"

    errors: list = []

    def delivered(err, _msg) -> None:
        errors.append(err)

    def refused() -> bool:
        errors.clear()
        p = Producer(confluent_config(cluster.bootstrap_servers, **{"acks": "all", "message.timeout.ms": 10000}))
        p.produce(topic, key=b"k", value=b"x" * 4000, on_delivery=delivered)
        p.flush(20)
        return bool(errors) and errors[0] is not None and errors[0].code() == KafkaError.MSG_SIZE_TOO_LARGE

    wait_until(refused, 20.0, "the leader to refuse a 4000-byte record", describe=lambda: str(errors))

    # Unknown topic and unknown config name: Kafka's codes.
    bad = ConfigResource("topic", topic, incremental_configs=[
        ConfigEntry("no.such.config", "1", incremental_operation=AlterConfigOpType.SET)])
    with pytest.raises(KafkaException) as exc:
        admin.incremental_alter_configs([bad])[bad].result(30)
    assert exc.value.args[0].code() == INVALID_CONFIG


def test_deletion_waits_for_a_dead_replica_and_completes_when_it_returns(cluster_factory) -> None:
    """Deleting a topic with a replica on a dead broker: live brokers drop the topic from their
    metadata at once (DeleteTopics succeeds, as Kafka 3.9.1 answered) and delete their replicas,
    but the dead replica makes the topic ineligible, so the mark and the topic's znodes stay;
    when the broker registers again the deletion resumes and completes, including that broker's
    own log dirs (`TopicDeletionManager.onPartitionDeletion`, `markTopicIneligibleForDeletion`,
    `resumeDeletionForTopics` from `onBrokerStartup`; semantics doc §1.12)."""
    cluster = cluster_factory(size=3, properties={"log.segment.delete.delay.ms": "500"}).start()
    _wait_metadata_has_all_brokers(cluster)
    topic = _topic("del-dead")
    controller = cluster.controller()
    assert kafka_wire.create_topics_v4(controller.bootstrap, [(topic, 3, 3, {})]) == [(topic, 0, None)]
    victim = next(b for b in cluster.running() if b.broker_id != controller.broker_id)
    wait_until(lambda: len([d for d in Path(victim.log_dirs[0]).iterdir() if d.name.startswith(f"{topic}-")]) == 3,
               20.0, "the victim's partition dirs")
    victim.stop()
    zk = cluster.view
    wait_until(lambda: victim.broker_id not in zk.broker_ids(), 20.0, f"broker {victim.broker_id} gone")

    assert kafka_wire.delete_topics_v3(controller.bootstrap, [topic], timeout_ms=30000) == [(topic, 0)]
    for broker in cluster.running():
        if broker is not victim:
            wait_until(lambda: not [d for d in Path(broker.log_dirs[0]).iterdir()
                                    if d.name.startswith(f"{topic}-") and not d.name.endswith("-delete")],
                       20.0, f"live replicas deleted on broker {broker.broker_id}")
    assert zk.exists(f"/admin/delete_topics/{topic}")
    assert zk.exists(f"/brokers/topics/{topic}")
    assert zk.exists(f"/config/topics/{topic}")

    victim.restart()
    for path in (f"/brokers/topics/{topic}", f"/config/topics/{topic}", f"/admin/delete_topics/{topic}"):
        zk.wait_gone(path, 30.0)
    for broker in cluster.running():
        wait_until(lambda: not [d for log_dir in broker.log_dirs for d in Path(log_dir).iterdir()
                                if d.name.startswith(f"{topic}-")],
                   30.0, f"{topic} dirs gone on broker {broker.broker_id}")
