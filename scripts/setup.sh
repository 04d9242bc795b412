#!/usr/bin/env bash
# Installs every Debian 12 package tessel needs to build, test and run.
# Idempotent and non-interactive; run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build clang-format git pkg-config
  libboost-graph-dev libeigen3-dev libtbb-dev
  libsqlite3-dev libsqlitecpp-dev sqlite3
  pybind11-dev catch2 libonnx-dev libprotobuf-dev protobuf-compiler
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libbenchmark-dev
  python3 python3-dev python3-venv python3-pip python3-setuptools python3-wheel
  python3-numpy python3-pandas python3-matplotlib python3-nbclient python3-ipykernel
  python3-nbformat python3-pytest python3-onnx python3-distributed
  libonnx-testdata
  clang libclang-rt-14-dev
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
  qemu-user
  gcc-arm-none-eabi libnewlib-arm-none-eabi
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
