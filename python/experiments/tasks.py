"""The data sets of the metric-attention experiment (python/experiments/compare_attention.py).

digits    sklearn.datasets.load_digits (python3-sklearn ships it; no download): 1797 images of
          8 x 8 pixels in [0, 1], cut into 16 tokens of 2 x 2 pixels with a learned position
          embedding; a stratified 75/25 split fixed by random_state = 0.
manifold  point clouds of 32 tokens in R^2 drawn from one of four noisy closed curves (circle,
          ellipse of axis ratio 0.6, figure eight, square outline) at a random rotation and
          scale, with Gaussian noise and 4 uniform outliers; the class is the curve. The set
          has no positions (a token is its coordinates), so only the geometry between tokens
          tells the classes apart. Fixed data seed: the same clouds for every model seed.

Every task gives float32 tensors (inputs, labels) for training and test, the token view of
an input (differentiable, for FGSM on the raw inputs), the clamp range of the raw inputs and
the default target accuracy of the "steps to target" measure.
"""
import math

import numpy as np
import torch


class Task:
    name = ""
    classes = 0
    tokens = 0
    token_dim = 0
    positional = True
    clamp = None  # (low, high) of the raw inputs, or None
    target = 0.9

    def to_tokens(self, x):
        raise NotImplementedError


class Digits(Task):
    name = "digits"
    classes = 10
    tokens = 16
    token_dim = 4
    positional = True
    clamp = (0.0, 1.0)
    target = 0.95

    def __init__(self):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        data = load_digits()
        images = (data.images / 16.0).astype(np.float32)
        xtr, xte, ytr, yte = train_test_split(images, data.target, test_size=0.25, stratify=data.target,
                                              random_state=0)
        self.train = (torch.from_numpy(xtr), torch.from_numpy(ytr).long())
        self.test = (torch.from_numpy(xte), torch.from_numpy(yte).long())

    def to_tokens(self, x):
        # (B, 8, 8) -> (B, 16, 4): 2 x 2 patches in row-major patch order.
        b = x.shape[0]
        return x.reshape(b, 4, 2, 4, 2).permute(0, 1, 3, 2, 4).reshape(b, 16, 4)


def _curve(kind, t):
    if kind == 0:
        return np.cos(t), np.sin(t)
    if kind == 1:
        return np.cos(t), 0.6 * np.sin(t)
    if kind == 2:
        return np.cos(t), np.sin(2 * t) / 1.4
    # Square outline of side 2 (perimeter parameter t / 2 pi in [0, 1)).
    s = (t / (2 * math.pi)) * 4.0
    side, frac = np.floor(s).astype(int) % 4, s - np.floor(s)
    x = np.select([side == 0, side == 1, side == 2], [-1 + 2 * frac, np.ones_like(s), 1 - 2 * frac], -np.ones_like(s))
    y = np.select([side == 0, side == 1, side == 2], [-np.ones_like(s), -1 + 2 * frac, np.ones_like(s)],
                  1 - 2 * frac)
    return 0.85 * x, 0.85 * y


class Manifold(Task):
    name = "manifold"
    classes = 4
    tokens = 32
    token_dim = 2
    positional = False
    clamp = None
    target = 0.7

    def __init__(self, train=2000, test=1000, noise=0.12, outliers=4, seed=12345):
        rng = np.random.default_rng(seed)

        def sample(count):
            x = np.empty((count, self.tokens, 2), np.float32)
            y = rng.integers(0, self.classes, count)
            on_curve = self.tokens - outliers
            for i in range(count):
                px, py = _curve(y[i], rng.uniform(0, 2 * math.pi, on_curve))
                pts = np.stack([px, py], 1) * rng.uniform(0.7, 1.3)
                a = rng.uniform(0, 2 * math.pi)
                rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
                pts = pts @ rot.T + noise * rng.standard_normal(pts.shape)
                pts = np.concatenate([pts, rng.uniform(-1.5, 1.5, (outliers, 2))])
                x[i] = pts[rng.permutation(self.tokens)]
            return torch.from_numpy(x), torch.from_numpy(y).long()

        self.train = sample(train)
        self.test = sample(test)

    def to_tokens(self, x):
        return x


TASKS = {"digits": Digits, "manifold": Manifold}
