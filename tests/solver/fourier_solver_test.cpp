// Exact FFT steps for constant coefficients on the torus (solver/fourier_solver.hpp).
#include "solver/fourier_solver.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/expression.hpp"
#include "solver/pde_solver.hpp"

namespace attnpde {
namespace {

Eigen::MatrixXd metric(int dim) {
  Eigen::MatrixXd g = Eigen::MatrixXd::Identity(dim, dim) * 0.9;
  if (dim >= 2) g(0, 1) = g(1, 0) = 0.3;
  if (dim == 3) g(1, 2) = g(2, 1) = -0.2;
  return g;
}

// max |L_symbol f - L_assembled f| / max |L_assembled f| at the nodes (w = 1).
double symbol_mismatch(const Grid& grid, const Eigen::MatrixXd& g, const Expression& f) {
  MatOwner L = assemble_operator(grid, g, [](const double*) { return 1.0; });
  VecOwner u = grid.create_vector(), lu = grid.create_vector();
  grid.fill(u, [&](const double* x) { return f.at(x, 3); });
  ATTNPDE_PETSC(MatMult(L, u, lu));
  const auto uv = grid.gather(u), luv = grid.gather(lu);
  FourierInverse inv(grid, g);
  std::vector<double> out(uv.size());
  inv.apply_operator(uv.data(), out.data());
  double diff = 0, scale = 0;
  for (std::size_t k = 0; k < uv.size(); ++k) {
    diff = std::max(diff, std::abs(out[k] - luv[k]));
    scale = std::max(scale, std::abs(luv[k]));
  }
  return diff / scale;
}

// The symbol reproduces the assembled stencil, and the inverse solves a I - b L.
TEST(FourierSolver, SymbolIsTheStencilAndTheInverseSolves) {
  for (int dim : {1, 2, 3}) {
    const int n = dim == 3 ? 12 : 24;
    std::vector<int> nodes(static_cast<std::size_t>(dim), n);
    nodes[0] = n + 4;  // unequal sides
    Grid grid(PETSC_COMM_WORLD, nodes);
    const Expression f("sin(3*x + y) + cos(2*y - z) + 0.3*sin(x)^3");
    EXPECT_LT(symbol_mismatch(grid, metric(dim), f), 1e-11) << "dim " << dim;
    // (a I - b L) y = u with y from apply().
    VecOwner u = grid.create_vector();
    grid.fill(u, [&](const double* x) { return f.at(x, 3); });
    const auto uv = grid.gather(u);
    FourierInverse inv(grid, metric(dim));
    std::vector<double> out(uv.size()), back(uv.size());
    const double a = 1.0, b = 0.05;
    inv.set_coefficients(a, b);
    inv.apply(uv.data(), out.data());
    inv.apply_operator(out.data(), back.data());
    double res = 0;
    for (std::size_t k = 0; k < uv.size(); ++k) res = std::max(res, std::abs(a * out[k] - b * back[k] - uv[k]));
    EXPECT_LT(res, 1e-12) << "dim " << dim;
  }
}

// A whole Crank-Nicolson run with FFT steps equals the multigrid run to solver tolerance
// and conserves the mass exactly.
TEST(FourierSolver, TimeStepsMatchMultigrid) {
  const int n = 64;
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression u0("sin(x)*cos(2*y) + 0.5*cos(x + y) + 1");
  auto solve = [&](bool fourier) {
    PdeOptions opt;
    opt.dt = 0.02;
    if (fourier) opt.fourier_metric = metric(2);
    PdeSolver pde(
        grid, assemble_operator(grid, metric(2), [](const double*) { return 1.0; }),
        [&](const double* x) { return u0.at(x, 2); }, opt, 1.0);
    pde.advance_to(0.5);
    return std::pair{pde.gather(), pde.stats()};
  };
  const auto [mg, mg_stats] = solve(false);
  const auto [fft, fft_stats] = solve(true);
  EXPECT_EQ(mg_stats.pc_type, "stencil-mg");
  EXPECT_EQ(fft_stats.pc_type, "shell");
  double diff = 0, m_mg = 0, m_fft = 0, m_0 = 0;
  for (std::size_t k = 0; k < mg.size(); ++k) {
    diff = std::max(diff, std::abs(mg[k] - fft[k]));
    m_mg += mg[k];
    m_fft += fft[k];
  }
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double x[2] = {grid.coordinate(0, i), grid.coordinate(1, j)};
      m_0 += u0.at(x, 2);
    }
  EXPECT_LT(diff, 1e-8);
  EXPECT_NEAR(m_fft, m_0, 1e-11 * std::abs(m_0));
  EXPECT_EQ(fft_stats.ksp_iterations, fft_stats.steps);  // one exact application per step
}

// Variable weight and a drift: FFT-preconditioned GMRES takes a few iterations per step,
// independent of the grid, and gives the multigrid solution to the solver tolerance.
// Runs the same weighted, drifted problem with multigrid and with the transform solver
// on grids of n^2 for each n; expects the same solution and transform-preconditioned GMRES
// iteration counts per step that do not grow with the grid.
void expect_transform_matches_multigrid(Domain domain, const std::vector<int>& sizes, const Eigen::MatrixXd& g,
                                        const char* p_expr, const char* u0_expr, const VectorFunction& drift, double dt,
                                        double g_max) {
  const Expression p(p_expr), u0(u0_expr);
  std::vector<double> per_step;
  for (int n : sizes) {
    Grid grid(PETSC_COMM_WORLD, {n, n}, domain);
    auto solve = [&](bool transform) {
      PdeOptions opt;
      opt.dt = dt;
      if (transform) opt.fourier_metric = g;
      PdeSolver pde(
          grid,
          assemble_operator(
              grid, g, [&](const double* x) { return std::pow(p.at(x, 2), 2); }, drift),
          [&](const double* x) { return u0.at(x, 2); }, opt, g_max);
      pde.advance_to(0.2);
      return std::pair{pde.gather(), pde.stats()};
    };
    const auto [mg, mg_stats] = solve(false);
    const auto [tr, tr_stats] = solve(true);
    EXPECT_EQ(mg_stats.pc_type, "stencil-mg");
    EXPECT_EQ(tr_stats.ksp_type, "gmres");
    EXPECT_EQ(tr_stats.pc_type, "shell");
    double diff = 0;
    for (std::size_t k = 0; k < mg.size(); ++k) diff = std::max(diff, std::abs(mg[k] - tr[k]));
    EXPECT_LT(diff, 1e-8) << domain.name() << ", n = " << n;
    per_step.push_back(static_cast<double>(tr_stats.ksp_iterations) / static_cast<double>(tr_stats.steps));
    std::printf("%s n = %d: %.1f transform-preconditioned GMRES iterations per step\n", domain.name(), n,
                per_step.back());
  }
  for (double its : per_step) EXPECT_LE(its, per_step.front() + 2.0);
}

TEST(FourierSolver, PreconditionsVariableCoefficientsWithGridIndependentIterations) {
  auto drift = [](const double* x) {
    Eigen::VectorXd b(2);
    b << 0.3 * std::cos(x[1]), -0.2;
    return b;
  };
  expect_transform_matches_multigrid(Domain{}, {32, 64, 128, 256}, metric(2), "1 + 0.5*sin(x)*cos(y)",
                                     "sin(x)*cos(2*y) + 0.5*cos(x + y)", drift, 0.05, 1.0);
}

// Box: the cosine symbol reproduces the zero-flux stencil for a diagonal G (1-3D), and with
// a variable weight and a drift the DCT inverse preconditions GMRES to the multigrid
// solution at iteration counts that do not grow with the grid.
TEST(FourierSolver, CosineTransformsInTheBox) {
  const Domain box{DomainKind::box};
  for (int dim : {1, 2, 3}) {
    const int n = dim == 3 ? 10 : 20;
    std::vector<int> nodes(static_cast<std::size_t>(dim), n);
    nodes[0] = n + 6;
    Grid grid(PETSC_COMM_WORLD, nodes, box);
    const Eigen::MatrixXd g = metric(dim).diagonal().asDiagonal();
    EXPECT_LT(symbol_mismatch(grid, g, Expression("x^3 - 2*y*x + cos(3*z) + exp(x*y)")), 1e-11) << "dim " << dim;
  }
  Eigen::MatrixXd g(2, 2);
  g << 0.06, 0.0, 0.0, 0.05;
  auto drift = [](const double* x) {
    Eigen::VectorXd b(2);
    b << 0.2 * x[1], -0.1;
    return b;
  };
  expect_transform_matches_multigrid(box, {32, 64, 128}, g, "1 + 0.5*x*y", "cos(pi*x)*cos(pi*y) + x", drift, 0.02,
                                     0.08);
}

}  // namespace
}  // namespace attnpde
