#pragma once
// Interpolation of periodic grid data (nodes x = i h_d) to arbitrary points: tensor
// product of degree-5 Lagrange polynomials on the 6 nearest nodes per direction.
// Error O(h^6) for smooth data, far below the O(h^2) error of the finite-difference
// solution it is applied to.

#include <array>
#include <vector>

namespace attnpde {

class PeriodicInterpolator {
 public:
  /// `values` in natural order (x fastest), nodes[d] points per direction, period 2 pi.
  PeriodicInterpolator(int dim, const std::array<int, 3>& nodes, std::vector<double> values);
  double operator()(const double* x) const;

 private:
  int dim_;
  std::array<int, 3> n_;
  std::array<double, 3> h_;
  std::vector<double> v_;
};

}  // namespace attnpde
