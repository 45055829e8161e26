#include "attention/fast_exp.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace attnpde {
namespace {

TEST(FastExp, WithinTwoUlpOfStdExpOnClampedRange) {
  const double ulp_tol = 2.0;
  double worst = 0;
  for (double x = -700.0; x <= 0.0; x += 0.0137) {
    const double ref = std::exp(x);
    const double ulp = std::nextafter(ref, INFINITY) - ref;
    worst = std::max(worst, std::abs(fast_exp(x) - ref) / ulp);
  }
  EXPECT_LE(worst, ulp_tol);
  EXPECT_EQ(fast_exp(0.0), 1.0);
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

TEST(FastExp, SinglePrecisionWithinTwoUlpOnClampedRange) {
  float worst = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.00731f) {
    const float ref = static_cast<float>(std::exp(static_cast<double>(x)));
    const float ulp = std::nextafter(ref, INFINITY) - ref;
    worst = std::max(worst, std::abs(fast_expf(x) - ref) / ulp);
  }
  EXPECT_LE(worst, 2.0f);
  EXPECT_EQ(fast_expf(0.0f), 1.0f);
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

TEST(FastExp, BaseTwoWithinTwoUlpOfStdExp2OnClampedRange) {
  double worst = 0;
  for (double y = -1021.0; y <= 0.0; y += 0.0137) {
    const double ref = std::exp2(y);
    const double ulp = std::nextafter(ref, INFINITY) - ref;
    worst = std::max(worst, std::abs(fast_exp2(y) - ref) / ulp);
  }
  for (double y = -1.0; y <= 0.0; y += 1.0 / 4096)  // every fraction near the ties of the rounding
    worst = std::max(worst, std::abs(fast_exp2(y) - std::exp2(y)) / (std::nextafter(std::exp2(y), 2.0) - std::exp2(y)));
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(fast_exp2(0.0), 1.0);
  EXPECT_EQ(fast_exp2(-3.0), 0.125);
  EXPECT_EQ(fast_exp2(-1021.0), std::ldexp(1.0, -1021));  // the lower end: still normal
}

TEST(FastExp, BaseTwoSinglePrecisionWithinTwoUlpOnClampedRange) {
  float worst = 0;
  for (float y = -125.0f; y <= 0.0f; y += 0.00731f) {
    const float ref = static_cast<float>(std::exp2(static_cast<double>(y)));
    const float ulp = std::nextafter(ref, INFINITY) - ref;
    worst = std::max(worst, std::abs(fast_exp2f(y) - ref) / ulp);
  }
  EXPECT_LE(worst, 2.0f);
  EXPECT_EQ(fast_exp2f(0.0f), 1.0f);
  EXPECT_EQ(fast_exp2f(-125.0f), std::ldexp(1.0f, -125));
}

}  // namespace
}  // namespace attnpde
