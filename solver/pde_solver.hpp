#pragma once
// Time integration of du/dt = L u (+ s(x, t)) with PETSc TS, L from
// discretization/operator.hpp (THEORY.md section 3).
//
// The problem is linear: TS_LINEAR with a constant right-hand-side Jacobian L, so each
// implicit step is one KSP solve. Defaults set in code: Crank-Nicolson (TSCN), fixed step
// dt, KSP tolerances rtol/atol; then TSSetFromOptions, so -ts_type bdf, -ts_dt,
// -ksp_type, -pc_type, ... override them.

#include <functional>
#include <string>
#include <vector>

#include "discretization/grid.hpp"
#include "discretization/operator.hpp"

namespace attnpde {

struct PdeOptions {
  double dt = 0.0;      ///< time step; 0 = automatic: 0.1 h_min / lambda_max(G)
  double rtol = 1e-10;  ///< KSP relative tolerance
  double atol = 1e-14;  ///< KSP absolute tolerance
};

struct PdeStats {
  long steps = 0;
  long ksp_iterations = 0;
  double seconds = 0.0;
  std::string ts_type;
  double dt = 0.0;
};

class PdeSolver {
 public:
  /// Source term s(x, t) for manufactured solutions; empty for the plain equation.
  using Source = std::function<double(const double* x, double t)>;

  /// Takes the grid (kept by reference), the operator, initial values u0(x), and the
  /// nominal dt_auto scale (largest eigenvalue of G) used when options.dt == 0.
  PdeSolver(const Grid& grid, MatOwner op, const PointFunction& u0, const PdeOptions& options, double g_max,
            Source source = {});

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

  const Grid& grid_;
  MatOwner op_;
  VecOwner u_;
  TSOwner ts_;
  Source source_;
  VecOwner source_vec_;
  double dt_target_ = 0.0;
  double time_ = 0.0;
  PdeStats stats_;
};

}  // namespace attnpde
