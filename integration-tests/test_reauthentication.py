"""KIP-368 re-authentication (`connections.max.reauth.ms`) and KIP-371 SSL principal mapping
(`ssl.principal.mapping.rules`), on real brokers with real clients and raw protocol.

Kafka: `SaslServerAuthenticator` (`ReauthInfo`), `KafkaChannel.maybeBeginServerReauthentication`
/ `serverAuthenticationSessionExpired`, `SocketServer.Processor.processCompletedReceives`,
`SslPrincipalMapper`, `DefaultKafkaPrincipalBuilder`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Optional

from harness.broker import REPO_ROOT, is_reference_kafka
from harness.clients import kcat, run_java
from harness.waiting import wait_until
from test_security import (
    _create_topic_in_zookeeper,
    frame,
    kafka_config_command,
    kafka_string,
    leaders_ready,
    read_frame,
    sasl_bootstrap,
    secure_cluster,
    zkafka,
)

REAUTH_MS = 2000
PROGRAM = REPO_ROOT / "integration-tests" / "programs" / "ReauthClients.java"

SASL_HANDSHAKE, SASL_AUTHENTICATE, METADATA = 17, 36, 3


# ----------------------------------------------------------------------------- raw SASL client


class SaslConnection:
    """A raw socket to a SASL_PLAINTEXT listener: SaslHandshake v1 + SaslAuthenticate v1
    (non-flexible, so the response carries `session_lifetime_ms` as a plain int64)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.correlation = 0

    def close(self) -> None:
        self.sock.close()

    def next_correlation(self) -> int:
        self.correlation += 1
        return self.correlation

    def handshake(self, mechanism: str) -> int:
        c = self.next_correlation()
        self.sock.sendall(frame(SASL_HANDSHAKE, 1, c, kafka_string(mechanism)))
        resp = read_frame(self.sock)
        assert resp is not None, "closed on SaslHandshake"
        corr, error = struct.unpack(">ih", resp[:6])
        assert corr == c
        return error

    def authenticate(self, token: bytes) -> Optional[tuple[int, str, bytes, int]]:
        """One SaslAuthenticate v1: (error_code, error_message, auth_bytes, session_lifetime_ms),
        or None when the broker closed the connection instead of answering."""
        c = self.next_correlation()
        self.sock.sendall(frame(SASL_AUTHENTICATE, 1, c, struct.pack(">i", len(token)) + token))
        resp = read_frame(self.sock)
        if resp is None:
            return None
        corr, error = struct.unpack(">ih", resp[:6])
        assert corr == c
        (msg_len,) = struct.unpack(">h", resp[6:8])
        pos = 8 + max(msg_len, 0)
        message = resp[8:pos].decode() if msg_len >= 0 else ""
        (auth_len,) = struct.unpack(">i", resp[pos:pos + 4])
        auth = resp[pos + 4:pos + 4 + auth_len]
        (lifetime,) = struct.unpack(">q", resp[pos + 4 + auth_len:pos + 12 + auth_len])
        return error, message, auth, lifetime

    def plain(self, user: str, password: str) -> tuple[int, str, bytes, int]:
        assert self.handshake("PLAIN") == 0
        r = self.authenticate(f"\0{user}\0{password}".encode())
        assert r is not None
        return r

    def scram_sha256(self, user: str, password: str) -> Optional[tuple[int, str, bytes, int]]:
        """RFC 5802 SCRAM-SHA-256 client; the last SaslAuthenticate answer."""
        assert self.handshake("SCRAM-SHA-256") == 0
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={nonce}"
        r = self.authenticate(b"n,," + first_bare.encode())
        assert r is not None and r[0] == 0, r
        server_first = r[2].decode()
        fields = dict(kv.split("=", 1) for kv in server_first.split(","))
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
        client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
        proof = bytes(x ^ y for x, y in zip(client_key, signature))
        return self.authenticate(f"{without_proof},p={base64.b64encode(proof).decode()}".encode())

    def metadata(self) -> bool:
        """Metadata v1 for no topics; True when answered, False when the broker closed."""
        c = self.next_correlation()
        self.sock.sendall(frame(METADATA, 1, c, struct.pack(">i", 0)))
        resp = read_frame(self.sock)
        if resp is None:
            return False
        assert struct.unpack(">i", resp[:4])[0] == c
        return True


def reauth_cluster(cluster_factory, tmp_path):
    return secure_cluster(cluster_factory, tmp_path,
                          extra={"connections.max.reauth.ms": str(REAUTH_MS)}).start()


# ----------------------------------------------------------------------------- tests


def test_java_clients_reauthenticate_and_keep_working(cluster_factory, tmp_path) -> None:
    """With `connections.max.reauth.ms=2000` the Java producer and consumer (kafka-clients
    3.9.1) re-authenticate their SCRAM-SHA-256 connections about every 1.7-1.9 s (KIP-368: the
    client re-authenticates at 85-95% of `session_lifetime_ms`) and keep producing and
    consuming for 10 s without an error; the client's `successful-reauthentication-total` and,
    on zkafka, the broker's INFO line show the re-authentications (Kafka:
    `SaslServerAuthenticator.reauthenticate`, `SaslClientAuthenticator`)."""
    cluster = reauth_cluster(cluster_factory, tmp_path)
    kafka_config_command(cluster, "alice", "SCRAM-SHA-256=[password=alice-scram]")
    topic = f"reauth-{uuid.uuid4().hex[:6]}"
    _create_topic_in_zookeeper(cluster, topic, {0: [0, 1, 2], 1: [1, 2, 0], 2: [2, 0, 1]})
    leaders_ready(cluster, topic, 3)
    r = run_java(str(PROGRAM), [sasl_bootstrap(cluster), topic, "alice", "alice-scram", "10"], timeout=180)
    print(r.stdout)
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines() if " " in line)
    assert r.returncode == 0, r.stdout + r.stderr
    assert int(out["produced"]) > 50, r.stdout
    assert int(out["send-errors"]) == 0, r.stdout
    assert int(out["consumed"]) == int(out["produced"]), r.stdout
    assert int(out["producer-reauthentications"]) >= 3, r.stdout
    assert int(out["consumer-reauthentications"]) >= 3, r.stdout
    if not is_reference_kafka():
        logs = "".join(b.output() for b in cluster.brokers)
        assert logs.count("successfully re-authenticated User:alice with SCRAM-SHA-256") >= 6, logs[-3000:]


def test_raw_session_expiry_reauthentication_and_password_change(cluster_factory, tmp_path) -> None:
    """Raw protocol against `connections.max.reauth.ms=2000` (Kafka: `SaslServerAuthenticator`,
    `KafkaChannel`, `SocketServer.processCompletedReceives`):
    - SaslAuthenticate v1 answers `session_lifetime_ms` = 2000;
    - a request after the session expired closes the connection unanswered;
    - a client that re-authenticates in time (SaslHandshake + SaslAuthenticate again, same
      mechanism and principal) keeps working past the first expiry, and a request pipelined
      just before the re-authentication handshake is answered first, in order;
    - re-authenticating as another user fails with SASL_AUTHENTICATION_FAILED (58) and Kafka's
      message, then closes;
    - after the user's SCRAM password changed, re-authenticating with the old one fails with
      SASL_AUTHENTICATION_FAILED (58) and closes."""
    cluster = reauth_cluster(cluster_factory, tmp_path)
    port = cluster.brokers[0].sasl_port

    # The session lifetime, then expiry. The waits are the session clock itself.
    conn = SaslConnection(port)
    error, _, _, lifetime = conn.plain("alice", "alice-secret")
    assert (error, lifetime) == (0, REAUTH_MS)
    assert conn.metadata()
    time.sleep(REAUTH_MS / 1000 + 0.5)
    assert not conn.metadata(), "a request after the session expired must close the connection"
    conn.close()

    # Re-authentication in time, with a request in flight ahead of it.
    conn = SaslConnection(port)
    assert conn.plain("alice", "alice-secret")[0] == 0
    time.sleep(1.2)
    c_meta = conn.next_correlation()
    c_hs = conn.next_correlation()
    conn.sock.sendall(frame(METADATA, 1, c_meta, struct.pack(">i", 0))
                      + frame(SASL_HANDSHAKE, 1, c_hs, kafka_string("PLAIN")))
    first, second = read_frame(conn.sock), read_frame(conn.sock)
    assert first is not None and struct.unpack(">i", first[:4])[0] == c_meta
    assert second is not None and struct.unpack(">ih", second[:6]) == (c_hs, 0)
    r = conn.authenticate(b"\0alice\0alice-secret")
    assert r is not None and (r[0], r[3]) == (0, REAUTH_MS), r
    time.sleep(1.3)  # past the first session's expiry, inside the second one
    assert conn.metadata(), "a re-authenticated connection must keep working"
    conn.close()

    # Another principal on re-authentication.
    conn = SaslConnection(port)
    assert conn.plain("alice", "alice-secret")[0] == 0
    assert conn.handshake("PLAIN") == 0
    r = conn.authenticate(b"\0bob\0bob-secret")
    assert r is not None
    assert (r[0], r[1]) == (58, "Cannot change principals during re-authentication from User.alice: User.bob")
    assert read_frame(conn.sock) is None
    conn.close()

    # A changed SCRAM password: the old one no longer re-authenticates.
    kafka_config_command(cluster, "carol", "SCRAM-SHA-256=[password=old-secret]")

    def scram_ok(password: str) -> bool:
        c = SaslConnection(port)
        try:
            r = c.scram_sha256("carol", password)
            return r is not None and r[0] == 0
        finally:
            c.close()

    wait_until(lambda: scram_ok("old-secret"), 30.0, "carol's first credential to reach the broker")
    conn = SaslConnection(port)
    r = conn.scram_sha256("carol", "old-secret")
    assert r is not None and (r[0], r[3]) == (0, REAUTH_MS), r
    kafka_config_command(cluster, "carol", "SCRAM-SHA-256=[password=new-secret]")
    wait_until(lambda: scram_ok("new-secret"), 30.0, "carol's new credential to reach the broker")
    r = conn.scram_sha256("carol", "old-secret")
    assert r is not None
    assert (r[0], r[1]) == (58, "Authentication failed during re-authentication due to invalid credentials "
                                "with SASL mechanism SCRAM-SHA-256"), r
    assert read_frame(conn.sock) is None
    conn.close()


def _client_certificate(certs_dir: Path, name: str, subject: str) -> tuple[Path, Path]:
    """Another client certificate signed by `make_certs`' CA (openssl)."""
    def sh(*args: str) -> None:
        subprocess.run(args, cwd=certs_dir, check=True, capture_output=True)

    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
       "-subj", subject)
    sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
       "-out", f"{name}.crt", "-days", "2", "-extfile", "client.ext")
    sh("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.key", "-out", f"{name}.p8")
    return certs_dir / f"{name}.crt", certs_dir / f"{name}.p8"


def test_ssl_principal_mapping_rules(cluster_factory, tmp_path) -> None:
    """`ssl.principal.mapping.rules` (KIP-371, Kafka: `SslPrincipalMapper`): on broker 0 the
    rule `RULE:^CN=([^,]+),OU=users,O=zkafka$/$1/L` maps the kcat client certificate
    `CN=Alice,OU=users,O=zkafka` to `User:alice`, so an ACL for User:alice lets it see its
    topic; brokers 1 and 2 keep the default (`DEFAULT`), where the principal is the full RFC 2253
    DN and only the ACL naming that DN applies (Kafka: `DefaultKafkaPrincipalBuilder`)."""
    cluster = secure_cluster(cluster_factory, tmp_path, authorizer=True, tls=True)
    cluster.brokers[0].extra_properties["listener.name.ssl.ssl.principal.mapping.rules"] = (
        "RULE:^CN=([^,]+),OU=users,O=zkafka$/$1/L,DEFAULT")
    cluster.start()
    crt, key = _client_certificate(tmp_path / "certs", "alice", "/O=zkafka/OU=users/CN=Alice")
    mapped_topic, dn_topic = f"mapped-{uuid.uuid4().hex[:6]}", f"dn-{uuid.uuid4().hex[:6]}"
    for t in (mapped_topic, dn_topic):
        _create_topic_in_zookeeper(cluster, t, {0: [0, 1, 2]})
        leaders_ready(cluster, t, 1)
    for principal, t in (("User:alice", mapped_topic), ("User:CN=Alice,OU=users,O=zkafka", dn_topic)):
        r = zkafka("acls", "--bootstrap-server", cluster.bootstrap_servers, "--add", "--allow-principal", principal,
                   "--operation", "Describe", "--topic", t)
        assert r.returncode == 0, r.stdout + r.stderr
    tls = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={cluster.certs['ca']}",
           "-X", f"ssl.certificate.location={crt}", "-X", f"ssl.key.location={key}"]

    def topics_on(broker) -> Optional[set]:
        r = kcat(f"127.0.0.1:{broker.ssl_port}", *tls, "-L", "-J", "-m", "10")
        if r.returncode != 0:
            return None
        return {x["topic"] for x in json.loads(r.stdout)["topics"]}

    def sees(broker, visible: str, hidden: str) -> bool:
        seen = topics_on(broker)
        return seen is not None and visible in seen and hidden not in seen

    wait_until(lambda: sees(cluster.brokers[0], mapped_topic, dn_topic), 30.0,
               "User:alice (mapped) to see only its topic on broker 0")
    wait_until(lambda: sees(cluster.brokers[1], dn_topic, mapped_topic), 30.0,
               "the full-DN principal to see only its topic on broker 1")
