// Token transport (docs/theory.md section 4): blurring mean shift moves each token by tau b(x_i)
// and makes the tokens cluster.
#include "attention/transport.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/kernel.hpp"
#include "attention/kramers_moyal.hpp"

namespace attnpde {
namespace {

TEST(TokenTransport, MovesByTheDriftAndClusters) {
  const Density p("1 + 0.5*sin(x)*cos(y)", 2);
  Tokens t = sample_tokens(p, 600, 8, Sampler::random);
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const MetricScore s{m, 2.0, 0.4};
  const double tau = 0.5;
  // One layer moves token i by tau b(x_i) (modulo the period).
  std::vector<std::array<double, 3>> x(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) x[j] = t.point(j);
  const KramersMoyal km = kramers_moyal(t, s, nullptr, x);
  Tokens moved = t;
  move_tokens(moved, transport_velocity_direct(moved, s, nullptr), tau);
  for (std::size_t j = 0; j < t.size(); ++j)
    for (int d = 0; d < 2; ++d) {
      double shift = moved.coord[d][j] - x[j][d] - tau * km.drift[2 * j + d];
      shift -= torus_period * std::round(shift / torus_period);
      ASSERT_NEAR(shift, 0.0, 1e-12);
      ASSERT_GE(moved.coord[d][j], 0.0);
      ASSERT_LT(moved.coord[d][j], torus_period);
    }
  // Many layers: fewer clusters and closer neighbours (the backward heat flow).
  const double link = 0.1 * s.sigma;
  ClusterStats before = cluster_stats(t, m, link), after{};
  for (int k = 0; k < 30; ++k) move_tokens(t, transport_velocity_direct(t, s, nullptr), tau);
  after = cluster_stats(t, m, link);
  std::printf("clusters %d -> %d, mean nearest neighbour %.4f -> %.4f\n", before.clusters, after.clusters,
              before.mean_nearest_neighbour, after.mean_nearest_neighbour);
  EXPECT_LT(after.clusters * 5, before.clusters);  // collapses to a few clusters
  EXPECT_LT(after.mean_nearest_neighbour, 0.1 * before.mean_nearest_neighbour);
}

TEST(TokenTransport, ClusterCountOfSeparatedGroups) {
  Tokens t;
  t.dim = 1;
  t.coord[0] = {0.1, 0.15, 0.2, 3.0, 3.05, 6.25};  // 6.25 links to 0.1 across the period
  const auto s = cluster_stats(t, Eigen::MatrixXd::Identity(1, 1), 0.2);
  EXPECT_EQ(s.clusters, 2);
  EXPECT_NEAR(s.mean_nearest_neighbour, (0.05 + 0.05 + 0.05 + 0.05 + 0.05 + (0.1 + torus_period - 6.25)) / 6, 1e-12);
}

// The kernel velocity read in charts of the torus equals the minimum-image row moments, on
// the dense and the truncated kernel, with 2 and 4 charts, and in the box.
TEST(TokenTransport, ChartVelocityEqualsMinimumImageMoments) {
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  for (const char* kind : {"torus", "box"}) {
    const Domain domain{std::string(kind) == "torus" ? DomainKind::torus : DomainKind::box};
    const Density p("1 + 0.3*cos(x)*sin(y)", 2, domain);
    const Tokens t = sample_tokens(p, 900, 3, Sampler::random);
    for (double sigma : {0.12, 0.3}) {
      const MetricScore s{m, 2.0, sigma};
      const auto direct = transport_velocity_direct(t, s, nullptr);
      const int charts = domain.periodic() ? velocity_charts(s, 0.0) : 1;
      ASSERT_GT(charts, 0) << sigma;
      if (domain.periodic()) {
        EXPECT_EQ(charts, sigma < 0.2 ? 2 : 4);
      }
      const DenseKernel dense(t, s);
      const auto v = transport_velocity(dense, t, nullptr, charts);
      double worst = 0, scale = 0;
      for (std::size_t q = 0; q < v.size(); ++q) {
        worst = std::max(worst, std::abs(v[q] - direct[q]));
        scale = std::max(scale, std::abs(direct[q]));
      }
      EXPECT_LT(worst, 1e-12 * scale) << kind << " sigma " << sigma;
      // With two charts where four are needed, tokens near a cut see wrong images.
      if (domain.periodic() && charts == 4) {
        const auto wrong = transport_velocity(dense, t, nullptr, 2);
        double w = 0;
        for (std::size_t q = 0; q < v.size(); ++q) w = std::max(w, std::abs(wrong[q] - direct[q]));
        EXPECT_GT(w, 1e-12 * scale);
      }
    }
  }
}

// docs/theory.md section 6: the Gaussian map in 1D is S -> (1 - tau b)^2 S with
// b = 1 / (1 + 2 S M / eps); repulsion uses 1 + tau b.
TEST(TokenTransport, GaussianLayerMapClosedForm) {
  Eigen::MatrixXd S(1, 1), M(1, 1);
  S << 0.7;
  M << 1.5;
  const double eps = 0.4, tau = 0.5, b = 1.0 / (1.0 + 2 * 0.7 * 1.5 / eps);
  EXPECT_NEAR(gaussian_layer_map(S, M, eps, tau)(0, 0), (1 - tau * b) * (1 - tau * b) * 0.7, 1e-15);
  EXPECT_NEAR(gaussian_layer_map(S, M, eps, -tau)(0, 0), (1 + tau * b) * (1 + tau * b) * 0.7, 1e-15);
  // 2D: symmetric, and positive definite after an attracting layer.
  Eigen::MatrixXd S2(2, 2), M2(2, 2);
  S2 << 1.0, 0.3, 0.3, 0.5;
  M2 << 2.0, 0.6, 0.6, 1.0;
  const Eigen::MatrixXd T = gaussian_layer_map(S2, M2, 1.0, 0.5);
  EXPECT_NEAR(T(0, 1), T(1, 0), 1e-15);
  EXPECT_GT(Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(T).eigenvalues().minCoeff(), 0.0);
  EXPECT_LT(T.trace(), S2.trace());
}

TEST(TokenTransport, FourierMomentsAndModes) {
  EXPECT_EQ(half_space_modes(1, 2).size(), 2u);
  EXPECT_EQ(half_space_modes(2, 2).size(), 12u);
  EXPECT_EQ(half_space_modes(3, 1).size(), 13u);
  Tokens t;
  t.dim = 1;
  t.domain = Domain{DomainKind::torus};
  for (int j = 0; j < 8; ++j) t.coord[0].push_back(torus_period * j / 8.0);
  t.coord[0][0] = 0.25;  // one token off the lattice
  const auto m = fourier_moments(t, {{1, 0, 0}});
  EXPECT_NEAR(m[0].real(), (std::cos(0.25) - 1.0) / 8.0, 1e-15);
  EXPECT_NEAR(m[0].imag(), -std::sin(0.25) / 8.0, 1e-15);
}

}  // namespace
}  // namespace attnpde
