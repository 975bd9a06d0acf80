"""Shared pieces of the cluster benchmarks (`benches/failover.py`, `benches/produce_consume.py`).

They reuse the integration-test harness (`integration-tests/harness`): a real ZooKeeper from
Debian, broker processes (zkafka's release build, or real Kafka 3.9.1 with
`ZKAFKA_BIN=integration-tests/java/kafka-reference-broker`), topics written to ZooKeeper as
Kafka's admin path writes them. `produce_v7` is a raw Produce v7 request (one v2 batch of one
record per partition, built by kafka-python's record builder) sent to exactly one broker, so a
measurement does not include any client library's retry or metadata back-off.
"""

from __future__ import annotations

import os
import socket
import struct
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "integration-tests"))

from harness.broker import ZkafkaCluster, is_reference_kafka  # noqa: E402
from harness.partition_state import _recv_exact  # noqa: E402
from harness.zookeeper import ZooKeeperEnsemble  # noqa: E402

PRODUCE_API_KEY = 0
PRODUCE_VERSION = 7  # non-flexible (ProduceRequest.json)


def implementation() -> str:
    return "kafka-3.9.1" if is_reference_kafka() else "zkafka"


@contextmanager
def running_cluster(size: int, session_timeout_ms: int = 6000, properties: dict | None = None,
                    keep: bool = False) -> Iterator[ZkafkaCluster]:
    """ZooKeeper plus `size` brokers (ids 0..size-1) under a temporary directory."""
    base = Path(tempfile.mkdtemp(prefix="zkafka-bench-", dir=os.environ.get("BENCH_DIR", "/tmp")))
    zk = ZooKeeperEnsemble(base / "zookeeper", size=1)
    zk.start()
    cluster = None
    try:
        cluster = ZkafkaCluster(zk.connect_string, base / "cluster", size=size, ensemble=zk,
                                session_timeout_ms=session_timeout_ms, properties=properties or {})
        cluster.start(timeout=120)
        yield cluster
    finally:
        if cluster is not None:
            cluster.stop()
        zk.stop()
        if not keep:
            import shutil
            shutil.rmtree(base, ignore_errors=True)


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc/<pid>/status (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_record_batch(value: bytes) -> bytes:
    from kafka.record.default_records import DefaultRecordBatchBuilder

    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False,
                                        producer_id=-1, producer_epoch=-1, base_sequence=-1,
                                        batch_size=1 << 20)
    builder.append(0, timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    return bytes(builder.build())


def produce_v7(host: str, port: int, topic: str, partitions: list[int], acks: int = -1,
               timeout_ms: int = 5000, value: bytes = b"probe") -> dict[int, int]:
    """One Produce v7 request with one record for each of `partitions`; {partition: error code}."""
    batch = one_record_batch(value)
    body = struct.pack(">hhi", -1, acks, timeout_ms)  # transactional_id null, acks, timeout
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode()
    body += struct.pack(">i", len(partitions))
    for p in partitions:
        body += struct.pack(">ii", p, len(batch)) + batch
    client_id = b"zkafka-bench"
    header = struct.pack(">hhih", PRODUCE_API_KEY, PRODUCE_VERSION, 11, len(client_id)) + client_id
    request = header + body
    with socket.create_connection((host, port), timeout=timeout_ms / 1000 + 5) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _recv_exact(s, 4))[0]
        data = _recv_exact(s, size)
    pos = 4  # correlation id
    out: dict[int, int] = {}
    (n_topics,) = struct.unpack_from(">i", data, pos)
    pos += 4
    for _ in range(n_topics):
        (name_len,) = struct.unpack_from(">h", data, pos)
        pos += 2 + name_len
        (n_parts,) = struct.unpack_from(">i", data, pos)
        pos += 4
        for _ in range(n_parts):
            index, error = struct.unpack_from(">ih", data, pos)
            pos += 4 + 2 + 8 + 8 + 8  # base_offset, log_append_time_ms, log_start_offset
            out[index] = error
    return out


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return s[k]
