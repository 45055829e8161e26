#!/usr/bin/python3
"""Metric-attention against standard dot-product self-attention on the same small transformer.

usage: /usr/bin/python3 python/experiments/compare_attention.py --task digits|manifold
           [--seeds 10] [--epochs E] [--threads 2] [--out DIR] [--smoke]

For every seed and both attentions (torch.nn.MultiheadAttention; attnpde_torch.MetricAttention)
the same transformer (token embedding, learned positions where the task has them, 2 pre-norm
blocks of 4 heads and width 32, mean pooling, linear classifier) is trained with the same
optimizer and schedule (Adam, learning rate 3e-3 with cosine decay, batch 64) from the seed's
initialization and batch order. The dot model's feed-forward width is the smallest that gives
it at least the metric model's parameter count (the per-head metrics W_h are extra).

Measured per run: test accuracy after training; the optimizer steps and training seconds until
the test accuracy (evaluated every 10 steps) first reaches the task's target; test accuracy
under Gaussian noise of several levels added to the raw inputs; test accuracy under FGSM
(x + eps sign(grad_x loss), clamped to the input range where it has one) at several eps.

Writes DIR/runs.csv (one row per task, model, seed), DIR/curves.csv (accuracy against steps)
and DIR/summary.csv (mean, 95% Student-t half-width and count per model and measure). --smoke
runs one short epoch of one seed (the check in ./test.sh).
"""
import argparse
import csv
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from attnpde_torch import MetricAttention  # noqa: E402
from experiments.tasks import TASKS  # noqa: E402

NOISE = {"digits": [0.1, 0.25, 0.5], "manifold": [0.1, 0.2, 0.3]}
FGSM = {"digits": [0.02, 0.05, 0.1], "manifold": [0.02, 0.05, 0.1]}
EPOCHS = {"digits": 40, "manifold": 20}


class Block(nn.Module):
    def __init__(self, kind, width, heads, hidden):
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.norm2 = nn.LayerNorm(width)
        attention = MetricAttention if kind == "metric" else nn.MultiheadAttention
        self.attn = attention(width, heads, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(width, hidden), nn.GELU(), nn.Linear(hidden, width))

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class Classifier(nn.Module):
    def __init__(self, kind, task, width=32, heads=4, depth=2, hidden=64):
        super().__init__()
        self.task = task
        self.embed = nn.Linear(task.token_dim, width)
        self.position = nn.Parameter(0.02 * torch.randn(task.tokens, width)) if task.positional else None
        self.blocks = nn.ModuleList([Block(kind, width, heads, hidden) for _ in range(depth)])
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, task.classes)

    def forward(self, x):
        h = self.embed(self.task.to_tokens(x))
        if self.position is not None:
            h = h + self.position
        for b in self.blocks:
            h = b(h)
        return self.head(self.norm(h).mean(dim=1))


def parameters(model):
    return sum(p.numel() for p in model.parameters())


def build(kind, task, seed):
    """The model of one seed; the dot model's hidden width matches the metric model's count."""
    torch.manual_seed(seed)
    target = parameters(Classifier("metric", task))
    hidden = 64
    if kind == "dot":
        while parameters(Classifier("dot", task, hidden=hidden)) < target:
            hidden += 1
    torch.manual_seed(seed)
    return Classifier(kind, task, hidden=hidden)


@torch.no_grad()
def accuracy(model, x, y, noise=0.0, generator=None):
    model.eval()
    if noise > 0:
        x = x + noise * torch.randn(x.shape, generator=generator)
    return float((model(x).argmax(1) == y).float().mean())


def fgsm_accuracy(model, task, x, y, eps):
    model.eval()
    x = x.clone().requires_grad_(True)
    loss = F.cross_entropy(model(x), y)
    (grad,) = torch.autograd.grad(loss, x)
    adv = x.detach() + eps * grad.sign()
    if task.clamp is not None:
        adv = adv.clamp(*task.clamp)
    with torch.no_grad():
        return float((model(adv).argmax(1) == y).float().mean())


def train(kind, task, seed, epochs, batch=64, lr=3e-3, eval_every=10):
    model = build(kind, task, seed)
    xtr, ytr = task.train
    xte, yte = task.test
    steps_per_epoch = math.ceil(len(ytr) / batch)
    total = epochs * steps_per_epoch
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / total)))
    order = torch.Generator().manual_seed(seed)
    curve, step, seconds, reached = [], 0, 0.0, None
    for _ in range(epochs):
        perm = torch.randperm(len(ytr), generator=order)
        for k in range(steps_per_epoch):
            model.train()
            idx = perm[k * batch:(k + 1) * batch]
            t0 = time.perf_counter()
            opt.zero_grad()
            F.cross_entropy(model(xtr[idx]), ytr[idx]).backward()
            opt.step()
            schedule.step()
            seconds += time.perf_counter() - t0
            step += 1
            if step % eval_every == 0 or step == total:
                acc = accuracy(model, xte, yte)
                curve.append((step, seconds, acc))
                if reached is None and acc >= task.target:
                    reached = (step, seconds)
    row = {"task": task.name, "model": kind, "seed": seed, "parameters": parameters(model), "steps": total,
           "train_seconds": seconds, "accuracy": accuracy(model, xte, yte),
           "steps_to_target": reached[0] if reached else float("nan"),
           "seconds_to_target": reached[1] if reached else float("nan")}
    noise_gen = torch.Generator().manual_seed(10_000 + seed)
    for level in NOISE[task.name]:
        row[f"noise_{level:g}"] = accuracy(model, xte, yte, level, noise_gen)
    for eps in FGSM[task.name]:
        row[f"fgsm_{eps:g}"] = fgsm_accuracy(model, task, xte, yte, eps)
    return row, curve


def interval(values):
    """Mean, 95% Student-t half-width and count of the finite values."""
    from scipy import stats

    v = np.asarray([x for x in values if np.isfinite(x)], float)
    if len(v) == 0:
        return float("nan"), float("nan"), 0
    if len(v) == 1:
        return float(v[0]), float("nan"), 1
    return float(v.mean()), float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))), len(v)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--task", choices=sorted(TASKS), required=True)
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=0, help="default: 40 (digits), 20 (manifold)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="results/metric_attention")
    ap.add_argument("--smoke", action="store_true", help="one short epoch of one seed")
    args = ap.parse_args(argv[1:])
    if args.seeds < 1 or args.threads < 1 or args.epochs < 0:
        ap.error("--seeds and --threads must be >= 1, --epochs >= 0")
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    task = TASKS[args.task]() if not args.smoke or args.task != "manifold" else TASKS[args.task](train=256, test=128)
    epochs = 1 if args.smoke else (args.epochs or EPOCHS[args.task])
    seeds = 1 if args.smoke else args.seeds
    os.makedirs(args.out, exist_ok=True)
    rows, curves = [], []
    for seed in range(seeds):
        for kind in ("metric", "dot"):
            row, curve = train(kind, task, seed, epochs)
            rows.append(row)
            curves += [(task.name, kind, seed, s, t, a) for s, t, a in curve]
            print(f"{task.name} {kind:6s} seed {seed}: accuracy {row['accuracy']:.4f}, steps to "
                  f"{task.target:g}: {row['steps_to_target']}, {row['train_seconds']:.1f} s, "
                  f"{row['parameters']} parameters", flush=True)
    prefix = os.path.join(args.out, task.name)
    with open(prefix + "_runs.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})
    with open(prefix + "_curves.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "model", "seed", "step", "seconds", "accuracy"])
        for c in curves:
            w.writerow([c[0], c[1], c[2], c[3], repr(c[4]), repr(c[5])])
    measures = [k for k in rows[0] if k not in ("task", "model", "seed", "steps")]
    with open(prefix + "_summary.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["task", "model", "measure", "mean", "ci95", "count", "runs"])
        for kind in ("metric", "dot"):
            for m in measures:
                values = [r[m] for r in rows if r["model"] == kind]
                mean, half, n = interval(values)
                w.writerow([task.name, kind, m, repr(mean), repr(half), n, len(values)])
    print(f"outputs: {prefix}_runs.csv, {prefix}_curves.csv, {prefix}_summary.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
