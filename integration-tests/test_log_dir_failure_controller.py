"""The controller takes the replicas of a failed log directory offline and elects new leaders.

Kafka 3.9, ZooKeeper mode: the broker whose log dir failed writes
`/log_dir_event_notification/log_dir_event_<seq>`; the controller
(`LogDirEventNotificationHandler` → `KafkaController.processLogDirEventNotification` →
`onBrokerLogDirFailure`) sends LeaderAndIsr for every replica on that broker; the broker answers
KAFKA_STORAGE_ERROR for the partitions in the failed dir (`ReplicaManager.becomeLeaderOrFollower`,
`HostedPartition.Offline`); the controller (`processLeaderAndIsrResponseReceived` →
`onReplicasBecomeOffline`) elects a leader from the rest of the ISR and removes the replica from
the ISR, then deletes the notification (epoch-fenced). Producing with acks=all works again
through the new leaders and no acknowledged record is lost. Semantics doc §1.1; layout doc §2.15.

Needs root (mount -t tmpfs); skipped otherwise, like test_log_dir_failure.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from confluent_kafka import KafkaError

from harness.log_tools import AckedProducer, create_topic, partition_dir, read_partition, wait_leader
from harness.waiting import wait_until
from test_log_dir_failure import NOTIFICATIONS, _fill_until_error, tmpfs_dirs  # noqa: F401 - fixture

BROKER = 0
PARTITIONS = 4


def _state(cluster, topic: str, partition: int) -> dict:
    return cluster.view.require(f"/brokers/topics/{topic}/partitions/{partition}/state").json()


def test_failed_log_dir_replicas_lose_leadership_to_the_isr(cluster_factory, tmpfs_dirs) -> None:  # noqa: F811
    """Broker 0 (two log dirs, one a 2 MiB tmpfs) leads every partition of an RF-3 topic; the
    tmpfs fills up. The partitions in it get new leaders from the ISR without broker 0, produce
    with acks=all works again there, every acknowledged record is still there, the partitions in
    broker 0's healthy dir keep their leader, and the notification is gone."""
    cluster = cluster_factory(size=3, log_dir_count=2)
    broker = cluster.broker(BROKER)
    tmpfs_dirs(Path(broker.log_dirs[1]), "2m")
    cluster.start()
    topic = f"dirfail-{os.getpid()}"
    create_topic(cluster, topic, {p: [0, 1, 2] for p in range(PARTITIONS)})
    wait_leader(cluster.bootstrap_servers, topic, PARTITIONS)
    wait_until(lambda: all(_state(cluster, topic, p)["isr"] == [0, 1, 2] for p in range(PARTITIONS)),
               30.0, "full ISRs")
    assert all(_state(cluster, topic, p)["leader"] == BROKER for p in range(PARTITIONS))
    failing = [p for p in range(PARTITIONS)
               if partition_dir(broker, topic, p).parent == Path(broker.log_dirs[1])]
    healthy = [p for p in range(PARTITIONS) if p not in failing]
    assert failing and healthy, (failing, healthy)
    before = {p: _state(cluster, topic, p) for p in range(PARTITIONS)}

    producer = AckedProducer(cluster.bootstrap_servers, retries=0, **{"message.timeout.ms": 20000})
    err = _fill_until_error(producer, topic, failing[0])
    assert err.code() in (KafkaError.KAFKA_STORAGE_ERROR, KafkaError.NOT_LEADER_FOR_PARTITION), err
    acked = dict(producer.acked)
    assert len(acked) > 100

    # Every partition of the failed dir: a new leader from the old ISR, broker 0 out of the ISR,
    # a higher leader epoch.
    def moved() -> bool:
        return all(_state(cluster, topic, p)["leader"] not in (BROKER, -1) and
                   BROKER not in _state(cluster, topic, p)["isr"] for p in failing)
    wait_until(moved, 30.0, f"new leaders for {topic} partitions {failing}",
               describe=lambda: json.dumps({p: _state(cluster, topic, p) for p in failing}))
    for p in failing:
        s = _state(cluster, topic, p)
        assert s["leader"] in before[p]["isr"], (p, s)
        assert s["isr"] == [b for b in before[p]["isr"] if b != BROKER], (p, s)
        assert s["leader_epoch"] > before[p]["leader_epoch"], (p, s)
    for p in healthy:
        s = _state(cluster, topic, p)
        assert s["leader"] == BROKER and BROKER in s["isr"], (p, s)

    # The notification was processed and deleted.
    wait_until(lambda: cluster.view.children(NOTIFICATIONS) == [], 30.0, "notifications deleted")
    assert broker.is_running()

    # acks=all works again, through the new leaders (and broker 0 for its healthy dir).
    after = AckedProducer(cluster.bootstrap_servers, **{"message.timeout.ms": 60000})
    for p in range(PARTITIONS):
        after.send(topic, p, b"after", f"after-{p}".encode())
    after.flush(90)
    assert not after.errors, after.errors
    assert sorted(p for p, _ in after.acked) == list(range(PARTITIONS))

    # No acknowledged record is lost: the filled partition holds every acked record at its
    # offset, followed by the new one.
    records = {o: (k, v) for o, k, v in read_partition(cluster.bootstrap_servers, topic, failing[0])}
    for (p, offset), kv in acked.items():
        assert p == failing[0]
        assert records.get(offset) == kv, offset
    (new_offset,) = [o for (p, o) in after.acked if p == failing[0]]
    assert new_offset >= max(o for _, o in acked) + 1
    assert records[new_offset] == (b"after", f"after-{failing[0]}".encode())


def test_notification_for_healthy_broker_is_deleted_and_changes_nothing(cluster_factory) -> None:
    """A log dir event for a broker whose dirs are all fine: the controller sends LeaderAndIsr
    for its replicas (`onBrokerLogDirFailure`), the broker answers without KAFKA_STORAGE_ERROR, so
    no replica goes offline — leaders, ISRs and leader epochs stay — and the notification is
    deleted (`processLogDirEventNotification`'s `finally`). No root needed."""
    cluster = cluster_factory(size=3)
    cluster.start()
    topic = f"dirok-{os.getpid()}"
    create_topic(cluster, topic, {p: [p % 3, (p + 1) % 3, (p + 2) % 3] for p in range(3)})
    wait_leader(cluster.bootstrap_servers, topic, 3)
    wait_until(lambda: all(len(_state(cluster, topic, p)["isr"]) == 3 for p in range(3)),
               30.0, "full ISRs")
    before = {p: _state(cluster, topic, p) for p in range(3)}
    zk = cluster.view.client
    zk.ensure_path(NOTIFICATIONS)
    created = zk.create(f"{NOTIFICATIONS}/log_dir_event_", b'{"version":1,"broker":1,"event":1}',
                        sequence=True)
    wait_until(lambda: not zk.exists(created), 30.0, f"{created} deleted by the controller")
    after = AckedProducer(cluster.bootstrap_servers)
    for p in range(3):
        after.send(topic, p, b"k", b"v")
    after.flush(60)
    assert not after.errors, after.errors
    assert {p: _state(cluster, topic, p) for p in range(3)} == before
