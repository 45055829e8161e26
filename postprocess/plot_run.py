#!/usr/bin/python3
"""Picture of one `attnpde run`: the tokens coloured by the attention values u_attn,
the PDE solution u_pde interpolated to them, and their difference.

usage: /usr/bin/python3 postprocess/plot_run.py OUT_DIR [PNG]
Reads OUT_DIR/tokens.csv (columns x0, x1, u0, u_attn, u_pde); writes PNG
(default OUT_DIR/fields.png). Needs python3-numpy and python3-matplotlib.
"""
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
    png = argv[2] if len(argv) > 2 else os.path.join(out, "fields.png")
    path = os.path.join(out, "tokens.csv")
    if not os.path.isfile(path):
        print(f"{path}: error: no such file", file=sys.stderr)
        return 2
    data = np.genfromtxt(path, delimiter=",", names=True)
    names = data.dtype.names
    if "x1" not in names:
        print(f"{path}: error: plot_run.py draws 2D runs (columns x0, x1)", file=sys.stderr)
        return 2
    x, y = data["x0"], data["x1"]
    panels = [("u0", "initial values u0"), ("u_attn", "attention layers u_attn"),
              ("u_pde", "PDE solution u_pde"), (None, "u_attn - u_pde")]
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2), constrained_layout=True)
    vmin = min(data["u0"].min(), data["u_attn"].min())
    vmax = max(data["u0"].max(), data["u_attn"].max())
    for ax, (col, title) in zip(axes, panels):
        if col is None:
            v = data["u_attn"] - data["u_pde"]
            lim = np.abs(v).max()
            sc = ax.scatter(x, y, c=v, s=3, cmap="RdBu_r", vmin=-lim, vmax=lim)
        else:
            sc = ax.scatter(x, y, c=data[col], s=3, cmap="viridis", vmin=vmin, vmax=vmax)
        ax.set_title(title)
        ax.set_aspect("equal")
        ax.set_xlim(0, 2 * np.pi)
        ax.set_ylim(0, 2 * np.pi)
        ax.set_xlabel("x")
        fig.colorbar(sc, ax=ax, shrink=0.8)
    axes[0].set_ylabel("y")
    fig.savefig(png, dpi=90)
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
