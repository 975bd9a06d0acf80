"""Tests of the harness itself against real ZooKeeper (no broker needed).

They prove the mechanisms the broker tests rely on: the servers really serve, ZooKeeper expires
the session of a SIGSTOPped client within its negotiated timeout, an ensemble keeps serving (and
keeps sessions alive) after losing a member, and no child process outlives the harness.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from harness.procs import ManagedProcess
from harness.waiting import wait_until
from harness.zookeeper import ZooKeeperEnsemble, four_letter_word
from harness.znodes import ZkView


def test_standalone_server_serves_and_reports_ephemeral_owner(zookeeper: ZooKeeperEnsemble) -> None:
    """ZooKeeper answers `ruok` with `imok` and runs standalone; an ephemeral znode's
    `ephemeralOwner` is the creating session's id (ZooKeeper Programmer's Guide, "Ephemeral
    Nodes"; Kafka's broker epoch check relies on it, layout doc §2.4)."""
    server = zookeeper.servers[0]
    assert four_letter_word(server.client_port, "ruok") == "imok"
    assert server.mode() == "standalone"
    with ZkView(zookeeper.connect_string, "/harness-selftest") as view:
        view.client.ensure_path("/")
        view.client.create("/eph", b"x", ephemeral=True)
        node = view.require("/eph")
        assert node.data == b"x"
        assert node.ephemeral_owner == view.session_id
        assert node.version == 0


_HOLD_EPHEMERAL = textwrap.dedent(
    """
    import sys, time
    from kazoo.client import KazooClient
    hosts, path, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    zk = KazooClient(hosts=hosts, timeout=timeout_s)
    zk.start(timeout=30)
    zk.create(path, b"held", ephemeral=True, makepath=True)
    print("created", hex(zk.client_id[0]), flush=True)
    while True:
        time.sleep(1)
    """
)


@pytest.mark.slow
def test_sigstopped_client_loses_its_ephemeral_after_session_timeout(
    zookeeper: ZooKeeperEnsemble, tmp_path: Path
) -> None:
    """A client frozen with SIGSTOP stops heart-beating; ZooKeeper expires its session after the
    negotiated session timeout and deletes its ephemerals (ZooKeeper Programmer's Guide,
    "ZooKeeper Sessions"). This is the zombie-broker mechanism the broker tests use, proven here
    with an independent client so a broker failure cannot be blamed on the harness."""
    path = f"/harness-selftest-{os.getpid()}/held"
    holder = ManagedProcess(
        "ephemeral-holder",
        [sys.executable, "-c", _HOLD_EPHEMERAL, zookeeper.connect_string, path, "2.0"],
        tmp_path / "holder.log",
    ).start()
    try:
        with ZkView(zookeeper.connect_string) as view:
            node = view.wait_exists(path, 30)
            assert node.is_ephemeral
            holder.pause()
            paused_at = time.monotonic()
            view.wait_gone(path, 15)
            elapsed = time.monotonic() - paused_at
            # Not before the 2 s timeout (minus one tick of ZooKeeper's expiry bucketing).
            assert elapsed >= 1.4, f"ephemeral vanished after {elapsed:.2f}s, before the session timeout"
            holder.resume()
    finally:
        holder.cleanup()


@pytest.mark.ensemble
def test_ensemble_keeps_serving_and_sessions_after_losing_its_leader(zk_ensemble: ZooKeeperEnsemble) -> None:
    """A 3-server ensemble tolerates one failure: after the leader is killed the other two elect a
    new leader, committed data survives, and a client session that was connected survives
    (ZooKeeper Administrator's Guide, "Clustered (Multi-Server) Setup"; sessions move between
    servers, Programmer's Guide "ZooKeeper Sessions"). Kafka relies on this to keep its
    controller and broker registrations through the loss of one ZooKeeper server."""
    old_leader = zk_ensemble.wait_quorum()
    assert len(zk_ensemble.followers()) == 2
    client = KazooClient(hosts=zk_ensemble.connect_string, timeout=10.0)
    client.start(timeout=30)
    try:
        client.create("/ensemble-selftest/eph", b"e", ephemeral=True, makepath=True)
        client.create("/ensemble-selftest/data", b"committed")
        owner = client.get("/ensemble-selftest/eph")[1].ephemeralOwner

        old_leader.kill()
        new_leader = zk_ensemble.wait_quorum(timeout=60)
        assert new_leader is not old_leader

        wait_until(lambda: client.state == KazooState.CONNECTED, 30, "kazoo to reconnect")
        data, _ = client.retry(client.get, "/ensemble-selftest/data")
        assert data == b"committed"
        stat = client.retry(client.exists, "/ensemble-selftest/eph")
        assert stat is not None and stat.ephemeralOwner == owner, "session did not survive leader loss"

        old_leader.start()
        zk_ensemble.wait_quorum(timeout=60)
        assert old_leader.mode() == "follower"
    finally:
        client.stop()
        client.close()


_SPAWN_AND_HANG = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[1])
    from pathlib import Path
    from harness.procs import ManagedProcess
    p = ManagedProcess("grandchild", ["sleep", "600"], Path(sys.argv[2])).start()
    print(p.pid, flush=True)
    time.sleep(600)
    """
)


def test_children_die_with_the_harness(tmp_path: Path) -> None:
    """No orphans: a process started through the harness is SIGKILLed by the kernel when the
    process that started it dies, even by kill -9 (Linux prctl(2) PR_SET_PDEATHSIG)."""
    harness_dir = Path(__file__).resolve().parent
    parent = ManagedProcess(
        "fake-pytest",
        [sys.executable, "-c", _SPAWN_AND_HANG, harness_dir, tmp_path / "grandchild.log"],
        tmp_path / "parent.log",
    ).start()
    try:
        grandchild_pid = int(
            wait_until(lambda: parent.output().strip().splitlines()[-1:] or None, 30, "grandchild pid")[0]
        )
        os.kill(grandchild_pid, 0)  # alive now
        parent.kill()

        def gone() -> bool:
            try:
                os.kill(grandchild_pid, 0)
            except ProcessLookupError:
                return True
            # A zombie awaiting its reaper counts as dead.
            try:
                with open(f"/proc/{grandchild_pid}/stat") as f:
                    return f.read().split(")")[-1].split()[0] == "Z"
            except FileNotFoundError:
                return True

        wait_until(gone, 10, f"grandchild {grandchild_pid} to die with its parent")
    finally:
        # Killing the parent is enough: the grandchild then dies through PDEATHSIG.
        parent.cleanup()
