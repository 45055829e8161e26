#!/usr/bin/python3
"""The Crank-Nicolson step of bench_pde, written as a SciPy user would: the same periodic
operator from Kronecker products of difference matrices, (I - dt/2 L) u1 = (I + dt/2 L) u0,
solved with scipy.sparse.linalg.cg (rtol 1e-10) and, in 2D, with a sparse LU (splu).
Checks the answer against attnpde's.

With --variable (bench_pde --variable: w = p^2 varies, so the operator has variable
coefficients) the dump also holds attnpde's assembled A = I - dt/2 L (CSR), the right-hand
side and w. A SciPy user would assemble the same matrix; the solve is what is timed: CG on
the symmetrized system diag(w) A (A is self-adjoint in the w-weighted inner product) when
that is symmetric to round-off, else BiCGStab and GMRES on A.

usage: /usr/bin/python3 bench/pde_peers.py DIM N DUMP.bin [--variable]
"""
import inspect
import math
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def metric(dim):
    if dim == 2:
        return np.array([[2.0, 0.6], [0.6, 1.0]])
    if dim == 3:
        return np.array([[1.5, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.2]])
    return np.eye(1)


def operator(dim, n):
    h = 2 * math.pi / n
    e = np.ones(n)
    d2 = sp.diags([e[:-1], -2 * e, e[:-1]], [-1, 0, 1], format="lil")
    d2[0, n - 1] = d2[n - 1, 0] = 1
    d1 = sp.diags([-e[:-1], e[:-1]], [-1, 1], format="lil")
    d1[0, n - 1], d1[n - 1, 0] = -1, 1
    d2, d1 = d2.tocsr() / h**2, d1.tocsr() / (2 * h)
    eye = sp.identity(n, format="csr")

    def along(mats):  # mats[d] acts on axis d; x fastest, so axis 0 is the last factor
        out = mats[dim - 1]
        for d in range(dim - 2, -1, -1):
            out = sp.kron(out, mats[d], format="csr")
        return out

    G = np.linalg.inv(metric(dim))
    L = sp.csr_matrix((n**dim, n**dim))
    for d in range(dim):
        L = L + G[d, d] * along([d2 if k == d else eye for k in range(dim)])
        for f in range(d + 1, dim):
            L = L + 2 * G[d, f] * along([d1 if k in (d, f) else eye for k in range(dim)])
    return L.tocsr(), h


REPEATS = 3  # timed solves; the fastest counts (as in bench_pde: the machine may be shared)


def solve_counted(solver, A, b, **kw):
    """Solves to relative tolerance 1e-10 REPEATS times: answer, info, fastest seconds, iterations."""
    tol_kw = "rtol" if "rtol" in inspect.signature(solver).parameters else "tol"
    best = math.inf
    for _ in range(REPEATS):
        iters = [0]

        def count(_):
            iters[0] += 1

        t0 = time.perf_counter()
        x, info = solver(A, b, **{tol_kw: 1e-10}, atol=0.0, callback=count, **kw)
        best = min(best, time.perf_counter() - t0)
    return x, info, best, iters[0]


def variable(dim, n, path):
    size = n**dim
    with open(path, "rb") as f:
        u0 = np.fromfile(f, dtype=np.float64, count=size)
        u1_ref = np.fromfile(f, dtype=np.float64, count=size)
        nnz = int(np.fromfile(f, dtype=np.int64, count=1)[0])
        rowptr = np.fromfile(f, dtype=np.int64, count=size + 1)
        cols = np.fromfile(f, dtype=np.int64, count=nnz)
        vals = np.fromfile(f, dtype=np.float64, count=nnz)
        rhs = np.fromfile(f, dtype=np.float64, count=size)
        w = np.fromfile(f, dtype=np.float64, count=size)
    del u0
    A = sp.csr_matrix((vals, cols, rowptr), shape=(size, size))
    S = (sp.diags(w) @ A).tocsr()
    asym = abs(S - S.T).max() / abs(S).max()
    if asym < 1e-12:
        x, info, sec, its = solve_counted(spla.cg, S, w * rhs)
        print(f"scipy-cg dim={dim} n={n} coefficients=variable system=diag(w)A seconds={sec:.6f} "
              f"iterations={its} info={info} max_diff={np.abs(x - u1_ref).max():.3e}")
    else:
        print(f"(diag(w) A is not symmetric: relative asymmetry {asym:.1e}; no CG)")
    x, info, sec, its = solve_counted(spla.bicgstab, A, rhs)
    print(f"scipy-bicgstab dim={dim} n={n} coefficients=variable seconds={sec:.6f} iterations={its} "
          f"info={info} max_diff={np.abs(x - u1_ref).max():.3e}")
    x, info, sec, its = solve_counted(spla.gmres, A, rhs, restart=30, **({"callback_type": "pr_norm"}
                                      if "callback_type" in inspect.signature(spla.gmres).parameters else {}))
    print(f"scipy-gmres dim={dim} n={n} coefficients=variable seconds={sec:.6f} iterations={its} "
          f"info={info} max_diff={np.abs(x - u1_ref).max():.3e}")
    return 0


def main(argv):
    if len(argv) not in (4, 5) or (len(argv) == 5 and argv[4] != "--variable"):
        print(__doc__, file=sys.stderr)
        return 2
    dim, n = int(argv[1]), int(argv[2])
    if len(argv) == 5:
        return variable(dim, n, argv[3])
    raw = np.fromfile(argv[3], dtype=np.float64)
    u0, u1_ref = raw[: n**dim], raw[n**dim:]
    L, h = operator(dim, n)
    dt = h
    A = (sp.identity(n**dim, format="csr") - 0.5 * dt * L).tocsr()
    rhs = u0 + 0.5 * dt * (L @ u0)
    u1, info, sec, its = solve_counted(spla.cg, A, rhs)
    print(f"scipy-cg dim={dim} n={n} seconds={sec:.6f} iterations={its} info={info} "
          f"max_diff={np.abs(u1 - u1_ref).max():.3e}")
    if dim == 2 and n <= 256:  # the factorization grows too slow beyond
        t0 = time.perf_counter()
        lu = spla.splu(A.tocsc())
        factor = time.perf_counter() - t0
        t0 = time.perf_counter()
        u1 = lu.solve(rhs)
        solve = time.perf_counter() - t0
        print(f"scipy-splu dim={dim} n={n} factor={factor:.6f} seconds={solve:.6f} "
              f"max_diff={np.abs(u1 - u1_ref).max():.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
