"""Controlled shutdown, preferred leader election (ElectLeaders API, the
`/admin/preferred_replica_election` znode, auto-rebalance) and producer id blocks on the
ZooKeeper-mode controller (Kafka 3.9 `KafkaServer.controlledShutdown`,
`KafkaController.doControlledShutdown`, `processReplicaLeaderElection`,
`checkAndTriggerAutoLeaderRebalance`, `processAllocateProducerIds`; semantics doc §1.10, §1.11,
§5.1, §9 items 5-6)."""

from __future__ import annotations

import json
import os
import time

from confluent_kafka import Producer

from harness.broker import ZkafkaCluster, orderly_exit_codes
from harness.clients import confluent_config, run_java
from harness.waiting import wait_until

from controller_util import create_topic, kcat_produce, state, state_path, wait_served, wait_state

SESSION_S = 6.0
NO_REBALANCE = {"auto.leader.rebalance.enable": "false"}


def _assignment() -> dict[int, list[int]]:
    return {0: [0, 1, 2], 1: [1, 2, 0], 2: [2, 0, 1], 3: [0, 2, 1]}


def _leaders(cluster: ZkafkaCluster, topic: str, n: int) -> dict[int, int]:
    return {p: state(cluster, topic, p)[0]["leader"] for p in range(n)}


def _topic_after_bounce(cluster: ZkafkaCluster, prefix: str) -> str:
    """A 4-partition RF-3 topic with full ISRs, then broker 0 killed and restarted: its
    preferred partitions (0 and 3) are led elsewhere."""
    topic = f"{prefix}-{os.getpid()}"
    create_topic(cluster, topic, _assignment())
    for p in range(4):
        wait_state(cluster, topic, p, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    _bounce(cluster, 0, topic, 4)
    return topic


def _bounce(cluster: ZkafkaCluster, broker_id: int, topic: str, n: int) -> None:
    """Kills and restarts a broker, then waits until it is back in every ISR."""
    cluster.broker(broker_id).kill()
    for p in range(n):
        wait_state(cluster, topic, p, lambda s: broker_id not in s["isr"], SESSION_S + 10, "dead broker out of ISR")
    cluster.broker(broker_id).restart()
    for p in range(n):
        wait_state(cluster, topic, p, lambda s: len(s["isr"]) == 3, 60, "full ISR again")


def test_sigterm_moves_leadership_before_the_broker_exits(cluster_factory) -> None:
    """SIGTERM → the broker sends ControlledShutdown to the controller before stopping; the
    controller moves leadership of the RF>1 partitions it leads to another ISR member and drops it
    from every ISR (leader epoch + 1), all before the process exits, and the broker logs the
    successful controlled shutdown."""
    cluster = cluster_factory(size=3, properties=NO_REBALANCE).start()
    topic = f"cs-{os.getpid()}"
    create_topic(cluster, topic, _assignment())
    for p in range(4):
        wait_state(cluster, topic, p, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    wait_served(cluster, topic, 4)
    victim_id = 0 if cluster.controller().broker_id != 0 else 1
    led = [p for p, leader in _leaders(cluster, topic, 4).items() if leader == victim_id]
    assert led, "the victim leads nothing"
    before = {p: state(cluster, topic, p)[0] for p in range(4)}
    victim = cluster.broker(victim_id)
    assert victim.stop(timeout=60) in orderly_exit_codes()
    exited_ms = time.time() * 1000
    for p in range(4):
        node = cluster.view.get(state_path(topic, p))
        s = node.json()
        assert s["leader"] != victim_id, (p, s)
        assert victim_id not in s["isr"], (p, s)
        assert s["leader_epoch"] == before[p]["leader_epoch"] + 1, (p, before[p], s)
        assert node.stat.mtime <= exited_ms, "the state changed only after the broker exited"
    assert "Controlled shutdown request returned successfully" in victim.output()
    survivors = ",".join(b.bootstrap for b in cluster.running())
    assert kcat_produce(survivors, topic, ["k:v"]).returncode == 0


def test_elect_leaders_restores_preferred_leaders(cluster_factory) -> None:
    """After a broker bounce its partitions are led elsewhere; Kafka's LeaderElectionCommand
    (ElectLeaders v2, PREFERRED, sent to the controller) moves each back to its first assigned
    replica; a second run finds nothing to do (ELECTION_NOT_NEEDED is not an error)."""
    cluster = cluster_factory(size=3, properties=NO_REBALANCE).start()
    topic = _topic_after_bounce(cluster, "pref")
    moved = _leaders(cluster, topic, 4)
    assert moved[0] != 0 and moved[3] != 0, moved
    result = run_java(
        "org.apache.kafka.tools.LeaderElectionCommand",
        ["--bootstrap-server", cluster.bootstrap_servers, "--election-type", "PREFERRED",
         "--all-topic-partitions"],
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Successfully completed leader election" in result.stdout, result.stdout
    for p, replicas in _assignment().items():
        wait_state(cluster, topic, p, lambda s, r=replicas: s["leader"] == r[0], 20, "preferred leader")
    again = run_java(
        "org.apache.kafka.tools.LeaderElectionCommand",
        ["--bootstrap-server", cluster.bootstrap_servers, "--election-type", "PREFERRED",
         "--topic", topic, "--partition", "0"],
        timeout=120,
    )
    assert "Valid replica already elected" in again.stdout + again.stderr, again.stdout + again.stderr


def test_preferred_replica_election_znode(cluster_factory) -> None:
    """The legacy trigger: creating `/admin/preferred_replica_election` with a partition list makes
    the controller run a preferred election for them and delete the znode afterwards
    (`PreferredReplicaElectionHandler`, `removePartitionsFromPreferredReplicaElection`)."""
    cluster = cluster_factory(size=3, properties=NO_REBALANCE).start()
    topic = _topic_after_bounce(cluster, "prefzk")
    body = {"version": 1, "partitions": [{"topic": topic, "partition": 0}, {"topic": topic, "partition": 3}]}
    cluster.view.client.create("/admin/preferred_replica_election", json.dumps(body).encode(), makepath=True)
    wait_state(cluster, topic, 0, lambda s: s["leader"] == 0, 20, "preferred leader 0")
    wait_state(cluster, topic, 3, lambda s: s["leader"] == 0, 20, "preferred leader 0")
    wait_until(lambda: not cluster.view.exists("/admin/preferred_replica_election"), 20,
               "the controller to delete /admin/preferred_replica_election")


def test_auto_leader_rebalance(cluster_factory) -> None:
    """With `auto.leader.rebalance.enable=true` and a 1 s check interval, a broker whose
    preferred partitions are all led elsewhere (imbalance 100% > 10%) gets them back without any
    request (`checkAndTriggerAutoLeaderRebalance`)."""
    cluster = cluster_factory(size=3, properties={
        "auto.leader.rebalance.enable": "true",
        "leader.imbalance.check.interval.seconds": "1",
    }).start()
    topic = _topic_after_bounce(cluster, "auto")
    for p, replicas in _assignment().items():
        wait_state(cluster, topic, p, lambda s, r=replicas: s["leader"] == r[0], 30, "preferred leader back")


def test_idempotent_producer_gets_ids_from_latest_producer_id_block(cluster: ZkafkaCluster) -> None:
    """An idempotent producer (confluent-kafka `enable.idempotence=true`) asks any broker for
    InitProducerId; the broker gets a block of 1000 ids from the controller (AllocateProducerIds),
    which writes `/latest_producer_id_block` in Kafka's JSON conditionally on its zkVersion."""
    topic = f"idem-{os.getpid()}"
    create_topic(cluster, topic, {0: [0, 1, 2], 1: [1, 2, 0]})
    for p in range(2):
        wait_state(cluster, topic, p, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    wait_served(cluster, topic, 2)
    errors: list = []
    for round_ in range(3):
        producer = Producer(confluent_config(cluster.bootstrap_servers, **{"enable.idempotence": True, "acks": "all"}))
        for i in range(100):
            producer.produce(topic, key=f"k{i}", value=f"v{round_}-{i}",
                             on_delivery=lambda err, msg: errors.append(err) if err else None)
        assert producer.flush(60) == 0
    assert errors == []
    node = cluster.view.require("/latest_producer_id_block")
    block = node.json()
    assert list(block) == ["version", "broker", "block_start", "block_end"], block
    assert block["version"] == 1
    start, end = int(block["block_start"]), int(block["block_end"])
    assert end - start == 999 and start % 1000 == 0, block
    assert node.version >= 1

    # The Java producer with default settings (idempotent, acks=all) needs InitProducerId too.
    perf = run_java(
        "org.apache.kafka.tools.ProducerPerformance",
        ["--topic", topic, "--num-records", "2000", "--record-size", "100", "--throughput", "-1",
         "--producer-props", f"bootstrap.servers={cluster.bootstrap_servers}"],
        timeout=120,
    )
    assert perf.returncode == 0, perf.stdout + perf.stderr
    assert "2000 records sent" in perf.stdout, perf.stdout + perf.stderr
