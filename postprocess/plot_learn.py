#!/usr/bin/python3
"""Picture of one `attnpde learn`: the loss curves of both models and the recovered metric.

usage: /usr/bin/python3 postprocess/plot_learn.py OUT_DIR [PNG]
Reads OUT_DIR/learn.csv and OUT_DIR/manifest.json; writes PNG (default OUT_DIR/learn.png).
 - left: training loss (solid) and held-out loss (dashed) against the evaluation count, for
   metric-attention and the dot-product baseline at the lowest noise level, one line per seed;
 - right (2D metrics): the unit ellipses x^T M x = 1 of the recovered metrics (one per seed,
   coloured by the noise level) over the planted M* (black).
Needs python3-numpy and python3-matplotlib.
"""
import csv
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def ellipse(m):
    """Points of x^T M x = 1 for a 2 x 2 SPD M."""
    values, vectors = np.linalg.eigh(np.asarray(m))
    angle = np.linspace(0, 2 * np.pi, 200)
    circle = np.vstack([np.cos(angle) / np.sqrt(values[0]), np.sin(angle) / np.sqrt(values[1])])
    return vectors @ circle


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    png = argv[2] if len(argv) > 2 else os.path.join(out, "learn.png")
    try:
        with open(os.path.join(out, "learn.csv")) as f:
            rows = list(csv.DictReader(f))
        with open(os.path.join(out, "manifest.json")) as f:
            results = json.load(f)["results"]
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_learn.py: error: {e}", file=sys.stderr)
        return 2
    noise_levels = sorted({float(r["noise"]) for r in rows})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ax = axes[0]
    colours = {"metric": "tab:blue", "dot": "tab:orange"}
    labelled = set()
    for model in ("metric", "dot"):
        seeds = sorted({r["seed"] for r in rows if r["model"] == model})
        for seed in seeds:
            run = [r for r in rows if r["model"] == model and r["seed"] == seed and float(r["noise"]) == noise_levels[0]]
            if not run:
                continue
            k = [int(r["evaluation"]) for r in run]
            label = None if model in labelled else model
            labelled.add(model)
            ax.semilogy(k, [float(r["loss"]) for r in run], color=colours[model], lw=1, label=label)
            ax.semilogy(k, [float(r["heldout_loss"]) for r in run], color=colours[model], lw=1, ls="--")
    ax.set_xlabel("loss-and-gradient evaluations")
    ax.set_ylabel("relative squared error")
    ax.set_title(f"training (solid) and held-out (dashed) loss, noise {noise_levels[0]:g}")
    ax.legend()
    ax = axes[1]
    planted = np.asarray(results["planted_metric"])
    if planted.shape == (2, 2):
        cmap = plt.get_cmap("viridis")
        for r in results["runs"]:
            if r["model"] != "metric":
                continue
            level = noise_levels.index(r["noise"]) / max(1, len(noise_levels) - 1)
            e = ellipse(r["metric"])
            ax.plot(e[0], e[1], color=cmap(level), lw=1)
        e = ellipse(planted)
        ax.plot(e[0], e[1], color="black", lw=2.5, ls=":", label="planted M*")
        for i, level in enumerate(noise_levels):
            ax.plot([], [], color=cmap(i / max(1, len(noise_levels) - 1)), label=f"learned, noise {level:g}")
        ax.set_aspect("equal")
        ax.legend(fontsize=8)
        ax.set_title("unit ellipses x^T M x = 1")
    else:
        ax.axis("off")
        ax.text(0.5, 0.5, "ellipses are drawn for 2D metrics", ha="center")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
