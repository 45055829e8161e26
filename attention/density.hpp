#pragma once
// The token density p on the domain (torus [0, 2 pi)^dim, box [0, 1]^dim, or the unit
// sphere in R^dim with p in the ambient coordinates), from an expression; normalized
// numerically so that its integral over the domain is 1 (midpoint rule on the tabulation
// grid: spectrally accurate for smooth periodic p on the torus, second order in the box;
// on the sphere the surface quadrature of attention/sphere.hpp, spectral).

#include <array>
#include <string>

#include "attention/domain.hpp"
#include "attention/expression.hpp"

namespace attnpde {

class Density {
 public:
  /// Tabulates `expr` on `resolution`^dim midpoints (0: default_resolution(dim)) to find
  /// its range and integral.
  /// Does not validate positivity: call min_value() and decide.
  Density(const std::string& expr, int dim, Domain domain = {}, int resolution = 0);

  static int default_resolution(int dim);

  int dim() const { return dim_; }
  const Domain& domain() const { return domain_; }
  /// Normalized density at a point with dim coordinates.
  double operator()(const double* x) const { return expr_.at(x, dim_) / integral_; }
  /// Unnormalized expression value.
  double raw(const double* x) const { return expr_.at(x, dim_); }
  /// Smallest / largest tabulated raw value, and where the smallest was found.
  double min_raw() const { return min_raw_; }
  double max_raw() const { return max_raw_; }
  const std::array<double, 3>& argmin() const { return argmin_; }
  /// Integral of the raw expression over the domain.
  double integral() const { return integral_; }
  /// Upper bound of the raw expression used by rejection sampling (tabulated maximum
  /// with a safety margin).
  double rejection_bound() const;
  bool is_uniform() const { return expr_.is_constant(); }
  const std::string& text() const { return expr_.text(); }

 private:
  int dim_;
  Domain domain_;
  Expression expr_;
  double min_raw_ = 0, max_raw_ = 0, integral_ = 1;
  std::array<double, 3> argmin_{};
};

}  // namespace attnpde
