#!/usr/bin/env python3
"""Produce and consume throughput against a local cluster, with several clients (issue 4 item 8,
issue 5 item 7).

    python3 benches/produce_consume.py --brokers 1 --acks 1   [--records 300000 --record-size 1024]
    python3 benches/produce_consume.py --brokers 3 --acks all
    ZKAFKA_BIN=$PWD/integration-tests/java/kafka-reference-broker python3 benches/produce_consume.py ...

Starts ZooKeeper and `--brokers` brokers (zkafka, or real Kafka 3.9.1 through ZKAFKA_BIN), and
for each client a fresh topic (`--partitions`, replication factor = brokers, min.insync.replicas
2 when RF 3) written to ZooKeeper. Clients, run one after another, each with the same record
count and size and no throttling:

* `zkafka perf produce` (kafka-producer-perf-test's flags and output line);
* kcat -P reading the records from a file (librdkafka; wall-clock time of the whole run, no
  latency figures);
* Kafka's `org.apache.kafka.tools.ProducerPerformance` from integration-tests/lib;
* `--throttled N`: the zkafka producer again at N records/s, for latency without queueing;
* `zkafka perf consume` of the records the zkafka producer wrote.

Broker RSS (VmRSS) is read after every run. The client binary is `--zkafka-client` (default: the
release build), whichever broker runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import time
from pathlib import Path

from benchlib import ROOT, implementation, rss_mib, running_cluster

from harness.partition_state import create_topic_znodes, wait_partition_states

PERF_LINE = re.compile(
    r"(\d+) records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
    r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th"
)


def default_client() -> str:
    target = os.environ.get("CARGO_TARGET_DIR", str(ROOT / "target"))
    return str(Path(target) / "release" / "zkafka")


def run(argv: list[str], timeout: float = 300) -> str:
    """The command's stdout; a run that hangs (e.g. a producer waiting for a producer id) is cut
    at `timeout` and reported instead of stopping the other runs."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return out + f"\nTIMED OUT after {timeout}s"
    return result.stdout + result.stderr


def perf_line(output: str) -> dict:
    matches = PERF_LINE.findall(output)
    if not matches:
        return {"error": output.strip().splitlines()[-1] if output.strip() else "no output"}
    n, rps, mbs, avg, mx, p50, p95, p99, p999 = matches[-1]
    return {"records": int(n), "records_per_s": float(rps), "mb_per_s": float(mbs), "avg_ms": float(avg),
            "max_ms": float(mx), "p50_ms": int(p50), "p95_ms": int(p95), "p99_ms": int(p99), "p999_ms": int(p999)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--brokers", type=int, default=1)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--records", type=int, default=300000)
    ap.add_argument("--record-size", type=int, default=1024)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--throttled", type=int, default=0, help="also run the zkafka producer at this rate")
    ap.add_argument("--clients", default="zkafka,kcat,java,consume")
    ap.add_argument("--zkafka-client", default=default_client())
    ap.add_argument("--json", help="append each result as one JSON line to this file")
    args = ap.parse_args()
    clients = args.clients.split(",")
    rf = args.brokers
    results = []

    with running_cluster(args.brokers) as cluster:
        ids = [b.broker_id for b in cluster.brokers]
        bootstrap = cluster.bootstrap_servers

        def topic(name: str) -> str:
            assignment = {p: (ids[p % rf:] + ids[:p % rf])[:rf] for p in range(args.partitions)}
            config = {"min.insync.replicas": "2"} if rf >= 3 else {}
            create_topic_znodes(cluster, name, assignment, config)
            wait_partition_states(cluster.view, name, lambda s: s.leader >= 0 and len(s.isr) == rf, 120,
                                  f"{name} online")
            time.sleep(2)  # let UpdateMetadata reach every broker
            return name

        def record(client: str, command: str, numbers: dict) -> None:
            row = {"impl": implementation(), "brokers": args.brokers, "acks": args.acks, "client": client,
                   "command": command, **numbers,
                   "broker_rss_mib": [round(rss_mib(b.process.pid), 1) for b in cluster.running()]}
            results.append(row)
            print(json.dumps(row), flush=True)

        perf_props = ["--producer-props", f"bootstrap.servers={bootstrap}", f"acks={args.acks}"]
        base = ["--num-records", str(args.records), "--record-size", str(args.record_size)]
        if "zkafka" in clients or "consume" in clients:
            t = topic("perf-zkafka")
            argv = [args.zkafka_client, "perf", "produce", "--topic", t, *base, "--throughput", "-1", *perf_props]
            record("zkafka perf produce", " ".join(argv[1:]), perf_line(run(argv)))
        if "kcat" in clients:
            t = topic("perf-kcat")
            data = Path(os.environ.get("BENCH_DIR", "/tmp")) / f"kcat-{args.records}x{args.record_size}.txt"
            if not data.exists() or data.stat().st_size != args.records * (args.record_size + 1):
                line = b"x" * args.record_size + b"\n"
                with open(data, "wb") as f:
                    for _ in range(args.records):
                        f.write(line)
            argv = ["kcat", "-P", "-b", bootstrap, "-t", t, "-X", f"acks={args.acks}", "-X", "linger.ms=5"]
            with open(data, "rb") as stdin:
                t0 = time.monotonic()
                out = subprocess.run(argv, stdin=stdin, capture_output=True, timeout=900)
                secs = time.monotonic() - t0
            assert out.returncode == 0, out.stderr[-2000:]
            mb = args.records * args.record_size / (1024 * 1024)
            record("kcat -P", " ".join(argv) + f" < {data.name}",
                   {"records": args.records, "records_per_s": round(args.records / secs, 1),
                    "mb_per_s": round(mb / secs, 2), "wall_s": round(secs, 2)})
        if "java" in clients:
            t = topic("perf-java")
            argv = ["java", "-Xmx512m", "-cp", str(ROOT / "integration-tests" / "lib" / "*"),
                    "org.apache.kafka.tools.ProducerPerformance", "--topic", t, *base, "--throughput", "-1",
                    *perf_props]
            record("ProducerPerformance (Java)", " ".join(argv[4:]), perf_line(run(argv)))
        if args.throttled:
            t = topic("perf-throttled")
            argv = [args.zkafka_client, "perf", "produce", "--topic", t, *base, "--throughput", str(args.throttled),
                    *perf_props]
            record(f"zkafka perf produce @{args.throttled}/s", " ".join(argv[1:]), perf_line(run(argv)))
        if "consume" in clients:
            argv = [args.zkafka_client, "perf", "consume", "--bootstrap-server", bootstrap, "--topic", "perf-zkafka",
                    "--messages", str(args.records)]
            lines = [line for line in run(argv).splitlines() if line.strip() and "," in line]
            header = [h.strip() for h in lines[-2].split(",")]
            values = [v.strip() for v in lines[-1].split(",")]
            record("zkafka perf consume", " ".join(argv[1:]), dict(zip(header, values)))

    if args.json:
        with open(args.json, "a") as f:
            for row in results:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
