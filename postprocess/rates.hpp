#pragma once
// Observed rates: least-squares fit of log(error) = a + slope log(x), with the 95%
// confidence interval of the slope from Student's t with (m - 2) degrees of freedom.

#include <string>
#include <vector>

namespace attnpde {

struct RateFit {
  double slope = 0.0;
  double intercept = 0.0;
  double ci_low = 0.0, ci_high = 0.0;  ///< 95% interval of the slope (NaN if m < 3)
  double r2 = 0.0;
  int points = 0;
  bool contains(double value) const { return ci_low <= value && value <= ci_high; }
};

/// A straight line y = intercept + slope x with the 95% interval of the intercept (its value
/// at x = 0, an extrapolation; NaN with fewer than 3 points).
struct LineFit {
  double intercept = 0.0, slope = 0.0;
  double ci_low = 0.0, ci_high = 0.0;
};
LineFit fit_line(const std::vector<double>& x, const std::vector<double>& y);

/// Fits error ~ C x^slope. x and error must be positive; needs at least 2 distinct x.
RateFit fit_power_law(const std::vector<double>& x, const std::vector<double>& error);

}  // namespace attnpde
