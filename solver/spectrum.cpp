#include "solver/spectrum.hpp"

#include <slepceps.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace attnpde {

namespace {

using Clock = std::chrono::steady_clock;
using EpsOwner = PetscOwner<EPS, EPSDestroy>;

// The shell operator S v = C^(1/2) A C^(-1/2) v on this rank's block of rows.
struct Conjugate {
  const AttentionKernel* kernel;
  const double* weights;
  std::vector<double> sqrt_c, full, out;
  std::vector<int> counts, offsets;
  std::size_t lo = 0, hi = 0;
  MPI_Comm comm;
  long matvecs = 0;
};

PetscErrorCode conjugate_mult(Mat S, Vec x, Vec y) {
  PetscFunctionBeginUser;
  Conjugate* ctx = nullptr;
  PetscCall(MatShellGetContext(S, &ctx));
  const PetscScalar* xs = nullptr;
  PetscScalar* ys = nullptr;
  PetscCall(VecGetArrayRead(x, &xs));
  for (std::size_t i = ctx->lo; i < ctx->hi; ++i) ctx->full[i] = xs[i - ctx->lo] / ctx->sqrt_c[i];
  PetscCall(VecRestoreArrayRead(x, &xs));
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, ctx->full.data(), ctx->counts.data(), ctx->offsets.data(),
                 MPI_DOUBLE, ctx->comm);
  try {
    ctx->kernel->apply_rows(ctx->full.data(), ctx->out.data(), nullptr, ctx->weights, ctx->lo, ctx->hi);
  } catch (...) {
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "attention kernel failed");
  }
  PetscCall(VecGetArray(y, &ys));
  for (std::size_t i = ctx->lo; i < ctx->hi; ++i) ys[i - ctx->lo] = ctx->sqrt_c[i] * ctx->out[i];
  PetscCall(VecRestoreArray(y, &ys));
  ++ctx->matvecs;
  PetscFunctionReturn(0);
}

// A start vector that does not depend on the rank layout (SLEPc's random one does).
void fill_start_vector(Vec v, int round = 0) {
  PetscInt lo = 0, hi = 0;
  ATTNPDE_PETSC(VecGetOwnershipRange(v, &lo, &hi));
  PetscScalar* a = nullptr;
  ATTNPDE_PETSC(VecGetArray(v, &a));
  for (PetscInt i = lo; i < hi; ++i) {
    const double s = std::sin(12.9898 * static_cast<double>(i + 1) + 78.233 * round) * 43758.5453;
    a[i - lo] = s - std::floor(s) - 0.5;
  }
  ATTNPDE_PETSC(VecRestoreArray(v, &a));
}

// The sign that makes the entry of largest magnitude positive (first one on ties).
void fix_sign(std::vector<double>& v) {
  if (v.empty()) return;
  const auto it = std::max_element(v.begin(), v.end(), [](double a, double b) { return std::abs(a) < std::abs(b); });
  if (*it < 0)
    for (double& x : v) x = -x;
}

// Krylov methods can miss a copy of a multiple eigenvalue (cos and sin of one mode) until
// later restarts: asking for more pairs than wanted and keeping the smallest makes the
// wanted clusters complete.
PetscInt extra_pairs(int count) {
  return static_cast<PetscInt>(count + std::max(4, count / 2));
}

void check_converged(const EPS eps, int wanted, const char* what) {
  PetscInt nconv = 0;
  ATTNPDE_PETSC(EPSGetConverged(eps, &nconv));
  if (nconv < wanted)
    throw std::runtime_error(std::string(what) + ": SLEPc converged " + std::to_string(nconv) + " of " +
                             std::to_string(wanted) + " eigenpairs (raise -eps_max_it or lower spectrum.tol)");
}

// Eigenpairs found so far, ordered by `key` (smallest first: the wanted end).
struct Found {
  std::vector<double> key, value;
  std::vector<VecOwner> vectors;
  int iterations = 0;
};

// Solves for `wanted` pairs, then again with every found eigenvector deflated, until a round
// finds nothing that belongs among the wanted ones. A Krylov space grown from one vector
// holds one vector of each eigenspace: an exactly multiple eigenvalue (symmetric lattices
// of tokens, the cos/sin pairs of uniform grids) shows its other copies only after the
// found ones are deflated. `configure` sets the operators, the problem type and what is
// wanted; `key` maps an eigenvalue to its order (smallest wanted first).
Found solve_with_deflation(MPI_Comm comm, Mat shape, int wanted, const SpectrumOptions& opt,
                           const std::function<void(EPS)>& configure, const std::function<double(double)>& key,
                           const std::function<void(EPS)>& after = {}) {
  Found found;
  const int max_rounds = 6;
  for (int round = 0; round < max_rounds; ++round) {
    // At most the dimension left beside the deflated vectors (small problems).
    PetscInt size = 0;
    ATTNPDE_PETSC(MatGetSize(shape, &size, nullptr));
    const PetscInt room = size - static_cast<PetscInt>(found.vectors.size()) - 1;
    const PetscInt nev = std::min(room, round == 0 ? extra_pairs(wanted) : std::max(4, wanted / 4));
    if (nev < 1) break;
    EpsOwner eps;
    ATTNPDE_PETSC(EPSCreate(comm, eps.out()));
    configure(eps);
    ATTNPDE_PETSC(EPSSetDimensions(eps, nev, PETSC_DEFAULT, PETSC_DEFAULT));
    ATTNPDE_PETSC(EPSSetTolerances(eps, opt.tol, opt.max_it > 0 ? opt.max_it : PETSC_DEFAULT));
    VecOwner start;
    ATTNPDE_PETSC(MatCreateVecs(shape, start.out(), nullptr));
    fill_start_vector(start, round);
    Vec start_vec = start.get();
    ATTNPDE_PETSC(EPSSetInitialSpace(eps, 1, &start_vec));
    std::vector<Vec> deflate;
    for (const auto& v : found.vectors) deflate.push_back(v.get());
    if (!deflate.empty())
      ATTNPDE_PETSC(EPSSetDeflationSpace(eps, static_cast<PetscInt>(deflate.size()), deflate.data()));
    ATTNPDE_PETSC(EPSSetFromOptions(eps));
    ATTNPDE_PETSC(EPSSolve(eps));
    if (after) after(eps);
    if (round == 0) check_converged(eps, static_cast<int>(nev), "the eigensolver");
    PetscInt nconv = 0, its = 0;
    ATTNPDE_PETSC(EPSGetConverged(eps, &nconv));
    ATTNPDE_PETSC(EPSGetIterationNumber(eps, &its));
    found.iterations += static_cast<int>(its);
    // The wanted-th key so far: a new pair below it was missed before.
    std::vector<double> keys = found.key;
    std::sort(keys.begin(), keys.end());
    const double bound = keys.size() >= static_cast<std::size_t>(wanted) ? keys[static_cast<std::size_t>(wanted) - 1]
                                                                         : std::numeric_limits<double>::infinity();
    bool missed = false;
    for (PetscInt k = 0; k < nconv; ++k) {
      PetscScalar lambda = 0;
      VecOwner v;
      ATTNPDE_PETSC(MatCreateVecs(shape, v.out(), nullptr));
      ATTNPDE_PETSC(EPSGetEigenpair(eps, k, &lambda, nullptr, v, nullptr));
      const double kv = key(lambda);
      if (round > 0 && !(kv < bound - 1e-12 * std::abs(bound))) continue;
      missed = missed || round > 0;
      found.key.push_back(kv);
      found.value.push_back(lambda);
      found.vectors.push_back(std::move(v));
    }
    if (round > 0 && !missed) break;
  }
  return found;
}

// The `count` pairs of smallest eigenvalue, ascending, into out.
void take_smallest(std::vector<std::pair<double, std::vector<double>>>& pairs, int count, Eigenpairs& out) {
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  pairs.resize(std::min(pairs.size(), static_cast<std::size_t>(count)));
  for (auto& [lambda, phi] : pairs) {
    out.values.push_back(lambda);
    out.vectors.push_back(std::move(phi));
  }
}

}  // namespace

Eigenpairs attention_spectrum(const AttentionKernel& kernel, const ColumnWeights& weights, double scale,
                              const SpectrumOptions& opt, MPI_Comm comm) {
  const auto t0 = Clock::now();
  const std::size_t n = kernel.size();
  if (opt.count < 1 || static_cast<std::size_t>(opt.count) >= n)
    throw std::invalid_argument("spectrum: the eigenpair count must be between 1 and N - 1");
  Conjugate ctx;
  ctx.kernel = &kernel;
  ctx.weights = weights.data();
  ctx.comm = comm;
  std::vector<double> c = conserved_weights(kernel, weights);
  ctx.sqrt_c.resize(n);
  for (std::size_t i = 0; i < n; ++i) ctx.sqrt_c[i] = std::sqrt(c[i]);
  ctx.full.assign(n, 0.0);
  ctx.out.assign(n, 0.0);
  int size = 1, rank = 0;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  for (int r = 0; r < size; ++r) {
    const std::size_t lo = n * static_cast<std::size_t>(r) / static_cast<std::size_t>(size);
    const std::size_t hi = n * static_cast<std::size_t>(r + 1) / static_cast<std::size_t>(size);
    ctx.offsets.push_back(static_cast<int>(lo));
    ctx.counts.push_back(static_cast<int>(hi - lo));
    if (r == rank) {
      ctx.lo = lo;
      ctx.hi = hi;
    }
  }
  const auto local = static_cast<PetscInt>(ctx.hi - ctx.lo);
  MatOwner S;
  ATTNPDE_PETSC(MatCreateShell(comm, local, local, static_cast<PetscInt>(n), static_cast<PetscInt>(n), &ctx, S.out()));
  ATTNPDE_PETSC(MatShellSetOperation(S, MATOP_MULT, reinterpret_cast<void (*)(void)>(conjugate_mult)));
  ATTNPDE_PETSC(MatSetOption(S, MAT_SYMMETRIC, PETSC_TRUE));

  const Found found = solve_with_deflation(
      comm, S, opt.count, opt,
      [&](EPS eps) {
        ATTNPDE_PETSC(EPSSetOperators(eps, S, nullptr));
        ATTNPDE_PETSC(EPSSetProblemType(eps, EPS_HEP));
        ATTNPDE_PETSC(EPSSetType(eps, EPSKRYLOVSCHUR));
        ATTNPDE_PETSC(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
      },
      [](double mu) { return -mu; });

  Eigenpairs out;
  out.iterations = found.iterations;
  const double c_sum = std::accumulate(c.begin(), c.end(), 0.0);
  std::vector<std::pair<double, std::vector<double>>> pairs;
  for (std::size_t k = 0; k < found.value.size(); ++k) {
    std::vector<double> phi = gather_to_all(found.vectors[k]);
    // phi = C^(-1/2) v, normalized in l^2(c / sum c).
    double norm = 0;
    for (std::size_t i = 0; i < n; ++i) norm += phi[i] * phi[i];
    const double f = std::sqrt(c_sum / norm);
    for (std::size_t i = 0; i < n; ++i) phi[i] *= f / ctx.sqrt_c[i];
    fix_sign(phi);
    pairs.emplace_back((1.0 - found.value[k]) / scale, std::move(phi));
  }
  take_smallest(pairs, opt.count, out);
  long matvecs = ctx.matvecs;
  MPI_Allreduce(MPI_IN_PLACE, &matvecs, 1, MPI_LONG, MPI_MAX, comm);
  out.matvecs = matvecs;
  out.inner_weights = std::move(c);
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

Eigenpairs fd_spectrum(const Grid& grid, Mat L, Vec mass, const SpectrumOptions& opt) {
  const auto t0 = Clock::now();
  // A = -W L, B = W (same nonzero pattern, so A - target B reuses it).
  MatOwner A, B;
  ATTNPDE_PETSC(MatDuplicate(L, MAT_COPY_VALUES, A.out()));
  ATTNPDE_PETSC(MatDiagonalScale(A, mass, nullptr));
  ATTNPDE_PETSC(MatScale(A, -1.0));
  ATTNPDE_PETSC(MatDuplicate(L, MAT_DO_NOT_COPY_VALUES, B.out()));
  ATTNPDE_PETSC(MatZeroEntries(B));
  ATTNPDE_PETSC(MatDiagonalSet(B, mass, INSERT_VALUES));
  ATTNPDE_PETSC(MatSetOption(A, MAT_SYMMETRIC, PETSC_TRUE));
  ATTNPDE_PETSC(MatSetOption(B, MAT_SYMMETRIC, PETSC_TRUE));
  // Target below 0 (the constants' eigenvalue): A - target B is positive definite. Its
  // size, a tenth of the largest eigenvalue over the node count per direction squared,
  // sits below the first non-zero eigenvalue of a resolved operator.
  VecOwner da, db;
  ATTNPDE_PETSC(MatCreateVecs(A, da.out(), db.out()));
  ATTNPDE_PETSC(MatGetDiagonal(A, da));
  ATTNPDE_PETSC(VecPointwiseDivide(da, da, mass));
  PetscReal ratio_max = 0;
  ATTNPDE_PETSC(VecMax(da, nullptr, &ratio_max));
  int n_max = 0;
  for (int d = 0; d < grid.dim(); ++d) n_max = std::max(n_max, grid.nodes()[d]);
  const double target = -0.1 * 2.0 * ratio_max / (static_cast<double>(n_max) * n_max);

  int size = 1;
  MPI_Comm_size(grid.comm(), &size);
  long solves = 0;
  const Found found = solve_with_deflation(
      grid.comm(), A, opt.count, opt,
      [&](EPS eps) {
        ATTNPDE_PETSC(EPSSetOperators(eps, A, B));
        ATTNPDE_PETSC(EPSSetProblemType(eps, EPS_GHEP));
        ATTNPDE_PETSC(EPSSetType(eps, EPSKRYLOVSCHUR));
        ATTNPDE_PETSC(EPSSetWhichEigenpairs(eps, EPS_TARGET_MAGNITUDE));
        ATTNPDE_PETSC(EPSSetTarget(eps, target));
        ST st;
        KSP ksp;
        PC pc;
        ATTNPDE_PETSC(EPSGetST(eps, &st));
        ATTNPDE_PETSC(STSetType(st, STSINVERT));
        ATTNPDE_PETSC(STGetKSP(st, &ksp));
        ATTNPDE_PETSC(KSPSetType(ksp, KSPPREONLY));
        ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
        ATTNPDE_PETSC(PCSetType(pc, size > 1 ? PCREDUNDANT : PCLU));
      },
      [](double lambda) { return lambda; },
      [&](EPS eps) {
        ST st;
        KSP ksp;
        PetscInt its = 0;
        ATTNPDE_PETSC(EPSGetST(eps, &st));
        ATTNPDE_PETSC(STGetKSP(st, &ksp));
        ATTNPDE_PETSC(KSPGetTotalIterations(ksp, &its));
        solves += static_cast<long>(its);
      });

  Eigenpairs out;
  out.iterations = found.iterations;
  out.matvecs = solves;
  const std::vector<double> m = grid.gather(mass);
  const double m_sum = std::accumulate(m.begin(), m.end(), 0.0);
  std::vector<std::pair<double, std::vector<double>>> pairs;
  for (std::size_t k = 0; k < found.value.size(); ++k) {
    std::vector<double> phi = grid.gather(found.vectors[k]);
    double norm = 0;
    for (std::size_t i = 0; i < phi.size(); ++i) norm += m[i] * phi[i] * phi[i];
    const double f = std::sqrt(m_sum / norm);
    for (double& x : phi) x *= f;
    fix_sign(phi);
    pairs.emplace_back(found.value[k], std::move(phi));
  }
  take_smallest(pairs, opt.count, out);
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

}  // namespace attnpde
