"""Real Kafka clients for the tests of later issues (produce/fetch, groups, security).

* `kcat(...)`            – Debian's kcat (librdkafka 2.0.2: an old client, good at catching
                           protocol details newer clients tolerate).
* `kcat_metadata(...)`   – `kcat -L -J` parsed.
* `confluent_config(...)`/`kafka_python_config(...)` – client settings with test-friendly
                           timeouts for confluent-kafka (librdkafka) and kafka-python.
* `java_classpath()` / `run_java(...)` – the Java kafka-clients and Kafka's tools from
                           integration-tests/lib (resolved by scripts/install-deps.sh); Java 17
                           runs a single-file program directly (`java -cp lib/* Check.java`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Optional, Sequence

from .procs import run_command

LIB_DIR = Path(__file__).resolve().parents[1] / "lib"


def kcat(bootstrap: str, *args: str, timeout: float = 30.0):
    """Runs `kcat -b <bootstrap> <args>`; returns the CompletedProcess."""
    if shutil.which("kcat") is None:
        raise AssertionError("kcat is not installed (scripts/install-deps.sh installs it)")
    return run_command(["kcat", "-b", bootstrap, *args], timeout=timeout)


def kcat_metadata(bootstrap: str, topic: Optional[str] = None, timeout: float = 30.0) -> dict[str, Any]:
    """Cluster metadata as kcat sees it (`kcat -L -J`): brokers, controllerid, topics."""
    args = ["-L", "-J", "-m", "10"]
    if topic:
        args += ["-t", topic]
    result = kcat(bootstrap, *args, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"kcat -L failed ({result.returncode}): {result.stderr}")
    return json.loads(result.stdout)


def confluent_config(bootstrap: str, **overrides: Any) -> dict[str, Any]:
    """confluent-kafka settings: fail fast instead of retrying for minutes."""
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "socket.timeout.ms": 10000,
        "message.timeout.ms": 30000,
        "reconnect.backoff.max.ms": 1000,
    }
    config.update(overrides)
    return config


def kafka_python_config(bootstrap: str, **overrides: Any) -> dict[str, Any]:
    """kafka-python settings (keyword arguments for KafkaProducer/KafkaConsumer/KafkaAdminClient)."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap.split(","),
        "request_timeout_ms": 30000,
        "reconnect_backoff_max_ms": 1000,
    }
    config.update(overrides)
    return config


def java_classpath() -> str:
    """`integration-tests/lib/*`, the Kafka 3.9 jars; fails with the fix if they are missing."""
    if not any(LIB_DIR.glob("kafka-clients-*.jar")):
        raise AssertionError(
            f"Kafka jars missing in {LIB_DIR}: run scripts/install-deps.sh "
            "(mvn -f integration-tests/java/pom.xml dependency:copy-dependencies)"
        )
    return str(LIB_DIR / "*")


def run_java(source_or_class: str, args: Sequence[str] = (), timeout: float = 120.0, heap_mb: int = 256):
    """Runs a single-file Java program (`Foo.java`) or a main class with the Kafka jars."""
    return run_command(
        ["java", f"-Xmx{heap_mb}m", "-XX:TieredStopAtLevel=1", "-cp", java_classpath(), source_or_class, *args],
        timeout=timeout,
    )
