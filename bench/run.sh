#!/usr/bin/env bash
# One attention layer in attnpde, numpy and PyTorch on the same tokens, in the same run;
# prints the ratios and the share of this machine's roofline for the kernel: the peak vector
# FMA rate measured by bench_kernel (all threads, the widest vectors the build uses) times the
# pairs per iteration of the kernel's inner loop (lanes x query rows), over its FMA-pipe
# instructions per iteration (bench/loop_count.py reads them from the compiled object), for
# float64 and float32.
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
ours32=$(echo "$ours" | awk -F'[ =]' '/^attnpde-float32 / {print $7}')
peak=$(echo "$ours" | awk -F'[ =]' '/^peak / {print $5}')
counts=$(/usr/bin/python3 bench/loop_count.py)
echo "$counts"
echo "$peers" | awk -F'[ =]' -v s="$ours_sec" '/seconds=/ { printf "attnpde is %.1fx faster than %s\n", $3 / s, $1 }'
echo "$counts" | awk -v n="$n" -v s="$ours_sec" -v p32="$ours32" -v peak="$peak" '
  { roof = peak * $3 / $2; achieved = ($1 == "float64") ? n * n / s : p32;
    printf "%s: %d FMA-pipe instructions per %d pairs (%s); roofline %.3e pairs/s; attnpde %.3e pairs/s = %.0f%% of it\n",
           $1, $2, $3, $4, roof, achieved, 100 * achieved / roof }'
