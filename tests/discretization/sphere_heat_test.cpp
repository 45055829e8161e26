#include "discretization/sphere_heat.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/sphere.hpp"
#include "discretization/reference.hpp"

namespace attnpde {
namespace {

TEST(SphereHeat, HarmonicsAreOrthonormal) {
  const int L = 6;
  const auto q = sphere_quadrature(3, 12);
  const std::size_t count = (L + 1) * (L + 1);
  std::vector<double> gram(count * count, 0.0), y;
  for (std::size_t k = 0; k < q.points.size(); ++k) {
    SphereHeat::harmonics(L, q.points[k].data(), y);
    for (std::size_t a = 0; a < count; ++a)
      for (std::size_t b = 0; b < count; ++b) gram[a * count + b] += q.weights[k] * y[a] * y[b];
  }
  for (std::size_t a = 0; a < count; ++a)
    for (std::size_t b = 0; b < count; ++b)
      EXPECT_NEAR(gram[a * count + b], a == b ? 1.0 : 0.0, 1e-13) << a << " " << b;
}

TEST(SphereHeat, HarmonicPolynomialsDecayByTheirEigenvalue) {
  // x y (l = 2), z (l = 1) and x^3 - 3 x y^2 (l = 3): u(t) = exp(-l (l + 1) t) u0.
  const double t = 0.37;
  const double pts[3][3] = {{0.6, 0.0, 0.8}, {0.0, -1.0, 0.0}, {0.48, 0.6, 0.64}};
  std::array<std::vector<double>, 3> c;
  for (const auto& p : pts)
    for (int d = 0; d < 3; ++d) c[static_cast<std::size_t>(d)].push_back(p[d]);
  const std::array<const double*, 3> x = {c[0].data(), c[1].data(), c[2].data()};
  struct Case {
    const char* u;
    int l;
  };
  for (const Case& k : {Case{"x*y", 2}, Case{"z", 1}, Case{"x^3 - 3*x*y^2", 3}}) {
    const Expression u(k.u);
    const SphereHeat heat(u, 10);
    EXPECT_LT(heat.residual(), 1e-13) << k.u;
    const auto v = heat.at(t, x, 3);
    for (int j = 0; j < 3; ++j)
      EXPECT_NEAR(v[static_cast<std::size_t>(j)], std::exp(-k.l * (k.l + 1.0) * t) * u.at(pts[j], 3), 1e-13) << k.u;
  }
  // A non-harmonic polynomial mixes degrees: x^2 = 1/3 + (x^2 - 1/3) (l = 0 and 2).
  const SphereHeat sq(Expression("x^2"), 10);
  const auto v = sq.at(t, x, 3);
  for (int j = 0; j < 3; ++j)
    EXPECT_NEAR(v[static_cast<std::size_t>(j)], 1.0 / 3 + std::exp(-6 * t) * (pts[j][0] * pts[j][0] - 1.0 / 3), 1e-13);
}

TEST(SphereGenerator, LaplaceBeltramiOfHarmonicsAndTheDriftOnTheCircle) {
  // S^2: Delta_S Y_l = -l (l + 1) Y_l for any density when gamma = 0.
  const double p[3] = {0.48, 0.6, 0.64};
  const Expression one("1");
  EXPECT_NEAR(sphere_generator(Expression("x*y"), one, 2.0, p, 3), -6 * 0.48 * 0.6, 1e-8);
  EXPECT_NEAR(sphere_generator(Expression("z"), Expression("2 + x"), 0.0, p, 3), -2 * 0.64, 1e-8);
  // The circle with p = 1 + 0.3 x (x = cos theta) and u = y = sin theta:
  // L u = u'' + gamma (log p)' u' = -sin - gamma 0.3 sin cos / (1 + 0.3 cos).
  const double th = 0.9, q[2] = {std::cos(th), std::sin(th)};
  const double gamma = 2.0;
  const double expected = -std::sin(th) - gamma * 0.3 * std::sin(th) * std::cos(th) / (1 + 0.3 * std::cos(th));
  EXPECT_NEAR(sphere_generator(Expression("y"), Expression("1 + 0.3*x"), gamma, q, 2), expected, 1e-8);
}

}  // namespace
}  // namespace attnpde
