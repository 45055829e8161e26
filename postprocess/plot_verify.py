#!/usr/bin/env python3
"""Plots of an `attnpde verify` report folder: for every study target, each fitted error
against sigma or N on log-log axes with the points (one per seed), the fitted line and a
line of the expected slope through the fit's centre; for the probe targets the measured
Kramers-Moyal drift over the predicted one; for the run of T0 its dynamics snapshot
(postprocess/plot_run.py: tokens coloured by u beside the PDE field).

    /usr/bin/python3 postprocess/plot_verify.py results/verify

Writes <case>/<fit>.png, <case>/drift.png and <case>/fields.png into the report folder and
prints the files it wrote."""
import csv
import json
import math
import os
import subprocess
import sys

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LABELS = {
    "gen_err_l2": "generator error ||(A u - u)/(c sigma^2) - L u|| / ||L u||",
    "err_l2": "dynamics error ||u_attn - u_pde(t_K)|| / ||u_pde||",
    # Spectrum studies (docs/theory.md section 8), per eigenvalue cluster.
    "eigenvalue_error": "eigenvalue error |lambda - lambda_limit| / lambda_limit",
    "eigenvalue_error_sigma": "eigenvalue error against the finite-sigma spectrum",
    "eigenvector_error": "eigenvector distance to the reference eigenspace",
}
# Token transport studies (docs/theory.md section 6) measure velocities and references.
TRANSPORT_LABELS = {
    "gen_err_l2": "velocity error at layer 0 (relative l2)",
    "err_l2": "covariance or Fourier-moment error after K layers",
}


def is_transport(folder):
    try:
        with open(os.path.join(folder, "manifest.json")) as f:
            t = json.load(f)["case"]["attention"].get("transport", "none")
    except (OSError, KeyError, ValueError):
        return False
    return t not in ("none", False)


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def save(fig, folder, name):
    """Writes the figure to folder/name and returns the path."""
    fig.tight_layout()
    out = os.path.join(folder, name)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


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
    ax.set_ylabel((TRANSPORT_LABELS if is_transport(folder) else LABELS).get(quantity, quantity), fontsize=8)
    verdict = fit.get("verdict", "no expected value")
    ax.set_title("%s: %s (%s)\n%s" % (os.path.basename(folder), fit["name"], fit["fixed"], verdict), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, folder, fit["name"] + ".png")


def plot_probe(folder):
    """Kramers-Moyal target: the measured drift b at the query points (arrows) over the
    predicted one, and the relative error of b at each point (colour)."""
    data = rows(os.path.join(folder, "probe.csv"))
    if not data or "x1" not in data[0]:
        return None  # 1D probes: the table is the picture
    x = [float(r["x0"]) for r in data]
    y = [float(r["x1"]) for r in data]
    b = [(float(r["b0"]), float(r["b1"])) for r in data]
    bp = [(float(r["b_pred0"]), float(r["b_pred1"])) for r in data]
    scale = max(math.hypot(*v) for v in bp) or 1.0
    err = [math.hypot(m[0] - p[0], m[1] - p[1]) / scale for m, p in zip(b, bp)]
    fig, ax = plt.subplots(figsize=(6.4, 5.4))
    ax.quiver(x, y, [v[0] for v in bp], [v[1] for v in bp], color="0.6", width=0.006, label="predicted drift")
    q = ax.quiver(x, y, [v[0] for v in b], [v[1] for v in b], err, cmap="viridis", width=0.003,
                  label="measured drift")
    fig.colorbar(q, ax=ax, label="|b - b_pred| / max|b_pred|")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_aspect("equal")
    ax.set_title("%s: Kramers-Moyal drift at %d query points" % (os.path.basename(folder), len(x)), fontsize=9)
    ax.legend(fontsize=8, loc="upper right")
    return save(fig, folder, "drift.png")


def plot_trajectory(folder):
    """Transport target: the reference layer by layer (reference.csv of one run): the token
    covariance against the Gaussian map, or the leading Fourier moment against the heat
    semigroup."""
    data = rows(os.path.join(folder, "trajectory", "reference.csv"))
    if not data:
        return None
    t = [float(r["t"]) for r in data]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    if "moment_ratio" in data[0]:
        ax.plot(t, [float(r["moment_ratio"]) for r in data], "o", label="tokens: |m_k(s)| / |m_k(0)|")
        ax.plot(t, [float(r["moment_ratio_ref"]) for r in data], "-", color="k",
                label="heat semigroup exp(-gamma k^T G k s)")
        ax.set_ylabel("leading Fourier moment, relative to its initial value")
    else:
        for col in sorted(k for k in data[0] if k.startswith("cov_") and not k.startswith("cov_ref_")):
            ref = "cov_ref_" + col[4:]
            line, = ax.plot(t, [float(r[col]) for r in data], "o", label="tokens S_%s" % col[4:])
            ax.plot(t, [float(r[ref]) for r in data], "-", color=line.get_color(), label="map S_%s" % col[4:])
        ax.set_ylabel("covariance entry")
    n = len(rows(os.path.join(folder, "trajectory", "tokens.csv")))
    ax.set_xlabel("layer time s = K tau c sigma^2")
    ax.set_title("%s: one run, N = %d, %s layers (smallest sigma of the study)"
                 % (os.path.basename(folder), n, data[-1]["layer"]), fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, folder, "trajectory.png")


def plot_circle_law(folder):
    """T7 circle law: the seed-mean log power of each checked mode against layer time, with
    the predicted growth 2 lambda_k t drawn from the same start (one panel per beta)."""
    traj = rows(os.path.join(folder, "circle_law_trajectory.csv"))
    modes = rows(os.path.join(folder, "circle_law.csv"))
    betas = sorted({float(r["beta"]) for r in modes})
    if not traj or not betas:
        return None
    fig, axes = plt.subplots(1, len(betas), figsize=(4.5 * len(betas), 4), squeeze=False, constrained_layout=True)
    for ax, beta in zip(axes[0], betas):
        pts = [r for r in traj if float(r["beta"]) == beta]
        t = np.array([float(r["t"]) for r in pts])
        for m in (r for r in modes if float(r["beta"]) == beta and float(r["checked"]) > 0):
            k = int(float(m["k"]))
            y = np.array([float(r[f"mean_log_power_{k}"]) for r in pts])
            line, = ax.plot(t, y, ".", ms=3, label=f"k = {k}")
            ax.plot(t, y[0] + 2 * float(m["lambda_predicted"]) * t, "-", color=line.get_color(), lw=0.8)
        ax.set_xlabel("layer time t = K tau")
        ax.set_ylabel("mean log |c_k|^2")
        ax.set_title(f"beta = {beta:g}: measured (dots), 2 lambda_k t (lines)")
        ax.legend(fontsize=7)
    return save(fig, folder, "circle_law.png")


def main(report):
    written = []
    for name in sorted(os.listdir(report)):
        folder = os.path.join(report, name)
        if os.path.isfile(os.path.join(folder, "tokens.csv")):
            # A run (T0): its dynamics snapshot, tokens coloured by u beside the PDE field.
            out = os.path.join(folder, "fields.png")
            script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plot_run.py")
            if subprocess.run([sys.executable, script, folder, out], capture_output=True).returncode == 0:
                written.append(out)
        if os.path.isfile(os.path.join(folder, "trajectory", "reference.csv")):
            out = plot_trajectory(folder)
            if out:
                written.append(out)
        if os.path.isfile(os.path.join(folder, "circle_law_trajectory.csv")):
            out = plot_circle_law(folder)
            if out:
                written.append(out)
        if os.path.isfile(os.path.join(folder, "probe.csv")):
            out = plot_probe(folder)
            if out:
                written.append(out)
        rates = os.path.join(folder, "rates.json")
        if not os.path.isfile(rates):
            continue
        with open(rates) as f:
            fits = json.load(f)["fits"]
        summary = rows(os.path.join(folder, "summary.csv"))
        spectral = os.path.join(folder, "spectrum_summary.csv")
        clusters = rows(spectral) if os.path.isfile(spectral) else []
        for fit in fits:
            fixed = fit["fixed"]
            # Spectral fits (eigenvalue_Q_vs_...) take the rows of their cluster Q.
            if clusters and fit["name"].startswith("eigen"):
                q = int(fit["name"].split("_")[1])
                summary = [r for r in clusters if int(float(r["cluster"])) == q]
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
