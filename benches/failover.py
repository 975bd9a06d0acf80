#!/usr/bin/env python3
"""Failover time: kill -9 of a leader with many partitions, until every one of its partitions is
served by a new leader (issue 5 item 7).

    python3 benches/failover.py [--partitions 1000] [--session-timeout-ms 6000]
    ZKAFKA_BIN=$PWD/integration-tests/java/kafka-reference-broker python3 benches/failover.py   # real Kafka

Three brokers on real ZooKeeper, one topic with `--partitions` partitions, replication factor 3,
min.insync.replicas=2, leadership spread round-robin (the victim leads a third). The victim is a
broker that is not the controller, so this measures leader failover, not controller failover.
After kill -9 the main loop reads Metadata v7 from a surviving broker every `--interval` s, and one
probe thread per victim partition sends a raw Produce v7 (acks=all, one record) to the partition's
current leader as soon as that is a live broker, every `--interval` s until one succeeds. A partition's failover time is from the
kill to its first successful acks=all produce. The time at which ZooKeeper dropped the victim's
registration (session expiry, Kafka's detection of the failure) is reported too: failover
= detection (≈ zookeeper.session.timeout.ms) + election and propagation.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from benchlib import implementation, percentile, produce_v7, running_cluster

from harness.partition_state import create_topic_znodes, metadata_v7, wait_partition_states
from harness.waiting import wait_until


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--partitions", type=int, default=1000)
    ap.add_argument("--session-timeout-ms", type=int, default=6000)
    ap.add_argument("--interval", type=float, default=0.05)
    ap.add_argument("--json", help="append the result as one JSON line to this file")
    ap.add_argument("--keep", action="store_true", help="keep the cluster's directory (broker logs)")
    args = ap.parse_args()

    with running_cluster(3, session_timeout_ms=args.session_timeout_ms, keep=args.keep) as cluster:
        print(f"cluster directory: {cluster.base_dir}", flush=True)
        ids = [b.broker_id for b in cluster.brokers]
        topic = "failover"
        assignment = {p: ids[p % 3:] + ids[:p % 3] for p in range(args.partitions)}
        t = time.time()
        create_topic_znodes(cluster, topic, assignment, {"min.insync.replicas": "2"})
        wait_partition_states(cluster.view, topic, lambda s: s.leader >= 0 and len(s.isr) == 3, 600,
                              "every partition online with a full ISR")
        created_s = time.time() - t
        controller = cluster.controller().broker_id
        victim = next(b for b in ids if b != controller)
        survivor = cluster.broker(controller)
        affected = sorted(p for p, r in assignment.items() if r[0] == victim)

        def leaders() -> dict[int, int]:
            return {p: s.leader for p, s in metadata_v7("127.0.0.1", survivor.port, topic, timeout=30).items()}

        wait_until(lambda: all(leaders().get(p) == assignment[p][0] for p in assignment), 300,
                   "the survivor to serve every partition's leader")
        # Warm-up: every leader accepts acks=all produce before the fault.
        for b in ids:
            parts = [p for p, r in assignment.items() if r[0] == b]
            errors = produce_v7("127.0.0.1", cluster.broker(b).port, topic, parts, timeout_ms=30000)
            assert set(errors.values()) == {0}, f"warm-up produce to broker {b}: {errors}"

        expired_at: list[float] = []

        def watch_registration() -> None:
            path = f"/brokers/ids/{victim}"
            while cluster.view.exists(path):
                time.sleep(0.01)
            expired_at.append(time.time())

        killed_at = time.time()
        print(f"kill -9 broker {victim} at {time.strftime('%H:%M:%S', time.localtime(killed_at))}"
              f".{int(killed_at * 1000) % 1000:03d}", flush=True)
        cluster.broker(victim).kill()
        watcher = threading.Thread(target=watch_registration, daemon=True)
        watcher.start()

        served_at: dict[int, float] = {}
        served_by: dict[int, int] = {}
        errors_seen: dict[int, int] = {}
        lock = threading.Lock()
        current: dict[int, int] = {}
        deadline = killed_at + 300

        def probe(p: int) -> None:
            # One partition per request: a produce response waits for every partition in it, so
            # batching partitions would report the slowest one's time for all of them.
            while time.time() < deadline:
                leader = current.get(p, -1)
                if leader not in (-1, victim):
                    try:
                        err = produce_v7("127.0.0.1", cluster.broker(leader).port, topic, [p],
                                         timeout_ms=5000).get(p, -1)
                    except OSError:
                        err = -1
                    with lock:
                        if err == 0:
                            served_at[p], served_by[p] = time.time(), leader
                            return
                        errors_seen[err] = errors_seen.get(err, 0) + 1
                time.sleep(args.interval)

        probes = [threading.Thread(target=probe, args=(p,), daemon=True) for p in affected]
        for t_ in probes:
            t_.start()
        while any(t_.is_alive() for t_ in probes) and time.time() < deadline:
            try:
                current.update(leaders())
            except OSError:
                pass
            time.sleep(args.interval)
        watcher.join(5)

        times = [served_at[p] - killed_at for p in affected if p in served_at]
        detection = expired_at[0] - killed_at if expired_at else float("nan")
        result = {
            "impl": implementation(),
            "partitions": args.partitions,
            "victim_partitions": len(affected),
            "served": len(times),
            "session_timeout_ms": args.session_timeout_ms,
            "topic_online_s": round(created_s, 2),
            "detection_s": round(detection, 3),
            "failover_min_s": round(min(times), 3) if times else None,
            "failover_median_s": round(percentile(times, 0.5), 3),
            "failover_p99_s": round(percentile(times, 0.99), 3),
            "failover_max_s": round(max(times), 3) if times else None,
            "after_detection_median_s": round(percentile(times, 0.5) - detection, 3),
            "after_detection_max_s": round(max(times) - detection, 3) if times else None,
            "transient_errors": errors_seen,
            # Per new leader (the controller's broker or the other survivor): median and max.
            "by_new_leader": {
                str(b): [round(percentile(ts, 0.5), 3), round(max(ts), 3), len(ts)]
                for b in sorted(set(served_by.values()))
                for ts in [[served_at[p] - killed_at for p in served_at if served_by[p] == b]]
            },
            "controller": controller,
        }
        print(json.dumps(result))
        if args.json:
            with open(args.json, "a") as f:
                f.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
