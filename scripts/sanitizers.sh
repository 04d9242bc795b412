#!/usr/bin/env bash
# Builds tessel's C++ code with clang under sanitizers and runs the C++ tests
# there (docs/reliability.md, "Sanitizers"):
#   build-asan: AddressSanitizer + UndefinedBehaviorSanitizer, every C++ suite
#               (and the CLI they run), plus the libFuzzer programs that
#               scripts/fuzz.sh runs;
#   build-tsan: ThreadSanitizer, the parallel search, sweep and store suites
#               (mappers, driver, store; the parallel loop runs on std::threads
#               there, core/parallel.hpp says why).
# Any report fails the run. Usage: scripts/sanitizers.sh [asan|tsan|all] (all).
# Expects the packages of scripts/setup.sh (clang, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
jobs="$(nproc)"
common=(-G Ninja -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER=clang++
  -DTESSEL_BUILD_PYTHON=OFF -DTESSEL_BUILD_BENCH=OFF -DTESSEL_SKIP_SLOW_TESTS=ON
  -DPython3_EXECUTABLE=/usr/bin/python3)
# -O2 keeps the suites fast enough; frame pointers and line tables make the
# reports readable. The test cases tagged [slow] are left out
# (TESSEL_SKIP_SLOW_TESTS): whole-network searches that take minutes here.
base="-O2 -gline-tables-only -fno-omit-frame-pointer"
supp="$PWD/scripts/sanitizers"

if [[ "$which" == all || "$which" == asan ]]; then
  cmake -S . -B build-asan "${common[@]}" -DTESSEL_BUILD_FUZZERS=ON \
    -DCMAKE_CXX_FLAGS="$base -fsanitize=address,undefined -fno-sanitize-recover=all" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"
  cmake --build build-asan -j "$jobs"
  # The format check is the main build's; the rest is every C++ suite.
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp" \
    LSAN_OPTIONS="suppressions=$supp/lsan.supp" \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -E '^format$'
fi

if [[ "$which" == all || "$which" == tsan ]]; then
  cmake -S . -B build-tsan "${common[@]}" \
    -DCMAKE_CXX_FLAGS="$base -fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread"
  cmake --build build-tsan -j "$jobs" --target test_mappers test_driver test_store
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure -j "$jobs" -R '^(mappers|driver|store):'
fi
