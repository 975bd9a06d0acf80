#!/usr/bin/env bash
# Starts a local ZooKeeper and a 3-broker zkafka cluster in the background (README command 1).
#
#   scripts/start-cluster.sh          install what is missing, build, start, show the tree
#   scripts/stop-cluster.sh           stop it (add --clean to delete its data)
#
# Everything lives under .cluster/ (zookeeper/, broker-<id>/ with server.properties, log dirs,
# a log file and a pid file). Ports: ZooKeeper 2181 and brokers 9092-9094 when free (else free
# ones; override with ZK_PORT and BROKER_BASE_PORT). The brokers use the chroot /zkafka.
# Environment: BROKERS (default 3), SKIP_INSTALL=1, SKIP_BUILD=1, ZKAFKA_BIN.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ZKAFKA_ROOT"

BROKERS="${BROKERS:-3}"
CHROOT=/zkafka

if [[ -f "$CLUSTER_DIR/zookeeper/pid" ]] && pid_is "$(cat "$CLUSTER_DIR/zookeeper/pid")" "$CLUSTER_DIR"; then
  die "a cluster is already running from $CLUSTER_DIR (scripts/stop-cluster.sh stops it)"
fi

[[ "${SKIP_INSTALL:-}" == 1 ]] || scripts/install-deps.sh
if [[ "${SKIP_BUILD:-}" != 1 && -z "${ZKAFKA_BIN:-}" ]]; then
  say "building zkafka (cargo build --release)"
  cargo build --release --quiet
fi
BIN="$(zkafka_release_bin)"
[[ -x "$BIN" ]] || die "no zkafka binary at $BIN"

mkdir -p "$CLUSTER_DIR"
ZK_PORT="$(free_port_or "${ZK_PORT:-2181}")"
BROKER_BASE_PORT="${BROKER_BASE_PORT:-9092}"

# Starts "$@" detached from this shell (own session, no hangup), output to $log, pid to $pidfile.
start_detached() {
  local log="$1" pidfile="$2"; shift 2
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# --- ZooKeeper ------------------------------------------------------------------------------------
zk="$CLUSTER_DIR/zookeeper"
mkdir -p "$zk/data"
cat >"$zk/zoo.cfg" <<CFG
tickTime=2000
dataDir=$zk/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
CFG
cp=/usr/share/java/zookeeper.jar
[[ -f /usr/share/java/slf4j-simple.jar ]] && cp="$cp:/usr/share/java/slf4j-simple.jar"
say "starting ZooKeeper on 127.0.0.1:$ZK_PORT"
start_detached "$zk/zookeeper.log" "$zk/pid" \
  java -Xmx256m -Dzookeeper.admin.enableServer=false -cp "$cp" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$zk/zoo.cfg"
for _ in $(seq 1 150); do
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && printf ruok >&3 && cat <&3) 2>/dev/null || true)"
  [[ "$reply" == imok ]] && break
  sleep 0.2
done
[[ "$reply" == imok ]] || { tail -20 "$zk/zookeeper.log" >&2; die "ZooKeeper did not start"; }

# --- brokers --------------------------------------------------------------------------------------
bootstrap=()
for ((id = 0; id < BROKERS; id++)); do
  b="$CLUSTER_DIR/broker-$id"
  mkdir -p "$b/kafka-logs"
  port="$(free_port_or $((BROKER_BASE_PORT + id)))"
  cat >"$b/server.properties" <<PROPS
# Broker $id of the local zkafka cluster (scripts/start-cluster.sh). Kafka's key names.
broker.id=$id
listeners=PLAINTEXT://127.0.0.1:$port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
log.dirs=$b/kafka-logs
zookeeper.connect=127.0.0.1:$ZK_PORT$CHROOT
zookeeper.session.timeout.ms=18000
PROPS
  say "starting broker $id on 127.0.0.1:$port"
  start_detached "$b/broker.log" "$b/pid" "$BIN" broker --config "$b/server.properties"
  bootstrap+=("127.0.0.1:$port")
done
printf 'ZK_PORT=%s\nCHROOT=%s\nBOOTSTRAP=%s\nBIN=%s\n' "$ZK_PORT" "$CHROOT" "$(IFS=,; echo "${bootstrap[*]}")" "$BIN" >"$CLUSTER_DIR/cluster.env"

# --- wait until every broker is registered ---------------------------------------------------------
say "waiting for $BROKERS brokers to register in ZooKeeper"
if ! python3 - "127.0.0.1:$ZK_PORT$CHROOT" "$BROKERS" "$CLUSTER_DIR" <<'PY'
import sys, time, os, warnings
warnings.filterwarnings("ignore")
from kazoo.client import KazooClient
hosts, want, cluster_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
zk = KazooClient(hosts=hosts); zk.start(timeout=30)
deadline = time.time() + 90
ids = []
while time.time() < deadline:
    ids = zk.get_children("/brokers/ids") if zk.exists("/brokers/ids") else []
    if len(ids) >= want:
        break
    for i in range(want):  # stop early if a broker died
        pid = open(os.path.join(cluster_dir, f"broker-{i}", "pid")).read().strip()
        if not os.path.exists(f"/proc/{pid}"):
            print(f"broker {i} exited; see {cluster_dir}/broker-{i}/broker.log", file=sys.stderr)
            sys.exit(1)
    time.sleep(0.2)
zk.stop()
print("registered broker ids:", sorted(int(i) for i in ids))
sys.exit(0 if len(ids) >= want else 1)
PY
then
  for ((id = 0; id < BROKERS; id++)); do echo "--- broker $id ---" >&2; tail -15 "$CLUSTER_DIR/broker-$id/broker.log" >&2; done
  die "the cluster did not come up; scripts/stop-cluster.sh cleans up"
fi

say "ZooKeeper tree (zkafka zk tree --zookeeper 127.0.0.1:$ZK_PORT$CHROOT):"
if ! "$BIN" zk tree --zookeeper "127.0.0.1:$ZK_PORT$CHROOT"; then
  say "(zkafka zk tree failed; the raw tree read with kazoo instead)"
  python3 - "127.0.0.1:$ZK_PORT$CHROOT" <<'PY'
import sys, warnings
warnings.filterwarnings("ignore")
from kazoo.client import KazooClient
zk = KazooClient(hosts=sys.argv[1]); zk.start(timeout=30)
def walk(path, depth):
    data, stat = zk.get(path)
    shown = "" if data is None else " = " + data.decode("utf-8", "replace")
    mode = " (ephemeral)" if stat.ephemeralOwner else ""
    print("  " * depth + (path.rsplit("/", 1)[-1] or "/") + mode + shown)
    for child in sorted(zk.get_children(path)):
        walk(path.rstrip("/") + "/" + child, depth + 1)
walk("/", 0)
zk.stop()
PY
fi

cat <<MSG

zkafka cluster running:
  ZooKeeper:         127.0.0.1:$ZK_PORT   (brokers use zookeeper.connect=127.0.0.1:$ZK_PORT$CHROOT)
  bootstrap servers: $(IFS=,; echo "${bootstrap[*]}")
  files and logs:    $CLUSTER_DIR/
  look:              $BIN zk tree --zookeeper 127.0.0.1:$ZK_PORT$CHROOT
  stop:              scripts/stop-cluster.sh   (add --clean to delete the data)
MSG
