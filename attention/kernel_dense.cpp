#include "attention/kernel_dense.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <type_traits>

#include "attention/constants.hpp"
#include "attention/fast_exp.hpp"

namespace attnpde {

namespace {

// Logits are clamped so that exp never returns a subnormal: exp(-700) in double,
// exp(-87) in float.
template <class Real>
constexpr Real logit_floor = Real(-700);
template <>
constexpr float logit_floor<float> = -87.0f;

inline double exp_of(double x) {
  return fast_exp(x);
}
inline float exp_of(float x) {
  return fast_expf(x);
}

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
  Real m[3][3] = {};  // M / eps (beta = 2) or M (other beta)
  Real half_beta = 1;
  Real inv_eps = 1;
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
      p.m[a][b] = static_cast<Real>(gaussian ? score.metric(a, b) / eps : score.metric(a, b));
  p.half_beta = static_cast<Real>(0.5 * score.beta);
  p.inv_eps = static_cast<Real>(1.0 / eps);
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

// Logit -rho(x_i, x_j)/eps for the displacement dx.
template <int D, Shape S, class Real>
inline Real logit(const Real (&dx)[D], const Prepared<Real>& p) {
  Real q = 0;
  for (int a = 0; a < D; ++a) {
    q += p.m[a][a] * dx[a] * dx[a];
    for (int b = a + 1; b < D; ++b) q += Real(2) * p.m[a][b] * dx[a] * dx[b];
  }
  Real l;
  if constexpr (S == Shape::gaussian)
    l = -q;
  else if constexpr (S == Shape::laplace)
    l = -std::sqrt(q) * p.inv_eps;
  else if constexpr (S == Shape::geodesic)  // arc length on the unit sphere (M = I)
    l = -std::pow(Real(2) * std::asin(std::min(Real(1), Real(0.5) * std::sqrt(q))), Real(2) * p.half_beta) * p.inv_eps;
  else
    l = -std::pow(q, p.half_beta) * p.inv_eps;
  return l < logit_floor<Real> ? logit_floor<Real> : l;
}

// Displacements, logits and exp in Real; the row sums always in double. Real = float
// runs 16 lanes per AVX-512 register (the float32 mode, beta = 2 only).
template <int D, Shape S, bool Weighted, bool Periodic, class Real>
void apply_kernel(const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p, const double* u,
                  double* out, double* degree, const double* w) {
#pragma omp parallel for schedule(dynamic, 32)
  for (std::ptrdiff_t i = rows.lo; i < rows.hi; ++i) {
    Real xi[D];
    for (int d = 0; d < D; ++d) xi[d] = x[d][i];
    double s = 0.0, su = 0.0;
#pragma omp simd reduction(+ : s, su)
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      Real dx[D];
      for (int d = 0; d < D; ++d) dx[d] = displacement<Periodic, Real>(x[d][j], xi[d]);
      double e = exp_of(logit<D, S>(dx, p));
      if constexpr (Weighted) e *= w[j];
      s += e;
      su += e * u[j];
    }
    out[i] = su / s;
    if (degree) degree[i] = s;
  }
}

template <int D, Shape S, bool Periodic, class Real>
void dispatch_weights(const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p, const double* u,
                      double* out, double* degree, const double* w) {
  if (w)
    apply_kernel<D, S, true, Periodic>(x, n, rows, p, u, out, degree, w);
  else
    apply_kernel<D, S, false, Periodic>(x, n, rows, p, u, out, degree, nullptr);
}

template <int D, Shape S, class Real>
void dispatch_domain(bool periodic, const Real* const (&x)[D], std::ptrdiff_t n, Rows rows, const Prepared<Real>& p,
                     const double* u, double* out, double* degree, const double* w) {
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
    return dispatch_domain<D, Shape::gaussian, float>(periodic, x, n, rows, prepare<float>(score, D), u, out, degree,
                                                      w);
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
    row[j] = fast_exp(l) * (weights ? weights[j] : 1.0);
    s += row[j];
  }
  for (double& v : row) v /= s;
  return row;
}

}  // namespace attnpde
