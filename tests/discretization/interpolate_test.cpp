#include "discretization/interpolate.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/constants.hpp"

namespace attnpde {
namespace {

double f(double x, double y) {
  return std::sin(x) * std::cos(2 * y) + std::exp(std::cos(x + y));
}

double interpolation_error(int n) {
  std::vector<double> v(static_cast<std::size_t>(n) * n);
  const double h = torus_period / n;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(j) * n + i] = f(i * h, j * h);
  GridInterpolator interp(2, {n, n, 1}, v);
  double err = 0;
  for (int k = 0; k < 500; ++k) {
    const double x[2] = {std::fmod(0.37 + 1.618 * k, torus_period), std::fmod(0.11 + 2.718 * k, torus_period)};
    err = std::max(err, std::abs(interp(x) - f(x[0], x[1])));
  }
  return err;
}

TEST(Interpolation, ExactAtNodesAndSixthOrder) {
  const int n = 16;
  std::vector<double> v(n * n);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = std::sin(0.1 * static_cast<double>(k));
  GridInterpolator interp(2, {n, n, 1}, v);
  const double h = torus_period / n;
  const double x[2] = {3 * h, 5 * h};
  EXPECT_NEAR(interp(x), v[5 * n + 3], 1e-14);

  const double e1 = interpolation_error(32), e2 = interpolation_error(64);
  const double order = std::log2(e1 / e2);
  std::printf("interpolation error %.3e -> %.3e, order %.2f\n", e1, e2, order);
  EXPECT_GT(order, 5.0);
}

// Box: cell-centred data of a non-periodic function; the stencil shifts inwards at the
// walls (points between a wall and the first centre are extrapolated), still high order.
double box_interpolation_error(int n) {
  auto f = [](double x, double y) { return std::exp(x) * std::cos(2 * y) + x * y * y; };
  std::vector<double> v(static_cast<std::size_t>(n) * n);
  const double h = 1.0 / n;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) v[static_cast<std::size_t>(j) * n + i] = f((i + 0.5) * h, (j + 0.5) * h);
  GridInterpolator interp(2, {n, n, 1}, v, Domain{DomainKind::box});
  double err = 0;
  for (int k = 0; k < 500; ++k) {
    const double x[2] = {std::fmod(0.0137 + 0.618 * k, 1.0), std::fmod(0.0011 + 0.718 * k, 1.0)};
    err = std::max(err, std::abs(interp(x) - f(x[0], x[1])));
  }
  const double corner[2] = {0.0, 1.0};
  return std::max(err, std::abs(interp(corner) - f(0.0, 1.0)));
}

TEST(Interpolation, BoxIsHighOrderUpToTheWalls) {
  const double e1 = box_interpolation_error(16), e2 = box_interpolation_error(32);
  const double order = std::log2(e1 / e2);
  std::printf("box interpolation error %.3e -> %.3e, order %.2f\n", e1, e2, order);
  EXPECT_GT(order, 5.0);
  EXPECT_LT(e2, 5e-8);
}

}  // namespace
}  // namespace attnpde
