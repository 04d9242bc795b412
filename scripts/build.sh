#!/usr/bin/env bash
# Installs the Debian packages tessel needs (scripts/setup.sh), then configures
# and builds the project into ./build. Idempotent; a second run rebuilds only
# what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3 \
  -DPython3_EXECUTABLE=/usr/bin/python3
cmake --build build -j "$(nproc)"
