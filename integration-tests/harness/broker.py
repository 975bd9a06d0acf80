"""zkafka broker processes with generated server.properties, and clusters of them.

The contract with the broker (ARCHITECTURE.md, "Integration tests"):
`zkafka broker --config <server.properties> [--override key=value]...`, logs on stderr, up when
its ephemeral `/brokers/ids/<id>` exists, SIGTERM = orderly shutdown with exit code 0, config
errors / duplicate broker id / cluster-id mismatch = non-zero exit naming the key or reason.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import uuid
from pathlib import Path
from typing import Iterable, Optional

from .kafka_formats import read_properties
from .ports import free_port
from .sessions import sessions_of_pid
from .procs import ManagedProcess, ProcessError, run_command
from .waiting import wait_until
from .znodes import Znode, ZkView

log = logging.getLogger("harness.broker")

REPO_ROOT = Path(__file__).resolve().parents[2]

# Short ZooKeeper session so failure tests (kill -9, SIGSTOP) finish quickly; Kafka's default is
# 18000 ms (ZkConfigs.ZK_SESSION_TIMEOUT_MS). Must lie within the test ZooKeeper's
# [minSessionTimeout, maxSessionTimeout] (harness/zookeeper.py).
DEFAULT_SESSION_TIMEOUT_MS = 6000
# How long a broker may take from exec to its /brokers/ids znode on this 2-core machine.
STARTUP_TIMEOUT_S = 45.0


def zkafka_bin() -> Path:
    """The broker binary: $ZKAFKA_BIN, else the release build of this checkout."""
    explicit = os.environ.get("ZKAFKA_BIN")
    if explicit:
        return Path(explicit)
    candidates = []
    target_dir = os.environ.get("CARGO_TARGET_DIR")
    if target_dir:
        candidates.append(Path(target_dir) / "release" / "zkafka")
    candidates.append(REPO_ROOT / "target" / "release" / "zkafka")
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[0]


def is_reference_kafka() -> bool:
    """True when the suite runs against real Kafka 3.9 (integration-tests/java/kafka-reference-broker)."""
    return zkafka_bin().name == "kafka-reference-broker"


def orderly_exit_codes() -> set[int]:
    """Exit codes of an orderly SIGTERM shutdown: 0 for zkafka (our contract); the reference
    Kafka broker is a JVM, which exits 128+15 after running its shutdown hooks."""
    return {0, 143} if is_reference_kafka() else {0}


def zkafka_available() -> Optional[str]:
    """None if the broker binary exists, else how to get it."""
    path = zkafka_bin()
    if not path.exists():
        return (
            f"zkafka binary not found at {path}: run `cargo build --release` "
            "(or scripts/test.sh), or set ZKAFKA_BIN"
        )
    return None


def unique_chroot(label: str = "zkafka") -> str:
    """A fresh chroot so tests sharing one ZooKeeper never see each other's znodes."""
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:40] or "zkafka"
    return f"/{clean}-{uuid.uuid4().hex[:8]}"


class Broker:
    """One zkafka broker: its directory, generated config, log dirs and process."""

    def __init__(
        self,
        base_dir: Path,
        zookeeper_connect: str,
        view: ZkView,
        broker_id: Optional[int],
        label: Optional[str] = None,
        session_timeout_ms: int = DEFAULT_SESSION_TIMEOUT_MS,
        properties: Optional[dict] = None,
        log_dir_count: int = 1,
        overrides: Iterable[str] = (),
        env: Optional[dict] = None,
    ) -> None:
        """`env` adds environment variables (e.g. `KAFKA_OPTS`, read by both zkafka and the
        reference Kafka broker for JVM system properties such as the JAAS file)."""
        self.configured_id = broker_id
        self.label = label or (f"broker-{broker_id}" if broker_id is not None else f"broker-{uuid.uuid4().hex[:6]}")
        self.dir = Path(base_dir) / self.label
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dirs = [self.dir / f"kafka-logs-{i}" for i in range(log_dir_count)]
        self.port = free_port()
        self.zookeeper_connect = zookeeper_connect
        self.session_timeout_ms = session_timeout_ms
        self.view = view
        self.extra_properties = dict(properties or {})
        self.overrides = list(overrides)
        self.config_path = self.dir / "server.properties"
        self.process = ManagedProcess(
            self.label,
            [zkafka_bin(), "broker", "--config", self.config_path],
            self.dir / "broker.log",
            cwd=self.dir,
            env={"NO_COLOR": "1", "RUST_BACKTRACE": "1", **(env or {})},
        )
        # czxid of the registration seen last (the broker epoch, layout doc §2.4).
        self.last_czxid: Optional[int] = None
        self._learned_id: Optional[int] = None

    # ------------------------------------------------------------------ config

    def properties(self) -> dict:
        """The server.properties this broker is started with (extra properties win; None removes)."""
        props: dict = {}
        if self.configured_id is not None:
            props["broker.id"] = str(self.configured_id)
        props.update(
            {
                "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
                "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
                "log.dirs": ",".join(str(d) for d in self.log_dirs),
                "zookeeper.connect": self.zookeeper_connect,
                "zookeeper.session.timeout.ms": str(self.session_timeout_ms),
            }
        )
        for key, value in self.extra_properties.items():
            if value is None:
                props.pop(key, None)
            else:
                props[key] = str(value)
        return props

    def write_config(self) -> Path:
        lines = [f"# Generated by the zkafka integration harness for {self.label}"]
        lines += [f"{k}={v}" for k, v in self.properties().items()]
        self.config_path.write_text("\n".join(lines) + "\n")
        return self.config_path

    @property
    def broker_id(self) -> int:
        """The configured id, or the one the broker generated (read from meta.properties)."""
        if self.configured_id is not None and self.configured_id >= 0:
            return self.configured_id
        if self._learned_id is None:
            learned = self.read_meta_broker_id()
            if learned is None:
                raise AssertionError(f"{self.label} has no broker.id yet (no meta.properties)")
            self._learned_id = learned
        return self._learned_id

    def read_meta_broker_id(self) -> Optional[int]:
        for d in self.log_dirs:
            path = d / "meta.properties"
            if path.exists():
                value = read_properties(path).get("broker.id")
                if value is not None:
                    return int(value)
        return None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def znode_path(self) -> str:
        return f"/brokers/ids/{self.broker_id}"

    # ------------------------------------------------------------------ lifecycle

    def start(self, wait: bool = True, timeout: float = STARTUP_TIMEOUT_S) -> "Broker":
        self.write_config()
        self.process.argv = [str(zkafka_bin()), "broker", "--config", str(self.config_path)]
        for override in self.overrides:
            self.process.argv += ["--override", override]
        self.process.start()
        if wait:
            self.wait_registered(timeout)
        return self

    def registration(self) -> Optional[Znode]:
        return self.view.broker(self.broker_id)

    def wait_registered(self, timeout: float = STARTUP_TIMEOUT_S, not_czxid: Optional[int] = None) -> Znode:
        """Waits for this broker's ephemeral /brokers/ids/<id> (with a czxid ≠ `not_czxid`).

        Fails at once, with the broker's output, if the process exits meanwhile.
        """
        def registered() -> Optional[Znode]:
            if not self.process.is_running():
                raise ProcessError(
                    f"{self.label} exited with code {self.process.poll()} before registering:\n"
                    + self.process.tail(40)
                )
            if self.configured_id is None or self.configured_id < 0:
                if self.read_meta_broker_id() is None:
                    return None
            node = self.registration()
            if node is None or not node.is_ephemeral:
                return None
            if not_czxid is not None and node.czxid == not_czxid:
                return None
            # Real Kafka registers before it finishes starting and halts (exit 1) on a SIGTERM
            # in between; against it, "up" also means its "started" log line.
            if is_reference_kafka() and "] started (kafka.server.KafkaServer)" not in self.process.output():
                return None
            return node

        try:
            node = wait_until(registered, timeout, f"{self.label} to register in ZooKeeper", interval=0.1)
        except ProcessError:
            raise
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- {self.label} output ---\n{self.process.tail(40)}") from None
        self.last_czxid = node.czxid
        return node

    def kill(self) -> int:
        """kill -9; the registration stays until ZooKeeper expires the session."""
        return self.process.kill()

    def pause(self) -> None:
        """SIGSTOP (a "zombie": alive, but its ZooKeeper session stops heart-beating)."""
        self.process.pause()

    def resume(self) -> None:
        self.process.resume()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (orderly shutdown); returns the exit code."""
        return self.process.terminate(timeout)

    def restart(self, wait: bool = True, timeout: float = STARTUP_TIMEOUT_S) -> "Broker":
        """Starts again with the same config file and log dirs.

        If the previous run was killed, its ephemeral registration may still exist until its
        session expires; a Kafka broker restarted then refuses to start (NODEEXISTS, layout doc
        §2.4), so this waits for the old znode to go first.
        """
        if self.process.is_running():
            raise ProcessError(f"{self.label} is still running; stop or kill it first")
        previous = self.last_czxid
        node = self.registration()
        if node is not None and node.czxid == previous:
            self.view.wait_gone(self.znode_path, self.session_timeout_ms / 1000 + 15)
        self.start(wait=False)
        if wait:
            self.wait_registered(timeout, not_czxid=previous)
        return self

    def wait_exit(self, timeout: float) -> int:
        return self.process.wait(timeout)

    def is_running(self) -> bool:
        return self.process.is_running()

    def output(self) -> str:
        return self.process.output()

    def cleanup(self) -> None:
        self.process.cleanup()

    def __repr__(self) -> str:
        return f"<{self.label} {self.bootstrap} {self.process!r}>"


class ZkafkaCluster:
    """N zkafka brokers sharing one ZooKeeper connect string and chroot."""

    def __init__(
        self,
        zk_hosts: str,
        base_dir: Path,
        size: int = 3,
        chroot: Optional[str] = None,
        broker_ids: Optional[list[Optional[int]]] = None,
        session_timeout_ms: int = DEFAULT_SESSION_TIMEOUT_MS,
        properties: Optional[dict] = None,
        log_dir_count: int = 1,
        ensemble=None,
        env: Optional[dict] = None,
    ) -> None:
        # The ZooKeeperEnsemble behind zk_hosts, when the harness started it (lets tests map
        # sessions to broker processes, harness/sessions.py).
        self.ensemble = ensemble
        self.zk_hosts = zk_hosts
        self.chroot = chroot or unique_chroot()
        self.base_dir = Path(base_dir)
        self.session_timeout_ms = session_timeout_ms
        self.properties = dict(properties or {})
        self.log_dir_count = log_dir_count
        self.env = dict(env or {})
        self.view = ZkView(zk_hosts, self.chroot)
        if broker_ids is None:
            broker_ids = list(range(size))
        self.brokers: list[Broker] = []
        for broker_id in broker_ids:
            self.add_broker(broker_id)

    @property
    def zookeeper_connect(self) -> str:
        """Kafka's zookeeper.connect: `host:port,...` followed by the chroot."""
        return self.zk_hosts + self.chroot

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers)

    def add_broker(
        self,
        broker_id: Optional[int],
        properties: Optional[dict] = None,
        label: Optional[str] = None,
        overrides: Iterable[str] = (),
        log_dir_count: Optional[int] = None,
        env: Optional[dict] = None,
    ) -> Broker:
        """Adds a broker (not started) with the cluster's properties plus `properties`."""
        props = dict(self.properties)
        props.update(properties or {})
        broker = Broker(
            self.base_dir,
            self.zookeeper_connect,
            self.view,
            broker_id,
            label=label,
            session_timeout_ms=self.session_timeout_ms,
            properties=props,
            log_dir_count=log_dir_count or self.log_dir_count,
            overrides=overrides,
            env={**self.env, **(env or {})},
        )
        self.brokers.append(broker)
        return broker

    def start(self, timeout: float = STARTUP_TIMEOUT_S, wait_controller: bool = True) -> "ZkafkaCluster":
        """Starts every broker, waits until all are registered and (by default) until one of
        them has won the controller election (which follows registration, Kafka
        `KafkaServer.startup` steps 7-8)."""
        for broker in self.brokers:
            broker.start(wait=False)
        for broker in self.brokers:
            broker.wait_registered(timeout)
        if wait_controller and self.brokers:
            self.view.wait_controller(timeout)
        return self

    def broker(self, broker_id: int) -> Broker:
        for b in self.brokers:
            if b.broker_id == broker_id:
                return b
        raise KeyError(f"no broker {broker_id} in this cluster")

    def running(self) -> list[Broker]:
        return [b for b in self.brokers if b.is_running()]

    def controller(self, timeout: float = 30.0) -> Broker:
        """The broker that currently holds /controller (waits for one)."""
        node = self.view.wait_controller(timeout)
        return self.broker(int(node.json()["brokerid"]))

    def zk_sessions(self, broker: Broker) -> list:
        """The ZooKeeper sessions held by `broker`'s process (needs `ensemble`)."""
        if self.ensemble is None:
            raise AssertionError("this cluster was built without its ZooKeeperEnsemble")
        if not broker.is_running():
            return []
        return sessions_of_pid(broker.process.pid, self.ensemble.servers)

    def zk_cli(self, *args: str, timeout: float = 60.0):
        """Runs `zkafka zk <args> --zookeeper <connect>/<chroot>` and returns the CompletedProcess."""
        return run_command(
            [str(zkafka_bin()), "zk", *args, "--zookeeper", self.zookeeper_connect],
            timeout=timeout,
            env={"NO_COLOR": "1"},
        )

    def stop(self) -> None:
        """SIGTERM every running broker (all at once, like stopping a whole cluster), then clean up."""
        running = [b for b in self.brokers if b.is_running()]
        for b in running:
            try:
                if b.process.is_paused:
                    b.resume()
                b.process.send_signal(signal.SIGTERM)
            except ProcessError:
                pass
        for b in running:
            try:
                b.wait_exit(30)
            except ProcessError as exc:
                log.warning("%s", exc)
        self.cleanup()

    def cleanup(self) -> None:
        for b in self.brokers:
            b.cleanup()
        self.view.close()

    def tails(self, lines: int = 60) -> dict[str, str]:
        return {b.label: b.process.tail(lines) for b in self.brokers}
