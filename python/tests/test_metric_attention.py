"""Tests of attnpde_torch.MetricAttention: shapes as nn.MultiheadAttention, masking,
gradients (torch.autograd.gradcheck), the closed form at W = I, and equality with
dot-product attention when the keys of every head have equal norms.

run: /usr/bin/python3 -m unittest discover -s python/tests
"""
import math
import os
import sys
import unittest

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from attnpde_torch import MetricAttention  # noqa: E402

torch.set_num_threads(1)


def identity_projections(m):
    with torch.no_grad():
        for p in (m.q_proj, m.k_proj, m.v_proj, m.out_proj):
            p.weight.copy_(torch.eye(p.weight.shape[0], p.weight.shape[1], dtype=p.weight.dtype))
            p.bias.zero_()


class Shapes(unittest.TestCase):
    def test_outputs_have_the_shapes_of_multihead_attention(self):
        torch.manual_seed(0)
        for batch_first in (False, True):
            m = MetricAttention(12, 3, batch_first=batch_first)
            ref = nn.MultiheadAttention(12, 3, batch_first=batch_first)
            x = torch.randn(2, 5, 12) if batch_first else torch.randn(5, 2, 12)
            y = torch.randn(2, 7, 12) if batch_first else torch.randn(7, 2, 12)
            for need, avg in ((True, True), (True, False), (False, True)):
                out, w = m(x, y, y, need_weights=need, average_attn_weights=avg)
                out_ref, w_ref = ref(x, y, y, need_weights=need, average_attn_weights=avg)
                self.assertEqual(out.shape, out_ref.shape)
                self.assertEqual(None if w is None else w.shape, None if w_ref is None else w_ref.shape)
        m = MetricAttention(8, 2)
        out, w = m(torch.randn(4, 8), torch.randn(6, 8), torch.randn(6, 8))  # unbatched
        self.assertEqual(out.shape, (4, 8))
        self.assertEqual(w.shape, (4, 6))

    def test_kdim_vdim_and_bad_arguments(self):
        m = MetricAttention(8, 2, kdim=5, vdim=3, batch_first=True)
        out, _ = m(torch.randn(2, 4, 8), torch.randn(2, 6, 5), torch.randn(2, 6, 3))
        self.assertEqual(out.shape, (2, 4, 8))
        with self.assertRaises(ValueError):
            MetricAttention(10, 3)
        with self.assertRaises(ValueError):
            MetricAttention(8, 2, add_bias_kv=True)
        with self.assertRaises(ValueError):
            MetricAttention(8, 2, normalization="sparsemax")


class Masking(unittest.TestCase):
    def test_padded_keys_get_no_weight_and_do_not_change_the_output(self):
        torch.manual_seed(1)
        for normalization in ("softmax", "sinkhorn"):
            m = MetricAttention(8, 2, batch_first=True, normalization=normalization).double()
            x = torch.randn(2, 5, 8, dtype=torch.float64)
            pad = torch.zeros(2, 5, dtype=torch.bool)
            pad[0, 3:] = True
            out, w = m(x, x, x, key_padding_mask=pad)
            self.assertEqual(float(w[0, :, 3:].abs().max()), 0.0)
            torch.testing.assert_close(w.sum(-1), torch.ones(2, 5, dtype=torch.float64))
            x2 = x.clone()
            x2[0, 3:] += 100.0  # the padded keys' values and positions change
            out2, _ = m(x[:, :, :], x2, x2, key_padding_mask=pad)
            torch.testing.assert_close(out2[0], out[0], rtol=1e-12, atol=1e-12)

    def test_causal_mask_matches_a_boolean_attn_mask(self):
        torch.manual_seed(2)
        m = MetricAttention(8, 2, batch_first=True)
        x = torch.randn(3, 6, 8)
        mask = torch.ones(6, 6, dtype=torch.bool).triu(1)
        out_a, w_a = m(x, x, x, attn_mask=mask)
        out_b, w_b = m(x, x, x, is_causal=True)
        torch.testing.assert_close(out_a, out_b)
        self.assertEqual(float(w_a.triu(1).abs().max()), 0.0)
        # A float mask of 0 / -inf is the same mask.
        float_mask = torch.zeros(6, 6).masked_fill(mask, float("-inf"))
        out_c, _ = m(x, x, x, attn_mask=float_mask)
        torch.testing.assert_close(out_a, out_c)


class Gradients(unittest.TestCase):
    def test_gradcheck_softmax_and_sinkhorn(self):
        torch.manual_seed(3)
        for normalization in ("softmax", "sinkhorn"):
            m = MetricAttention(4, 2, batch_first=True, normalization=normalization).double()
            with torch.no_grad():
                m.metric.add_(0.1 * torch.randn_like(m.metric))
            x = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
            self.assertTrue(torch.autograd.gradcheck(lambda t: m(t, t, t)[0], (x,), eps=1e-6, atol=1e-8))
            # And with respect to the metric itself.
            w = m.metric.detach().clone().requires_grad_(True)

            def through_metric(wm):
                xd = x.detach()
                return torch.nn.utils.stateless.functional_call(m, {"metric": wm}, (xd, xd, xd))[0]

            self.assertTrue(torch.autograd.gradcheck(through_metric, (w,), eps=1e-6, atol=1e-8))


class ClosedForm(unittest.TestCase):
    def test_identity_metric_is_the_gaussian_of_the_distance(self):
        torch.manual_seed(4)
        m = MetricAttention(6, 1, batch_first=True).double()
        identity_projections(m)
        x = torch.randn(1, 5, 6, dtype=torch.float64)
        y = torch.randn(1, 7, 6, dtype=torch.float64)
        out, w = m(x, y, y)
        d2 = torch.cdist(x[0], y[0]) ** 2
        expected = torch.softmax(-d2 / (2 * math.sqrt(6)), dim=-1)
        torch.testing.assert_close(w[0], expected, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(out[0], expected @ y[0], rtol=1e-12, atol=1e-14)

    def test_a_learned_metric_is_the_gaussian_of_the_metric_distance(self):
        torch.manual_seed(5)
        m = MetricAttention(3, 1, batch_first=True).double()
        identity_projections(m)
        a = torch.tensor([[1.0, 0.5, 0.0], [0.0, 2.0, -0.3], [0.1, 0.0, 0.7]], dtype=torch.float64)
        with torch.no_grad():
            m.metric.copy_(a.unsqueeze(0))
        x = torch.randn(1, 4, 3, dtype=torch.float64)
        _, w = m(x, x, x)
        diff = x[0].unsqueeze(1) - x[0].unsqueeze(0)  # (L, S, 3)
        q = torch.einsum("lsa,ab,lsb->ls", diff, a.T @ a, diff)
        torch.testing.assert_close(w[0], torch.softmax(-q / (2 * math.sqrt(3)), dim=-1), rtol=1e-12, atol=1e-14)

    def test_sinkhorn_rows_sum_to_one_and_columns_approach_balance(self):
        torch.manual_seed(6)
        m = MetricAttention(4, 1, batch_first=True, normalization="sinkhorn", sinkhorn_iterations=200).double()
        x = torch.randn(1, 6, 4, dtype=torch.float64)
        _, w = m(x, x, x)
        torch.testing.assert_close(w.sum(-1), torch.ones(1, 6, dtype=torch.float64))
        torch.testing.assert_close(w.sum(-2), torch.ones(1, 6, dtype=torch.float64), rtol=1e-6, atol=1e-6)


class DotEquivalence(unittest.TestCase):
    def test_equal_key_norms_give_multihead_attention(self):
        torch.manual_seed(7)
        embed, heads, batch, length = 8, 2, 3, 5
        d = embed // heads
        ref = nn.MultiheadAttention(embed, heads, batch_first=True).double()
        m = MetricAttention(embed, heads, batch_first=True).double()
        with torch.no_grad():
            # Key projection: the identity, so that keys keep the norms given below.
            ref.in_proj_weight[embed:2 * embed].copy_(torch.eye(embed, dtype=torch.float64))
            ref.in_proj_bias[embed:2 * embed].zero_()
            m.q_proj.weight.copy_(ref.in_proj_weight[:embed])
            m.q_proj.bias.copy_(ref.in_proj_bias[:embed])
            m.k_proj.weight.copy_(ref.in_proj_weight[embed:2 * embed])
            m.k_proj.bias.copy_(ref.in_proj_bias[embed:2 * embed])
            m.v_proj.weight.copy_(ref.in_proj_weight[2 * embed:])
            m.v_proj.bias.copy_(ref.in_proj_bias[2 * embed:])
            m.out_proj.weight.copy_(ref.out_proj.weight)
            m.out_proj.bias.copy_(ref.out_proj.bias)
        q = torch.randn(batch, length, embed, dtype=torch.float64)
        k = torch.randn(batch, 7, heads, d, dtype=torch.float64)
        k = (k / k.norm(dim=-1, keepdim=True) * 1.7).reshape(batch, 7, embed)  # equal norms per head
        v = torch.randn(batch, 7, embed, dtype=torch.float64)
        out, w = m(q, k, v, average_attn_weights=False)
        out_ref, w_ref = ref(q, k, v, average_attn_weights=False)
        torch.testing.assert_close(w, w_ref, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(out, out_ref, rtol=1e-12, atol=1e-14)
        # Unequal norms break it (the test above is not vacuous).
        k2 = k * torch.linspace(0.5, 1.5, 7, dtype=torch.float64).reshape(1, 7, 1)
        self.assertGreater(float((m(q, k2, v)[1] - ref(q, k2, v)[1]).abs().max()), 1e-3)


if __name__ == "__main__":
    unittest.main()
