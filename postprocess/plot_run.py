#!/usr/bin/python3
"""Picture of one `attnpde run`: the tokens coloured by the initial values u0, the attention
values u_attn, the PDE solution u_pde interpolated to them, and their difference.

usage: /usr/bin/python3 postprocess/plot_run.py OUT_DIR [PNG]
Reads OUT_DIR/tokens.csv and OUT_DIR/manifest.json; writes PNG (default OUT_DIR/fields.png).
 - the axes span the domain of the case: the torus [0, 2 pi)^n or the box [0, 1]^n;
 - 1D runs are drawn as curves over x, 2D runs as token clouds, 3D runs as the slab of
   tokens within 10% of the domain's side around its middle plane in z (said in the title);
 - a vector u (columns u0_0, u_attn_0, ...) is drawn component by component, one row each;
 - a token-transport run (columns x0.., x_final0..) is drawn as the initial and final
   positions.
Needs python3-numpy and python3-matplotlib.
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def fail(message):
    print(f"plot_run.py: error: {message}", file=sys.stderr)
    return 2


def describe(case, manifest):
    res = manifest.get("results", {})
    att = case.get("attention", {})
    n = case.get("tokens", {}).get("n")
    return f"N = {n}, sigma = {att.get('sigma')}, layers = {att.get('layers')}" + (
        f", t = {res['t']:.4g}" if "t" in res else "")


def transport(data, names, dim, length, title, png):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), constrained_layout=True)
    for ax, prefix, label in zip(axes, ("x", "x_final"), ("initial positions", "after the last layer")):
        if dim == 1:
            ax.hist(data[prefix + "0"], bins=100, range=(0, length))
            ax.set_xlabel("x")
            ax.set_ylabel("tokens")
        else:
            ax.scatter(data[prefix + "0"], data[prefix + "1"], s=3)
            ax.set_xlim(0, length)
            ax.set_ylim(0, length)
            ax.set_aspect("equal")
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        ax.set_title(label)
    fig.suptitle(title)
    fig.savefig(png, dpi=90)
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    png = argv[2] if len(argv) > 2 else os.path.join(out, "fields.png")
    path = os.path.join(out, "tokens.csv")
    if not os.path.isfile(path):
        return fail(f"{path}: no such file")
    manifest = {}
    if os.path.isfile(os.path.join(out, "manifest.json")):
        with open(os.path.join(out, "manifest.json")) as f:
            manifest = json.load(f)
    case = manifest.get("case", {})
    kind = case.get("domain", {}).get("kind", "torus")
    length = 2 * math.pi if kind == "torus" else 1.0
    data = np.genfromtxt(path, delimiter=",", names=True)
    names = data.dtype.names
    dim = sum(1 for c in names if c in ("x0", "x1", "x2"))
    where = {"sphere": f"S^{dim - 1} in R^{dim}", "space": f"R^{dim}"}.get(
        kind, f"{kind} [0, {'2 pi' if kind == 'torus' else '1'}]^{dim}")
    title = f"{os.path.basename(os.path.normpath(out))}: {where}, " + describe(case, manifest)
    if "x_final0" in names:
        return transport(data, names, dim, length, title, png)
    # Components: "" for a scalar u, "_0", "_1", ... for a vector.
    comps = [""] if "u0" in names else sorted({c[2:] for c in names if c.startswith("u0_")})
    keep = np.ones(len(data), dtype=bool)
    # Plot coordinates: the circle by its angle, S^2 in the equal-area map (longitude, z),
    # the whole space by (x, y) with automatic limits.
    x, y = data["x0"], data["x1"] if dim > 1 else None
    xlim, ylim, labels = (0, length), (0, length), ("x", "y")
    if kind == "sphere":
        angle = np.mod(np.arctan2(data["x1"], data["x0"]), 2 * math.pi)
        if dim == 2:
            x, dim = angle, 1
            xlim, labels = (0, 2 * math.pi), ("theta", "y")
        else:
            x, y, dim = angle, data["x2"], 2
            xlim, ylim, labels = (0, 2 * math.pi), (-1, 1), ("longitude", "z")
    elif kind == "space":
        xlim = (x.min(), x.max())
        ylim = (y.min(), y.max()) if y is not None else None
    elif dim == 3:
        keep = np.abs(data["x2"] - length / 2) < 0.1 * length
        title += f"; tokens with |z - {length / 2:.3g}| < {0.1 * length:.3g}"
    panels = [("u0", "initial values u0"), ("u_attn", "attention layers u_attn"),
              ("u_pde", "PDE solution u_pde"), (None, "u_attn - u_pde")]
    has_pde = any(c.startswith("u_pde") for c in names)
    if not has_pde:  # the dot score in the whole space: layers without a PDE
        panels = panels[:2]
        title += "; no PDE (no diffusion limit)"
    fig, axes = plt.subplots(len(comps), len(panels), figsize=(4.25 * len(panels), 4.2 * len(comps)),
                             constrained_layout=True, squeeze=False)
    x = x[keep]
    y = y[keep] if y is not None else None
    for row, comp in zip(axes, comps):
        u0, ua = data["u0" + comp][keep], data["u_attn" + comp][keep]
        up = data["u_pde" + comp][keep] if has_pde else ua
        vmin, vmax = min(u0.min(), ua.min(), up.min()), max(u0.max(), ua.max(), up.max())
        for ax, (col, label) in zip(row, panels):
            v = {"u0": u0, "u_attn": ua, "u_pde": up}.get(col, ua - up) if col else ua - up
            label = label + (f" (component {comp[1:]})" if comp else "")
            if dim == 1:
                order = np.argsort(x)
                ax.plot(x[order], v[order], ".", ms=2)
                ax.set_xlim(*xlim)
                ax.set_xlabel(labels[0])
                ax.set_ylabel("u" if col else "difference")
            else:
                if col is None:
                    lim = max(np.abs(v).max(), 1e-300)
                    sc = ax.scatter(x, y, c=v, s=3, cmap="RdBu_r", vmin=-lim, vmax=lim)
                else:
                    sc = ax.scatter(x, y, c=v, s=3, cmap="viridis", vmin=vmin, vmax=vmax)
                ax.set_aspect("auto" if kind == "sphere" else "equal")
                ax.set_xlim(*xlim)
                ax.set_ylim(*ylim)
                ax.set_xlabel(labels[0])
                ax.set_ylabel(labels[1])
                fig.colorbar(sc, ax=ax, shrink=0.8, label="u" if col else "difference")
            ax.set_title(label)
    fig.suptitle(title)
    fig.savefig(png, dpi=90)
    print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
