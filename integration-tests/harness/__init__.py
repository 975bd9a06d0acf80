"""Integration-test harness for zkafka: real ZooKeeper servers, real broker processes.

Modules:
* `procs`     – child processes (log files, signals, parent-death cleanup, registry).
* `ports`     – free 127.0.0.1 ports.
* `waiting`   – `wait_until` with deadlines and descriptive timeouts.
* `zookeeper` – `ZooKeeperServer`, `ZooKeeperEnsemble` (Debian's `zookeeper` package).
* `broker`    – `Broker`, `ZkafkaCluster` (generated server.properties, kill/stop/pause/restart).
* `znodes`    – `ZkView`: kazoo reads of znodes with their Stat.
* `kafka_formats` – the exact bytes Kafka 3.9 writes, to compare znodes against.
* `partition_state` – topics via znodes, state znodes, raw Metadata v7, ZooKeeper-vs-Metadata.
* `checker`   – the fault tests' durability checker (acks=all load, consume back, counts).
"""

from .broker import Broker, ZkafkaCluster, unique_chroot, zkafka_available, zkafka_bin
from .kafka_formats import (
    PERSISTENT_ZK_PATHS,
    broker_registration_v5,
    cluster_id_json,
    controller_epoch_bytes,
    controller_v2,
    decode_kafka_uuid,
)
from .procs import ManagedProcess, ProcessError, run_command
from .waiting import WaitTimeout, wait_until
from .zookeeper import ZooKeeperEnsemble, ZooKeeperServer, zookeeper_available
from .znodes import Znode, ZkView

__all__ = [
    "Broker",
    "ZkafkaCluster",
    "unique_chroot",
    "zkafka_available",
    "zkafka_bin",
    "PERSISTENT_ZK_PATHS",
    "broker_registration_v5",
    "cluster_id_json",
    "controller_epoch_bytes",
    "controller_v2",
    "decode_kafka_uuid",
    "ManagedProcess",
    "ProcessError",
    "run_command",
    "WaitTimeout",
    "wait_until",
    "ZooKeeperEnsemble",
    "ZooKeeperServer",
    "zookeeper_available",
    "Znode",
    "ZkView",
]
