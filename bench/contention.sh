#!/usr/bin/env bash
# Threading under contention: the default case's `attnpde pde` and `attnpde run` timed alone
# and while another process keeps one core busy, on this machine, in the same run.
#   bench/contention.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
attnpde=${1:-build}/attnpde
out=$(mktemp -d)
trap 'kill $busy 2>/dev/null || true; rm -rf "$out"' EXIT
busy=
seconds() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
printf '%-40s %10s %10s %8s\n' command alone busy ratio
for cmd in "pde cases/torus2d_metric.toml" "run cases/torus2d_metric.toml --set output.vtk=false"; do
  alone=$(seconds "$attnpde" $cmd --quiet --out "$out/a")
  (while :; do :; done) &
  busy=$!
  loaded=$(seconds "$attnpde" $cmd --quiet --out "$out/b")
  kill $busy
  wait $busy 2>/dev/null || true
  busy=
  printf '%-40s %9ss %9ss %8s\n' "${cmd%% cases*}" "$alone" "$loaded" "$(awk -v a="$alone" -v b="$loaded" 'BEGIN { printf "%.2f", b / a }')"
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
