#include "postprocess/rates.hpp"

#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnpde {

LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t m = x.size();
  if (m != y.size() || m < 2) throw std::invalid_argument("a line fit needs at least two points");
  double mx = 0, my = 0;
  for (std::size_t k = 0; k < m; ++k) {
    mx += x[k] / static_cast<double>(m);
    my += y[k] / static_cast<double>(m);
  }
  double sxx = 0, sxy = 0;
  for (std::size_t k = 0; k < m; ++k) {
    sxx += (x[k] - mx) * (x[k] - mx);
    sxy += (x[k] - mx) * (y[k] - my);
  }
  if (!(sxx > 0)) throw std::invalid_argument("a line fit needs at least two distinct abscissae");
  LineFit f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.ci_low = f.ci_high = std::numeric_limits<double>::quiet_NaN();
  if (m >= 3) {
    double sse = 0;
    for (std::size_t k = 0; k < m; ++k) sse += std::pow(y[k] - f.intercept - f.slope * x[k], 2);
    const double dof = static_cast<double>(m - 2);
    const double se = std::sqrt(sse / dof * (1.0 / static_cast<double>(m) + mx * mx / sxx));
    const double q = boost::math::quantile(boost::math::complement(boost::math::students_t(dof), 0.025));
    f.ci_low = f.intercept - q * se;
    f.ci_high = f.intercept + q * se;
  }
  return f;
}

RateFit fit_power_law(const std::vector<double>& x, const std::vector<double>& error) {
  const std::size_t m = x.size();
  if (m != error.size() || m < 2) throw std::invalid_argument("a rate fit needs at least two points");
  double mx = 0, my = 0;
  for (std::size_t k = 0; k < m; ++k) {
    if (!(x[k] > 0) || !(error[k] > 0)) throw std::invalid_argument("a rate fit needs positive data");
    mx += std::log(x[k]);
    my += std::log(error[k]);
  }
  mx /= static_cast<double>(m);
  my /= static_cast<double>(m);
  double sxx = 0, sxy = 0, syy = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const double dx = std::log(x[k]) - mx, dy = std::log(error[k]) - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) throw std::invalid_argument("a rate fit needs at least two distinct abscissae");
  RateFit f;
  f.points = static_cast<int>(m);
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  // Residual sum of squares summed directly (syy - slope sxy cancels catastrophically
  // for data on an exact power law).
  double sse = 0;
  for (std::size_t k = 0; k < m; ++k) {
    const double r = std::log(error[k]) - f.intercept - f.slope * std::log(x[k]);
    sse += r * r;
  }
  f.r2 = syy > 0 ? 1.0 - sse / syy : 1.0;
  if (m >= 3) {
    const double dof = static_cast<double>(m - 2);
    const double se = std::sqrt(sse / dof / sxx);
    const boost::math::students_t t(dof);
    const double q = boost::math::quantile(boost::math::complement(t, 0.025));
    f.ci_low = f.slope - q * se;
    f.ci_high = f.slope + q * se;
  } else {
    f.ci_low = f.ci_high = std::numeric_limits<double>::quiet_NaN();
  }
  return f;
}

}  // namespace attnpde
