// Continuous depth: K layers with step tau are explicit Euler steps of
// du/dt = (A u - u)/(c sigma^2); their distance to the Odeint solution at the same time
// is first order in tau.
#include "attention/continuous.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/layers.hpp"

namespace attnpde {
namespace {

TEST(ContinuousDepth, LayersConvergeToTheOdeFirstOrderInTau) {
  const Density p("1 + 0.5*sin(x)*cos(y)", 2);
  const Tokens t = sample_tokens(p, 1500, 4, Sampler::quasi);
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const MetricScore s{m, 2.0, 0.3};
  const double c = generator_constant(2.0, 2);
  std::vector<double> u0(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u0[j] = std::sin(t.coord[0][j]) + 0.5 * std::cos(2 * t.coord[1][j]);
  const double t_end = 0.09;  // 10, 20, 40 layers
  std::vector<double> ode = u0;
  OdeStats stats;
  integrate_continuous(t, s, nullptr, c, 0.0, t_end, 1e-11, 1e-13, ode, stats);
  EXPECT_GT(stats.steps, 0);
  std::vector<double> diffs;
  for (double tau : {0.4, 0.2, 0.1}) {
    const int layers = static_cast<int>(std::lround(t_end / (tau * c * s.sigma * s.sigma)));
    ASSERT_NEAR(layer_time(layers, tau, generator_constant(2.0, 2), s.sigma), t_end, 1e-12);
    std::vector<double> u = u0;
    run_layers(t, s, tau, layers, u);
    double d = 0;
    for (std::size_t j = 0; j < u.size(); ++j) d = std::max(d, std::abs(u[j] - ode[j]));
    diffs.push_back(d);
  }
  for (std::size_t k = 1; k < diffs.size(); ++k) {
    const double order = std::log2(diffs[k - 1] / diffs[k]);
    std::printf("max |layers - ode| %.3e, order in tau %.3f\n", diffs[k], order);
    EXPECT_GT(order, 0.9);
    EXPECT_LT(order, 1.1);
  }
}

}  // namespace
}  // namespace attnpde
