"""Broker failure and return as the ZooKeeper-mode controller handles them (Kafka 3.9
`KafkaController.onBrokerFailure` → `onReplicasBecomeOffline`, `onBrokerStartup`;
`PartitionStateMachine` with the OfflinePartitionLeaderElectionStrategy; `ReplicaStateMachine`
OfflineReplica = `doRemoveReplicasFromIsr`; semantics doc §1.4, §1.5, §1.7, §9 items 1-3), and
the leader-driven ISR expansion through AlterPartition when the broker returns
(`KafkaController.processAlterPartition`, §1.8)."""

from __future__ import annotations

import os
import time

from harness.broker import ZkafkaCluster
from harness.clients import kcat
from harness.waiting import wait_until

from controller_util import create_topic, kcat_produce, state, wait_served, wait_state

SESSION_S = 6.0  # the harness's zookeeper.session.timeout.ms


def test_leader_killed_new_leader_from_isr_then_returning_broker_rejoins_isr(cluster: ZkafkaCluster) -> None:
    """kill -9 of a partition leader: within the session timeout plus a few seconds the state
    znode names a new leader from the ISR with leader_epoch + 1 and an ISR without the dead broker
    (controller-driven changes bump the leader epoch); produce with acks=all to the new leader
    succeeds. When the broker returns it is told its partitions (LeaderAndIsr as follower), catches
    up, and the leader adds it back to the ISR with AlterPartition: the partition epoch (zkVersion)
    moves, the leader epoch does not."""
    topic = f"failover-{os.getpid()}"
    # The victim must not be the controller: a controller failover first removes the dead broker
    # from the ISR (leader -1, epoch + 1) and then elects (epoch + 1 again), as Kafka's
    # ReplicaStateMachine.startup runs before PartitionStateMachine.startup.
    cid = cluster.controller().broker_id
    lead, a, b = [x for x in (0, 1, 2) if x != cid][0], [x for x in (0, 1, 2) if x != cid][1], cid
    create_topic(cluster, topic, {0: [lead, a, b], 1: [a, b, lead]})
    wait_state(cluster, topic, 0, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    wait_served(cluster, topic, 2)
    assert kcat_produce(cluster.bootstrap_servers, topic, [f"k{i}:before{i}" for i in range(200)]).returncode == 0

    before, _ = state(cluster, topic, 0)
    victim = cluster.broker(before["leader"])
    killed_at = time.monotonic()
    victim.kill()
    after, version_after = wait_state(
        cluster, topic, 0, lambda s: s["leader"] not in (before["leader"], -1),
        SESSION_S + 10, "a new leader after kill -9 of the leader")
    elapsed = time.monotonic() - killed_at
    assert elapsed < SESSION_S + 10, elapsed
    assert after["leader"] in before["isr"]
    assert after["leader_epoch"] == before["leader_epoch"] + 1
    assert before["leader"] not in after["isr"]
    assert sorted(after["isr"]) == sorted(b for b in before["isr"] if b != before["leader"])
    # Partition 1 was led by another broker: only its ISR shrank, with a leader-epoch bump.
    p1, _ = wait_state(cluster, topic, 1, lambda s: before["leader"] not in s["isr"], 10, "ISR without the dead broker")
    assert p1["leader"] == a

    survivors = ",".join(b.bootstrap for b in cluster.running())
    produced = kcat_produce(survivors, topic, [f"k{i}:after{i}" for i in range(200)])
    assert produced.returncode == 0, produced.stderr

    # The broker returns: it rejoins the ISR through the leader's AlterPartition.
    victim.restart()
    rejoined, version_rejoined = wait_state(
        cluster, topic, 0, lambda s: sorted(s["isr"]) == [0, 1, 2], 60, "the returning broker back in the ISR")
    assert rejoined["leader"] == after["leader"]
    assert version_rejoined > version_after
    consumed = kcat(survivors, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%s\n", timeout=60)
    assert consumed.returncode == 0, consumed.stderr
    assert len(consumed.stdout.split()) == 400


def test_last_isr_member_is_never_removed_and_comes_back_as_leader(cluster: ZkafkaCluster) -> None:
    """A partition whose only in-sync replica dies reads leader=-1 with that broker still the
    sole ISR member (the controller never empties the ISR); with unclean election disabled
    (the default) the other live replica is not elected; when the ISR member returns it leads
    again (Kafka `doRemoveReplicasFromIsr`, `triggerOnlinePartitionStateChange`; §9 item 1)."""
    topic = f"last-isr-{os.getpid()}"
    create_topic(cluster, topic, {0: [1, 2]})
    wait_state(cluster, topic, 0, lambda s: s["isr"] == [1, 2], 20, "initial ISR")
    cluster.broker(2).kill()
    wait_state(cluster, topic, 0, lambda s: s["isr"] == [1], SESSION_S + 10, "ISR [1]")
    before, _ = state(cluster, topic, 0)
    broker1 = cluster.broker(1)
    broker1.kill()
    dead, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] == -1, SESSION_S + 10, "no leader")
    assert dead["isr"] == [1]
    assert dead["leader_epoch"] == before["leader_epoch"] + 1
    cluster.broker(2).restart()
    time.sleep(3)
    still, _ = state(cluster, topic, 0)
    assert still["leader"] == -1 and still["isr"] == [1], still
    broker1.restart()
    back, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] == 1, 30, "broker 1 leading again")
    assert back["leader_epoch"] == dead["leader_epoch"] + 1


def _leaderless_with_out_of_sync_replica(cluster: ZkafkaCluster, topic: str, config: dict) -> dict:
    """Topic [1, 2]: broker 2 dies (ISR [1]), then broker 1 (leader -1, ISR [1]), then broker 2
    returns. Returns the leaderless state."""
    create_topic(cluster, topic, {0: [1, 2]}, config)
    wait_state(cluster, topic, 0, lambda s: s["isr"] == [1, 2], 20, "initial ISR")
    broker2 = cluster.broker(2)
    broker2.kill()
    wait_state(cluster, topic, 0, lambda s: s["isr"] == [1], SESSION_S + 10, "ISR [1]")
    cluster.broker(1).kill()
    dead, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] == -1, SESSION_S + 10, "no leader")
    broker2.restart()
    return dead


def test_unclean_election_by_topic_override(cluster: ZkafkaCluster) -> None:
    """With `unclean.leader.election.enable=true` as a topic override in `/config/topics`, a
    partition with no live ISR member gets a live replica outside the ISR as leader, with ISR =
    [leader] (Kafka `collectUncleanLeaderElectionState`, `Election.leaderForOffline`; §1.4)."""
    topic = f"unclean-{os.getpid()}"
    dead = _leaderless_with_out_of_sync_replica(cluster, topic, {"unclean.leader.election.enable": "true"})
    unclean, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] == 2, 30, "unclean leader 2")
    assert unclean["isr"] == [2]
    assert unclean["leader_epoch"] == dead["leader_epoch"] + 1
    # KIP-704: an unclean leader is written RECOVERING (the field appears only then) and stays so
    # until its next AlterPartition (no follower can join while broker 1 is down).
    assert unclean.get("leader_recovery_state") == 1, unclean


def test_controller_killed_new_controller_elects_leaders_for_its_partitions(cluster: ZkafkaCluster) -> None:
    """kill -9 of the broker that is both controller and a partition leader: the new controller
    rebuilds its context from ZooKeeper on failover (replicas on dead brokers → OfflineReplica,
    Offline partitions elected) and produce keeps working (Kafka `onControllerFailover`,
    `ReplicaStateMachine.startup`, `PartitionStateMachine.startup`; §1.3)."""
    controller = cluster.controller()
    cid = controller.broker_id
    others = [b for b in (0, 1, 2) if b != cid]
    topic = f"ctl-kill-{os.getpid()}"
    create_topic(cluster, topic, {0: [cid, *others]})
    wait_state(cluster, topic, 0, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    wait_served(cluster, topic, 1)
    before, _ = state(cluster, topic, 0)
    controller.kill()
    cluster.view.wait_controller(SESSION_S + 15, not_id=cid)
    after, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] in others, SESSION_S + 15, "a new leader")
    assert cid not in after["isr"]
    assert after["leader_epoch"] > before["leader_epoch"]
    survivors = ",".join(b.bootstrap for b in cluster.running())
    assert kcat_produce(survivors, topic, ["k:v"]).returncode == 0


def test_elect_leaders_unclean_elects_outside_the_isr(cluster: ZkafkaCluster) -> None:
    """ElectLeaders UNCLEAN (KIP-460) is the one path that elects a replica outside the ISR
    regardless of the topic's `unclean.leader.election.enable` (default false): a leaderless
    partition whose ISR member is dead gets the live out-of-sync replica as leader, ISR = [it]
    (Kafka `processReplicaLeaderElection`, `onReplicaElection` with
    `allowUnclean = trigger == AdminClientTriggered`; §1.10)."""
    from harness.clients import run_java

    topic = f"unclean-api-{os.getpid()}"
    dead = _leaderless_with_out_of_sync_replica(cluster, topic, {})
    time.sleep(2)
    assert state(cluster, topic, 0)[0]["leader"] == -1, "a clean-only election must not pick broker 2"
    bootstrap = ",".join(b.bootstrap for b in cluster.running())
    result = run_java(
        "org.apache.kafka.tools.LeaderElectionCommand",
        ["--bootstrap-server", bootstrap, "--election-type", "UNCLEAN", "--topic", topic, "--partition", "0"],
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    elected, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] == 2, 20, "unclean leader 2")
    assert elected["isr"] == [2]
    assert elected["leader_epoch"] == dead["leader_epoch"] + 1
    assert elected.get("leader_recovery_state") == 1, elected
