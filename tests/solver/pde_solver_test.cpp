// Time integration of du/dt = L u + s with PETSc TS (docs/theory.md section 3).
#include "solver/pde_solver.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/expression.hpp"
#include "discretization/reference.hpp"
#include "support/orders.hpp"

namespace attnpde {
namespace {

const char* const phi_expr = "sin(x)*cos(y) + 0.4*cos(x + 2*y)";
const char* const p_expr = "1 + 0.3*sin(x)*cos(y)";

Eigen::MatrixXd full_g() {
  Eigen::MatrixXd g(2, 2);
  g << 0.8, 0.3, 0.3, 1.1;
  return g;
}

// Manufactured solution u = exp(-t) phi(x): s = u_t - L u = -exp(-t) (phi + L phi).
// Returns the max nodal error at t_end on an n x n grid with step dt.
double manufactured_error(int n, double dt, double t_end) {
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression phi(phi_expr), p(p_expr);
  const Eigen::MatrixXd g = full_g();
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  // phi + L phi at the nodes, looked up by index in the source.
  const auto& h = grid.spacing();
  std::vector<double> rest(static_cast<std::size_t>(n) * n);
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double x[2] = {i * h[0], j * h[1]};
      rest[static_cast<std::size_t>(j) * n + i] = phi.at(x, 2) + continuum_generator(phi, p, g, 2.0, x, 2);
    }
  auto source = [&](const double* x, double t) {
    const int i = static_cast<int>(std::lround(x[0] / h[0])), j = static_cast<int>(std::lround(x[1] / h[1]));
    return -std::exp(-t) * rest[static_cast<std::size_t>(j) * n + i];
  };
  PdeOptions opt;
  opt.dt = dt;
  PdeSolver pde(
      grid, assemble_operator(grid, g, w), [&](const double* x) { return phi.at(x, 2); }, opt, 1.0, source);
  pde.advance_to(t_end);
  const auto u = pde.gather();
  double err = 0;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const double x[2] = {i * h[0], j * h[1]};
      err = std::max(err, std::abs(u[static_cast<std::size_t>(j) * n + i] - std::exp(-t_end) * phi.at(x, 2)));
    }
  return err;
}

TEST(PdeSolver, SecondOrderInSpaceAndTimeOnManufacturedSolution) {
  // dt proportional to h: the combined error is O(h^2) for Crank-Nicolson.
  const double t_end = 0.5;
  std::vector<int> sizes = {16, 32, 64};
  std::vector<double> errs;
  for (int n : sizes) errs.push_back(manufactured_error(n, 0.8 / n, t_end));
  testing::expect_orders("space-time manufactured solution; n = 16, 32, 64, dt = 0.8 / n", errs, 1.9, 2.1);
}

TEST(PdeSolver, CrankNicolsonIsSecondOrderInTime) {
  // Fixed grid; errors against a run with a 16x smaller step isolate the temporal error.
  const int n = 24;
  const double t_end = 0.4;
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression phi(phi_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  auto solve = [&](double dt) {
    PdeOptions opt;
    opt.dt = dt;
    PdeSolver pde(
        grid, assemble_operator(grid, full_g(), w), [&](const double* x) { return phi.at(x, 2); }, opt, 1.0);
    pde.advance_to(t_end);
    return pde.gather();
  };
  const auto ref = solve(0.1 / 64);
  std::vector<double> errs;
  for (double dt : {0.1, 0.05, 0.025}) {
    const auto u = solve(dt);
    double e = 0;
    for (std::size_t k = 0; k < u.size(); ++k) e = std::max(e, std::abs(u[k] - ref[k]));
    errs.push_back(e);
  }
  testing::expect_orders("Crank-Nicolson, dt = 0.1, 0.05, 0.025", errs, 1.9, 2.1);
}

TEST(PdeSolver, ConservesWeightedMass) {
  const int n = 32;
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression phi(phi_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  PdeOptions opt;
  PdeSolver pde(
      grid, assemble_operator(grid, full_g(), w), [&](const double* x) { return phi.at(x, 2) + 2.0; }, opt, 1.2);
  VecOwner wv = grid.create_vector();
  grid.fill(wv, w);
  auto mass = [&] { return grid.weighted_sum(pde.solution(), wv); };
  const double m0 = mass();
  for (double t : {0.1, 0.3, 1.0}) {
    pde.advance_to(t);
    EXPECT_NEAR(mass(), m0, 1e-11 * std::abs(m0)) << "t = " << t;
  }
  EXPECT_GT(pde.stats().steps, 0);
}

// Options after "--" reach TSSetFromOptions: Crank-Nicolson, BDF2 and explicit RK4 (with
// a stable step) agree on a smooth case to their temporal errors.
TEST(PdeSolver, CrankNicolsonBdf2AndRk4Agree) {
  const int n = 32;
  const double t_end = 0.2;
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression phi(phi_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  auto solve = [&](const std::vector<std::pair<const char*, const char*>>& options, double dt) {
    for (const auto& [k, v] : options) ATTNPDE_PETSC(PetscOptionsSetValue(nullptr, k, v));
    PdeOptions opt;
    opt.dt = dt;
    PdeSolver pde(
        grid, assemble_operator(grid, full_g(), w), [&](const double* x) { return phi.at(x, 2); }, opt, 1.0);
    for (const auto& [k, v] : options) ATTNPDE_PETSC(PetscOptionsClearValue(nullptr, k));
    pde.advance_to(t_end);
    return std::pair{pde.gather(), pde.stats().ts_type};
  };
  const double h = grid.spacing()[0];
  const auto [cn, cn_type] = solve({}, 1e-3);
  const auto [bdf, bdf_type] = solve({{"-ts_type", "bdf"}, {"-ts_bdf_order", "2"}}, 1e-3);
  const auto [rk, rk_type] = solve({{"-ts_type", "rk"}, {"-ts_rk_type", "4"}}, 0.1 * h * h);
  EXPECT_EQ(cn_type, "cn");
  EXPECT_EQ(bdf_type, "bdf");
  EXPECT_EQ(rk_type, "rk");
  double d_bdf = 0, d_rk = 0, scale = 0;
  for (std::size_t k = 0; k < cn.size(); ++k) {
    d_bdf = std::max(d_bdf, std::abs(bdf[k] - cn[k]));
    d_rk = std::max(d_rk, std::abs(rk[k] - cn[k]));
    scale = std::max(scale, std::abs(cn[k]));
  }
  std::printf("max |BDF2 - CN| %.3e, max |RK4 - CN| %.3e (scale %.3f)\n", d_bdf, d_rk, scale);
  EXPECT_LT(d_bdf, 1e-5 * scale);  // O(dt^2) with dt = 1e-3
  EXPECT_LT(d_rk, 1e-6 * scale);   // CN's own O(dt^2) error dominates
}

}  // namespace
}  // namespace attnpde
