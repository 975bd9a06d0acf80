"""Partition state as ZooKeeper records it and as each broker serves it, and the check that the
two agree.

* `create_topic_znodes(...)` writes a topic the way Kafka's admin path does (`/config/topics/<t>`
  then `/brokers/topics/<t>`, `AdminZkClient.createTopicWithAssignment`), so fault tests need no
  CreateTopics API and run unchanged against zkafka and real Kafka.
* `zk_partition_states(...)` reads every `/brokers/topics/<t>/partitions/<p>/state` (layout doc
  §2.7: leader, leader_epoch, isr, controller_epoch; partition epoch = the znode's version).
* `metadata_v7(...)` asks one broker — exactly that broker, over its own socket — for Metadata
  v7, encoded and decoded here from `MetadataRequest.json` / `MetadataResponse.json` so that no
  client library picks another broker or caches an older answer.
* `assert_zk_matches_metadata(...)` waits until every running broker serves, for every partition,
  the leader, leader epoch and ISR that ZooKeeper holds and the assignment of the topic znode
  (brokers learn partition state only from the controller's UpdateMetadata, which follows every
  state-znode write: `ControllerChannelManager.sendRequestsToBrokers`, semantics doc §1.6).
"""

from __future__ import annotations

import base64
import json
import socket
import struct
import uuid
from dataclasses import dataclass
from typing import Optional

from .waiting import wait_until

METADATA_API_KEY = 3
METADATA_VERSION = 7  # non-flexible, carries the leader epoch (MetadataResponse.json)


# ---------------------------------------------------------------------------- ZooKeeper side


def create_topic_znodes(cluster, topic: str, assignment: dict[int, list[int]], config: Optional[dict] = None) -> str:
    """Writes `/config/topics/<t>` then `/brokers/topics/<t>` (Kafka's order and byte format,
    Scala 2.13 key order) and returns the topic id; the controller takes it from there."""
    topic_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    partitions = ",".join(f'"{p}":[{",".join(map(str, r))}]' for p, r in sorted(assignment.items()))
    cfg = json.dumps(config or {}, separators=(",", ":"))
    zk = cluster.view.client
    zk.create(f"/config/topics/{topic}", f'{{"version":1,"config":{cfg}}}'.encode(), makepath=True)
    zk.create(
        f"/brokers/topics/{topic}",
        (
            f'{{"partitions":{{{partitions}}},"topic_id":"{topic_id}",'
            '"adding_replicas":{},"removing_replicas":{},"version":3}'
        ).encode(),
        makepath=True,
    )
    return topic_id


@dataclass(frozen=True)
class ZkPartitionState:
    partition: int
    leader: int
    leader_epoch: int
    isr: tuple[int, ...]
    partition_epoch: int  # the state znode's data version


def zk_assignment(view, topic: str) -> dict[int, list[int]]:
    node = view.require(f"/brokers/topics/{topic}")
    return {int(p): list(r) for p, r in node.json()["partitions"].items()}


def zk_partition_states(view, topic: str) -> dict[int, ZkPartitionState]:
    """The state znode of every partition of `topic` that has one."""
    out = {}
    for p in zk_assignment(view, topic):
        node = view.get(f"/brokers/topics/{topic}/partitions/{p}/state")
        if node is None or node.data is None:
            continue
        doc = node.json()
        out[p] = ZkPartitionState(p, doc["leader"], doc["leader_epoch"], tuple(doc["isr"]), node.version)
    return out


def wait_partition_states(view, topic: str, predicate, timeout: float, what: str) -> dict[int, ZkPartitionState]:
    """Waits until every partition has a state znode and `predicate(state)` holds for each."""
    partitions = set(zk_assignment(view, topic))

    def ready():
        states = zk_partition_states(view, topic)
        if set(states) == partitions and all(predicate(s) for s in states.values()):
            return states
        return None

    return wait_until(ready, timeout, what, interval=0.2, describe=lambda: repr(zk_partition_states(view, topic)))


# ---------------------------------------------------------------------------- broker side


@dataclass(frozen=True)
class ServedPartition:
    error_code: int
    partition: int
    leader: int
    leader_epoch: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        value = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value[0] if len(value) == 1 else value

    def string(self) -> Optional[str]:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos : self.pos + n].decode()
        self.pos += n
        return s

    def int32_array(self) -> tuple[int, ...]:
        n = self.take(">i")
        return tuple(self.take(">i") for _ in range(max(n, 0)))


def metadata_v7(host: str, port: int, topic: str, timeout: float = 5.0) -> dict[int, ServedPartition]:
    """Metadata v7 for `topic` from the broker at host:port: {partition: ServedPartition}.
    An unknown topic (or a topic error) returns {}."""
    client_id = b"zkafka-faults"
    body = struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode() + b"\x00"
    header = struct.pack(">hhih", METADATA_API_KEY, METADATA_VERSION, 7, len(client_id)) + client_id
    request = header + body
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        r = _Reader(_recv_exact(s, size))
    r.take(">i")  # correlation id
    r.take(">i")  # throttle_time_ms
    for _ in range(r.take(">i")):  # brokers
        r.take(">i"), r.string(), r.take(">i"), r.string()
    r.string()  # cluster_id
    r.take(">i")  # controller_id
    out: dict[int, ServedPartition] = {}
    for _ in range(r.take(">i")):
        topic_error = r.take(">h")
        r.string(), r.take(">b")  # name, is_internal
        for _ in range(r.take(">i")):
            err, index, leader, epoch = r.take(">hiii")
            replicas, isr = r.int32_array(), r.int32_array()
            r.int32_array()  # offline_replicas
            if topic_error == 0:
                out[index] = ServedPartition(err, index, leader, epoch, replicas, isr)
    return out


def _recv_exact(s: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def mismatches(cluster, topic: str) -> list[str]:
    """Every difference between ZooKeeper's partition state and what each running broker serves."""
    view = cluster.view
    assignment = zk_assignment(view, topic)
    states = zk_partition_states(view, topic)
    problems = []
    for broker in cluster.running():
        if broker.process.is_paused:
            continue
        try:
            served = metadata_v7("127.0.0.1", broker.port, topic)
        except OSError as exc:
            problems.append(f"broker {broker.broker_id}: Metadata failed: {exc!r}")
            continue
        for p, replicas in sorted(assignment.items()):
            zs, ms = states.get(p), served.get(p)
            if zs is None:
                problems.append(f"partition {p}: no state znode")
                continue
            if ms is None:
                problems.append(f"broker {broker.broker_id} partition {p}: not served")
                continue
            got = (ms.leader, ms.leader_epoch, sorted(ms.isr), list(ms.replicas))
            want = (zs.leader, zs.leader_epoch, sorted(zs.isr), replicas)
            if got != want:
                problems.append(
                    f"broker {broker.broker_id} partition {p}: serves (leader, epoch, isr, replicas)={got}, "
                    f"ZooKeeper has {want}"
                )
    return problems


def assert_zk_matches_metadata(cluster, topic: str, timeout: float = 30.0) -> None:
    """Every running broker serves ZooKeeper's leader, leader epoch, ISR and replicas for every
    partition of `topic` (waits for UpdateMetadata to propagate)."""
    wait_until(
        lambda: not mismatches(cluster, topic),
        timeout,
        f"brokers to serve ZooKeeper's partition state for {topic}",
        interval=0.5,
        describe=lambda: "; ".join(mismatches(cluster, topic)),
    )
