#!/usr/bin/env bash
# One Crank-Nicolson step of the PDE in attnpde (PETSc KSP) and in SciPy on the same
# operator and right-hand side, in the same run, at 256^2 and 64^3; the peers' answers are
# checked against attnpde's. Extra arguments go to PETSc (e.g. -ksp_type cg -pc_type gamg).
#   bench/run_pde.sh [PETSc options]     (build first with ./run.sh --setup-only)
set -euo pipefail
cd "$(dirname "$0")/.."
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
for args in "2 256" "3 64"; do
  # shellcheck disable=SC2086
  ours=$(./build/bench/bench_pde $args "$dump" -- "$@")
  echo "$ours"
  # shellcheck disable=SC2086
  peers=$(/usr/bin/python3 bench/pde_peers.py $args "$dump")
  echo "$peers"
  s=$(echo "$ours" | sed -n 's/.* seconds=\([0-9.e+-]*\).*/\1/p')
  echo "$peers" | awk -v s="$s" '{ for (k = 1; k <= NF; ++k) if ($k ~ /^seconds=/) { split($k, a, "=");
    printf "attnpde step is %.1fx faster than %s\n", a[2] / s, $1 } }'
done
