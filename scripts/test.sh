#!/usr/bin/env bash
# Sets up, builds, and runs every test (C++ suites, CLI tests, Python tests,
# notebooks, format check) through CTest; then the C++ suites under the
# sanitizers (scripts/sanitizers.sh) and each fuzz harness for 60 s
# (scripts/fuzz.sh). Any failure stops it with a non-zero status.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash scripts/sanitizers.sh all
bash scripts/fuzz.sh 60
