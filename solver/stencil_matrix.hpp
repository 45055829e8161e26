#pragma once
// A matrix with the 3^dim box-stencil pattern of a structured grid (docs/theory.md section 3:
// the operator couples a node to its neighbours at offsets in {-1, 0, 1}^dim), stored as one
// coefficient array per offset (structure of arrays), and the linear interpolation between
// a grid and the grid with every direction halved. These are the pieces of the matrix-free
// multigrid of solver/stencil_multigrid.hpp: a row costs 3^dim coefficients and no column
// indices, and every product runs along contiguous x rows with OpenMP threads over rows.
//
// Node numbering is PETSc's natural order on one rank, i + n0 (j + n1 k). Periodic grids wrap;
// in the box a neighbour outside the domain has coefficient zero.

#include <petscmat.h>

#include <array>
#include <vector>

namespace attnpde {

/// Nodes per direction (unused directions: 1), the dimension and the boundary kind.
struct GridShape {
  std::array<int, 3> n{1, 1, 1};
  int dim = 1;
  bool periodic = true;

  long size() const { return static_cast<long>(n[0]) * n[1] * n[2]; }
  /// 3^dim.
  int offsets() const { return dim == 1 ? 3 : dim == 2 ? 9 : 27; }
  /// Index along d of the neighbour at offset o in {-1, 0, 1} of coordinate c: wrapped on
  /// the torus; in the box clamped to c (the coefficient of that neighbour is zero).
  int neighbour(int d, int c, int o) const;
  /// Index in [0, 3^dim) of the offset (ox, oy, oz): (ox + 1) + 3 (oy + 1) + 9 (oz + 1) over
  /// the used directions.
  int offset(int ox, int oy, int oz) const {
    return (ox + 1) + (dim > 1 ? 3 * (oy + 1) : 0) + (dim > 2 ? 9 * (oz + 1) : 0);
  }
  /// Every direction halved (all must be even).
  GridShape coarsened() const;
};

template <class Real>
class StencilMatrix {
 public:
  StencilMatrix() = default;
  /// The rows of an assembled matrix (sequential AIJ in natural order) on the grid `shape`;
  /// throws if a row reaches beyond the 3^dim neighbourhood.
  StencilMatrix(Mat A, const GridShape& shape);

  const GridShape& shape() const { return shape_; }
  /// Coefficient of offset o at node i.
  Real at(int o, long i) const { return c_[static_cast<std::size_t>(o * shape_.size() + i)]; }

  /// y = A x, or y = b - A x when b is given.
  template <class V>
  void multiply(const V* x, V* y, const V* b = nullptr) const;

 private:
  GridShape shape_;
  std::vector<Real> c_;  // c_[o * size + i]
};

/// D^-1 A for a stencil matrix A with a nonzero diagonal D: the rows divided by their centre
/// coefficient and stored in binary16 (11 significant bits, relative rounding 2^-11), the
/// diagonal in float32. A quarter of the bytes of a float64 row, for the multigrid cycle,
/// which only needs an approximate inverse and is bound by memory traffic.
class ScaledStencil {
 public:
  ScaledStencil() = default;
  /// From the rows of an assembled matrix (as StencilMatrix); throws if a scaled coefficient
  /// leaves the binary16 range.
  ScaledStencil(Mat A, const GridShape& shape) : ScaledStencil(StencilMatrix<double>(A, shape)) {}
  explicit ScaledStencil(const StencilMatrix<double>& rows);

  const GridShape& shape() const { return shape_; }
  const std::vector<float>& inverse_diagonal() const { return inv_diag_; }

  enum class Output {
    product,          ///< y = D^-1 A x
    scaled_residual,  ///< y = D^-1 (b - A x)
    residual          ///< y = b - A x
  };
  void apply(const float* x, float* y, Output output, const float* b = nullptr) const;

 private:
  GridShape shape_;
  std::vector<_Float16> c_;  // c_[o * size + i] = a_o(i) / a_centre(i)
  std::vector<float> diag_, inv_diag_;
};

/// Linear interpolation P from the coarsened grid to `fine`, the tensor product of 1D
/// weights: an even fine index 2I takes coarse node I; an odd one the mean of I and I + 1
/// (wrapped on the torus; the last box node copies its left neighbour). Rows of P sum to 1.
class Interpolation {
 public:
  explicit Interpolation(const GridShape& fine);
  /// x_fine += P x_coarse.
  template <class V>
  void prolong_add(const V* coarse, V* fine) const;
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
