#!/usr/bin/env bash
# Failover benchmark (issue 5 item 7): release build, ZooKeeper + 3 brokers, a topic with
# 1,000 partitions and replication factor 3, produce to every partition, kill -9 the broker
# leading a third of them, then per moved partition the time from the kill to the first
# acks=all produce accepted by its new leader (median / p99 / max), the time until ZooKeeper
# names the new leader, and the topic creation time. One JSON line on stdout.
#
#   scripts/bench-failover.sh                          # zkafka, 1000 partitions, 6 s session timeout
#   scripts/bench-failover.sh --partitions 300 --json results.jsonl
#   ZKAFKA_BIN=$PWD/integration-tests/java/kafka-reference-broker scripts/bench-failover.sh   # real Kafka
#
# Every argument goes to benches/failover.py (see its docstring for the fields). BENCH_DIR
# (default /tmp) is where the cluster's directories are created.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ZKAFKA_ROOT"

if [[ -z "${ZKAFKA_BIN:-}" ]]; then
  say "cargo build --release" >&2
  cargo build --release --quiet
  ZKAFKA_BIN="$(zkafka_release_bin)"
  export ZKAFKA_BIN
fi
say "binary: $ZKAFKA_BIN" >&2
exec python3 benches/failover.py "$@"
