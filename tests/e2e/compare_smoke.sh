#!/usr/bin/env bash
# Smoke test of the metric-attention experiment: one short epoch of both models on both
# tasks (python/experiments/compare_attention.py --smoke), the tables they write, and the
# README section built from those tables (python/experiments/report.py on a scratch copy).
set -euo pipefail
src=$1
out=$2/compare_smoke
rm -rf "$out"
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT
for task in digits manifold; do
  /usr/bin/python3 "$src/python/experiments/compare_attention.py" --task "$task" --smoke --threads 1 --out "$out" >/dev/null
  rows=$(tail -n +2 "$out/${task}_runs.csv" | wc -l)
  [ "$rows" -eq 2 ] || { echo "$task: expected 2 runs (metric, dot), got $rows"; exit 1; }
  head -1 "$out/${task}_runs.csv" | grep -q "accuracy,steps_to_target,seconds_to_target,noise_" ||
    { echo "$task: unexpected columns"; exit 1; }
  grep -q "^$task,metric,accuracy," "$out/${task}_summary.csv" || { echo "$task: no summary"; exit 1; }
done
cp "$src/docs/metric_attention/learn_summary.csv" "$src/docs/metric_attention/learn_axes_summary.csv" "$out/"
/usr/bin/python3 "$src/python/experiments/report.py" --docs "$out" >"$out/section.md"
grep -q "| digits (1 seeds) |" "$out/section.md" || { echo "report.py did not build the tables"; exit 1; }
echo "1 passed, 0 failed"
