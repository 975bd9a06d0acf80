"""Helpers for the log-engine tests: topics written to ZooKeeper with per-topic configs (the
way Kafka's `AdminZkClient.createTopicWithAssignment` writes them), producing with confluent-kafka
(delivery reports give the acknowledged offsets), reading a partition back, and looking at a
partition's files on disk."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any, Optional

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

from .broker import Broker, ZkafkaCluster
from .clients import confluent_config
from .waiting import wait_until


def create_topic(cluster: ZkafkaCluster, topic: str, assignment: dict[int, list[int]],
                 config: Optional[dict[str, str]] = None) -> str:
    """Writes `/config/topics/<t>` (the overrides) then `/brokers/topics/<t>`; returns the topic id."""
    topic_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    partitions = ",".join(f'"{p}":[{",".join(map(str, r))}]' for p, r in sorted(assignment.items()))
    zk = cluster.view.client
    entity = json.dumps({"version": 1, "config": config or {}}, separators=(",", ":"))
    zk.create(f"/config/topics/{topic}", entity.encode(), makepath=True)
    zk.create(
        f"/brokers/topics/{topic}",
        (
            f'{{"partitions":{{{partitions}}},"topic_id":"{topic_id}",'
            '"adding_replicas":{},"removing_replicas":{},"version":3}'
        ).encode(),
        makepath=True,
    )
    return topic_id


def wait_leader(bootstrap: str, topic: str, partitions: int, timeout: float = 30.0) -> None:
    """Waits until every partition of `topic` has a leader in the broker's metadata."""
    def ready() -> bool:
        c = Consumer(confluent_config(bootstrap, **{"group.id": "meta"}))
        try:
            md = c.list_topics(topic, timeout=5)
            t = md.topics.get(topic)
            return bool(t and t.error is None and len(t.partitions) == partitions
                        and all(p.leader >= 0 and p.error is None for p in t.partitions.values()))
        finally:
            c.close()
    wait_until(ready, timeout, f"leaders for {topic}")


class AckedProducer:
    """A confluent-kafka producer that remembers what was acknowledged: (partition, offset) → (key, value)."""

    def __init__(self, bootstrap: str, **overrides: Any) -> None:
        self.producer = Producer(confluent_config(bootstrap, **{"acks": "all", "linger.ms": 5, **overrides}))
        self.acked: dict[tuple[int, int], tuple[Optional[bytes], Optional[bytes]]] = {}
        self.errors: list[KafkaError] = []

    def _report(self, err: Optional[KafkaError], msg: Any) -> None:
        if err is not None:
            self.errors.append(err)
        else:
            self.acked[(msg.partition(), msg.offset())] = (msg.key(), msg.value())

    def send(self, topic: str, partition: int, key: Optional[bytes], value: Optional[bytes],
             timestamp: Optional[int] = None) -> None:
        kwargs: dict[str, Any] = {"partition": partition, "key": key, "value": value, "on_delivery": self._report}
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        while True:
            try:
                self.producer.produce(topic, **kwargs)
                break
            except BufferError:
                self.producer.poll(0.1)
        self.producer.poll(0)

    def flush(self, timeout: float = 60.0) -> None:
        remaining = self.producer.flush(timeout)
        assert remaining == 0, f"{remaining} records still unacknowledged after {timeout}s"


def read_partition(bootstrap: str, topic: str, partition: int, timeout: float = 60.0) -> list[tuple[int, Optional[bytes], Optional[bytes]]]:
    """Every record of one partition from its log start to its high watermark: (offset, key, value)."""
    c = Consumer(confluent_config(bootstrap, **{"group.id": f"read-{uuid.uuid4().hex[:8]}",
                                               "enable.auto.commit": False, "enable.partition.eof": True}))
    try:
        low, high = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        out: list[tuple[int, Optional[bytes], Optional[bytes]]] = []
        if high <= low:
            return out
        c.assign([TopicPartition(topic, partition, low)])
        def done() -> bool:
            msg = c.poll(0.5)
            if msg is None:
                return False
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    return True
                raise AssertionError(f"consume error: {msg.error()}")
            out.append((msg.offset(), msg.key(), msg.value()))
            return msg.offset() + 1 >= high
        wait_until(done, timeout, f"reading {topic}-{partition} to offset {high}", interval=0)
        return out
    finally:
        c.close()


def watermarks(bootstrap: str, topic: str, partition: int) -> tuple[int, int]:
    """(log start offset, high watermark) from ListOffsets earliest/latest."""
    c = Consumer(confluent_config(bootstrap, **{"group.id": "wm"}))
    try:
        return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)
    finally:
        c.close()


def partition_dir(broker: Broker, topic: str, partition: int) -> Path:
    """The `<log dir>/<topic>-<partition>` directory holding the partition on `broker`."""
    for d in broker.log_dirs:
        p = Path(d) / f"{topic}-{partition}"
        if p.is_dir():
            return p
    raise AssertionError(f"{topic}-{partition} is in none of {broker.log_dirs}")


def files(directory: Path, suffix: str) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(suffix))
