#pragma once
// Linear interpolation between a structured grid and the grid with every direction halved
// (solver/stencil_matrix.hpp's GridShape), applied from 1D weights without a matrix, and the
// same operator assembled for the Galerkin products of solver/stencil_multigrid.hpp.

#include <petscmat.h>

#include <array>
#include <vector>

#include "solver/stencil_matrix.hpp"

namespace attnpde {

/// Linear interpolation P from the coarsened grid to `fine`, the tensor product of 1D
/// weights: an even fine index 2I takes coarse node I; an odd one the mean of I and I + 1
/// (wrapped on the torus; the last box node copies its left neighbour). Rows of P sum to 1.
class Interpolation {
 public:
  explicit Interpolation(const GridShape& fine);
  /// x_fine += P x_coarse, or x_fine += diag(scale) P x_coarse when scale is given.
  template <class V>
  void prolong_add(const V* coarse, V* fine, const V* scale = nullptr) const;
  /// coarse = P^T fine.
  template <class V>
  void restrict_to(const V* fine, V* coarse) const;
  /// P as a sequential AIJ matrix (for the Galerkin products P^T A P).
  Mat assemble() const;

 private:
  struct Weights {  // per index: two source indices and weights (weight 0: unused)
    std::vector<int> lo, hi;
    std::vector<double> wlo, whi;
  };
  struct Gather {  // per coarse index: three fine indices and weights
    std::vector<std::array<int, 3>> index;
    std::vector<std::array<double, 3>> weight;
  };
  GridShape fine_, coarse_;
  std::array<Weights, 3> up_;
  std::array<Gather, 3> down_;
};

}  // namespace attnpde
