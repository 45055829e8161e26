"""attnpde's dot-product layers against PyTorch's softmax attention on the same tokens.

Runs `attnpde run` on two dot-score cases: Gaussian tokens in R^3 with a non-symmetric B
(layers without a PDE), and unit tokens on S^2 with B = b I (metric attention with beta = 2,
sigma = sqrt(2 eps / b)), then repeats the layers u <- u + tau (A u - u) with
A = torch.softmax(X B X^T / eps, dim=-1) in float64 on the tokens attnpde wrote (17 digits),
and requires the values to agree to 1e-10 relative.
    torch_dot.py ATTNPDE_BINARY SCRATCH_DIR
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

torch.set_num_threads(1)

CASES = {
    "space": """
[domain]
kind = "space"
dim = 3
[density]
mean = [0.2, -0.1, 0.3]
cov = [[1.0, 0.2, 0.0], [0.2, 0.8, 0.1], [0.0, 0.1, 0.6]]
[tokens]
n = 400
seed = 4
[attention]
score = "dot"
B = [[0.6, 0.2, -0.3], [-0.1, 0.4, 0.2], [0.3, 0.0, 0.9]]
eps = 0.35
tau = 0.5
layers = 4
[initial]
u0 = ["sin(x) + y*z", "x - 0.5*z"]
""",
    "sphere": """
[domain]
kind = "sphere"
dim = 3
[tokens]
n = 500
seed = 2
[attention]
score = "dot"
B = [[1.5, 0, 0], [0, 1.5, 0], [0, 0, 1.5]]
eps = 0.05
tau = 0.7
layers = 5
[initial]
u0 = "x*y + z"
""",
}


def parse_matrix(text, name, dim):
    for line in text.splitlines():
        if line.startswith(name + " ="):
            return np.array(eval(line.split("=", 1)[1]), dtype=np.float64).reshape(dim, dim)
    raise KeyError(name)


def value(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ="):
            return float(line.split("=", 1)[1])
    raise KeyError(name)


def main():
    binary, scratch = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(dir=scratch, prefix="torch_dot_")
    worst = 0.0
    try:
        for name, text in CASES.items():
            path = os.path.join(work, name + ".toml")
            with open(path, "w") as f:
                f.write(text)
            out = os.path.join(work, name)
            subprocess.run([binary, "run", path, "--quiet", "--out", out], check=True)
            with open(os.path.join(out, "tokens.csv")) as f:
                rows = list(csv.reader(f))
            head, data = rows[0], np.array(rows[1:], dtype=np.float64)
            xcols = [i for i, h in enumerate(head) if h.startswith("x")]
            ucols = [i for i, h in enumerate(head) if h.startswith("u0")]
            acols = [i for i, h in enumerate(head) if h.startswith("u_attn")]
            X = torch.tensor(data[:, xcols])
            B = torch.tensor(parse_matrix(text, "B", len(xcols)))
            eps, tau, layers = value(text, "eps"), value(text, "tau"), int(value(text, "layers"))
            A = torch.softmax(X @ B @ X.T / eps, dim=-1)
            u = torch.tensor(data[:, ucols])
            for _ in range(layers):
                u = u + tau * (A @ u - u)
            got = data[:, acols]
            err = np.max(np.abs(got - u.numpy())) / np.max(np.abs(u.numpy()))
            print(f"{name}: N = {len(data)}, max relative difference to torch.softmax layers {err:.3e}")
            worst = max(worst, err)
    finally:
        shutil.rmtree(work)
    ok = worst <= 1e-10
    print(("1 passed" if ok else "FAILED") + f": worst {worst:.3e} (tolerance 1e-10)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
