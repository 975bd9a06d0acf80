"""Security in ZooKeeper mode: SASL (PLAIN, SCRAM-SHA-256/512), TLS, and ACLs kept in ZooKeeper,
exercised with real clients (confluent-kafka, kcat, the Java client, Kafka's own AclCommand and
ConfigCommand) against a 3-broker cluster whose inter-broker traffic stays on PLAINTEXT.

Kafka: `SaslServerAuthenticator`, `PlainSaslServer`, `ScramSaslServer`, `SslFactory`,
`kafka.security.authorizer.AclAuthorizer`; semantics doc §6, layout doc §2.10 and §2.17.
"""

from __future__ import annotations

import json
import os
import re
import socket
import struct
import subprocess
import time
import uuid
from pathlib import Path
from typing import Callable, Optional

import pytest

from harness.broker import REPO_ROOT, ZkafkaCluster, is_reference_kafka, zkafka_bin
from harness.clients import confluent_config, kcat, run_java
from harness.ports import free_port
from harness.procs import run_command
from harness.waiting import wait_until
from test_topic_znodes import _create_topic_in_zookeeper

MECHANISMS = "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"
PLAIN_JAAS = (
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
    'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";'
)
SCRAM_JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"


# ----------------------------------------------------------------------------- cluster helpers


def make_certs(directory: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate
    (subject `CN=client,OU=test,O=zkafka`), as unencrypted PEM (openssl)."""
    d = directory
    d.mkdir(parents=True, exist_ok=True)

    def sh(*args: str) -> None:
        subprocess.run(args, cwd=d, check=True, capture_output=True)

    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
       "-days", "2", "-subj", "/CN=zkafka-test-ca")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    # Extensions make X.509 v3 certificates (webpki, like most TLS stacks, refuses v1).
    (d / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, subj, ext in [("server", "/CN=localhost", ["-extfile", "san.ext"]),
                            ("client", "/O=zkafka/OU=test/CN=client", ["-extfile", "client.ext"])]:
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
           "-subj", subj)
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
           "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", *ext)
        # PKCS#8 key + chain in one PEM: Kafka's PEM keystore file (KIP-651).
        sh("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", f"{name}.key", "-out", f"{name}.p8")
        (d / f"{name}.pem").write_text((d / f"{name}.p8").read_text() + (d / f"{name}.crt").read_text())
    return {"ca": d / "ca.pem", "server": d / "server.pem", "client_crt": d / "client.crt",
            "client_key": d / "client.p8"}


def secure_cluster(
    factory: Callable[..., ZkafkaCluster],
    tmp_path: Path,
    authorizer: bool = False,
    tls: bool = False,
    extra: Optional[dict] = None,
) -> ZkafkaCluster:
    """Three brokers with PLAINTEXT (inter-broker) and SASL_PLAINTEXT listeners, plus SASL_SSL and
    SSL (client certificate required) listeners when `tls`. Not started."""
    cluster = factory(broker_ids=[])
    certs = make_certs(tmp_path / "certs") if tls else None
    for broker_id in range(3):
        b = cluster.add_broker(broker_id)
        b.sasl_port = free_port()
        listeners = [f"PLAINTEXT://127.0.0.1:{b.port}", f"SASL_PLAINTEXT://127.0.0.1:{b.sasl_port}"]
        props = {
            "inter.broker.listener.name": "PLAINTEXT",
            "sasl.enabled.mechanisms": MECHANISMS,
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config": SCRAM_JAAS,
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": SCRAM_JAAS,
        }
        if certs:
            b.sasl_ssl_port, b.ssl_port = free_port(), free_port()
            listeners += [f"SASL_SSL://127.0.0.1:{b.sasl_ssl_port}", f"SSL://127.0.0.1:{b.ssl_port}"]
            props.update({
                "listener.name.sasl_ssl.plain.sasl.jaas.config": PLAIN_JAAS,
                "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config": SCRAM_JAAS,
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": SCRAM_JAAS,
                "ssl.keystore.type": "PEM",
                "ssl.keystore.location": str(certs["server"]),
                "ssl.truststore.type": "PEM",
                "ssl.truststore.location": str(certs["ca"]),
                "listener.name.ssl.ssl.client.auth": "required",
            })
        props["listeners"] = ",".join(listeners)
        props["advertised.listeners"] = props["listeners"]
        if authorizer:
            props.update({"authorizer.class.name": AUTHORIZER, "super.users": "User:admin;User:ANONYMOUS"})
        props.update(extra or {})
        b.extra_properties.update(props)
    cluster.certs = certs
    return cluster


def zkafka_cli() -> Path:
    """Our CLI binary (also in reference runs, where the broker is real Kafka)."""
    target = os.environ.get("CARGO_TARGET_DIR")
    for c in ([Path(target) / "release" / "zkafka"] if target else []) + [REPO_ROOT / "target" / "release" / "zkafka"]:
        if c.exists():
            return c
    return zkafka_bin()


def zkafka(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    return run_command([str(zkafka_cli()), *args], timeout=timeout, env={"NO_COLOR": "1"})


def kafka_config_command(cluster: ZkafkaCluster, user: str, add_config: str) -> None:
    """Kafka's own `kafka-configs.sh --zookeeper` SCRAM bootstrap (writes /config/users/<user>)."""
    r = run_java("kafka.admin.ConfigCommand", ["--zookeeper", cluster.zookeeper_connect, "--alter",
                                               "--entity-type", "users", "--entity-name", user,
                                               "--add-config", add_config])
    assert r.returncode == 0, r.stdout + r.stderr


def sasl(mechanism: str, user: str, password: str, protocol: str = "SASL_PLAINTEXT") -> dict:
    return {"security.protocol": protocol, "sasl.mechanisms": mechanism,
            "sasl.username": user, "sasl.password": password}


def sasl_bootstrap(cluster: ZkafkaCluster, brokers=None) -> str:
    return ",".join(f"127.0.0.1:{b.sasl_port}" for b in (brokers or cluster.brokers))


def kcat_sasl(bootstrap: str, user: str, password: str, *args: str, mechanism: str = "PLAIN"):
    return kcat(bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X", f"sasl.mechanisms={mechanism}",
                "-X", f"sasl.username={user}", "-X", f"sasl.password={password}", *args)


def produce(bootstrap: str, topic: str, config: dict, values: list[bytes], timeout: float = 20.0) -> list:
    """Produces with confluent-kafka; returns the delivery errors (None for success)."""
    from confluent_kafka import Producer

    results: list = []

    def delivered(err, msg) -> None:  # noqa: ANN001 - confluent-kafka callback
        results.append(err)

    p = Producer(confluent_config(bootstrap, **config, **{"message.timeout.ms": int(timeout * 1000)}))
    for v in values:
        p.produce(topic, v, on_delivery=delivered)
    # Never let the Producer be garbage-collected with messages still queued: confluent-kafka
    # then runs their delivery reports from its destructor, whose failure (a TypeError) is left
    # pending and surfaces later as a SystemError in unrelated code (seen against real Kafka in
    # the prefixed-ACL retry loop). Purge what flush left and serve those reports here.
    if p.flush(timeout + 5) > 0:
        p.purge()
        p.flush(5)
    return results


def topics_seen(bootstrap: str, config: dict) -> Optional[set[str]]:
    """Topics in an all-topics Metadata answer (None when the request fails)."""
    from confluent_kafka.admin import AdminClient

    try:
        md = AdminClient(confluent_config(bootstrap, **config)).list_topics(timeout=10)
    except Exception:  # noqa: BLE001 - a failed request is "nothing seen"
        return None
    return set(md.topics)


def leaders_ready(cluster: ZkafkaCluster, topic: str, partitions: int) -> None:
    for p in range(partitions):
        path = f"/brokers/topics/{topic}/partitions/{p}/state"
        wait_until(lambda: cluster.view.get(path), 30.0, f"{path}")


# ----------------------------------------------------------------------------- raw protocol


def frame(api_key: int, version: int, correlation: int, body: bytes) -> bytes:
    client = b"raw"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def read_frame(sock: socket.socket) -> Optional[bytes]:
    def exactly(n: int) -> Optional[bytes]:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    size = exactly(4)
    if size is None:
        return None
    return exactly(struct.unpack(">i", size)[0])


def kafka_string(s: str) -> bytes:
    return struct.pack(">h", len(s)) + s.encode()


# ----------------------------------------------------------------------------- tests


def test_sasl_plain_and_scram_with_real_clients(cluster_factory, tmp_path) -> None:
    """SASL/PLAIN checks the listener's JAAS users and SCRAM-SHA-256/512 the credentials in
    `/config/users/<user>` (written by Kafka's own ConfigCommand and by `zkafka configs`); a
    credential added through AlterUserScramCredentials while the brokers run reaches every broker
    through `/config/changes`. Wrong passwords fail with SASL_AUTHENTICATION_FAILED
    (Kafka: `PlainSaslServer`, `ScramSaslServer`, `CredentialCache`, `ZkConfigManager`)."""
    cluster = secure_cluster(cluster_factory, tmp_path).start()
    # Written while the brokers run (the chroot exists only once a broker created it): every
    # broker picks the credentials up through /config/changes.
    kafka_config_command(cluster, "alice", "SCRAM-SHA-256=[password=alice-scram],SCRAM-SHA-512=[password=alice-scram]")
    if is_reference_kafka():
        kafka_config_command(cluster, "bob", "SCRAM-SHA-512=[iterations=8192,password=bob-scram]")
    else:
        r = zkafka("configs", "--zookeeper", cluster.zookeeper_connect, "--alter", "--entity-type", "users",
                   "--entity-name", "bob", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=bob-scram]")
        assert r.returncode == 0, r.stdout + r.stderr
    bob = cluster.view.require("/config/users/bob").json()
    assert set(bob["config"]) == {"SCRAM-SHA-512"}
    assert re.fullmatch(r"salt=[A-Za-z0-9+/=]+,stored_key=[A-Za-z0-9+/=]+,server_key=[A-Za-z0-9+/=]+,iterations=8192",
                        bob["config"]["SCRAM-SHA-512"])
    topic = f"sasl-{uuid.uuid4().hex[:6]}"
    _create_topic_in_zookeeper(cluster, topic, {0: [0, 1, 2], 1: [1, 2, 0]})
    leaders_ready(cluster, topic, 2)
    boot = sasl_bootstrap(cluster)

    # confluent-kafka: SCRAM-SHA-256 producer (alice), SCRAM-SHA-512 consumer (bob).
    errors = wait_until(
        lambda: (lambda e: e if all(x is None for x in e) else None)(
            produce(boot, topic, sasl("SCRAM-SHA-256", "alice", "alice-scram"), [b"v%d" % i for i in range(20)])),
        60.0, "alice to produce over SCRAM-SHA-256")
    assert len(errors) == 20
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer(confluent_config(boot, **sasl("SCRAM-SHA-512", "bob", "bob-scram"),
                                  **{"group.id": "g", "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, p, 0) for p in range(2)])
    got = []
    deadline = time.time() + 30
    while len(got) < 20 and time.time() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got.append(m.value())
    c.close()
    assert sorted(got) == sorted(b"v%d" % i for i in range(20))

    # Wrong SCRAM password: the client reports Kafka's authentication failure.
    from confluent_kafka.admin import AdminClient

    failures: list = []
    admin = AdminClient(confluent_config(boot, **sasl("SCRAM-SHA-256", "alice", "wrong"),
                                         **{"error_cb": lambda e: failures.append(e)}))
    with pytest.raises(Exception):
        admin.list_topics(timeout=5)
    # error_cb runs from poll().
    wait_until(lambda: admin.poll(0.5) is not None and failures, 10.0, "the authentication error callback")
    assert any("Authentication failed" in str(e) for e in failures), failures

    # kcat with PLAIN: good and bad passwords.
    ok = kcat_sasl(boot, "alice", "alice-secret", "-L", "-J")
    assert ok.returncode == 0, ok.stderr
    assert topic in {t["topic"] for t in json.loads(ok.stdout)["topics"]}
    bad = kcat_sasl(boot, "alice", "nope", "-L", "-m", "5")
    assert bad.returncode != 0
    assert "Invalid username or password" in bad.stderr or "Authentication failed" in bad.stderr, bad.stderr

    # A credential created through the API while brokers run works on every broker within seconds.
    if not is_reference_kafka():
        r = zkafka("configs", "--bootstrap-server", cluster.bootstrap_servers, "--alter", "--entity-type", "users",
                   "--entity-name", "carol", "--add-config", "SCRAM-SHA-256=[password=carol-scram]")
        assert r.returncode == 0, r.stdout + r.stderr
        d = zkafka("configs", "--bootstrap-server", cluster.bootstrap_servers, "--describe", "--entity-type", "users",
                   "--entity-name", "carol")
        assert "SCRAM credential configs for user-principal 'carol' are SCRAM-SHA-256=iterations=4096" in d.stdout
        for b in cluster.brokers:
            wait_until(lambda: topics_seen(f"127.0.0.1:{b.sasl_port}", sasl("SCRAM-SHA-256", "carol", "carol-scram")),
                       15.0, f"carol to authenticate on broker {b.broker_id}")


def test_unauthenticated_bytes_never_reach_a_handler(cluster_factory, tmp_path) -> None:
    """On a SASL listener any request other than ApiVersions/SaslHandshake before authentication
    closes the connection unanswered; a failed SaslAuthenticate is answered with
    SASL_AUTHENTICATION_FAILED (58) and the connection is closed; SaslHandshake with an unknown
    mechanism gets UNSUPPORTED_SASL_MECHANISM (33) (Kafka: `SaslServerAuthenticator`
    `handleKafkaRequest`, `handleSaslToken`, `handleHandshakeRequest`)."""
    cluster = secure_cluster(cluster_factory, tmp_path).start()
    b = cluster.brokers[0]
    addr = ("127.0.0.1", b.sasl_port)

    # Metadata v1 (all topics) first: closed without a response.
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(frame(3, 1, 1, struct.pack(">i", -1)))
        assert read_frame(s) is None

    # Handshake v1 PLAIN, then a wrong password.
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(frame(17, 1, 2, kafka_string("PLAIN")))
        resp = read_frame(s)
        assert resp is not None and struct.unpack(">ih", resp[:6]) == (2, 0)
        token = b"\0alice\0wrong"
        s.sendall(frame(36, 1, 3, struct.pack(">i", len(token)) + token))
        resp = read_frame(s)
        assert resp is not None
        corr, error = struct.unpack(">ih", resp[:6])
        assert (corr, error) == (3, 58)
        (msg_len,) = struct.unpack(">h", resp[6:8])
        assert resp[8:8 + msg_len] == b"Authentication failed: Invalid username or password"
        assert read_frame(s) is None

    # Handshake with a mechanism that is not enabled.
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(frame(17, 1, 4, kafka_string("GSSAPI")))
        resp = read_frame(s)
        assert resp is not None and struct.unpack(">ih", resp[:6]) == (4, 33)
        assert read_frame(s) is None

    # Handshake v0 then a raw PLAIN token: the answer is a raw (empty) token, and the connection
    # is then authenticated (a Metadata request is answered).
    with socket.create_connection(addr, timeout=10) as s:
        s.sendall(frame(17, 0, 5, kafka_string("PLAIN")))
        assert read_frame(s) is not None
        token = b"\0alice\0alice-secret"
        s.sendall(struct.pack(">i", len(token)) + token)
        assert read_frame(s) == b""
        s.sendall(frame(3, 1, 6, struct.pack(">i", -1)))
        resp = read_frame(s)
        assert resp is not None and struct.unpack(">i", resp[:4])[0] == 6


def test_acls_enforced_granted_and_revoked_on_every_broker(cluster_factory, tmp_path) -> None:
    """With AclAuthorizer an authenticated user without ACLs gets TOPIC_AUTHORIZATION_FAILED and
    no data, and an all-topics Metadata leaves the topic out; a grant through `zkafka acls` (and
    through Kafka's own AclCommand) takes effect on every broker within seconds via the
    `/kafka-acl-changes` notifications; prefixed and wildcard patterns match; a DENY overrides an
    ALLOW; super users bypass ACLs; ACL znodes carry Kafka 3.9's exact JSON
    (Kafka: `AclAuthorizer.authorizeAction`, `updateResourceAcls`; layout doc §2.17)."""
    cluster = secure_cluster(cluster_factory, tmp_path, authorizer=True).start()
    t = f"acl-{uuid.uuid4().hex[:6]}"
    other = f"other-{uuid.uuid4().hex[:6]}"
    for name in (t, other, "pre-x"):
        _create_topic_in_zookeeper(cluster, name, {0: [0, 1, 2]})
        leaders_ready(cluster, name, 1)
    boot = sasl_bootstrap(cluster)
    alice = sasl("PLAIN", "alice", "alice-secret")
    bob = sasl("PLAIN", "bob", "bob-secret")
    plaintext = cluster.bootstrap_servers

    def acls(*args: str) -> str:
        r = zkafka("acls", "--bootstrap-server", plaintext, *args)
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    # No ACLs: nothing visible, nothing produced, nothing read.
    for b in cluster.brokers:
        seen = topics_seen(f"127.0.0.1:{b.sasl_port}", alice)
        assert seen is not None and t not in seen
    errors = produce(boot, t, alice, [b"x"], timeout=10)
    assert errors and errors[0] is not None and errors[0].name() == "TOPIC_AUTHORIZATION_FAILED", errors
    r = kcat_sasl(boot, "alice", "alice-secret", "-C", "-t", t, "-o", "beginning", "-e", "-q")
    assert r.stdout == "" and "authoriz" in r.stderr.lower(), r.stderr

    # Super user admin writes without ACLs.
    assert produce(boot, t, sasl("PLAIN", "admin", "admin-secret"), [b"from-admin"]) == [None]

    # Grant Write (implies Describe) through our CLI; every broker honours it within seconds.
    out = acls("--add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Read", "--topic", t)
    assert f"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name={t}, patternType=LITERAL)`" in out
    for b in cluster.brokers:
        wait_until(lambda: t in (topics_seen(f"127.0.0.1:{b.sasl_port}", alice) or set()), 10.0,
                   f"broker {b.broker_id} to let alice describe {t}")
    assert produce(boot, t, alice, [b"from-alice"]) == [None]
    r = kcat_sasl(boot, "alice", "alice-secret", "-C", "-t", t, "-o", "beginning", "-e", "-q")
    assert r.returncode == 0 and r.stdout.split() == ["from-admin", "from-alice"], r.stdout + r.stderr
    # Not on other topics.
    errors = produce(boot, other, alice, [b"x"], timeout=10)
    assert errors[0] is not None and errors[0].name() == "TOPIC_AUTHORIZATION_FAILED"

    # The znode and its change notification, byte for byte in Kafka 3.9's format.
    node = cluster.view.require(f"/kafka-acl/Topic/{t}")
    entries = re.findall(rb'\{"principal":"([^"]+)","permissionType":"(\w+)","host":"([^"]+)","operation":"(\w+)"\}',
                         node.data)
    assert node.data.startswith(b'{"acls":[') and node.data.endswith(b'],"version":1}'), node.data
    assert sorted(entries) == [(b"User:alice", b"Allow", b"*", b"Read"), (b"User:alice", b"Allow", b"*", b"Write")]
    assert len(node.data) == len(b'{"acls":[') + len(b'],"version":1}') + sum(
        len(b'{"principal":"","permissionType":"","host":"","operation":""}') + sum(map(len, e)) for e in entries
    ) + len(entries) - 1
    notes = [cluster.view.require(f"/kafka-acl-changes/{c}").data for c in cluster.view.children("/kafka-acl-changes")]
    assert f"TOPIC:{t}".encode() in notes

    # Prefixed pattern for bob: pre-* only.
    acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--topic", "pre-",
         "--resource-pattern-type", "prefixed")
    ext = [cluster.view.require(f"/kafka-acl-extended-changes/{c}").data
           for c in cluster.view.children("/kafka-acl-extended-changes")]
    assert b'{"version":1,"resourceType":"TOPIC","name":"pre-","patternType":"PREFIXED"}' in ext
    assert cluster.view.exists("/kafka-acl-extended/prefixed/Topic/pre-")
    wait_until(lambda: produce(boot, "pre-x", bob, [b"b"], timeout=5) == [None], 15.0, "bob to write pre-x")
    assert produce(boot, other, bob, [b"b"], timeout=5)[0].name() == "TOPIC_AUTHORIZATION_FAILED"

    # Wildcard topic: Describe on every topic for every user.
    acls("--add", "--allow-principal", "User:*", "--operation", "Describe", "--topic", "*")
    for b in cluster.brokers:
        wait_until(lambda: other in (topics_seen(f"127.0.0.1:{b.sasl_port}", bob) or set()), 10.0,
                   f"broker {b.broker_id} to show {other} to bob")

    # Deny overrides allow.
    acls("--add", "--deny-principal", "User:alice", "--operation", "Write", "--topic", t)
    wait_until(lambda: (lambda e: e and e[0] is not None)(produce(boot, t, alice, [b"no"], timeout=5)), 15.0,
               "the deny to take effect")

    # Removal through our CLI, then a grant through Kafka's own AclCommand.
    acls("--remove", "--deny-principal", "User:alice", "--operation", "Write", "--topic", t)
    listed = acls("--list", "--topic", t)
    assert "DENY" not in listed and "operation=WRITE, permissionType=ALLOW" in listed
    r = run_java("kafka.admin.AclCommand", ["--bootstrap-server", plaintext, "--add", "--allow-principal",
                                            "User:bob", "--operation", "Read", "--topic", t])
    assert r.returncode == 0, r.stdout + r.stderr
    wait_until(lambda: kcat_sasl(boot, "bob", "bob-secret", "-C", "-t", t, "-o", "beginning", "-e", "-q")
               .stdout.split()[:1] == ["from-admin"], 15.0, "bob to read after AclCommand's grant")
    r = run_java("kafka.admin.AclCommand", ["--bootstrap-server", plaintext, "--list", "--topic", t])
    assert "User:bob" in r.stdout and "User:alice" in r.stdout, r.stdout


def test_java_client_scram_over_tls_and_ssl_client_certificates(cluster_factory, tmp_path) -> None:
    """The Java client produces and consumes over SASL_SSL with SCRAM-SHA-512 (TLS on rustls with
    PEM keystores, KIP-651); on an SSL listener with `ssl.client.auth=required` the principal is
    the certificate's DN (`User:CN=client,OU=test,O=zkafka`, `ssl.principal.mapping.rules=DEFAULT`)
    and ACLs for it apply (Kafka: `SslFactory`, `DefaultKafkaPrincipalBuilder`)."""
    cluster = secure_cluster(cluster_factory, tmp_path, authorizer=True, tls=True).start()
    kafka_config_command(cluster, "alice", "SCRAM-SHA-512=[password=alice-scram]")
    t = f"tls-{uuid.uuid4().hex[:6]}"
    _create_topic_in_zookeeper(cluster, t, {0: [0, 1, 2]})
    leaders_ready(cluster, t, 1)
    r = zkafka("acls", "--bootstrap-server", cluster.bootstrap_servers, "--add", "--allow-principal", "User:alice",
               "--operation", "All", "--topic", t)
    assert r.returncode == 0, r.stdout + r.stderr
    r = zkafka("acls", "--bootstrap-server", cluster.bootstrap_servers, "--add", "--allow-principal",
               "User:CN=client,OU=test,O=zkafka", "--operation", "Describe", "--topic", t)
    assert r.returncode == 0, r.stdout + r.stderr

    program = tmp_path / "ScramTls.java"
    program.write_text(JAVA_SCRAM_TLS)
    boot = ",".join(f"127.0.0.1:{b.sasl_ssl_port}" for b in cluster.brokers)
    r = run_java(str(program), [boot, t, str(cluster.certs["ca"])], timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "consumed 50" in r.stdout, r.stdout

    # SSL with a client certificate: the DN principal sees the topic; without a cert, no session.
    ssl_boot = f"127.0.0.1:{cluster.brokers[0].ssl_port}"
    certs = cluster.certs
    tls_args = ["-X", "security.protocol=SSL", "-X", f"ssl.ca.location={certs['ca']}"]
    md = wait_until(lambda: (lambda r: r if r.returncode == 0 else None)(
        kcat(ssl_boot, *tls_args, "-X", f"ssl.certificate.location={certs['client_crt']}",
             "-X", f"ssl.key.location={certs['client_key']}", "-L", "-J")), 20.0, "kcat over SSL")
    assert t in {x["topic"] for x in json.loads(md.stdout)["topics"]}
    no_cert = kcat(ssl_boot, *tls_args, "-L", "-m", "5")
    assert no_cert.returncode != 0


JAVA_SCRAM_TLS = r"""
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class ScramTls {
    public static void main(String[] a) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", a[0]);
        p.put("security.protocol", "SASL_SSL");
        p.put("sasl.mechanism", "SCRAM-SHA-512");
        p.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"alice\" password=\"alice-scram\";");
        p.put("ssl.truststore.type", "PEM");
        p.put("ssl.truststore.location", a[2]);
        Properties pp = new Properties(); pp.putAll(p);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("acks", "all");
        // Kafka's default enable.idempotence=true: InitProducerId is allowed by Write on the topic
        // (authorizeByResourceType) and its producer id comes from the controller's
        // AllocateProducerIds.
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            for (int i = 0; i < 50; i++) producer.send(new ProducerRecord<>(a[1], "k" + i, "v" + i)).get();
        }
        Properties cp = new Properties(); cp.putAll(p);
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            TopicPartition tp = new TopicPartition(a[1], 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            int n = 0;
            long deadline = System.currentTimeMillis() + 60000;
            while (n < 50 && System.currentTimeMillis() < deadline) n += consumer.poll(Duration.ofMillis(500)).count();
            System.out.println("consumed " + n);
        }
    }
}
"""
