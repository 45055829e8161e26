"""Metric-attention: multi-head attention whose score is a learned squared distance.

Per head h, with queries q_i and keys k_j of dimension d (projected as in
torch.nn.MultiheadAttention) and a learned d x d matrix W_h (initialized to the identity),

    s_ij = -||W_h (q_i - k_j)||^2 / (2 sqrt(d)),

normalized over the keys by softmax (or by Sinkhorn iterations ending with the rows), then
applied to the values. This is the pseudo-metric score of docs/theory.md sections 1 and 10:
the layer is one step of a diffusion under the metric M_h = W_h^T W_h.

Since -||q - k||^2 / 2 = q.k - |q|^2 / 2 - |k|^2 / 2, and a softmax row ignores terms that do
not depend on j, W_h = I gives exactly the scaled dot product q.k / sqrt(d) when all keys of a
head have the same norm (tested in python/tests/test_metric_attention.py).

MetricAttention takes the constructor arguments and the forward call of
torch.nn.MultiheadAttention (query, key, value, key_padding_mask, need_weights, attn_mask,
average_attn_weights, plus is_causal) and returns (output, weights) the same way. Not
supported: add_bias_kv and add_zero_attn (ValueError).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


class MetricAttention(nn.Module):
    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None, normalization="softmax",
                 sinkhorn_iterations=3):
        super().__init__()
        if add_bias_kv or add_zero_attn:
            raise ValueError("MetricAttention does not support add_bias_kv or add_zero_attn")
        if embed_dim % num_heads != 0:
            raise ValueError(f"embed_dim {embed_dim} is not divisible by num_heads {num_heads}")
        if normalization not in ("softmax", "sinkhorn"):
            raise ValueError(f"normalization must be 'softmax' or 'sinkhorn', not {normalization!r}")
        if sinkhorn_iterations < 1:
            raise ValueError("sinkhorn_iterations must be >= 1")
        factory = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self.dropout = dropout
        self.batch_first = batch_first
        self.normalization = normalization
        self.sinkhorn_iterations = sinkhorn_iterations
        self.q_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **factory)
        self.k_proj = nn.Linear(self.kdim, embed_dim, bias=bias, **factory)
        self.v_proj = nn.Linear(self.vdim, embed_dim, bias=bias, **factory)
        self.out_proj = nn.Linear(embed_dim, embed_dim, bias=bias, **factory)
        eye = torch.eye(self.head_dim, **factory)
        self.metric = nn.Parameter(eye.repeat(num_heads, 1, 1))  # W_h, one per head

    def _heads(self, x, batch, length):
        return x.reshape(batch, length, self.num_heads, self.head_dim).transpose(1, 2)

    def scores(self, q, k):
        """s_ij = -||W_h (q_i - k_j)||^2 / (2 sqrt(d)) for q: (B, H, L, d), k: (B, H, S, d)."""
        wq = torch.einsum("hab,zhlb->zhla", self.metric, q)
        wk = torch.einsum("hab,zhsb->zhsa", self.metric, k)
        sq = (wq * wq).sum(-1, keepdim=True)  # (B, H, L, 1)
        sk = (wk * wk).sum(-1).unsqueeze(-2)  # (B, H, 1, S)
        return -(sq + sk - 2.0 * wq @ wk.transpose(-1, -2)) / (2.0 * math.sqrt(self.head_dim))

    def _normalize(self, logits):
        if self.normalization == "softmax":
            return torch.softmax(logits, dim=-1)
        # Sinkhorn in the log domain: columns, then rows, ending with the rows (row-stochastic).
        # A column or row with every entry masked keeps -inf (its log-sum-exp is taken as 0).
        log_p = logits
        for _ in range(self.sinkhorn_iterations):
            col = torch.logsumexp(log_p, dim=-2, keepdim=True)
            log_p = log_p - torch.where(torch.isfinite(col), col, torch.zeros_like(col))
            row = torch.logsumexp(log_p, dim=-1, keepdim=True)
            log_p = log_p - torch.where(torch.isfinite(row), row, torch.zeros_like(row))
        return torch.exp(log_p)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        unbatched = query.dim() == 2
        if unbatched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1)
        length, batch, _ = query.shape
        source = key.shape[0]
        q = self._heads(self.q_proj(query).transpose(0, 1), batch, length)
        k = self._heads(self.k_proj(key).transpose(0, 1), batch, source)
        v = self._heads(self.v_proj(value).transpose(0, 1), batch, source)
        logits = self.scores(q, k)  # (B, H, L, S)
        if is_causal and attn_mask is None:
            attn_mask = torch.ones(length, source, dtype=torch.bool, device=query.device).triu(1)
        if attn_mask is not None:
            if attn_mask.dim() == 3:  # (B * H, L, S) as in nn.MultiheadAttention
                attn_mask = attn_mask.reshape(batch, self.num_heads, length, source)
            if attn_mask.dtype == torch.bool:
                logits = logits.masked_fill(attn_mask, float("-inf"))
            else:
                logits = logits + attn_mask
        if key_padding_mask is not None:
            pad = key_padding_mask.reshape(batch, 1, 1, source)
            if pad.dtype == torch.bool:
                logits = logits.masked_fill(pad, float("-inf"))
            else:
                logits = logits + pad
        weights = self._normalize(logits)
        dropped = F.dropout(weights, p=self.dropout, training=self.training)
        out = (dropped @ v).transpose(1, 2).reshape(batch, length, self.embed_dim)
        out = self.out_proj(out).transpose(0, 1)  # (L, B, E)
        if unbatched:
            out = out.squeeze(1)
        elif self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if unbatched:
            weights = weights.squeeze(0)
        return out, weights
