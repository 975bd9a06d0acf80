"""Retention and compaction observed on a running broker (issue 3, "How it will be checked").

- Time retention judges a segment by its largest record timestamp; expired segments are renamed
  `.deleted` and removed after `file.delete.delay.ms`; the log start offset (ListOffsets
  earliest) moves to the first remaining segment (Kafka `UnifiedLog.deleteOldSegments`,
  `LocalLog.deleteSegmentFiles`; semantics doc §3.5).
- Size retention deletes the oldest segments while the log stays at or above `retention.bytes`.
- Compaction keeps the latest record per key at its original offset, keeps tombstones until the
  delete horizon (`delete.retention.ms`, KIP-534) has passed and a later cleaning runs
  (Kafka `LogCleaner`; semantics doc §3.6).

Topics are written to ZooKeeper with their overrides in `/config/topics/<t>`, as Kafka's admin
path does; `log.initial.task.delay.ms` (Kafka's test-only knob, default 30 s) lets the reference
broker start its retention and cleaner jobs as promptly as ours.
"""

from __future__ import annotations

import os
import time

from harness.log_tools import (
    AckedProducer,
    create_topic,
    files,
    partition_dir,
    read_partition,
    wait_leader,
    watermarks,
)
from harness.waiting import wait_until

BROKER_PROPS = {
    "log.retention.check.interval.ms": "300",
    "log.cleaner.backoff.ms": "300",
    "log.initial.task.delay.ms": "0",
}


def _single_broker(cluster_factory):
    cluster = cluster_factory(size=1, properties=BROKER_PROPS).start()
    return cluster, cluster.broker(0)


def test_time_retention_deletes_old_segments_in_two_steps(cluster_factory) -> None:
    """retention.ms by largest record timestamp; `.deleted` then gone; log start offset advances."""
    cluster, broker = _single_broker(cluster_factory)
    topic = f"retain-time-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]}, {
        "segment.bytes": "2048", "retention.ms": "60000", "file.delete.delay.ms": "2000",
    })
    wait_leader(cluster.bootstrap_servers, topic, 1)
    d = partition_dir(broker, topic, 0)

    producer = AckedProducer(cluster.bootstrap_servers, **{"batch.size": 1024})
    old = int(time.time() * 1000) - 10 * 60 * 1000  # ten minutes ago: past retention.ms
    for i in range(120):
        producer.send(topic, 0, f"k{i}".encode(), b"x" * 150 + f"-{i}".encode(), timestamp=old + i)
    producer.flush()
    # Retention can only start once the old records sit in non-active segments; a fresh record
    # keeps the last segment (and everything from it on) alive.
    producer.send(topic, 0, b"fresh", b"fresh-value")
    producer.flush()
    assert len(producer.acked) == 121 and not producer.errors

    # Step one: segments renamed `.deleted`; step two: removed after file.delete.delay.ms.
    deleted = wait_until(lambda: files(d, ".log.deleted"), 30.0, f".deleted segments in {d}", interval=0.05)
    assert deleted[0].startswith("00000000000000000000"), deleted
    wait_until(lambda: not files(d, ".deleted"), 30.0, "the .deleted files to be removed")

    remaining = files(d, ".log")
    first_base = int(remaining[0].split(".")[0])
    assert first_base > 0, remaining
    low, high = watermarks(cluster.bootstrap_servers, topic, 0)
    assert (low, high) == (first_base, 121), (low, high, remaining)

    # What is left reads back exactly as acknowledged, from the new log start.
    records = read_partition(cluster.bootstrap_servers, topic, 0)
    assert [r[0] for r in records] == list(range(low, high))
    for offset, key, value in records:
        assert producer.acked[(0, offset)] == (key, value)


def test_size_retention_keeps_the_log_near_retention_bytes(cluster_factory) -> None:
    """retention.bytes: oldest segments go while total − segment ≥ limit (Kafka
    `deleteRetentionSizeBreachedSegments`); offsets of what stays are unchanged."""
    cluster, broker = _single_broker(cluster_factory)
    topic = f"retain-size-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]}, {
        "segment.bytes": "2048", "retention.bytes": "6144", "file.delete.delay.ms": "0",
    })
    wait_leader(cluster.bootstrap_servers, topic, 1)
    d = partition_dir(broker, topic, 0)
    producer = AckedProducer(cluster.bootstrap_servers, **{"batch.size": 1024})
    for i in range(200):
        producer.send(topic, 0, None, f"{i:04d}".encode() + b"y" * 200)
    producer.flush()

    def small_enough():
        sizes = [(d / f).stat().st_size for f in files(d, ".log")]
        return sum(sizes[:-1]) < 6144 + 2048 and watermarks(cluster.bootstrap_servers, topic, 0)[0] > 0
    wait_until(small_enough, 30.0, "size retention to delete old segments")
    low, high = watermarks(cluster.bootstrap_servers, topic, 0)
    assert high == 200 and low == int(files(d, ".log")[0].split(".")[0])
    for offset, key, value in read_partition(cluster.bootstrap_servers, topic, 0):
        assert producer.acked[(0, offset)] == (key, value)


def test_compaction_keeps_latest_per_key_and_drops_tombstones_after_horizon(cluster_factory) -> None:
    """cleanup.policy=compact on a running broker: latest value per key at its original offset;
    tombstones kept through the first cleaning, gone after delete.retention.ms and the next one."""
    cluster, broker = _single_broker(cluster_factory)
    topic = f"compact-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]}, {
        "cleanup.policy": "compact", "segment.bytes": "2048", "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": "3000", "file.delete.delay.ms": "500",
    })
    wait_leader(cluster.bootstrap_servers, topic, 1)
    producer = AckedProducer(cluster.bootstrap_servers, **{"batch.size": 1024})
    for version in range(30):
        for k in range(10):
            producer.send(topic, 0, f"k{k}".encode(), f"k{k}-v{version}".encode())
    producer.flush()
    for k in (0, 1):
        producer.send(topic, 0, f"k{k}".encode(), None)
    # Fillers with unique keys push every versioned record out of the active segment.
    for i in range(40):
        producer.send(topic, 0, f"filler{i}".encode(), b"f" * 120)
    producer.flush()
    assert not producer.errors
    latest_offset = {}
    for (_, offset), (key, _) in sorted(producer.acked.items()):
        if key.startswith(b"k"):
            latest_offset[key] = offset

    def compacted():
        recs = [r for r in read_partition(cluster.bootstrap_servers, topic, 0) if r[1].startswith(b"k")]
        return recs if len(recs) == 10 else None
    recs = wait_until(compacted, 60.0, "the cleaner to leave one record per key")
    for offset, key, value in recs:
        assert offset == latest_offset[key], (key, offset)
        assert producer.acked[(0, offset)] == (key, value)
    assert {k: v for _, k, v in recs if v is None} == {b"k0": None, b"k1": None}
    assert {k: v for _, k, v in recs if v is not None} == {f"k{k}".encode(): f"k{k}-v29".encode() for k in range(2, 10)}
    # The log start and end did not move: compaction keeps offsets.
    assert watermarks(cluster.bootstrap_servers, topic, 0) == (0, len(producer.acked))

    # After the delete horizon, the next cleaning (triggered by new dirty data) drops tombstones.
    time.sleep(3.5)
    for i in range(40, 80):
        producer.send(topic, 0, f"filler{i}".encode(), b"f" * 120)
    producer.flush()

    def tombstones_gone():
        keys = {r[1] for r in read_partition(cluster.bootstrap_servers, topic, 0)}
        return b"k0" not in keys and b"k1" not in keys and b"k2" in keys
    wait_until(tombstones_gone, 60.0, "tombstones to be removed after delete.retention.ms")
