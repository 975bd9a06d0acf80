"""Child processes the harness starts (ZooKeeper servers, zkafka brokers, CLI runs).

Every process is started through `ManagedProcess`, which

* writes the process's stdout and stderr to one log file (appending across restarts, with a
  header per run, so a failing test can show the whole history of a broker),
* starts it in its own session (a Ctrl-C aimed at pytest does not hit it directly; the harness
  decides how it ends),
* asks the kernel to SIGKILL it if the pytest process dies (`PR_SET_PDEATHSIG`), so even a
  `kill -9` of pytest leaves no orphan ZooKeeper or broker behind,
* is recorded in a registry that fixtures and an `atexit` hook sweep.

Signals are sent to the one pid the harness started, never by name.
"""

from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterable, Optional, Sequence

log = logging.getLogger("harness.procs")

# linux/prctl.h: PR_SET_PDEATHSIG = 1.
_PR_SET_PDEATHSIG = 1

try:
    _libc = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:  # not Linux: run without the parent-death safety net
    _libc = None


def _child_setup() -> None:
    """Runs in the child between fork and exec: die with the parent."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # The parent may have died between fork and prctl; then we were re-parented already.
        if os.getppid() == 1:
            os._exit(1)


class ProcessError(RuntimeError):
    """A managed process did something the test did not expect (exited, would not stop...)."""


_registry_lock = threading.Lock()
_registry: list["ManagedProcess"] = []


def all_processes() -> list["ManagedProcess"]:
    with _registry_lock:
        return list(_registry)


def cleanup_all() -> None:
    """SIGKILLs every managed process still running (last resort; fixtures stop theirs first)."""
    for proc in reversed(all_processes()):
        proc.cleanup()


atexit.register(cleanup_all)


class ManagedProcess:
    """One OS process started by the harness, restartable with the same argv and log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        cwd: Optional[Path] = None,
        env: Optional[dict] = None,
    ) -> None:
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self.cwd = Path(cwd) if cwd else None
        self.env = env
        self.popen: Optional[subprocess.Popen] = None
        self.runs = 0
        # Byte offset in the log file where the current run's output starts.
        self._run_offset = 0
        self._stopped = False
        with _registry_lock:
            _registry.append(self)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> "ManagedProcess":
        if self.is_running():
            raise ProcessError(f"{self.name} is already running as pid {self.pid}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as out:
            self._run_offset = out.tell()
            header = f"===== {self.name} run {self.runs + 1} at {time.strftime('%H:%M:%S')}: {' '.join(self.argv)}\n"
            out.write(header.encode())
            out.flush()
            self._run_offset = out.tell()
            env = dict(os.environ)
            if self.env:
                env.update(self.env)
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=env,
                start_new_session=True,
                preexec_fn=_child_setup,
            )
        self.runs += 1
        self._stopped = False
        log.info("started %s pid %d", self.name, self.popen.pid)
        return self

    @property
    def pid(self) -> Optional[int]:
        return self.popen.pid if self.popen else None

    def poll(self) -> Optional[int]:
        """Exit code if the process has exited (negative = killed by that signal), else None."""
        return self.popen.poll() if self.popen else None

    def is_running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def is_paused(self) -> bool:
        """True between `pause()` and `resume()`."""
        return self._stopped and self.is_running()

    def wait(self, timeout: float) -> int:
        """Waits for the process to exit and returns its exit code."""
        if self.popen is None:
            raise ProcessError(f"{self.name} was never started")
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProcessError(
                f"{self.name} (pid {self.pid}) still running after {timeout:.1f}s"
            ) from None

    def send_signal(self, sig: int) -> None:
        if not self.is_running():
            raise ProcessError(f"{self.name} is not running (exit code {self.poll()}); cannot send {signal.Signals(sig).name}")
        log.info("%s pid %d <- %s", self.name, self.pid, signal.Signals(sig).name)
        self.popen.send_signal(sig)

    def kill(self, timeout: float = 10.0) -> int:
        """`kill -9`: no chance to clean up (ephemeral znodes live on until the session expires)."""
        self.send_signal(signal.SIGKILL)
        self._stopped = False
        return self.wait(timeout)

    def pause(self) -> None:
        """SIGSTOP: the process is frozen; its ZooKeeper session stops heart-beating."""
        self.send_signal(signal.SIGSTOP)
        self._stopped = True

    def resume(self) -> None:
        """SIGCONT after `pause`."""
        self.send_signal(signal.SIGCONT)
        self._stopped = False

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait for the orderly exit; returns the exit code."""
        if self._stopped:
            self.resume()
        self.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def cleanup(self) -> None:
        """Makes sure the process is gone (SIGKILL if needed). Never raises."""
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            log.info("cleanup: SIGKILL %s pid %d", self.name, self.popen.pid)
            self.popen.kill()
            self.popen.wait(timeout=10)
        except Exception as exc:  # cleanup must go on for the other processes
            log.warning("cleanup of %s failed: %s", self.name, exc)

    # ----------------------------------------------------------------- output

    def output(self) -> str:
        """Everything the current (or last) run printed, stdout and stderr interleaved."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._run_offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 60) -> str:
        """The last `lines` lines of the whole log file (all runs)."""
        try:
            data = self.log_path.read_bytes()
        except FileNotFoundError:
            return f"(no log file {self.log_path})"
        text = data.decode("utf-8", "replace").splitlines()
        return "\n".join(text[-lines:])

    def __repr__(self) -> str:
        state = "running" if self.is_running() else f"exited {self.poll()}"
        return f"<{self.name} pid={self.pid} {state}>"


def run_command(
    argv: Iterable[str], timeout: float = 60.0, env: Optional[dict] = None, cwd: Optional[Path] = None
) -> subprocess.CompletedProcess:
    """Runs a short-lived command to completion (CLI checks), capturing stdout and stderr."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    argv = [str(a) for a in argv]
    log.info("run: %s", " ".join(argv))
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        cwd=cwd,
        preexec_fn=_child_setup,
    )
