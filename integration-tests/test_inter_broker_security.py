"""Inter-broker traffic over SASL and TLS: replica fetchers, the controller channel and the
broker → controller RPCs connect to the inter-broker listener with its security protocol, its
TLS settings and the `sasl.mechanism.inter.broker.protocol` credentials of its JAAS entry.

Kafka: `ChannelBuilders.clientChannelBuilder` as `ReplicaFetcherBlockingSend`,
`ControllerChannelManager` and `BrokerToControllerChannelManager` use it (Kafka 3.9, ZK mode);
`SaslClientAuthenticator`, `KafkaConfig.validateValues`; docs "Authentication using SASL"
(SCRAM credentials for inter-broker use must exist in ZooKeeper before the brokers start).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from controller_util import create_topic, state
from harness.broker import ZkafkaCluster
from harness.clients import confluent_config
from harness.ports import free_port
from harness.waiting import wait_until
from test_security import kafka_config_command, kcat_sasl, make_certs, produce, sasl

BROKER_USER, BROKER_PASSWORD = "broker", "broker-secret"
CLIENT_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required '
               'user_admin="admin-secret";')


def scram_jaas(password: str) -> str:
    return ('org.apache.kafka.common.security.scram.ScramLoginModule required '
            f'username="{BROKER_USER}" password="{password}";')


def plain_jaas(password: str) -> str:
    return ('org.apache.kafka.common.security.plain.PlainLoginModule required '
            f'username="{BROKER_USER}" password="{password}" user_{BROKER_USER}="{BROKER_PASSWORD}";')


def add_brokers(cluster: ZkafkaCluster, ids: list[int], internal_protocol: str, internal: dict) -> None:
    """Brokers with a CLIENT listener (SASL_PLAINTEXT, PLAIN user admin) on the harness port and
    an INTERNAL inter-broker listener of `internal_protocol`; AclAuthorizer on, with only the
    broker user and admin as super users (an unauthenticated inter-broker request would be
    refused CLUSTER_ACTION)."""
    for broker_id in ids:
        b = cluster.add_broker(broker_id)
        b.internal_port = free_port()
        listeners = f"CLIENT://127.0.0.1:{b.port},INTERNAL://127.0.0.1:{b.internal_port}"
        b.extra_properties.update({
            "listeners": listeners,
            "advertised.listeners": listeners,
            "listener.security.protocol.map": f"CLIENT:SASL_PLAINTEXT,INTERNAL:{internal_protocol}",
            "inter.broker.listener.name": "INTERNAL",
            "listener.name.client.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.client.plain.sasl.jaas.config": CLIENT_JAAS,
            "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
            "super.users": f"User:{BROKER_USER};User:admin",
        })
        b.extra_properties.update(internal)


def client_bootstrap(cluster: ZkafkaCluster) -> str:
    return ",".join(f"127.0.0.1:{b.port}" for b in cluster.running())


ADMIN = sasl("PLAIN", "admin", "admin-secret")


def write_broker_scram_user(cluster: ZkafkaCluster, mechanism: str) -> None:
    """The broker user's SCRAM credential in `/config/users/broker`, written by Kafka's own
    ConfigCommand before any broker starts (the chroot is created first)."""
    cluster.view.client.ensure_path("/config/users")
    kafka_config_command(cluster, BROKER_USER, f"{mechanism}=[password={BROKER_PASSWORD}]")


def wait_isr(cluster: ZkafkaCluster, topic: str, partitions: int, want: set[int], timeout: float = 60.0) -> None:
    def ok() -> bool:
        states = [state(cluster, topic, p) for p in range(partitions)]
        return all(s is not None and set(s[0]["isr"]) == want for s in states)
    wait_until(ok, timeout, f"ISR of {topic} to be {sorted(want)}",
               describe=lambda: str([state(cluster, topic, p) for p in range(partitions)]))


def consume_all(bootstrap: str, topic: str, partitions: int, expected: int, timeout: float = 60.0) -> list[bytes]:
    c = Consumer(confluent_config(bootstrap, **ADMIN, **{
        "group.id": f"ib-{uuid.uuid4().hex[:6]}", "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while len(got) < expected and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is not None and not m.error():
                got.append(m.value())
    finally:
        c.close()
    return got


def new_rf3_topic(cluster: ZkafkaCluster, partitions: int = 3) -> str:
    topic = f"ib-{uuid.uuid4().hex[:6]}"
    create_topic(cluster, topic, {p: [(p + i) % 3 for i in range(3)] for p in range(partitions)},
                 {"min.insync.replicas": "2"})
    return topic


def sasl_ssl_scram_cluster(cluster_factory, tmp_path: Path) -> ZkafkaCluster:
    """Three brokers whose INTERNAL inter-broker listener is SASL_SSL with SCRAM-SHA-512, TLS
    client certificates required and the default host name verification; started."""
    certs = make_certs(tmp_path / "certs")
    cluster = cluster_factory(broker_ids=[])
    add_brokers(cluster, [0, 1, 2], "SASL_SSL", {
        "listener.name.internal.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "listener.name.internal.scram-sha-512.sasl.jaas.config": scram_jaas(BROKER_PASSWORD),
        "listener.name.internal.ssl.client.auth": "required",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(certs["server"]),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(certs["ca"]),
    })
    write_broker_scram_user(cluster, "SCRAM-SHA-512")
    return cluster.start()


def test_sasl_ssl_scram_inter_broker_replicates(cluster_factory, tmp_path: Path) -> None:
    """(a) `inter.broker.listener.name=INTERNAL` on SASL_SSL with SCRAM-SHA-512 (TLS client
    certificate required, host name verified with the default
    `ssl.endpoint.identification.algorithm=https`): acks=all with min.insync.replicas=2 needs the
    followers' fetches (authenticated as User:broker, the only inter-broker super user), every
    ISR becomes full and everything reads back."""
    cluster = sasl_ssl_scram_cluster(cluster_factory, tmp_path)
    topic = new_rf3_topic(cluster)
    wait_isr(cluster, topic, 3, {0, 1, 2})
    values = [f"v{i}".encode() for i in range(60)]
    assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, values, timeout=60) == [None] * 60
    wait_isr(cluster, topic, 3, {0, 1, 2})
    assert sorted(consume_all(client_bootstrap(cluster), topic, 3, 60)) == sorted(values)


def test_sasl_ssl_scram_inter_broker_failover(cluster_factory, tmp_path: Path) -> None:
    """(a, failover) On the SASL_SSL/SCRAM cluster, after kill -9 of the controller, a new
    controller (controller channel over SASL_SSL) elects new leaders that serve acks=all with
    min.insync.replicas=2 (followers fetching over SASL_SSL), and everything reads back."""
    cluster = sasl_ssl_scram_cluster(cluster_factory, tmp_path)
    topic = new_rf3_topic(cluster)
    values = [f"v{i}".encode() for i in range(60)]
    assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, values, timeout=60) == [None] * 60
    wait_isr(cluster, topic, 3, {0, 1, 2})
    victim = cluster.controller()
    victim.kill()
    survivors = {0, 1, 2} - {victim.broker_id}
    wait_isr(cluster, topic, 3, survivors)
    more = [f"w{i}".encode() for i in range(30)]
    assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, more, timeout=60) == [None] * 30
    for p in range(3):
        s = state(cluster, topic, p)
        assert s is not None and s[0]["leader"] in survivors, s
    assert sorted(consume_all(client_bootstrap(cluster), topic, 3, 90)) == sorted(values + more)


def test_sasl_plaintext_plain_inter_broker(cluster_factory) -> None:
    """(b) SASL_PLAINTEXT with PLAIN as `sasl.mechanism.inter.broker.protocol`: the broker logs
    in with the `username`/`password` of the listener's PLAIN JAAS entry, which also lists the
    broker among `user_*`; followers replicate (full ISR, acks=all delivered)."""
    cluster = cluster_factory(broker_ids=[])
    add_brokers(cluster, [0, 1, 2], "SASL_PLAINTEXT", {
        "listener.name.internal.sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.internal.plain.sasl.jaas.config": plain_jaas(BROKER_PASSWORD),
    })
    cluster.start()
    topic = new_rf3_topic(cluster)
    values = [f"p{i}".encode() for i in range(30)]
    assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, values, timeout=60) == [None] * 30
    wait_isr(cluster, topic, 3, {0, 1, 2})
    assert sorted(consume_all(client_bootstrap(cluster), topic, 3, 30)) == sorted(values)


def test_wrong_inter_broker_password_keeps_the_follower_out_of_the_isr(cluster_factory) -> None:
    """(c) A broker whose inter-broker SCRAM password is wrong cannot fetch: its replicas never
    join the ISR, and its log names the authentication failure (Kafka: `Selector` "Failed
    authentication with ...", `NetworkClient` "failed authentication due to: Authentication failed
    during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"). Restarted
    with the right password, the same broker joins the ISR (the password was the only cause)."""
    cluster = cluster_factory(broker_ids=[])
    internal = {
        "listener.name.internal.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
        "listener.name.internal.scram-sha-512.sasl.jaas.config": scram_jaas(BROKER_PASSWORD),
    }
    add_brokers(cluster, [0, 1, 2], "SASL_PLAINTEXT", internal)
    bad = cluster.broker(2)
    bad.extra_properties["listener.name.internal.scram-sha-512.sasl.jaas.config"] = scram_jaas("wrong-password")
    write_broker_scram_user(cluster, "SCRAM-SHA-512")
    for b in cluster.brokers[:2]:
        b.start(wait=False)
    for b in cluster.brokers[:2]:
        b.wait_registered()
    cluster.view.wait_controller(60)
    topic = new_rf3_topic(cluster, partitions=2)
    wait_isr(cluster, topic, 2, {0, 1})
    bad.start()
    values = [f"c{i}".encode() for i in range(20)]
    assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, values, timeout=60) == [None] * 20
    marker = "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"
    wait_until(lambda: marker in bad.output(), 60, "the bad broker to log its authentication failure")
    assert "failed authentication" in bad.output().lower()
    # Give the follower well past one fetch backoff to (wrongly) catch up.
    time.sleep(8)
    for p in range(2):
        s = state(cluster, topic, p)
        assert s is not None and 2 not in s[0]["isr"], s

    bad.stop()
    bad.extra_properties["listener.name.internal.scram-sha-512.sasl.jaas.config"] = scram_jaas(BROKER_PASSWORD)
    bad.start()
    wait_isr(cluster, topic, 2, {0, 1, 2})


def test_default_gssapi_inter_broker_mechanism_is_a_config_error(cluster_factory) -> None:
    """(d) `sasl.mechanism.inter.broker.protocol` defaults to GSSAPI; an inter-broker SASL
    listener that only enables PLAIN fails startup with Kafka's `KafkaConfig.validateValues`
    message."""
    cluster = cluster_factory(broker_ids=[])
    add_brokers(cluster, [0], "SASL_PLAINTEXT", {
        "listener.name.internal.sasl.enabled.mechanisms": "PLAIN",
        "listener.name.internal.plain.sasl.jaas.config": plain_jaas(BROKER_PASSWORD),
    })
    b = cluster.brokers[0]
    b.start(wait=False)
    assert b.wait_exit(90) != 0
    assert ("sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms "
            "when SASL is used for inter-broker communication") in b.output()
    assert cluster.view.get("/brokers/ids/0") is None


def cert_for_other_host(certs_dir: Path) -> Path:
    """A broker certificate signed by the test CA that names only `broker.invalid` (not
    127.0.0.1, where the brokers are reached): PEM key + chain, as `make_certs` writes them."""
    def sh(*args: str) -> None:
        subprocess.run(args, cwd=certs_dir, check=True, capture_output=True)

    (certs_dir / "other.ext").write_text("subjectAltName=DNS:broker.invalid\n")
    sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.csr",
       "-subj", "/CN=broker.invalid")
    sh("openssl", "x509", "-req", "-in", "other.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
       "-out", "other.crt", "-days", "2", "-extfile", "other.ext")
    sh("openssl", "pkcs8", "-topk8", "-nocrypt", "-in", "other.key", "-out", "other.p8")
    pem = certs_dir / "other.pem"
    pem.write_text((certs_dir / "other.p8").read_text() + (certs_dir / "other.crt").read_text())
    return pem


@pytest.mark.parametrize("algorithm", ["https", ""])
def test_ssl_endpoint_identification(cluster_factory, tmp_path: Path, algorithm: str) -> None:
    """(e) SSL inter-broker listener whose certificates chain to the truststore but do not name
    127.0.0.1: with `ssl.endpoint.identification.algorithm=https` (Kafka's default, KIP-294) the
    brokers refuse each other's certificate (the SSL handshake fails and is logged, nothing
    replicates); with it empty only the chain is checked and replication works."""
    certs = make_certs(tmp_path / "certs")
    other = cert_for_other_host(tmp_path / "certs")
    cluster = cluster_factory(broker_ids=[])
    add_brokers(cluster, [0, 1, 2], "SSL", {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(other),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(certs["ca"]),
        "ssl.endpoint.identification.algorithm": algorithm,
        # A broker's SSL principal is its client certificate's subject.
        "listener.name.internal.ssl.client.auth": "required",
        "super.users": "User:CN=broker.invalid;User:admin",
    })
    cluster.start()
    topic = new_rf3_topic(cluster, partitions=2)
    if algorithm:
        wait_until(lambda: any("ssl handshake" in b.output().lower() for b in cluster.brokers),
                   60, "a logged SSL handshake failure")
        # No LeaderAndIsr/UpdateMetadata can reach any broker (the controller's own channel is
        # TLS too): no broker serves the topic.
        time.sleep(5)
        r = kcat_sasl(client_bootstrap(cluster), "admin", "admin-secret", "-L", "-J", "-m", "10", "-t", topic)
        assert r.returncode == 0, r.stderr
        topics = json.loads(r.stdout)["topics"]
        assert not any(p.get("leader", -1) >= 0 for t in topics for p in t.get("partitions", [])), topics
    else:
        values = [f"e{i}".encode() for i in range(20)]
        assert produce(client_bootstrap(cluster), topic, {**ADMIN, "acks": "all"}, values, timeout=60) == [None] * 20
        wait_isr(cluster, topic, 2, {0, 1, 2})
