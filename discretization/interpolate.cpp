#include "discretization/interpolate.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attention/constants.hpp"

namespace attnpde {

namespace {
constexpr int support = 6;  // nodes per direction, degree 5

// Lagrange weights on nodes 0..5 at local coordinate t in [2, 3).
void lagrange_weights(double t, double (&w)[support]) {
  for (int a = 0; a < support; ++a) {
    double num = 1.0, den = 1.0;
    for (int b = 0; b < support; ++b) {
      if (b == a) continue;
      num *= t - b;
      den *= a - b;
    }
    w[a] = num / den;
  }
}
}  // namespace

GridInterpolator::GridInterpolator(int dim, const std::array<int, 3>& nodes, std::vector<double> values, Domain domain)
    : dim_(dim), domain_(domain), n_{1, 1, 1}, h_{1, 1, 1}, v_(std::move(values)) {
  long total = 1;
  for (int d = 0; d < dim; ++d) {
    n_[d] = nodes[d];
    if (n_[d] < support) throw std::invalid_argument("interpolation needs at least 6 nodes per direction");
    h_[d] = domain_.length() / n_[d];
    total *= n_[d];
  }
  if (static_cast<long>(v_.size()) != total) throw std::invalid_argument("interpolation data size mismatch");
}

double GridInterpolator::operator()(const double* x) const {
  int base[3] = {0, 0, 0};
  double w[3][support];
  for (int d = 0; d < 3; ++d) {
    if (d >= dim_) {
      for (int a = 0; a < support; ++a) w[d][a] = a == 0 ? 1.0 : 0.0;
      continue;
    }
    if (domain_.periodic()) {
      const double s = x[d] / h_[d];
      const double fl = std::floor(s);
      base[d] = static_cast<int>(fl) - 2;
      lagrange_weights(s - fl + 2.0, w[d]);
    } else {
      const double s = x[d] / h_[d] - domain_.node_offset();  // cell centres at (i + 1/2) h
      base[d] = std::clamp(static_cast<int>(std::floor(s)) - 2, 0, n_[d] - support);
      lagrange_weights(s - base[d], w[d]);
    }
  }
  const int rz = dim_ > 2 ? support : 1, ry = dim_ > 1 ? support : 1;
  double sum = 0.0;
  for (int c = 0; c < rz; ++c) {
    const int k = ((base[2] + c) % n_[2] + n_[2]) % n_[2];
    for (int b = 0; b < ry; ++b) {
      const int j = ((base[1] + b) % n_[1] + n_[1]) % n_[1];
      const long row = (static_cast<long>(k) * n_[1] + j) * n_[0];
      double line = 0.0;
      for (int a = 0; a < support; ++a) {
        const int i = ((base[0] + a) % n_[0] + n_[0]) % n_[0];
        line += w[0][a] * v_[row + i];
      }
      sum += w[2][c] * w[1][b] * line;
    }
  }
  return sum;
}

}  // namespace attnpde
