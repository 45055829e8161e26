#!/usr/bin/env bash
# The layering rule of solver/app/check_layers.cmake: the source tree passes, and a copy
# with a planted upward include (attention including the application layer, solver
# numerics including postprocess) fails with a message naming the file.
set -euo pipefail
src=$1
check=$src/solver/app/check_layers.cmake
cmake -DSOURCE_DIR="$src" -P "$check"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for planted in "attention/planted.hpp:solver/app/case.hpp" "solver/planted.cpp:postprocess/json.hpp" \
               "discretization/planted.cpp:solver/pde_solver.hpp"; do
  file=${planted%%:*}
  header=${planted#*:}
  rm -rf "$tmp/tree"
  mkdir -p "$tmp/tree"
  cp -r "$src/attention" "$src/discretization" "$src/solver" "$src/postprocess" "$tmp/tree/"
  printf '#include "%s"\n' "$header" >"$tmp/tree/$file"
  if out=$(cmake -DSOURCE_DIR="$tmp/tree" -P "$check" 2>&1); then
    echo "FAIL: $file including $header passed the layering check"
    exit 1
  fi
  grep -q "layering: $file includes $header" <<<"$out" || { echo "FAIL: message: $out"; exit 1; }
  echo "refused: $file includes $header"
done
echo "1 passed, 0 failed"
