#pragma once
// The anisotropic metric the kernel tests share: M_00 = 1.6, M_01 = 0.4 and in 3D M_12 = -0.2
// (SPD), the other diagonal entries 1.

#include <Eigen/Dense>

namespace attnpde::testing {

inline Eigen::MatrixXd skewed_metric(int dim) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Identity(dim, dim);
  if (dim >= 2) m(0, 1) = m(1, 0) = 0.4;
  if (dim == 3) m(1, 2) = m(2, 1) = -0.2;
  m(0, 0) = 1.6;
  return m;
}

}  // namespace attnpde::testing
