"""pytest fixtures for zkafka's integration tests.

* `zookeeper`        – one real ZooKeeper server for the whole run (tests isolate themselves by
                       chroot, so they cannot see each other's znodes).
* `zk_ensemble`      – a fresh 3-node ZooKeeper ensemble for one test (member-loss tests).
* `cluster_factory`  – builds `ZkafkaCluster`s (brokers with generated server.properties under a
                       unique chroot); every cluster is stopped when the test ends, pass or fail.
* `cluster`          – a started 3-broker cluster (ids 0, 1, 2) on `zookeeper`.
* `zk`               – a kazoo view of the `cluster`'s chroot.

When a test fails, the last lines of every process log it touched (brokers, ZooKeeper) are
attached to its report. No process outlives the run: fixtures stop what they started, an atexit
hook SIGKILLs stragglers, and the kernel kills children if pytest itself dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import procs  # noqa: E402
from harness.broker import ZkafkaCluster, is_reference_kafka, unique_chroot, zkafka_available  # noqa: E402
from harness.zookeeper import ZooKeeperEnsemble, zookeeper_available  # noqa: E402
from harness.znodes import ZkView  # noqa: E402

log = logging.getLogger("harness")

_FIRST_PROC_KEY = pytest.StashKey[int]()
LOG_TAIL_LINES = 80


# ---------------------------------------------------------------------------- process logs


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against the reference Kafka broker, skip what only zkafka has (its own CLI, its warnings)."""
    if not is_reference_kafka():
        return
    skip = pytest.mark.skip(reason="zkafka-only behaviour; not present in the reference Kafka broker")
    for item in items:
        if "zkafka_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _remember_processes(request: pytest.FixtureRequest) -> Iterator[None]:
    request.node.stash[_FIRST_PROC_KEY] = len(procs.all_processes())
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):  # noqa: ANN001
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    first = item.stash.get(_FIRST_PROC_KEY, 0)
    every = procs.all_processes()
    shown = [p for i, p in enumerate(every) if i >= first or p.is_running()]
    for proc in shown:
        report.sections.append(
            (f"{proc.name} log tail ({proc.log_path})", proc.tail(LOG_TAIL_LINES))
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leftovers = [p for p in procs.all_processes() if p.is_running()]
    if leftovers:
        # A session-scoped fixture may legitimately still be tearing down; anything else is a
        # harness bug worth seeing.
        log.warning("processes still running at session end (SIGKILLing): %s", leftovers)
    procs.cleanup_all()


# ---------------------------------------------------------------------------- ZooKeeper


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperEnsemble]:
    """One standalone ZooKeeper server shared by the run; tests use their own chroots."""
    reason = zookeeper_available()
    if reason:
        pytest.fail(f"ZooKeeper cannot be started: {reason}", pytrace=False)
    ensemble = ZooKeeperEnsemble(tmp_path_factory.mktemp("zookeeper"), size=1)
    try:
        ensemble.start()
        yield ensemble
    finally:
        ensemble.stop()


@pytest.fixture
def zk_ensemble(tmp_path: Path) -> Iterator[ZooKeeperEnsemble]:
    """A fresh 3-node ZooKeeper ensemble for one test."""
    reason = zookeeper_available()
    if reason:
        pytest.fail(f"ZooKeeper cannot be started: {reason}", pytrace=False)
    ensemble = ZooKeeperEnsemble(tmp_path / "ensemble", size=3)
    try:
        ensemble.start()
        yield ensemble
    finally:
        ensemble.stop()


@pytest.fixture
def zk_root(zookeeper: ZooKeeperEnsemble) -> Iterator[ZkView]:
    """A kazoo view of the shared ZooKeeper, without chroot."""
    view = ZkView(zookeeper.connect_string)
    try:
        yield view
    finally:
        view.close()


# ---------------------------------------------------------------------------- brokers


@pytest.fixture(scope="session")
def zkafka_binary() -> None:
    """Fails (not skips) broker tests when the binary is missing: a skipped suite proves nothing."""
    reason = zkafka_available()
    if reason:
        pytest.fail(reason, pytrace=False)


@pytest.fixture
def cluster_factory(
    request: pytest.FixtureRequest, zookeeper: ZooKeeperEnsemble, tmp_path: Path, zkafka_binary: None
) -> Iterator[Callable[..., ZkafkaCluster]]:
    """`cluster_factory(size=3, zk=None, **kwargs)` -> an unstarted `ZkafkaCluster`.

    `zk` is a `ZooKeeperEnsemble` (default: the shared server); other keyword arguments go to
    `ZkafkaCluster` (broker_ids, session_timeout_ms, properties, log_dir_count, chroot).
    """
    clusters: list[ZkafkaCluster] = []

    def make(size: int = 3, zk: ZooKeeperEnsemble | None = None, **kwargs) -> ZkafkaCluster:
        ensemble = zk or zookeeper
        kwargs.setdefault("chroot", unique_chroot(request.node.name))
        c = ZkafkaCluster(
            ensemble.connect_string,
            tmp_path / f"cluster-{len(clusters)}",
            size=size,
            ensemble=ensemble,
            **kwargs,
        )
        clusters.append(c)
        return c

    try:
        yield make
    finally:
        for c in reversed(clusters):
            try:
                c.stop()
            except Exception as exc:  # noqa: BLE001 - keep cleaning the others
                log.warning("stopping cluster %s: %s", c.chroot, exc)
                c.cleanup()


@pytest.fixture
def cluster(cluster_factory: Callable[..., ZkafkaCluster]) -> ZkafkaCluster:
    """A running 3-broker cluster (broker ids 0, 1, 2) on the shared ZooKeeper."""
    return cluster_factory(size=3).start()


@pytest.fixture
def zk(cluster: ZkafkaCluster) -> ZkView:
    """A kazoo view of `cluster`'s chroot."""
    return cluster.view
