#include "attention/kernel_dot.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnpde {

DotKernel::DotKernel(const Tokens& tokens, Eigen::MatrixXd B, double eps)
    : tokens_(tokens), B_(std::move(B)), eps_(eps) {
  if (B_.rows() != tokens.dim || B_.cols() != tokens.dim)
    throw std::invalid_argument("B size does not match the token dimension");
  if (!(eps > 0)) throw std::invalid_argument("the temperature eps must be positive");
}

void DotKernel::apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                           std::size_t hi) const {
  if (lo > hi || hi > size()) throw std::invalid_argument("row range outside the tokens");
  const int dim = tokens_.dim;
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(size());
  const double* x[3] = {tokens_.coord[0].data(), dim > 1 ? tokens_.coord[1].data() : nullptr,
                        dim > 2 ? tokens_.coord[2].data() : nullptr};
#pragma omp parallel for schedule(dynamic, 16)
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(lo); i < static_cast<std::ptrdiff_t>(hi); ++i) {
    // q = B^T x_i / eps, so that the logit of key j is q . x_j.
    double q[3] = {0, 0, 0};
    for (int b = 0; b < dim; ++b) {
      for (int a = 0; a < dim; ++a) q[b] += x[a][i] * B_(a, b);
      q[b] /= eps_;
    }
    auto logit = [&](std::ptrdiff_t j) {
      double l = 0;
      for (int b = 0; b < dim; ++b) l += q[b] * x[b][j];
      return l;
    };
    double m = -std::numeric_limits<double>::infinity();
    for (std::ptrdiff_t j = 0; j < n; ++j) m = std::max(m, logit(j));
    double s = 0.0, su = 0.0;
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      double e = std::exp(logit(j) - m);
      if (w) e *= w[j];
      s += e;
      su += e * u[j];
    }
    out[i] = su / s;
    if (degree) degree[i] = s;
  }
}

}  // namespace attnpde
