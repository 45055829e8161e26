#pragma once
// Pieces of the dense kernel (attention/kernel_dense.cpp) written once for a lane and for a
// vector of lanes (attention/simd.hpp), and the kernel's Gaussian block written with
// explicit vectors.
//
// Why explicit vectors for the Gaussian score (beta = 2, the hot path of every run): the
// loop over the keys is a chain of some 50 cycles per key vector (displacement, quadratic
// form, exp) with nothing carried between iterations but the sums. GCC's vectorized loop
// computes each vector's chain start to end, and the out-of-order core does not look far
// enough ahead to overlap consecutive iterations fully. Written with vectors, the loop is
// software-pipelined by hand: the logits of the next key vector are computed while the
// exp of the current one runs, two independent chains in every iteration. The clamp of the
// logits is one vector maximum (GCC's auto-vectorized clamp took a compare, a copy and a
// masked add per row).

#include <cstddef>

#include "attention/fast_exp.hpp"
#include "attention/simd.hpp"

namespace attnpde::dense {

/// Displacement y - x: minimum image on the torus (coordinates in units of the period, so
/// v - rint(v): a subtraction and a rounding), plain difference in the box.
template <bool Periodic, class T>
[[gnu::always_inline]] inline T displacement(T y, T x) {
  const T v = y - x;
  if constexpr (!Periodic) return v;
  return v - round_nearest(v);
}

/// q = sum_a dx_a (m_aa dx_a + 2 sum_{b > a} m_ab dx_b) for m holding 2 m_ab above the
/// diagonal, each bracket started from its first product: D (D + 3) / 2 multiplications and
/// FMAs, 5 in 2D.
template <int D, class T, class Real>
[[gnu::always_inline]] inline T quadratic_form(const T (&dx)[D], const Real (&m)[3][3]) {
  T q{};
#pragma GCC unroll 3
  for (int a = 0; a < D; ++a) {
    T row = m[a][a] * dx[a];
#pragma GCC unroll 3
    for (int b = a + 1; b < D; ++b) row += m[a][b] * dx[b];
    q = a == 0 ? dx[a] * row : q + dx[a] * row;
  }
  return q;
}

/// 2^y for y at or above the kernel's logit floor, a lane or a vector.
template <class T>
[[gnu::always_inline]] inline T exp2_of(T y) {
  if constexpr (std::is_same_v<typename Lanes<T>::Element, float>)
    return fast_exp2f(y);
  else
    return fast_exp2(y);
}

/// Block sums of four query rows (coordinates q, in Real) against the keys j0 .. j1 - 1 of
/// x, u and w (w only if Weighted): s[r] = sum_j 2^y_rj w_j and su[r] = sum_j 2^y_rj w_j u_j
/// in Real, y_rj = max(quadratic_form(displacement), floor) with m = -M log2(e) / eps. Each
/// lane sums the keys j0 + lane + k W in order, then the lanes are added in order: the
/// result depends only on the block's keys, not on where the block sits in the arrays.
/// Declared for every build; defined (and called) only where the CPU has AVX2 or AVX-512.
template <int D, bool Weighted, bool Periodic, class Real>
void gaussian_block(const Real* const (&x)[D], const Real* u, const Real* w, std::ptrdiff_t j0, std::ptrdiff_t j1,
                    const Real (&q)[4][D], const Real (&m)[3][3], Real floor, Real (&s)[4], Real (&su)[4]);

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
inline constexpr bool explicit_simd = true;

template <int D, bool Weighted, bool Periodic, class Real>
[[gnu::always_inline]] inline void gaussian_block(const Real* const (&x)[D], const Real* u, const Real* w,
                                                  std::ptrdiff_t j0, std::ptrdiff_t j1, const Real (&q)[4][D],
                                                  const Real (&m)[3][3], Real floor, Real (&s)[4], Real (&su)[4]) {
  using V = Simd<Real>;
  constexpr int W = simd_lanes<Real>;
  constexpr int R = 4;
  V qv[R][D];
  for (int r = 0; r < R; ++r)
    for (int d = 0; d < D; ++d) qv[r][d] = V{} + q[r][d];
  const V floor_v = V{} + floor;
  auto logits = [&](const V(&xj)[D], V(&y)[R]) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      V dx[D];
#pragma GCC unroll 3
      for (int d = 0; d < D; ++d) dx[d] = displacement<Periodic>(xj[d], qv[r][d]);
      y[r] = max_of(quadratic_form<D>(dx, m), floor_v);
    }
  };
  auto keys = [&](std::ptrdiff_t j, V(&xj)[D]) {
#pragma GCC unroll 3
    for (int d = 0; d < D; ++d) xj[d] = load(x[d] + j);
  };
  V as[R] = {}, asu[R] = {};
  // `weigh`: multiply by wj (the column weights, or the padded last vector's 1/0 lanes).
  auto accumulate = [&](const V(&y)[R], V uj, V wj, bool weigh) {
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      V e = exp2_of(y[r]);
      if (weigh) e *= wj;
      as[r] += e;
      asu[r] += e * uj;
    }
  };
  const std::ptrdiff_t full = (j1 - j0) / W;
  V y[R], xj[D];
  if (full > 0) {
    keys(j0, xj);
    logits(xj, y);
  }
  // Software pipelining: each iteration runs the exp of one vector's logits and the
  // logits of the next.
  for (std::ptrdiff_t k = 0; k < full; ++k) {
    const std::ptrdiff_t j = j0 + k * W;
    V current[R];
    for (int r = 0; r < R; ++r) current[r] = y[r];
    if (k + 1 < full) {
      keys(j + W, xj);
      logits(xj, y);
    }
    accumulate(current, load(u + j), Weighted ? load(w + j) : V{}, Weighted);
  }
  // The last keys (fewer than W): copied into full vectors whose padding lanes get weight 0.
  if (const std::ptrdiff_t rest = j1 - j0 - full * W; rest > 0) {
    alignas(64) Real xt[D][W] = {}, ut[W] = {}, wt[W] = {};
    const std::ptrdiff_t j = j0 + full * W;
    for (std::ptrdiff_t l = 0; l < rest; ++l) {
      for (int d = 0; d < D; ++d) xt[d][l] = x[d][j + l];
      ut[l] = u[j + l];
      wt[l] = Weighted ? w[j + l] : Real(1);
    }
    for (int d = 0; d < D; ++d) xj[d] = load(xt[d]);
    logits(xj, y);
    accumulate(y, load(ut), load(wt), true);
  }
  for (int r = 0; r < R; ++r) {
    s[r] = 0;
    su[r] = 0;
    for (int l = 0; l < W; ++l) {
      s[r] += as[r][l];
      su[r] += asu[r][l];
    }
  }
}
#else
inline constexpr bool explicit_simd = false;
#endif

}  // namespace attnpde::dense
