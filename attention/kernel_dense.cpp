#include "attention/kernel_dense.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "attention/constants.hpp"
#include "attention/kernel_dense_simd.hpp"

namespace attnpde {

namespace {

// The kernels work with logits in base 2, y = -rho / (eps ln 2), and weights 2^y: log2(e) is
// folded into the prepared metric (or 1/eps), which saves the exp's multiplication by log2(e)
// and its two-step reduction by ln 2 (attention/fast_exp.hpp). Logits are clamped so that
// 2^y never is a subnormal: 2^-1010 in double, 2^-125 in float.
template <class Real>
constexpr Real logit_floor = Real(-1010);
template <>
constexpr float logit_floor<float> = -125.0f;

constexpr double log2e = 1.4426950408889634074;

// Closed forms of d^beta that vectorize: beta = 2 (Gaussian: q itself) and beta = 1
// (Laplace-like: sqrt q); other beta go through std::pow.
enum class Shape { gaussian, laplace, general, geodesic };

Shape shape_of(double beta) {
  return beta == 2.0 ? Shape::gaussian : (beta == 1.0 ? Shape::laplace : Shape::general);
}
Shape shape_of(const MetricScore& s) {
  return s.geodesic ? Shape::geodesic : shape_of(s.beta);
}

template <class Real>
struct Prepared {
  Real m[3][3] = {};  // -M log2(e) / eps (beta = 2) or M (other beta), doubled above the diagonal
  Real half_beta = 1;
  Real inv_eps = 1;  // log2(e) / eps
};

// `unit` is the length of the coordinates' unit (the period on the torus, see RealView): the
// quadratic form of displacements in that unit needs M unit^2.
template <class Real = double>
Prepared<Real> prepare(const MetricScore& score, int dim, double unit = 1.0) {
  if (score.metric.rows() != dim || score.metric.cols() != dim)
    throw std::invalid_argument("metric size does not match the token dimension");
  Prepared<Real> p;
  const double eps = temperature(score.sigma, score.beta);
  const bool gaussian = shape_of(score) == Shape::gaussian;
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b)
      p.m[a][b] = static_cast<Real>((b > a ? 2.0 : 1.0) * unit * unit *
                                    (gaussian ? -score.metric(a, b) * log2e / eps : score.metric(a, b)));
  p.half_beta = static_cast<Real>(0.5 * score.beta);
  p.inv_eps = static_cast<Real>(log2e / eps);
  return p;
}

using dense::displacement;
using dense::exp2_of;

// Base-2 logit -rho(x_i, x_j) / (eps ln 2) for the displacement dx.
template <int D, Shape S, class Real>
[[gnu::always_inline]] inline Real logit(const Real (&dx)[D], const Prepared<Real>& p) {
  const Real q = dense::quadratic_form<D>(dx, p.m);
  Real l;
  if constexpr (S == Shape::gaussian)
    l = q;  // p.m = -M log2(e) / eps
  else if constexpr (S == Shape::laplace)
    l = -std::sqrt(q) * p.inv_eps;
  else if constexpr (S == Shape::geodesic)  // arc length on the unit sphere (M = I)
    l = -std::pow(Real(2) * std::asin(std::min(Real(1), Real(0.5) * std::sqrt(q))), Real(2) * p.half_beta) * p.inv_eps;
  else
    l = -std::pow(q, p.half_beta) * p.inv_eps;
  return l < logit_floor<Real> ? logit_floor<Real> : l;
}

// One piece of work: query rows q against keys x (both in Real), values u and column weights
// w of the keys in Real, and the row sums s, su (float64) to add to.
template <int D, class Real>
struct Job {
  const Real* q[D];
  std::ptrdiff_t rows;
  const Real* x[D];
  std::ptrdiff_t keys;
  const Real* u;
  const Real* w;
  double* s;
  double* su;
};

// The block sums bs[r] = sum_j K_rj w_j and bsu[r] = sum_j K_rj w_j u_j of four query rows qr
// against the keys j0 .. j1 - 1, by GCC's vectorization of the loop over the keys: the
// scores without an explicit vector kernel (beta != 2, the sphere's geodesic distance) and
// builds for CPUs without AVX2.
template <int D, Shape S, bool Weighted, bool Periodic, class Real>
[[gnu::always_inline]] inline void vectorized_block(const Real* const (&x)[D], const Real* u, const Real* w,
                                                    std::ptrdiff_t j0, std::ptrdiff_t j1, const Real (&qr)[4][D],
                                                    const Prepared<Real>& p, Real (&bs)[4], Real (&bsu)[4]) {
  // The rows' coordinates written out row by row: with arrays over the rows GCC spills the
  // weights to memory. The key pointers copied too: read through the reference x, GCC loaded
  // the keys with gathers (a 1.5x slower Laplace layer).
  Real q0[D], q1[D], q2[D], q3[D];
  const Real* xs[D];
  for (int d = 0; d < D; ++d) {
    xs[d] = x[d];
    q0[d] = qr[0][d];
    q1[d] = qr[1][d];
    q2[d] = qr[2][d];
    q3[d] = qr[3][d];
  }
  Real s0 = 0, s1 = 0, s2 = 0, s3 = 0, su0 = 0, su1 = 0, su2 = 0, su3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3, su0, su1, su2, su3)
  for (std::ptrdiff_t j = j0; j < j1; ++j) {
    Real d0[D], d1[D], d2[D], d3[D];
#pragma GCC unroll 3
    for (int d = 0; d < D; ++d) {
      d0[d] = displacement<Periodic>(xs[d][j], q0[d]);
      d1[d] = displacement<Periodic>(xs[d][j], q1[d]);
      d2[d] = displacement<Periodic>(xs[d][j], q2[d]);
      d3[d] = displacement<Periodic>(xs[d][j], q3[d]);
    }
    Real e0 = exp2_of(logit<D, S>(d0, p)), e1 = exp2_of(logit<D, S>(d1, p));
    Real e2 = exp2_of(logit<D, S>(d2, p)), e3 = exp2_of(logit<D, S>(d3, p));
    if constexpr (Weighted) {
      e0 *= w[j];
      e1 *= w[j];
      e2 *= w[j];
      e3 *= w[j];
    }
    s0 += e0;
    s1 += e1;
    s2 += e2;
    s3 += e3;
    su0 += e0 * u[j];
    su1 += e1 * u[j];
    su2 += e2 * u[j];
    su3 += e3 * u[j];
  }
  bs[0] = s0, bs[1] = s1, bs[2] = s2, bs[3] = s3;
  bsu[0] = su0, bsu[1] = su1, bsu[2] = su2, bsu[3] = su3;
}

// Displacements, logits and exp in Real. The keys are summed in blocks of
// dense_key_block(precision) (the first key of x starts a block): each block's sums in Real,
// then added to the row's float64 sums in block order, so that a rank that receives the keys
// one block at a time (attention/kernel_distributed.hpp) sums exactly as one rank with all
// of them. Real = float (the float32 mode, beta = 2 only) runs 16 lanes per AVX-512 register
// with no conversion to double in the inner loop; its blocks of 1024 keys (64 per lane) keep
// the rounding of the sums below 4e-6 and typically near 5e-7.
//
// Each pass over the keys serves dense_query_rows query rows: the keys' coordinates and
// values are loaded once for all of them, and the rows' independent chains (displacement,
// quadratic form, exp: some 50 cycles of latency each) keep the FMA pipes busier than one
// row's chain with its loop overhead (1.08x in float64, 1.10x in float32 at N = 20000). A
// row's arithmetic does not depend on the rows beside it. The Gaussian score runs the
// explicit vector kernel of attention/kernel_dense_simd.hpp where the CPU has AVX2 or
// AVX-512.
template <int D, Shape S, bool Weighted, bool Periodic, class Real>
void accumulate_kernel(const Job<D, Real>& job, const Prepared<Real>& p) {
  static_assert(dense_query_rows == 4, "the kernel's loop body is written for four rows");
  const auto block = static_cast<std::ptrdiff_t>(
      dense_key_block(std::is_same_v<Real, float> ? Precision::float32 : Precision::float64));
  const std::ptrdiff_t n = job.keys, rows = job.rows;
  const Real* x[D];
  const Real* q[D];
  for (int d = 0; d < D; ++d) {
    x[d] = job.x[d];
    q[d] = job.q[d];
  }
  const Real* const u = job.u;
  const Real* const w = job.w;
  double* const row_s = job.s;
  double* const row_su = job.su;
  constexpr int R = dense_query_rows;
  const std::ptrdiff_t groups = (rows + R - 1) / R;
#pragma omp parallel for schedule(dynamic, 8)
  for (std::ptrdiff_t g = 0; g < groups; ++g) {
    // The group's rows; a short last group repeats its last row (computed, not stored twice).
    std::ptrdiff_t at[R];
    for (int r = 0; r < R; ++r) at[r] = std::min(rows - 1, g * R + r);
    Real qr[R][D];
    for (int r = 0; r < R; ++r)
      for (int d = 0; d < D; ++d) qr[r][d] = q[d][at[r]];
    double s[R] = {}, su[R] = {};
    for (std::ptrdiff_t j0 = 0; j0 < n; j0 += block) {
      const std::ptrdiff_t j1 = std::min(n, j0 + block);
      Real bs[R], bsu[R];
      if constexpr (S == Shape::gaussian && dense::explicit_simd)
        dense::gaussian_block<D, Weighted, Periodic>(x, u, w, j0, j1, qr, p.m, logit_floor<Real>, bs, bsu);
      else
        vectorized_block<D, S, Weighted, Periodic>(x, u, w, j0, j1, qr, p, bs, bsu);
      for (int r = 0; r < R; ++r) {
        s[r] += bs[r];
        su[r] += bsu[r];
      }
    }
    for (int r = 0; r < R && (r == 0 || at[r] != at[r - 1]); ++r) {
      row_s[at[r]] += s[r];
      row_su[at[r]] += su[r];
    }
  }
}

template <int D, Shape S, class Real>
void dispatch_options(bool periodic, const Job<D, Real>& job, const Prepared<Real>& p) {
  if (periodic && job.w) return accumulate_kernel<D, S, true, true>(job, p);
  if (periodic) return accumulate_kernel<D, S, false, true>(job, p);
  if (job.w) return accumulate_kernel<D, S, true, false>(job, p);
  return accumulate_kernel<D, S, false, false>(job, p);
}

// Coordinates, u and w of tokens in Real (copies for float, views for double), coordinates on
// the torus in units of the period (copies in both precisions, O(N) beside O(N^2) work).
template <int D, class Real>
struct RealView {
  std::vector<Real> store[D + 2];
  const Real* coord[D];
  const Real* u = nullptr;
  const Real* w = nullptr;
  RealView(const Tokens& t, const double* uv, const double* wv) {
    const std::size_t n = t.size();
    const bool periodic = t.domain.periodic();
    for (int d = 0; d < D; ++d) {
      const std::vector<double>& c = t.coord[static_cast<std::size_t>(d)];
      if constexpr (std::is_same_v<Real, double>) {
        if (!periodic) {
          coord[d] = c.data();
          continue;
        }
      }
      const double unit = periodic ? 1.0 / torus_period : 1.0;
      store[d].resize(n);
      for (std::size_t i = 0; i < n; ++i) store[d][i] = static_cast<Real>(c[i] * unit);
      coord[d] = store[d].data();
    }
    if constexpr (std::is_same_v<Real, double>) {
      u = uv;
      w = wv;
    } else {
      if (uv) u = (store[D] = std::vector<Real>(uv, uv + n)).data();
      if (wv) w = (store[D + 1] = std::vector<Real>(wv, wv + n)).data();
    }
  }
};

// s, su of the query rows lo .. hi - 1 of `queries` against all of `keys`.
template <int D, class Real>
void accumulate_real(const Tokens& queries, std::size_t lo, std::size_t hi, const Tokens& keys,
                     const MetricScore& score, const double* u, const double* w, double* s, double* su) {
  // The keys in Real, and the queries too unless they are the keys (one conversion then).
  const RealView<D, Real> k(keys, u, w);
  std::optional<RealView<D, Real>> own;
  const RealView<D, Real>& q = &queries == &keys ? k : own.emplace(queries, nullptr, nullptr);
  Job<D, Real> job{};
  for (int d = 0; d < D; ++d) {
    job.q[d] = q.coord[d] + lo;
    job.x[d] = k.coord[d];
  }
  job.rows = static_cast<std::ptrdiff_t>(hi - lo);
  job.keys = static_cast<std::ptrdiff_t>(keys.size());
  job.u = k.u;
  job.w = k.w;
  job.s = s;
  job.su = su;
  const bool periodic = keys.domain.periodic();
  const Prepared<Real> p = prepare<Real>(score, D, periodic ? torus_period : 1.0);
  switch (shape_of(score)) {
    case Shape::gaussian:
      return dispatch_options<D, Shape::gaussian>(periodic, job, p);
    case Shape::laplace:
      return dispatch_options<D, Shape::laplace>(periodic, job, p);
    case Shape::general:
      return dispatch_options<D, Shape::general>(periodic, job, p);
    case Shape::geodesic:
      return dispatch_options<D, Shape::geodesic>(periodic, job, p);
  }
}

template <int D>
void accumulate(const Tokens& queries, std::size_t lo, std::size_t hi, const Tokens& keys, const MetricScore& score,
                const double* u, const double* w, double* s, double* su) {
  if (score.precision == Precision::float32) {
    if (shape_of(score) != Shape::gaussian) throw std::invalid_argument("float32 attention needs beta = 2");
    return accumulate_real<D, float>(queries, lo, hi, keys, score, u, w, s, su);
  }
  accumulate_real<D, double>(queries, lo, hi, keys, score, u, w, s, su);
}

void accumulate_dims(const Tokens& queries, std::size_t lo, std::size_t hi, const Tokens& keys,
                     const MetricScore& score, const double* u, const double* w, double* s, double* su) {
  if (keys.dim != queries.dim) throw std::invalid_argument("queries and keys of different dimensions");
  switch (keys.dim) {
    case 1:
      return accumulate<1>(queries, lo, hi, keys, score, u, w, s, su);
    case 2:
      return accumulate<2>(queries, lo, hi, keys, score, u, w, s, su);
    case 3:
      return accumulate<3>(queries, lo, hi, keys, score, u, w, s, su);
    default:
      throw std::invalid_argument("token dimension must be 1, 2 or 3");
  }
}

}  // namespace

std::size_t dense_key_block(Precision precision) {
  return precision == Precision::float32 ? 1024 : 2048;
}

void accumulate_attention_block(const Tokens& queries, const Tokens& keys, const MetricScore& score, const double* u,
                                const double* w, double* s, double* su) {
  if (keys.size() > dense_key_block(score.precision))
    throw std::invalid_argument("accumulate_attention_block: more keys than one block");
  accumulate_dims(queries, 0, queries.size(), keys, score, u, w, s, su);
}

void apply_attention(const Tokens& tokens, const MetricScore& score, const double* u, double* out, double* degree,
                     const double* weights) {
  apply_attention_rows(tokens, score, u, out, degree, weights, 0, tokens.size());
}

void apply_attention_rows(const Tokens& tokens, const MetricScore& score, const double* u, double* out, double* degree,
                          const double* weights, std::size_t lo, std::size_t hi) {
  if (lo > hi || hi > tokens.size()) throw std::invalid_argument("row range outside the tokens");
  std::vector<double> s(hi - lo, 0.0), su(hi - lo, 0.0);
  accumulate_dims(tokens, lo, hi, tokens, score, u, weights, s.data(), su.data());
  for (std::size_t i = lo; i < hi; ++i) {
    out[i] = su[i - lo] / s[i - lo];
    if (degree) degree[i] = s[i - lo];
  }
}

std::vector<double> attention_row(const Tokens& tokens, const MetricScore& score, std::size_t i,
                                  const double* weights) {
  // Row i of A = A applied to the unit vectors, computed directly for clarity.
  const std::size_t n = tokens.size();
  const Prepared<double> p = prepare(score, tokens.dim);
  const Shape shape = shape_of(score);
  std::vector<double> row(n);
  double s = 0.0;
  for (std::size_t j = 0; j < n; ++j) {
    double l = 0.0;
    auto fill = [&](auto dim_tag) {
      constexpr int D = decltype(dim_tag)::value;
      double dx[D];
      for (int d = 0; d < D; ++d) dx[d] = tokens.domain.displacement(tokens.coord[d][j], tokens.coord[d][i]);
      l = shape == Shape::gaussian   ? logit<D, Shape::gaussian>(dx, p)
          : shape == Shape::laplace  ? logit<D, Shape::laplace>(dx, p)
          : shape == Shape::geodesic ? logit<D, Shape::geodesic>(dx, p)
                                     : logit<D, Shape::general>(dx, p);
    };
    if (tokens.dim == 1)
      fill(std::integral_constant<int, 1>{});
    else if (tokens.dim == 2)
      fill(std::integral_constant<int, 2>{});
    else
      fill(std::integral_constant<int, 3>{});
    row[j] = fast_exp2(l) * (weights ? weights[j] : 1.0);
    s += row[j];
  }
  for (double& v : row) v /= s;
  return row;
}

}  // namespace attnpde
