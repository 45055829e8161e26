#!/usr/bin/env bash
# One Crank-Nicolson step of the PDE in attnpde (PETSc KSP, the solver of every time step:
# GMRES + geometric multigrid) on 1 and 2 MPI ranks, the exact FFT step attnpde takes for
# constant coefficients on the torus (1 rank), and in SciPy on the same operator and
# right-hand side, in the same run; the peers' answers are checked against attnpde's.
# Sizes: 128^2, 256^2, 512^2 and 32^3, 64^3 (the cost scaling with the grid).
# Extra arguments go to PETSc (e.g. -pc_type gamg).
#   bench/run_pde.sh [PETSc options]     (build first with ./run.sh --setup-only)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
seconds() { sed -n 's/.* seconds=\([0-9.e+-]*\).*/\1/p' | head -1; }
for args in "2 128" "2 256" "2 512" "3 32" "3 64"; do
  # shellcheck disable=SC2086
  all=$(./build/bench/bench_pde $args "$dump" -- "$@")
  echo "$all"
  ours=$(echo "$all" | grep '^attnpde ')
  fft=$(echo "$all" | grep '^attnpde-fft ' || true)
  # shellcheck disable=SC2086
  ours2=$(mpirun -n 2 ./build/bench/bench_pde $args -- "$@" | head -1)
  echo "$ours2 (2 ranks)"
  # shellcheck disable=SC2086
  peers=$(/usr/bin/python3 bench/pde_peers.py $args "$dump")
  echo "$peers"
  s1=$(echo "$ours" | seconds)
  s2=$(echo "$ours2" | seconds)
  s3=$(echo "$fft" | seconds)
  echo "$peers" | awk -v s1="$s1" -v s2="$s2" -v s3="${s3:-0}" '{ for (k = 1; k <= NF; ++k) if ($k ~ /^seconds=/) {
    split($k, a, "=");
    printf "attnpde multigrid step is %.1fx (1 rank) and %.1fx (2 ranks) faster than %s", a[2] / s1, a[2] / s2, $1
    if (s3 > 0) printf "; the constant-coefficient FFT step %.1fx", a[2] / s3
    printf "\n" } }'
done
