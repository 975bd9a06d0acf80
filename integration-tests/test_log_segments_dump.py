"""Kafka's own `kafka-dump-log` (`kafka.tools.DumpLogSegments`, Kafka 3.9.1 jars) reads the
segment files a running broker wrote for records real clients produced (issue 3: "segment files
are decoded independently and compared with what real clients produced"; layout from
semantics doc §3.1: `.log` v2 batches, `.index` / `.timeindex` sparse indexes it verifies
against the log, `<offset>.snapshot` producer-state snapshots).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from harness.broker import orderly_exit_codes
from harness.clients import run_java
from harness.log_tools import AckedProducer, create_topic, files, partition_dir, wait_leader

RECORD = re.compile(r"^\| offset: (\d+) .*? key: (\S*) payload: (\S*)$")
BATCH = re.compile(r"^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) .*producerId: (-?\d+) .*magic: (\d+) .*isvalid: (\w+)")


def dump(*paths: Path, extra: tuple[str, ...] = ()) -> str:
    result = run_java("kafka.tools.DumpLogSegments",
                      ["--files", ",".join(str(p) for p in paths), *extra], timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _produce_and_stop(cluster_factory, idempotent: bool):
    cluster = cluster_factory(size=1).start()
    broker = cluster.broker(0)
    topic = f"dump-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]}, {"segment.bytes": "16384", "index.interval.bytes": "1024"})
    wait_leader(cluster.bootstrap_servers, topic, 1)
    producer = AckedProducer(cluster.bootstrap_servers, **{
        "enable.idempotence": idempotent, "batch.size": 4096, "message.timeout.ms": 15000,
    })
    for i in range(400):
        producer.send(topic, 0, f"key-{i}".encode(), f"value-{i}-".encode() + b"p" * 150)
    producer.producer.flush(30)
    if idempotent and not producer.acked:
        pytest.skip(f"no producer id granted ({producer.errors[:1]}): the controller does not "
                    "serve AllocateProducerIds on this branch")
    assert len(producer.acked) == 400 and not producer.errors
    # A clean stop: indexes trimmed, producer snapshot written, everything flushed.
    assert broker.stop() in orderly_exit_codes()
    return producer, partition_dir(broker, topic, 0)


def test_kafka_dump_log_reads_our_segments_and_indexes(cluster_factory) -> None:
    """Every batch valid v2, every record at its acknowledged offset with its key and value;
    every index entry consistent with the log."""
    producer, d = _produce_and_stop(cluster_factory, idempotent=False)
    logs = [d / f for f in files(d, ".log")]
    assert len(logs) > 2, logs
    out = dump(*logs, extra=("--print-data-log",))
    batches = [BATCH.match(line) for line in out.splitlines() if line.startswith("baseOffset:")]
    assert batches and all(batches), out[:2000]
    assert all(b.group(5) == "2" and b.group(6) == "true" for b in batches), out[:2000]
    records = [RECORD.match(line) for line in out.splitlines() if line.startswith("| offset:")]
    assert records and all(records), out[:2000]
    seen = {int(m.group(1)): (m.group(2).encode(), m.group(3).encode()) for m in records}
    assert seen == {o: kv for (_, o), kv in producer.acked.items()}

    # Indexes: DumpLogSegments checks every entry against the log and reports mismatches.
    indexes = [d / f for f in files(d, ".index")] + [d / f for f in files(d, ".timeindex")]
    out = dump(*indexes)
    assert "offset:" in out and "timestamp:" in out, out[:2000]
    for bad in ("Mismatches", "mismatch", "out of order", "Exception"):
        assert bad not in out, out[-3000:]


def test_kafka_dump_log_reads_our_producer_snapshots(cluster_factory) -> None:
    """Producer snapshots (one per rolled segment, one at shutdown) in Kafka's format, holding
    the idempotent producer's last sequence and offset."""
    producer, d = _produce_and_stop(cluster_factory, idempotent=True)
    out = dump(*[d / f for f in files(d, ".log")][:1], extra=("--print-data-log",))
    pid = int(BATCH.match(next(l for l in out.splitlines() if l.startswith("baseOffset:"))).group(4))
    assert pid >= 0
    snapshots = [d / f for f in files(d, ".snapshot")]
    assert len(snapshots) >= len(files(d, ".log")), snapshots
    out = dump(snapshots[-1])
    last = max(o for (_, o) in producer.acked)
    assert f"producerId: {pid} producerEpoch: 0" in out, out
    assert f"lastSequence: {last}" in out and f"lastOffset: {last}" in out, out
