// Benchmark of one implicit Crank-Nicolson step of the PDE (THEORY.md section 3) on the
// periodic grid: (I - dt/2 L) u1 = (I + dt/2 L) u0 with L the conservative anisotropic
// operator, G = [[2, .6], [.6, 1]]^-1 (3D: a full 3 x 3 metric), p = 1, dt = h, KSP
// relative tolerance 1e-10, a rough right-hand side. Prints seconds per step and KSP iterations; with a file
// argument also writes u0 and u1 (float64) so that bench/pde_peers.py solves the same
// step with SciPy and checks its answer.
//
//   bench_pde DIM N [dump.bin] [-- PETSc options, e.g. -ksp_type cg -pc_type gamg]
#include <petscksp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "discretization/grid.hpp"
#include "discretization/operator.hpp"
#include "solver/fourier_solver.hpp"
#include "solver/pde_solver.hpp"

int main(int argc, char** argv) {
  using namespace attnpde;
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_pde DIM N [dump.bin] [-- PETSc options]\n");
    return 2;
  }
  const int dim = std::atoi(argv[1]), n = std::atoi(argv[2]);
  const std::string dump = argc > 3 && std::string(argv[3]) != "--" ? argv[3] : "";
  int petsc_argc = 1;
  std::vector<char*> petsc_argv{argv[0]};
  for (int k = 3; k < argc; ++k)
    if (std::string(argv[k]) == "--")
      for (int j = k + 1; j < argc; ++j) petsc_argv.push_back(argv[j]);
  petsc_argc = static_cast<int>(petsc_argv.size());
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
    MatOwner L = assemble_operator(grid, G, [](const double*) { return 1.0; });
    const double dt = grid.spacing()[0];
    // A = I - dt/2 L, B = I + dt/2 L.
    MatOwner A, B;
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
    KSP ksp;
    ATTNPDE_PETSC(KSPCreate(PETSC_COMM_WORLD, &ksp));
    ATTNPDE_PETSC(KSPSetOperators(ksp, A, A));
    // The solver attnpde's time steps use (solver/pde_solver.hpp): GMRES + multigrid on
    // the DMDA hierarchy; PETSc options after "--" override it.
    DMOwner dm = grid.clone_dm();
    ATTNPDE_PETSC(KSPSetDM(ksp, dm));
    ATTNPDE_PETSC(KSPSetDMActive(ksp, PETSC_FALSE));
    configure_default_solver(ksp, grid);
    ATTNPDE_PETSC(KSPSetTolerances(ksp, 1e-10, 1e-50, PETSC_DEFAULT, PETSC_DEFAULT));
    ATTNPDE_PETSC(KSPSetFromOptions(ksp));
    const auto t0 = std::chrono::steady_clock::now();
    ATTNPDE_PETSC(KSPSolve(ksp, rhs, u1));
    const double setup_and_solve = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // A second solve with the preconditioner already set up: the cost of every later step.
    const auto t1 = std::chrono::steady_clock::now();
    ATTNPDE_PETSC(KSPSolve(ksp, rhs, u1));
    const double solve = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    PetscInt its = 0;
    ATTNPDE_PETSC(KSPGetIterationNumber(ksp, &its));
    KSPType type;
    PC pc;
    PCType pc_type;
    ATTNPDE_PETSC(KSPGetType(ksp, &type));
    ATTNPDE_PETSC(KSPGetPC(ksp, &pc));
    ATTNPDE_PETSC(PCGetType(pc, &pc_type));
    std::printf("attnpde dim=%d n=%d ksp=%s pc=%s first_step=%.6f seconds=%.6f iterations=%d\n", dim, n, type, pc_type,
                setup_and_solve, solve, static_cast<int>(its));
    // Constant coefficients on the torus: the exact FFT step attnpde takes for such cases
    // (solver/fourier_solver.hpp), on one rank.
    PetscMPIInt ranks = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
    if (ranks == 1) {
      FourierInverse inverse(grid, G);
      inverse.set_coefficients(1.0, 0.5 * dt);
      const auto r = grid.gather(rhs), ref = grid.gather(u1);
      std::vector<double> y(r.size());
      inverse.apply(r.data(), y.data());  // first call: FFTW warm-up
      const auto t2 = std::chrono::steady_clock::now();
      inverse.apply(r.data(), y.data());
      const double fft = std::chrono::duration<double>(std::chrono::steady_clock::now() - t2).count();
      double diff = 0;
      for (std::size_t k = 0; k < y.size(); ++k) diff = std::max(diff, std::abs(y[k] - ref[k]));
      std::printf("attnpde-fft dim=%d n=%d seconds=%.6f max_diff_to_mg=%.3e\n", dim, n, fft, diff);
    }
    if (!dump.empty()) {
      const auto a = grid.gather(u0), b = grid.gather(u1);
      std::ofstream out(dump, std::ios::binary);
      out.write(reinterpret_cast<const char*>(a.data()), static_cast<std::streamsize>(a.size() * sizeof(double)));
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size() * sizeof(double)));
      if (!out) rc = 1;
    }
    KSPDestroy(&ksp);
  }
  PetscFinalize();
  return rc;
}
