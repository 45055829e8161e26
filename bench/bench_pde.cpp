// Benchmark of one implicit Crank-Nicolson step of the PDE (docs/theory.md section 3) on the
// periodic grid: (I - dt/2 L) u1 = (I + dt/2 L) u0 with L the conservative anisotropic
// operator, G = [[2, .6], [.6, 1]]^-1 (3D: a full 3 x 3 metric), dt = h, KSP relative
// tolerance 1e-10, a rough right-hand side.
//  - constant coefficients (p = 1): attnpde's general multigrid solve and the exact FFT
//    step attnpde takes for this operator;
//  - `--variable`: w = p^2 with p = 1 + 0.5 sin(x) cos(y) (softmax weights), so L has
//    variable coefficients: the multigrid solve and attnpde's step for it, GMRES
//    preconditioned by the FFT inverse of the constant-coefficient operator.
// Prints seconds per step (preconditioner already set up; the fastest of three) and iterations. With a file
// argument also writes u0 and u1 (float64), and in variable mode the matrix (CSR), the
// right-hand side and w, so that bench/pde_peers.py solves the same step with SciPy.
//
//   bench_pde DIM N [--variable] [dump.bin] [-- PETSc options, e.g. -pc_type gamg]
#include <petscksp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "attention/expression.hpp"
#include "discretization/grid.hpp"
#include "discretization/operator.hpp"
#include "solver/fourier_solver.hpp"
#include "solver/pde_solver.hpp"
#include "solver/stencil_multigrid.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Solves once (the first solve sets the preconditioner up), then three times more, as
// every later step does, and reports the fastest of those (the machine may be shared).
double timed_solve(KSP ksp, Vec rhs, Vec x, double& first, int& iterations) {
  auto t = Clock::now();
  ATTNPDE_PETSC(KSPSolve(ksp, rhs, x));
  first = seconds_since(t);
  double best = 1e300;
  for (int repeat = 0; repeat < 3; ++repeat) {
    t = Clock::now();
    ATTNPDE_PETSC(KSPSolve(ksp, rhs, x));
    best = std::min(best, seconds_since(t));
  }
  PetscInt its = 0;
  ATTNPDE_PETSC(KSPGetIterationNumber(ksp, &its));
  iterations = static_cast<int>(its);
  return best;
}

template <class T>
void write(std::ofstream& out, const T* data, std::size_t count) {
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attnpde;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_pde DIM N [--variable] [dump.bin] [-- PETSc options]\n");
    return 2;
  }
  const int dim = std::atoi(argv[1]), n = std::atoi(argv[2]);
  bool variable = false;
  std::string dump;
  std::vector<char*> petsc_argv{argv[0]};
  for (int k = 3; k < argc; ++k) {
    const std::string a = argv[k];
    if (a == "--") {
      for (int j = k + 1; j < argc; ++j) petsc_argv.push_back(argv[j]);
      break;
    }
    if (a == "--variable")
      variable = true;
    else
      dump = a;
  }
  int petsc_argc = static_cast<int>(petsc_argv.size());
  petsc_argv.push_back(nullptr);
  char** pa = petsc_argv.data();
  if (PetscInitialize(&petsc_argc, &pa, nullptr, nullptr)) return 1;
  int rc = 0;
  {
    Eigen::MatrixXd m = Eigen::MatrixXd::Identity(dim, dim);
    if (dim == 2) m << 2.0, 0.6, 0.6, 1.0;
    if (dim == 3) m << 1.5, 0.3, 0.1, 0.3, 1.0, -0.2, 0.1, -0.2, 1.2;
    const Eigen::MatrixXd G = m.inverse();
    Grid grid(PETSC_COMM_WORLD, std::vector<int>(static_cast<std::size_t>(dim), n));
    const Expression p(variable ? "1 + 0.5*sin(x)*cos(y)" : "1");
    auto w = [&](const double* x) { return std::pow(p.at(x, 3), 2); };
    MatOwner L = assemble_operator(grid, G, w);
    const double dt = grid.spacing()[0];
    // A = I - dt/2 L.
    MatOwner A;
    ATTNPDE_PETSC(MatDuplicate(L, MAT_COPY_VALUES, A.out()));
    ATTNPDE_PETSC(MatScale(A, -0.5 * dt));
    ATTNPDE_PETSC(MatShift(A, 1.0));
    VecOwner u0 = grid.create_vector(), rhs = grid.create_vector(), u1 = grid.create_vector();
    // A rough deterministic field (hash of the node index): every mode is present, so no
    // Krylov method gets away with a few iterations on a smooth right-hand side.
    const double h = grid.spacing()[0];
    grid.fill(u0, [h, n](const double* x) {
      const double index = std::round(x[0] / h) + n * (std::round(x[1] / h) + n * std::round(x[2] / h));
      const double v = std::sin(index * 12.9898 + 78.233) * 43758.5453;
      return v - std::floor(v) - 0.5;
    });
    ATTNPDE_PETSC(MatMult(L, u0, rhs));
    ATTNPDE_PETSC(VecAYPX(rhs, 0.5 * dt, u0));  // rhs = u0 + dt/2 L u0
    const char* kind = variable ? "variable" : "constant";

    // The general solver of attnpde's time steps (solver/pde_solver.hpp): on one rank FGMRES
    // with the matrix-free stencil multigrid, else GMRES + PETSc's multigrid on the DMDA
    // hierarchy with assembled levels. On one rank two more lines for comparison: that PETSc
    // multigrid (attnpde-pcmg) and GMRES + ILU(0) (attnpde-gmres-ilu). PETSc options after
    // "--" override all of them.
    double first = 0;
    int its = 0;
    PetscMPIInt ranks = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
    std::unique_ptr<StencilMultigrid> stencil_mg;
    if (StencilMultigrid::applicable(grid)) stencil_mg = std::make_unique<StencilMultigrid>(grid);
    const char* names[] = {"attnpde", stencil_mg ? "attnpde-pcmg" : "attnpde", "attnpde-gmres-ilu"};
    for (int variant = stencil_mg ? 0 : 1; variant < (ranks == 1 ? 3 : 2); ++variant) {
      KSP ksp;
      ATTNPDE_PETSC(KSPCreate(PETSC_COMM_WORLD, &ksp));
      DMOwner dm = grid.clone_dm();
      ATTNPDE_PETSC(KSPSetDM(ksp, dm));
      ATTNPDE_PETSC(KSPSetDMActive(ksp, PETSC_FALSE));
      if (variant == 0) {
        stencil_mg->set_operator(A);
        ATTNPDE_PETSC(KSPSetOperators(ksp, stencil_mg->shell(), A));
        stencil_mg->configure(ksp);
      } else {
        ATTNPDE_PETSC(KSPSetOperators(ksp, A, A));
        configure_default_solver(ksp, grid);
      }
      if (variant == 2) {
        PC ilu;
        ATTNPDE_PETSC(KSPSetType(ksp, KSPGMRES));
        ATTNPDE_PETSC(KSPGetPC(ksp, &ilu));
        ATTNPDE_PETSC(PCSetType(ilu, PCILU));
        // Right preconditioning: converged means the true residual is small (ILU(0) of
        // these stencils can be unstable, and a small preconditioned residual then says
        // nothing about the answer).
        ATTNPDE_PETSC(KSPSetPCSide(ksp, PC_RIGHT));
      }
      ATTNPDE_PETSC(KSPSetTolerances(ksp, 1e-10, 1e-50, PETSC_DEFAULT, PETSC_DEFAULT));
      ATTNPDE_PETSC(KSPSetFromOptions(ksp));
      VecOwner x = grid.create_vector();
      const bool reference = std::string(names[variant]) == "attnpde";
      const double seconds = timed_solve(ksp, rhs, reference ? u1.get() : x.get(), first, its);
      KSPType type;
      PC pc;
      PCType pc_type;
      ATTNPDE_PETSC(KSPGetType(ksp, &type));
      ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
      ATTNPDE_PETSC(PCGetType(pc, &pc_type));
      const bool ours = variant == 0 && std::string(pc_type) == PCSHELL;
      std::printf("%s dim=%d n=%d coefficients=%s ksp=%s pc=%s first_step=%.6f seconds=%.6f iterations=%d",
                  names[variant], dim, n, kind, type, ours ? "stencil-mg" : pc_type, first, seconds, its);
      if (ours)
        std::printf(" storage=%s coefficient_rows=%ld", stencil_mg->symmetric() ? "symmetric" : "full",
                    stencil_mg->coefficient_rows());
      if (!reference) {
        PetscReal diff = 0;
        ATTNPDE_PETSC(VecAXPY(x, -1.0, u1));
        ATTNPDE_PETSC(VecNorm(x, NORM_INFINITY, &diff));
        std::printf(" max_diff_to_mg=%.3e", diff);
      }
      std::printf("\n");
      KSPDestroy(&ksp);
    }

    // The step attnpde takes for constant G on the torus (one rank): the exact FFT solve for
    // constant coefficients, FFT-preconditioned GMRES for a variable weight.
    if (ranks == 1) {
      FourierInverse inverse(grid, G);
      inverse.set_coefficients(1.0, 0.5 * dt);
      KSP fk;
      ATTNPDE_PETSC(KSPCreate(PETSC_COMM_WORLD, &fk));
      ATTNPDE_PETSC(KSPSetOperators(fk, A, A));
      configure_fourier_solver(fk, &inverse);
      if (variable) ATTNPDE_PETSC(KSPSetType(fk, KSPGMRES));
      ATTNPDE_PETSC(KSPSetTolerances(fk, 1e-10, 1e-50, PETSC_DEFAULT, PETSC_DEFAULT));
      VecOwner y = grid.create_vector();
      const double fft = timed_solve(fk, rhs, y, first, its);
      ATTNPDE_PETSC(VecAXPY(y, -1.0, u1));
      PetscReal diff = 0;
      ATTNPDE_PETSC(VecNorm(y, NORM_INFINITY, &diff));
      std::printf("attnpde-fft dim=%d n=%d coefficients=%s ksp=%s seconds=%.6f iterations=%d max_diff_to_mg=%.3e\n",
                  dim, n, kind, variable ? "gmres" : "preonly", fft, its, diff);
      KSPDestroy(&fk);
    }

    if (!dump.empty()) {
      const auto a = grid.gather(u0), b = grid.gather(u1);
      std::ofstream out(dump, std::ios::binary);
      write(out, a.data(), a.size());
      write(out, b.data(), b.size());
      if (variable) {
        // CSR of A (one rank: PETSc order is the natural order), the right-hand side and w.
        if (ranks != 1) throw std::runtime_error("the variable-coefficient dump needs one rank");
        PetscInt rows = 0;
        const PetscInt *ia = nullptr, *ja = nullptr;
        PetscBool done = PETSC_FALSE;
        ATTNPDE_PETSC(MatGetRowIJ(A, 0, PETSC_FALSE, PETSC_FALSE, &rows, &ia, &ja, &done));
        const PetscScalar* values = nullptr;
        ATTNPDE_PETSC(MatSeqAIJGetArrayRead(A, &values));
        std::vector<std::int64_t> rp(ia, ia + rows + 1), cols(ja, ja + ia[rows]);
        const std::int64_t nnz = ia[rows];
        write(out, &nnz, 1);
        write(out, rp.data(), rp.size());
        write(out, cols.data(), cols.size());
        write(out, values, static_cast<std::size_t>(nnz));
        ATTNPDE_PETSC(MatSeqAIJRestoreArrayRead(A, &values));
        ATTNPDE_PETSC(MatRestoreRowIJ(A, 0, PETSC_FALSE, PETSC_FALSE, &rows, &ia, &ja, &done));
        const auto r = grid.gather(rhs);
        write(out, r.data(), r.size());
        VecOwner wv = grid.create_vector();
        grid.fill(wv, w);
        const auto wn = grid.gather(wv);
        write(out, wn.data(), wn.size());
      }
      if (!out) rc = 1;
    }
  }
  PetscFinalize();
  return rc;
}
