// Eigenpairs with SLEPc (solver/spectrum.hpp, docs/theory.md section 8): the FD operator's
// spectrum converges at second order to the exact one, and the attention operator of
// equispaced tokens on the circle has the Gaussian multipliers as its spectrum.
#include "solver/spectrum.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attention/expression.hpp"
#include "discretization/operator.hpp"
#include "support/orders.hpp"

namespace attnpde {
namespace {

// k^T G k over integer k with |k_d| <= 4, sorted (with multiplicities).
std::vector<double> torus_spectrum(const Eigen::Matrix2d& G, std::size_t count) {
  std::vector<double> v;
  for (int a = -4; a <= 4; ++a)
    for (int b = -4; b <= 4; ++b) {
      const Eigen::Vector2d k(a, b);
      v.push_back(k.dot(G * k));
    }
  std::sort(v.begin(), v.end());
  v.resize(count);
  return v;
}

Eigen::Matrix2d full_metric() {
  Eigen::Matrix2d G;
  G << 1.0, 0.3, 0.3, 0.7;
  return G;
}

TEST(FdSpectrum, UniformTorusConvergesToKGkWithMultiplicitiesAtSecondOrder) {
  const auto exact = torus_spectrum(full_metric(), 9);
  std::vector<double> errs;
  for (int n : {16, 32, 64}) {
    Grid grid(PETSC_COMM_WORLD, {n, n});
    auto one = [](const double*) { return 1.0; };
    MatOwner L = assemble_operator(grid, Eigen::MatrixXd(full_metric()), one);
    VecOwner mass = mass_weights(grid, one);
    SpectrumOptions opt;
    opt.count = 9;
    const Eigenpairs e = fd_spectrum(grid, L, mass, opt);
    ASSERT_EQ(e.values.size(), 9u);
    EXPECT_NEAR(e.values[0], 0.0, 1e-9);
    double err = 0;
    for (std::size_t k = 1; k < 9; ++k) err = std::max(err, std::abs(e.values[k] - exact[k]) / exact[k]);
    errs.push_back(err);
  }
  testing::expect_orders("FD eigenvalues, uniform torus, full G", errs, 1.9, 2.1);
}

// In the box with a full G and a non-uniform weight no closed form exists: the observed
// order of the leading eigenvalues from the three finest of four grids (32 to 256 cells),
// (l_h - l_h/2) / (l_h/2 - l_h/4) = 2^q, checks that the zero-flux treatment (Schur
// complement next to the walls) converges at q = 2 (1.63 to 2.45 already at 16 to 64).
TEST(FdSpectrum, BoxWithFullMetricConvergesAtSecondOrder) {
  Eigen::MatrixXd G(2, 2);
  G << 0.08, 0.04, 0.04, 0.05;
  const Expression p("1 + 0.5*x + 0.3*y^2");
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  std::vector<std::vector<double>> values;
  for (int n : {32, 64, 128, 256}) {
    Grid grid(PETSC_COMM_WORLD, {n, n}, Domain{DomainKind::box});
    MatOwner L = assemble_operator(grid, G, w);
    VecOwner mass = mass_weights(grid, w);
    SpectrumOptions opt;
    opt.count = 5;
    values.push_back(fd_spectrum(grid, L, mass, opt).values);
  }
  for (std::size_t k = 1; k < 5; ++k) {
    const double q = std::log2((values[1][k] - values[2][k]) / (values[2][k] - values[3][k]));
    std::printf("eigenvalue %zu: %.10f %.10f %.10f %.10f, observed order %.3f\n", k, values[0][k], values[1][k],
                values[2][k], values[3][k], q);
    EXPECT_GT(q, 1.85) << "eigenvalue " << k;
    EXPECT_LT(q, 2.2) << "eigenvalue " << k;
  }
}

// Equispaced tokens on the circle make A circulant: its eigenvalues are the Riemann sums of
// the Gaussian's Fourier transform, exp(-sigma^2 k^2 / 4) to spectral accuracy, each k != 0
// twice (cos and sin).
TEST(AttentionSpectrum, EquispacedCircleHasTheGaussianMultipliers) {
  const int n = 400;
  Tokens t;
  t.dim = 1;
  t.domain = Domain{DomainKind::torus};
  for (int j = 0; j < n; ++j) t.coord[0].push_back(2.0 * M_PI * j / n);
  MetricScore score;
  score.metric = Eigen::MatrixXd::Identity(1, 1);
  score.sigma = 0.3;
  DenseKernel kernel(t, score);
  const double scale = 0.25 * score.sigma * score.sigma;
  SpectrumOptions opt;
  opt.count = 7;
  const Eigenpairs e = attention_spectrum(kernel, ColumnWeights{}, scale, opt, PETSC_COMM_SELF);
  ASSERT_EQ(e.values.size(), 7u);
  const int ks[7] = {0, 1, 1, 2, 2, 3, 3};
  for (int m = 0; m < 7; ++m) {
    const double k2 = ks[m] * ks[m];
    const double exact = (1.0 - std::exp(-score.sigma * score.sigma * k2 / 4.0)) / scale;
    EXPECT_NEAR(e.values[static_cast<std::size_t>(m)], exact, 1e-9) << "index " << m;
  }
  // The eigenvectors are cos(k x), sin(k x) with unit mean square: the k = 1 pair spans them.
  for (int m = 1; m <= 2; ++m) {
    const auto& v = e.vectors[static_cast<std::size_t>(m)];
    double c = 0, s = 0;
    for (int j = 0; j < n; ++j) {
      c += v[static_cast<std::size_t>(j)] * std::cos(t.coord[0][static_cast<std::size_t>(j)]) * 2.0 / n;
      s += v[static_cast<std::size_t>(j)] * std::sin(t.coord[0][static_cast<std::size_t>(j)]) * 2.0 / n;
    }
    EXPECT_NEAR(c * c + s * s, 2.0, 1e-8);
  }
  EXPECT_GT(e.matvecs, 0);
}

}  // namespace
}  // namespace attnpde
