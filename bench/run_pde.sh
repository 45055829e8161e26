#!/usr/bin/env bash
# One Crank-Nicolson step of the PDE in attnpde and in SciPy on the same operator and
# right-hand side, in the same run (bench/bench_pde.cpp, bench/pde_peers.py); the peers'
# answers are checked against attnpde's. For each grid (128^2, 256^2, 512^2, 32^3, 64^3):
#   constant coefficients (p = 1): attnpde multigrid on 1 and 2 MPI ranks, attnpde's exact
#     FFT step, SciPy CG and (2D up to 256^2) splu;
#   variable coefficients (w = p^2, p = 1 + 0.5 sin x cos y): attnpde multigrid, attnpde's
#     FFT-preconditioned GMRES step, SciPy BiCGStab and GMRES on the same assembled matrix.
# Extra arguments go to PETSc (e.g. -pc_type gamg).
#   bench/run_pde.sh [PETSc options]     (build first with ./run.sh --setup-only)
set -euo pipefail
cd "$(dirname "$0")/.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=2
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
seconds() { sed -n 's/.* seconds=\([0-9.e+-]*\).*/\1/p' | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
# How much faster attnpde's one-rank multigrid is than the two PETSc solvers beside it.
versus() {
  local mg
  mg=$(echo "$1" | grep '^attnpde ' | seconds)
  echo "attnpde multigrid vs PETSc multigrid (assembled) $(ratio "$(echo "$1" | grep '^attnpde-pcmg ' | seconds)" "$mg")x," \
    "vs GMRES+ILU(0) $(ratio "$(echo "$1" | grep '^attnpde-gmres-ilu ' | seconds)" "$mg")x faster"
}
for args in "2 128" "2 256" "2 512" "3 32" "3 64"; do
  echo "== ${args// /D, n = } (constant coefficients)"
  # shellcheck disable=SC2086
  ours=$(./build/bench/bench_pde $args "$dump" -- "$@")
  echo "$ours"
  # shellcheck disable=SC2086
  two=$(OMP_NUM_THREADS=1 mpirun -n 2 ./build/bench/bench_pde $args -- "$@" | grep '^attnpde ' | head -1)
  echo "$two (2 ranks)"
  # shellcheck disable=SC2086
  peers=$(/usr/bin/python3 bench/pde_peers.py $args "$dump")
  echo "$peers"
  cg=$(echo "$peers" | grep '^scipy-cg' | seconds)
  versus "$ours"
  echo "SciPy CG / attnpde: multigrid $(ratio "$cg" "$(echo "$ours" | grep '^attnpde ' | seconds)")x (1 rank)," \
    "$(ratio "$cg" "$(echo "$two" | seconds)")x (2 ranks); FFT step $(ratio "$cg" "$(echo "$ours" | grep '^attnpde-fft' | seconds)")x"
  echo "== ${args// /D, n = } (variable coefficients)"
  # shellcheck disable=SC2086
  ours=$(./build/bench/bench_pde $args --variable "$dump" -- "$@")
  echo "$ours"
  # shellcheck disable=SC2086
  peers=$(/usr/bin/python3 bench/pde_peers.py $args "$dump" --variable)
  echo "$peers"
  best=$(echo "$peers" | grep '^scipy-' | seconds | sort -g | head -1)
  for v in $(echo "$peers" | grep '^scipy-' | sed -n 's/.* seconds=\([0-9.e+-]*\).*/\1/p'); do
    best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b < a ? b : a) }')
  done
  versus "$ours"
  echo "fastest SciPy solver / attnpde: multigrid $(ratio "$best" "$(echo "$ours" | grep '^attnpde ' | seconds)")x," \
    "FFT-preconditioned GMRES $(ratio "$best" "$(echo "$ours" | grep '^attnpde-fft' | seconds)")x"
done
