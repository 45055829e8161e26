#pragma once
// The conservative weighted anisotropic operator of docs/theory.md section 3:
//
//   L u = w^-1 div(w G grad u) + b . grad u,   w = p^gamma,  G = M^-1 or a field G(x) (SPD),
//
//   (L u)_i = 1/w_i sum_d [F_d(i + e_d/2) - F_d(i - e_d/2)] / h_d,
//   F_d(i + e_d/2) = w(x_i + h_d e_d / 2) [ G_dd (u_{i+e_d} - u_i) / h_d
//        + sum_{e != d} G_de (u_{i+e_e} + u_{i+e_d+e_e} - u_{i-e_e} - u_{i+e_d-e_e}) / (4 h_e) ].
//
// The face fluxes telescope, so with b = 0 sum_i w_i (L u)_i h^dim = 0 exactly (the
// weighted mass sum w u h^dim is conserved by du/dt = L u). Second order in h for smooth
// w, G, u; the 3^dim box stencil carries the mixed derivatives. The drift uses central
// differences b_d (u_{i+e_d} - u_{i-e_d}) / (2 h_d).
//
// Box (cell-centred, zero flux): the boundary faces carry no flux, which is the discrete
// n . (w G grad u) = 0. Tangential differences in the mixed terms and the drift become
// one-sided (u_1 - u_0) / h in the first and last cell, an O(h) truncation error on one
// layer of cells that keeps the solution second order (tested on manufactured solutions).

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

/// The same with G(x) evaluated at every face (the fluxes use G of their face, so the
/// scheme stays conservative and second order for smooth G).
MatOwner assemble_operator(const Grid& grid, const MatrixFunction& G, const PointFunction& weight,
                           const VectorFunction& drift = {});

}  // namespace attnpde
