#!/usr/bin/python3
"""Error curves of an `attnpde study`, one panel per fitted rate of rates.json: the errors
of each seed and their geometric mean (the fitted point) against sigma or N on log-log axes,
the fitted line with its slope and 95% interval, the expected slope of docs/theory.md drawn
through the fit's centre, and the verdict. Grid fits (slopes in sigma at the largest N, in N
at the smallest sigma), the balanced path sigma = C N^(-1/(n+6)) and transport studies
(velocity and reference errors) all get their panel.

usage: /usr/bin/python3 postprocess/plot_study.py OUT_DIR [PNG]
Reads OUT_DIR/summary.csv, rates.json and manifest.json; writes PNG (default
OUT_DIR/study.png).
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

TRANSPORT_LABELS = {"gen_err_l2": "velocity error at layer 0 (relative l2)",
                    "err_l2": "reference error after K layers (relative)"}
LABELS = {"gen_err_l2": "generator error ||(A u - u)/(c sigma^2) - L u|| / ||L u||",
          "err_l2": "dynamics error ||u_attn - u_pde(t)|| / ||u_pde||"}


def selection(d, fit, on_path):
    """The rows a fit was made from (solver/app/study_command.cpp)."""
    if fit["name"].endswith("_optimal"):
        return on_path
    grid = ~on_path
    if fit["against"] == "sigma":
        return grid & (d["n"] == d["n"][grid].max())
    return grid & np.isclose(d["sigma"], d["sigma"][grid].min(), rtol=1e-12)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    png = argv[2] if len(argv) > 2 else os.path.join(out, "study.png")
    for f in ("summary.csv", "rates.json", "manifest.json"):
        if not os.path.isfile(os.path.join(out, f)):
            print(f"{os.path.join(out, f)}: error: no such file", file=sys.stderr)
            return 2
    d = np.atleast_1d(np.genfromtxt(os.path.join(out, "summary.csv"), delimiter=",", names=True))
    with open(os.path.join(out, "rates.json")) as fh:
        fits = json.load(fh)["fits"]
    with open(os.path.join(out, "manifest.json")) as fh:
        case = json.load(fh)["case"]
    study = case["study"]
    transport = str(case.get("attention", {}).get("transport", "none")) not in ("none", "False", "false")
    labels = TRANSPORT_LABELS if transport else LABELS
    # summary.csv lists the N x sigma grid first, then (path = "optimal") one point per N on
    # the path, each repeated for every seed.
    on_path = np.zeros(len(d), dtype=bool)
    if study.get("path") == "optimal":
        on_path[len(d) - len(study["n"]) * int(study["seeds"]):] = True
    if not fits:
        print("rates.json has no fits (a study needs two distinct sigma or N)", file=sys.stderr)
        return 1
    cols = min(3, len(fits))
    rows = math.ceil(len(fits) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows), squeeze=False, constrained_layout=True)
    for ax, fit in zip(axes.flat, fits):
        sel = selection(d, fit, on_path)
        xcol = "sigma" if fit["against"] == "sigma" else "n"
        x, y = d[xcol][sel], d[fit["quantity"]][sel]
        ax.loglog(x, y, "o", ms=4, alpha=0.45, color="tab:blue", label="each seed")
        xs = np.unique(x)
        gm = np.array([np.exp(np.log(y[x == v][y[x == v] > 0]).mean()) for v in xs])
        ax.loglog(xs, gm, "s", ms=6, color="tab:blue", label="fitted point (geometric mean)")
        grid = np.geomspace(xs.min(), xs.max(), 50)
        lo, hi = fit["ci95"]
        ax.loglog(grid, np.exp(fit["intercept"]) * grid ** fit["slope"], "-", color="tab:blue",
                  label=f"fit: slope {fit['slope']:.3f} [{lo:.3f}, {hi:.3f}]")
        if fit.get("expected") is not None and np.isfinite(fit.get("expected", np.nan)):
            # The expected slope through the fit's centre (geometric means of x and y).
            cx, cy = np.exp(np.log(xs).mean()), np.exp(np.log(gm).mean())
            ax.loglog(grid, cy * (grid / cx) ** fit["expected"], "--", color="k",
                      label=f"expected slope {fit['expected']:g}")
        ax.set_xlabel("kernel width sigma (d_M units)" if xcol == "sigma" else "tokens N")
        ax.set_ylabel(labels.get(fit["quantity"], fit["quantity"]), fontsize=8)
        verdict = fit.get("verdict", "no expected value")
        ax.set_title(f"{fit['name']} ({fit['fixed']})\n{verdict}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(fits):]:
        ax.axis("off")
    fig.suptitle(f"attnpde study: {case.get('domain', {}).get('kind', '')} "
                 f"{case.get('domain', {}).get('dim', '')}D, seeds {study['seeds']}", fontsize=10)
    fig.savefig(png, dpi=90)
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
