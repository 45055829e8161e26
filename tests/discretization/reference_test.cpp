#include "discretization/reference.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>

namespace attnpde {
namespace {

// L_gamma u against a hand-computed value: u = sin(x) cos(y), p = exp(0.3 cos x)
// (grad log p = (-0.3 sin x, 0)), G = [[a, b], [b, c]]:
//   div(G grad u) = -a sin x cos y - 2 b cos x sin y - c sin x cos y
//   gamma G grad log p . grad u = gamma (-0.3 sin x) (a cos x cos y - b sin x sin y)
TEST(ContinuumGenerator, MatchesHandComputedValue) {
  const Expression u("sin(x)*cos(y)"), p("exp(0.3*cos(x))");
  Eigen::MatrixXd g(2, 2);
  const double a = 0.8, b = 0.25, c = 1.3, gamma = 2.0;
  g << a, b, b, c;
  for (auto [x, y] : {std::pair{0.3, 1.1}, std::pair{2.0, 4.5}, std::pair{5.9, 0.01}}) {
    const double pt[2] = {x, y};
    const double sx = std::sin(x), cx = std::cos(x), sy = std::sin(y), cy = std::cos(y);
    const double exact =
        -a * sx * cy - 2 * b * cx * sy - c * sx * cy + gamma * (-0.3 * sx) * (a * cx * cy - b * sx * sy);
    EXPECT_NEAR(continuum_generator(u, p, g, gamma, pt, 2), exact, 1e-8);
  }
}

TEST(FourierMultipliers, LayersApproachHeatAsSigmaShrinks) {
  Eigen::MatrixXd g = Eigen::MatrixXd::Identity(2, 2);
  Eigen::VectorXd k(2);
  k << 1, 2;
  const double t = 0.2, tau = 0.5;
  double previous = 1;
  for (double sigma : {0.4, 0.2, 0.1}) {
    const int layers = static_cast<int>(std::round(t / (tau * 0.25 * sigma * sigma)));
    const double diff = std::abs(layers_multiplier(k, g, sigma, tau, layers) - heat_multiplier(k, g, t));
    EXPECT_LT(diff, previous / 3.0);  // O(sigma^2): a factor ~4 per halving
    previous = diff;
  }
}

// docs/theory.md section 2 (the seed paper's Theorem 4): for n = 3 and gamma = 2 the limit is
// conformal, L_2 u = p^(4/(n-2)) Delta_gbar u with gbar = p^(4/(n-2)) M. The Laplace-Beltrami
// form is evaluated by nested differences, independently of continuum_generator; with
// gamma = 1 the two differ (the identity is specific to gamma = 2 in 3D).
TEST(ContinuumGenerator, IsTheConformalLaplaceBeltramiOperatorIn3D) {
  const Expression u("sin(x)*cos(y) + 0.4*cos(x + 2*z)"), p("1 + 0.3*sin(x)*cos(y)*cos(z)");
  Eigen::Matrix3d M;
  M << 1.5, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 1.2;
  const Eigen::Matrix3d G = M.inverse();
  for (const auto& x : {std::array<double, 3>{0.3, 1.1, 2.0}, std::array<double, 3>{4.0, 0.2, 5.5},
                        std::array<double, 3>{2.2, 3.3, 0.7}}) {
    const double conformal = conformal_laplace_beltrami(u, p, M, x.data());
    const double limit = continuum_generator(u, p, G, 2.0, x.data(), 3);
    EXPECT_NEAR(conformal, limit, 1e-6 * std::max(1.0, std::abs(limit)));
    EXPECT_GT(std::abs(conformal - continuum_generator(u, p, G, 1.0, x.data(), 3)), 1e-3);
  }
}

}  // namespace
}  // namespace attnpde
