# shellcheck shell=bash
# Shared helpers for scripts/*.sh (sourced, not run).
# shellcheck disable=SC2034  # CLUSTER_DIR is used by the scripts that source this file.

ZKAFKA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER_DIR="${ZKAFKA_CLUSTER_DIR:-$ZKAFKA_ROOT/.cluster}"

if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

say() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*"; }
die() { printf '[%s] error: %s\n' "$(basename "$0" .sh)" "$*" >&2; exit 1; }

# Cargo's target directory for this checkout (honours CARGO_TARGET_DIR and .cargo/config).
cargo_target_dir() {
  (cd "$ZKAFKA_ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null) |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}

# The release binary: $ZKAFKA_BIN if set, else <target>/release/zkafka.
zkafka_release_bin() {
  if [[ -n "${ZKAFKA_BIN:-}" ]]; then echo "$ZKAFKA_BIN"; else echo "$(cargo_target_dir)/release/zkafka"; fi
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# $1 if free, else a free port chosen by the OS.
free_port_or() {
  if ! port_in_use "$1"; then echo "$1"; return; fi
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# True if pid $1 is alive and its command line mentions $2 (guards against a recycled pid).
pid_is() {
  local pid="$1" needle="$2"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$needle"
}
