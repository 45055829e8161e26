#include "attention/kramers_moyal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "attention/constants.hpp"

namespace attnpde {

namespace {

// Moments of the attention row of every query: `row_logit(x)` returns the logit of token j
// seen from x as a function of (j, dx), dx the displacement x_j - x in the tokens' domain.
// Two passes per query: the row maximum of the logits first, then max-shifted sums.
template <class RowLogit>
KramersMoyal row_moments(const Tokens& tokens, const double* weights, const std::vector<std::array<double, 3>>& queries,
                         const RowLogit& row_logit) {
  const int dim = tokens.dim;
  const std::ptrdiff_t nq = static_cast<std::ptrdiff_t>(queries.size());
  const std::size_t n = tokens.size();
  KramersMoyal km;
  km.dim = dim;
  km.drift.assign(static_cast<std::size_t>(nq) * dim, 0.0);
  km.diffusion.assign(static_cast<std::size_t>(nq) * dim * dim, 0.0);
#pragma omp parallel for schedule(dynamic, 4)
  for (std::ptrdiff_t k = 0; k < nq; ++k) {
    const auto& x = queries[static_cast<std::size_t>(k)];
    const auto logit = row_logit(x);
    double dx[3] = {0, 0, 0};
    auto displacement = [&](std::size_t j) {
      for (int d = 0; d < dim; ++d) dx[d] = tokens.domain.displacement(tokens.coord[d][j], x[d]);
    };
    double lmax = -std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < n; ++j) {
      displacement(j);
      lmax = std::max(lmax, logit(j, dx));
    }
    double s = 0, b[3] = {0, 0, 0}, D[9] = {};
    for (std::size_t j = 0; j < n; ++j) {
      displacement(j);
      const double e = std::exp(logit(j, dx) - lmax) * (weights ? weights[j] : 1.0);
      s += e;
      for (int a = 0; a < dim; ++a) {
        b[a] += e * dx[a];
        for (int c = 0; c < dim; ++c) D[a * dim + c] += e * dx[a] * dx[c];
      }
    }
    for (int a = 0; a < dim; ++a) {
      km.drift[static_cast<std::size_t>(k) * dim + a] = b[a] / s;
      for (int c = 0; c < dim; ++c)
        km.diffusion[(static_cast<std::size_t>(k) * dim + a) * dim + c] = D[a * dim + c] / s;
    }
  }
  return km;
}

}  // namespace

KramersMoyal kramers_moyal(const Tokens& tokens, const MetricScore& score, const double* weights,
                           const std::vector<std::array<double, 3>>& queries) {
  const int dim = tokens.dim;
  if (score.metric.rows() != dim) throw std::invalid_argument("metric size does not match the token dimension");
  const double eps = temperature(score.sigma, score.beta);
  const double half_beta = 0.5 * score.beta;
  return row_moments(tokens, weights, queries, [&](const std::array<double, 3>&) {
    return [&](std::size_t, const double(&dx)[3]) {
      double q = 0;
      for (int a = 0; a < dim; ++a)
        for (int b = 0; b < dim; ++b) q += score.metric(a, b) * dx[a] * dx[b];
      return -std::pow(q, half_beta) / eps;
    };
  });
}

KramersMoyal kramers_moyal_dot(const Tokens& tokens, const Eigen::MatrixXd& B, double eps,
                               const std::vector<std::array<double, 3>>& queries) {
  const int dim = tokens.dim;
  if (B.rows() != dim || B.cols() != dim) throw std::invalid_argument("B does not match the token dimension");
  if (!(eps > 0)) throw std::invalid_argument("eps must be positive");
  return row_moments(tokens, nullptr, queries, [&](const std::array<double, 3>& x) {
    // The logit x^T B y / eps = theta . y with theta = B^T x / eps (raw coordinates).
    std::array<double, 3> theta{};
    for (int a = 0; a < dim; ++a)
      for (int c = 0; c < dim; ++c) theta[a] += B(c, a) * x[c] / eps;
    return [&tokens, theta, dim](std::size_t j, const double(&)[3]) {
      double l = 0;
      for (int a = 0; a < dim; ++a) l += theta[a] * tokens.coord[a][j];
      return l;
    };
  });
}

}  // namespace attnpde
