"""Topics created the ZooKeeper way — `/config/topics/<t>` then `/brokers/topics/<t>`, exactly as
Kafka's `AdminZkClient.createTopicWithAssignment` writes them — are picked up by the controller
through its `/brokers/topics` child watch, which creates every partition's state znode (New →
Online: leader = first live replica, ISR = live replicas, leader epoch 0) and sends LeaderAndIsr
and UpdateMetadata to the brokers, after which real clients produce and consume (Kafka:
`KafkaController.processTopicChange`, `PartitionStateMachine.initializeLeaderAndIsrForPartitions`;
semantics doc §1.4, §1.9; layout doc §2.6, §2.7, §6.3)."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict

from harness.broker import ZkafkaCluster
from harness.clients import kcat, kcat_metadata
from harness.partition_state import create_topic_znodes as _create_topic_in_zookeeper
from harness.waiting import wait_until

RECORDS = 3000


def test_controller_creates_partition_state_and_clients_produce_and_consume(cluster: ZkafkaCluster) -> None:
    topic = f"zk-created-{os.getpid()}"
    assignment = {0: [0, 1, 2], 1: [1, 2, 0], 2: [2, 0, 1]}
    _create_topic_in_zookeeper(cluster, topic, assignment)
    zk = cluster.view
    epoch = zk.controller_epoch()

    # The state znodes: Kafka's exact bytes, partition epoch (zkVersion) 0.
    for partition, replicas in assignment.items():
        path = f"/brokers/topics/{topic}/partitions/{partition}/state"
        node = wait_until(lambda: zk.get(path), 20.0, f"{path} to be created by the controller")
        expected = (
            f'{{"controller_epoch":{epoch},"leader":{replicas[0]},"version":1,'
            f'"leader_epoch":0,"isr":[{",".join(map(str, replicas))}]}}'
        ).encode()
        assert node.data == expected, node.data
        assert node.version == 0

    # Every broker serves the partitions (UpdateMetadata) with the leaders from ZooKeeper.
    for broker in cluster.running():
        md = wait_until(
            lambda: (lambda m: m if m["topics"] and len(m["topics"][0].get("partitions", [])) == 3
                     and all(p["leader"] >= 0 for p in m["topics"][0]["partitions"]) else None)(
                kcat_metadata(broker.bootstrap, topic)
            ),
            20.0,
            f"broker {broker.broker_id} to serve {topic}",
        )
        leaders = {p["partition"]: p["leader"] for p in md["topics"][0]["partitions"]}
        assert leaders == {p: r[0] for p, r in assignment.items()}

    # kcat produces keyed records with acks=all, then reads every one back in per-partition order.
    lines = "".join(f"k{i % 50}:v{i}\n" for i in range(RECORDS))
    produced = subprocess.run(
        ["kcat", "-b", cluster.bootstrap_servers, "-P", "-t", topic, "-K:", "-X", "acks=all"],
        input=lines, text=True, capture_output=True, timeout=120,
    )
    assert produced.returncode == 0, produced.stderr

    consumed = kcat(
        cluster.bootstrap_servers, "-C", "-t", topic, "-o", "beginning", "-e",
        "-f", "%p %k %s\n", timeout=120,
    )
    assert consumed.returncode == 0, consumed.stderr
    rows = [line.split(" ") for line in consumed.stdout.splitlines() if line]
    assert len(rows) == RECORDS, f"consumed {len(rows)} of {RECORDS}"
    per_key = defaultdict(list)
    key_partition = {}
    for partition, key, value in rows:
        per_key[key].append(int(value[1:]))
        assert key_partition.setdefault(key, partition) == partition, f"key {key} in two partitions"
    for key, values in per_key.items():
        assert values == sorted(values), f"records of {key} out of order"
    assert sorted(v for vs in per_key.values() for v in vs) == list(range(RECORDS))

    # The tree the controller wrote (null partition parents, state znodes) checks clean.
    check = cluster.zk_cli("check")
    assert check.returncode == 0, f"zk check failed:\n{check.stdout}\n{check.stderr}"
