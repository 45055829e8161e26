#!/usr/bin/env bash
# Tokens distributed over ranks in `attnpde run` and `study` (tokens.distribution =
# "distributed"): on 1, 2 and 4 ranks (oversubscribed) the tokens and the attention values
# equal the replicated one-rank run's bit for bit, for the truncated and the dense kernel, on
# the torus and in the box, with the softmax, alpha and Sinkhorn normalizations, float64 and
# float32, quasi and random tokens; the errors agree to 1e-9 relative (the PDE grid is split
# too: agreement to the solver tolerance), and so do a study's points; the token frames are
# pieces of one .pvtu cloud that VTK reads back whole; the combinations the distributed path
# does not run are refused with exit code 2 and no output.
source "$(dirname "$0")/mpi_setup.sh"
export OMP_NUM_THREADS=1

# compare <one-rank out> <distributed out> <columns>: the first <columns> columns of tokens.csv
# (coordinates, u0, u_attn) bit for bit, in the same (token) order; columns 7-10
# of summary.csv (the errors) to 1e-9 relative.
compare() {
  tail -n +2 "$1/tokens.csv" | cut -d, -f1-"$3" > "$work/a"
  tail -n +2 "$2/tokens.csv" | cut -d, -f2-"$(($3 + 1))" > "$work/b"
  cmp "$work/a" "$work/b" || { echo "$2: token values differ from one rank's"; exit 1; }
  tail -n +2 "$2/tokens.csv" | awk -F, '$1 != NR - 1 { exit 1 }' || { echo "$2: token column not 0 .. N-1"; exit 1; }
  paste -d, <(tail -n 1 "$1/summary.csv") <(tail -n 1 "$2/summary.csv") | awk -F, -v run="$2" '
    { for (k = 7; k <= 10; ++k) {
        a = $k; b = $(k + NF / 2); d = a - b; if (d < 0) d = -d
        if (d / (a < 0 ? -a : a) > 1e-9) { printf "%s column %d: %.17g vs %.17g\n", run, k, a, b; bad = 1 } } }
    END { exit bad }'
}

# case name, --set options, columns of x + u0 + u_attn, rank counts
check() {
  local name=$1 sets=$2 columns=$3 ranks=$4 tag=$5
  local args=(run "$source_dir/cases/$name.toml" --quiet --threads 1 $sets)
  "$attnpde" "${args[@]}" --out "$work/${tag}_r"
  for p in $ranks; do
    mpirun -n "$p" "$attnpde" "${args[@]}" --set tokens.distribution=distributed --out "$work/${tag}_$p"
    compare "$work/${tag}_r" "$work/${tag}_$p" "$columns"
    grep -q '"tokens": "distributed"' "$work/${tag}_$p/manifest.json" || { echo "$tag: manifest"; exit 1; }
  done
  echo "$tag: 1 rank replicated = distributed on ranks $ranks"
}

torus="--set tokens.n=1200 --set attention.layers=6 --set pde.grid=[48,40] --set output.every=3"
check torus2d_metric "$torus --set attention.kernel=truncated" 4 "1 2 4" torus_truncated
check torus2d_metric "$torus --set attention.kernel=dense" 4 "2 4" torus_dense
check torus2d_metric "$torus --set attention.kernel=truncated --set attention.normalization=alpha \
  --set attention.precision=float32" 4 "4" torus_alpha32
box="--set tokens.n=1500 --set attention.sigma=0.08 --set attention.layers=5 --set pde.grid=[32,32] \
  --set output.vtk=false --set attention.kernel=truncated"
check box2d_neumann "$box --set attention.normalization=sinkhorn" 4 "2 4" box_sinkhorn
check torus3d_metric "--set tokens.n=1500 --set attention.layers=4 --set pde.grid=[16,16,16] --set output.vtk=false \
  --set attention.kernel=truncated --set density.sampler=random" 5 "4" torus3d

# A study: every point of 2 distributed ranks equals the replicated one-rank study's (errors
# to 1e-9 relative).
sargs=(study "$source_dir/cases/torus2d_study.toml" --quiet --threads 1 --set 'study.n=[1000, 2000]'
       --set 'study.sigma=[0.3, 0.22]' --set study.seeds=1 --set 'pde.grid=[64,64]' --set study.time=0.05
       --set attention.kernel=truncated)
"$attnpde" "${sargs[@]}" --out "$work/study_r"
mpirun -n 2 "$attnpde" "${sargs[@]}" --set tokens.distribution=distributed --out "$work/study_2"
paste -d, <(tail -n +2 "$work/study_r/summary.csv") <(tail -n +2 "$work/study_2/summary.csv") | awk -F, '
  { for (k = 1; k <= 10; ++k) {
      a = $k; b = $(k + NF / 2); d = a - b; if (d < 0) d = -d
      if (d > 1e-9 * (a < 0 ? -a : a)) { printf "study row %d column %d: %.17g vs %.17g\n", NR, k, a, b; bad = 1 } } }
  END { if (NR < 4) { print "study: " NR " points"; bad = 1 }; exit bad }'
echo "study: 1 rank replicated = 2 ranks distributed"

# The frames: one .pvtu per frame whose pieces VTK reads back as all tokens.
/usr/bin/python3 - "$work/torus_truncated_4/vtk/tokens_000006.pvtu" <<'PY'
import sys
import vtk
reader = vtk.vtkXMLPUnstructuredGridReader()
reader.SetFileName(sys.argv[1])
reader.Update()
cloud = reader.GetOutput()
numbers = sorted(int(cloud.GetPointData().GetArray("token").GetValue(j)) for j in range(cloud.GetNumberOfPoints()))
if numbers != list(range(1200)) or cloud.GetPointData().GetArray("u_attn") is None:
    sys.exit("the pieces of %s do not hold tokens 0 .. 1199 once each" % sys.argv[1])
PY

# Refused: the sphere, token transport, continuous depth, spectrum studies (exit code 2, the
# key named).
for bad in "run sphere1_density.toml:" "run torus2d_metric.toml:--set attention.transport=attract" \
           "run torus2d_metric.toml:--set attention.depth=continuous" "study torus2d_study.toml:--set study.measure=spectrum"; do
  set +e
  command=${bad%% *} bad=${bad#* }
  "$attnpde" "$command" "$source_dir/cases/${bad%%:*}" --quiet ${bad#*:} --set tokens.distribution=distributed \
    --out "$work/bad" 2> "$work/err"
  code=$?
  set -e
  [ "$code" = 2 ] && grep -q "tokens.distribution" "$work/err" || { echo "$bad: exit $code"; cat "$work/err"; exit 1; }
  [ ! -e "$work/bad" ] || { echo "$bad: partial output"; exit 1; }
done
echo "distributed tokens: agree"
