"""A leader paused past its ZooKeeper session timeout is replaced, and when it resumes it is
fenced: its ISR changes are refused by the controller (stale broker epoch / leader epoch), the
controller's LeaderAndIsr with a higher leader epoch makes it a follower of the new leader, and
it ends with exactly the new leader's log (Kafka `KafkaController.processBrokerChange` (dead, then
new broker), `tryProcessAlterPartition` fencing, `ReplicaManager.becomeLeaderOrFollower`;
semantics doc §1.3, §1.7, §2.5, §9 item 2)."""

from __future__ import annotations

import json
import os
import time

from harness.broker import ZkafkaCluster
from harness.clients import kcat
from harness.waiting import wait_until

from controller_util import create_topic, kcat_produce, state, wait_served, wait_state

SESSION_S = 6.0


def test_paused_leader_is_fenced_and_follows_the_new_leader(cluster_factory) -> None:
    cluster: ZkafkaCluster = cluster_factory(size=3, properties={"auto.leader.rebalance.enable": "false"}).start()
    cid = cluster.controller().broker_id
    zombie_id, a, b = [x for x in (0, 1, 2) if x != cid][0], [x for x in (0, 1, 2) if x != cid][1], cid
    topic = f"zombie-{os.getpid()}"
    create_topic(cluster, topic, {0: [zombie_id, a, b]})
    wait_state(cluster, topic, 0, lambda s: len(s["isr"]) == 3, 20, "initial ISR")
    wait_served(cluster, topic, 1)
    assert kcat_produce(cluster.bootstrap_servers, topic, [f"k:before{i}" for i in range(100)]).returncode == 0
    before, _ = state(cluster, topic, 0)
    assert before["leader"] == zombie_id

    zombie = cluster.broker(zombie_id)
    old_czxid = zombie.registration().czxid
    zombie.pause()
    try:
        moved, _ = wait_state(cluster, topic, 0, lambda s: s["leader"] not in (zombie_id, -1),
                              SESSION_S + 15, "a new leader while the old one is paused")
        assert moved["leader_epoch"] > before["leader_epoch"]
        assert zombie_id not in moved["isr"]
        others = ",".join(cluster.broker(x).bootstrap for x in (a, b))
        assert kcat_produce(others, topic, [f"k:during{i}" for i in range(100)]).returncode == 0
    finally:
        zombie.resume()

    # The zombie re-registers with a new broker epoch, is told to follow, catches up and rejoins.
    zombie.wait_registered(30, not_czxid=old_czxid)
    rejoined, _ = wait_state(cluster, topic, 0, lambda s: len(s["isr"]) == 3, 60, "the old leader back in the ISR")
    assert rejoined["leader"] == moved["leader"]
    assert rejoined["leader_epoch"] == moved["leader_epoch"]

    # Leadership back to the old leader (preferred): it serves exactly the acknowledged records.
    body = {"version": 1, "partitions": [{"topic": topic, "partition": 0}]}
    cluster.view.client.create("/admin/preferred_replica_election", json.dumps(body).encode(), makepath=True)
    wait_state(cluster, topic, 0, lambda s: s["leader"] == zombie_id, 30, "the old leader preferred again")
    wait_until(lambda: _served_leader(zombie.bootstrap, topic) == zombie_id, 20, "metadata naming the old leader")
    consumed = kcat(zombie.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%s\n", timeout=60)
    assert consumed.returncode == 0, consumed.stderr
    values = consumed.stdout.split()
    assert values == [f"before{i}" for i in range(100)] + [f"during{i}" for i in range(100)]


def _served_leader(bootstrap: str, topic: str) -> int:
    from harness.clients import kcat_metadata
    md = kcat_metadata(bootstrap, topic)
    return md["topics"][0]["partitions"][0]["leader"]
