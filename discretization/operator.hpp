#pragma once
// The conservative weighted anisotropic operator of docs/theory.md section 3,
//
//   L u = w^-1 div(w G grad u) + b . grad u,   w = p^gamma,  G = M^-1 or a field G(x) (SPD),
//
// discretized as minus the gradient of a discrete energy (docs/theory.md section 3.1), so
// that diag(w) L is symmetric (to round-off) when b = 0:
//
//   E(u) = sum_edges A_e (Delta_d u / h_d)^2 V + sum_squares 2 B_q g_d(q) g_e(q) V,
//   (L u)_i = -(1 / (2 w_i V)) dE/du_i,   V = h_0 ... h_{dim-1},
//
// with one term per grid edge along d (A_e = w G_dd at the edge midpoint) and one per
// square of four nodes in every plane (d, e) (B_q = w G_de at the square centre;
// g_d(q), g_e(q) the differences along d and e averaged over the square's two edges).
// On a uniform grid with constant w, G the stencil is the classic 5/9/19-point one
// (central mixed differences). The energy is invariant under constants, so
// sum_i w_i (L u)_i h^dim = 0 exactly (the weighted mass is conserved) and the fluxes stay
// conservative; second order in h for smooth w, G, u.
//
// Box (cell-centred, zero flux): nothing crosses the walls, the natural condition of the
// energy, n . (w G grad u) = 0. Between a wall and the first row of nodes no difference
// across the wall exists; there the energy density is minimized over the normal derivative,
// which replaces G by its Schur complement on the tangential directions
// (G_tt - G_tn G_nn^-1 G_nt): an edge or square next to a wall averages the complements of
// its half (quarter) regions. The truncation error is O(h) on one layer of cells and the
// solution stays second order (tested on manufactured solutions).
//
// The drift uses central differences b_d (u_{i+e_d} - u_{i-e_d}) / (2 h_d) (one-sided in the
// first and last cell of the box); it is the only non-symmetric part.

#include <Eigen/Dense>
#include <functional>

#include "discretization/grid.hpp"

namespace attnpde {

using PointFunction = std::function<double(const double*)>;
/// G(x), dim x dim SPD, for a spatially varying metric.
using MatrixFunction = std::function<Eigen::MatrixXd(const double*)>;

/// b(x), dim components.
using VectorFunction = std::function<Eigen::VectorXd(const double*)>;

/// Assembles L as a PETSc AIJ matrix on the grid's DM. `weight` is w(x) > 0; `drift` may
/// be empty (b = 0).
MatOwner assemble_operator(const Grid& grid, const Eigen::MatrixXd& G, const PointFunction& weight,
                           const VectorFunction& drift = {});

/// The same with G(x) evaluated at every edge midpoint and square centre.
MatOwner assemble_operator(const Grid& grid, const MatrixFunction& G, const PointFunction& weight,
                           const VectorFunction& drift = {});

/// The weighted mass matrix diag(w_i h^dim) on the grid: diag(w) L is symmetric, so
/// -L v = lambda v is the symmetric generalized problem -W L v = lambda W v.
VecOwner mass_weights(const Grid& grid, const PointFunction& weight);

}  // namespace attnpde
