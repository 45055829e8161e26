#include "discretization/sphere_heat.hpp"

#include <cmath>
#include <stdexcept>

#include "attention/sphere.hpp"

namespace attnpde {

void SphereHeat::harmonics(int degree, const double* x, std::vector<double>& y) {
  const int L = degree;
  y.assign(static_cast<std::size_t>((L + 1) * (L + 1)), 0.0);
  const double z = std::max(-1.0, std::min(1.0, x[2]));
  const double s = std::sqrt(std::max(0.0, 1.0 - z * z));
  const double phi = std::atan2(x[1], x[0]);
  auto at = [&](int l, int m) -> double& { return y[static_cast<std::size_t>(l * l + l + m)]; };
  // Normalized associated Legendre functions pbar_lm(z) (integral over S^2 of
  // pbar_lm^2 cos^2(m phi) 2 = 1 for m > 0), by the standard stable recurrences.
  double pmm = std::sqrt(1.0 / (4.0 * M_PI));
  for (int m = 0; m <= L; ++m) {
    if (m > 0) pmm *= std::sqrt((2.0 * m + 1.0) / (2.0 * m)) * s;
    const double cm = m == 0 ? 1.0 : std::sqrt(2.0) * std::cos(m * phi);
    const double sm = m == 0 ? 0.0 : std::sqrt(2.0) * std::sin(m * phi);
    double p2 = 0.0, p1 = pmm;
    for (int l = m; l <= L; ++l) {
      double p = p1;
      if (l == m + 1) {
        p = z * std::sqrt(2.0 * m + 3.0) * pmm;
      } else if (l > m + 1) {
        const double a = std::sqrt((4.0 * l * l - 1.0) / (static_cast<double>(l) * l - static_cast<double>(m) * m));
        const double b =
            std::sqrt(((l - 1.0) * (l - 1.0) - static_cast<double>(m) * m) / (4.0 * (l - 1.0) * (l - 1.0) - 1.0));
        p = a * (z * p1 - b * p2);
      }
      if (l > m) {
        p2 = p1;
        p1 = p;
      }
      at(l, m) = p * cm;
      if (m > 0) at(l, -m) = p * sm;
    }
  }
}

SphereHeat::SphereHeat(const Expression& u0, int degree) : degree_(degree) {
  if (degree < 0) throw std::invalid_argument("the harmonic degree must be >= 0");
  const auto q = sphere_quadrature(3, degree + 8);
  const std::size_t count = static_cast<std::size_t>((degree + 1) * (degree + 1));
  c_.assign(count, 0.0);
  std::vector<double> y, values(q.points.size());
  for (std::size_t k = 0; k < q.points.size(); ++k) {
    values[k] = u0.at(q.points[k].data(), 3);
    harmonics(degree, q.points[k].data(), y);
    for (std::size_t i = 0; i < count; ++i) c_[i] += q.weights[k] * values[k] * y[i];
  }
  double r2 = 0.0, u2 = 0.0;
  for (std::size_t k = 0; k < q.points.size(); ++k) {
    harmonics(degree, q.points[k].data(), y);
    double v = 0.0;
    for (std::size_t i = 0; i < count; ++i) v += c_[i] * y[i];
    r2 += q.weights[k] * (v - values[k]) * (v - values[k]);
    u2 += q.weights[k] * values[k] * values[k];
  }
  residual_ = u2 > 0 ? std::sqrt(r2 / u2) : std::sqrt(r2);
}

std::vector<double> SphereHeat::at(double t, const std::array<const double*, 3>& x, std::size_t count) const {
  std::vector<double> decay(c_.size());
  for (int l = 0; l <= degree_; ++l)
    for (int m = -l; m <= l; ++m)
      decay[static_cast<std::size_t>(l * l + l + m)] =
          std::exp(-l * (l + 1.0) * t) * c_[static_cast<std::size_t>(l * l + l + m)];
  std::vector<double> out(count);
  const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(count);
#pragma omp parallel
  {
    std::vector<double> y;
#pragma omp for schedule(static)
    for (std::ptrdiff_t j = 0; j < n; ++j) {
      const double p[3] = {x[0][j], x[1][j], x[2][j]};
      harmonics(degree_, p, y);
      double v = 0.0;
      for (std::size_t i = 0; i < y.size(); ++i) v += decay[i] * y[i];
      out[static_cast<std::size_t>(j)] = v;
    }
  }
  return out;
}

}  // namespace attnpde
