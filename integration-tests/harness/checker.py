"""The durability checker: sequence-numbered records produced continuously while faults happen,
every acknowledgement and error recorded, then everything consumed back and compared.

A record's value is `seq=<n>|` padded to a fixed size; record n goes to partition n % P so every
partition is written all the time. The producers:

* `ConfluentLoad` – confluent-kafka (librdkafka) on a background thread; acks=all and, unless
  the test asks otherwise, idempotence off (so retries may duplicate, which is counted, not
  hidden).
* `JavaLoad` – `integration-tests/java/SeqProducer.java` with the Java client's defaults
  (acks=all, idempotent, retries on), printing one line per acknowledgement or failure.

Both fill a `Ledger` (seq, partition, offset, time of every ack; seq, error name, time of every
failure). `verify(...)` reads every partition from the beginning to its end with kcat (a third
client, no consumer group) and returns a `Report`:

* `lost`       – acknowledged sequence numbers found nowhere in the log (must be 0: a record
                 acknowledged with acks=all is committed and survives while one ISR member
                 does, Kafka design doc `#replication`, semantics doc §2.1, §2.4);
* `misplaced`  – acknowledged (partition, offset) pairs now holding another record or none
                 (an acknowledged offset that a later leader overwrote, must be 0);
* `duplicates` – sequence numbers stored more than once (retries without idempotence);
* `longest_stall_s` – the longest time without any acknowledgement while producing.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .clients import java_classpath, kcat
from .procs import ManagedProcess

log = logging.getLogger("harness.checker")

JAVA_DIR = Path(__file__).resolve().parents[1] / "java"
VALUE_RE = re.compile(rb"seq=(\d+)\|")


def encode_value(seq: int, size: int) -> bytes:
    head = f"seq={seq}|".encode()
    return head + b"x" * max(0, size - len(head))


def decode_seq(value: bytes) -> Optional[int]:
    m = VALUE_RE.match(value)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Ack:
    seq: int
    partition: int
    offset: int
    at: float  # time.time() of the acknowledgement


class Ledger:
    """Every acknowledgement and failure one producer saw, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.acks: list[Ack] = []
        self.errors: list[tuple[int, str, float]] = []
        self.sent = 0
        self.started_at = time.time()
        self.stopped_at: Optional[float] = None

    def ack(self, seq: int, partition: int, offset: int, at: Optional[float] = None) -> None:
        with self._lock:
            self.acks.append(Ack(seq, partition, offset, at if at is not None else time.time()))

    def error(self, seq: int, name: str, at: Optional[float] = None) -> None:
        with self._lock:
            self.errors.append((seq, name, at if at is not None else time.time()))

    def acks_since(self, t: float) -> int:
        with self._lock:
            return sum(1 for a in self.acks if a.at >= t)

    def acks_between(self, start: float, end: float) -> list[Ack]:
        with self._lock:
            return [a for a in self.acks if start <= a.at <= end]

    def errors_by_name(self) -> Counter:
        with self._lock:
            return Counter(name for _, name, _ in self.errors)

    def longest_stall(self) -> float:
        """Longest gap between the start (or an ack) and the next ack, while producing."""
        with self._lock:
            times = sorted(a.at for a in self.acks)
        end = self.stopped_at or time.time()
        points = [self.started_at] + [t for t in times if t <= end] + [end]
        return max((b - a for a, b in zip(points, points[1:])), default=0.0)


@dataclass
class Report:
    label: str
    sent: int
    acked: int
    errors: dict
    consumed: int
    lost: list = field(default_factory=list)
    misplaced: list = field(default_factory=list)
    duplicates: int = 0
    longest_stall_s: float = 0.0

    def summary(self) -> str:
        return (
            f"[{self.label}] sent={self.sent} acked={self.acked} lost={len(self.lost)} "
            f"misplaced={len(self.misplaced)} duplicates={self.duplicates} consumed={self.consumed} "
            f"longest_stall={self.longest_stall_s:.1f}s errors={dict(self.errors)}"
        )

    def assert_nothing_lost(self) -> None:
        assert not self.lost and not self.misplaced, (
            f"acknowledged records lost: {self.summary()}; lost seqs (first 20): {self.lost[:20]}; "
            f"misplaced (first 20): {self.misplaced[:20]}"
        )

    def publish(self) -> None:
        """Logs the counts and appends them to $FAULTS_REPORT (JSON lines) when set."""
        log.warning("%s", self.summary())
        path = os.environ.get("FAULTS_REPORT")
        if path:
            row = {
                "label": self.label, "sent": self.sent, "acked": self.acked, "lost": len(self.lost),
                "misplaced": len(self.misplaced), "duplicates": self.duplicates, "consumed": self.consumed,
                "longest_stall_s": round(self.longest_stall_s, 2), "errors": dict(self.errors),
            }
            with open(path, "a") as f:
                f.write(json.dumps(row) + "\n")


# ---------------------------------------------------------------------------- producers


class ConfluentLoad:
    """confluent-kafka producing `rate` records/s of `value_size` bytes on a background thread."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, rate: int = 200,
                 value_size: int = 100, **overrides) -> None:
        from confluent_kafka import Producer

        config = {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": False,
            "linger.ms": 5,
            "message.timeout.ms": 60000,
            "request.timeout.ms": 10000,
            "socket.timeout.ms": 10000,
            "reconnect.backoff.max.ms": 1000,
            "topic.metadata.refresh.interval.ms": 5000,
        }
        config.update(overrides)
        self.producer = Producer(config)
        self.topic, self.partitions, self.rate, self.value_size = topic, partitions, rate, value_size
        self.ledger = Ledger()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"load-{topic}", daemon=True)

    def start(self) -> "ConfluentLoad":
        self.ledger.started_at = time.time()
        self._thread.start()
        return self

    def _callback(self, seq: int):
        def delivered(err, msg) -> None:
            if err is not None:
                self.ledger.error(seq, err.name())
            else:
                self.ledger.ack(seq, msg.partition(), msg.offset())
        return delivered

    def _run(self) -> None:
        seq, t0 = 0, time.monotonic()
        while not self._stop.is_set():
            due = int((time.monotonic() - t0) * self.rate)
            while seq < due:
                try:
                    self.producer.produce(
                        self.topic, encode_value(seq, self.value_size),
                        partition=seq % self.partitions, on_delivery=self._callback(seq),
                    )
                except BufferError:
                    break  # the local queue is full (a long outage); try again next tick
                seq += 1
                self.ledger.sent = seq
            self.producer.poll(0.01)
        self.ledger.stopped_at = time.time()

    def stop(self, flush_timeout: float = 90.0) -> Ledger:
        """Stops producing, waits for every outstanding record's ack or error."""
        self._stop.set()
        self._thread.join(30)
        remaining = self.producer.flush(flush_timeout)
        assert remaining == 0, f"{remaining} records neither acknowledged nor failed after {flush_timeout}s"
        return self.ledger


class JavaLoad:
    """`SeqProducer.java` (Java kafka-clients 3.9 with default settings plus `props`): one
    `ACK seq partition offset millis` or `ERR seq millis exception` line per record."""

    def __init__(self, workdir: Path, bootstrap: str, topic: str, partitions: int, rate: int = 200,
                 value_size: int = 100, props: Optional[dict] = None) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.stop_file = self.workdir / "stop"
        argv = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", java_classpath(),
                str(JAVA_DIR / "SeqProducer.java"), bootstrap, topic, str(partitions), str(rate),
                str(value_size), str(self.stop_file)]
        argv += [f"{k}={v}" for k, v in (props or {}).items()]
        self.process = ManagedProcess("java-seq-producer", argv, self.workdir / "producer.log")
        self.ledger = Ledger()

    def start(self, timeout: float = 60.0) -> "JavaLoad":
        from .waiting import wait_until

        self.process.start()
        # Single-file programs compile first; count time from the first record sent.
        wait_until(lambda: "STARTED" in self.process.output() or not self.process.is_running(),
                   timeout, "SeqProducer to start")
        assert self.process.is_running(), self.process.tail(40)
        self.ledger.started_at = time.time()
        return self

    def acks_since(self, t: float) -> int:
        self._parse()
        return self.ledger.acks_since(t)

    def _parse(self) -> None:
        ledger = Ledger()
        ledger.started_at, ledger.stopped_at = self.ledger.started_at, self.ledger.stopped_at
        for line in self.process.output().splitlines():
            parts = line.split(" ", 4)
            if parts[0] == "ACK" and len(parts) == 5:
                ledger.ack(int(parts[1]), int(parts[2]), int(parts[3]), int(parts[4]) / 1000)
            elif parts[0] == "ERR" and len(parts) >= 4:
                ledger.error(int(parts[1]), parts[3].split(":")[0], int(parts[2]) / 1000)
            elif parts[0] == "DONE":
                ledger.sent = int(parts[1].split("=")[1])
                ledger.stopped_at = int(parts[2].split("=")[1]) / 1000
        self.ledger = ledger

    def stop(self, timeout: float = 150.0) -> Ledger:
        self.stop_file.write_text("stop\n")
        code = self.process.wait(timeout)
        self._parse()
        assert code == 0, f"SeqProducer exited with {code}:\n{self.process.tail(40)}"
        return self.ledger


# ---------------------------------------------------------------------------- verification


def consume_all(bootstrap: str, topic: str, timeout: float = 180.0) -> list[tuple[int, int, Optional[int]]]:
    """(partition, offset, seq) of every record of `topic`, read with kcat to the end."""
    result = kcat(bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                  "-f", "%p %o %s\\n", timeout=timeout)
    assert result.returncode == 0, f"kcat consume failed ({result.returncode}): {result.stderr[-2000:]}"
    rows = []
    for line in result.stdout.splitlines():
        if not line:
            continue
        p, o, value = line.split(" ", 2)
        rows.append((int(p), int(o), decode_seq(value.encode())))
    return rows


def verify(label: str, ledger: Ledger, bootstrap: str, topic: str) -> Report:
    """Consumes `topic` and compares it with `ledger`; publishes and returns the counts."""
    rows = consume_all(bootstrap, topic)
    at = {(p, o): seq for p, o, seq in rows}
    where = defaultdict(list)
    for p, o, seq in rows:
        where[seq].append((p, o))
    lost, misplaced = [], []
    for a in ledger.acks:
        if a.seq not in where:
            lost.append(a.seq)
        elif at.get((a.partition, a.offset)) != a.seq:
            misplaced.append((a.seq, a.partition, a.offset, at.get((a.partition, a.offset))))
    report = Report(
        label=label,
        sent=ledger.sent,
        acked=len(ledger.acks),
        errors=dict(ledger.errors_by_name()),
        consumed=len(rows),
        lost=sorted(lost),
        misplaced=misplaced,
        duplicates=sum(len(v) - 1 for v in where.values() if len(v) > 1),
        longest_stall_s=ledger.longest_stall(),
    )
    report.publish()
    return report
