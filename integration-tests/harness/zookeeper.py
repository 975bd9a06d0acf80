"""Real Apache ZooKeeper servers from Debian's `zookeeper` package.

`ZooKeeperServer` is one `QuorumPeerMain` JVM with its own zoo.cfg, data dir and free ports;
`ZooKeeperEnsemble` is N of them forming a quorum, with per-node stop / kill / start so tests
can take ensemble members away. Readiness is checked with ZooKeeper's four-letter words
(`srvr` reports `Mode: standalone|leader|follower` only while the server serves requests).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Optional

from .ports import free_port
from .procs import ManagedProcess
from .waiting import wait_until

log = logging.getLogger("harness.zookeeper")

ZOOKEEPER_JAR = Path(os.environ.get("ZOOKEEPER_JAR", "/usr/share/java/zookeeper.jar"))
# The Debian jar's manifest names every dependency except an slf4j binding; without one the server
# logs nothing. slf4j-simple (Debian's libslf4j-java, a dependency of libzookeeper-java) prints to
# stderr, which lands in the server's log file.
SLF4J_SIMPLE_JAR = Path("/usr/share/java/slf4j-simple.jar")

# ZooKeeper's tick. Session timeouts are negotiated into [minSessionTimeout, maxSessionTimeout]
# (ZooKeeperServer defaults 2 and 20 ticks); both are set explicitly below so brokers can use the
# short timeouts tests need and Kafka's default 18000 ms alike.
TICK_TIME_MS = 500
MIN_SESSION_TIMEOUT_MS = 1000
MAX_SESSION_TIMEOUT_MS = 60000


class ZooKeeperUnavailable(RuntimeError):
    pass


def zookeeper_available() -> Optional[str]:
    """None if a ZooKeeper server can be started here, else the reason."""
    if shutil.which("java") is None:
        return "java is not installed"
    if not ZOOKEEPER_JAR.exists():
        return f"{ZOOKEEPER_JAR} is missing (apt-get install -y zookeeper, or scripts/install-deps.sh)"
    return None


def four_letter_word(port: int, word: str, host: str = "127.0.0.1", timeout: float = 2.0) -> str:
    """Sends a ZooKeeper four-letter command (ruok, srvr, stat, mntr, dump ...) and returns the reply."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


class ZooKeeperServer:
    """One ZooKeeper server process (standalone, or member `server_id` of an ensemble)."""

    def __init__(
        self,
        base_dir: Path,
        server_id: Optional[int] = None,
        client_port: Optional[int] = None,
        heap_mb: int = 256,
        jvm_options: Optional[list[str]] = None,
        extra_config: Optional[dict] = None,
    ) -> None:
        """`jvm_options` (e.g. `-Djava.security.auth.login.config=...` for a SASL server) and
        `extra_config` (zoo.cfg lines, e.g. `authProvider.1`) are added to the defaults."""
        reason = zookeeper_available()
        if reason:
            raise ZooKeeperUnavailable(reason)
        self.server_id = server_id
        self.name = f"zookeeper-{server_id}" if server_id is not None else "zookeeper"
        self.dir = Path(base_dir) / self.name
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path = self.dir / "zoo.cfg"
        self.client_port = client_port or free_port()
        # Quorum and leader-election ports, used only in an ensemble.
        self.quorum_port = free_port()
        self.election_port = free_port()
        self.peers: list["ZooKeeperServer"] = []
        self.extra_config = dict(extra_config or {})
        classpath = str(ZOOKEEPER_JAR)
        if SLF4J_SIMPLE_JAR.exists():
            classpath += os.pathsep + str(SLF4J_SIMPLE_JAR)
        argv = [
            "java",
            f"-Xmx{heap_mb}m",
            # Small, quick-starting JVMs: this machine has 2 cores shared with the brokers.
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dzookeeper.admin.enableServer=false",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
            *(jvm_options or []),
            "-cp",
            classpath,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            str(self.config_path),
        ]
        self.process = ManagedProcess(self.name, argv, self.dir / "server.log", cwd=self.dir)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def write_config(self) -> None:
        lines = [
            f"tickTime={TICK_TIME_MS}",
            f"dataDir={self.data_dir}",
            f"clientPort={self.client_port}",
            "clientPortAddress=127.0.0.1",
            f"minSessionTimeout={MIN_SESSION_TIMEOUT_MS}",
            f"maxSessionTimeout={MAX_SESSION_TIMEOUT_MS}",
            # Ticks a follower may take to connect/sync to the leader.
            "initLimit=10",
            "syncLimit=5",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            # Tests make few writes; keep snapshots from piling up in temp dirs.
            "autopurge.snapRetainCount=3",
            "autopurge.purgeInterval=0",
            "maxClientCnxns=0",
        ]
        lines += [f"{k}={v}" for k, v in self.extra_config.items()]
        if self.peers:
            for peer in self.peers:
                lines.append(
                    f"server.{peer.server_id}=127.0.0.1:{peer.quorum_port}:{peer.election_port}"
                )
            (self.data_dir / "myid").write_text(f"{self.server_id}\n")
        self.config_path.write_text("\n".join(lines) + "\n")

    # ------------------------------------------------------------------ lifecycle

    def start(self, wait: bool = True, timeout: float = 60.0) -> "ZooKeeperServer":
        self.write_config()
        self.process.start()
        if wait:
            self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout: float = 60.0) -> None:
        """Waits until the server answers requests (standalone, or in a quorum)."""
        def serving() -> bool:
            if not self.process.is_running():
                raise ZooKeeperUnavailable(
                    f"{self.name} exited with {self.process.poll()} while starting:\n{self.process.tail(40)}"
                )
            return self.mode() is not None

        try:
            wait_until(serving, timeout, f"{self.name} on {self.address} to serve requests", interval=0.2)
        except ZooKeeperUnavailable:
            raise
        except AssertionError as exc:
            raise ZooKeeperUnavailable(f"{exc}\n{self.process.tail(40)}") from None

    def mode(self) -> Optional[str]:
        """`standalone`, `leader` or `follower` while serving; None when down or not in a quorum."""
        try:
            reply = four_letter_word(self.client_port, "srvr")
        except OSError:
            return None
        for line in reply.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None

    def ruok(self) -> bool:
        try:
            return four_letter_word(self.client_port, "ruok") == "imok"
        except OSError:
            return False

    def stop(self, timeout: float = 30.0) -> int:
        """Orderly stop (SIGTERM)."""
        return self.process.terminate(timeout)

    def kill(self) -> int:
        """kill -9."""
        return self.process.kill()

    def is_running(self) -> bool:
        return self.process.is_running()

    def cleanup(self) -> None:
        self.process.cleanup()

    def __repr__(self) -> str:
        return f"<{self.name} {self.address} {self.process!r}>"


class ZooKeeperEnsemble:
    """N ZooKeeper servers forming one quorum (N=1 gives a standalone server)."""

    def __init__(self, base_dir: Path, size: int = 3, **server_options) -> None:
        """`server_options` (`jvm_options`, `extra_config`) go to every `ZooKeeperServer`."""
        if size < 1:
            raise ValueError("an ensemble needs at least one server")
        base_dir = Path(base_dir)
        if size == 1:
            self.servers = [ZooKeeperServer(base_dir, **server_options)]
        else:
            self.servers = [
                ZooKeeperServer(base_dir, server_id=i, **server_options) for i in range(1, size + 1)
            ]
            for server in self.servers:
                server.peers = self.servers

    @property
    def connect_string(self) -> str:
        """`host:port,host:port,...` (append a chroot for Kafka's zookeeper.connect)."""
        return ",".join(s.address for s in self.servers)

    def start(self, timeout: float = 90.0) -> "ZooKeeperEnsemble":
        # Start every member before waiting: a quorum forms only once a majority is up.
        for server in self.servers:
            server.start(wait=False)
        for server in self.servers:
            server.wait_serving(timeout)
        return self

    def server(self, server_id: int) -> ZooKeeperServer:
        for s in self.servers:
            if s.server_id == server_id:
                return s
        raise KeyError(f"no ZooKeeper server {server_id}")

    def leader(self) -> ZooKeeperServer:
        leaders = [s for s in self.servers if s.is_running() and s.mode() in ("leader", "standalone")]
        if len(leaders) != 1:
            raise AssertionError(f"expected exactly one ZooKeeper leader, found {leaders}")
        return leaders[0]

    def followers(self) -> list[ZooKeeperServer]:
        return [s for s in self.servers if s.is_running() and s.mode() == "follower"]

    def wait_quorum(self, timeout: float = 60.0) -> ZooKeeperServer:
        """Waits until the running members serve with exactly one leader; returns the leader."""
        def quorum():
            running = [s for s in self.servers if s.is_running()]
            modes = [s.mode() for s in running]
            if all(m is not None for m in modes) and modes.count("leader") + modes.count("standalone") == 1:
                return self.leader()
            return None

        return wait_until(
            quorum,
            timeout,
            "a ZooKeeper quorum with one leader",
            interval=0.2,
            describe=lambda: ", ".join(f"{s.name}={s.mode()}" for s in self.servers),
        )

    def stop(self) -> None:
        """Stops every member, then makes sure none is left."""
        for server in self.servers:
            if server.is_running():
                try:
                    server.stop(timeout=15)
                except Exception as exc:  # noqa: BLE001 - fall back to SIGKILL in cleanup
                    log.warning("stopping %s: %s", server.name, exc)
        self.cleanup()

    def cleanup(self) -> None:
        for server in self.servers:
            server.cleanup()

    def tails(self, lines: int = 40) -> dict[str, str]:
        return {s.name: s.process.tail(lines) for s in self.servers}


def wait_port_closed(port: int, timeout: float = 10.0) -> None:
    """Waits until nothing listens on 127.0.0.1:port (a stopped server released it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                pass
        except OSError:
            return
        time.sleep(0.1)
    raise AssertionError(f"port {port} still accepts connections after {timeout}s")
