#pragma once
// The exact heat semigroup of the unit sphere S^2 (docs/theory.md section 9): the limit
// reference of attention on S^2 with a uniform density, where L_gamma is the
// Laplace-Beltrami operator for every gamma. The initial values u0 (an expression in the
// ambient coordinates) are expanded in real spherical harmonics Y_lm, l <= degree, by
// Gauss-Legendre x trapezoid quadrature (exact for polynomials of degree 2 (degree + 8) - 1),
// and each degree decays by its eigenvalue l (l + 1):
//   u(t) = sum_lm exp(-l (l + 1) t) c_lm Y_lm,   c_lm = integral u0 Y_lm dA.
// A harmonic polynomial of degree l restricted to the sphere is one Y_l component, so its
// solution is exp(-l (l + 1) t) u0 to round-off.

#include <array>
#include <vector>

#include "attention/expression.hpp"

namespace attnpde {

class SphereHeat {
 public:
  explicit SphereHeat(const Expression& u0, int degree = 40);
  /// u(t) at the points (unit vectors in R^3), `count` of them, coordinates x[d][j].
  std::vector<double> at(double t, const std::array<const double*, 3>& x, std::size_t count) const;
  /// The expansion's relative l2 residual on the quadrature nodes: how well degree
  /// `degree` resolves u0 (round-off for harmonic polynomials up to that degree).
  double residual() const { return residual_; }
  int degree() const { return degree_; }
  /// c_lm in the order (l, m = -l .. l): index l^2 + l + m.
  const std::vector<double>& coefficients() const { return c_; }

  /// The real orthonormal spherical harmonics Y_lm at the unit vector x, l <= degree, in
  /// the order of coefficients() ((degree + 1)^2 values).
  static void harmonics(int degree, const double* x, std::vector<double>& y);

 private:
  int degree_;
  std::vector<double> c_;
  double residual_ = 0;
};

}  // namespace attnpde
