#!/usr/bin/env bash
# Runs every libFuzzer program of build-asan (scripts/sanitizers.sh builds
# them) for SECONDS each (default 60), one after the other, seeded with the
# real files: the MLPerf Tiny models and the importer's test cases, the SoC
# targets and test SoCs (broken ones too), the sweep specs and the measurement
# files, plus the saved inputs of tests/data/fuzz. A crash fails the run and is
# copied to tests/data/fuzz/<target>/ to become a regression input, replayed by
# the normal tests (tests/fuzz/test_fuzz_regressions.cpp) once fixed.
# Usage: scripts/fuzz.sh [SECONDS]. Per target it prints libFuzzer's final
# statistics (executions and executions per second).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
work="build-asan/fuzz"
[[ -x build-asan/tests/fuzz_onnx ]] || {
  echo "fuzz.sh: build-asan/tests/fuzz_* not built; run scripts/sanitizers.sh asan first" >&2
  exit 2
}

seed() {  # seed TARGET FILE...: copies the files into the target's seed corpus
  local dir="$work/seeds/$1"
  shift
  mkdir -p "$dir"
  for f in "$@"; do [[ -f "$f" ]] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
  return 0
}
rm -rf "$work/seeds"
seed onnx tests/data/models/*.onnx build-asan/tests/onnx_cases/*.onnx tests/data/fuzz/onnx/*
seed soc hwmodels/targets/*.yaml tests/data/soc/*.yaml tests/data/soc/broken/*.yaml \
  tests/data/fuzz/soc/*
seed sweep experiments/*/spec.yaml tests/data/fuzz/sweep/*
seed measurements hwmodels/measurements/*.csv hwmodels/measurements/*/*.csv \
  tests/data/fuzz/measurements/*

status=0
for target in onnx soc sweep measurements; do
  corpus="$work/corpus/$target" crashes="$work/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  echo "== fuzz_$target: ${seconds} s"
  log="$work/$target.log"
  if ! ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "build-asan/tests/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -max_len=1048576 -print_final_stats=1 -artifact_prefix="$crashes/" \
    "$corpus" "$work/seeds/$target" > "$log" 2>&1; then
    status=1
    tail -n 60 "$log"
    mkdir -p "tests/data/fuzz/$target"
    for c in "$crashes"/*; do
      [[ -f "$c" ]] && cp "$c" "tests/data/fuzz/$target/" && echo "saved tests/data/fuzz/$target/$(basename "$c")"
    done
  fi
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" || true
done
exit "$status"
