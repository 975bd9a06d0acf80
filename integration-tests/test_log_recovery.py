"""A broker killed with SIGKILL in the middle of writes recovers its log on restart (issue 3,
"processes are killed mid-write and restarted").

Kafka: without `.kafka_cleanshutdown` the log manager re-validates every segment past the
recovery point (CRC, offsets), truncates a torn or corrupt tail, rebuilds indexes, and the
records acknowledged before the kill are all there (`LogLoader.recoverLog`, `LogSegment.recover`;
semantics doc §3.4). A clean shutdown writes the marker and the next start skips recovery.
"""

from __future__ import annotations

import os
import threading
import time

from harness.broker import orderly_exit_codes
from harness.log_tools import AckedProducer, create_topic, files, partition_dir, read_partition, wait_leader, watermarks
from harness.waiting import wait_until

CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown"


def test_kill_9_mid_write_then_restart_keeps_every_acknowledged_record(cluster_factory) -> None:
    cluster = cluster_factory(size=1, session_timeout_ms=6000).start()
    broker = cluster.broker(0)
    topic = f"crash-{os.getpid()}"
    create_topic(cluster, topic, {0: [0]}, {"segment.bytes": "65536"})
    wait_leader(cluster.bootstrap_servers, topic, 1)

    producer = AckedProducer(cluster.bootstrap_servers, **{"message.timeout.ms": 5000, "linger.ms": 1})
    stop = threading.Event()

    def produce_forever() -> None:
        i = 0
        while not stop.is_set():
            producer.send(topic, 0, f"k{i}".encode(), f"value-{i}-".encode() + b"z" * 300)
            i += 1
            if i % 50 == 0:
                time.sleep(0.001)

    writer = threading.Thread(target=produce_forever, daemon=True)
    writer.start()
    wait_until(lambda: len(producer.acked) >= 3000, 60.0, "3000 acknowledged records")
    broker.kill()  # SIGKILL while the producer keeps sending
    stop.set()
    writer.join(10)
    producer.producer.flush(10)
    acked = dict(producer.acked)
    assert len(acked) >= 3000

    log_dir = broker.log_dirs[0]
    d = partition_dir(broker, topic, 0)
    assert not (log_dir / CLEAN_SHUTDOWN_FILE).exists()
    segments = files(d, ".log")
    assert len(segments) > 1, segments
    # A power loss can also leave half a batch: add a torn partial batch header at the tail.
    active = d / segments[-1]
    size_before = active.stat().st_size
    with open(active, "ab") as f:
        f.write((10**6).to_bytes(8, "big") + (5000).to_bytes(4, "big") + b"\x00" * 20)

    broker.restart()
    wait_leader(cluster.bootstrap_servers, topic, 1)
    low, high = watermarks(cluster.bootstrap_servers, topic, 0)
    assert low == 0
    assert high >= max(o for (_, o) in acked) + 1
    assert active.stat().st_size == size_before, "the torn tail was not truncated"
    records = {o: (k, v) for o, k, v in read_partition(cluster.bootstrap_servers, topic, 0)}
    missing = [o for (_, o) in acked if o not in records]
    assert not missing, f"{len(missing)} acknowledged records lost, e.g. {missing[:5]}"
    for (_, offset), kv in acked.items():
        assert records[offset] == kv, offset

    # The log continues right after the recovered end; a clean stop writes the marker.
    after = AckedProducer(cluster.bootstrap_servers)
    after.send(topic, 0, b"after", b"restart")
    after.flush()
    assert list(after.acked) == [(0, high)]
    assert broker.stop() in orderly_exit_codes()
    assert (log_dir / CLEAN_SHUTDOWN_FILE).exists()
    broker.restart()
    wait_leader(cluster.bootstrap_servers, topic, 1)
    assert watermarks(cluster.bootstrap_servers, topic, 0) == (0, high + 1)
