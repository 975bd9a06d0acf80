"""A log directory that fills up (a real ENOSPC on a small tmpfs) goes offline the Kafka way.

Kafka (ZooKeeper mode, IBP ≥ 1.0): the I/O error marks the dir offline
(`LogDirFailureChannel.maybeAddOfflineLogDir`); `ReplicaManager.handleLogDirFailure` stops
serving its partitions — produce and fetch answer KAFKA_STORAGE_ERROR (56) — and
`KafkaZkClient.propagateLogDirEvent` writes `/log_dir_event_notification/log_dir_event_<seq>` =
`{"version":1,"broker":<id>,"event":1}` for the controller (layout doc §2.15). When the last
log dir fails, `LogManager.handleLogDirFailure` halts the broker (exit 1, no clean shutdown).
Data acknowledged before the failure is intact after a restart with space available.

Needs root (mount -t tmpfs); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from harness.broker import orderly_exit_codes
from harness.log_tools import AckedProducer, create_topic, partition_dir, read_partition, wait_leader
from harness.waiting import wait_until

NOTIFICATIONS = "/log_dir_event_notification"


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")


def _remount(path: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(path)], check=True)


def _umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def tmpfs_dirs():
    mounted: list[Path] = []

    def mount(path: Path, size: str) -> Path:
        _mount_tmpfs(path, size)
        mounted.append(path)
        return path

    yield mount
    for p in mounted:
        _umount(p)


def _fill_until_error(producer: AckedProducer, topic: str, partition: int, limit: int = 20000) -> KafkaError:
    """Produces 1 KiB records one at a time until the broker refuses one."""
    for i in range(limit):
        producer.send(topic, partition, f"k{i}".encode(), f"{i:06d}".encode() + b"d" * 1018)
        producer.flush(30)
        if producer.errors:
            return producer.errors[0]
    raise AssertionError(f"no error after {limit} records on a full disk")


def _watch_notifications(cluster) -> dict[str, bytes]:
    """Records every log dir event notification as it is created (the controller deletes them)."""
    seen: dict[str, bytes] = {}
    zk = cluster.view.client
    zk.ensure_path(NOTIFICATIONS)

    def on_children(children):
        for c in children:
            if c not in seen:
                try:
                    data, _ = zk.get(f"{NOTIFICATIONS}/{c}")
                    seen[c] = data
                except Exception:  # noqa: BLE001 - deleted before we read it
                    seen[c] = b"<deleted before read>"
    zk.ChildrenWatch(NOTIFICATIONS, on_children)
    return seen


def test_full_log_dir_goes_offline_and_is_reported(cluster_factory, tmpfs_dirs) -> None:
    """One of two log dirs fills up: its partition answers KAFKA_STORAGE_ERROR, the other keeps
    working, the broker keeps running and writes the notification; after a restart with space,
    every acknowledged record is there."""
    cluster = cluster_factory(size=1, log_dir_count=2)
    broker = cluster.broker(0)
    tmpfs_dirs(Path(broker.log_dirs[1]), "2m")
    cluster.start()
    seen = _watch_notifications(cluster)
    topic = f"full-{os.getpid()}"
    create_topic(cluster, topic, {0: [0], 1: [0]})
    wait_leader(cluster.bootstrap_servers, topic, 2)
    # New logs go to the dir with the fewest partitions: one each.
    on_tmpfs = [p for p in (0, 1) if partition_dir(broker, topic, p).parent == Path(broker.log_dirs[1])]
    assert len(on_tmpfs) == 1, on_tmpfs
    full_p, ok_p = on_tmpfs[0], 1 - on_tmpfs[0]

    producer = AckedProducer(cluster.bootstrap_servers, retries=0, **{"message.timeout.ms": 20000})
    err = _fill_until_error(producer, topic, full_p)
    assert err.code() == KafkaError.KAFKA_STORAGE_ERROR, err
    acked = dict(producer.acked)
    assert len(acked) > 100

    # The controller is told: one notification, Kafka's exact bytes. The controller handles and
    # deletes it within milliseconds, so the child watch can miss it altogether; the parent's
    # cversion (bumped by every child create and delete) proves it was written and consumed.
    zk = cluster.view.client
    wait_until(lambda: seen or zk.exists(NOTIFICATIONS).cversion >= 2, 20.0,
               "a log dir event notification")
    assert len(seen) <= 1, seen
    name, data = next(iter(seen.items()), ("log_dir_event_0000000000", b"<deleted before read>"))
    assert name.startswith("log_dir_event_") and len(name) == len("log_dir_event_") + 10, name
    if data != b"<deleted before read>":
        assert data == b'{"version":1,"broker":0,"event":1}', data
        assert json.loads(data) == {"version": 1, "broker": 0, "event": 1}

    # The controller takes the replica offline (`onReplicasBecomeOffline`): no other replica can
    # lead, so the state znode keeps the last ISR member and gets leader -1
    # (`doRemoveReplicasFromIsr`, `LeaderAndIsr.NoLeader`); a produce to it finds no leader and
    # times out.
    state_path = f"/brokers/topics/{topic}/partitions/{full_p}/state"
    wait_until(lambda: cluster.view.require(state_path).json()["leader"] == -1, 30.0,
               "the controller to take the partition offline")
    assert cluster.view.require(state_path).json()["isr"] == [0]

    # The partition stays offline (even once space is back), the other one is served.
    _remount(Path(broker.log_dirs[1]), "64m")
    again = AckedProducer(cluster.bootstrap_servers, retries=0, **{"message.timeout.ms": 5000})
    again.send(topic, full_p, b"x", b"after")
    again.send(topic, ok_p, b"y", b"fine")
    again.flush()
    assert [e.code() for e in again.errors] == [KafkaError._MSG_TIMED_OUT]
    assert [k for (p, _), (k, _) in again.acked.items()] == [b"y"]
    assert broker.is_running()

    assert broker.stop() in orderly_exit_codes()
    broker.restart()
    wait_leader(cluster.bootstrap_servers, topic, 2)
    records = {o: (k, v) for o, k, v in read_partition(cluster.bootstrap_servers, topic, full_p)}
    for (_, offset), kv in acked.items():
        assert records.get(offset) == kv, offset
    after = AckedProducer(cluster.bootstrap_servers)
    after.send(topic, full_p, b"z", b"served again")
    after.flush()
    assert not after.errors


def test_broker_halts_when_its_only_log_dir_fails(cluster_factory, tmpfs_dirs) -> None:
    """"Shutdown broker because all log dirs in ... have failed": exit 1 without a clean
    shutdown; acknowledged data survives and is served after a restart with space."""
    cluster = cluster_factory(size=1)
    broker = cluster.broker(0)
    tmpfs_dirs(Path(broker.log_dirs[0]), "2m")
    cluster.start()
    topic = f"halt-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]})
    wait_leader(cluster.bootstrap_servers, topic, 1)
    producer = AckedProducer(cluster.bootstrap_servers, retries=0, **{"message.timeout.ms": 20000})
    _fill_until_error(producer, topic, 0)
    acked = dict(producer.acked)
    assert len(acked) > 100
    assert broker.wait_exit(30.0) == 1
    assert not (Path(broker.log_dirs[0]) / ".kafka_cleanshutdown").exists()

    _remount(Path(broker.log_dirs[0]), "64m")
    broker.restart()
    wait_leader(cluster.bootstrap_servers, topic, 1)
    records = {o: (k, v) for o, k, v in read_partition(cluster.bootstrap_servers, topic, 0)}
    for (_, offset), kv in acked.items():
        assert records.get(offset) == kv, offset
