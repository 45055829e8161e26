// Normalizations (docs/theory.md sections 1, 2 and target T3): Sinkhorn is doubly stochastic,
// alpha = 0 is softmax, every normalization conserves sum_i c_i u_i, and the generator
// of each one converges to p^-gamma div(p^gamma G grad u) with its own gamma: softmax 2,
// Sinkhorn 1, alpha = 1 gives 0 (div(G grad u) on a non-uniform density).
#include "attention/normalization.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/layers.hpp"
#include "discretization/reference.hpp"

namespace attnpde {
namespace {

const char* const density_expr = "1 + 0.5*sin(x)*cos(y)";

MetricScore score(double sigma) {
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  return MetricScore{m, 2.0, sigma};
}

NormalizationSpec spec(NormalizationKind kind, double alpha = 1.0) {
  NormalizationSpec s;
  s.kind = kind;
  s.alpha = alpha;
  return s;
}

TEST(Sinkhorn, DoublyStochasticToItsTolerance) {
  const Density p(density_expr, 2);
  const Tokens t = sample_tokens(p, 400, 3, Sampler::random);
  const MetricScore s = score(0.4);
  const ColumnWeights w = column_weights(t, s, spec(NormalizationKind::sinkhorn));
  ASSERT_TRUE(w.converged);
  EXPECT_LE(w.marginal_error, 1e-12);
  EXPECT_GT(w.iterations, 0);
  std::vector<double> column(t.size(), 0.0);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto row = attention_row(t, s, i, w.data());
    double sum = 0;
    for (std::size_t j = 0; j < t.size(); ++j) {
      sum += row[j];
      column[j] += row[j];
    }
    ASSERT_NEAR(sum, 1.0, 1e-14);
  }
  // Column sums: exact rows times the scaling error, so within the tolerance.
  for (double c : column) EXPECT_NEAR(c, 1.0, 1e-11);
}

TEST(Sinkhorn, ReportsWhenTheIterationCapIsHit) {
  const Density p(density_expr, 2);
  const Tokens t = sample_tokens(p, 300, 3, Sampler::random);
  NormalizationSpec sp = spec(NormalizationKind::sinkhorn);
  sp.sinkhorn_max_iter = 2;
  const ColumnWeights w = column_weights(t, score(0.4), sp);
  EXPECT_FALSE(w.converged);
  EXPECT_GT(w.marginal_error, sp.sinkhorn_tol);
}

TEST(AlphaNormalization, AlphaZeroIsSoftmax) {
  const Density p(density_expr, 2);
  const Tokens t = sample_tokens(p, 500, 5, Sampler::random);
  std::vector<double> u(t.size()), a(t.size()), b(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::cos(t.coord[0][j]);
  const ColumnWeights w = column_weights(t, score(0.3), spec(NormalizationKind::alpha, 0.0));
  apply_attention(t, score(0.3), u.data(), a.data());
  apply_attention(t, score(0.3), u.data(), b.data(), nullptr, w.data());
  for (std::size_t j = 0; j < t.size(); ++j) EXPECT_NEAR(a[j], b[j], 1e-14);
  EXPECT_EQ(normalization_gamma(spec(NormalizationKind::alpha, 0.25)), 1.5);
}

TEST(Normalizations, EveryLayerConservesTheWeightedSum) {
  const Density p(density_expr, 2);
  const Tokens t = sample_tokens(p, 600, 9, Sampler::random);
  const MetricScore s = score(0.35);
  for (const auto& sp : {spec(NormalizationKind::softmax), spec(NormalizationKind::alpha, 0.5),
                         spec(NormalizationKind::alpha, 1.0), spec(NormalizationKind::sinkhorn)}) {
    const ColumnWeights w = column_weights(t, s, sp);
    const auto c = conserved_weights(t, s, w);
    std::vector<double> u(t.size());
    for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::sin(t.coord[0][j]) + 2.0;
    double m0 = 0, scale = 0;
    for (std::size_t j = 0; j < t.size(); ++j) {
      m0 += c[j] * u[j];
      scale += std::abs(c[j] * u[j]);
    }
    run_layers(t, s, 0.6, 4, u, {}, w.data());
    double m = 0;
    for (std::size_t j = 0; j < t.size(); ++j) m += c[j] * u[j];
    EXPECT_NEAR(m, m0, 1e-12 * scale) << normalization_name(sp.kind) << " alpha " << sp.alpha;
  }
}

// T3: relative l2 distance of (A u - u)/(c sigma^2) to L_gamma u for gamma = 0, 1, 2 on
// lattice tokens (negligible sampling error). Each normalization is closest to its own
// gamma, within 5%, and at least 3 times closer than to the other two.
TEST(Normalizations, GeneratorConvergesToItsOwnGamma) {
  const Density p(density_expr, 2);
  const Tokens t = sample_tokens(p, 12000, 1, Sampler::quasi);
  const double sigma = 0.15;
  const MetricScore s = score(sigma);
  const Eigen::MatrixXd G = s.metric.inverse();
  const Expression u_expr("sin(x) + 0.5*cos(2*y) + 0.3*sin(x + y)"), p_expr(density_expr);
  std::vector<double> u(t.size());
  std::array<std::vector<double>, 3> lu;
  for (auto& v : lu) v.resize(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto x = t.point(j);
    u[j] = u_expr.at(x.data(), 2);
    for (int g = 0; g < 3; ++g) lu[g][j] = continuum_generator(u_expr, p_expr, G, g, x.data(), 2);
  }
  const double cst = generator_constant(2.0, 2);
  for (const auto& sp : {spec(NormalizationKind::softmax), spec(NormalizationKind::sinkhorn),
                         spec(NormalizationKind::alpha, 1.0), spec(NormalizationKind::alpha, 0.5)}) {
    const ColumnWeights w = column_weights(t, s, sp);
    std::vector<double> au(t.size());
    apply_attention(t, s, u.data(), au.data(), nullptr, w.data());
    std::array<double, 3> err{};
    for (int g = 0; g < 3; ++g) {
      double d = 0, n = 0;
      for (std::size_t j = 0; j < t.size(); ++j) {
        const double gen = (au[j] - u[j]) / (cst * sigma * sigma);
        d += std::pow(gen - lu[g][j], 2);
        n += lu[g][j] * lu[g][j];
      }
      err[g] = std::sqrt(d / n);
    }
    const int own = static_cast<int>(normalization_gamma(sp));
    std::printf("%-8s alpha %.1f gamma %d: error vs L_0 %.4f, L_1 %.4f, L_2 %.4f\n", normalization_name(sp.kind),
                sp.alpha, own, err[0], err[1], err[2]);
    EXPECT_LT(err[own], 0.05) << normalization_name(sp.kind);
    for (int g = 0; g < 3; ++g)
      if (g != own) {
        EXPECT_LT(3 * err[own], err[g]) << normalization_name(sp.kind) << " vs gamma " << g;
      }
  }
}

}  // namespace
}  // namespace attnpde
