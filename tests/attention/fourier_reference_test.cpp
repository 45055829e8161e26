// T2 on the uniform torus (docs/theory.md section 2): with p uniform and beta = 2, K layers act
// on the Fourier mode k as (1 - tau + tau lambda_k)^K, lambda_k = exp(-sigma^2 k^T G k/4),
// an exact N -> infinity reference at finite sigma. Many quasi-random tokens must match it
// far more closely than the heat semigroup exp(-t_K k^T G k) does (the O(sigma^2) bias).
#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/layers.hpp"
#include "discretization/reference.hpp"

namespace attnpde {
namespace {

struct Mode {
  double kx, ky, a, phase;
};

TEST(UniformTorus, LayersMatchFourierMultiplier) {
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, 12000, 5, Sampler::quasi);
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const Eigen::MatrixXd G = m.inverse();
  const double sigma = 0.3, tau = 0.5;
  const int layers = 20;
  const double t_k = layer_time(layers, tau, generator_constant(2.0, 2), sigma);
  const std::vector<Mode> modes = {{1, 0, 1.0, 0.0}, {1, 2, 0.5, 0.3}, {0, 3, 0.2, -1.0}};

  auto field = [&](double x, double y, auto multiplier) {
    double v = 0;
    for (const auto& md : modes) {
      Eigen::Vector2d k(md.kx, md.ky);
      v += md.a * multiplier(k) * std::cos(md.kx * x + md.ky * y + md.phase);
    }
    return v;
  };
  std::vector<double> u(t.size()), ref(t.size()), heat(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    const double x = t.coord[0][j], y = t.coord[1][j];
    u[j] = field(x, y, [](const Eigen::VectorXd&) { return 1.0; });
    ref[j] = field(x, y, [&](const Eigen::VectorXd& k) { return layers_multiplier(k, G, sigma, tau, layers); });
    heat[j] = field(x, y, [&](const Eigen::VectorXd& k) { return heat_multiplier(k, G, t_k); });
  }
  run_layers(t, MetricScore{m, 2.0, sigma}, tau, layers, u);
  double e_ref = 0, e_heat = 0, norm = 0;
  for (std::size_t j = 0; j < t.size(); ++j) {
    e_ref += std::pow(u[j] - ref[j], 2);
    e_heat += std::pow(u[j] - heat[j], 2);
    norm += ref[j] * ref[j];
  }
  e_ref = std::sqrt(e_ref / norm);
  e_heat = std::sqrt(e_heat / norm);
  std::printf("relative l2: layers vs Fourier multiplier %.3e, vs heat semigroup %.3e\n", e_ref, e_heat);
  // Lattice tokens integrate the smooth periodic kernel sums to near round-off, so the
  // layers reproduce the exact multiplier far below the O(sigma^2) gap to the heat flow.
  const double tol = 1e-9;
  EXPECT_LT(e_ref, tol);
  EXPECT_GT(e_heat, 1e-3);
}

}  // namespace
}  // namespace attnpde
