#!/usr/bin/env bash
# A user's run at scale (issue-13 command): `attnpde run cases/torus2d_metric.toml` with the
# truncated kernel, 100 layers and a 32^2 grid, at N = 10^4, 10^5 and 10^6 tokens with
# sigma = 0.01 (10^6 / N)^(1/2), so that every N has the same ~165 neighbours per token.
# Prints each phase's seconds (from the manifest), the maximum resident set (getrusage), and
# the growth exponent of each phase between 10^5 and 10^6 (1 = linear in N).
#   bench/run_scale.sh [N ...]
#   PRECISION=float32 bench/run_scale.sh   (float32 weights in the rows: 8 instead of 12 bytes per pair)
set -euo pipefail
precision=${PRECISION:-float64}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; precision $precision"
for n in "${sizes[@]}"; do
  sigma=$(/usr/bin/python3 -c "print(0.01 * (1e6 / $n) ** 0.5)")
  # The child's maximum resident set from getrusage (no dependence on GNU time).
  /usr/bin/python3 - "$out/rss_$n" ./build/attnpde run cases/torus2d_metric.toml --quiet \
    --set tokens.n="$n" --set attention.sigma="$sigma" --set attention.layers=100 \
    --set attention.kernel=truncated --set attention.precision="$precision" --set 'pde.grid=[32,32]' \
    --set output.vtk=false --out "$out/run_$n" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
done
/usr/bin/python3 - "$out" "${sizes[@]}" <<'PY'
import json, math, sys
out, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
phases = ["sampling", "generator_reference", "build", "layers", "total"]
rows = {}
for n in sizes:
    m = json.load(open(f"{out}/run_{n}/manifest.json"))
    t = m["timings_seconds"]
    build = m["kernel"].get("build_seconds", 0.0)
    rows[n] = {"sampling": t["sampling"], "generator_reference": t["generator_reference"], "build": build,
               "layers": t["attention"] - build, "total": t["total"],
               "neighbours": m["kernel"].get("mean_neighbours", float("nan")),
               "rss_gib": int(open(f"{out}/rss_{n}").read().split()[-1]) / 2**20}
print(f"{'N':>9} {'neighbours':>10} " + " ".join(f"{p:>20}" for p in phases) + f" {'max RSS GiB':>12}")
for n in sizes:
    r = rows[n]
    print(f"{n:>9} {r['neighbours']:>10.1f} " + " ".join(f"{r[p]:>20.2f}" for p in phases) + f" {r['rss_gib']:>12.2f}")
if len(sizes) >= 2:
    a, b = sizes[-2], sizes[-1]
    exps = [math.log(rows[b][p] / rows[a][p]) / math.log(b / a) for p in phases]
    print(f"growth exponent {a} -> {b}: " + ", ".join(f"{p} {e:.2f}" for p, e in zip(phases, exps)))
PY
