#!/usr/bin/env bash
# Sets up, builds, and runs every test (C++ suites, CLI tests, format check)
# through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
