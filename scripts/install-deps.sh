#!/usr/bin/env bash
# Installs what zkafka's local cluster and test suite need on a Debian machine. Idempotent: each
# step checks first and does nothing when its tool is already there.
#
#   Debian:  zookeeper (the real ZooKeeper server the brokers join), kcat (a librdkafka client)
#   PyPI:    integration-tests/requirements.txt (kazoo, pytest, pytest-timeout, confluent-kafka,
#            kafka-python)
#   Maven:   integration-tests/java/pom.xml -> integration-tests/lib/ (Kafka 3.9 jars: the Java
#            clients and the reference broker), only if Maven is installed
# Must already be present: java (ZooKeeper runs on it) and cargo (builds zkafka).
#
#   scripts/install-deps.sh --bench   also iperf3 (Debian), used only by the benchmarks
#                                     (docs/benchmarks.md: the loopback limit)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[install-deps] %s\n' "$*"; }
die() { printf '[install-deps] error: %s\n' "$*" >&2; exit 1; }

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

# --- Debian packages ---------------------------------------------------------------------------
missing=()
[[ -f /usr/share/java/zookeeper.jar ]] || missing+=(zookeeper)
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
if [[ "${1:-}" == "--bench" ]]; then
  command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
fi
if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || die "need Debian packages ${missing[*]} but apt-get is not available"
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present: zookeeper, kcat"
fi

command -v java >/dev/null 2>&1 || die "java not found (ZooKeeper needs a JRE: apt-get install -y default-jre-headless)"
command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup)"
command -v python3 >/dev/null 2>&1 || die "python3 not found"

# --- Python packages ---------------------------------------------------------------------------
if python3 - integration-tests/requirements.txt <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        ok = False
sys.exit(0 if ok else 1)
PY
then
  say "Python packages present (integration-tests/requirements.txt)"
else
  say "installing Python packages from integration-tests/requirements.txt"
  pip=(python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -r integration-tests/requirements.txt)
  if ! "${pip[@]}" 2>/tmp/zkafka-pip.err; then
    if grep -q externally-managed /tmp/zkafka-pip.err; then
      "${pip[@]}" --break-system-packages
    else
      cat /tmp/zkafka-pip.err >&2
      die "pip install failed"
    fi
  fi
fi

# --- Kafka 3.9 jars (optional) -------------------------------------------------------------------
if [[ -d integration-tests/lib ]] && compgen -G 'integration-tests/lib/kafka_2.13-*.jar' >/dev/null; then
  say "Kafka jars present (integration-tests/lib)"
elif command -v mvn >/dev/null 2>&1; then
  say "resolving Kafka 3.9 jars into integration-tests/lib"
  if ! mvn -q -B -f integration-tests/java/pom.xml dependency:copy-dependencies; then
    say "warning: could not resolve the Kafka jars; tests that use the Java clients will fail"
  fi
else
  say "Maven not installed: skipping the Kafka jars (needed only by Java-client tests)"
fi

say "done"
