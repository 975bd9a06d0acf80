#!/usr/bin/env bash
# Runs the whole test suite (README command 2) and exits non-zero on any failure:
#   1. cargo test           unit tests, zk-schema golden tests, Rust integration tests
#   2. cargo build --release
#   3. python3 -m pytest integration-tests -v   real ZooKeeper + real broker processes + real clients
# then prints one summary line per step and the totals.
#
# Environment: CARGO_TEST_THREADS (default 2; tests that start clusters must not crowd this
# 2-core machine), PYTEST_TIMEOUT (seconds per test, default 240), PYTEST_ARGS (extra pytest
# arguments, e.g. "-k foundation"), ZKAFKA_BIN (test another binary; skips the release build).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ZKAFKA_ROOT" || exit 1

results=()
failed=0
passed_total=0
failed_total=0
skipped_total=0
logs="$(mktemp -d "${TMPDIR:-/tmp}/zkafka-test.XXXXXX")"

record() {  # record <name> <exit code>
  if [[ "$2" -eq 0 ]]; then results+=("PASS  $1"); else results+=("FAIL  $1 (exit $2)"); failed=1; fi
}

# --- 1. cargo test ------------------------------------------------------------------------------
say "cargo test (--test-threads=${CARGO_TEST_THREADS:-2})"
cargo test -- --test-threads="${CARGO_TEST_THREADS:-2}" 2>&1 | tee "$logs/cargo-test.log"
code=${PIPESTATUS[0]}
record "cargo test" "$code"
# "test result: ok. 12 passed; 0 failed; 1 ignored; ..." once per test binary.
read -r p f i < <(awk '/^test result:/ {
    for (n = 1; n <= NF; n++) {
      if ($(n) ~ /^passed;?$/) p += $(n-1); if ($(n) ~ /^failed;?$/) f += $(n-1); if ($(n) ~ /^ignored;?$/) i += $(n-1)
    } } END { print p+0, f+0, i+0 }' "$logs/cargo-test.log")
passed_total=$((passed_total + p)); failed_total=$((failed_total + f)); skipped_total=$((skipped_total + i))
if [[ "$code" -ne 0 && "$f" -eq 0 ]]; then failed_total=$((failed_total + 1)); fi  # build failure

# --- 2. release build ---------------------------------------------------------------------------
build_ok=1
if [[ -z "${ZKAFKA_BIN:-}" ]]; then
  say "cargo build --release"
  cargo build --release 2>&1 | tail -5
  code=${PIPESTATUS[0]}
  record "cargo build --release" "$code"
  [[ "$code" -eq 0 ]] || build_ok=0
fi
ZKAFKA_BIN="$(zkafka_release_bin)"
export ZKAFKA_BIN

# --- 3. integration tests -----------------------------------------------------------------------
if ((build_ok)); then
  say "pytest integration-tests (binary $ZKAFKA_BIN)"
  # shellcheck disable=SC2086
  python3 -m pytest integration-tests -v --timeout="${PYTEST_TIMEOUT:-240}" \
    --junitxml="$logs/pytest.xml" ${PYTEST_ARGS:-}
  code=$?
  record "pytest integration-tests" "$code"
  if [[ -f "$logs/pytest.xml" ]]; then
    read -r p f s < <(python3 - "$logs/pytest.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - bad - skipped, bad, skipped)
PY
)
    passed_total=$((passed_total + p)); failed_total=$((failed_total + f)); skipped_total=$((skipped_total + s))
  elif [[ "$code" -ne 0 ]]; then
    failed_total=$((failed_total + 1))
  fi
else
  record "pytest integration-tests (not run: no release build)" 1
  failed_total=$((failed_total + 1))
fi

echo
echo "================ zkafka test summary ================"
printf '%s\n' "${results[@]}"
echo "logs: $logs"
echo "total: $passed_total passed, $failed_total failed, $skipped_total skipped"
exit "$failed"
