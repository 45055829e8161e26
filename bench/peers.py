#!/usr/bin/python3
"""The same attention layer as bench_kernel, in numpy (256-row chunks, vectorized) and in
PyTorch on the CPU (softmax(-d^2/eps) @ V with the minimum image, chunked), timed in the
same run on the tokens that bench_kernel wrote, and checked against attnpde's A u.

usage: /usr/bin/python3 bench/peers.py DUMP.bin THREADS
Prints one line per peer: name, seconds per layer, pairs per second, max |difference|.
PyTorch is skipped with a note when it is not installed (Debian: python3-torch).
"""
import math
import sys
import time

import numpy as np

TWO_PI = 2 * math.pi
M = np.array([[2.0, 0.6], [0.6, 1.0]])
SIGMA = 0.2


def load(path):
    raw = np.fromfile(path, dtype=np.float64)
    n = int(raw[0])
    x, y, u, au = raw[1:].reshape(4, n)
    return n, x, y, u, au


def numpy_layer(x, y, u, chunk=256):
    out = np.empty_like(u)
    inv_eps = 1.0 / SIGMA**2
    for s in range(0, len(x), chunk):
        dx = x[None, :] - x[s:s + chunk, None]
        dy = y[None, :] - y[s:s + chunk, None]
        dx -= TWO_PI * np.floor(dx / TWO_PI + 0.5)
        dy -= TWO_PI * np.floor(dy / TWO_PI + 0.5)
        logits = -(M[0, 0] * dx * dx + 2 * M[0, 1] * dx * dy + M[1, 1] * dy * dy) * inv_eps
        e = np.exp(logits)  # the row maximum is 0 (self included)
        out[s:s + chunk] = (e @ u) / e.sum(axis=1)
    return out


def torch_layer(torch, x, y, u, chunk=1024):
    xt, yt, ut = (torch.from_numpy(a) for a in (x, y, u))
    out = torch.empty_like(ut)
    inv_eps = 1.0 / SIGMA**2
    for s in range(0, len(x), chunk):
        dx = xt[None, :] - xt[s:s + chunk, None]
        dy = yt[None, :] - yt[s:s + chunk, None]
        dx -= TWO_PI * torch.floor(dx / TWO_PI + 0.5)
        dy -= TWO_PI * torch.floor(dy / TWO_PI + 0.5)
        logits = -(M[0, 0] * dx * dx + 2 * M[0, 1] * dx * dy + M[1, 1] * dy * dy) * inv_eps
        out[s:s + chunk] = torch.softmax(logits, dim=1) @ ut
    return out.numpy()


def timed(fn, repeats=1):
    best, result = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    n, x, y, u, au = load(argv[1])
    threads = int(argv[2])
    pairs = float(n) * n
    sec, out = timed(lambda: numpy_layer(x, y, u))
    print(f"numpy seconds={sec:.6f} pairs_per_second={pairs / sec:.4e} max_diff={np.abs(out - au).max():.3e}")
    try:
        import torch
    except ImportError:
        print("pytorch skipped: python3-torch is not installed")
        return 0
    torch.set_num_threads(threads)
    sec, out = timed(lambda: torch_layer(torch, x, y, u))
    print(f"pytorch seconds={sec:.6f} pairs_per_second={pairs / sec:.4e} max_diff={np.abs(out - au).max():.3e}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
