#pragma once
// The learned metric M of the score rho = d_M(x,y)^beta, d_M^2 = (x-y)^T M (x-y)
// (docs/theory.md section 1), and its inverse G = M^-1 that appears in the limit PDE.

#include <Eigen/Dense>
#include <optional>
#include <string>

namespace attnpde {

/// Why a matrix is not an admissible metric, or nothing when it is symmetric positive
/// definite (symmetric to 1e-12 relative, Cholesky succeeds, condition number < 1e12).
std::optional<std::string> metric_defect(const Eigen::MatrixXd& m);

/// G = M^-1 (M must be SPD, see metric_defect).
Eigen::MatrixXd metric_inverse(const Eigen::MatrixXd& m);

}  // namespace attnpde
