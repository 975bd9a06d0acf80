"""Old message formats from a real old-protocol client (issue 3, item 2, "Magic 0/1").

Kafka 3.9 (IBP ≥ 3.0, `log.message.format.version` ignored, KIP-724) stores only message
format v2: Produce v0–v2 data in magic 0/1 is up-converted on append
(`LogValidator.validateMessagesAndAssignOffsets`: `convertAndAssignOffsetsNonCompressed`, and
for compressed wrappers `validateMessagesAndAssignOffsetsCompressed` recompressing into one v2
batch). kafka-python pinned to broker version 0.10.1 / 0.9 sends magic 1 / magic 0; a modern
consumer reads the records back with their keys, values and (magic 1) timestamps.
"""

from __future__ import annotations

import os

import pytest
from kafka import KafkaProducer

from harness.clients import kafka_python_config
from harness.log_tools import create_topic, files, partition_dir, read_partition, wait_leader

CODECS = {None: 0, "gzip": 1, "snappy": 2, "lz4": 3}


@pytest.mark.parametrize(
    "api_version,compression",
    [((0, 10, 1), None), ((0, 10, 1), "gzip"), ((0, 10, 1), "snappy"), ((0, 10, 1), "lz4"),
     ((0, 9), None), ((0, 9), "gzip")],
    ids=["v1-none", "v1-gzip", "v1-snappy", "v1-lz4", "v0-none", "v0-gzip"],
)
def test_old_magic_produce_is_up_converted(cluster_factory, api_version, compression) -> None:
    if compression == "snappy":
        pytest.importorskip("snappy", reason="python-snappy is needed for kafka-python's snappy")
    if compression == "lz4":
        pytest.importorskip("lz4", reason="the lz4 module is needed for kafka-python's lz4")
    cluster = cluster_factory(size=1).start()
    topic = f"old-format-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]})
    wait_leader(cluster.bootstrap_servers, topic, 1)
    producer = KafkaProducer(**kafka_python_config(
        cluster.bootstrap_servers, api_version=api_version, compression_type=compression,
        acks=1, linger_ms=50,
    ))
    base_ts = 1_767_225_600_000
    futures = [producer.send(topic, key=f"k{i}".encode(), value=f"value-{i}".encode(),
                             partition=0, timestamp_ms=base_ts + i)
               for i in range(50)]
    producer.flush(30)
    offsets = [f.get(timeout=30).offset for f in futures]
    producer.close()
    assert offsets == list(range(50))

    # On disk: only v2 batches, compressed with the producer's codec.
    d = partition_dir(cluster.broker(0), topic, 0)
    data = (d / files(d, ".log")[0]).read_bytes()
    pos, batches = 0, 0
    while pos + 61 <= len(data):
        length = int.from_bytes(data[pos + 8:pos + 12], "big")
        magic, attributes = data[pos + 16], int.from_bytes(data[pos + 21:pos + 23], "big")
        assert (magic, attributes & 0x07) == (2, CODECS[compression]), (pos, magic, attributes)
        pos += 12 + length
        batches += 1
    assert batches >= 1 and pos == len(data)

    records = read_partition(cluster.bootstrap_servers, topic, 0)
    assert [(o, k, v) for o, k, v in records] == [
        (i, f"k{i}".encode(), f"value-{i}".encode()) for i in range(50)
    ]
