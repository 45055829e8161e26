#pragma once
// Continuum references (docs/theory.md sections 2 and 7):
//  - the limit generator L_gamma u = div(G grad u) + gamma (G grad log p) . grad u at a
//    point, from the expressions of u and p by fourth-order central differences
//    (step 5e-3: truncation ~1e-9 relative for O(1) wavenumbers, round-off ~1e-11);
//  - the Fourier multipliers of K residual layers and of the heat semigroup on the
//    uniform torus with beta = 2 (an exact N -> infinity, finite-sigma reference).

#include <Eigen/Dense>
#include <array>
#include <vector>

#include "attention/expression.hpp"

namespace attnpde {

/// L_gamma u at x (dim coordinates). `p` need not be normalized.
double continuum_generator(const Expression& u, const Expression& p, const Eigen::MatrixXd& G, double gamma,
                           const double* x, int dim);

/// L_gamma u = p^-gamma div(p^gamma G grad u) for a spatially varying G given as dim x dim
/// expressions (row-major): G_ab d_ab u + (d_a G_ab) d_b u + gamma G_ab d_a log p d_b u.
double continuum_generator(const Expression& u, const Expression& p, const std::vector<Expression>& G, double gamma,
                           const double* x, int dim);

/// The conformal form of the limit in 3D (docs/theory.md section 2, target T5):
/// p^4 Delta_gbar u with gbar = p^4 M, the Laplace-Beltrami operator
/// Delta_g u = |g|^-1/2 d_i(|g|^1/2 g^ij d_j u) evaluated by nested fourth-order differences
/// (step 1e-2), independently of continuum_generator. Equals L_2 u for dim = 3.
double conformal_laplace_beltrami(const Expression& u, const Expression& p, const Eigen::MatrixXd& M, const double* x);

/// The limit generator on the unit sphere S^(dim-1) (docs/theory.md section 9) at a point
/// x of it, from expressions in the ambient coordinates:
///   L_gamma u = Delta_S u + gamma grad_S log p . grad_S u,
///   Delta_S u = tr(H) - x^T H x - (dim - 1) x . grad u,  grad_S = (I - x x^T) grad,
/// H and grad the ambient Hessian and gradient (fourth-order differences as above).
double sphere_generator(const Expression& u, const Expression& p, double gamma, const double* x, int dim);

/// Multiplier of K layers on mode k (uniform p, beta = 2, softmax, N -> infinity):
/// (1 - tau + tau lambda_k)^K with lambda_k = exp(-sigma^2 k^T G k / 4).
double layers_multiplier(const Eigen::VectorXd& k, const Eigen::MatrixXd& G, double sigma, double tau, int layers);

/// Multiplier of the heat semigroup du/dt = div(G grad u) on mode k: exp(-t k^T G k).
double heat_multiplier(const Eigen::VectorXd& k, const Eigen::MatrixXd& G, double t);

}  // namespace attnpde
