#!/usr/bin/env bash
# Sets up, builds, and runs every test (C++ suites, CLI tests, Python tests,
# notebooks, format check) through CTest; then the C++ suites under the
# sanitizers (scripts/sanitizers.sh). Any failure stops it with a non-zero
# status. The fuzzers (scripts/fuzz.sh) are not part of it yet: they still
# find inputs on which yaml-cpp 0.7 never returns (docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash scripts/sanitizers.sh all
