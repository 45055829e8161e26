// T4 (docs/theory.md section 4): the Kramers-Moyal moments of metric attention at query points
// off the tokens match b = c sigma^2 gamma G grad log p and D = 2 c sigma^2 G, with an
// error that shrinks like sigma^2 relative to the leading term.
#include "attention/kramers_moyal.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/normalization.hpp"

namespace attnpde {
namespace {

struct ProbeErrors {
  double drift, diffusion;  // max relative errors over the queries
};

ProbeErrors probe_errors(double sigma, NormalizationKind normalization) {
  // p = exp(0.4 cos x + 0.3 sin y): grad log p = (-0.4 sin x, 0.3 cos y).
  const Density p("exp(0.4*cos(x) + 0.3*sin(y))", 2);
  const Tokens t = sample_tokens(p, 20000, 1, Sampler::quasi);
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const MetricScore s{m, 2.0, sigma};
  NormalizationSpec spec;
  spec.kind = normalization;
  const ColumnWeights w = column_weights(t, s, spec);
  const double gamma = normalization_gamma(spec);
  std::vector<std::array<double, 3>> q;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) q.push_back({0.3 + 1.2 * i, 0.1 + 1.25 * j, 0.0});
  const KramersMoyal km = kramers_moyal(t, s, w.data(), q);
  const Eigen::Matrix2d G = m.inverse();
  const double c = generator_constant(2.0, 2);
  ProbeErrors e{0, 0};
  double b_scale = 0;
  for (std::size_t k = 0; k < q.size(); ++k) {
    const Eigen::Vector2d grad_log_p(-0.4 * std::sin(q[k][0]), 0.3 * std::cos(q[k][1]));
    const Eigen::Vector2d b_pred = c * sigma * sigma * gamma * G * grad_log_p;
    const Eigen::Matrix2d d_pred = 2 * c * sigma * sigma * G;
    b_scale = std::max(b_scale, b_pred.norm());
    const Eigen::Vector2d b(km.drift[2 * k], km.drift[2 * k + 1]);
    Eigen::Matrix2d D;
    D << km.diffusion[4 * k], km.diffusion[4 * k + 1], km.diffusion[4 * k + 2], km.diffusion[4 * k + 3];
    e.drift = std::max(e.drift, (b - b_pred).norm());
    e.diffusion = std::max(e.diffusion, (D - d_pred).norm() / d_pred.norm());
  }
  e.drift /= b_scale;
  return e;
}

TEST(KramersMoyal, MetricAttentionMatchesSectionFour) {
  for (const NormalizationKind kind : {NormalizationKind::softmax, NormalizationKind::sinkhorn}) {
    const char* norm = normalization_name(kind);
    const ProbeErrors coarse = probe_errors(0.3, kind), fine = probe_errors(0.15, kind);
    std::printf("%-8s sigma 0.30: drift %.4f diffusion %.4f; sigma 0.15: drift %.4f diffusion %.4f\n", norm,
                coarse.drift, coarse.diffusion, fine.drift, fine.diffusion);
    EXPECT_LT(fine.drift, 0.05) << norm;
    EXPECT_LT(fine.diffusion, 0.02) << norm;
    // Relative error O(sigma^2): halving sigma divides it by about 4 (at least 3).
    EXPECT_LT(3 * fine.drift, coarse.drift) << norm;
    EXPECT_LT(3 * fine.diffusion, coarse.diffusion) << norm;
  }
}

TEST(KramersMoyal, NoNaNForTinySigmaOffTheTokens) {
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, 500, 1, Sampler::random);
  const MetricScore s{Eigen::Matrix2d::Identity(), 2.0, 1e-4};
  const KramersMoyal km = kramers_moyal(t, s, nullptr, {{1.0, 2.0, 0.0}});
  for (double v : km.drift) EXPECT_TRUE(std::isfinite(v));
  for (double v : km.diffusion) EXPECT_TRUE(std::isfinite(v));
}

// Section 5: for Gaussian tokens the dot-product row is the exponential tilt of the
// cloud; the measured moments converge to b = mu + Sigma B^T x / eps - x and
// D = Sigma + b b^T at the Monte-Carlo rate N^-1/2 (16x more tokens: about 4x smaller).
double dot_error(std::size_t n, std::uint64_t seed) {
  const std::vector<double> mean = {0.3, -0.2}, cov = {0.8, 0.25, 0.25, 0.6};
  Eigen::Matrix2d B, S;
  B << 0.5, -0.2, 0.3, 0.7;
  S << 0.8, 0.25, 0.25, 0.6;
  const double eps = 1.5;
  const Tokens t = sample_gaussian(mean, cov, n, seed);
  const std::vector<std::array<double, 3>> q = {{0.0, 0.0, 0.0}, {1.0, -0.5, 0.0}, {-0.8, 0.9, 0.0}};
  const KramersMoyal km = kramers_moyal_dot(t, B, eps, q);
  double err = 0;
  for (std::size_t k = 0; k < q.size(); ++k) {
    const Eigen::Vector2d x(q[k][0], q[k][1]), mu(mean[0], mean[1]);
    const Eigen::Vector2d b = mu + S * B.transpose() * x / eps - x;
    const Eigen::Matrix2d D = S + b * b.transpose();
    for (int a = 0; a < 2; ++a) {
      err = std::max(err, std::abs(km.drift[2 * k + a] - b(a)) / b.norm());
      for (int c = 0; c < 2; ++c) err = std::max(err, std::abs(km.diffusion[4 * k + 2 * a + c] - D(a, c)) / D.norm());
    }
  }
  return err;
}

TEST(KramersMoyal, DotProductOnGaussianTokensIsTheExponentialTilt) {
  double coarse = 0, fine = 0;
  const int seeds = 4;
  for (int s = 0; s < seeds; ++s) {
    coarse += dot_error(10000, 100 + s) / seeds;
    fine += dot_error(160000, 200 + s) / seeds;
  }
  std::printf("dot-product moments: relative error %.3e (N = 1e4) -> %.3e (N = 1.6e5)\n", coarse, fine);
  EXPECT_LT(fine, 0.02);
  EXPECT_GT(coarse / fine, 2.5);
  EXPECT_LT(coarse / fine, 6.5);
}

TEST(KramersMoyal, GaussianTokensHaveTheirMeanAndCovariance) {
  const Tokens t = sample_gaussian({1.0, -2.0, 0.5}, {1, 0.2, 0, 0.2, 2, -0.3, 0, -0.3, 0.5}, 200000, 5);
  EXPECT_EQ(t.domain.kind, DomainKind::space);
  const double expected[3][3] = {{1, 0.2, 0}, {0.2, 2, -0.3}, {0, -0.3, 0.5}};
  const double mean[3] = {1.0, -2.0, 0.5};
  double m[3] = {0, 0, 0};
  for (int a = 0; a < 3; ++a) {
    for (double v : t.coord[a]) m[a] += v / static_cast<double>(t.size());
    EXPECT_NEAR(m[a], mean[a], 0.02);
  }
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) {
      double c = 0;
      for (std::size_t j = 0; j < t.size(); ++j) c += (t.coord[a][j] - m[a]) * (t.coord[b][j] - m[b]);
      EXPECT_NEAR(c / static_cast<double>(t.size() - 1), expected[a][b], 0.03) << a << b;
    }
}

TEST(KramersMoyal, DotProductHasNoOverflowAtTinyTemperature) {
  const Tokens t = sample_gaussian({0, 0}, {1, 0, 0, 1}, 1000, 3);
  const KramersMoyal km = kramers_moyal_dot(t, Eigen::Matrix2d::Identity(), 1e-8, {{3.0, -2.0, 0.0}});
  for (double v : km.drift) EXPECT_TRUE(std::isfinite(v));
  for (double v : km.diffusion) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace attnpde
