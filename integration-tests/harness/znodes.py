"""Reading the ZooKeeper tree with kazoo, a ZooKeeper client that shares no code with zkafka.

`ZkView` connects to an ensemble (optionally under a chroot) and returns znodes as `Znode`
(path, raw bytes, Stat). Assertions compare raw bytes, so nothing here decodes payloads in a way
that could hide a formatting difference.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Optional

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError
from kazoo.protocol.states import ZnodeStat

from .waiting import wait_until

log = logging.getLogger("harness.znodes")

# Silence kazoo's own reconnect chatter in captured logs unless it matters.
logging.getLogger("kazoo.client").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Znode:
    path: str
    data: Optional[bytes]
    stat: ZnodeStat

    @property
    def czxid(self) -> int:
        return self.stat.czxid

    @property
    def version(self) -> int:
        """ZooKeeper's data version (Kafka's "zkVersion")."""
        return self.stat.version

    @property
    def ephemeral_owner(self) -> int:
        """Session id owning an ephemeral znode; 0 for a persistent one."""
        return self.stat.ephemeralOwner

    @property
    def is_ephemeral(self) -> bool:
        return self.stat.ephemeralOwner != 0

    def json(self) -> Any:
        if self.data is None:
            raise AssertionError(f"{self.path} has null data, expected JSON")
        return json.loads(self.data.decode("utf-8"))

    def text(self) -> str:
        if self.data is None:
            raise AssertionError(f"{self.path} has null data, expected text")
        return self.data.decode("utf-8")


class ZkView:
    """A kazoo session on `hosts` (`h:p[,h:p]`), with every path relative to `chroot`."""

    def __init__(self, hosts: str, chroot: str = "", timeout_s: float = 10.0) -> None:
        if chroot and not chroot.startswith("/"):
            raise ValueError(f"chroot must start with '/': {chroot!r}")
        self.hosts = hosts
        self.chroot = chroot.rstrip("/")
        # kazoo applies the chroot itself when it is part of the hosts string.
        # Reads retry through connection loss (a ZooKeeper server killed by a test makes kazoo
        # move to another one), bounded so a dead ensemble still fails the test.
        self.client = KazooClient(
            hosts=hosts + self.chroot,
            timeout=timeout_s,
            command_retry={"max_tries": -1, "delay": 0.1, "max_delay": 1.0, "deadline": 30.0},
        )
        self.client.start(timeout=30)

    def close(self) -> None:
        try:
            self.client.stop()
            self.client.close()
        except Exception as exc:  # noqa: BLE001 - closing must not mask a test result
            log.warning("closing kazoo client: %s", exc)

    def __enter__(self) -> "ZkView":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def session_id(self) -> int:
        return self.client.client_id[0]

    # ------------------------------------------------------------------ reads

    def get(self, path: str) -> Optional[Znode]:
        """The znode at `path`, or None if it does not exist."""
        try:
            data, stat = self.client.retry(self.client.get, path)
        except NoNodeError:
            return None
        return Znode(path, data, stat)

    def require(self, path: str) -> Znode:
        node = self.get(path)
        if node is None:
            raise AssertionError(f"znode {self.chroot}{path} does not exist")
        return node

    def exists(self, path: str) -> bool:
        return self.client.retry(self.client.exists, path) is not None

    def children(self, path: str) -> list[str]:
        try:
            return sorted(self.client.retry(self.client.get_children, path))
        except NoNodeError:
            return []

    def walk(self, path: str = "/") -> list[str]:
        """Every path under (and including) `path`, depth first, children sorted."""
        out = [path]
        for child in self.children(path):
            child_path = (path.rstrip("/") + "/" + child) if path != "/" else "/" + child
            if child_path == "/zookeeper":
                continue  # ZooKeeper's own quota/config subtree
            out.extend(self.walk(child_path))
        return out

    # ------------------------------------------------------------------ Kafka-specific

    def broker_ids(self) -> list[int]:
        return sorted(int(c) for c in self.children("/brokers/ids"))

    def broker(self, broker_id: int) -> Optional[Znode]:
        return self.get(f"/brokers/ids/{broker_id}")

    def controller(self) -> Optional[Znode]:
        return self.get("/controller")

    def controller_id(self) -> Optional[int]:
        node = self.controller()
        if node is None or node.data is None:
            return None
        return int(node.json()["brokerid"])

    def controller_epoch(self) -> Optional[int]:
        node = self.get("/controller_epoch")
        if node is None or node.data is None:
            return None
        return int(node.text())

    # ------------------------------------------------------------------ waits

    def wait_exists(self, path: str, timeout: float) -> Znode:
        return wait_until(lambda: self.get(path), timeout, f"znode {self.chroot}{path} to exist")

    def wait_gone(self, path: str, timeout: float) -> None:
        wait_until(
            lambda: not self.exists(path),
            timeout,
            f"znode {self.chroot}{path} to disappear",
            describe=lambda: repr(self.get(path)),
        )

    def wait_controller(self, timeout: float, not_id: Optional[int] = None,
                        min_epoch: Optional[int] = None) -> Znode:
        """Waits for a /controller znode (whose broker is not `not_id`, epoch ≥ `min_epoch`)."""
        def ready() -> Optional[Znode]:
            node = self.controller()
            if node is None or node.data is None:
                return None
            if not_id is not None and int(node.json()["brokerid"]) == not_id:
                return None
            if min_epoch is not None and (self.controller_epoch() or 0) < min_epoch:
                return None
            return node

        return wait_until(
            ready,
            timeout,
            "an active controller" + (f" other than broker {not_id}" if not_id is not None else "")
            + (f" with epoch >= {min_epoch}" if min_epoch is not None else ""),
            describe=lambda: f"/controller={self.controller()!r} /controller_epoch={self.controller_epoch()}",
        )
