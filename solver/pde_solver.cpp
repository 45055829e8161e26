#include "solver/pde_solver.hpp"

#include <chrono>
#include <cmath>
#include <cstring>

namespace attnpde {

int PdeSolver::multigrid_levels(const Grid& grid) {
  std::array<int, 3> n = grid.nodes();
  int levels = 1;
  for (;;) {
    bool ok = true;
    for (int d = 0; d < grid.dim(); ++d) ok = ok && n[d] % 2 == 0 && n[d] >= 8;
    if (!ok) break;
    for (int d = 0; d < grid.dim(); ++d) n[d] /= 2;
    ++levels;
  }
  return levels;
}

void configure_default_solver(KSP ksp, const Grid& grid) {
  ATTNPDE_PETSC(KSPSetType(ksp, KSPGMRES));
  PC pc;
  ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
  const int levels = PdeSolver::multigrid_levels(grid);
  if (levels > 1) {
    ATTNPDE_PETSC(PCSetType(pc, PCMG));
    ATTNPDE_PETSC(PCMGSetLevels(pc, levels, nullptr));
    ATTNPDE_PETSC(PCMGSetGalerkin(pc, PC_MG_GALERKIN_BOTH));
    // One symmetric SOR sweep per level and direction: fewer passes over the matrix than
    // the Chebyshev default, which is what the memory-bound V-cycle pays for (measured in
    // bench/run_pde.sh: 25 ms against 60 ms per step at 256^2).
    for (int l = 1; l < levels; ++l) {
      KSP smoother;
      PC smoother_pc;
      ATTNPDE_PETSC(PCMGGetSmoother(pc, l, &smoother));
      ATTNPDE_PETSC(KSPSetType(smoother, KSPRICHARDSON));
      ATTNPDE_PETSC(KSPSetTolerances(smoother, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT, 1));
      ATTNPDE_PETSC(KSPGetPC(smoother, &smoother_pc));
      ATTNPDE_PETSC(PCSetType(smoother_pc, PCSOR));
    }
  }
}

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
  dm_ = grid.clone_dm();
  ATTNPDE_PETSC(TSSetDM(ts_, dm_));
  ATTNPDE_PETSC(TSSetProblemType(ts_, TS_LINEAR));
  ATTNPDE_PETSC(TSSetType(ts_, TSCN));
  ATTNPDE_PETSC(TSSetTime(ts_, 0.0));
  ATTNPDE_PETSC(TSSetTimeStep(ts_, dt_target_));
  ATTNPDE_PETSC(TSSetMaxSteps(ts_, PETSC_MAX_INT));
  ATTNPDE_PETSC(TSSetExactFinalTime(ts_, TS_EXACTFINALTIME_MATCHSTEP));
  SNES snes;
  KSP ksp;
  PC pc;
  ATTNPDE_PETSC(TSGetSNES(ts_, &snes));
  ATTNPDE_PETSC(SNESGetKSP(snes, &ksp));
  ATTNPDE_PETSC(KSPSetTolerances(ksp, options.rtol, options.atol, PETSC_DEFAULT, PETSC_DEFAULT));
  int ranks = 1;
  MPI_Comm_size(grid.comm(), &ranks);
  if (options.fourier_metric.size() > 0 && ranks == 1) {
    fourier_ = std::make_unique<FourierInverse>(grid, options.fourier_metric);
    configure_fourier_solver(ksp, fourier_.get());
    if (!options.fourier_exact) ATTNPDE_PETSC(KSPSetType(ksp, KSPGMRES));
  } else if (StencilMultigrid::applicable(grid)) {
    stencil_mg_ = std::make_unique<StencilMultigrid>(grid);
    stencil_mg_->configure(ksp);
  } else {
    configure_default_solver(ksp, grid);
  }
  ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
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

  const bool explicit_method = !std::strcmp(type, TSRK) || !std::strcmp(type, TSEULER) || !std::strcmp(type, TSSSP);
  if (explicit_method) {
    ATTNPDE_PETSC(TSSetRHSFunction(ts_, nullptr, &PdeSolver::rhs, this));
    ATTNPDE_PETSC(TSSetRHSJacobian(ts_, op_, op_, TSComputeRHSJacobianConstant, nullptr));
  } else {
    ATTNPDE_PETSC(MatDuplicate(op_, MAT_DO_NOT_COPY_VALUES, jac_.out()));
    ATTNPDE_PETSC(TSSetIFunction(ts_, nullptr, &PdeSolver::ifunction, this));
    // With the stencil multigrid the Krylov products use its shell (the same rows, read
    // once per Jacobian); the assembled matrix stays the preconditioning matrix.
    ATTNPDE_PETSC(
        TSSetIJacobian(ts_, stencil_mg_ ? stencil_mg_->shell() : jac_.get(), jac_, &PdeSolver::ijacobian, this));
  }
  KSPType ksp_type;
  PCType pc_type;
  ATTNPDE_PETSC(KSPGetType(ksp, &ksp_type));
  ATTNPDE_PETSC(PCGetType(pc, &pc_type));
  stats_.ksp_type = ksp_type ? ksp_type : "";
  stats_.pc_type = pc_type ? pc_type : "";
  if (stencil_mg_ && stats_.pc_type == PCSHELL) {
    stats_.pc_type = "stencil-mg";
    stats_.mg_levels = stencil_mg_->levels_planned();
  }
  if (stats_.pc_type == PCMG) {
    PetscInt lv = 0;
    ATTNPDE_PETSC(PCMGGetLevels(pc, &lv));
    stats_.mg_levels = static_cast<int>(lv);
  }
}

PetscErrorCode PdeSolver::add_source(PetscReal t, Vec f, PetscScalar factor) {
  PetscFunctionBeginUser;
  if (source_) {
    try {
      grid_.fill(source_vec_, [&](const double* x) { return source_(x, t); });
    } catch (...) {
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "source evaluation failed");
    }
    PetscCall(VecAXPY(f, factor, source_vec_));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode PdeSolver::rhs(TS, PetscReal t, Vec u, Vec f, void* ctx) {
  auto* self = static_cast<PdeSolver*>(ctx);
  PetscFunctionBeginUser;
  PetscCall(MatMult(self->op_, u, f));
  PetscCall(self->add_source(t, f, 1.0));
  PetscFunctionReturn(0);
}

// F(t, u, u') = u' - L u - s(t).
PetscErrorCode PdeSolver::ifunction(TS, PetscReal t, Vec u, Vec udot, Vec f, void* ctx) {
  auto* self = static_cast<PdeSolver*>(ctx);
  PetscFunctionBeginUser;
  PetscCall(MatMult(self->op_, u, f));
  PetscCall(VecAYPX(f, -1.0, udot));
  PetscCall(self->add_source(t, f, -1.0));
  PetscFunctionReturn(0);
}

// dF/du + shift dF/du' = shift I - L; left untouched when the shift repeats, so that its
// object state (and with it the preconditioner) stays the same.
PetscErrorCode PdeSolver::ijacobian(TS, PetscReal, Vec, Vec, PetscReal shift, Mat, Mat P, void* ctx) {
  auto* self = static_cast<PdeSolver*>(ctx);
  PetscFunctionBeginUser;
  if (self->jac_valid_ && shift == self->jac_shift_) PetscFunctionReturn(0);
  PetscCall(MatCopy(self->op_, P, SAME_NONZERO_PATTERN));
  PetscCall(MatScale(P, -1.0));
  PetscCall(MatShift(P, shift));
  if (self->fourier_) self->fourier_->set_coefficients(shift, 1.0);
  if (self->stencil_mg_) {
    try {
      self->stencil_mg_->set_operator(P);
    } catch (const std::exception& e) {
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "%s", e.what());
    }
  }
  self->jac_shift_ = shift;
  self->jac_valid_ = true;
  PetscFunctionReturn(0);
}

void PdeSolver::advance_to(double t) {
  if (t <= time_) return;
  const auto start = std::chrono::steady_clock::now();
  const double span = t - time_;
  const long steps = std::max(1L, static_cast<long>(std::ceil(span / dt_target_ - 1e-9)));
  ATTNPDE_PETSC(TSSetTime(ts_, time_));
  ATTNPDE_PETSC(TSSetTimeStep(ts_, span / static_cast<double>(steps)));
  ATTNPDE_PETSC(TSSetStepNumber(ts_, 0));
  ATTNPDE_PETSC(TSSetMaxTime(ts_, t));
  ATTNPDE_PETSC(TSSolve(ts_, u_));
  PetscInt taken = 0, its = 0;
  ATTNPDE_PETSC(TSGetStepNumber(ts_, &taken));
  ATTNPDE_PETSC(TSGetKSPIterations(ts_, &its));
  stats_.steps += taken;
  stats_.ksp_iterations += its;
  if (stencil_mg_ && stencil_mg_->operator_matrix())
    stats_.mg_storage = stencil_mg_->symmetric() ? "symmetric" : "full";
  time_ = t;
  stats_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

PdeStats summed_stats(const std::vector<std::unique_ptr<PdeSolver>>& solvers) {
  PdeStats st = solvers.front()->stats();
  for (std::size_t q = 1; q < solvers.size(); ++q) {
    st.steps += solvers[q]->stats().steps;
    st.ksp_iterations += solvers[q]->stats().ksp_iterations;
    st.seconds += solvers[q]->stats().seconds;
  }
  return st;
}

}  // namespace attnpde
