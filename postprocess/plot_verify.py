#!/usr/bin/env python3
"""Plots of an `attnpde verify` report folder: for every study target, each fitted error
against sigma or N on log-log axes with the points (one per seed), the fitted line and a
line of the expected slope through the fit's centre.

    /usr/bin/python3 postprocess/plot_verify.py results/verify

Writes <case>/<fit>.png into the report folder and prints the files it wrote."""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "gen_err_l2": "generator error ||(A u - u)/(c sigma^2) - L u|| / ||L u||",
    "err_l2": "dynamics error ||u_attn - u_pde(t_K)|| / ||u_pde||",
}


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_fit(folder, fit, points):
    against, quantity = fit["against"], fit["quantity"]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    xs = [float(p["sigma"] if against == "sigma" else p["n"]) for p in points]
    ys = [float(p[quantity]) for p in points]
    ax.loglog(xs, ys, "o", color="tab:blue", label="measured (each seed)")
    lo, hi = min(xs), max(xs)
    grid = [lo * (hi / lo) ** (k / 50) for k in range(51)]
    slope, intercept = fit["slope"], fit["intercept"]
    ax.loglog(grid, [math.exp(intercept) * x**slope for x in grid], "-", color="tab:blue",
              label="fit: slope %.3f [%.3f, %.3f]" % (slope, fit["ci95"][0] or math.nan, fit["ci95"][1] or math.nan))
    if fit.get("expected") is not None:
        # The expected slope through the geometric centre of the fitted line.
        xc = math.sqrt(lo * hi)
        yc = math.exp(intercept) * xc**slope
        e = fit["expected"]
        ax.loglog(grid, [yc * (x / xc) ** e for x in grid], "--", color="black", label="expected slope %g" % e)
    ax.set_xlabel("kernel width sigma" if against == "sigma" else "tokens N")
    ax.set_ylabel(LABELS.get(quantity, quantity))
    verdict = fit.get("verdict", "no expected value")
    ax.set_title("%s: %s (%s)\n%s" % (os.path.basename(folder), fit["name"], fit["fixed"], verdict), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    out = os.path.join(folder, fit["name"] + ".png")
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(report):
    written = []
    for name in sorted(os.listdir(report)):
        folder = os.path.join(report, name)
        rates = os.path.join(folder, "rates.json")
        if not os.path.isfile(rates):
            continue
        with open(rates) as f:
            fits = json.load(f)["fits"]
        summary = rows(os.path.join(folder, "summary.csv"))
        for fit in fits:
            fixed = fit["fixed"]
            if fixed.startswith("n = "):
                points = [r for r in summary if float(r["n"]) == float(fixed[4:])]
            elif fixed.startswith("sigma = ") and "N^" not in fixed:
                s = float(fixed[8:])
                points = [r for r in summary if abs(float(r["sigma"]) - s) <= 1e-9 * s]
            else:
                points = summary  # the balanced path: the points off the N x sigma grid
                sigmas = {float(r["sigma"]) for r in summary}
                if len(sigmas) != len({float(r["n"]) for r in summary}):
                    continue  # grid and path mixed: plotted with their own fits
            points = [p for p in points if float(p[fit["quantity"]]) > 0]
            if len(points) >= 2:
                written.append(plot_fit(folder, fit, points))
    for w in written:
        print(w)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: plot_verify.py REPORT_FOLDER")
    sys.exit(main(sys.argv[1]))
