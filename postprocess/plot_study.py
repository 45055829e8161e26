#!/usr/bin/python3
"""Error curves of an `attnpde study`: generator error (T1) and dynamics error (T2)
against sigma for every N, with the fitted slopes of rates.json; the points of the optimal
path sigma = C N^(-1/(n+6)) (if the study has one) are drawn as their own curve.

usage: /usr/bin/python3 postprocess/plot_study.py OUT_DIR [PNG]
Reads OUT_DIR/summary.csv, rates.json and manifest.json; writes PNG (default
OUT_DIR/study.png).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def seed_means(d, col, sel):
    """Sigma values (ascending) and the mean error over the seeds at each."""
    s = np.unique(d["sigma"][sel])
    return s, np.array([d[col][sel & (d["sigma"] == v)].mean() for v in s])


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
    d = np.genfromtxt(os.path.join(out, "summary.csv"), delimiter=",", names=True)
    with open(os.path.join(out, "rates.json")) as fh:
        rates = {f["name"]: f for f in json.load(fh)["fits"]}
    with open(os.path.join(out, "manifest.json")) as fh:
        study = json.load(fh)["case"]["study"]
    # summary.csv lists the N x sigma grid first, then (path = "optimal") one point per N
    # on the path, each repeated for every seed.
    on_path = np.zeros(len(d), dtype=bool)
    if study.get("path") == "optimal":
        on_path[len(d) - len(study["n"]) * int(study["seeds"]):] = True
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, col, title, fit in ((axes[0], "gen_err_l2", "generator error (T1)", "generator_vs_sigma"),
                                (axes[1], "err_l2", "dynamics error (T2)", "dynamics_vs_sigma")):
        for n in np.unique(d["n"][~on_path]):
            s, e = seed_means(d, col, (d["n"] == n) & ~on_path)
            ax.loglog(s, e, "o-", ms=4, label=f"N = {int(n)}")
        if on_path.any():
            s, e = seed_means(d, col, on_path)
            ax.loglog(s, e, "s:", ms=5, color="gray", label="optimal path (mean over seeds)")
        if fit in rates:
            f = rates[fit]
            s = np.unique(d["sigma"][~on_path])
            ax.loglog(s, np.exp(f["intercept"]) * s ** f["slope"], "k--",
                      label=f"fit slope {f['slope']:.2f} [{f['ci95'][0]:.2f}, {f['ci95'][1]:.2f}]")
        ax.set_xlabel("sigma")
        ax.set_ylabel("relative l2 error")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.savefig(png, dpi=90)
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
