// T4 (THEORY.md section 4): the Kramers-Moyal moments of metric attention at query points
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

ProbeErrors probe_errors(double sigma, const std::string& normalization) {
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
  for (const char* norm : {"softmax", "sinkhorn"}) {
    const ProbeErrors coarse = probe_errors(0.3, norm), fine = probe_errors(0.15, norm);
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

}  // namespace
}  // namespace attnpde
