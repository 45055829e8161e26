#include "attention/density.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attention/constants.hpp"
#include "attention/sphere.hpp"

namespace attnpde {

int Density::default_resolution(int dim) {
  return dim <= 1 ? 4096 : (dim == 2 ? 256 : 64);
}

Density::Density(const std::string& expr, int dim, Domain domain, int resolution)
    : dim_(dim), domain_(domain), expr_(expr) {
  if (domain_.kind == DomainKind::sphere) {
    // Surface quadrature (spectral for smooth p): 4096 angles on the circle, 128 x 256
    // Gauss-Legendre heights times longitudes on S^2.
    const auto q = sphere_quadrature(dim, resolution > 0 ? resolution : (dim == 2 ? 4096 : 128));
    min_raw_ = std::numeric_limits<double>::infinity();
    max_raw_ = -std::numeric_limits<double>::infinity();
    double sum = 0.0;
    for (std::size_t k = 0; k < q.points.size(); ++k) {
      const double v = expr_.at(q.points[k].data(), dim);
      if (!(v >= min_raw_)) {
        min_raw_ = v;
        argmin_ = q.points[k];
      }
      max_raw_ = std::max(max_raw_, v);
      sum += q.weights[k] * v;
    }
    integral_ = sum;
    return;
  }
  if (resolution <= 0) resolution = default_resolution(dim);
  const double h = domain_.length() / resolution;
  long total = 1;
  for (int d = 0; d < dim; ++d) total *= resolution;
  min_raw_ = std::numeric_limits<double>::infinity();
  max_raw_ = -std::numeric_limits<double>::infinity();
  double sum = 0.0;
  for (long k = 0; k < total; ++k) {
    std::array<double, 3> x{};
    long rest = k;
    for (int d = 0; d < dim; ++d) {
      x[d] = (static_cast<double>(rest % resolution) + 0.5) * h;
      rest /= resolution;
    }
    const double v = expr_.at(x.data(), dim);
    if (!(v >= min_raw_)) {  // also catches NaN
      min_raw_ = v;
      argmin_ = x;
    }
    if (v > max_raw_) max_raw_ = v;
    sum += v;
  }
  integral_ = sum * std::pow(h, dim);
}

double Density::rejection_bound() const {
  // The tabulation grid can miss the true maximum by O(h^2 |p''|); 5% covers smooth
  // densities at the default resolution.
  const double margin = 1.05;
  return max_raw_ * margin;
}

}  // namespace attnpde
