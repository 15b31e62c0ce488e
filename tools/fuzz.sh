#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang-14, address and
# undefined sanitizers, CUDA off) and runs each for FUZZ_SECONDS seconds
# (default 60) on its seed corpus, its saved corpus and its regression
# inputs. Fails on the first crash, sanitizer report, timeout or
# out-of-memory input of any harness (saved as BUILD/artifacts/NAME-*).
# Installs clang-14 and libfuzzer-14-dev with apt-get when missing.
#
# Usage: tools/fuzz.sh PYTHON [HARNESS...]
# Environment: FUZZ_SECONDS, FUZZ_DIR (default build/fuzz), FUZZ_ARGS (more
# libFuzzer flags, e.g. "-fork=1 -ignore_crashes=1" for a long campaign),
# FUZZ_JOBS (harnesses run at once, default 1), JOBS (build parallelism).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"
shift
HARNESSES=("$@")
[ ${#HARNESSES[@]} -gt 0 ] || HARNESSES=(video audio wav encoder)
SECONDS_EACH="${FUZZ_SECONDS:-60}"
DIR="${FUZZ_DIR:-build/fuzz}"
log() { echo "[fuzz] $*" >&2; }
# shellcheck source=tools/apt_packages.sh
source tools/apt_packages.sh

apt_install_missing clang-14 libfuzzer-14-dev

BIN=$(dirname "$PY")
CMAKE=$([ -x "$BIN/cmake" ] && echo "$BIN/cmake" || echo cmake)
GEN=()
[ -x "$BIN/ninja" ] && GEN=(-G Ninja -DCMAKE_MAKE_PROGRAM="$BIN/ninja")
LAUNCHER=()
command -v ccache > /dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
mkdir -p "$DIR"
"$CMAKE" -S . -B "$DIR" "${GEN[@]}" "${LAUNCHER[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_C_COMPILER=clang-14 -DCODECFLOW_FUZZ=ON \
  > "$DIR/configure.log" || { cat "$DIR/configure.log"; exit 1; }
"$CMAKE" --build "$DIR" -j "${JOBS:-$(nproc)}"
"$PY" tests/fuzz/make_corpus.py "$DIR/seeds"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
# Leaks inside third-party libraries (tests/fuzz/lsan.supp).
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# One harness: its log in DIR/NAME.log, its summary line in DIR/NAME.result.
run_one() {
  local name="$1" result started elapsed execs rate cov
  mkdir -p "$DIR/corpus/$name" "$DIR/artifacts"
  started=$SECONDS
  # shellcheck disable=SC2086
  if "$DIR/tests/fuzz/fuzz_$name" -max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2560 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$DIR/artifacts/$name-" ${FUZZ_ARGS:-} \
      "$DIR/corpus/$name" "$DIR/seeds/$name" "tests/fuzz/regressions/$name" > "$DIR/$name.log" 2>&1; then
    result=ok
  else
    result=FAILED
    grep -E "ERROR|SUMMARY|Test unit written|==[0-9]+==" "$DIR/$name.log" | head -20 >&2 || true
  fi
  # The final stats, or in -fork mode the last status line.
  execs=$(grep -ao 'number_of_executed_units: [0-9]*' "$DIR/$name.log" | tail -1 | cut -d' ' -f2 || true)
  [ -n "$execs" ] || execs=$(grep -aoE '^#[0-9]+' "$DIR/$name.log" | tail -1 | tr -d '#' || true)
  rate=$(grep -aoE 'average_exec_per_sec: *[0-9]+' "$DIR/$name.log" | tail -1 | awk '{print $2}' || true)
  cov=$(grep -aoE 'cov: [0-9]+ ft: [0-9]+' "$DIR/$name.log" | tail -1 || true)
  elapsed=$(( SECONDS - started > 0 ? SECONDS - started : 1 ))
  [ -n "$rate" ] || rate=$(( ${execs:-0} / elapsed ))
  echo "$name: $result in ${elapsed}s, ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-cov ?}, corpus $(ls "$DIR/corpus/$name" | wc -l) (log $DIR/$name.log)" \
    > "$DIR/$name.result"
  log "$(cat "$DIR/$name.result")"
  [ "$result" = ok ]
}

# FUZZ_JOBS harnesses at a time (default 1).
status=0
pids=()
for name in "${HARNESSES[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "${FUZZ_JOBS:-1}" ]; do sleep 1; done
  log "$name: ${SECONDS_EACH}s"
  run_one "$name" &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit $status
