#!/usr/bin/env python3
"""SciPy's peer of `attnpde spectrum` (bench/run_spectrum.sh): the same kind of operator,
softmax attention of N uniform i.i.d. tokens on the 2D torus with the Gaussian score
|x - y|^2 / sigma^2 truncated at cutoff * sigma (minimum image), built with cKDTree on the
periodic box and symmetrized as D^-1/2 K D^-1/2; ARPACK's Lanczos (eigsh) finds the m
largest eigenvalues mu, reported as (1 - mu) / (c sigma^2) beside the exact k^T k.

    bench/spectrum_peer.py N SIGMA M CUTOFF
"""
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import eigsh
from scipy.spatial import cKDTree


def main():
    n, sigma, m, cutoff = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    rng = np.random.default_rng(1)
    period = 2 * np.pi
    x = rng.uniform(0, period, size=(n, 2))
    t0 = time.perf_counter()
    tree = cKDTree(x, boxsize=period)
    pairs = tree.sparse_distance_matrix(tree, cutoff * sigma, output_type="coo_matrix")
    d2 = pairs.data ** 2
    K = sp.coo_matrix((np.exp(-d2 / sigma**2), (pairs.row, pairs.col)), shape=(n, n)).tocsr()
    K.setdiag(1.0)  # the self pair (distance 0 is dropped by sparse_distance_matrix)
    deg = np.asarray(K.sum(axis=1)).ravel()
    s = 1 / np.sqrt(deg)
    S = sp.diags(s) @ K @ sp.diags(s)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    mu = eigsh(S, k=m, which="LA", tol=1e-10, return_eigenvectors=False)
    t_eig = time.perf_counter() - t0
    lam = np.sort((1 - mu) / (0.25 * sigma**2))
    exact = np.sort([a * a + b * b for a in range(-4, 5) for b in range(-4, 5)])[:m]
    print(f"scipy-eigsh n={n} sigma={sigma} m={m} neighbours={K.nnz / n:.0f} build_seconds={t_build:.3f} "
          f"eigsh_seconds={t_eig:.3f}")
    print("scipy-eigsh eigenvalues " + " ".join(f"{v:.6g}" for v in lam))
    print("exact       eigenvalues " + " ".join(f"{v:.6g}" for v in exact))


if __name__ == "__main__":
    main()
