#pragma once
// Observed convergence orders of errors on successive halvings (of h or dt), printed as an
// Error / Ratio / Order table and each asserted to lie in [lo, hi].
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace attnpde::testing {

inline void expect_orders(const std::string& label, const std::vector<double>& errors, double lo, double hi) {
  std::printf("%s\n%14s %10s %8s\n", label.c_str(), "error", "ratio", "order");
  for (std::size_t k = 0; k < errors.size(); ++k) {
    const double ratio = k ? errors[k - 1] / errors[k] : 0.0;
    const double order = k ? std::log2(ratio) : 0.0;
    std::printf("%14.6e %10.4f %8.3f\n", errors[k], ratio, order);
    if (k) {
      EXPECT_GE(order, lo) << label << ", refinement " << k;
      EXPECT_LE(order, hi) << label << ", refinement " << k;
    }
  }
}

}  // namespace attnpde::testing
