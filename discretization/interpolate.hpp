#pragma once
// Interpolation of grid data (the nodes of discretization/grid.hpp) to arbitrary points:
// tensor product of degree-5 Lagrange polynomials on the 6 nearest nodes per direction,
// wrapped around on the torus and shifted inwards next to the walls of the box (points
// between a wall and the first cell centre are extrapolated over half a cell). Error
// O(h^6) for smooth data, far below the O(h^2) error of the finite-difference solution it
// is applied to.

#include <array>
#include <vector>

#include "attention/domain.hpp"

namespace attnpde {

class GridInterpolator {
 public:
  /// `values` in natural order (x fastest), nodes[d] points per direction.
  GridInterpolator(int dim, const std::array<int, 3>& nodes, std::vector<double> values, Domain domain = {});
  double operator()(const double* x) const;

 private:
  int dim_;
  Domain domain_;
  std::array<int, 3> n_;
  std::array<double, 3> h_;
  std::vector<double> v_;
};

}  // namespace attnpde
