"""Cluster metadata as real clients see it: brokers learn the live broker list and the controller
only from the controller's UpdateMetadata requests (Kafka ZK mode: `ControllerChannelManager`,
`ZkMetadataCache`; semantics doc §1.6, §1.7), never by reading ZooKeeper themselves."""

from __future__ import annotations

import time

from harness.broker import ZkafkaCluster
from harness.clients import kafka_python_config, kcat_metadata
from harness.waiting import wait_until

FAILOVER_GRACE_S = 15.0


def _brokers_and_controller(bootstrap: str) -> tuple[list[tuple[int, str]], int]:
    md = kcat_metadata(bootstrap)
    brokers = sorted((b["id"], b["name"]) for b in md["brokers"])
    return brokers, md["controllerid"]


def test_every_broker_serves_the_controllers_broker_list(cluster: ZkafkaCluster) -> None:
    """After failover the controller sends UpdateMetadata (no partitions) to every live broker
    (Kafka: `onControllerFailover` step "send UpdateMetadata before the state machines start"),
    so kcat asking any single broker sees all three brokers at their advertised endpoints and
    the controller id written in /controller."""
    controller_id = cluster.view.controller_id()
    expected = sorted((b.broker_id, b.bootstrap) for b in cluster.running())
    for broker in cluster.running():
        seen = wait_until(
            lambda: (lambda r: r if r[0] == expected else None)(_brokers_and_controller(broker.bootstrap)),
            20.0,
            f"broker {broker.broker_id} to list every broker",
        )
        assert seen[1] == controller_id, f"broker {broker.broker_id} names controller {seen[1]}"


def test_confluent_and_kafka_python_see_cluster_id_and_brokers(cluster: ZkafkaCluster) -> None:
    """librdkafka (confluent-kafka) and kafka-python read the same Metadata: the cluster id from
    /cluster/id, the controller, and all live brokers (Metadata v1+ fields)."""
    from confluent_kafka.admin import AdminClient
    from kafka import KafkaAdminClient

    cluster_id = cluster.view.require("/cluster/id").json()["id"]
    controller_id = cluster.view.controller_id()
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap_servers})
    md = wait_until(
        lambda: (lambda m: m if len(m.brokers) == 3 else None)(admin.list_topics(timeout=10)),
        20.0,
        "confluent-kafka to see 3 brokers",
    )
    assert md.cluster_id == cluster_id
    assert md.controller_id == controller_id
    assert sorted(md.brokers) == [0, 1, 2]

    kp = KafkaAdminClient(**kafka_python_config(cluster.bootstrap_servers))
    try:
        described = kp.describe_cluster()
        assert described["cluster_id"] == cluster_id
        assert described["controller_id"] == controller_id
        brokers = described["brokers"]
        # kafka-python returns the raw Metadata broker structs (key name differs by version).
        ids = sorted(next(v for k, v in b.items() if k in ("node_id", "nodeId", "broker_id")) for b in brokers)
        assert ids == [0, 1, 2], brokers
    finally:
        kp.close()


def test_broker_death_and_controller_failover_reach_clients(cluster: ZkafkaCluster) -> None:
    """kill -9 of the controller: once its session expires a new controller is elected, and its
    UpdateMetadata tells the survivors the new live set and controller id (Kafka:
    `onBrokerFailure` sends UpdateMetadata to the remaining brokers; a new controller sends it to
    all on failover). A client asking a survivor stops seeing the dead broker."""
    old_id = cluster.view.controller_id()
    cluster.broker(old_id).kill()
    survivors = [b for b in cluster.running() if b.broker_id != old_id]
    deadline = cluster.session_timeout_ms / 1000 + FAILOVER_GRACE_S
    started = time.monotonic()
    expected = sorted((b.broker_id, b.bootstrap) for b in survivors)
    for broker in survivors:
        brokers, controller = wait_until(
            lambda: (lambda r: r if r[0] == expected and r[1] != old_id else None)(
                _brokers_and_controller(broker.bootstrap)
            ),
            max(1.0, deadline - (time.monotonic() - started)),
            f"broker {broker.broker_id} to drop broker {old_id} and name a new controller",
        )
        assert controller == cluster.view.controller_id()
