// Token transport (docs/theory.md section 4): blurring mean shift moves each token by tau b(x_i)
// and makes the tokens cluster.
#include "attention/transport.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
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
  transport_layer(moved, s, nullptr, tau);
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
  for (int k = 0; k < 30; ++k) transport_layer(t, s, nullptr, tau);
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

}  // namespace
}  // namespace attnpde
