"""Issue 5 fault tests: no acknowledged record is lost through broker failures.

Three brokers on real ZooKeeper, a topic with replication factor 3 and min.insync.replicas=2
(topic config), and a real client producing sequence-numbered records with acks=all the whole
time (harness/checker.py). After each fault the cluster is brought back, every partition is read
back and compared with the acknowledgements: acknowledged-but-lost must be 0 (a record
acknowledged with acks=all is committed and survives while one ISR member survives: Kafka
design doc `#replication`, semantics doc §2.1, §2.4). Each test also checks that what every
broker serves in Metadata (leader, leader epoch, ISR, replicas) matches the partition state
znodes the controller wrote (semantics doc §1.4, §1.6).

The counts (acked, lost, duplicates, longest stall) are logged and appended to $FAULTS_REPORT.
Run against real Kafka 3.9.1 with ZKAFKA_BIN=integration-tests/java/kafka-reference-broker.
"""

from __future__ import annotations

import time
import uuid

import pytest

from harness.broker import ZkafkaCluster, is_reference_kafka, orderly_exit_codes
from harness.checker import ConfluentLoad, JavaLoad, verify
from harness.partition_state import (
    assert_zk_matches_metadata,
    create_topic_znodes,
    wait_partition_states,
)
from harness.waiting import stays_true, wait_until

pytestmark = [pytest.mark.broker, pytest.mark.slow]

PARTITIONS = 6
SESSION_TIMEOUT_MS = 6000
# Session expiry, then the controller's election and LeaderAndIsr/UpdateMetadata, on a loaded
# 2-core machine.
FAILOVER_S = SESSION_TIMEOUT_MS / 1000 + 30
CATCH_UP_S = 60.0
IMPL = "kafka-3.9.1" if is_reference_kafka() else "zkafka"


@pytest.fixture
def fault_cluster(cluster_factory) -> ZkafkaCluster:
    return cluster_factory(size=3, session_timeout_ms=SESSION_TIMEOUT_MS).start()


def new_topic(cluster: ZkafkaCluster, assignment: dict[int, list[int]]) -> str:
    """Creates the topic through ZooKeeper (min.insync.replicas=2) and waits until every broker
    serves it with every replica in the ISR."""
    topic = f"faults-{uuid.uuid4().hex[:8]}"
    create_topic_znodes(cluster, topic, assignment, {"min.insync.replicas": "2"})
    wait_full_isr(cluster, topic, 60.0)
    assert_zk_matches_metadata(cluster, topic)
    return topic


def wait_full_isr(cluster: ZkafkaCluster, topic: str, timeout: float = CATCH_UP_S) -> None:
    """Waits until every partition has a live leader and all three replicas in the ISR."""
    wait_partition_states(
        cluster.view, topic, lambda s: s.leader >= 0 and len(s.isr) == 3, timeout,
        f"all replicas of {topic} in the ISR",
    )


def wait_acks(load, n: int, since: float, what: str, timeout: float = 60.0) -> None:
    """Waits for `n` acknowledgements after `since` (service is up / has resumed)."""
    ledger_acks = getattr(load, "acks_since", None) or load.ledger.acks_since
    wait_until(lambda: ledger_acks(since) >= n, timeout, what,
               describe=lambda: f"{ledger_acks(since)} acks since then; errors {load.ledger.errors_by_name()}")


def rotated(ids: list[int], p: int) -> list[int]:
    """Replicas of partition p when leadership is spread round-robin (broker ids[p % n] first)."""
    k = p % len(ids)
    return ids[k:] + ids[:k]


def one_leader(leader: int, ids: list[int]) -> dict[int, list[int]]:
    """Every partition led by `leader` (first replica), the followers in alternating order."""
    others = [b for b in ids if b != leader]
    return {p: [leader] + (others if p % 2 == 0 else others[::-1]) for p in range(PARTITIONS)}


def zombie_load(cluster: ZkafkaCluster, topic: str) -> ConfluentLoad:
    """The checker with requests that outlive a pause past the session timeout, so that a
    zombie's answers to them reach the client."""
    return ConfluentLoad(cluster.bootstrap_servers, topic, PARTITIONS,
                         **{"request.timeout.ms": 25000, "socket.timeout.ms": 30000}).start()


def freeze_past_session_timeout(cluster: ZkafkaCluster, topic: str, zombie, load, while_frozen=None) -> None:
    """SIGSTOP `zombie` until the controller has moved every leadership and ISR entry away from
    it (its session expired) and produce resumed; `while_frozen()` runs then. Then SIGCONT: it
    must register again (a new ephemeral znode) and rejoin every ISR as a follower."""
    old_registration = zombie.last_czxid
    zombie.pause()
    if while_frozen is not None:
        while_frozen()
    wait_partition_states(
        cluster.view, topic,
        lambda s: s.leader not in (zombie.broker_id, -1) and zombie.broker_id not in s.isr,
        FAILOVER_S, f"new leaders while broker {zombie.broker_id} is frozen",
    )
    wait_acks(load, 100, time.time(), f"produce to resume while broker {zombie.broker_id} is frozen")
    assert_zk_matches_metadata(cluster, topic)
    zombie.resume()
    zombie.wait_registered(not_czxid=old_registration)
    wait_full_isr(cluster, topic)
    wait_acks(load, 200, time.time(), f"produce after broker {zombie.broker_id} rejoined as a follower")


def label(test: str) -> str:
    return f"{IMPL}:{test}"


# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("idempotent", [False, True], ids=["plain", "idempotent"])
def test_kill9_leader_of_all_partitions(fault_cluster: ZkafkaCluster, idempotent: bool) -> None:
    """kill -9 of the broker leading every partition: once its session expires the controller
    elects, for each partition, the first live ISR replica in assignment order and drops the dead
    broker from the ISR with a leader-epoch bump (`OfflinePartitionLeaderElectionStrategy`,
    `KafkaController.onBrokerFailure`, semantics doc §1.4, §1.7); producing resumes on the new
    leaders, nothing acknowledged is lost, and the restarted broker catches up and rejoins.

    The idempotent variant (librdkafka `enable.idempotence`, 500 records/s) also needs the new
    leaders to have the producer's state (replicated with the batches, rebuilt on promotion):
    its retries across the failover are deduplicated, so no duplicate and no failed record
    (`ProducerStateManager`, semantics doc §5.2)."""
    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    controller = cluster.controller().broker_id
    victim = next(b for b in ids if b != controller)
    assignment = one_leader(victim, ids)
    topic = new_topic(cluster, assignment)
    before = {p: s.leader_epoch for p, s in
              wait_partition_states(cluster.view, topic, lambda s: True, 5, "states").items()}

    if idempotent:
        load = ConfluentLoad(cluster.bootstrap_servers, topic, PARTITIONS, rate=500,
                             **{"enable.idempotence": True}).start()
    else:
        load = ConfluentLoad(cluster.bootstrap_servers, topic, PARTITIONS).start()
    wait_acks(load, 200, load.ledger.started_at, "the checker to be acknowledged")

    cluster.broker(victim).kill()
    states = wait_partition_states(
        cluster.view, topic, lambda s: s.leader not in (victim, -1) and victim not in s.isr,
        FAILOVER_S, f"new leaders for every partition led by the killed broker {victim}",
    )
    for p, s in states.items():
        assert s.leader == assignment[p][1], f"partition {p}: leader {s.leader}, expected {assignment[p][1]}"
        assert s.leader_epoch > before[p], f"partition {p}: election must bump the leader epoch"
    resumed = time.time()
    wait_acks(load, 200, resumed, "produce to resume on the new leaders")
    assert_zk_matches_metadata(cluster, topic)

    cluster.broker(victim).restart()
    wait_full_isr(cluster, topic)
    wait_acks(load, 200, time.time(), "produce after the broker rejoined")

    ledger = load.stop()
    report = verify(label("kill9-leader" + ("-idempotent" if idempotent else "")), ledger,
                    cluster.bootstrap_servers, topic)
    report.assert_nothing_lost()
    if idempotent:
        assert not ledger.errors, f"idempotent producer saw failed records: {report.summary()}"
        assert report.duplicates == 0, f"idempotent producer duplicated records: {report.summary()}"
    assert_zk_matches_metadata(cluster, topic)


def test_kill9_controller(fault_cluster: ZkafkaCluster) -> None:
    """kill -9 of the controller, which also leads a third of the partitions: another broker wins
    `/controller` with a higher epoch, rebuilds its context from ZooKeeper and elects leaders for
    the dead broker's partitions (`KafkaController.onControllerFailover`, `onBrokerFailure`,
    semantics doc §1.3, §1.7); nothing acknowledged is lost."""
    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    assignment = {p: rotated(ids, p) for p in range(PARTITIONS)}
    topic = new_topic(cluster, assignment)
    victim = cluster.controller().broker_id
    epoch = cluster.view.controller_epoch()

    load = ConfluentLoad(cluster.bootstrap_servers, topic, PARTITIONS).start()
    wait_acks(load, 200, load.ledger.started_at, "the checker to be acknowledged")

    cluster.broker(victim).kill()
    cluster.view.wait_controller(FAILOVER_S, not_id=victim, min_epoch=epoch + 1)
    states = wait_partition_states(
        cluster.view, topic, lambda s: s.leader not in (victim, -1) and victim not in s.isr,
        FAILOVER_S, f"new leaders for the partitions of the killed controller {victim}",
    )
    for p, s in states.items():
        expected = next(b for b in assignment[p] if b != victim)
        assert s.leader == expected, f"partition {p}: leader {s.leader}, expected {expected}"
    wait_acks(load, 200, time.time(), "produce to resume after controller failover")
    assert_zk_matches_metadata(cluster, topic)

    cluster.broker(victim).restart()
    wait_full_isr(cluster, topic)
    wait_acks(load, 200, time.time(), "produce after the old controller rejoined")

    report = verify(label("kill9-controller"), load.stop(), cluster.bootstrap_servers, topic)
    report.assert_nothing_lost()
    assert_zk_matches_metadata(cluster, topic)


def test_sigstop_leader_past_session_timeout(fault_cluster: ZkafkaCluster) -> None:
    """SIGSTOP of the leader of every partition for longer than its ZooKeeper session timeout,
    then SIGCONT: meanwhile the controller elects new leaders with higher leader epochs; the
    woken zombie still believes it leads and answers the produce requests queued on its sockets,
    but it cannot acknowledge any of them (its followers fetch from the new leaders, its ISR
    shrink is fenced by the partition epoch, and the controller's LeaderAndIsr makes it a
    follower that truncates) — so no acknowledged record vanishes (`Partition.makeFollower`,
    `KafkaController.tryProcessAlterPartition`, semantics doc §1.8, §2.5, issue 5 item 5)."""
    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    controller = cluster.controller().broker_id
    zombie_id = next(b for b in ids if b != controller)
    zombie = cluster.broker(zombie_id)
    assignment = one_leader(zombie_id, ids)
    topic = new_topic(cluster, assignment)

    load = zombie_load(cluster, topic)
    wait_acks(load, 200, load.ledger.started_at, "the checker to be acknowledged")
    freeze_past_session_timeout(cluster, topic, zombie, load)

    report = verify(label("sigstop-leader"), load.stop(), cluster.bootstrap_servers, topic)
    report.assert_nothing_lost()
    assert_zk_matches_metadata(cluster, topic)


def test_sigstop_controller_past_session_timeout(fault_cluster: ZkafkaCluster) -> None:
    """SIGSTOP of the controller (leading a third of the partitions) past its session timeout,
    then SIGCONT: another broker becomes controller with a higher epoch and elects new leaders;
    the woken zombie controller's ZooKeeper writes are fenced by the `/controller_epoch` version
    check, it resigns, registers again and rejoins as an ordinary broker
    (`KafkaController.onControllerResignation`, `KafkaZkClient` `checkControllerAndEpoch`
    multi-op, semantics doc §1.3, §9.3); nothing acknowledged is lost."""
    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    assignment = {p: rotated(ids, p) for p in range(PARTITIONS)}
    topic = new_topic(cluster, assignment)
    zombie = cluster.controller()
    epoch = cluster.view.controller_epoch()

    load = zombie_load(cluster, topic)
    wait_acks(load, 200, load.ledger.started_at, "the checker to be acknowledged")
    elected: list[int] = []

    def new_controller() -> None:
        cluster.view.wait_controller(FAILOVER_S, not_id=zombie.broker_id, min_epoch=epoch + 1)
        elected.append(cluster.view.controller_epoch())

    freeze_past_session_timeout(cluster, topic, zombie, load, while_frozen=new_controller)
    assert cluster.view.controller_epoch() == elected[0], "the controller changed again after the zombie woke"
    assert cluster.view.controller_id() != zombie.broker_id

    report = verify(label("sigstop-controller"), load.stop(), cluster.bootstrap_servers, topic)
    report.assert_nothing_lost()
    assert_zk_matches_metadata(cluster, topic)


def test_rolling_restart_by_controlled_shutdown(fault_cluster: ZkafkaCluster, tmp_path) -> None:
    """Each broker in turn is stopped with SIGTERM (controlled shutdown: it asks the controller
    to move its leaderships away first, `KafkaServer.controlledShutdown`,
    `KafkaController.doControlledShutdown`, semantics doc §1.11) and restarted, waiting for a
    full ISR in between: the Java producer with default settings (acks=all, idempotent, retries
    on) sees no failed send, nothing acknowledged is lost and nothing is duplicated."""
    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    topic = new_topic(cluster, {p: rotated(ids, p) for p in range(PARTITIONS)})

    load = JavaLoad(tmp_path / "java-producer", cluster.bootstrap_servers, topic, PARTITIONS).start()
    wait_acks(load, 200, load.ledger.started_at, "the Java producer to be acknowledged")

    for broker in cluster.brokers:
        code = broker.stop(timeout=90)
        assert code in orderly_exit_codes(), f"broker {broker.broker_id} exited with {code}"
        wait_partition_states(
            cluster.view, topic, lambda s, b=broker.broker_id: s.leader not in (b, -1) and b not in s.isr,
            FAILOVER_S, f"leadership and ISR to leave stopped broker {broker.broker_id}",
        )
        wait_acks(load, 100, time.time(), f"produce while broker {broker.broker_id} is down")
        broker.restart()
        wait_full_isr(cluster, topic)
        wait_acks(load, 100, time.time(), f"produce after broker {broker.broker_id} rejoined")

    ledger = load.stop()
    report = verify(label("rolling-restart-java"), ledger, cluster.bootstrap_servers, topic)
    assert not ledger.errors, f"the Java producer saw failed sends: {ledger.errors[:10]}"
    report.assert_nothing_lost()
    assert report.duplicates == 0, f"idempotent producer duplicated records: {report.summary()}"
    assert_zk_matches_metadata(cluster, topic)


def test_kill9_two_of_three_brokers(fault_cluster: ZkafkaCluster) -> None:
    """kill -9 of two of three brokers: the survivor leads every partition with ISR [itself]
    (the last ISR member is never removed, semantics doc §1.5, §9.1), acks=all produce fails with
    NOT_ENOUGH_REPLICAS since |ISR| < min.insync.replicas (`Partition.appendRecordsToLeader`,
    §2.4) and nothing is acknowledged; when one broker returns and rejoins the ISR, produce
    succeeds again; nothing acknowledged is lost."""
    from confluent_kafka import Producer

    cluster = fault_cluster
    ids = [b.broker_id for b in cluster.brokers]
    assignment = {p: rotated(ids, p) for p in range(PARTITIONS)}
    topic = new_topic(cluster, assignment)
    survivor = cluster.controller().broker_id
    victims = [b for b in ids if b != survivor]

    # Few retries, so the refusals surface as delivery errors instead of long waits.
    load = ConfluentLoad(cluster.bootstrap_servers, topic, PARTITIONS,
                         **{"message.send.max.retries": 3, "retry.backoff.ms": 250}).start()
    wait_acks(load, 200, load.ledger.started_at, "the checker to be acknowledged")

    for v in victims:
        cluster.broker(v).kill()
    wait_partition_states(
        cluster.view, topic, lambda s: s.leader == survivor and tuple(s.isr) == (survivor,),
        FAILOVER_S, f"broker {survivor} to lead every partition with ISR [{survivor}]",
    )
    assert_zk_matches_metadata(cluster, topic)

    # A producer without retries is refused on every partition, and never acknowledged.
    probe = Producer({"bootstrap.servers": cluster.broker(survivor).bootstrap, "acks": "all",
                      "enable.idempotence": False, "message.send.max.retries": 0,
                      "message.timeout.ms": 30000})
    refused: set[int] = set()

    def all_refused() -> bool:
        outcomes: dict[int, str] = {}
        for p in range(PARTITIONS):
            if p in refused:
                continue
            probe.produce(topic, b"probe", partition=p,
                          on_delivery=lambda err, msg, p=p: outcomes.__setitem__(p, err.name() if err else "ACKED"))
        probe.flush(30)
        assert "ACKED" not in outcomes.values(), f"acks=all acknowledged with ISR [{survivor}] < min.insync.replicas=2: {outcomes}"
        refused.update(p for p, name in outcomes.items() if name == "NOT_ENOUGH_REPLICAS")
        return len(refused) == PARTITIONS

    wait_until(all_refused, 30, "NOT_ENOUGH_REPLICAS on every partition", interval=0.5,
               describe=lambda: f"refused {sorted(refused)}")
    refused_at = time.time()
    stays_true(lambda: load.ledger.acks_since(refused_at) == 0, 3.0,
               "no acknowledgement while the ISR is below min.insync.replicas")

    returning = cluster.broker(victims[0])
    restarted_at = time.time()
    returning.restart()
    assert not load.ledger.acks_between(refused_at, restarted_at), "acknowledged while refusing"
    wait_partition_states(
        cluster.view, topic, lambda s: s.leader >= 0 and len(s.isr) >= 2,
        CATCH_UP_S, f"broker {victims[0]} back in the ISR of every partition",
    )
    wait_acks(load, 200, time.time(), "produce to resume with two brokers")

    cluster.broker(victims[1]).restart()
    wait_full_isr(cluster, topic)

    report = verify(label("kill9-two-of-three"), load.stop(), cluster.bootstrap_servers, topic)
    report.assert_nothing_lost()
    assert_zk_matches_metadata(cluster, topic)
