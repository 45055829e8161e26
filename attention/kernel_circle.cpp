#include "attention/kernel_circle.hpp"

#include <cmath>
#include <stdexcept>

namespace attnpde {

CircleKernel::CircleKernel(const Tokens& tokens, double beta) {
  if (tokens.domain.kind != DomainKind::sphere || tokens.dim != 2)
    throw std::invalid_argument("the circle kernel needs tokens on the circle");
  if (!(beta > 0) || beta > 700) throw std::invalid_argument("the circle kernel needs 0 < beta <= 700");
  theta_.resize(tokens.size());
  for (std::size_t j = 0; j < theta_.size(); ++j) theta_[j] = std::atan2(tokens.coord[1][j], tokens.coord[0][j]);
  const double a0 = std::cyl_bessel_i(0.0, beta) * std::exp(-beta);
  for (int m = 0;; ++m) {
    const double a = std::cyl_bessel_i(static_cast<double>(m), beta) * std::exp(-beta);
    if (m > 0 && a < 1e-18 * a0) break;
    a_.push_back(a);
  }
}

std::vector<std::complex<double>> CircleKernel::moments(const double* v) const {
  const std::size_t n = theta_.size(), terms = a_.size();
  const std::size_t block = 4096, blocks = (n + block - 1) / block;
  std::vector<std::complex<double>> partial(blocks * terms);
  const std::ptrdiff_t nb = static_cast<std::ptrdiff_t>(blocks);
#pragma omp parallel for schedule(dynamic, 1)
  for (std::ptrdiff_t b = 0; b < nb; ++b) {
    std::complex<double>* s = &partial[static_cast<std::size_t>(b) * terms];
    const std::size_t lo = static_cast<std::size_t>(b) * block, hi = std::min(n, lo + block);
    for (std::size_t j = lo; j < hi; ++j) {
      // exp(-i m theta_j) by exact evaluation every 16 terms and products between.
      const std::complex<double> step = std::polar(1.0, -theta_[j]);
      std::complex<double> e = 1.0;
      for (std::size_t m = 0; m < terms; ++m) {
        if (m % 16 == 0) e = std::polar(1.0, -static_cast<double>(m) * theta_[j]);
        s[m] += e * v[j];
        e *= step;
      }
    }
  }
  std::vector<std::complex<double>> sum(terms, 0.0);
  for (std::size_t b = 0; b < blocks; ++b)
    for (std::size_t m = 0; m < terms; ++m) sum[m] += partial[b * terms + m];
  return sum;
}

void CircleKernel::apply(const double* u, double* out, double* degree, const double* w) const {
  apply_rows(u, out, degree, w, 0, size());
}

void CircleKernel::apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                              std::size_t hi) const {
  if (lo > hi || hi > size()) throw std::invalid_argument("row range outside the tokens");
  const std::size_t n = theta_.size(), terms = a_.size();
  std::vector<double> wu(n), ww(n);
  for (std::size_t j = 0; j < n; ++j) {
    ww[j] = w ? w[j] : 1.0;
    wu[j] = ww[j] * u[j];
  }
  const auto su = moments(wu.data()), sd = moments(ww.data());
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t i = static_cast<std::ptrdiff_t>(lo); i < static_cast<std::ptrdiff_t>(hi); ++i) {
    const double th = theta_[static_cast<std::size_t>(i)];
    const std::complex<double> step = std::polar(1.0, th);
    std::complex<double> e = 1.0;
    double num = 0, den = 0;
    for (std::size_t m = 0; m < terms; ++m) {
      if (m % 16 == 0) e = std::polar(1.0, static_cast<double>(m) * th);
      const double f = m == 0 ? a_[0] : 2.0 * a_[m];
      num += f * (e * su[m]).real();
      den += f * (e * sd[m]).real();
      e *= step;
    }
    out[i] = num / den;
    if (degree) degree[i] = den;
  }
}

}  // namespace attnpde
