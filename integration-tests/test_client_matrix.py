"""Produce with one real client, consume with another, on a 3-broker cluster with a topic of
replication factor 3 and 6 partitions: kcat (librdkafka 2.0.2), confluent-kafka (librdkafka
2.16), kafka-python and the Java client 3.9. Every consumed record is checked: the count, order
within each partition (offsets and the producer's sequence both increasing), the key (and that
one key stays in one partition), the headers, and the timestamp (exact where the producer sets
it). Each compression codec — gzip, snappy, lz4, zstd — is produced and read back; batches are
stored as they arrive (Kafka: `LogValidator` keeps a producer's v2 batches; protocol guide).

kafka-python here has no snappy/lz4/zstd modules installed, so it produces and consumes gzip.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path
from typing import Iterator, Optional

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness.broker import ZkafkaCluster, is_reference_kafka, unique_chroot
from harness.clients import confluent_config, kafka_python_config, run_java
from harness.waiting import wait_until

PROGRAMS = Path(__file__).resolve().parent / "programs"
PARTITIONS = 6
BIG = 100_000
SMALL = 5_000
# (partition, offset, key, value, timestamp, timestamp type or None, seq header, src header)
Record = tuple


@pytest.fixture(scope="module")
def matrix_cluster(zookeeper, tmp_path_factory, zkafka_binary) -> Iterator[ZkafkaCluster]:
    """One 3-broker cluster for the whole matrix (topics keep the tests apart)."""
    cluster = ZkafkaCluster(
        zookeeper.connect_string, tmp_path_factory.mktemp("matrix"), size=3,
        chroot=unique_chroot("matrix"), ensemble=zookeeper,
    )
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _create_topic(cluster: ZkafkaCluster, label: str) -> str:
    topic = f"{label}-{os.getpid()}"
    admin = AdminClient(confluent_config(cluster.bootstrap_servers))
    admin.create_topics([NewTopic(topic, PARTITIONS, 3)], operation_timeout=30)[topic].result(60)
    return topic


# ---------------------------------------------------------------------------------- producers


def produce_kcat(cluster: ZkafkaCluster, topic: str, count: int, codec: str, tag: str) -> None:
    """kcat -P: keys from `-K:`, one static header (`-H`), timestamps set by librdkafka."""
    lines = "".join(f"k{i % 97}:{tag}-{i}\n" for i in range(count))
    r = subprocess.run(
        ["kcat", "-b", cluster.bootstrap_servers, "-P", "-t", topic, "-K:", "-H", f"src={tag}",
         "-z", codec, "-X", "acks=all", "-X", "linger.ms=5"],
        input=lines, text=True, capture_output=True, timeout=180,
    )
    assert r.returncode == 0, r.stderr


def produce_confluent(cluster: ZkafkaCluster, topic: str, count: int, codec: str, tag: str, base_ts: int) -> None:
    errors: list = []
    p = Producer(confluent_config(cluster.bootstrap_servers, **{
        "compression.type": codec, "linger.ms": 5, "acks": "all"}))

    def delivered(err, _msg) -> None:
        if err is not None:
            errors.append(err)

    for i in range(count):
        while True:
            try:
                p.produce(topic, key=f"k{i % 97}", value=f"{tag}-{i}",
                          headers=[("seq", str(i)), ("src", tag)], timestamp=base_ts + i,
                          on_delivery=delivered)
                break
            except BufferError:
                p.poll(0.1)
        if i % 2000 == 0:
            p.poll(0)
    assert p.flush(120) == 0
    assert not errors, errors[:3]


def produce_kafka_python(cluster: ZkafkaCluster, topic: str, count: int, tag: str, base_ts: int) -> None:
    from kafka import KafkaProducer

    # kafka-python 3 turns idempotence on by default; InitProducerId needs the controller's
    # AllocateProducerIds (the `controller` branch), so it is off here (acks=all either way).
    producer = KafkaProducer(**kafka_python_config(cluster.bootstrap_servers), acks="all",
                             compression_type="gzip", linger_ms=5, batch_size=65536,
                             enable_idempotence=False)
    try:
        futures = [
            producer.send(topic, key=f"k{i % 97}".encode(), value=f"{tag}-{i}".encode(),
                          headers=[("seq", str(i).encode()), ("src", tag.encode())], timestamp_ms=base_ts + i)
            for i in range(count)
        ]
        producer.flush(120)
        for f in futures[-10:]:
            f.get(timeout=60)
        assert all(f.succeeded() for f in futures)
    finally:
        producer.close()


def produce_java(cluster: ZkafkaCluster, topic: str, count: int, codec: str, mode: str, tag: str,
                 base_ts: int) -> None:
    r = run_java(str(PROGRAMS / "MatrixProducer.java"),
                 [cluster.bootstrap_servers, topic, str(count), codec, mode, tag, str(base_ts)],
                 timeout=240, heap_mb=512)
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]


# ---------------------------------------------------------------------------------- consumers


def consume_kcat(cluster: ZkafkaCluster, topic: str, count: int) -> list[Record]:
    r = subprocess.run(
        ["kcat", "-b", cluster.bootstrap_servers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
         "-f", "%p\t%o\t%k\t%s\t%T\t%h\n"],
        text=True, capture_output=True, timeout=180,
    )
    assert r.returncode == 0, r.stderr
    out = []
    for line in r.stdout.splitlines():
        p, o, k, v, ts, hdrs = line.split("\t")
        headers = dict(h.split("=", 1) for h in hdrs.split(",") if "=" in h)
        out.append((int(p), int(o), k, v, int(ts), None, headers.get("seq", ""), headers.get("src", "")))
    return out


def consume_confluent(cluster: ZkafkaCluster, topic: str, count: int, timeout: float = 120.0) -> list[Record]:
    c = Consumer(confluent_config(cluster.bootstrap_servers, **{
        "group.id": f"matrix-{topic}", "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    out: list[Record] = []
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for m in c.consume(5000, 1.0):
                if m.error():
                    raise AssertionError(f"confluent consumer error: {m.error()}")
                h = dict((k, v.decode()) for k, v in (m.headers() or []))
                ts_type, ts = m.timestamp()
                out.append((m.partition(), m.offset(), m.key().decode(), m.value().decode(), ts, ts_type,
                            h.get("seq", ""), h.get("src", "")))
    finally:
        c.close()
    return out


def consume_kafka_python(cluster: ZkafkaCluster, topic: str, count: int, timeout: float = 120.0) -> list[Record]:
    from kafka import KafkaConsumer
    from kafka import TopicPartition as KTP

    consumer = KafkaConsumer(**kafka_python_config(cluster.bootstrap_servers), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest")
    out: list[Record] = []
    try:
        consumer.assign([KTP(topic, p) for p in range(PARTITIONS)])
        consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=1000, max_records=10000).values():
                for m in records:
                    h = {k: v.decode() for k, v in m.headers}
                    out.append((m.partition, m.offset, m.key.decode(), m.value.decode(), m.timestamp,
                                m.timestamp_type, h.get("seq", ""), h.get("src", "")))
    finally:
        consumer.close()
    return out


def consume_java(cluster: ZkafkaCluster, topic: str, count: int) -> list[Record]:
    r = run_java(str(PROGRAMS / "MatrixConsumer.java"),
                 [cluster.bootstrap_servers, topic, str(count), "120000"], timeout=240, heap_mb=512)
    assert r.returncode == 0, r.stderr[-3000:]
    out = []
    for line in r.stdout.splitlines():
        p, o, k, v, ts, ts_type, seq, src = line.split("\t")
        out.append((int(p), int(o), k, v, int(ts), ts_type, seq, src))
    return out


# ---------------------------------------------------------------------------------- checks


def verify(records: list[Record], tag: str, count: int, base_ts: Optional[int] = None,
           ts_window: Optional[tuple[int, int]] = None, seq_headers: bool = True) -> None:
    """Every record once, in producer order per partition, with its key, headers, timestamp."""
    assert len(records) == count, f"consumed {len(records)} of {count}"
    seen = set()
    key_partition: dict[str, int] = {}
    by_partition: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (p, offset, key, value, ts, ts_type, seq, src) in records:
        prefix, _, n = value.rpartition("-")
        assert prefix == tag, value
        i = int(n)
        assert i not in seen, f"duplicate {value}"
        seen.add(i)
        assert key == f"k{i % 97}", (key, value)
        assert key_partition.setdefault(key, p) == p, f"key {key} in partitions {key_partition[key]} and {p}"
        assert src == tag, (src, value)
        if seq_headers:
            assert seq == str(i), (seq, value)
        if base_ts is not None:
            assert ts == base_ts + i, (ts, value)
        if ts_window is not None:
            assert ts_window[0] <= ts <= ts_window[1], (ts, ts_window)
        if ts_type is not None:
            assert ts_type in (0, "CreateTime", 1), ts_type  # CreateTime (librdkafka 1, Java/kafka-python 0)
        by_partition[p].append((offset, i))
    assert seen == set(range(count))
    assert sorted(by_partition) == list(range(PARTITIONS)), sorted(by_partition)
    for p, rows in by_partition.items():
        offsets = [o for o, _ in rows]
        assert offsets == sorted(set(offsets)), f"partition {p}: offsets out of order"
        sequence = [i for _, i in sorted(rows)]
        assert sequence == sorted(sequence), f"partition {p}: records out of producer order"


def _now_ms() -> int:
    return int(time.time() * 1000)


# ---------------------------------------------------------------------------------- the matrix


def test_kcat_snappy_consumed_by_java(matrix_cluster: ZkafkaCluster) -> None:
    """100k keyed records from kcat (snappy, acks=all) read back by the Java consumer."""
    topic = _create_topic(matrix_cluster, "kcat-snappy")
    start = _now_ms()
    produce_kcat(matrix_cluster, topic, BIG, "snappy", "kcat")
    verify(consume_java(matrix_cluster, topic, BIG), "kcat", BIG, ts_window=(start - 1000, _now_ms() + 1000),
           seq_headers=False)


def test_confluent_zstd_consumed_by_kcat(matrix_cluster: ZkafkaCluster) -> None:
    """100k records from confluent-kafka (zstd, headers, explicit timestamps) read by kcat."""
    topic = _create_topic(matrix_cluster, "ck-zstd")
    base = _now_ms() - 3_600_000
    produce_confluent(matrix_cluster, topic, BIG, "zstd", "ck", base)
    verify(consume_kcat(matrix_cluster, topic, BIG), "ck", BIG, base_ts=base)


def test_kafka_python_gzip_consumed_by_confluent(matrix_cluster: ZkafkaCluster) -> None:
    """100k records from kafka-python (gzip) read by confluent-kafka."""
    topic = _create_topic(matrix_cluster, "kp-gzip")
    base = _now_ms() - 7_200_000
    produce_kafka_python(matrix_cluster, topic, BIG, "kp", base)
    verify(consume_confluent(matrix_cluster, topic, BIG), "kp", BIG, base_ts=base)


@pytest.mark.xfail(
    condition=not is_reference_kafka(),
    reason="the default Java producer is idempotent: InitProducerId needs the controller's "
           "AllocateProducerIds handler, which the `controller` branch adds",
    strict=False,
)
def test_java_default_producer_lz4_consumed_by_confluent(matrix_cluster: ZkafkaCluster) -> None:
    """100k records from the Java producer with Kafka's defaults (enable.idempotence=true,
    acks=all: InitProducerId first; semantics doc §5.1, §5.5), lz4, read by confluent-kafka."""
    topic = _create_topic(matrix_cluster, "java-lz4")
    base = _now_ms() - 10_800_000
    produce_java(matrix_cluster, topic, BIG, "lz4", "default", "java", base)
    verify(consume_confluent(matrix_cluster, topic, BIG), "java", BIG, base_ts=base)


def test_java_producer_without_idempotence_consumed_by_kafka_python(matrix_cluster: ZkafkaCluster) -> None:
    """The Java producer (acks=all, idempotence off, gzip) read back by kafka-python."""
    count = 20_000
    topic = _create_topic(matrix_cluster, "java-gzip")
    base = _now_ms() - 14_400_000
    produce_java(matrix_cluster, topic, count, "gzip", "no-idempotence", "jv", base)
    verify(consume_kafka_python(matrix_cluster, topic, count), "jv", count, base_ts=base)


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_every_codec_from_confluent_read_by_java_and_kcat(matrix_cluster: ZkafkaCluster, codec: str) -> None:
    """Each codec's batches, produced by librdkafka, decode in the Java client and in kcat."""
    topic = _create_topic(matrix_cluster, f"codec-{codec}")
    base = _now_ms() - 60_000
    produce_confluent(matrix_cluster, topic, SMALL, codec, f"c{codec}", base)
    verify(consume_java(matrix_cluster, topic, SMALL), f"c{codec}", SMALL, base_ts=base)
    verify(consume_kcat(matrix_cluster, topic, SMALL), f"c{codec}", SMALL, base_ts=base)


def test_every_codec_from_java_read_by_confluent(matrix_cluster: ZkafkaCluster) -> None:
    """The Java client's gzip/snappy/lz4/zstd batches (idempotence off) decode in librdkafka."""
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        topic = _create_topic(matrix_cluster, f"jcodec-{codec}")
        base = _now_ms() - 120_000
        produce_java(matrix_cluster, topic, SMALL, codec, "no-idempotence", f"j{codec}", base)
        verify(consume_confluent(matrix_cluster, topic, SMALL), f"j{codec}", SMALL, base_ts=base)
