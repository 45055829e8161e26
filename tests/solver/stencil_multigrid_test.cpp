// The matrix-free stencil multigrid (solver/stencil_multigrid.hpp): its stencil products are
// the assembled operator's (also from the symmetric upper half without drift), its transfers (solver/grid_transfer.hpp)
// are the interpolation matrix and its transpose, and as a preconditioner it solves shift I - L on the torus and in the
// box with iteration counts that do not grow with the grid and results that do not depend on the thread count.
#include "solver/stencil_multigrid.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "attention/expression.hpp"
#include "discretization/operator.hpp"

namespace attnpde {
namespace {

Eigen::MatrixXd full_metric(int dim) {
  Eigen::MatrixXd g = Eigen::MatrixXd::Identity(dim, dim);
  if (dim >= 2) g(0, 1) = g(1, 0) = 0.35;
  if (dim == 3) {
    g(1, 2) = g(2, 1) = -0.2;
    g(0, 2) = g(2, 0) = 0.1;
  }
  return g;
}

const char* const weight_p[] = {"1 + 0.3*sin(x)", "1 + 0.3*sin(x)*cos(y)", "1 + 0.3*sin(x)*cos(y)"};

// shift I - scale L with a full G, w = p^2 varying, and a drift: every kind of row. Without
// the drift diag(w h^dim) (shift I - scale L) is symmetric.
MatOwner step_matrix(const Grid& grid, double shift, double scale, bool drift = true) {
  const int dim = grid.dim();
  const Expression p(weight_p[dim - 1]);
  VectorFunction b;
  if (drift)
    b = [dim](const double* x) {
      Eigen::VectorXd v = Eigen::VectorXd::Constant(dim, 0.2);
      v[0] = 0.3 * std::cos(x[0]);
      return v;
    };
  MatOwner A = assemble_operator(
      grid, full_metric(dim), [&](const double* x) { return std::pow(p.at(x, 3), 2); }, b);
  ATTNPDE_PETSC(MatScale(A, -scale));
  ATTNPDE_PETSC(MatShift(A, shift));
  return A;
}

std::vector<double> rough(long n) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(1.7 * static_cast<double>(i * i % 97)) + 0.1;
  return v;
}

struct GridCase {
  std::vector<int> nodes;
  Domain domain;
};

const GridCase grid_cases[] = {
    {{24}, {}},
    {{16, 12}, {}},
    {{16, 12}, Domain{DomainKind::box}},
    {{8, 6, 10}, {}},
    {{8, 6, 10}, Domain{DomainKind::box}},
};

// y = A x for the assembled matrix, by PETSc.
std::vector<double> assembled_product(const Grid& grid, Mat A, const std::vector<double>& x) {
  VecOwner xv = grid.create_vector(), yv = grid.create_vector();
  double* a = nullptr;
  ATTNPDE_PETSC(VecGetArray(xv, &a));
  std::copy(x.begin(), x.end(), a);
  ATTNPDE_PETSC(VecRestoreArray(xv, &a));
  ATTNPDE_PETSC(MatMult(A, xv, yv));
  return grid.gather(yv);
}

// The float64 stencil product is the assembled product to round-off, on every grid kind.
TEST(StencilMatrix, ProductIsTheAssembledProduct) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    MatOwner A = step_matrix(grid, 1.0, 0.05);
    const StencilMatrix<double> S(A, shape_of(grid));
    const auto x = rough(grid.total_nodes());
    std::vector<double> y(x.size()), r(x.size());
    S.multiply(x.data(), y.data());
    S.multiply(x.data(), r.data(), x.data());  // r = x - A x
    const auto ref = assembled_product(grid, A, x);
    double diff = 0, residual_diff = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, std::abs(y[i] - ref[i]));
      residual_diff = std::max(residual_diff, std::abs(r[i] - (x[i] - ref[i])));
      scale = std::max(scale, std::abs(ref[i]));
    }
    EXPECT_LT(diff, 1e-14 * scale) << c.nodes.size() << "D";
    EXPECT_LT(residual_diff, 1e-14 * scale) << c.nodes.size() << "D";
  }
}

// Only offsets with a nonzero coefficient are stored: a full G couples a node to its edge
// neighbours (mixed differences lie in one plane) but never to the corners of a cube, a
// diagonal G only to the face neighbours.
TEST(StencilMatrix, StoresTheNonzeroOffsetsOnly) {
  for (const bool full : {true, false}) {
    Grid grid(PETSC_COMM_WORLD, {8, 6, 10}, Domain{});
    const Eigen::MatrixXd G = full ? full_metric(3) : Eigen::MatrixXd(Eigen::Vector3d(1.0, 2.0, 0.5).asDiagonal());
    MatOwner A = assemble_operator(grid, G, [](const double*) { return 1.0; });
    const StencilMatrix<double> S(A, shape_of(grid));
    EXPECT_EQ(S.pattern().size(), full ? 19 : 7);
    for (const auto& o : S.pattern().offsets) EXPECT_LT(std::abs(o[0]) + std::abs(o[1]) + std::abs(o[2]), full ? 3 : 2);
  }
}

// The binary16 Jacobi-scaled rows reproduce the product to their rounding (2^-11 per
// coefficient), the scaled residual is D^-1 of the residual, and the residual from the
// scaled right-hand side D^-1 b is the residual, on every grid kind.
TEST(ScaledStencil, ResidualsAreTheProductToBinary16Rounding) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    MatOwner A = step_matrix(grid, 1.0, 0.05);
    const StencilMatrix<double> S(A, shape_of(grid));
    const ScaledStencil H(A, shape_of(grid));
    const auto x = rough(grid.total_nodes()), b = rough(grid.total_nodes() + 7);
    std::vector<double> ax(x.size());
    S.multiply(x.data(), ax.data());
    std::vector<float> xf(x.begin(), x.end()), bf(b.begin(), b.begin() + static_cast<long>(x.size())), r(x.size()),
        rs(x.size()), bs(x.size()), rb(x.size());
    H.apply(xf.data(), r.data(), ScaledStencil::Output::residual, bf.data());
    H.apply(xf.data(), rs.data(), ScaledStencil::Output::scaled_residual, bf.data());
    for (std::size_t i = 0; i < x.size(); ++i) bs[i] = H.inverse_diagonal()[i] * bf[i];
    H.apply(xf.data(), rb.data(), ScaledStencil::Output::residual_of_scaled, bs.data());
    const int centre = shape_of(grid).offset(0, 0, 0);
    double err = 0, scaled_err = 0, from_scaled_err = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double ref = static_cast<double>(bf[i]) - ax[i];
      err = std::max(err, std::abs(r[i] - ref));
      scaled_err = std::max(scaled_err, std::abs(rs[i] - ref / S.at(centre, static_cast<long>(i))));
      from_scaled_err = std::max(from_scaled_err, std::abs(rb[i] - ref));
      scale = std::max(scale, std::abs(ax[i]) + std::abs(b[i]));
    }
    EXPECT_LT(err, 1e-3 * scale) << c.nodes.size() << "D";
    EXPECT_LT(scaled_err, 1e-3 * scale) << c.nodes.size() << "D";
    EXPECT_LT(from_scaled_err, 1e-3 * scale) << c.nodes.size() << "D";
  }
}

// Without drift the weights that make diag(W) A symmetric are the mass weights w h^dim (up
// to a constant), and the upper-half product is the assembled product; with the drift
// there are none in 2D and 3D (in 1D the test's drift 0.3 cos x is a gradient, and the
// operator is symmetric under another weight).
TEST(SymmetricStencil, WeightsAreTheMassAndTheProductIsTheAssembledOne) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    const StencilMatrix<double> with_drift(step_matrix(grid, 1.0, 0.05), shape_of(grid));
    if (grid.dim() > 1) {
      EXPECT_TRUE(symmetrizing_weights(with_drift).empty()) << c.nodes.size() << "D";
    }
    MatOwner A = step_matrix(grid, 1.0, 0.05, false);
    const StencilMatrix<double> rows(A, shape_of(grid));
    const auto W = symmetrizing_weights(rows);
    ASSERT_EQ(W.size(), static_cast<std::size_t>(grid.total_nodes())) << c.nodes.size() << "D";
    const Expression p(weight_p[grid.dim() - 1]);
    const auto mass = grid.gather(mass_weights(grid, [&](const double* x) { return std::pow(p.at(x, 3), 2); }));
    for (std::size_t i = 0; i < W.size(); ++i) EXPECT_NEAR(W[i] * mass[0] / mass[i], 1.0, 1e-12);
    const SymmetricStencil S(rows, W);
    EXPECT_EQ(S.pattern().size(), (rows.pattern().size() + 1) / 2);
    const auto x = rough(grid.total_nodes());
    std::vector<double> y(x.size());
    S.multiply(x.data(), y.data());
    const auto ref = assembled_product(grid, A, x);
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, std::abs(y[i] - ref[i]));
      scale = std::max(scale, std::abs(ref[i]));
    }
    EXPECT_LT(diff, 1e-13 * scale) << c.nodes.size() << "D";
  }
}

// The symmetric binary16 scaling S = Q^-1 diag(W) A Q^-1 iterates on y = q x: its residual
// D (D^-1 b - S y) is b - A x, and S is symmetric, to binary16 rounding.
TEST(ScaledStencil, SymmetricScalingKeepsTheResidual) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    MatOwner A = step_matrix(grid, 1.0, 0.05, false);
    const StencilMatrix<double> rows(A, shape_of(grid));
    const ScaledStencil H(rows, symmetrizing_weights(rows));
    ASSERT_TRUE(H.symmetric());
    const auto x = rough(grid.total_nodes()), b = rough(grid.total_nodes() + 7);
    const auto ax = assembled_product(grid, A, x);
    const float* q = H.variable_scale();
    std::vector<float> y(x.size()), bs(x.size()), r(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      y[i] = static_cast<float>(q[i] * x[i]);
      bs[i] = H.inverse_diagonal()[i] * static_cast<float>(b[i]);
    }
    H.apply(y.data(), r.data(), ScaledStencil::Output::residual_of_scaled, bs.data());
    double err = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      err = std::max(err, std::abs(r[i] - (b[i] - ax[i])));
      scale = std::max(scale, std::abs(ax[i]) + std::abs(b[i]));
    }
    EXPECT_LT(err, 1e-3 * scale) << c.nodes.size() << "D";
    // (e_i, S e_j) = (S e_i, e_j) for neighbours i, j: S u of a unit vector is S's column.
    const long n = grid.total_nodes(), i = n / 2;
    std::vector<float> e(static_cast<std::size_t>(n), 0.0f), col_i(e.size()), col_j(e.size());
    e[static_cast<std::size_t>(i)] = 1.0f;
    H.apply(e.data(), col_i.data(), ScaledStencil::Output::product);
    for (long j = 0; j < n; ++j) {
      if (col_i[static_cast<std::size_t>(j)] == 0.0f || j == i) continue;
      std::fill(e.begin(), e.end(), 0.0f);
      e[static_cast<std::size_t>(j)] = 1.0f;
      H.apply(e.data(), col_j.data(), ScaledStencil::Output::product);
      EXPECT_EQ(col_i[static_cast<std::size_t>(j)], col_j[static_cast<std::size_t>(i)]);
    }
  }
}

// compact keeps the first copy of each distinct row and points every row at its copy.
TEST(CoefficientRows, KeepsEachDistinctRowOnce) {
  std::vector<double> c = {1, 2, 3, 4, 1, 2, 5, 6, 3, 4, -0.0, 0.0, 0.0, 0.0};
  CoefficientRows rows;
  rows.compact(c, 2);
  EXPECT_EQ(rows.distinct(), 5);  // -0 and +0 differ in their bits and stay apart
  EXPECT_EQ(c, (std::vector<double>{1, 2, 3, 4, 5, 6, -0.0, 0.0, 0.0, 0.0}));
  const long expected[] = {0, 1, 0, 2, 1, 3, 4};
  for (long r = 0; r < 7; ++r) EXPECT_EQ(rows(r), expected[r]) << r;
}

// With constant coefficients every grid row of the torus is the same row, and in the box the
// rows differ only at the boundary in y and z (3^(dim-1) kinds; the symmetric scaling also
// sets apart the rows next to the boundary, whose neighbours' scale differs: at most
// 5^(dim-1)); the products and the scaled residual stay those of the assembled operator.
TEST(CoefficientRows, ConstantCoefficientsShareRowsAndKeepTheProducts) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    MatOwner A = assemble_operator(grid, full_metric(grid.dim()), [](const double*) { return 1.0; });
    ATTNPDE_PETSC(MatScale(A, -0.05));
    ATTNPDE_PETSC(MatShift(A, 1.0));
    const long kinds = grid.domain().periodic() ? 1 : (grid.dim() == 1 ? 1 : grid.dim() == 2 ? 3 : 9);
    const StencilMatrix<double> rows(A, shape_of(grid));
    const auto W = symmetrizing_weights(rows);
    const SymmetricStencil S(rows, W);
    const ScaledStencil H(rows, W);
    EXPECT_EQ(rows.rows().distinct(), kinds) << c.nodes.size() << "D";
    EXPECT_EQ(S.rows().distinct(), kinds) << c.nodes.size() << "D";
    EXPECT_LE(H.rows().distinct(), kinds == 1 ? 1 : (grid.dim() == 2 ? 5 : 25)) << c.nodes.size() << "D";
    const auto x = rough(grid.total_nodes());
    const auto ref = assembled_product(grid, A, x);
    std::vector<double> y(x.size()), ys(x.size());
    std::vector<float> yq(x.size()), bs(x.size()), r(x.size());
    rows.multiply(x.data(), y.data());
    S.multiply(x.data(), ys.data());
    for (std::size_t i = 0; i < x.size(); ++i) yq[i] = static_cast<float>(H.variable_scale()[i] * x[i]);
    H.apply(yq.data(), r.data(), ScaledStencil::Output::residual_of_scaled, bs.data());  // b = 0: -A x
    double diff = 0, sym_diff = 0, scaled_diff = 0, scale = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      diff = std::max(diff, std::abs(y[i] - ref[i]));
      sym_diff = std::max(sym_diff, std::abs(ys[i] - ref[i]));
      scaled_diff = std::max(scaled_diff, std::abs(r[i] + ref[i]));
      scale = std::max(scale, std::abs(ref[i]));
    }
    EXPECT_LT(diff, 1e-14 * scale) << c.nodes.size() << "D";
    EXPECT_LT(sym_diff, 1e-13 * scale) << c.nodes.size() << "D";
    EXPECT_LT(scaled_diff, 1e-3 * scale) << c.nodes.size() << "D";
  }
}

// prolong_add is P x and restrict_to is P^T y for the assembled P; rows of P sum to one.
TEST(StencilMatrix, TransfersAreTheInterpolationMatrixAndItsTranspose) {
  for (const auto& c : grid_cases) {
    Grid grid(PETSC_COMM_WORLD, c.nodes, c.domain);
    const GridShape fine = shape_of(grid), coarse = fine.coarsened();
    const Interpolation P(fine);
    MatOwner Pm(P.assemble());
    const auto xc = rough(coarse.size()), yf = rough(fine.size());
    std::vector<double> px(static_cast<std::size_t>(fine.size()), 0.0), pty(static_cast<std::size_t>(coarse.size()));
    P.prolong_add(xc.data(), px.data());
    P.restrict_to(yf.data(), pty.data());
    const auto nc = static_cast<PetscInt>(coarse.size()), nf = static_cast<PetscInt>(fine.size());
    VecOwner vc, vf, wc, wf;
    ATTNPDE_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, nc, xc.data(), vc.out()));
    ATTNPDE_PETSC(VecCreateSeqWithArray(PETSC_COMM_SELF, 1, nf, yf.data(), vf.out()));
    ATTNPDE_PETSC(VecCreateSeq(PETSC_COMM_SELF, nf, wf.out()));
    ATTNPDE_PETSC(VecCreateSeq(PETSC_COMM_SELF, nc, wc.out()));
    ATTNPDE_PETSC(MatMult(Pm, vc, wf));
    ATTNPDE_PETSC(MatMultTranspose(Pm, vf, wc));
    const double* a = nullptr;
    ATTNPDE_PETSC(VecGetArrayRead(wf, &a));
    for (std::size_t i = 0; i < px.size(); ++i) EXPECT_NEAR(px[i], a[i], 1e-14);
    std::vector<double> scaled(px.size(), 1.0);
    P.prolong_add(xc.data(), scaled.data(), yf.data());  // 1 + diag(yf) P xc
    for (std::size_t i = 0; i < px.size(); ++i) EXPECT_NEAR(scaled[i], 1.0 + yf[i] * a[i], 1e-14);
    ATTNPDE_PETSC(VecRestoreArrayRead(wf, &a));
    ATTNPDE_PETSC(VecGetArrayRead(wc, &a));
    for (std::size_t i = 0; i < pty.size(); ++i) EXPECT_NEAR(pty[i], a[i], 1e-13);
    ATTNPDE_PETSC(VecRestoreArrayRead(wc, &a));
    VecOwner ones_c, row_sums;
    ATTNPDE_PETSC(VecDuplicate(vc, ones_c.out()));
    ATTNPDE_PETSC(VecSet(ones_c, 1.0));
    ATTNPDE_PETSC(MatMult(Pm, ones_c, wf));
    PetscReal lo = 0, hi = 0;
    ATTNPDE_PETSC(VecMin(wf, nullptr, &lo));
    ATTNPDE_PETSC(VecMax(wf, nullptr, &hi));
    EXPECT_EQ(lo, 1.0);
    EXPECT_EQ(hi, 1.0);
  }
}

// Solves shift I - dt/2 L (Crank-Nicolson, dt = h) to 1e-10 with FGMRES and one V-cycle per
// iteration; returns the iterations and the solution.
std::pair<int, std::vector<double>> solve(const Grid& grid, bool drift = true) {
  const double dt = grid.spacing()[0];
  MatOwner A = step_matrix(grid, 1.0, 0.5 * dt, drift);
  StencilMultigrid mg(grid);
  mg.set_operator(A);
  EXPECT_EQ(mg.symmetric(), !drift);
  KSP ksp;
  ATTNPDE_PETSC(KSPCreate(PETSC_COMM_WORLD, &ksp));
  ATTNPDE_PETSC(KSPSetOperators(ksp, mg.shell(), A));
  mg.configure(ksp);
  const double rtol = 1e-10;
  ATTNPDE_PETSC(KSPSetTolerances(ksp, rtol, 1e-50, PETSC_DEFAULT, PETSC_DEFAULT));
  VecOwner b = grid.create_vector(), x = grid.create_vector(), r = grid.create_vector();
  grid.fill(b, [](const double* p) { return std::sin(3 * p[0]) + std::cos(p[1] + 2 * p[2]) + 0.3; });
  ATTNPDE_PETSC(KSPSolve(ksp, b, x));
  KSPConvergedReason reason;
  PetscInt its = 0;
  ATTNPDE_PETSC(KSPGetConvergedReason(ksp, &reason));
  ATTNPDE_PETSC(KSPGetIterationNumber(ksp, &its));
  EXPECT_GT(reason, 0);
  // The true residual with the assembled matrix.
  PetscReal rn = 0, bn = 0;
  ATTNPDE_PETSC(MatMult(A, x, r));
  ATTNPDE_PETSC(VecAYPX(r, -1.0, b));
  ATTNPDE_PETSC(VecNorm(r, NORM_2, &rn));
  ATTNPDE_PETSC(VecNorm(b, NORM_2, &bn));
  EXPECT_LT(rn, 2 * rtol * bn);
  KSPDestroy(&ksp);
  return {static_cast<int>(its), grid.gather(x)};
}

// With and without drift (full and symmetric storage).
TEST(StencilMultigrid, IterationsDoNotGrowWithTheGrid) {
  for (const bool drift : {true, false}) {
    for (Domain domain : {Domain{}, Domain{DomainKind::box}}) {
      std::vector<int> its;
      for (int n : {32, 64, 128, 256}) {
        Grid grid(PETSC_COMM_WORLD, {n, n}, domain);
        its.push_back(solve(grid, drift).first);
        std::printf("%s%s %d^2: %d iterations\n", domain.periodic() ? "torus" : "box", drift ? "" : " (symmetric)", n,
                    its.back());
      }
      for (int k : its) EXPECT_LE(k, its.front() + 2);
      EXPECT_LE(its.back(), 10);
    }
    for (int n : {16, 32, 64}) {
      Grid grid(PETSC_COMM_WORLD, {n, n, n}, Domain{DomainKind::box});
      const int k = solve(grid, drift).first;
      std::printf("box%s %d^3: %d iterations\n", drift ? "" : " (symmetric)", n, k);
      EXPECT_LE(k, 10);
    }
  }
}

// Every product and cycle is the same arithmetic for any number of threads.
TEST(StencilMultigrid, ThreadCountDoesNotChangeTheSolution) {
  Grid grid(PETSC_COMM_WORLD, {32, 32, 32});
  const int saved = omp_get_max_threads();
  for (const bool drift : {true, false}) {
    omp_set_num_threads(1);
    const auto one = solve(grid, drift);
    omp_set_num_threads(2);
    const auto two = solve(grid, drift);
    omp_set_num_threads(saved);
    EXPECT_EQ(one.first, two.first);
    EXPECT_EQ(one.second, two.second);
  }
}

}  // namespace
}  // namespace attnpde
