"""A few raw Kafka requests, encoded by hand, for tests that must see exact error codes a client
library would hide or pre-validate (Kafka protocol guide; `*Request.json` / `*Response.json`).

Only non-flexible versions are encoded here (fixed-width lengths, no tagged fields), which keeps
the encoder small and independent of every Kafka client under test.
"""

from __future__ import annotations

import socket
import struct
from typing import Optional, Sequence


def _string(s: Optional[str]) -> bytes:
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        (v,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v

    def string(self) -> Optional[str]:
        n = self.take(">h")
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def roundtrip(address: str, api_key: int, version: int, body: bytes, correlation_id: int = 7,
              timeout: float = 30.0) -> bytes:
    """Sends one request (header v1) and returns the response body after the v0 header."""
    host, port = address.rsplit(":", 1)
    header = struct.pack(">hhi", api_key, version, correlation_id) + _string("raw-test")
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=timeout) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _recv_exactly(s, 4))[0]
        payload = _recv_exactly(s, size)
    (corr,) = struct.unpack_from(">i", payload, 0)
    assert corr == correlation_id, (corr, correlation_id)
    return payload[4:]


def _recv_exactly(s: socket.socket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def create_topics_v4(address: str, topics: Sequence[tuple], timeout_ms: int = 30000,
                     validate_only: bool = False) -> list[tuple[str, int, Optional[str]]]:
    """CreateTopics v4. `topics` are `(name, num_partitions, replication_factor, configs)` with
    configs a dict (value None = null) or `(name, assignment_dict, configs)` for explicit
    assignments. Returns `(name, error_code, error_message)` per topic."""
    body = struct.pack(">i", len(topics))
    for t in topics:
        if isinstance(t[1], dict):
            name, assignment, configs = t
            partitions, rf = -1, -1
        else:
            name, partitions, rf, configs = t
            assignment = {}
        body += _string(name) + struct.pack(">ih", partitions, rf)
        body += struct.pack(">i", len(assignment))
        for p, brokers in assignment.items():
            body += struct.pack(">ii", p, len(brokers)) + b"".join(struct.pack(">i", b) for b in brokers)
        body += struct.pack(">i", len(configs or {}))
        for k, v in (configs or {}).items():
            body += _string(k) + _string(v)
    body += struct.pack(">i?", timeout_ms, validate_only)
    r = _Reader(roundtrip(address, 19, 4, body))
    r.take(">i")  # throttle_time_ms
    return [(r.string(), r.take(">h"), r.string()) for _ in range(r.take(">i"))]


def create_partitions_v1(address: str, topic: str, count: int, timeout_ms: int = 30000,
                         validate_only: bool = False) -> tuple[str, int, Optional[str]]:
    """CreatePartitions v1 for one topic without explicit assignment."""
    body = struct.pack(">i", 1) + _string(topic) + struct.pack(">ii", count, -1)
    body += struct.pack(">i?", timeout_ms, validate_only)
    r = _Reader(roundtrip(address, 37, 1, body))
    r.take(">i")
    n = r.take(">i")
    assert n == 1, n
    return r.string(), r.take(">h"), r.string()


def delete_topics_v3(address: str, topics: Sequence[str], timeout_ms: int = 30000) -> list[tuple[str, int]]:
    """DeleteTopics v3 by name. Returns `(name, error_code)` per topic."""
    body = struct.pack(">i", len(topics)) + b"".join(_string(t) for t in topics)
    body += struct.pack(">i", timeout_ms)
    r = _Reader(roundtrip(address, 20, 3, body))
    r.take(">i")
    return [(r.string(), r.take(">h")) for _ in range(r.take(">i"))]


def metadata_v4(address: str, topics: Sequence[str], allow_auto_topic_creation: bool = True) -> dict:
    """Metadata v4. Returns `{topic: (error_code, {partition: (error_code, leader, replicas)})}`."""
    body = struct.pack(">i", len(topics)) + b"".join(_string(t) for t in topics)
    body += struct.pack(">?", allow_auto_topic_creation)
    r = _Reader(roundtrip(address, 3, 4, body))
    r.take(">i")  # throttle
    for _ in range(r.take(">i")):  # brokers
        r.take(">i"), r.string(), r.take(">i"), r.string()
    r.string()  # cluster id
    r.take(">i")  # controller id
    out = {}
    for _ in range(r.take(">i")):
        code, name, _internal = r.take(">h"), r.string(), r.take(">?")
        partitions = {}
        for _ in range(r.take(">i")):
            p_code, index, leader = r.take(">h"), r.take(">i"), r.take(">i")
            replicas = [r.take(">i") for _ in range(r.take(">i"))]
            [r.take(">i") for _ in range(r.take(">i"))]  # isr
            partitions[index] = (p_code, leader, replicas)
        out[name] = (code, partitions)
    return out


def _uvarint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _compact_string(s: Optional[str]) -> bytes:
    if s is None:
        return _uvarint(0)
    b = s.encode()
    return _uvarint(len(b) + 1) + b


def delete_topics_v6(address: str, topics: Sequence[tuple[Optional[str], bytes]],
                     timeout_ms: int = 30000) -> list[tuple[Optional[str], bytes, int]]:
    """DeleteTopics v6 (flexible): `topics` are `(name or None, 16-byte topic id)`. Returns
    `(name, topic_id, error_code)` per topic."""
    body = _uvarint(len(topics) + 1)
    for name, topic_id in topics:
        body += _compact_string(name) + topic_id + _uvarint(0)
    body += struct.pack(">i", timeout_ms) + _uvarint(0)
    host, port = address.rsplit(":", 1)
    header = struct.pack(">hhi", 20, 6, 9) + _string("raw-test") + _uvarint(0)
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=timeout_ms / 1000 + 10) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        payload = _recv_exactly(s, struct.unpack(">i", _recv_exactly(s, 4))[0])
    r = _Reader(payload)
    assert r.take(">i") == 9
    _read_uvarint(r)  # header tagged fields
    r.take(">i")  # throttle
    out = []
    for _ in range(_read_uvarint(r) - 1):
        n = _read_uvarint(r)
        name = None if n == 0 else r.data[r.pos:r.pos + n - 1].decode()
        r.pos += max(n - 1, 0)
        topic_id = r.data[r.pos:r.pos + 16]
        r.pos += 16
        code = r.take(">h")
        m = _read_uvarint(r)
        r.pos += max(m - 1, 0)
        _skip_tags(r)
        out.append((name, topic_id, code))
    return out


def _read_uvarint(r: _Reader) -> int:
    shift, value = 0, 0
    while True:
        b = r.data[r.pos]
        r.pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value
        shift += 7


def _skip_tags(r: _Reader) -> None:
    for _ in range(_read_uvarint(r)):
        _read_uvarint(r)
        r.pos += _read_uvarint(r)
