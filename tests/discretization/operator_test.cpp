// The conservative weighted anisotropic operator (docs/theory.md section 3).
#include "discretization/operator.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/expression.hpp"
#include "discretization/reference.hpp"
#include "support/orders.hpp"

namespace attnpde {
namespace {

const char* const u_expr = "sin(x)*cos(2*y) + 0.5*cos(x + y)";
const char* const p_expr = "1 + 0.4*sin(x)*cos(y) + 0.2*cos(2*x)";

Eigen::MatrixXd full_g() {
  Eigen::MatrixXd g(2, 2);
  g << 0.7, -0.35, -0.35, 1.2;
  return g;
}

// max |L_h u - L u| over the nodes of an n x n grid, gamma = 2.
double operator_error(int n) {
  Grid grid(PETSC_COMM_WORLD, {n, n});
  const Expression u(u_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  MatOwner L = assemble_operator(grid, full_g(), w);
  VecOwner uv = grid.create_vector(), lu = grid.create_vector(), ex = grid.create_vector();
  grid.fill(uv, [&](const double* x) { return u.at(x, 2); });
  grid.fill(ex, [&](const double* x) { return continuum_generator(u, p, full_g(), 2.0, x, 2); });
  ATTNPDE_PETSC(MatMult(L, uv, lu));
  ATTNPDE_PETSC(VecAXPY(lu, -1.0, ex));
  PetscReal err = 0;
  ATTNPDE_PETSC(VecNorm(lu, NORM_INFINITY, &err));
  return err;
}

TEST(HeatOperator, SecondOrderOnManufacturedSolution) {
  std::vector<int> sizes = {16, 32, 64, 128};
  std::vector<double> errors;
  for (int n : sizes) errors.push_back(operator_error(n));
  testing::expect_orders("2D, full G, non-uniform p; n = 16, 32, 64, 128", errors, 1.9, 2.1);
}

TEST(HeatOperator, ConstantsAreInTheKernelAndWeightedMassIsConserved) {
  const int n = 24;
  Grid grid(PETSC_COMM_WORLD, {n, n + 4});
  const Expression u(u_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  MatOwner L = assemble_operator(grid, full_g(), w);
  VecOwner one = grid.create_vector(), out = grid.create_vector(), wv = grid.create_vector();
  ATTNPDE_PETSC(VecSet(one, 1.0));
  ATTNPDE_PETSC(MatMult(L, one, out));
  PetscReal norm = 0;
  ATTNPDE_PETSC(VecNorm(out, NORM_INFINITY, &norm));
  EXPECT_LT(norm, 1e-12);
  // sum_i w_i (L u)_i = 0 for any u: fluxes telescope on the torus.
  grid.fill(one, [&](const double* x) { return u.at(x, 2); });
  ATTNPDE_PETSC(MatMult(L, one, out));
  grid.fill(wv, w);
  PetscScalar mass_rate = 0;
  ATTNPDE_PETSC(VecDot(out, wv, &mass_rate));
  PetscReal scale = 0;
  ATTNPDE_PETSC(VecNorm(out, NORM_1, &scale));
  EXPECT_LT(std::abs(mass_rate), 1e-13 * scale);
}

TEST(HeatOperator, OneAndThreeDimensionsAreSecondOrder) {
  // 1D: u = sin(x) + cos(2x), p = 1 + 0.3 cos(x); 3D: mixed terms in all pairs.
  struct Setup {
    int dim;
    const char* u;
    const char* p;
    std::vector<int> sizes;
  };
  for (const auto& s : {Setup{1, "sin(x) + cos(2*x)", "1 + 0.3*cos(x)", {32, 64, 128}},
                        Setup{3, "sin(x)*cos(y) + cos(z + x)", "1 + 0.3*sin(x)*cos(z)", {12, 24, 48}}}) {
    Eigen::MatrixXd g = Eigen::MatrixXd::Identity(s.dim, s.dim);
    if (s.dim == 3) {
      g << 1.0, 0.2, -0.1, 0.2, 0.8, 0.15, -0.1, 0.15, 1.1;
    } else {
      g(0, 0) = 0.9;
    }
    const Expression u(s.u), p(s.p);
    std::vector<double> errs;
    for (int n : s.sizes) {
      Grid grid(PETSC_COMM_WORLD, std::vector<int>(s.dim, n));
      auto w = [&](const double* x) { return std::pow(p.at(x, s.dim), 2); };
      MatOwner L = assemble_operator(grid, g, w);
      VecOwner uv = grid.create_vector(), lu = grid.create_vector(), ex = grid.create_vector();
      grid.fill(uv, [&](const double* x) { return u.at(x, s.dim); });
      grid.fill(ex, [&](const double* x) { return continuum_generator(u, p, g, 2.0, x, s.dim); });
      ATTNPDE_PETSC(MatMult(L, uv, lu));
      ATTNPDE_PETSC(VecAXPY(lu, -1.0, ex));
      PetscReal err = 0;
      ATTNPDE_PETSC(VecNorm(lu, NORM_INFINITY, &err));
      errs.push_back(err);
    }
    testing::expect_orders("dim " + std::to_string(s.dim), errs, 1.9, 2.1);
  }
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

// A spatially varying SPD metric field G(x): still second order, still conservative.
TEST(HeatOperator, VaryingMetricFieldIsSecondOrder) {
  const std::vector<std::string> g_text = {"1 + 0.3*sin(x)", "0.2*cos(y)", "0.2*cos(y)", "1 + 0.3*cos(x + y)"};
  std::vector<Expression> g;
  for (const auto& t : g_text) g.emplace_back(t);
  auto G_at = [&](const double* x) {
    Eigen::MatrixXd m(2, 2);
    m << g[0].at(x, 2), g[1].at(x, 2), g[2].at(x, 2), g[3].at(x, 2);
    return m;
  };
  const Expression u(u_expr), p(p_expr);
  auto w = [&](const double* x) { return std::pow(p.at(x, 2), 2); };
  std::vector<double> errs;
  double mass_rate = 0;
  for (int n : {24, 48, 96}) {
    Grid grid(PETSC_COMM_WORLD, {n, n});
    MatOwner L = assemble_operator(grid, G_at, w);
    VecOwner uv = grid.create_vector(), lu = grid.create_vector(), ex = grid.create_vector(), wv = grid.create_vector();
    grid.fill(uv, [&](const double* x) { return u.at(x, 2); });
    grid.fill(ex, [&](const double* x) { return continuum_generator(u, p, g, 2.0, x, 2); });
    grid.fill(wv, w);
    ATTNPDE_PETSC(MatMult(L, uv, lu));
    PetscScalar dot = 0;
    PetscReal l1 = 0;
    ATTNPDE_PETSC(VecDot(lu, wv, &dot));
    ATTNPDE_PETSC(VecNorm(lu, NORM_1, &l1));
    mass_rate = std::max(mass_rate, std::abs(dot) / l1);
    ATTNPDE_PETSC(VecAXPY(lu, -1.0, ex));
    PetscReal err = 0;
    ATTNPDE_PETSC(VecNorm(lu, NORM_INFINITY, &err));
    errs.push_back(err);
  }
  testing::expect_orders("varying G(x); n = 24, 48, 96", errs, 1.9, 2.1);
  EXPECT_LT(mass_rate, 1e-13);
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

// ||W L - (W L)^T||_max / ||W L||_max with W = diag(w h^dim).
double weighted_asymmetry(const Grid& grid, Mat L, const PointFunction& w) {
  MatOwner WL, T;
  ATTNPDE_PETSC(MatDuplicate(L, MAT_COPY_VALUES, WL.out()));
  VecOwner mass = mass_weights(grid, w);
  ATTNPDE_PETSC(MatDiagonalScale(WL, mass, nullptr));
  ATTNPDE_PETSC(MatTranspose(WL, MAT_INITIAL_MATRIX, T.out()));
  PetscReal scale = 0, diff = 0;
  ATTNPDE_PETSC(MatNorm(WL, NORM_INFINITY, &scale));
  ATTNPDE_PETSC(MatAXPY(T, -1.0, WL, SAME_NONZERO_PATTERN));
  ATTNPDE_PETSC(MatNorm(T, NORM_INFINITY, &diff));
  return diff / scale;
}

// diag(w) L is symmetric to round-off on the torus and in the box, with full and varying G
// in 2D and 3D: the operator is the gradient of a discrete energy.
TEST(HeatOperator, WeightedOperatorIsSymmetricToRoundOff) {
  const Expression p2(p_expr), p3("1 + 0.3*sin(x)*cos(z) + 0.2*y");
  auto w2 = [&](const double* x) { return std::pow(p2.at(x, 2), 2); };
  auto w3 = [&](const double* x) { return std::pow(p3.at(x, 3), 2); };
  Eigen::MatrixXd g3(3, 3);
  g3 << 1.0, 0.4, -0.3, 0.4, 0.8, 0.25, -0.3, 0.25, 1.1;
  const Expression g01("0.3*cos(y) + 0.1*x");
  MatrixFunction G_at = [&](const double* x) {
    Eigen::MatrixXd m(2, 2);
    m << 1 + 0.3 * std::sin(x[0]), g01.at(x, 2), g01.at(x, 2), 1 + 0.3 * std::cos(x[0] + x[1]);
    return m;
  };
  for (const Domain domain : {Domain{DomainKind::torus}, Domain{DomainKind::box}}) {
    Grid grid2(PETSC_COMM_WORLD, {20, 24}, domain);
    MatOwner L2 = assemble_operator(grid2, full_g(), w2);
    EXPECT_LT(weighted_asymmetry(grid2, L2, w2), 1e-14);
    MatOwner Lv = assemble_operator(grid2, G_at, w2);
    EXPECT_LT(weighted_asymmetry(grid2, Lv, w2), 1e-14);
    Grid grid3(PETSC_COMM_WORLD, {8, 9, 10}, domain);
    MatOwner L3 = assemble_operator(grid3, g3, w3);
    EXPECT_LT(weighted_asymmetry(grid3, L3, w3), 1e-14);
  }
}

}  // namespace
}  // namespace attnpde
