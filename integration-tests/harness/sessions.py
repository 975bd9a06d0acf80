"""Which ZooKeeper session belongs to which process.

ZooKeeper's `cons` four-letter word lists every client connection as
`/127.0.0.1:<client port>[..](...,sid=0x<session id>,...,to=<negotiated timeout ms>,...)`.
Linux's /proc tells which process owns the socket with that local port. Joining the two proves,
from outside the broker, that an ephemeral znode's `ephemeralOwner` is *that broker process's*
session and which session timeout it negotiated.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Iterable

from .zookeeper import ZooKeeperServer, four_letter_word

_CONS_LINE = re.compile(r"/127\.0\.0\.1:(?P<port>\d+)\[\d+\]\((?P<fields>[^)]*)\)")


@dataclass(frozen=True)
class ClientSession:
    client_port: int
    session_id: int
    timeout_ms: int
    server: str


def sessions_on(servers: Iterable[ZooKeeperServer]) -> list[ClientSession]:
    """Every established client session on the given (running) servers."""
    out = []
    for server in servers:
        if not server.is_running():
            continue
        try:
            reply = four_letter_word(server.client_port, "cons")
        except OSError:
            continue
        for m in _CONS_LINE.finditer(reply):
            fields = dict(f.split("=", 1) for f in m.group("fields").split(",") if "=" in f)
            if "sid" not in fields:
                continue  # the `cons` connection itself
            out.append(
                ClientSession(
                    client_port=int(m.group("port")),
                    session_id=int(fields["sid"], 16),
                    timeout_ms=int(fields.get("to", "-1")),
                    server=server.name,
                )
            )
    return out


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except FileNotFoundError:
        return inodes
    for name in names:
        try:
            target = os.readlink(f"{fd_dir}/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _local_ports_for(inodes: set[int], remote_ports: set[int]) -> set[int]:
    """Local ports of TCP sockets (IPv4/IPv6) with those inodes connected to `remote_ports`."""
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            cols = row.split()
            local, remote, inode = cols[1], cols[2], int(cols[9])
            if inode in inodes and int(remote.rsplit(":", 1)[1], 16) in remote_ports:
                ports.add(int(local.rsplit(":", 1)[1], 16))
    return ports


def sessions_of_pid(pid: int, servers: Iterable[ZooKeeperServer]) -> list[ClientSession]:
    """The ZooKeeper sessions whose TCP connection belongs to process `pid`."""
    servers = list(servers)
    ports = _local_ports_for(_socket_inodes(pid), {s.client_port for s in servers})
    return [s for s in sessions_on(servers) if s.client_port in ports]
