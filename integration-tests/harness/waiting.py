"""Waiting for conditions with deadlines, and saying what was waited for when it times out."""

from __future__ import annotations

import logging
import time
from typing import Callable, Optional, TypeVar

log = logging.getLogger("harness.wait")

T = TypeVar("T")


class WaitTimeout(AssertionError):
    """A condition did not become true in time. An AssertionError so pytest shows it as a failure."""


def wait_until(
    condition: Callable[[], Optional[T]],
    timeout: float,
    what: str,
    interval: float = 0.1,
    describe: Optional[Callable[[], str]] = None,
) -> T:
    """Polls `condition` until it returns a truthy value, and returns that value.

    `what` names the condition for the failure message ("broker 1 registered"); `describe`, if
    given, is called on timeout to add the state that was seen (e.g. the znode's content).
    Exceptions from `condition` count as "not yet" (ZooKeeper reconnecting, file not written yet)
    and the last one is reported on timeout.
    """
    start = time.monotonic()
    deadline = start + timeout
    last_exc: Optional[BaseException] = None
    while True:
        try:
            value = condition()
            if value:
                log.info("waited %.2fs for %s", time.monotonic() - start, what)
                return value
        except Exception as exc:  # noqa: BLE001 - reported below
            last_exc = exc
        if time.monotonic() >= deadline:
            detail = ""
            if describe is not None:
                try:
                    detail = f"; last state: {describe()}"
                except Exception as exc:  # noqa: BLE001
                    detail = f"; (describing the state failed: {exc})"
            if last_exc is not None:
                detail += f"; last error: {last_exc!r}"
            raise WaitTimeout(f"timed out after {timeout:.1f}s waiting for {what}{detail}")
        time.sleep(interval)


def stays_true(condition: Callable[[], bool], duration: float, what: str, interval: float = 0.2) -> None:
    """Asserts that `condition` holds at every check during `duration` seconds."""
    deadline = time.monotonic() + duration
    while True:
        if not condition():
            raise AssertionError(f"{what} stopped holding")
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)
