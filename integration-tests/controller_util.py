"""Helpers shared by the controller tests (`test_controller_*.py`): topics written the
ZooKeeper way (as Kafka's `AdminZkClient.createTopicWithAssignment` writes them), partition
state reads, and waits on the controller's decisions."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from typing import Callable, Optional

from harness.broker import ZkafkaCluster
from harness.clients import kcat_metadata
from harness.waiting import wait_until


def create_topic(cluster: ZkafkaCluster, topic: str, assignment: dict[int, list[int]],
                 config: Optional[dict[str, str]] = None) -> str:
    """`/config/topics/<t>` then `/brokers/topics/<t>` (Scala 2.13 key order); returns the topic id."""
    topic_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    partitions = ",".join(f'"{p}":[{",".join(map(str, r))}]' for p, r in sorted(assignment.items()))
    zk = cluster.view.client
    zk.create(f"/config/topics/{topic}",
              json.dumps({"version": 1, "config": config or {}}, separators=(",", ":")).encode(),
              makepath=True)
    zk.create(
        f"/brokers/topics/{topic}",
        (f'{{"partitions":{{{partitions}}},"topic_id":"{topic_id}",'
         '"adding_replicas":{},"removing_replicas":{},"version":3}').encode(),
        makepath=True,
    )
    return topic_id


def state_path(topic: str, partition: int) -> str:
    return f"/brokers/topics/{topic}/partitions/{partition}/state"


def state(cluster: ZkafkaCluster, topic: str, partition: int):
    """(state JSON, zkVersion) of a partition state znode, or None."""
    node = cluster.view.get(state_path(topic, partition))
    return None if node is None else (node.json(), node.version)


def wait_state(cluster: ZkafkaCluster, topic: str, partition: int,
               predicate: Callable[[dict], bool], timeout: float, what: str):
    """Waits until the state znode satisfies `predicate`; returns (state, zkVersion)."""
    def check():
        s = state(cluster, topic, partition)
        return s if s is not None and predicate(s[0]) else None
    return wait_until(check, timeout, f"{topic}-{partition}: {what}", interval=0.1)


def wait_served(cluster: ZkafkaCluster, topic: str, partitions: int, timeout: float = 30.0) -> None:
    """Every running broker's metadata names a leader for each partition."""
    for broker in cluster.running():
        def ok():
            md = kcat_metadata(broker.bootstrap, topic)
            ps = md["topics"][0].get("partitions", []) if md["topics"] else []
            return len(ps) == partitions and all(p["leader"] >= 0 for p in ps)
        wait_until(ok, timeout, f"broker {broker.broker_id} to serve {topic}")


def kcat_produce(bootstrap: str, topic: str, lines: list[str], *extra: str, timeout: float = 60.0):
    """Produces `key:value` lines with kcat, acks=all; returns the CompletedProcess."""
    return subprocess.run(
        ["kcat", "-b", bootstrap, "-P", "-t", topic, "-K:", "-X", "acks=all", *extra],
        input="".join(line + "\n" for line in lines), text=True, capture_output=True, timeout=timeout,
    )
