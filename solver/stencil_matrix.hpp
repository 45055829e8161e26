#pragma once
// A matrix with the 3^dim box-stencil pattern of a structured grid (docs/theory.md section 3:
// the operator couples a node to its neighbours at offsets in {-1, 0, 1}^dim), stored as
// coefficient arrays per offset, in float64/float32 or Jacobi-scaled in binary16. Only the
// offsets with a nonzero coefficient at some node are stored (19 of 27 for a full 3 x 3
// metric, whose mixed derivatives never reach the corners). With the grid transfers of
// solver/grid_transfer.hpp these are the pieces of the matrix-free multigrid of
// solver/stencil_multigrid.hpp: a row costs at most 3^dim coefficients and no column
// indices, and every product runs along contiguous x rows with OpenMP threads over rows.
//
// Node numbering is PETSc's natural order on one rank, i + n0 (j + n1 k). Periodic grids wrap;
// in the box a neighbour outside the domain has coefficient zero.

#include <petscmat.h>

#include <array>
#include <cstddef>
#include <vector>

namespace attnpde {

/// Grids of at least this many nodes are worth a second thread (below, waking one costs more
/// than it saves).
inline constexpr long stencil_parallel_nodes = 16384;

/// Calls f(i) for i in [0, count), over OpenMP threads when `parallel` (a plain loop
/// otherwise: an OpenMP region with a false if-clause still costs a team start-up, which
/// the small grids of a multigrid hierarchy would pay many times per cycle).
template <class F>
void for_each_index(int count, bool parallel, F&& f) {
  if (parallel) {
#pragma omp parallel for schedule(static)
    for (int i = 0; i < count; ++i) f(i);
  } else {
    for (int i = 0; i < count; ++i) f(i);
  }
}

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
  /// Natural index i + n0 (j + n1 k) of a node, and the node of an index.
  long index(int i, int j, int k) const {
    return static_cast<long>(i) + static_cast<long>(n[0]) * (j + static_cast<long>(n[1]) * k);
  }
  /// Natural index of the neighbour of node i at offset o (wrapped on the torus), or -1 for
  /// a neighbour outside the box.
  long neighbour_index(long i, const std::array<int, 3>& o) const;
  std::array<int, 3> node(long r) const {
    return {static_cast<int>(r % n[0]), static_cast<int>((r / n[0]) % n[1]),
            static_cast<int>(r / (static_cast<long>(n[0]) * n[1]))};
  }
  /// Where a matrix with `slots` stored offsets keeps the coefficient of its slot-th offset
  /// at position i = row * n0 + column of its rows (grid rows before
  /// CoefficientRows::compact, stored rows after): row by row, offset by offset,
  /// (row * slots + slot) * n0 + column, so that the coefficients a product reads form one
  /// stream (one array per offset would put the streams a power of two apart, which share
  /// cache sets).
  static std::size_t coefficient_index(int slot, long i, int slots, int n0) {
    return coefficient_row(slot, i / n0, slots, n0) + static_cast<std::size_t>(i % n0);
  }
  /// The start of the slot-th offset's coefficients in row `row` of that layout.
  static std::size_t coefficient_row(int slot, long row, int slots, int n0) {
    return static_cast<std::size_t>((row * slots + slot) * n0);
  }
  /// Every direction halved (all must be even).
  GridShape coarsened() const;
};

/// The offsets a stencil matrix stores, in GridShape::offset order.
struct StencilPattern {
  std::vector<std::array<int, 3>> offsets;  // (ox, oy, oz), unused directions 0
  int size() const { return static_cast<int>(offsets.size()); }
  /// Position of an offset (index in [0, 3^dim) of GridShape::offset) in the list, or -1.
  std::vector<int> slot;
  /// A symmetric matrix kept as its upper half: every stored offset o but the centre also
  /// stands for -o, whose coefficient at node i is the one stored for o at node i - o.
  bool mirrored = false;
};

/// The coefficient row each grid row reads. Grid rows (the n1 n2 lines along x) whose
/// coefficients are equal bit for bit share one stored row: with constant coefficients on
/// the torus every grid row is the same, and a product streams only its vectors (the
/// coefficients, K n0 values, stay in L1); in the box the boundary rows differ, and with
/// variable coefficients every row is its own.
class CoefficientRows {
 public:
  /// Keeps one copy of each distinct row of c (grid rows of `length` values each, in order)
  /// and remembers which one every grid row reads.
  template <class C>
  void compact(std::vector<C>& c, std::size_t length);
  /// The stored row of grid row r (r itself before compact).
  long operator()(long r) const { return stored_.empty() ? r : stored_[static_cast<std::size_t>(r)]; }
  /// Distinct rows stored (0 before compact).
  long distinct() const { return distinct_; }

 private:
  std::vector<int> stored_;
  long distinct_ = 0;
};

template <class Real>
class StencilMatrix {
 public:
  StencilMatrix() = default;
  /// The rows of an assembled matrix (sequential AIJ in natural order) on the grid `shape`;
  /// throws if a row reaches beyond the 3^dim neighbourhood.
  StencilMatrix(Mat A, const GridShape& shape);

  const GridShape& shape() const { return shape_; }
  const StencilPattern& pattern() const { return pattern_; }
  /// Coefficient of offset o (GridShape::offset) at node i; zero for an offset not stored.
  Real at(int o, long i) const {
    const int k = pattern_.slot[static_cast<std::size_t>(o)];
    const int n0 = shape_.n[0];
    return k < 0 ? Real(0) : c_[GridShape::coefficient_row(k, rows_(i / n0), pattern_.size(), n0) + i % n0];
  }
  /// Which stored coefficient row each grid row reads.
  const CoefficientRows& rows() const { return rows_; }

  /// y = A x, or y = b - A x when b is given.
  template <class V>
  void multiply(const V* x, V* y, const V* b = nullptr) const;

 private:
  GridShape shape_;
  StencilPattern pattern_;
  std::vector<Real> c_;  // at GridShape::coefficient_index of the pattern's slots and rows_
  CoefficientRows rows_;
};

/// Weights W > 0 (W_0 = 1) for which diag(W) A is symmetric with a positive diagonal, each
/// pair of entries equal to `tolerance` times the larger of their two diagonal entries; an
/// empty vector when A has none. The operator of docs/theory.md section 3 without drift has
/// them (W = w h^dim, the weight times the cell volume, up to a constant): its rows are
/// (1 / W) times a symmetric matrix. A drift, or rows that are not conservative, break it.
/// Found along a spanning tree of the grid (W_r = W_p A_pr / A_rp) and then checked pair by
/// pair.
std::vector<double> symmetrizing_weights(const StencilMatrix<double>& A, double tolerance = 1e-12);

/// A = diag(W)^-1 E with E = diag(W) A symmetric, stored as E's centre and upper half
/// (pairs averaged) plus 1 / W: in 3D with a full G 10 + 1 instead of 19 float64 arrays,
/// the bytes the product reads. Equals A's product to the symmetry tolerance of W.
class SymmetricStencil {
 public:
  SymmetricStencil() = default;
  SymmetricStencil(const StencilMatrix<double>& A, const std::vector<double>& weights);
  bool empty() const { return c_.empty(); }
  const StencilPattern& pattern() const { return pattern_; }
  /// y = A x.
  void multiply(const double* x, double* y) const;
  const CoefficientRows& rows() const { return rows_; }

 private:
  GridShape shape_;
  StencilPattern pattern_;  // centre and upper offsets, mirrored
  std::vector<double> c_, inv_weight_;
  CoefficientRows rows_;
};

/// D^-1 A for a stencil matrix A with a nonzero diagonal D: the rows divided by their centre
/// coefficient and stored in binary16 (11 significant bits, relative rounding 2^-11) without
/// the centre (which is 1), the diagonal in float32. A quarter of the bytes of a float64
/// row, for the multigrid cycle, which only needs an approximate inverse and is bound by
/// memory traffic.
///
/// Given weights W with diag(W) A = E symmetric (symmetrizing_weights), it stores instead
/// the symmetric Jacobi scaling S = Q^-1 E Q^-1, Q = diag(q), q = (W_i A_ii)^1/2: unit
/// diagonal, upper half only (half the coefficients again). S = Q (D^-1 A) Q^-1 has the
/// spectrum of D^-1 A, and iterating on S y = Q^-1 W b for y = Q x is the Jacobi-scaled
/// iteration on A x = b. Then "x" below is y = Q x, "D" is diag(q / W) (so that A x = D S y
/// and D^-1 b = Q^-1 W b), and variable_scale() is q.
class ScaledStencil {
 public:
  ScaledStencil() = default;
  /// From the rows of an assembled matrix (as StencilMatrix); throws if a scaled coefficient
  /// leaves the binary16 range.
  ScaledStencil(Mat A, const GridShape& shape) : ScaledStencil(StencilMatrix<double>(A, shape)) {}
  /// Symmetric storage when `weights` (symmetrizing_weights of rows) is not empty.
  explicit ScaledStencil(const StencilMatrix<double>& rows, const std::vector<double>& weights = {});

  const GridShape& shape() const { return shape_; }
  const std::vector<float>& inverse_diagonal() const { return inv_diag_; }
  /// q with y = q x for the symmetric storage, null for the general one (q = 1).
  const float* variable_scale() const { return scale_.empty() ? nullptr : scale_.data(); }
  bool symmetric() const { return pattern_.mirrored; }
  const CoefficientRows& rows() const { return rows_; }

  enum class Output {
    product,            ///< y = D^-1 A x
    scaled_residual,    ///< y = D^-1 (b - A x)
    residual,           ///< y = b - A x
    residual_of_scaled  ///< y = b - A x for the argument D^-1 b
  };
  void apply(const float* x, float* y, Output output, const float* b = nullptr) const;
  /// One step of a polynomial smoother in one pass: d = keep d + step D^-1 (b - A x),
  /// x_next = x + d, from the scaled right-hand side D^-1 b (x_next must not alias x: every
  /// row reads its neighbours' x).
  void chebyshev_step(const float* x, float* x_next, const float* scaled_b, float* d, float keep, float step) const;

 private:
  GridShape shape_;
  StencilPattern pattern_;   // the matrix's offsets but the centre
  std::vector<_Float16> c_;  // a_o / a_centre at GridShape::coefficient_index and rows_
  std::vector<float> diag_, inv_diag_, scale_;
  CoefficientRows rows_;
};

}  // namespace attnpde
