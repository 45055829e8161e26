#include "attention/metric.hpp"

#include <cmath>
#include <sstream>

namespace attnpde {

std::optional<std::string> metric_defect(const Eigen::MatrixXd& m) {
  if (m.rows() != m.cols()) return "metric is not square";
  const double sym_tol = 1e-12;
  const double scale = m.cwiseAbs().maxCoeff();
  if (!(scale > 0.0) || !std::isfinite(scale)) return "metric is zero or not finite";
  if ((m - m.transpose()).cwiseAbs().maxCoeff() > sym_tol * scale) return "metric is not symmetric";
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(m);
  const double lmin = eig.eigenvalues().minCoeff();
  const double lmax = eig.eigenvalues().maxCoeff();
  const double max_condition = 1e12;
  if (!(lmin > 0.0) || lmax / lmin > max_condition) {
    std::ostringstream os;
    os << "metric is not positive definite (eigenvalues " << lmin << " .. " << lmax << ")";
    return os.str();
  }
  return std::nullopt;
}

Eigen::MatrixXd metric_inverse(const Eigen::MatrixXd& m) {
  return m.llt().solve(Eigen::MatrixXd::Identity(m.rows(), m.cols()));
}

}  // namespace attnpde
