"""A corrupt record batch from a client is refused with CORRUPT_MESSAGE and nothing is appended
(issue 3, "Bad input and faults"; Kafka `LogValidator.validateBatch` / `DefaultRecordBatch.
ensureValid` → `CorruptRecordException`, error code 2).

Real clients never send a bad CRC, so the Produce request (v3) is written by hand on a plain
socket; the batch itself is built by kafka-python's v2 record builder and then one byte of a
record value is flipped.
"""

from __future__ import annotations

import os
import socket
import struct

from kafka.record.default_records import DefaultRecordBatchBuilder

from harness.log_tools import AckedProducer, create_topic, read_partition, wait_leader, watermarks

CORRUPT_MESSAGE = 2
INVALID_RECORD = 87


def _batch(values: list[bytes]) -> bytearray:
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                  producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for i, v in enumerate(values):
        b.append(i, timestamp=1_767_225_600_000 + i, key=b"k", value=v, headers=[])
    return bytearray(b.build())


def _string(s: str) -> bytes:
    return struct.pack(">h", len(s)) + s.encode()


def _produce_v3(host: str, port: int, topic: str, partition: int, records: bytes) -> int:
    """Sends Produce v3 (acks=1) and returns the partition's error code."""
    body = (struct.pack(">h", -1) + struct.pack(">hi", 1, 10_000) + struct.pack(">i", 1) + _string(topic)
            + struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(records)) + records)
    header = struct.pack(">hhi", 0, 3, 7) + _string("corrupt-test")
    request = header + body
    with socket.create_connection((host, port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        size = struct.unpack(">i", _read(s, 4))[0]
        resp = _read(s, size)
    # correlation id, [topic, [partition, error_code, base_offset, log_append_time]], throttle
    pos = 4
    assert struct.unpack(">i", resp[pos:pos + 4])[0] == 1
    pos += 4
    name_len = struct.unpack(">h", resp[pos:pos + 2])[0]
    pos += 2 + name_len
    assert struct.unpack(">i", resp[pos:pos + 4])[0] == 1
    pos += 4
    got_partition, error = struct.unpack(">ih", resp[pos:pos + 6])
    assert got_partition == partition
    return error


def _read(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        assert chunk, "connection closed"
        out += chunk
    return out


def test_corrupt_batch_is_refused_and_nothing_is_appended(cluster_factory) -> None:
    cluster = cluster_factory(size=1).start()
    broker = cluster.broker(0)
    topic = f"corrupt-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]})
    wait_leader(cluster.bootstrap_servers, topic, 1)
    producer = AckedProducer(cluster.bootstrap_servers)
    producer.send(topic, 0, b"before", b"ok")
    producer.flush()
    assert watermarks(cluster.bootstrap_servers, topic, 0) == (0, 1)

    good = _batch([b"first", b"second"])
    assert _produce_v3("127.0.0.1", broker.port, topic, 0, bytes(good)) == 0
    bad = _batch([b"third", b"fourth"])
    bad[-3] ^= 0xFF  # inside the last record's value: the CRC no longer matches
    assert _produce_v3("127.0.0.1", broker.port, topic, 0, bytes(bad)) == CORRUPT_MESSAGE
    # A batch whose length says more bytes than were sent is no batch at all (Kafka
    # `ByteBufferLogInputStream`): "must have at least one record batch", INVALID_RECORD.
    truncated = _batch([b"fifth"])[:-4]
    assert _produce_v3("127.0.0.1", broker.port, topic, 0, bytes(truncated)) == INVALID_RECORD

    # Nothing of the refused batches was appended; the log continues at offset 3.
    assert watermarks(cluster.bootstrap_servers, topic, 0) == (0, 3)
    producer.send(topic, 0, b"after", b"ok")
    producer.flush()
    assert (0, 3) in producer.acked
    assert [v for _, _, v in read_partition(cluster.bootstrap_servers, topic, 0)] == [
        b"ok", b"first", b"second", b"ok"]
