#!/usr/bin/env bash
# One attention layer in attnpde, numpy and PyTorch on the same tokens, in the same run;
# prints the ratios and the share of PERFORMANCE.md's hardware limit (1.64e9 pairs/s in
# float64 on both cores of the project machine).
#   bench/run.sh [N]     (default 20000; build first with ./run.sh --setup-only)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
threads=$(nproc)
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
ours=$(./build/bench/bench_kernel "$n" 3 "$dump")
echo "$ours"
peers=$(/usr/bin/python3 bench/peers.py "$dump" "$threads")
echo "$peers"
ours_sec=$(echo "$ours" | awk -F'[ =]' '/^attnpde threads='"$threads"' / {print $5}')
limit=1.64e9
echo "$peers" | awk -v s="$ours_sec" -v n="$n" -v lim="$limit" -F'[ =]' '
  /seconds=/ { printf "attnpde is %.1fx faster than %s\n", $3 / s, $1 }
  END { printf "attnpde reaches %.0f%% of the measured hardware limit (%.2e pairs/s)\n", 100 * n * n / s / lim, lim }'
