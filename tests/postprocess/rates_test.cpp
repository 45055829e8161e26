#include "postprocess/rates.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace attnpde {
namespace {

TEST(RateFit, RecoversExactPowerLaw) {
  std::vector<double> x = {0.1, 0.2, 0.4, 0.8}, y;
  for (double v : x) y.push_back(3.0 * v * v);
  const RateFit f = fit_power_law(x, y);
  EXPECT_NEAR(f.slope, 2.0, 1e-12);
  EXPECT_NEAR(std::exp(f.intercept), 3.0, 1e-12);
  EXPECT_NEAR(f.ci_low, 2.0, 1e-6);
  EXPECT_NEAR(f.ci_high, 2.0, 1e-6);
  EXPECT_LT(f.ci_high - f.ci_low, 1e-9);
}

TEST(RateFit, IntervalHasNominalCoverage) {
  // Noisy data with known slope -0.5: the 95% interval covers it in ~95% of draws.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 0.1);
  int covered = 0;
  const int trials = 2000;
  for (int k = 0; k < trials; ++k) {
    std::vector<double> x, y;
    for (double n : {1e3, 2e3, 4e3, 8e3, 16e3}) {
      x.push_back(n);
      y.push_back(std::pow(n, -0.5) * std::exp(noise(rng)));
    }
    covered += fit_power_law(x, y).contains(-0.5);
  }
  const double coverage = static_cast<double>(covered) / trials;
  EXPECT_NEAR(coverage, 0.95, 0.015);
}

TEST(RateFit, RejectsDegenerateInput) {
  EXPECT_THROW(fit_power_law({1.0}, {1.0}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1.0, 1.0}, {1.0, 2.0}), std::invalid_argument);
  EXPECT_THROW(fit_power_law({1.0, 2.0}, {0.0, 2.0}), std::invalid_argument);
}

// The intercept of a line (T3's extrapolation to sigma = 0): exact data give it to round-off;
// noisy data give an interval that holds it and shrinks with the noise.
TEST(LineFit, InterceptAndItsInterval) {
  const LineFit exact = fit_line({0.01, 0.04, 0.09, 0.16}, {2.03, 2.12, 2.27, 2.48});
  EXPECT_NEAR(exact.intercept, 2.0, 1e-13);
  EXPECT_NEAR(exact.slope, 3.0, 1e-12);
  EXPECT_NEAR(exact.ci_high - exact.ci_low, 0.0, 1e-12);
  const LineFit noisy = fit_line({0.01, 0.04, 0.09, 0.16}, {2.04, 2.11, 2.28, 2.47});
  EXPECT_LT(noisy.ci_low, 2.0);
  EXPECT_GT(noisy.ci_high, 2.0);
  EXPECT_LT(noisy.ci_high - noisy.ci_low, 0.2);
  EXPECT_TRUE(std::isnan(fit_line({0.0, 1.0}, {1.0, 2.0}).ci_low));
  EXPECT_THROW(fit_line({1.0, 1.0}, {1.0, 2.0}), std::invalid_argument);
}

}  // namespace
}  // namespace attnpde
