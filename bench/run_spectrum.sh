#!/usr/bin/env bash
# Eigenpairs of attention with SLEPc (`attnpde spectrum`, docs/theory.md section 8) beside
# SciPy's ARPACK (bench/spectrum_peer.py) in the same run: uniform i.i.d. tokens on the 2D
# torus, softmax, beta = 2, 10 eigenpairs; attnpde's time, operator applications and
# eigenvalue errors against the exact finite-sigma values, the peer's build and eigsh times.
#   bench/run_spectrum.sh                 dense N = 20000 and truncated N = 10^5
#   bench/run_spectrum.sh --large         also truncated N = 10^6 (several minutes, ~3 GB)
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
case_file="$out/uniform.toml"
cat > "$case_file" <<'TOML'
[domain]
kind = "torus"
dim = 2
[density]
sampler = "random"
[tokens]
n = 20000
[attention]
sigma = 0.25
[pde]
grid = [32, 32]
[spectrum]
count = 10
[output]
vtk = false
TOML
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
report() {  # label, output folder
  /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, json, sys
label, d = sys.argv[1], sys.argv[2]
m = json.load(open(d + "/manifest.json"))
e, t = m["eigensolver"], m["timings_seconds"]
rows = list(csv.DictReader(open(d + "/spectrum.csv")))
err = max(float(r["eigenvalue_error_sigma"]) for r in rows[1:])
print(f"attnpde {label}: kernel {e['kernel']}, {e['attention_matvecs']} applications, eigensolver "
      f"{t['attention_eigensolver']:.2f} s, whole point {t['attention_point']:.2f} s, total {t['total']:.2f} s, "
      f"max eigenvalue error vs finite sigma {err:.2e}")
PY
}
run() {  # label, n, sigma, kernel
  ./build/attnpde spectrum "$case_file" --quiet --force --set tokens.n="$2" --set attention.sigma="$3" \
    --set "attention.kernel=\"$4\"" --out "$out/$1" > /dev/null
  report "$1" "$out/$1"
}
run "dense N=20000" 20000 0.25 dense
/usr/bin/python3 bench/spectrum_peer.py 20000 0.25 10 5
run "truncated N=100000" 100000 0.08 truncated
/usr/bin/python3 bench/spectrum_peer.py 100000 0.08 10 5
if [ "${1:-}" = "--large" ]; then
  run "truncated N=1000000" 1000000 0.01 truncated
fi
