#pragma once
// Kramers-Moyal probe (docs/theory.md section 4): the first two moments of one attention row
// seen from a query point x,
//   b(x) = sum_j A(x, x_j) (x_j - x),   D(x) = sum_j A(x, x_j) (x_j - x)(x_j - x)^T,
// with A(x, x_j) = K(x, x_j) w_j / sum_k K(x, x_k) w_k (minimum-image displacements,
// column weights w of the normalization). A query need not be a token, so the row
// maximum of the logits is found first and subtracted (two passes, no underflow for any
// sigma). Metric scores predict b = c sigma^2 gamma G grad log p and D = 2 c sigma^2 G,
// up to O(sigma^4).

#include <array>
#include <vector>

#include "attention/kernel_dense.hpp"

namespace attnpde {

struct KramersMoyal {
  int dim = 0;
  std::vector<double> drift;      ///< b, dim entries per query
  std::vector<double> diffusion;  ///< D, dim x dim entries per query (row-major)
};

/// Moments at each query point (queries in the tokens' domain; `weights` may be null).
KramersMoyal kramers_moyal(const Tokens& tokens, const MetricScore& score, const double* weights,
                           const std::vector<std::array<double, 3>>& queries);

/// Dot-product score rho(x, y) = -x^T B y at temperature eps (docs/theory.md section 5):
/// A(x, x_j) = softmax_j(x^T B x_j / eps), raw coordinates, max-shifted logits.
/// For Gaussian tokens N(mu, Sigma): b = mu + Sigma B^T x / eps - x, D = Sigma + b b^T.
KramersMoyal kramers_moyal_dot(const Tokens& tokens, const Eigen::MatrixXd& B, double eps,
                               const std::vector<std::array<double, 3>>& queries);

}  // namespace attnpde
