#!/usr/bin/env bash
# The ParaView scripts (postprocess/paraview/render_run.py) on a small 2D run, through
# pvbatch under Xvfb with Debian's python3-paraview unpacked privately (./test.sh --paraview
# installs both). Checks that both pictures are not blank, that the colour ranges match the
# data, and that the state file names the run's readers. Skipped (exit 77) without ParaView.
#   paraview.sh SOURCE_DIR ATTNPDE_BINARY PYTHON_PARAVIEW_DIR SCRATCH_DIR
set -euo pipefail
src=$1 bin=$2 pvpy=$3/usr/lib/python3/dist-packages scratch=$4
if ! command -v pvbatch >/dev/null || ! command -v xvfb-run >/dev/null || [ ! -d "$pvpy/paraview" ]; then
  echo "ParaView not installed (./test.sh --paraview installs it): skipped"
  exit 77
fi
dir=$(mktemp -d "$scratch/paraview_XXXXXX")
trap 'rm -rf "$dir"' EXIT
"$bin" run "$src/cases/torus2d_metric.toml" --quiet --set tokens.n=3000 --set 'pde.grid=[64, 64]' \
  --set attention.layers=4 --out "$dir/run" >/dev/null
PYTHONPATH="$pvpy" xvfb-run -a pvbatch "$src/postprocess/paraview/render_run.py" "$dir/run" "$dir/pv" \
  >"$dir/render.txt" 2>"$dir/render.err" || { cat "$dir/render.err"; exit 1; }
grep -q 'fields.pvd' "$dir/pv/run.pvsm" && grep -q 'tokens.pvd' "$dir/pv/run.pvsm"
/usr/bin/python3 - "$dir" <<'PY'
import json, sys
import matplotlib.image as mpimg
import numpy as np
d = sys.argv[1]
lines = [json.loads(l) for l in open(d + "/render.txt") if l.startswith("{")]
assert len(lines) == 2, lines
for l in lines:
    lo, hi = l["colour_range"]
    dlo, dhi = l["data_range"]
    scale = max(abs(dlo), abs(dhi))
    assert hi > lo and abs(lo - dlo) <= 1e-9 * scale and abs(hi - dhi) <= 1e-9 * scale, l
    img = mpimg.imread(d + "/pv/" + l["picture"])[..., :3]
    white = np.all(img > 0.98, axis=-1).mean()
    colours = len(np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    print("%s: %.0f%% background, %d colours, colour range [%.4g, %.4g]" % (l["picture"], 100 * white, colours, lo, hi))
    assert white < 0.99 and colours > 50, "blank picture " + l["picture"]
print("1 passed, 0 failed")
PY
