#!/usr/bin/env bash
# Tests clean up what they create: `setup` records the attnpde scratch entries of the
# temporary folder before the suite, `check` (after every other test, a CTest fixture)
# fails on any entry the suite added and left.
set -euo pipefail
mode=$1
list=$2
tmp=${TMPDIR:-/tmp}
entries() { ls -1 "$tmp" 2>/dev/null | grep -E '^attnpde_' | sort || true; }
if [ "$mode" = setup ]; then
  entries >"$list"
  echo "recorded $(wc -l <"$list") earlier entries"
  exit 0
fi
# Entries of processes still running (another suite at the same time) are theirs to remove.
left=$(comm -13 "$list" <(entries) | while read -r e; do
  pid=${e##*_}
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then continue; fi
  echo "$e"
done)
if [ -n "$left" ]; then
  echo "left behind in $tmp:"
  echo "$left"
  exit 1
fi
echo "1 passed, 0 failed"
