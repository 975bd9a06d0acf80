#!/usr/bin/env bash
# Stops the local cluster started by scripts/start-cluster.sh: brokers first (SIGTERM, orderly
# shutdown, SIGKILL after 30 s), then ZooKeeper. `--clean` also deletes .cluster/.
# Only the pids recorded in .cluster/*/pid are signalled, and only if they still run our command.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

clean=0
[[ "${1:-}" == "--clean" ]] && clean=1

stop_pidfile() {
  local name="$1" pidfile="$2"
  [[ -f "$pidfile" ]] || return 0
  local pid; pid="$(cat "$pidfile")"
  if pid_is "$pid" "$CLUSTER_DIR"; then
    say "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do pid_is "$pid" "$CLUSTER_DIR" || break; sleep 0.1; done
    if pid_is "$pid" "$CLUSTER_DIR"; then
      say "$name did not stop in 30 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

[[ -d "$CLUSTER_DIR" ]] || { say "no cluster at $CLUSTER_DIR"; exit 0; }
for pidfile in "$CLUSTER_DIR"/broker-*/pid; do
  [[ -e "$pidfile" ]] || continue
  stop_pidfile "$(basename "$(dirname "$pidfile")")" "$pidfile"
done
stop_pidfile zookeeper "$CLUSTER_DIR/zookeeper/pid"
if ((clean)); then
  rm -rf "$CLUSTER_DIR"
  say "deleted $CLUSTER_DIR"
fi
say "stopped"
