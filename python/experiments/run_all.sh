#!/usr/bin/env bash
# Regenerates every number and picture of README's "Metric-attention" section (about 30
# minutes on 2 cores: attnpde learn about 13, the two PyTorch tasks side by side about 15).
#   python/experiments/run_all.sh            (after ./run.sh --setup-only has built attnpde)
# Raw outputs go to results/metric_attention/; the tables the README is made from, and the
# pictures, to docs/metric_attention/; then README's section is rewritten from them.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=results/metric_attention
docs=docs/metric_attention
mkdir -p "$out" "$docs"
[ -x build/attnpde ] || { echo "run_all.sh: build/attnpde is missing; run ./run.sh --setup-only first" >&2; exit 2; }

start=$(date +%s)
./build/attnpde learn cases/learn_metric.toml --out "$out/learn_metric"
/usr/bin/python3 postprocess/plot_learn.py "$out/learn_metric" "$docs/learn.png"
cp "$out/learn_metric/summary.csv" "$docs/learn_summary.csv"
./build/attnpde learn cases/learn_metric_axes.toml --out "$out/learn_metric_axes"
cp "$out/learn_metric_axes/summary.csv" "$docs/learn_axes_summary.csv"

# The two tasks side by side, one thread each (every run of a task sees the same load).
/usr/bin/python3 python/experiments/compare_attention.py --task digits --threads 1 --out "$out" &
digits=$!
/usr/bin/python3 python/experiments/compare_attention.py --task manifold --threads 1 --out "$out" &
manifold=$!
wait "$digits"
wait "$manifold"
for task in digits manifold; do
  cp "$out/${task}_runs.csv" "$out/${task}_curves.csv" "$docs/"
done
/usr/bin/python3 python/experiments/report.py --plots --write
echo "run_all.sh: done in $(( $(date +%s) - start )) s; README's Metric-attention section and $docs/ are updated"
