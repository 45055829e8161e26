#!/usr/bin/python3
"""Error curves of an `attnpde study`: generator error (T1) and dynamics error (T2)
against sigma for every N, with the fitted slopes of rates.json.

usage: /usr/bin/python3 postprocess/plot_study.py OUT_DIR [PNG]
Reads OUT_DIR/summary.csv and OUT_DIR/rates.json; writes PNG (default OUT_DIR/study.png).
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    png = argv[2] if len(argv) > 2 else os.path.join(out, "study.png")
    for f in ("summary.csv", "rates.json"):
        if not os.path.isfile(os.path.join(out, f)):
            print(f"{os.path.join(out, f)}: error: no such file", file=sys.stderr)
            return 2
    d = np.genfromtxt(os.path.join(out, "summary.csv"), delimiter=",", names=True)
    with open(os.path.join(out, "rates.json")) as fh:
        rates = {f["name"]: f for f in json.load(fh)["fits"]}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, col, title, fit in ((axes[0], "gen_err_l2", "generator error (T1)", "generator_vs_sigma"),
                                (axes[1], "err_l2", "dynamics error (T2)", "dynamics_vs_sigma")):
        for n in np.unique(d["n"]):
            sel = d["n"] == n
            s = d["sigma"][sel]
            order = np.argsort(s)
            ax.loglog(s[order], d[col][sel][order], "o-", ms=4, label=f"N = {int(n)}")
        if fit in rates:
            f = rates[fit]
            s = np.unique(d["sigma"])
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
