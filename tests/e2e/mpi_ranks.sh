#!/usr/bin/env bash
# MPI-rank independence: `attnpde run` on 1 and 2 ranks (the PDE grid and the attention
# rows are split between them) gives the same errors to 1e-9 relative (the KSP tolerance is
# 1e-10; the parallel preconditioner differs, so agreement is to solver tolerance, not bit
# for bit) and the same tokens and attention values bit for bit, with the dense and with
# the truncated kernel; `attnpde spectrum` gives the same eigenvalues; `attnpde learn` the
# same learned losses.
source "$(dirname "$0")/mpi_setup.sh"
args=(run "$source_dir/cases/torus2d_metric.toml" --quiet --threads 1 --set tokens.n=1200
      --set attention.layers=8 --set 'pde.grid=[48, 40]' --set output.every=4)
"$attnpde" "${args[@]}" --out "$work/one"
mpirun -n 2 "$attnpde" "${args[@]}" --out "$work/two"
for f in one two; do
  test -s "$work/$f/summary.csv" && test -s "$work/$f/fields.pvd" || { echo "missing outputs in $f"; exit 1; }
done
grep -q '"mpi_ranks": 2' "$work/two/manifest.json" || { echo "manifest does not record 2 ranks"; exit 1; }
# Columns 1-10 of summary.csv (all but seconds), relative difference <= 1e-9.
paste -d, <(tail -n 1 "$work/one/summary.csv") <(tail -n 1 "$work/two/summary.csv") | awk -F, '
  { bad = 0
    for (k = 1; k <= 10; ++k) {
      a = $k; b = $(k + 11); d = a - b; if (d < 0) d = -d
      s = (a < 0 ? -a : a); if (s < 1e-300) s = 1
      printf "%-3d %.17g %.17g rel %.3g\n", k, a, b, d / s
      if (d / s > 1e-9) bad = 1 }
    exit bad }'
grep -q '"row_split_ranks": 2' "$work/two/manifest.json" || { echo "attention rows not split"; exit 1; }
# Token positions and attention values do not depend on the ranks at all.
cut -d, -f1-4 "$work/one/tokens.csv" > "$work/a"
cut -d, -f1-4 "$work/two/tokens.csv" > "$work/b"
cmp "$work/a" "$work/b"
"$attnpde" "${args[@]}" --set attention.kernel=truncated --out "$work/one_t"
mpirun -n 2 "$attnpde" "${args[@]}" --set attention.kernel=truncated --out "$work/two_t"
cut -d, -f1-4 "$work/one_t/tokens.csv" > "$work/a"
cut -d, -f1-4 "$work/two_t/tokens.csv" > "$work/b"
cmp "$work/a" "$work/b"
# The spectrum: the attention operator's rows split over the ranks (a distributed shell
# operator) and the FD problem on the split grid give the same eigenvalues and errors to
# 1e-8 relative (absolute below 1; the eigensolver tolerance is 1e-10).
sargs=(spectrum "$source_dir/cases/torus2d_spectrum.toml" --quiet --threads 1 --set tokens.n=1500
       --set 'pde.grid=[32, 32]' --set spectrum.count=6)
"$attnpde" "${sargs[@]}" --out "$work/one_s"
mpirun -n 2 "$attnpde" "${sargs[@]}" --out "$work/two_s"
paste -d, <(tail -n +2 "$work/one_s/spectrum.csv") <(tail -n +2 "$work/two_s/spectrum.csv") | awk -F, '
  { for (k = 3; k <= 4; ++k) {
      a = $k; b = $(k + 9); d = a - b; if (d < 0) d = -d
      s = (a < 0 ? -a : a); if (s < 1) s = 1
      if (d / s > 1e-8) { printf "spectrum row %d column %d: %.17g vs %.17g\n", NR, k, a, b; bad = 1 } } }
  END { exit bad }'
# The sphere: the circle's arc-length grid split over the ranks, and S^2 (no grid: the
# harmonic reference on every rank); token values bit for bit, errors to 1e-9.
for sphere in sphere1_density:4 sphere2_harmonics:5; do
  fields=${sphere#*:} sphere=${sphere%:*}  # x, u0, u_attn columns of tokens.csv
  pargs=(run "$source_dir/cases/$sphere.toml" --quiet --threads 1 --set tokens.n=1000 --set attention.layers=6)
  "$attnpde" "${pargs[@]}" --out "$work/one_$sphere"
  mpirun -n 2 "$attnpde" "${pargs[@]}" --out "$work/two_$sphere"
  cut -d, -f1-"$fields" "$work/one_$sphere/tokens.csv" > "$work/a"
  cut -d, -f1-"$fields" "$work/two_$sphere/tokens.csv" > "$work/b"
  cmp "$work/a" "$work/b"
  paste -d, <(tail -n 1 "$work/one_$sphere/summary.csv") <(tail -n 1 "$work/two_$sphere/summary.csv") | awk -F, '
    { for (k = 7; k <= 10; ++k) {
        a = $k; b = $(k + 11); d = a - b; if (d < 0) d = -d
        if (d / (a < 0 ? -a : a) > 1e-9) { printf "%s column %d: %.17g vs %.17g\n", FILENAME, k, a, b; bad = 1 } } }
    END { exit bad }'
done
# `attnpde learn`: the PDE data come from the split grid (to the KSP tolerance), the training
# runs on every rank; the learned held-out losses and metric error agree to 1e-6 relative.
largs=(learn "$source_dir/cases/learn_metric.toml" --quiet --threads 1 --set tokens.n=500 --set learn.fields=3
       --set learn.heldout=2 --set 'pde.grid=[32, 32]' --set learn.evaluations=10 --set 'learn.noise=[0]'
       --set learn.seeds=1)
"$attnpde" "${largs[@]}" --out "$work/one_l"
mpirun -n 2 "$attnpde" "${largs[@]}" --out "$work/two_l"
paste -d, <(tail -n +2 "$work/one_l/summary.csv") <(tail -n +2 "$work/two_l/summary.csv") | awk -F, '
  { for (k = 4; k <= 6; k += 2) {
      a = $k; b = $(k + 9); if (a == "" && b == "") continue
      d = a - b; if (d < 0) d = -d
      if (d / (a < 0 ? -a : a) > 1e-6) { printf "learn row %d column %d: %.17g vs %.17g\n", NR, k, a, b; bad = 1 } } }
  END { exit bad }'
echo "1 vs 2 ranks: agree"
