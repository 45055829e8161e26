#include "attention/sphere.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/tokens.hpp"

namespace attnpde {

namespace {

void push(Tokens& t, const std::array<double, 3>& x) {
  for (int d = 0; d < t.dim; ++d) t.coord[d].push_back(x[d]);
}

}  // namespace

void gauss_legendre(int n, std::vector<double>& nodes, std::vector<double>& weights) {
  if (n < 1) throw std::invalid_argument("Gauss-Legendre needs at least one node");
  nodes.assign(static_cast<std::size_t>(n), 0.0);
  weights.assign(static_cast<std::size_t>(n), 0.0);
  for (int i = 0; i < n; ++i) {
    double x = std::cos(M_PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
    for (int it = 0; it < 100; ++it) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      double p0 = 1.0, p1 = x;
      for (int k = 2; k <= n; ++k) {
        const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      if (n == 1) p0 = 1.0;
      dp = n * (x * p1 - p0) / (x * x - 1.0);
      const double dx = p1 / dp;
      x -= dx;
      if (std::abs(dx) < 1e-16) break;
    }
    // Recompute P_n' at the converged node for the weight.
    double p0 = 1.0, p1 = x;
    for (int k = 2; k <= n; ++k) {
      const double p2 = ((2.0 * k - 1.0) * x * p1 - (k - 1.0) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    dp = n == 1 ? 1.0 : n * (x * p1 - p0) / (x * x - 1.0);
    nodes[static_cast<std::size_t>(i)] = x;
    weights[static_cast<std::size_t>(i)] = 2.0 / ((1.0 - x * x) * dp * dp);
  }
}

std::array<double, 3> circle_point(double theta) {
  return {std::cos(theta), std::sin(theta), 0.0};
}

std::array<double, 3> sphere_point(double z, double phi) {
  const double r = std::sqrt(std::max(0.0, 1.0 - z * z));
  return {r * std::cos(phi), r * std::sin(phi), z};
}

double circle_angle(double x, double y) {
  const double a = std::atan2(y, x);
  return a < 0 ? a + torus_period : a;
}

SphereQuadrature sphere_quadrature(int dim, int order) {
  SphereQuadrature q;
  if (dim == 2) {
    const double h = torus_period / order;
    for (int k = 0; k < order; ++k) {
      q.points.push_back(circle_point((k + 0.5) * h));
      q.weights.push_back(h);
    }
    return q;
  }
  if (dim != 3) throw std::invalid_argument("the sphere needs 2 or 3 ambient dimensions");
  std::vector<double> z, wz;
  gauss_legendre(order, z, wz);
  const int longitudes = 2 * order;
  const double h = torus_period / longitudes;
  for (int i = 0; i < order; ++i)
    for (int k = 0; k < longitudes; ++k) {
      q.points.push_back(sphere_point(z[static_cast<std::size_t>(i)], (k + 0.5) * h));
      q.weights.push_back(wz[static_cast<std::size_t>(i)] * h);
    }
  return q;
}

Tokens sample_sphere(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler) {
  const int dim = p.dim();
  if (p.domain().kind != DomainKind::sphere || (dim != 2 && dim != 3))
    throw std::invalid_argument("sample_sphere needs a density on S^1 or S^2");
  Tokens t;
  t.dim = dim;
  t.domain = p.domain();
  for (int d = 0; d < dim; ++d) t.coord[d].reserve(n);
  std::mt19937_64 rng(seed);
  const bool uniform = p.is_uniform();
  if (sampler == Sampler::random) {
    const double bound = p.rejection_bound();
    const std::size_t max_proposals = 1000 * n + 1000000;
    for (std::size_t proposals = 0; t.size() < n; ++proposals) {
      if (proposals > max_proposals)
        throw std::runtime_error("rejection sampling does not accept: is the density nearly zero?");
      const auto x = dim == 2 ? circle_point(torus_period * uniform01(rng))
                              : sphere_point(2.0 * uniform01(rng) - 1.0, torus_period * uniform01(rng));
      if (uniform || uniform01(rng) * bound < p.raw(x.data())) push(t, x);
    }
    return t;
  }
  const double shift = uniform01(rng);
  if (dim == 3) {
    if (!uniform) throw std::invalid_argument("the quasi sampler on S^2 needs a uniform density");
    const double inv_golden = 0.5 * (std::sqrt(5.0) - 1.0), shift_phi = uniform01(rng);
    for (std::size_t k = 0; k < n; ++k) {
      const double z = 1.0 - 2.0 * (static_cast<double>(k) + shift) / static_cast<double>(n);
      const double f = static_cast<double>(k) * inv_golden + shift_phi;
      push(t, sphere_point(z, torus_period * (f - std::floor(f))));
    }
    return t;
  }
  // Circle: the inverse of the CDF of p in arc length, piecewise linear over `cells`
  // midpoint cells.
  const int cells = 65536;
  const double h = torus_period / cells;
  std::vector<double> cdf(cells + 1, 0.0);
  for (int m = 0; m < cells; ++m) {
    const auto x = circle_point((m + 0.5) * h);
    cdf[static_cast<std::size_t>(m) + 1] = cdf[static_cast<std::size_t>(m)] + (uniform ? 1.0 : p.raw(x.data()));
  }
  for (double& v : cdf) v /= cdf.back();
  for (std::size_t k = 0; k < n; ++k) {
    const double u = (static_cast<double>(k) + shift) / static_cast<double>(n);
    const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
    const std::size_t m = static_cast<std::size_t>(std::clamp<std::ptrdiff_t>(it - cdf.begin() - 1, 0, cells - 1));
    const double frac = (u - cdf[m]) / (cdf[m + 1] - cdf[m]);
    push(t, circle_point((static_cast<double>(m) + std::clamp(frac, 0.0, 1.0)) * h));
  }
  return t;
}

void project_to_sphere(Tokens& tokens) {
  const std::size_t n = tokens.size();
  for (std::size_t j = 0; j < n; ++j) {
    double r2 = 0;
    for (int d = 0; d < tokens.dim; ++d) r2 += tokens.coord[d][j] * tokens.coord[d][j];
    const double inv = r2 > 0 ? 1.0 / std::sqrt(r2) : 1.0;
    for (int d = 0; d < tokens.dim; ++d) tokens.coord[d][j] *= inv;
  }
}

double circle_law_rate(int k, double beta) {
  // exp-scaled Bessel ratio I_k / I_0 stays finite for large beta.
  return static_cast<double>(k) * k * std::cyl_bessel_i(static_cast<double>(k), beta) /
         (beta * std::cyl_bessel_i(0.0, beta));
}

int circle_law_k_max(double beta) {
  int k = 1;
  while (circle_law_rate(k + 1, beta) > circle_law_rate(k, beta)) ++k;
  return k;
}

}  // namespace attnpde
