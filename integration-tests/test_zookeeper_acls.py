"""`zookeeper.set.acl`: brokers authenticated to ZooKeeper with SASL DIGEST-MD5 create every
znode with Kafka's ACLs, and refuse to start with secure ACLs but no ZooKeeper login.

ZooKeeper runs with SASL (JAAS `Server` section with `user_kafka`, `authProvider.1 =
SASLAuthenticationProvider`); brokers get the JAAS `Client` section through `KAFKA_OPTS`
(`-Djava.security.auth.login.config=...`), as Kafka's scripts pass JVM options. The same file
runs against real Kafka 3.9.1 (`ZKAFKA_BIN=integration-tests/java/kafka-reference-broker`).

Kafka: `ZkData.defaultAcls` / `SensitiveRootPaths`, `KafkaZkClient` (every create),
`KafkaServer.initZkClient` (the startup check), `JaasUtils.isZkSaslEnabled`; layout doc §2.22.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ConfigResource,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)
from kazoo.client import KazooClient
from kazoo.exceptions import NoAuthError
from kazoo.security import make_acl

from harness.broker import is_reference_kafka, zkafka_bin
from harness.clients import confluent_config
from harness.procs import run_command
from harness.waiting import wait_until
from harness.zookeeper import ZooKeeperEnsemble, zookeeper_available

ZK_USER = "kafka"
ZK_PASSWORD = "kafka-zk-secret"
# ZooKeeper's super user (DigestAuthenticationProvider.superDigest) lets the test read every
# znode's ACL, including the ones the world may not read.
SUPER_PASSWORD = "super-secret"
# Kafka: ZkData.SensitiveRootPaths (prefix match, ZkData.sensitivePath).
SENSITIVE_ROOT_PATHS = ("/config/users", "/config/brokers", "/delegation_token/tokens")
AUTHORIZER = "kafka.security.authorizer.AclAuthorizer"
SECURE_ACL_MESSAGE = (
    "zookeeper.set.acl is true, but ZooKeeper client TLS configuration identifying at least "
    "zookeeper.ssl.client.enable, zookeeper.clientCnxnSocket, and zookeeper.ssl.keystore.location "
    "was not present and the verification of the JAAS login file failed "
    "[java.security.auth.login.config=null, zookeeper.sasl.client=default:true, "
    "zookeeper.sasl.clientconfig=default:Client]"
)


def _super_digest() -> str:
    raw = hashlib.sha1(f"super:{SUPER_PASSWORD}".encode()).digest()
    return "super:" + base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def sasl_zookeeper(tmp_path_factory: pytest.TempPathFactory):
    """A standalone ZooKeeper requiring nothing but offering SASL DIGEST-MD5 for user `kafka`."""
    reason = zookeeper_available()
    if reason:
        pytest.fail(f"ZooKeeper cannot be started: {reason}", pytrace=False)
    base = tmp_path_factory.mktemp("sasl-zookeeper")
    jaas = base / "zookeeper_jaas.conf"
    jaas.write_text(
        "Server {\n"
        "  org.apache.zookeeper.server.auth.DigestLoginModule required\n"
        f'  user_{ZK_USER}="{ZK_PASSWORD}";\n'
        "};\n"
    )
    ensemble = ZooKeeperEnsemble(
        base,
        size=1,
        jvm_options=[
            f"-Djava.security.auth.login.config={jaas}",
            f"-Dzookeeper.DigestAuthenticationProvider.superDigest={_super_digest()}",
        ],
        extra_config={"authProvider.1": "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"},
    )
    try:
        ensemble.start()
        yield ensemble
    finally:
        ensemble.stop()


def _client_jaas(directory: Path) -> Path:
    path = directory / "kafka_client_jaas.conf"
    path.write_text(
        "// The broker's ZooKeeper login (Kafka docs: security.html, ZooKeeper authentication)\n"
        "Client {\n"
        "  org.apache.zookeeper.server.auth.DigestLoginModule required\n"
        f'  username="{ZK_USER}"\n'
        f'  password="{ZK_PASSWORD}";\n'
        "};\n"
    )
    return path


def _kazoo(hosts: str, chroot: str, superuser: bool) -> KazooClient:
    auth = [("digest", f"super:{SUPER_PASSWORD}")] if superuser else None
    client = KazooClient(hosts=hosts + chroot, timeout=10.0, auth_data=auth)
    client.start(timeout=30)
    return client


def _walk(client: KazooClient, path: str = "/") -> list[str]:
    out = [path]
    for child in sorted(client.get_children(path)):
        out.extend(_walk(client, path.rstrip("/") + "/" + child))
    return out


def _acl_triples(client: KazooClient, path: str) -> list[tuple[str, str, int]]:
    acls, _ = client.get_acls(path)
    return [(a.id.scheme, a.id.id, a.perms) for a in acls]


def _expected(path: str, secure: bool) -> list[tuple[str, str, int]]:
    """Kafka: ZkData.defaultAcls(isSecure, path) as the server stores it (`auth` expanded to
    the creator's SASL identity)."""
    # The old consumer root stays open: "different consumers will write under this node".
    if not secure or path == "/consumers":
        return [("world", "anyone", 31)]
    acls = [("sasl", ZK_USER, 31)]
    if not any(path.startswith(p) for p in SENSITIVE_ROOT_PATHS):
        acls.append(("world", "anyone", 1))
    return acls


def _exercise_cluster(bootstrap: str, topic: str) -> None:
    """Topic creation, produce/consume, a topic config change, a SCRAM user and an ACL: each
    writes the znodes a Kafka cluster writes for it."""
    admin = AdminClient(confluent_config(bootstrap))
    for f in admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=2)]).values():
        f.result(30)
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "3600000"})
    for f in admin.alter_configs([resource]).values():
        f.result(30)
    upsert = UserScramCredentialUpsertion(
        "alice", ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), b"alice-secret"
    )
    for f in admin.alter_user_scram_credentials([upsert]).values():
        f.result(30)
    binding = AclBinding(ResourceType.TOPIC, topic, ResourcePatternType.LITERAL, "User:alice", "*",
                         AclOperation.READ, AclPermissionType.ALLOW)
    for f in admin.create_acls([binding]).values():
        f.result(30)

    producer = Producer(confluent_config(bootstrap))
    for i in range(10):
        producer.produce(topic, value=b"v%d" % i, partition=i % 2)
    assert producer.flush(30) == 0, "messages left unacknowledged"
    consumer = Consumer(confluent_config(bootstrap, **{"group.id": "acl-group", "auto.offset.reset": "earliest"}))
    consumer.subscribe([topic])
    got: list[bytes] = []

    def consumed() -> bool:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            got.append(msg.value())
        return len(got) >= 10

    try:
        wait_until(consumed, 60, "10 messages consumed")
    finally:
        consumer.close()
    assert sorted(got) == sorted(b"v%d" % i for i in range(10))


def test_secure_acls_on_every_znode(cluster_factory, sasl_zookeeper, tmp_path) -> None:
    """With `zookeeper.set.acl=true` and a JAAS `Client` login, every znode the brokers create —
    persistent paths, ephemerals (/brokers/ids/<id>, /controller), topic and partition state,
    configs, config-change and ACL-change notifications, SCRAM credentials, ACL znodes, the
    chroot itself — carries `sasl:kafka` ALL plus `world:anyone` READ, except under the
    sensitive roots (/config/users, /config/brokers, /delegation_token/tokens) where only the
    creator has access, and `/consumers` itself, which stays open; an unauthenticated client can read but not write, and cannot read the
    sensitive znodes; the cluster works.
    Kafka: `ZkData.defaultAcls`, `KafkaZkClient.createRecursive` / `registerBroker` /
    `registerControllerAndIncrementControllerEpoch` / `createSequentialPersistentPath`."""
    jaas = _client_jaas(tmp_path)
    cluster = cluster_factory(
        size=2,
        zk=sasl_zookeeper,
        properties={
            "zookeeper.set.acl": "true",
            "authorizer.class.name": AUTHORIZER,
            "super.users": "User:ANONYMOUS",
            "offsets.topic.replication.factor": "2",
        },
        env={"KAFKA_OPTS": f"-Djava.security.auth.login.config={jaas}"},
    ).start()
    topic = f"acl-{uuid.uuid4().hex[:6]}"
    _exercise_cluster(cluster.bootstrap_servers, topic)

    admin_zk = _kazoo(sasl_zookeeper.connect_string, cluster.chroot, superuser=True)
    try:
        paths = _walk(admin_zk)
        for required in ["/", "/brokers/ids/0", "/brokers/ids/1", "/controller", "/controller_epoch",
                         "/cluster/id", f"/brokers/topics/{topic}/partitions/1/state",
                         f"/config/topics/{topic}", "/config/users/alice", f"/kafka-acl/Topic/{topic}",
                         "/kafka-acl-extended/prefixed/Topic", "/latest_producer_id_block",
                         "/brokers/topics/__consumer_offsets"]:
            assert required in paths, f"{required} missing from {paths}"
        assert any(p.startswith("/config/changes/config_change_") for p in paths), paths
        assert any(p.startswith("/kafka-acl-changes/acl_changes_") for p in paths), paths
        wrong = {p: _acl_triples(admin_zk, p) for p in paths if _acl_triples(admin_zk, p) != _expected(p, True)}
        assert not wrong, f"znodes whose ACLs differ from ZkData.defaultAcls(true, path): {wrong}"
    finally:
        admin_zk.stop()
        admin_zk.close()

    anonymous = _kazoo(sasl_zookeeper.connect_string, cluster.chroot, superuser=False)
    try:
        data, _ = anonymous.get("/brokers/ids/0")
        assert b'"endpoints"' in data
        assert anonymous.get_children("/brokers/topics")
        denied = [
            lambda: anonymous.create("/brokers/intruder", b"x"),
            lambda: anonymous.create("/brokers/ids/99", b"x", ephemeral=True),
            lambda: anonymous.set("/controller", b"{}"),
            lambda: anonymous.delete("/controller"),
            lambda: anonymous.create("/kafka-acl/Topic/intruder", b"x"),
            lambda: anonymous.set(f"/kafka-acl/Topic/{topic}", b"{}"),
            lambda: anonymous.delete(f"/kafka-acl/Topic/{topic}"),
            lambda: anonymous.set_acls("/brokers", [make_acl("world", "anyone", all=True)]),
            lambda: anonymous.get("/config/users/alice"),
            lambda: anonymous.get_children("/config/users"),
        ]
        for i, attempt in enumerate(denied):
            with pytest.raises(NoAuthError):
                attempt()
                pytest.fail(f"unauthenticated attempt #{i} succeeded")
    finally:
        anonymous.stop()
        anonymous.close()

    if not is_reference_kafka():
        # zkafka's own `zk tree` logs in like the brokers (KAFKA_OPTS), so it can read the
        # creator-only credential znode; without the login ZooKeeper refuses it.
        tree = [str(zkafka_bin()), "zk", "tree", "--zookeeper", cluster.zookeeper_connect]
        authed = run_command(tree, env={"KAFKA_OPTS": f"-Djava.security.auth.login.config={jaas}"})
        assert authed.returncode == 0, authed.stderr[-2000:]
        assert "alice  SCRAM-SHA-256=<credential>" in authed.stdout, authed.stdout[-3000:]
        plain = run_command(tree, env={"KAFKA_OPTS": ""})
        assert plain.returncode != 0, plain.stdout[-2000:]


def test_sasl_login_without_set_acl_keeps_open_acls(cluster_factory, sasl_zookeeper, tmp_path) -> None:
    """A JAAS `Client` login alone does not change ACLs: with `zookeeper.set.acl=false` (the
    default) the broker still authenticates but creates every znode `OPEN_ACL_UNSAFE`.
    Kafka: `ZkData.defaultAcls(isSecure = zkEnableSecureAcls, path)`."""
    jaas = _client_jaas(tmp_path)
    cluster = cluster_factory(
        size=1,
        zk=sasl_zookeeper,
        env={"KAFKA_OPTS": f"-Djava.security.auth.login.config={jaas}"},
    ).start()
    admin_zk = _kazoo(sasl_zookeeper.connect_string, cluster.chroot, superuser=True)
    try:
        paths = _walk(admin_zk)
        assert "/brokers/ids/0" in paths and "/config/users" in paths
        wrong = {p: _acl_triples(admin_zk, p) for p in paths if _acl_triples(admin_zk, p) != _expected(p, False)}
        assert not wrong, f"znodes whose ACLs are not OPEN_ACL_UNSAFE: {wrong}"
    finally:
        admin_zk.stop()
        admin_zk.close()


def test_set_acl_without_zookeeper_login_fails_startup(cluster_factory, sasl_zookeeper) -> None:
    """`zookeeper.set.acl=true` with neither a JAAS client login nor ZooKeeper TLS client
    authentication: startup fails with Kafka's SecurityException message before any znode is
    written. Kafka: `KafkaServer.initZkClient`, `JaasUtils.zkSecuritySysConfigString`."""
    cluster = cluster_factory(
        size=1,
        zk=sasl_zookeeper,
        properties={"zookeeper.set.acl": "true"},
        env={"KAFKA_OPTS": ""},
    )
    broker = cluster.brokers[0]
    broker.start(wait=False)
    code = broker.wait_exit(60)
    assert code != 0, f"broker exited with {code}"
    assert SECURE_ACL_MESSAGE in broker.output(), broker.output()[-3000:]
    assert cluster.view.get("/brokers") is None, "znodes were written before the check"
