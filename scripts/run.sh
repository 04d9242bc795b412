#!/usr/bin/env bash
# The main job on built-in defaults: set up, build, then run tessel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/cli/tessel explore
