#include "attention/kernel_dense.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "attention/constants.hpp"
#include "attention/fast_exp.hpp"

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

inline double exp2_of(double y) {
  return fast_exp2(y);
}
inline float exp2_of(float y) {
  return fast_exp2f(y);
}
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

// Query rows lo .. hi - 1 of one application (every key is summed for each of them).
struct Rows {
  std::ptrdiff_t lo, hi;
};

template <class Real>
struct Prepared {
  Real m[3][3] = {};  // -M log2(e) / eps (beta = 2) or M (other beta), doubled above the diagonal
  Real half_beta = 1;
  Real inv_eps = 1;  // log2(e) / eps
};

template <class Real = double>
Prepared<Real> prepare(const MetricScore& score, int dim) {
  if (score.metric.rows() != dim || score.metric.cols() != dim)
    throw std::invalid_argument("metric size does not match the token dimension");
  Prepared<Real> p;
  const double eps = temperature(score.sigma, score.beta);
  const bool gaussian = shape_of(score) == Shape::gaussian;
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b)
      p.m[a][b] =
          static_cast<Real>((b > a ? 2.0 : 1.0) * (gaussian ? -score.metric(a, b) * log2e / eps : score.metric(a, b)));
  p.half_beta = static_cast<Real>(0.5 * score.beta);
  p.inv_eps = static_cast<Real>(log2e / eps);
  return p;
}

// Displacement y - x: minimum image on the torus, plain difference in the box.
template <bool Periodic, class Real>
inline Real displacement(Real y, Real x) {
  const Real v = y - x;
  if constexpr (!Periodic) return v;
  const Real period = static_cast<Real>(torus_period), inv_period = static_cast<Real>(1.0 / torus_period);
  return v - period * std::floor(v * inv_period + Real(0.5));
}

// Base-2 logit -rho(x_i, x_j) / (eps ln 2) for the displacement dx.
template <int D, Shape S, class Real>
inline Real logit(const Real (&dx)[D], const Prepared<Real>& p) {
  // q = sum_a dx_a (m_aa dx_a + 2 sum_{b > a} m_ab dx_b), each bracket started from its
  // first product (p.m holds 2 m_ab above the diagonal): D (D + 3) / 2 multiplications and
  // FMAs, 5 in 2D.
  Real q = 0;
  for (int a = 0; a < D; ++a) {
    Real row = p.m[a][a] * dx[a];
    for (int b = a + 1; b < D; ++b) row += p.m[a][b] * dx[b];
    q = a == 0 ? dx[a] * row : q + dx[a] * row;
  }
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

// Displacements, logits and exp in Real, and the values u and weights w in Real too. Real =
// float (the float32 mode, beta = 2 only) runs 16 lanes per AVX-512 register and sums blocks
// of `float_block` keys in float32, each lane over 16 of them, before adding the block's sums
// to the row's float64 sums: no conversion to double in the inner loop, and a relative
// rounding of the sums of about 20 float32 roundings (1e-6). Real = double sums the whole row
// in one block.
constexpr std::ptrdiff_t float_block = 256;

template <int D, Shape S, bool Weighted, bool Periodic, class Real>
void apply_kernel(const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p, const Real* u,
                  double* out, double* degree, const Real* w) {
  const std::ptrdiff_t block = std::is_same_v<Real, float> ? float_block : std::max<std::ptrdiff_t>(n, 1);
#pragma omp parallel for schedule(dynamic, 32)
  for (std::ptrdiff_t i = rows.lo; i < rows.hi; ++i) {
    Real xi[D];
    for (int d = 0; d < D; ++d) xi[d] = x[d][i];
    double s = 0.0, su = 0.0;
    for (std::ptrdiff_t j0 = 0; j0 < n; j0 += block) {
      const std::ptrdiff_t j1 = std::min(n, j0 + block);
      Real bs = 0, bsu = 0;
#pragma omp simd reduction(+ : bs, bsu)
      for (std::ptrdiff_t j = j0; j < j1; ++j) {
        Real dx[D];
        for (int d = 0; d < D; ++d) dx[d] = displacement<Periodic, Real>(x[d][j], xi[d]);
        Real e = exp2_of(logit<D, S>(dx, p));
        if constexpr (Weighted) e *= w[j];
        bs += e;
        bsu += e * u[j];
      }
      s += bs;
      su += bsu;
    }
    out[i] = su / s;
    if (degree) degree[i] = s;
  }
}

template <int D, Shape S, bool Periodic, class Real>
void dispatch_weights(const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p, const Real* u,
                      double* out, double* degree, const Real* w) {
  if (w)
    apply_kernel<D, S, true, Periodic>(x, n, rows, p, u, out, degree, w);
  else
    apply_kernel<D, S, false, Periodic>(x, n, rows, p, u, out, degree, static_cast<const Real*>(nullptr));
}

template <int D, Shape S, class Real>
void dispatch_domain(bool periodic, const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p,
                     const Real* u, double* out, double* degree, const Real* w) {
  if (periodic)
    dispatch_weights<D, S, true>(x, n, rows, p, u, out, degree, w);
  else
    dispatch_weights<D, S, false>(x, n, rows, p, u, out, degree, w);
}

template <int D>
void dispatch_beta(const Tokens& t, const MetricScore& score, const double* u, double* out, double* degree,
                   const double* w, Rows rows) {
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(t.size());
  const bool periodic = t.domain.periodic();
  if (score.precision == Precision::float32) {
    if (shape_of(score) != Shape::gaussian) throw std::invalid_argument("float32 attention needs beta = 2");
    std::vector<float> xs[D];
    const float* x[D];
    for (int d = 0; d < D; ++d) {
      xs[d].assign(t.coord[d].begin(), t.coord[d].end());
      x[d] = xs[d].data();
    }
    const std::vector<float> uf(u, u + n), wf(w ? w : u, w ? w + n : u);
    return dispatch_domain<D, Shape::gaussian, float>(periodic, x, n, rows, prepare<float>(score, D), uf.data(), out,
                                                      degree, w ? wf.data() : nullptr);
  }
  const double* x[D];
  for (int d = 0; d < D; ++d) x[d] = t.coord[d].data();
  const Prepared<double> p = prepare(score, D);
  switch (shape_of(score)) {
    case Shape::gaussian:
      return dispatch_domain<D, Shape::gaussian, double>(periodic, x, n, rows, p, u, out, degree, w);
    case Shape::laplace:
      return dispatch_domain<D, Shape::laplace, double>(periodic, x, n, rows, p, u, out, degree, w);
    case Shape::general:
      return dispatch_domain<D, Shape::general, double>(periodic, x, n, rows, p, u, out, degree, w);
    case Shape::geodesic:
      return dispatch_domain<D, Shape::geodesic, double>(periodic, x, n, rows, p, u, out, degree, w);
  }
}

}  // namespace

void apply_attention(const Tokens& tokens, const MetricScore& score, const double* u, double* out, double* degree,
                     const double* weights) {
  apply_attention_rows(tokens, score, u, out, degree, weights, 0, tokens.size());
}

void apply_attention_rows(const Tokens& tokens, const MetricScore& score, const double* u, double* out, double* degree,
                          const double* weights, std::size_t lo, std::size_t hi) {
  if (lo > hi || hi > tokens.size()) throw std::invalid_argument("row range outside the tokens");
  const Rows rows{static_cast<std::ptrdiff_t>(lo), static_cast<std::ptrdiff_t>(hi)};
  switch (tokens.dim) {
    case 1:
      return dispatch_beta<1>(tokens, score, u, out, degree, weights, rows);
    case 2:
      return dispatch_beta<2>(tokens, score, u, out, degree, weights, rows);
    case 3:
      return dispatch_beta<3>(tokens, score, u, out, degree, weights, rows);
    default:
      throw std::invalid_argument("token dimension must be 1, 2 or 3");
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
