"""CreateAcls / DescribeAcls / DeleteAcls validation errors, byte for byte as Kafka 3.9 answers
them (codes and messages), over raw protocol v1 requests against a one-broker cluster.

Kafka: `CreateAclsRequest`/`DescribeAclsRequest`/`DeleteAclsRequest` constructors (UNKNOWN
codes refused while parsing the request, which closes the connection), `ResourcePattern` and
`AccessControlEntry` constructors (ANY/MATCH in a creation: the handler throws, every result
UNKNOWN_SERVER_ERROR without a message), `AclApis.handleCreateAcls` (CLUSTER name, empty name),
`AclAuthorizer.createAcls` / `validateAclBinding` ("Failed to create ACL"), `ApiError.fromThrowable`.
The same test runs against real Kafka with `ZKAFKA_BIN=integration-tests/java/kafka-reference-broker`.
"""

from __future__ import annotations

import socket
import struct
from typing import Optional

from test_security import frame, read_frame

CREATE_ACLS, DESCRIBE_ACLS, DELETE_ACLS = 30, 29, 31
TOPIC, CLUSTER, GROUP = 2, 4, 3
LITERAL, PREFIXED, MATCH, ANY = 3, 4, 2, 1
READ, ALLOW = 3, 3


def s16(v: Optional[str]) -> bytes:
    if v is None:
        return struct.pack(">h", -1)
    b = v.encode()
    return struct.pack(">h", len(b)) + b


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self) -> Optional[str]:
        n = self.take(">h")
        if n < 0:
            return None
        v = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return v


def call(port: int, api_key: int, body: bytes) -> Optional[Reader]:
    """One v1 request on a fresh connection; None when the broker closes it instead."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame(api_key, 1, 7, body))
        resp = read_frame(s)
    if resp is None:
        return None
    r = Reader(resp)
    assert r.take(">i") == 7
    return r


def creation(rtype: int, name: str, ptype: int, principal: str = "User:alice", host: str = "*",
             op: int = READ, perm: int = ALLOW) -> bytes:
    return struct.pack(">b", rtype) + s16(name) + struct.pack(">b", ptype) + s16(principal) + s16(host) + \
        struct.pack(">bb", op, perm)


def create(port: int, *creations: bytes):
    r = call(port, CREATE_ACLS, struct.pack(">i", len(creations)) + b"".join(creations))
    if r is None:
        return "closed"
    r.take(">i")
    return [(r.take(">h"), r.string()) for _ in range(r.take(">i"))]


def acl_filter(rtype: int = ANY, name: Optional[str] = None, ptype: int = ANY, op: int = ANY,
               perm: int = ANY) -> bytes:
    return struct.pack(">b", rtype) + s16(name) + struct.pack(">b", ptype) + s16(None) + s16(None) + \
        struct.pack(">bb", op, perm)


def describe(port: int, f: bytes):
    r = call(port, DESCRIBE_ACLS, f)
    if r is None:
        return "closed"
    r.take(">i")
    code, message = r.take(">h"), r.string()
    return code, message, r.take(">i")


def delete(port: int, *filters: bytes):
    r = call(port, DELETE_ACLS, struct.pack(">i", len(filters)) + b"".join(filters))
    if r is None:
        return "closed"
    r.take(">i")
    out = []
    for _ in range(r.take(">i")):
        code, message = r.take(">h"), r.string()
        out.append((code, message, r.take(">i")))
        # Matching ACLs are not read: every filter here matches nothing.
    return out


def test_acl_api_validation_errors_match_kafka(cluster_factory) -> None:
    """Each invalid CreateAcls creation gets Kafka's error code and message; UNKNOWN (0) codes
    close the connection; ANY/MATCH in a creation fail the whole request with
    UNKNOWN_SERVER_ERROR (no message); unknown non-zero codes in filters match nothing; a
    result without error carries the message "" in CreateAcls/DescribeAcls, null in DeleteAcls."""
    cluster = cluster_factory(size=1, properties={
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "super.users": "User:ANONYMOUS",
    }).start()
    port = cluster.brokers[0].port
    observed = {
        "create_mixed": create(
            port,
            creation(TOPIC, "ok", LITERAL),
            creation(CLUSTER, "other", LITERAL),
            creation(TOPIC, "", LITERAL),
            creation(TOPIC, "a/b", LITERAL),
            creation(99, "t", LITERAL),
            creation(TOPIC, "t", 99),
            creation(TOPIC, "t", LITERAL, op=99),
            creation(TOPIC, "t", LITERAL, perm=99),
            creation(TOPIC, "t", LITERAL, principal="alice"),
            creation(GROUP, "g", PREFIXED, principal="User:"),
        ),
        "create_type_any": create(port, creation(TOPIC, "ok2", LITERAL), creation(ANY, "t", LITERAL)),
        "create_pattern_match": create(port, creation(TOPIC, "t", MATCH)),
        "create_pattern_any": create(port, creation(TOPIC, "t", ANY)),
        "create_op_any": create(port, creation(TOPIC, "t", LITERAL, op=ANY)),
        "create_perm_any": create(port, creation(TOPIC, "t", LITERAL, perm=ANY)),
        "create_type_unknown": create(port, creation(0, "t", LITERAL)),
        "create_pattern_unknown": create(port, creation(TOPIC, "t", 0)),
        "create_op_unknown": create(port, creation(TOPIC, "t", LITERAL, op=0)),
        "describe_all": describe(port, acl_filter()),
        "describe_type_unknown": describe(port, acl_filter(rtype=0)),
        "describe_pattern_unknown": describe(port, acl_filter(ptype=0)),
        "describe_op_unknown": describe(port, acl_filter(op=0)),
        "describe_type_99": describe(port, acl_filter(rtype=99)),
        "describe_pattern_99": describe(port, acl_filter(ptype=99)),
        "describe_op_99": describe(port, acl_filter(op=99)),
        "delete_99": delete(port, acl_filter(rtype=99), acl_filter(ptype=99, name="zzz"), acl_filter(op=99)),
        "delete_unknown": delete(port, acl_filter(perm=0)),
    }
    failed_to_create = (42, "Failed to create ACL")
    expected = {
        "create_mixed": [
            (0, ""),
            (42, "The only valid name for the CLUSTER resource is kafka-cluster"),
            (42, "Invalid empty resource name"),
            failed_to_create,
            failed_to_create,
            failed_to_create,
            failed_to_create,
            failed_to_create,
            (-1, None),  # "alice": not Type:name (parseKafkaPrincipal in updateResourceAcls)
            (0, ""),  # "User:" is a valid principal (empty name)
        ],
        "create_type_any": [(-1, None), (-1, None)],
        "create_pattern_match": [(-1, None)],
        "create_pattern_any": [(-1, None)],
        "create_op_any": [(-1, None)],
        "create_perm_any": [(-1, None)],
        "create_type_unknown": "closed",
        "create_pattern_unknown": "closed",
        "create_op_unknown": "closed",
        "describe_all": (0, "", 2),
        "describe_type_unknown": "closed",
        "describe_pattern_unknown": "closed",
        "describe_op_unknown": "closed",
        "describe_type_99": (0, "", 0),
        "describe_pattern_99": (0, "", 0),
        "describe_op_99": (0, "", 0),
        "delete_99": [(0, None, 0), (0, None, 0), (0, None, 0)],
        "delete_unknown": "closed",
    }
    for key in observed:
        assert observed[key] == expected[key], key


ALTER_USER_SCRAM_CREDENTIALS = 51
SCRAM_SHA_256 = 1


def uvarint(n: int) -> bytes:
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def compact(b: bytes) -> bytes:
    return uvarint(len(b) + 1) + b


def alter_user_scram_credentials(port: int, deletions: list, upsertions: list) -> dict:
    """One AlterUserScramCredentials v0 (flexible: request header v2, response header v1);
    returns {user: (error code, message)}."""
    body = uvarint(len(deletions) + 1) + b"".join(
        compact(u.encode()) + struct.pack(">b", m) + b"\x00" for u, m in deletions)
    body += uvarint(len(upsertions) + 1) + b"".join(
        compact(u.encode()) + struct.pack(">bi", m, 4096) + compact(b"salt") + compact(b"\x01" * 32) + b"\x00"
        for u, m in upsertions)
    body += b"\x00"
    client = b"raw"
    header = struct.pack(">hhih", ALTER_USER_SCRAM_CREDENTIALS, 0, 9, len(client)) + client + b"\x00"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(header) + len(body)) + header + body)
        resp = read_frame(s)
    assert resp is not None, "the broker closed the connection"
    r = Reader(resp)
    assert r.take(">i") == 9
    assert r.take(">b") == 0  # response header tags
    r.take(">i")  # throttle_time_ms

    def uv() -> int:
        n = shift = 0
        while True:
            b = r.take(">B")
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    def cstring() -> Optional[str]:
        n = uv() - 1
        if n < 0:
            return None
        v = r.data[r.pos:r.pos + n].decode()
        r.pos += n
        return v

    out = {}
    for _ in range(uv() - 1):
        user = cstring()
        code = r.take(">h")
        out[user] = (code, cstring())
        assert r.take(">b") == 0  # result tags
    return out


def test_alter_user_scram_credentials_validation_errors_match_kafka(cluster_factory) -> None:
    """AlterUserScramCredentials validates each alteration before writing anything: a (user,
    mechanism) pair altered twice → DUPLICATE_RESOURCE (92), an empty user name →
    UNACCEPTABLE_CREDENTIAL (93), an unknown mechanism → UNSUPPORTED_SASL_MECHANISM (33), each
    with Kafka's message; a valid alteration in the same request succeeds with the message ""
    (the schema default, left unset). Kafka:
    `ZkAdminManager.alterUserScramCredentials`."""
    cluster = cluster_factory(size=1).start()
    controller = cluster.controller()
    observed = alter_user_scram_credentials(
        controller.port,
        deletions=[("twice", SCRAM_SHA_256), ("", SCRAM_SHA_256)],
        upsertions=[("twice", SCRAM_SHA_256), ("unknown-mech", 9), ("ok", SCRAM_SHA_256)],
    )
    assert observed == {
        "twice": (92, "A user credential cannot be altered twice in the same request"),
        "": (93, "Username must not be empty"),
        "unknown-mech": (33, "Unknown SCRAM mechanism"),
        "ok": (0, ""),
    }, observed
