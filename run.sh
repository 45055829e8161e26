#!/usr/bin/env bash
# attnpde: install what is missing (Debian packages), build Release into build/, run the
# default case and say where its outputs are.
#   ./run.sh               setup + build + run cases/torus2d_metric.toml
#   ./run.sh --setup-only  setup + build (used by ./test.sh)
set -euo pipefail
cd "$(dirname "$0")"

packages=(build-essential cmake pkg-config git
  petsc-dev slepc-dev libeigen3-dev libboost-dev libvtk9-dev libgtest-dev
  libtoml11-dev libcli11-dev libmuparser-dev libnanoflann-dev libfftw3-dev liblbfgspp-dev
  python3-numpy python3-matplotlib python3-scipy python3-torch python3-sklearn)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "run.sh: installing missing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"

if [ "${1:-}" = "--setup-only" ]; then
  exit 0
fi

out=results/torus2d_metric
./build/attnpde run cases/torus2d_metric.toml --out "$out"
echo
echo "run.sh: outputs are in $(pwd)/$out"
echo "  tokens.csv, summary.csv, manifest.json; open tokens.pvd and fields.pvd in ParaView"
