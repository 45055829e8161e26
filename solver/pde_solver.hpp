#pragma once
// Time integration of du/dt = L u (+ s(x, t)) with PETSc TS, L from
// discretization/operator.hpp (docs/theory.md section 3).
//
// The problem is linear (TS_LINEAR), so each implicit step is one KSP solve. Implicit
// methods see the implicit form F(t, u, u') = u' - L u - s with Jacobian shift I - L; that
// matrix is rebuilt only when the shift changes (fixed steps: once, or twice for BDF2
// started by BDF1), so the preconditioner is set up once and reused by every step.
// Explicit methods (rk, euler, ssp) see the right-hand side L u + s.
//
// Defaults set in code: Crank-Nicolson (TSCN), fixed step dt; with constant G on the torus
// (one rank) FFT solves (exact for constant w and no drift, else as the GMRES
// preconditioner), otherwise multigrid: on one rank FGMRES with the matrix-free stencil multigrid
// (solver/stencil_multigrid.hpp), on several GMRES with PETSc's multigrid on the DMDA hierarchy (Galerkin
// coarse operators, SSOR smoothing); levels down to 4-7 nodes per direction, KSP tolerances rtol/atol; then
// TSSetFromOptions, so -ts_type bdf, -ts_dt, -ksp_type, -pc_type gamg, ... override them.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "discretization/grid.hpp"
#include "discretization/operator.hpp"
#include "solver/fourier_solver.hpp"
#include "solver/stencil_multigrid.hpp"

namespace attnpde {

struct PdeOptions {
  double dt = 0.0;      ///< time step; 0 = automatic: 0.1 h_min / lambda_max(G)
  double rtol = 1e-10;  ///< KSP relative tolerance
  double atol = 1e-14;  ///< KSP absolute tolerance
  /// Constant G on the torus or constant diagonal G in the box, one rank (the caller vouches
  /// for it): implicit steps use the FFT (torus) or DCT (box) inverse of
  /// shift I - div(G grad) (solver/fourier_solver.hpp) instead of multigrid. With
  /// `fourier_exact` (w constant, no drift) that inverse is the exact solve (KSPPREONLY);
  /// otherwise it preconditions GMRES: the weight and the drift only add first-order terms,
  /// so the iteration count does not grow with the grid. Empty: multigrid.
  Eigen::MatrixXd fourier_metric;
  bool fourier_exact = false;
};

struct PdeStats {
  long steps = 0;
  long ksp_iterations = 0;
  double seconds = 0.0;
  std::string ts_type, ksp_type, pc_type;
  int mg_levels = 0;  ///< levels of the default multigrid (0: another preconditioner)
  /// The stencil multigrid's fine storage: "symmetric" (upper half, no drift) or "full";
  /// empty for other preconditioners.
  std::string mg_storage;
  double dt = 0.0;
};

/// The default implicit solver of every step: GMRES with geometric multigrid on the DMDA
/// hierarchy of the grid (Galerkin coarse operators; PdeSolver::multigrid_levels levels;
/// smoother: one Richardson/SSOR sweep),
/// or plain GMRES + the PETSc default preconditioner when the grid cannot be coarsened.
/// The KSP must have the grid's DM (or a clone_dm()) attached; options may override.
void configure_default_solver(KSP ksp, const Grid& grid);

class PdeSolver {
 public:
  /// Source term s(x, t) for manufactured solutions; empty for the plain equation.
  using Source = std::function<double(const double* x, double t)>;

  /// Takes the grid (kept by reference), the operator, initial values u0(x), and the
  /// nominal dt_auto scale (largest eigenvalue of G) used when options.dt == 0.
  PdeSolver(const Grid& grid, MatOwner op, const PointFunction& u0, const PdeOptions& options, double g_max,
            Source source = {});

  /// Number of multigrid levels for a grid: halve every direction while all stay even
  /// and at least 8 (so the coarsest has 4 to 7 nodes per direction).
  static int multigrid_levels(const Grid& grid);

  /// Integrates from the current time to t (>= current time); the step is shortened
  /// uniformly so that t is hit exactly.
  void advance_to(double t);
  double time() const { return time_; }
  Vec solution() const { return u_.get(); }
  Mat op() const { return op_.get(); }
  /// Natural-order node values on every rank.
  std::vector<double> gather() const { return grid_.gather(u_); }
  const PdeStats& stats() const { return stats_; }

 private:
  static PetscErrorCode rhs(TS ts, PetscReal t, Vec u, Vec f, void* ctx);
  static PetscErrorCode ifunction(TS ts, PetscReal t, Vec u, Vec udot, Vec f, void* ctx);
  static PetscErrorCode ijacobian(TS ts, PetscReal t, Vec u, Vec udot, PetscReal shift, Mat J, Mat P, void* ctx);
  PetscErrorCode add_source(PetscReal t, Vec f, PetscScalar factor);

  const Grid& grid_;
  DMOwner dm_;  ///< clone of the grid's DM carrying this solver's TS callbacks
  MatOwner op_;
  MatOwner jac_;  ///< shift I - L of implicit methods
  std::unique_ptr<FourierInverse> fourier_;
  std::unique_ptr<StencilMultigrid> stencil_mg_;  ///< one rank: the matrix-free multigrid
  double jac_shift_ = 0.0;
  bool jac_valid_ = false;
  VecOwner u_;
  TSOwner ts_;
  Source source_;
  VecOwner source_vec_;
  double dt_target_ = 0.0;
  double time_ = 0.0;
  PdeStats stats_;
};

/// Work of several solvers (the components of a vector field) in one record: steps, KSP
/// iterations and seconds summed, types and dt of the first.
PdeStats summed_stats(const std::vector<std::unique_ptr<PdeSolver>>& solvers);

}  // namespace attnpde
