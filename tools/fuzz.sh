#!/usr/bin/env bash
# Bounded fuzzing run of everything ghostedge reads from raw bytes (docs/reliability.md):
#   decoder   libFuzzer + ASan + UBSan on the C++ StreamDecoder (cpp/fuzz/fuzz_decoder.cpp)
#   pipeline  libFuzzer + ASan + UBSan on the live ingest pipeline (cpp/fuzz/fuzz_pipeline.cpp)
#   csv       atheris on the tracking CSV loader (tests/fuzz/fuzz_csv_loader.py)
#   registry  atheris on the tag registry file loader (tests/fuzz/fuzz_registry.py)
#
#   tools/fuzz.sh [--seconds N] [--target decoder|pipeline|csv|registry|all] [--runs N] [--jobs N]
#
# --seconds is the total wall time, shared out between the targets (default 60). --runs N runs
# one target for exactly N inputs instead (the long recorded run: --target decoder --runs 10000000).
# Seeds come from cpp/fuzz/corpus/ and tests/fuzz/corpus/ (copied to build/fuzz/work/, so the
# committed corpus stays small); every regression input in */regressions/ is replayed first.
# Exit status 1 on any crash, sanitizer report, hang or broken contract; the input that did it
# is written to build/fuzz/artifacts/. Needs clang (apt-get install clang libclang-rt-14-dev)
# and, for the Python targets, atheris and an importable ghostedge.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_TOTAL=60
TARGET=all
RUNS=""
PY=${PYTHON:-python3}
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_TOTAL=$2; shift 2 ;;
    --target) TARGET=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$TARGET" in
  all) TARGETS="decoder pipeline csv registry" ;;
  decoder|pipeline|csv|registry) TARGETS=$TARGET ;;
  *) echo "fuzz.sh: unknown target $TARGET" >&2; exit 2 ;;
esac
if [ -n "$RUNS" ] && [ "$TARGET" = all ]; then
  echo "fuzz.sh: --runs needs one --target" >&2; exit 2
fi

WORK=$ROOT/build/fuzz/work
ART=$ROOT/build/fuzz/artifacts
mkdir -p "$WORK" "$ART"

if ! "$PY" -c "import ghostedge._core" 2>/dev/null; then
  export PYTHONPATH="$ROOT/python${PYTHONPATH:+:$PYTHONPATH}"
fi

needs_cpp=0
for t in $TARGETS; do case $t in decoder|pipeline) needs_cpp=1 ;; esac; done
if [ $needs_cpp = 1 ]; then
  if ! command -v clang++ >/dev/null; then
    echo "fuzz.sh: clang++ not found (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 2
  fi
  cmake -S cpp/fuzz -B build/fuzz/cmake -DCMAKE_CXX_COMPILER=clang++ >/dev/null
  cmake --build build/fuzz/cmake -j2 >/dev/null
fi

# Share the time: the C++ targets run an order of magnitude more inputs per second.
share() {
  case $1 in decoder) echo 35 ;; pipeline) echo 25 ;; csv) echo 20 ;; registry) echo 20 ;; esac
}
total_share=0
for t in $TARGETS; do total_share=$((total_share + $(share "$t"))); done

seeds_of() {
  case $1 in
    decoder) echo "cpp/fuzz/corpus/decoder" ;;
    pipeline) echo "cpp/fuzz/corpus/decoder" ;;   # the same captures drive the pipeline
    csv) echo "tests/fuzz/corpus/csv_loader" ;;
    registry) echo "tests/fuzz/corpus/registry" ;;
  esac
}
regressions_of() {
  case $1 in
    decoder|pipeline) echo "cpp/fuzz/regressions" ;;
    csv) echo "tests/fuzz/regressions/csv_loader" ;;
    registry) echo "tests/fuzz/regressions/registry" ;;
  esac
}
command_of() {
  case $1 in
    decoder) echo "build/fuzz/cmake/fuzz_decoder -max_len=8192" ;;
    pipeline) echo "build/fuzz/cmake/fuzz_pipeline -max_len=8192" ;;
    csv) echo "$PY tests/fuzz/fuzz_csv_loader.py" ;;
    registry) echo "$PY tests/fuzz/fuzz_registry.py" ;;
  esac
}

status=0
for t in $TARGETS; do
  cmd=$(command_of "$t")
  corpus=$WORK/$t
  mkdir -p "$corpus"
  seeds=$(seeds_of "$t")
  [ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
  regs=$(regressions_of "$t")
  if [ -d "$regs" ] && [ -n "$(ls -A "$regs" 2>/dev/null)" ]; then
    echo "== $t: replaying $(ls "$regs" | wc -l) regression inputs"
    # shellcheck disable=SC2086
    if ! $cmd -artifact_prefix="$ART/$t-" "$regs"/* >"$ART/$t-regressions.log" 2>&1; then
      echo "FAIL $t: a regression input fails again (see $ART/$t-regressions.log)"; status=1; continue
    fi
  fi
  if [ -n "$RUNS" ]; then
    limit="-runs=$RUNS"
  else
    secs=$((SECONDS_TOTAL * $(share "$t") / total_share))
    [ "$secs" -lt 1 ] && secs=1
    limit="-max_total_time=$secs"
  fi
  echo "== $t: $limit"
  log=$ART/$t.log
  # -timeout: one input taking over 10 s is a hang.
  # shellcheck disable=SC2086
  if $cmd $limit -timeout=10 -print_final_stats=1 -artifact_prefix="$ART/$t-" "$corpus" >"$log" 2>&1; then
    runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 || true)
    echo "ok   $t: ${runs:-done}"
  else
    echo "FAIL $t: see $log"; grep -E 'ERROR|SUMMARY|Error|Traceback' "$log" | head -5 || true
    status=1
  fi
done
exit $status
