#!/usr/bin/env bash
# Fails when a C++ file of the project is not formatted per .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.cpp' '*.hpp' 2>/dev/null || true)
if [ -z "$files" ]; then
  dirs=$(for d in core hwmodels sim mappers codegen store driver calib cli bindings tests bench; do
    if [ -d "$d" ]; then echo "$d"; fi; done)
  # shellcheck disable=SC2086
  files=$(find $dirs \( -name '*.cpp' -o -name '*.hpp' \) -not -path '*/build*')
fi
# shellcheck disable=SC2086
clang-format --dry-run --Werror $files
echo "format: $(echo "$files" | wc -w) files checked"
