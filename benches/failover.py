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
= detection (≈ zookeeper.session.timeout.ms) + election and propagation. So is, per moved
partition, the time until its state znode in ZooKeeper names a new leader (`zk_leader_*`: the
controller's elections; the rest of the failover is the brokers applying LeaderAndIsr and the
followers reconnecting), and, for creation, the time from writing the topic znodes until every
partition accepts an acks=all produce (`topic_writable_s`: the controller plus every broker
creating its logs and becoming leader or follower) and `survivor_metadata_s` (until the
probed broker's Metadata names every partition's leader, needed before the fault).

Wrapper with the release build: `scripts/bench-failover.sh [args]`.
"""

from __future__ import annotations

import argparse
import json
import sys
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
    ap.add_argument("--verbose", action="store_true", help="progress of the warm-up produce on stderr")
    ap.add_argument("--keep", action="store_true", help="keep the cluster directory (broker logs) and print it")
    args = ap.parse_args()

    with running_cluster(3, session_timeout_ms=args.session_timeout_ms, keep=args.keep) as cluster:
        if args.keep:
            print(f"cluster directory: {cluster.brokers[0].dir.parent}", file=sys.stderr)
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

        # Warm-up: every leader accepts acks=all produce before the fault; until then the
        # brokers are still creating logs / starting followers (creation time).
        pending = set(assignment)
        deadline = time.time() + 600
        while pending and time.time() < deadline:
            for b in ids:
                parts = sorted(p for p in pending if assignment[p][0] == b)
                if not parts:
                    continue
                sent_at = time.time()
                try:
                    errors = produce_v7("127.0.0.1", cluster.broker(b).port, topic, parts, timeout_ms=5000)
                except OSError:
                    continue
                pending -= {p for p, err in errors.items() if err == 0}
                if args.verbose:
                    codes: dict[int, int] = {}
                    for err in errors.values():
                        codes[err] = codes.get(err, 0) + 1
                    print(f"warm-up t={time.time() - t:.2f}s broker {b}: {len(parts)} partitions in "
                          f"{time.time() - sent_at:.2f}s, error codes {codes}", file=sys.stderr)
            if pending:
                time.sleep(args.interval)
        assert not pending, f"{len(pending)} partitions never accepted an acks=all produce"
        writable_s = time.time() - t
        # The probe below reads leaders from the survivor's Metadata: it must be current first.
        # One Metadata request per check (a generator calling leaders() per partition sent
        # 1,000 requests per check, which is what survivor_metadata_s used to measure).
        def survivor_current() -> bool:
            served = leaders()
            return all(served.get(p) == assignment[p][0] for p in assignment)

        wait_until(survivor_current, 300, "the survivor to serve every partition's leader")
        metadata_s = time.time() - t

        expired_at: list[float] = []

        def watch_registration() -> None:
            path = f"/brokers/ids/{victim}"
            while cluster.view.exists(path):
                time.sleep(0.01)
            expired_at.append(time.time())

        zk_leader_at: dict[int, float] = {}

        def watch_leaders() -> None:
            """Polls the moved partitions' state znodes (all reads in flight at once)."""
            zk = cluster.view.client
            stop_at = time.time() + 300
            while len(zk_leader_at) < len(affected) and time.time() < stop_at:
                waiting = [p for p in affected if p not in zk_leader_at]
                reads = [(p, zk.get_async(f"/brokers/topics/{topic}/partitions/{p}/state")) for p in waiting]
                for p, r in reads:
                    try:
                        data, _ = r.get(timeout=10)
                    except Exception:  # connection loss while polling: read again next round
                        continue
                    if json.loads(data)["leader"] not in (-1, victim):
                        zk_leader_at[p] = time.time()
                time.sleep(0.02)

        killed_at = time.time()
        print(f"kill -9 broker {victim} at {time.strftime('%H:%M:%S', time.localtime(killed_at))}"
              f".{int(killed_at * 1000) % 1000:03d}", flush=True)
        cluster.broker(victim).kill()
        watcher = threading.Thread(target=watch_registration, daemon=True)
        watcher.start()
        leader_watcher = threading.Thread(target=watch_leaders, daemon=True)
        leader_watcher.start()

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
        leader_watcher.join(30)
        zk_times = [zk_leader_at[p] - killed_at for p in affected if p in zk_leader_at]

        times = [served_at[p] - killed_at for p in affected if p in served_at]
        detection = expired_at[0] - killed_at if expired_at else float("nan")
        result = {
            "impl": implementation(),
            "partitions": args.partitions,
            "victim_partitions": len(affected),
            "served": len(times),
            "session_timeout_ms": args.session_timeout_ms,
            "topic_online_s": round(created_s, 2),
            "topic_writable_s": round(writable_s, 2),
            "survivor_metadata_s": round(metadata_s, 2),
            "detection_s": round(detection, 3),
            "failover_min_s": round(min(times), 3) if times else None,
            "failover_median_s": round(percentile(times, 0.5), 3),
            "failover_p99_s": round(percentile(times, 0.99), 3),
            "failover_max_s": round(max(times), 3) if times else None,
            "zk_leader_median_s": round(percentile(zk_times, 0.5), 3),
            "zk_leader_max_s": round(max(zk_times), 3) if zk_times else None,
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
