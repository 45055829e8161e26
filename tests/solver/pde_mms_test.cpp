// Space-time manufactured solutions of du/dt = w^-1 div(w G grad u) + b . grad u + s
// (docs/theory.md section 3) in 1D, 2D and 3D, on the torus and in the zero-flux box, with
// constant and varying G, with and without drift: u = exp(-t) phi(x), so
// s = -exp(-t) (phi + L_gamma phi + b . grad phi). Crank-Nicolson with dt proportional to h:
// the error at the nodes is O(h^2).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "attention/expression.hpp"
#include "discretization/reference.hpp"
#include "solver/pde_solver.hpp"
#include "support/orders.hpp"

namespace attnpde {
namespace {

struct Mms {
  std::string label;
  int dim;
  Domain domain;
  std::string phi, p;
  std::vector<std::string> G;      ///< dim x dim expressions, row-major
  std::vector<std::string> drift;  ///< empty: b = 0
  std::vector<int> sizes;
  double t_end = 0.3;
  double dt_per_h = 0.5;  ///< dt = dt_per_h * h / length
};

// Fourth-order central difference of an expression along d (step 5e-3).
double derivative(const Expression& f, const double* x, int dim, int d) {
  const double e = 5e-3;
  double a[3] = {x[0], x[1], x[2]};
  auto at = [&](double s) {
    a[d] = x[d] + s * e;
    return f.at(a, dim);
  };
  return (8.0 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12.0 * e);
}

double mms_error(const Mms& m, int n) {
  const int dim = m.dim;
  Grid grid(PETSC_COMM_WORLD, std::vector<int>(static_cast<std::size_t>(dim), n), m.domain);
  const Expression phi(m.phi), p(m.p);
  std::vector<Expression> G(m.G.begin(), m.G.end()), b(m.drift.begin(), m.drift.end());
  const double gamma = 2.0;
  auto w = [&](const double* x) { return std::pow(p.at(x, dim), gamma); };
  MatrixFunction G_at = [&](const double* x) {
    Eigen::MatrixXd g(dim, dim);
    for (int r = 0; r < dim; ++r)
      for (int c = 0; c < dim; ++c) g(r, c) = G[static_cast<std::size_t>(r * dim + c)].at(x, dim);
    return g;
  };
  VectorFunction b_at;
  if (!b.empty())
    b_at = [&](const double* x) {
      Eigen::VectorXd v(dim);
      for (int d = 0; d < dim; ++d) v[d] = b[static_cast<std::size_t>(d)].at(x, dim);
      return v;
    };
  // phi + L phi + b . grad phi at the nodes (natural order), looked up by index.
  const auto& nodes = grid.nodes();
  std::vector<double> rest(static_cast<std::size_t>(grid.total_nodes()));
  for (int k = 0; k < nodes[2]; ++k)
    for (int j = 0; j < nodes[1]; ++j)
      for (int i = 0; i < nodes[0]; ++i) {
        const double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
        double r = phi.at(x, dim) + continuum_generator(phi, p, G, gamma, x, dim);
        for (std::size_t d = 0; d < b.size(); ++d) r += b[d].at(x, dim) * derivative(phi, x, dim, static_cast<int>(d));
        rest[static_cast<std::size_t>(i + nodes[0] * (j + static_cast<long>(nodes[1]) * k))] = r;
      }
  const auto& h = grid.spacing();
  const double shift = m.domain.periodic() ? 0.0 : 0.5;
  auto index = [&](const double* x, int d) { return static_cast<long>(std::lround(x[d] / h[d] - shift)); };
  auto source = [&](const double* x, double t) {
    const long i = index(x, 0), j = dim > 1 ? index(x, 1) : 0, k = dim > 2 ? index(x, 2) : 0;
    return -std::exp(-t) * rest[static_cast<std::size_t>(i + nodes[0] * (j + nodes[1] * k))];
  };
  PdeOptions opt;
  opt.dt = m.dt_per_h * h[0] / m.domain.length();
  PdeSolver pde(
      grid, assemble_operator(grid, G_at, w, b_at), [&](const double* x) { return phi.at(x, dim); }, opt, 1.0, source);
  pde.advance_to(m.t_end);
  const auto u = pde.gather();
  double err = 0;
  for (int k = 0; k < nodes[2]; ++k)
    for (int j = 0; j < nodes[1]; ++j)
      for (int i = 0; i < nodes[0]; ++i) {
        const double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
        const double exact = std::exp(-m.t_end) * phi.at(x, dim);
        err = std::max(
            err, std::abs(u[static_cast<std::size_t>(i + nodes[0] * (j + static_cast<long>(nodes[1]) * k))] - exact));
      }
  return err;
}

void expect_second_order(const Mms& m) {
  std::vector<double> errs;
  for (int n : m.sizes) errs.push_back(mms_error(m, n));
  testing::expect_orders(m.label, errs, 1.9, 2.1);
}

const Domain torus{DomainKind::torus}, box{DomainKind::box};

TEST(PdeManufactured, OneDimensionalTorusWithDrift) {
  expect_second_order({"1D torus, non-uniform p, drift",
                       1,
                       torus,
                       "sin(x) + 0.5*cos(2*x)",
                       "1 + 0.4*sin(x)",
                       {"0.7"},
                       {"0.3*cos(x)"},
                       {32, 64, 128}});
}

TEST(PdeManufactured, ThreeDimensionalTorusFullMetric) {
  expect_second_order({"3D torus, full G, non-uniform p",
                       3,
                       torus,
                       "sin(x)*cos(y) + 0.5*cos(y + z)",
                       "1 + 0.3*sin(x)*cos(z)",
                       {"0.9", "0.2", "0.1", "0.2", "0.8", "-0.15", "0.1", "-0.15", "1.1"},
                       {},
                       {8, 16, 32},
                       0.2});
}

TEST(PdeManufactured, TwoDimensionalTorusVaryingMetricAndDrift) {
  expect_second_order({"2D torus, G(x), drift",
                       2,
                       torus,
                       "sin(x)*cos(2*y) + 0.5*cos(x + y)",
                       "1 + 0.4*sin(x)*cos(y)",
                       {"1 + 0.3*sin(x)", "0.2*cos(y)", "0.2*cos(y)", "0.9 + 0.2*cos(x + y)"},
                       {"0.4*sin(y)", "0.3*cos(x)"},
                       {32, 64, 128}});
}

// Zero flux with a diagonal G: n . grad phi = 0 on the boundary, phi varies along it.
TEST(PdeManufactured, TwoDimensionalBoxNeumannWithDrift) {
  expect_second_order({"2D box, diagonal G, non-uniform p, drift",
                       2,
                       box,
                       "cos(pi*x)*cos(2*pi*y) + 0.5*cos(pi*y)",
                       "1 + 0.4*x*y",
                       {"0.08", "0", "0", "0.05"},
                       {"0.2*y", "0.3*sin(pi*x)"},
                       {32, 64, 128}});
}

// Zero conormal flux with a full, varying G whose off-diagonal vanishes on the boundary:
// there n . (w G grad phi) = w G_nn d_n phi = 0 for phi built from cos(pi x), cos(pi y),
// while the tangential derivatives (and the one-sided differences that carry them) are
// non-zero.
TEST(PdeManufactured, TwoDimensionalBoxFullVaryingMetric) {
  expect_second_order({"2D box, full G(x), non-uniform p",
                       2,
                       box,
                       "cos(pi*x) + cos(pi*y) + 0.5*cos(pi*x)*cos(2*pi*y)",
                       "1 + 0.5*x + 0.3*y^2",
                       {"0.06 + 0.02*x", "0.15*x*(1-x)*y*(1-y)", "0.15*x*(1-x)*y*(1-y)", "0.05 + 0.01*y"},
                       {},
                       {32, 64, 128}});
}

TEST(PdeManufactured, ThreeDimensionalBox) {
  expect_second_order({"3D box, diagonal G, non-uniform p",
                       3,
                       box,
                       "cos(pi*x)*cos(pi*y)*cos(pi*z) + cos(2*pi*z)",
                       "1 + 0.3*x + 0.2*y*z",
                       {"0.06", "0", "0", "0", "0.05", "0", "0", "0", "0.04"},
                       {},
                       {8, 16, 32},
                       0.2});
}

TEST(PdeManufactured, BoxConservesWeightedMassWithZeroFlux) {
  const int n = 32;
  Grid grid(PETSC_COMM_WORLD, {n, n + 8}, box);
  const Expression p("1 + 0.5*x + 0.3*y^2"), u0("exp(-20*((x-0.3)^2 + (y-0.6)^2)) + x");
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  Eigen::MatrixXd g(2, 2);
  g << 0.06, 0.025, 0.025, 0.05;
  PdeOptions opt;
  opt.rtol = 1e-14;  // the scheme conserves exactly; the linear solves to round-off
  opt.atol = 1e-15;
  PdeSolver pde(
      grid, assemble_operator(grid, g, w), [&](const double* x) { return u0.at(x, 2); }, opt, 0.08);
  VecOwner wv = grid.create_vector();
  grid.fill(wv, w);
  auto mass = [&] { return grid.weighted_sum(pde.solution(), wv); };
  const double m0 = mass();
  for (double t : {0.1, 1.0, 5.0}) {
    pde.advance_to(t);
    EXPECT_NEAR(mass(), m0, 1e-12 * std::abs(m0)) << "t = " << t;
  }
  // Long times: the solution relaxes to the constant with the same weighted mass.
  pde.advance_to(60.0);
  PetscScalar total_w = 0;
  ATTNPDE_PETSC(VecSum(wv, &total_w));
  const double mean = m0 / (total_w * grid.cell_volume());
  const auto u = pde.gather();
  for (double v : u) ASSERT_NEAR(v, mean, 1e-6);
}

// Multigrid keeps the iteration count per step independent of the grid size.
TEST(PdeManufactured, MultigridIterationsDoNotGrowWithTheGrid) {
  std::vector<double> per_step;
  for (int n : {32, 64, 128, 256}) {
    Grid grid(PETSC_COMM_WORLD, {n, n});
    Eigen::MatrixXd g(2, 2);
    g << 0.7, 0.3, 0.3, 1.1;
    const Expression p("1 + 0.4*sin(x)*cos(y)"), u0("sin(3*x)*cos(5*y) + cos(x)");
    PdeOptions opt;
    opt.dt = 0.05;
    PdeSolver pde(
        grid, assemble_operator(grid, g, [&](const double* x) { return std::pow(p.at(x, 2), 2); }),
        [&](const double* x) { return u0.at(x, 2); }, opt, 1.0);
    pde.advance_to(0.2);
    EXPECT_EQ(pde.stats().pc_type, "stencil-mg");
    EXPECT_EQ(pde.stats().mg_storage, "symmetric");  // no drift: diag(w) A is symmetric
    per_step.push_back(static_cast<double>(pde.stats().ksp_iterations) / static_cast<double>(pde.stats().steps));
    std::printf("n = %d: %d levels, %.1f iterations per step\n", n, pde.stats().mg_levels, per_step.back());
  }
  for (double its : per_step) EXPECT_LE(its, per_step.front() + 2.0);
}

}  // namespace
}  // namespace attnpde
