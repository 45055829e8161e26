#include "attention/sphere.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/density.hpp"
#include "attention/kernel.hpp"
#include "attention/kernel_circle.hpp"
#include "attention/kernel_truncated.hpp"

namespace attnpde {
namespace {

const Domain sphere{DomainKind::sphere};

TEST(Sphere, GaussLegendreIsExactToDegreeTwoNMinusOne) {
  std::vector<double> x, w;
  gauss_legendre(7, x, w);
  for (int deg = 0; deg <= 13; ++deg) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * std::pow(x[i], deg);
    const double exact = deg % 2 ? 0.0 : 2.0 / (deg + 1);
    EXPECT_NEAR(s, exact, 1e-14) << deg;
  }
}

TEST(Sphere, QuadratureIntegratesPolynomialsExactly) {
  // Area 2 pi and 4 pi; integral of x^2 is pi on the circle, 4 pi / 3 on S^2; of x^2 y^2 z^2
  // on S^2: 4 pi / 105.
  const auto c = sphere_quadrature(2, 64), s = sphere_quadrature(3, 12);
  double area = 0, x2 = 0;
  for (std::size_t k = 0; k < c.points.size(); ++k) {
    area += c.weights[k];
    x2 += c.weights[k] * c.points[k][0] * c.points[k][0];
  }
  EXPECT_NEAR(area, 2 * M_PI, 1e-13);
  EXPECT_NEAR(x2, M_PI, 1e-13);
  area = x2 = 0;
  double xyz = 0;
  for (std::size_t k = 0; k < s.points.size(); ++k) {
    const auto& p = s.points[k];
    area += s.weights[k];
    x2 += s.weights[k] * p[0] * p[0];
    xyz += s.weights[k] * p[0] * p[0] * p[1] * p[1] * p[2] * p[2];
    EXPECT_NEAR(p[0] * p[0] + p[1] * p[1] + p[2] * p[2], 1.0, 1e-15);
  }
  EXPECT_NEAR(area, 4 * M_PI, 1e-13);
  EXPECT_NEAR(x2, 4 * M_PI / 3, 1e-13);
  EXPECT_NEAR(xyz, 4 * M_PI / 105, 1e-14);
}

TEST(Sphere, DensityIsNormalizedOverTheSurface) {
  const Density c("1 + 0.5*x", 2, sphere), s("2 + z*z", 3, sphere);
  EXPECT_NEAR(c.integral(), 2 * M_PI, 1e-12);
  EXPECT_NEAR(s.integral(), 8 * M_PI + 4 * M_PI / 3, 1e-11);
  EXPECT_NEAR(c.min_raw(), 0.5, 1e-6);
}

TEST(Sphere, SamplersPutTokensOnTheSphereWithTheRightMoments) {
  // E[x] under p = 1 + 0.5 x on the circle is 0.25; E[z^2] = 1/3 for uniform S^2.
  const Density c("1 + 0.5*x", 2, sphere), s("1", 3, sphere);
  for (auto sampler : {Sampler::random, Sampler::quasi}) {
    const std::size_t n = 40000;
    const Tokens a = sample_tokens(c, n, 3, sampler), b = sample_tokens(s, n, 3, sampler);
    ASSERT_EQ(a.size(), n);
    ASSERT_EQ(b.size(), n);
    double mx = 0, mz2 = 0, radius_error = 0;
    for (std::size_t j = 0; j < n; ++j) {
      mx += a.coord[0][j] / n;
      mz2 += b.coord[2][j] * b.coord[2][j] / n;
      radius_error = std::max(radius_error, std::abs(std::hypot(a.coord[0][j], a.coord[1][j]) - 1.0));
      radius_error = std::max(radius_error, std::abs(std::hypot(b.coord[0][j], b.coord[1][j], b.coord[2][j]) - 1.0));
    }
    EXPECT_LT(radius_error, 1e-15);
    // i.i.d.: a few standard errors (sd/sqrt(n) ~ 3.5e-3); lattices: far better.
    const double tol = sampler == Sampler::random ? 0.015 : 1e-6;
    EXPECT_NEAR(mx, 0.25, tol);
    EXPECT_NEAR(mz2, 1.0 / 3.0, tol);
    // Deterministic per seed.
    EXPECT_EQ(a.coord[1], sample_tokens(c, n, 3, sampler).coord[1]);
  }
  EXPECT_THROW(sample_tokens(Density("1 + 0.5*z", 3, sphere), 10, 1, Sampler::quasi), std::invalid_argument);
}

TEST(Sphere, GeodesicKernelUsesTheArcLength) {
  // Row 0 of A by hand: K_0j = exp(-(angle / sigma)^beta) for three points on the circle.
  Tokens t;
  t.dim = 2;
  t.domain = sphere;
  for (double a : {0.0, 0.3, 1.1, 2.9}) {
    t.coord[0].push_back(std::cos(a));
    t.coord[1].push_back(std::sin(a));
  }
  for (double beta : {2.0, 1.5}) {
    MetricScore score{Eigen::MatrixXd::Identity(2, 2), beta, 0.7};
    score.geodesic = true;
    const auto row = attention_row(t, score, 0);
    double k[4], s = 0;
    const double angles[4] = {0.0, 0.3, 1.1, 2.9};
    for (int j = 0; j < 4; ++j) s += k[j] = std::exp(-std::pow(angles[j] / 0.7, beta));
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(row[static_cast<std::size_t>(j)], k[j] / s, 1e-14) << beta;
    // The dense application and the truncated kernel (cutoff beyond the farthest pair)
    // agree with the row.
    const std::vector<double> u = {1.0, -2.0, 0.5, 3.0};
    std::vector<double> dense(4), trunc(4);
    apply_attention(t, score, u.data(), dense.data());
    TruncatedKernel(t, score, 10.0).apply(u.data(), trunc.data(), nullptr, nullptr);
    double expected = 0;
    for (int j = 0; j < 4; ++j) expected += row[static_cast<std::size_t>(j)] * u[static_cast<std::size_t>(j)];
    EXPECT_NEAR(dense[0], expected, 1e-13);
    EXPECT_NEAR(trunc[0], expected, 1e-13);
  }
}

TEST(Sphere, CircleKernelEqualsTheDenseKernel) {
  // The Fourier-series kernel against the dense chordal kernel with sigma^2 = 2 / beta,
  // with and without column weights, at a mild and a sharp temperature.
  const Density uniform("1 + 0.4*x", 2, sphere);
  const Tokens t = sample_tokens(uniform, 3000, 7, Sampler::random);
  std::vector<double> u(t.size()), w(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    u[j] = std::sin(3 * t.coord[0][j]) + t.coord[1][j];
    w[j] = 1.0 + 0.3 * t.coord[1][j];
  }
  for (double beta : {5.0, 60.0})
    for (const double* weights : {static_cast<const double*>(nullptr), static_cast<const double*>(w.data())}) {
      const CircleKernel circle(t, beta);
      const DenseKernel dense(t, MetricScore{Eigen::MatrixXd::Identity(2, 2), 2.0, std::sqrt(2.0 / beta)});
      std::vector<double> a(t.size()), b(t.size()), da(t.size()), db(t.size());
      circle.apply(u.data(), a.data(), da.data(), weights);
      dense.apply(u.data(), b.data(), db.data(), weights);
      double err = 0, scale = 0, derr = 0;
      for (std::size_t j = 0; j < t.size(); ++j) {
        err = std::max(err, std::abs(a[j] - b[j]));
        scale = std::max(scale, std::abs(b[j]));
        derr = std::max(derr, std::abs(da[j] - db[j]) / db[j]);
      }
      EXPECT_LT(err, 1e-12 * scale) << beta;
      EXPECT_LT(derr, 1e-12) << beta;  // the degrees: the same K (both exp(-|x - y|^2 / sigma^2))
      EXPECT_LT(circle.terms(), static_cast<int>(beta) + 60);
    }
}

TEST(Sphere, CircleLawRatesPeakNearSqrtTwoBeta) {
  // k_max = argmax_k k^2 I_k(beta) / (beta I_0(beta)): 3, 4, 6, 7, 10 for beta = 5, 9, 16,
  // 25, 50 (docs/theory.md section 9), and lambda_1 = I_1 / (beta I_0) at every beta.
  const int expected[] = {3, 4, 6, 7, 10};
  const double betas[] = {5, 9, 16, 25, 50};
  for (int b = 0; b < 5; ++b) {
    int best = 1;
    for (int k = 1; k < 30; ++k)
      if (circle_law_rate(k, betas[b]) > circle_law_rate(best, betas[b])) best = k;
    EXPECT_EQ(best, expected[b]) << betas[b];
    EXPECT_EQ(circle_law_k_max(betas[b]), expected[b]) << betas[b];
  }
  EXPECT_NEAR(circle_law_rate(1, 5.0), std::cyl_bessel_i(1.0, 5.0) / (5.0 * std::cyl_bessel_i(0.0, 5.0)), 1e-15);
}

}  // namespace
}  // namespace attnpde
