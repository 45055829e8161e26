#include "solver/pde_solver.hpp"

#include <chrono>
#include <cmath>

namespace attnpde {

PdeSolver::PdeSolver(const Grid& grid, MatOwner op, const PointFunction& u0, const PdeOptions& options, double g_max,
                     Source source)
    : grid_(grid), op_(std::move(op)), source_(std::move(source)) {
  u_ = grid.create_vector();
  grid.fill(u_, u0);
  if (source_) source_vec_ = grid.create_vector();

  double h_min = grid.spacing()[0];
  for (int d = 1; d < grid.dim(); ++d) h_min = std::min(h_min, grid.spacing()[d]);
  // CN error per unit time ~ dt^2 |L^3 u| against ~h^2 |u''''| in space: dt = 0.1 h / g_max
  // keeps the temporal part well below the spatial part for the resolved modes.
  const double dt_factor = 0.1;
  dt_target_ = options.dt > 0.0 ? options.dt : dt_factor * h_min / g_max;

  ATTNPDE_PETSC(TSCreate(grid.comm(), ts_.out()));
  ATTNPDE_PETSC(TSSetDM(ts_, grid.dm()));
  ATTNPDE_PETSC(TSSetProblemType(ts_, TS_LINEAR));
  ATTNPDE_PETSC(TSSetRHSFunction(ts_, nullptr, &PdeSolver::rhs, this));
  ATTNPDE_PETSC(TSSetRHSJacobian(ts_, op_, op_, TSComputeRHSJacobianConstant, nullptr));
  ATTNPDE_PETSC(TSSetType(ts_, TSCN));
  ATTNPDE_PETSC(TSSetTime(ts_, 0.0));
  ATTNPDE_PETSC(TSSetTimeStep(ts_, dt_target_));
  ATTNPDE_PETSC(TSSetMaxSteps(ts_, PETSC_MAX_INT));
  ATTNPDE_PETSC(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP));
  SNES snes;
  KSP ksp;
  ATTNPDE_PETSC(TSGetSNES(ts_, &snes));
  ATTNPDE_PETSC(SNESGetKSP(snes, &ksp));
  ATTNPDE_PETSC(KSPSetTolerances(ksp, options.rtol, options.atol, PETSC_DEFAULT, PETSC_DEFAULT));
  // Fixed steps by default for every TS type (TSBDF and TSRK would otherwise adapt with
  // their own loose tolerances); -ts_adapt_type basic turns adaptivity on.
  TSAdapt adapt;
  ATTNPDE_PETSC(TSGetAdapt(ts_, &adapt));
  ATTNPDE_PETSC(TSAdaptSetType(adapt, TSADAPTNONE));
  ATTNPDE_PETSC(TSSetFromOptions(ts_));
  PetscReal dt_opt = dt_target_;
  ATTNPDE_PETSC(TSGetTimeStep(ts_, &dt_opt));  // -ts_dt may have changed it
  dt_target_ = dt_opt;
  TSType type;
  ATTNPDE_PETSC(TSGetType(ts_, &type));
  stats_.ts_type = type;
  stats_.dt = dt_target_;
}

PetscErrorCode PdeSolver::rhs(TS, PetscReal t, Vec u, Vec f, void* ctx) {
  auto* self = static_cast<PdeSolver*>(ctx);
  PetscFunctionBeginUser;
  PetscCall(MatMult(self->op_, u, f));
  if (self->source_) {
    try {
      self->grid_.fill(self->source_vec_, [&](const double* x) { return self->source_(x, t); });
    } catch (...) {
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "source evaluation failed");
    }
    PetscCall(VecAXPY(f, 1.0, self->source_vec_));
  }
  PetscFunctionReturn(0);
}

void PdeSolver::advance_to(double t) {
  if (t <= time_) return;
  const auto start = std::chrono::steady_clock::now();
  const double span = t - time_;
  const long steps = std::max(1L, static_cast<long>(std::ceil(span / dt_target_ - 1e-9)));
  ATTNPDE_PETSC(TSSetTime(ts_, time_));
  ATTNPDE_PETSC(TSSetTimeStep(ts_, span / steps));
  ATTNPDE_PETSC(TSSetStepNumber(ts_, 0));
  ATTNPDE_PETSC(TSSetMaxTime(ts_, t));
  ATTNPDE_PETSC(TSSolve(ts_, u_));
  PetscInt taken = 0, its = 0;
  ATTNPDE_PETSC(TSGetStepNumber(ts_, &taken));
  ATTNPDE_PETSC(TSGetKSPIterations(ts_, &its));
  stats_.steps += taken;
  stats_.ksp_iterations += its;
  time_ = t;
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace attnpde
