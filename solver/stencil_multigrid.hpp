#pragma once
// Matrix-free geometric multigrid for the implicit steps, shift I - L with L the operator of
// docs/theory.md section 3 (any G, G(x), weight, drift, torus or box), on one rank.
//
// The operator's assembled rows are read once into 3^dim coefficient arrays
// (solver/stencil_matrix.hpp); the Krylov products use them in float64 through a PETSc shell
// matrix, equal to the assembled product to round-off. The preconditioner is one V-cycle:
//  - levels: every direction halved while all node counts stay even and >= 8
//    (PdeSolver::multigrid_levels), linear interpolation P, Galerkin coarse operators
//    P^T A P (computed once by PETSc, then read into stencils);
//  - smoothing: Chebyshev polynomials of degree 3 (on coarser levels 2) in D^-1 A before and
//    after the coarse correction, on [lower_fraction, upper_factor] times the largest
//    eigenvalue of D^-1 A (20 power iterations at set-up), the usual multigrid smoother that
//    needs only products;
//  - coarsest level: dense LU;
//  - precision: inside the cycle float32 vectors and Jacobi-scaled rows D^-1 A in binary16
//    (a preconditioner needs no more; a quarter of the bytes of float64 rows, and memory
//    traffic is what the cycle's time is), so the outer Krylov method is FGMRES, which
//    tolerates a preconditioner that is not exactly linear.
// When diag(W) A is symmetric for some weights W (no drift), the products and the fine
// level read the upper half only (SymmetricStencil, the symmetric ScaledStencil); the
// products then equal the assembled ones to the symmetry tolerance of
// symmetrizing_weights (1e-12 of the diagonal; 1e-13 relative in the tests).
// Every product is threaded over grid rows; no step depends on the thread count, so results
// are identical for any number of threads.

#include <petscksp.h>

#include <Eigen/Dense>
#include <memory>
#include <vector>

#include "discretization/grid.hpp"
#include "solver/grid_transfer.hpp"
#include "solver/stencil_matrix.hpp"

namespace attnpde {

/// The node counts, dimension and boundary kind of a grid.
GridShape shape_of(const Grid& grid);

class StencilMultigrid {
 public:
  /// Whether the grid has this multigrid: one rank and at least two levels.
  static bool applicable(const Grid& grid);
  explicit StencilMultigrid(const Grid& grid);
  ~StencilMultigrid();
  StencilMultigrid(const StencilMultigrid&) = delete;
  StencilMultigrid& operator=(const StencilMultigrid&) = delete;

  /// Reads the operator's rows (a sequential AIJ matrix on the grid) for the shell products;
  /// the levels are rebuilt at the next set_up().
  void set_operator(Mat A);
  /// Builds the levels from the last operator. The PC's set-up calls it, first reading its
  /// preconditioning matrix when that is another matrix than the last set_operator's (a
  /// matrix changed in place needs set_operator again).
  void set_up();
  /// y = one V-cycle applied to x.
  void apply(Vec x, Vec y);
  /// y = A x by the float64 stencil of the operator.
  void multiply(Vec x, Vec y) const;
  /// The operator as a shell matrix (products from the float64 stencil).
  Mat shell() const { return shell_.get(); }
  /// FGMRES preconditioned by this multigrid (a PCSHELL); options may override both.
  void configure(KSP ksp);
  /// Levels of the hierarchy (built at set_up()).
  int levels_planned() const { return level_count_; }
  /// Whether the last operator is symmetric under weights (symmetrizing_weights), so that
  /// its products and the fine level's smoothing read half the coefficients.
  bool symmetric() const { return !weights_.empty(); }
  /// Distinct coefficient rows of the fine level's products (CoefficientRows: 1 for
  /// constant coefficients on the torus, the number of grid rows at most).
  long coefficient_rows() const { return symmetric_.empty() ? fine_.rows().distinct() : symmetric_.rows().distinct(); }
  /// The matrix of the last set_operator (null before).
  Mat operator_matrix() const { return op_.get(); }

 private:
  struct Level {
    GridShape shape;
    ScaledStencil A;  // D^-1 A in binary16
    std::vector<float> x, b, r, d;
    double lower = 0.0, upper = 0.0;      // Chebyshev interval of D^-1 A
    std::unique_ptr<Interpolation> down;  // to and from the next coarser level
  };
  void smooth(Level& level, bool from_zero) const;
  void cycle(std::size_t l);
  static double largest_eigenvalue(const Level& level);

  GridShape shape_;
  int level_count_ = 1;
  MatOwner op_;  // reference to the operator of set_operator
  StencilMatrix<double> fine_;
  std::vector<double> weights_;  // symmetrizing weights of fine_, empty when it has none
  SymmetricStencil symmetric_;   // fine_ in symmetric storage, for the products
  MatOwner shell_;
  std::vector<Level> levels_;
  Eigen::PartialPivLU<Eigen::MatrixXd> coarsest_;
  Eigen::VectorXd coarse_rhs_;
};

}  // namespace attnpde
