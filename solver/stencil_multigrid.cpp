#include "solver/stencil_multigrid.hpp"

#include <cmath>
#include <stdexcept>

#include "solver/pde_solver.hpp"

namespace attnpde {

namespace {

// Chebyshev degree before and after the correction: 3 on the finest level, 2 on the coarser
// ones (as many iterations at 128^2 to 512^2, 32^3 and 64^3, and 8% less time per solve: a
// coarse level's error is corrected again by the levels above it).
constexpr int smoothing_degree = 3;
constexpr int coarse_smoothing_degree = 2;
constexpr double upper_factor = 1.1;    // power iterations approach lambda_max from below
constexpr double lower_fraction = 0.2;  // smooth the upper four fifths of the spectrum
constexpr int power_iterations = 20;
constexpr long coarsest_limit = 2048;  // largest coarsest level the dense LU takes

template <class F>
void for_nodes(long n, F&& f) {
  for_each_index(static_cast<int>(n), n >= stencil_parallel_nodes, [&](int i) { f(static_cast<long>(i)); });
}

StencilMultigrid& self_of(PC pc) {
  void* ctx = nullptr;
  ATTNPDE_PETSC(PCShellGetContext(pc, &ctx));
  return *static_cast<StencilMultigrid*>(ctx);
}

PetscErrorCode shell_mult(Mat A, Vec x, Vec y);

}  // namespace

GridShape shape_of(const Grid& grid) {
  GridShape s;
  s.n = grid.nodes();
  s.dim = grid.dim();
  s.periodic = grid.domain().periodic();
  return s;
}

bool StencilMultigrid::applicable(const Grid& grid) {
  PetscMPIInt ranks = 1;
  MPI_Comm_size(grid.comm(), &ranks);
  const int levels = PdeSolver::multigrid_levels(grid);
  if (ranks != 1 || levels < 2) return false;
  const long coarsest = grid.total_nodes() >> (grid.dim() * (levels - 1));
  return coarsest <= coarsest_limit;
}

StencilMultigrid::StencilMultigrid(const Grid& grid)
    : shape_(shape_of(grid)), level_count_(PdeSolver::multigrid_levels(grid)) {
  if (!applicable(grid)) throw std::invalid_argument("the stencil multigrid needs one rank and a coarsenable grid");
  const auto n = static_cast<PetscInt>(shape_.size());
  ATTNPDE_PETSC(MatCreateShell(PETSC_COMM_SELF, n, n, n, n, this, shell_.out()));
  ATTNPDE_PETSC(MatShellSetOperation(shell_, MATOP_MULT, reinterpret_cast<void (*)(void)>(&shell_mult)));
}

StencilMultigrid::~StencilMultigrid() = default;

void StencilMultigrid::set_operator(Mat A) {
  ATTNPDE_PETSC(PetscObjectReference(reinterpret_cast<PetscObject>(A)));
  op_ = MatOwner(A);
  fine_ = StencilMatrix<double>(A, shape_);
  weights_ = symmetrizing_weights(fine_);
  symmetric_ = weights_.empty() ? SymmetricStencil() : SymmetricStencil(fine_, weights_);
  levels_.clear();
}

void StencilMultigrid::set_up() {
  if (!op_.get()) throw std::logic_error("stencil multigrid: set_up before set_operator");
  levels_.clear();
  levels_.resize(static_cast<std::size_t>(level_count_));
  Mat a = op_;
  MatOwner coarse;
  for (std::size_t l = 0; l < levels_.size(); ++l) {
    Level& L = levels_[l];
    L.shape = l == 0 ? shape_ : levels_[l - 1].shape.coarsened();
    const auto n = static_cast<std::size_t>(L.shape.size());
    L.x.assign(n, 0.0f);
    L.b.assign(n, 0.0f);
    if (l + 1 == levels_.size()) {
      Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
      for (PetscInt r = 0; r < static_cast<PetscInt>(n); ++r) {
        PetscInt nc = 0;
        const PetscInt* col = nullptr;
        const PetscScalar* val = nullptr;
        ATTNPDE_PETSC(MatGetRow(a, r, &nc, &col, &val));
        for (PetscInt m = 0; m < nc; ++m) dense(r, col[m]) += val[m];
        ATTNPDE_PETSC(MatRestoreRow(a, r, &nc, &col, &val));
      }
      coarsest_.compute(dense);
      coarse_rhs_.resize(static_cast<Eigen::Index>(n));
      break;
    }
    L.A = l == 0 ? ScaledStencil(fine_, weights_) : ScaledStencil(a, L.shape);
    L.r.assign(n, 0.0f);
    L.d.assign(n, 0.0f);
    L.upper = upper_factor * largest_eigenvalue(L);
    L.lower = lower_fraction * L.upper;
    L.down = std::make_unique<Interpolation>(L.shape);
    MatOwner P(L.down->assemble()), next;
    ATTNPDE_PETSC(MatPtAP(a, P, MAT_INITIAL_MATRIX, PETSC_DEFAULT, next.out()));
    coarse = std::move(next);
    a = coarse;
  }
}

double StencilMultigrid::largest_eigenvalue(const Level& L) {
  const long n = L.shape.size();
  std::vector<float> v(static_cast<std::size_t>(n)), w(v.size());
  for (long i = 0; i < n; ++i) {  // every mode present: a hash of the index
    const double h = std::sin(static_cast<double>(i) * 12.9898 + 78.233) * 43758.5453;
    v[static_cast<std::size_t>(i)] = static_cast<float>(h - std::floor(h) - 0.5);
  }
  double lambda = 0.0;
  for (int it = 0; it < power_iterations; ++it) {
    L.A.apply(v.data(), w.data(), ScaledStencil::Output::product);
    double vv = 0.0, ww = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) {
      vv += static_cast<double>(v[i]) * v[i];
      ww += static_cast<double>(w[i]) * w[i];
    }
    lambda = std::sqrt(ww / vv);
    const auto scale = static_cast<float>(1.0 / std::sqrt(ww));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = w[i] * scale;
  }
  return lambda;
}

// Chebyshev iteration on D^-1 A x = D^-1 b over [lower, upper] (the three-term recurrence of
// the Chebyshev semi-iterative method). From x = 0 (the pre-smoothing) the level's b is first
// scaled in place to D^-1 b, the first scaled residual; every later pass reads it scaled.
// Each step after the first is one fused pass that writes the new iterate into r, which then
// swaps with x.
void StencilMultigrid::smooth(Level& L, bool from_zero) const {
  const double theta = 0.5 * (L.upper + L.lower), delta = 0.5 * (L.upper - L.lower);
  const double sigma = theta / delta;
  double rho = 1.0 / sigma;
  const auto first = static_cast<float>(1.0 / theta);
  if (from_zero) {
    float* x = L.x.data();
    float* d = L.d.data();
    float* b = L.b.data();
    const float* inv_diag = L.A.inverse_diagonal().data();
    for_nodes(L.shape.size(), [&](long i) {
      b[i] *= inv_diag[i];
      x[i] = d[i] = first * b[i];
    });
  } else {
    L.A.chebyshev_step(L.x.data(), L.r.data(), L.b.data(), L.d.data(), 0.0f, first);
    L.x.swap(L.r);
  }
  const int degree = &L == &levels_.front() ? smoothing_degree : coarse_smoothing_degree;
  for (int k = 1; k < degree; ++k) {
    const double rho_next = 1.0 / (2.0 * sigma - rho);
    const auto keep = static_cast<float>(rho_next * rho), step = static_cast<float>(2.0 * rho_next / delta);
    L.A.chebyshev_step(L.x.data(), L.r.data(), L.b.data(), L.d.data(), keep, step);
    L.x.swap(L.r);
    rho = rho_next;
  }
}

void StencilMultigrid::cycle(std::size_t l) {
  Level& L = levels_[l];
  if (l + 1 == levels_.size()) {
    for (Eigen::Index i = 0; i < coarse_rhs_.size(); ++i) coarse_rhs_[i] = L.b[static_cast<std::size_t>(i)];
    const Eigen::VectorXd e = coarsest_.solve(coarse_rhs_);
    for (Eigen::Index i = 0; i < e.size(); ++i) L.x[static_cast<std::size_t>(i)] = static_cast<float>(e[i]);
    return;
  }
  Level& C = levels_[l + 1];
  smooth(L, true);
  L.A.apply(L.x.data(), L.r.data(), ScaledStencil::Output::residual_of_scaled, L.b.data());
  L.down->restrict_to(L.r.data(), C.b.data());
  cycle(l + 1);
  L.down->prolong_add(C.x.data(), L.x.data(), L.A.variable_scale());
  smooth(L, false);
}

void StencilMultigrid::apply(Vec x, Vec y) {
  if (levels_.empty()) set_up();
  const PetscScalar* in = nullptr;
  PetscScalar* out = nullptr;
  Level& fine = levels_.front();
  ATTNPDE_PETSC(VecGetArrayRead(x, &in));
  for_nodes(shape_.size(), [&](long i) { fine.b[static_cast<std::size_t>(i)] = static_cast<float>(in[i]); });
  ATTNPDE_PETSC(VecRestoreArrayRead(x, &in));
  cycle(0);
  ATTNPDE_PETSC(VecGetArray(y, &out));
  if (const float* q = fine.A.variable_scale())  // the fine level iterates on y = q x
    for_nodes(shape_.size(), [&](long i) { out[i] = fine.x[static_cast<std::size_t>(i)] / q[i]; });
  else
    for_nodes(shape_.size(), [&](long i) { out[i] = fine.x[static_cast<std::size_t>(i)]; });
  ATTNPDE_PETSC(VecRestoreArray(y, &out));
}

void StencilMultigrid::multiply(Vec x, Vec y) const {
  if (!op_.get()) throw std::logic_error("stencil multigrid: a product before set_operator");
  const PetscScalar* in = nullptr;
  PetscScalar* out = nullptr;
  ATTNPDE_PETSC(VecGetArrayRead(x, &in));
  ATTNPDE_PETSC(VecGetArray(y, &out));
  if (symmetric_.empty())
    fine_.multiply(in, out);
  else
    symmetric_.multiply(in, out);
  ATTNPDE_PETSC(VecRestoreArray(y, &out));
  ATTNPDE_PETSC(VecRestoreArrayRead(x, &in));
}

namespace {

PetscErrorCode shell_mult(Mat A, Vec x, Vec y) {
  PetscFunctionBeginUser;
  void* ctx = nullptr;
  PetscCall(MatShellGetContext(A, &ctx));
  try {
    static_cast<const StencilMultigrid*>(ctx)->multiply(x, y);
  } catch (const std::exception& e) {
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "%s", e.what());
  }
  PetscFunctionReturn(0);
}

PetscErrorCode shell_set_up(PC pc) {
  PetscFunctionBeginUser;
  try {
    Mat A = nullptr, P = nullptr;
    PetscCall(PCGetOperators(pc, &A, &P));
    StencilMultigrid& self = self_of(pc);
    if (P != self.operator_matrix()) self.set_operator(P);
    self.set_up();
  } catch (const std::exception& e) {
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "%s", e.what());
  }
  PetscFunctionReturn(0);
}

PetscErrorCode shell_apply(PC pc, Vec x, Vec y) {
  PetscFunctionBeginUser;
  try {
    self_of(pc).apply(x, y);
  } catch (const std::exception& e) {
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "%s", e.what());
  }
  PetscFunctionReturn(0);
}

}  // namespace

void StencilMultigrid::configure(KSP ksp) {
  ATTNPDE_PETSC(KSPSetType(ksp, KSPFGMRES));
  PC pc;
  ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
  ATTNPDE_PETSC(PCSetType(pc, PCSHELL));
  ATTNPDE_PETSC(PCShellSetContext(pc, this));
  ATTNPDE_PETSC(PCShellSetSetUp(pc, &shell_set_up));
  ATTNPDE_PETSC(PCShellSetApply(pc, &shell_apply));
  ATTNPDE_PETSC(PCShellSetName(pc, "attnpde stencil multigrid"));
}

}  // namespace attnpde
