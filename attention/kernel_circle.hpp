#pragma once
// Softmax attention of unit tokens on the circle S^1 with the dot score at inverse
// temperature beta, K_ij = exp(beta (cos(theta_i - theta_j) - 1)) (= exp(-|x_i - x_j|^2 /
// sigma^2) with sigma^2 = 2 / beta), applied through the Fourier series of the kernel,
//   exp(beta (cos psi - 1)) = sum_m a_m exp(i m psi),   a_m = I_m(beta) exp(-beta),
// truncated where a_m < 1e-18 a_0: sum_j K_ij v_j = Re sum_m a_m exp(i m theta_i) S_m with
// S_m = sum_j exp(-i m theta_j) v_j. O(N M) per application (M ~ beta + 30 terms) instead of
// O(N^2), equal to the dense kernel to round-off (tested), so the circle law can be checked
// with 10^5 tokens and more (docs/theory.md section 9). The S_m are summed over fixed blocks
// of tokens and the blocks in order: the result does not depend on the thread count.

#include <complex>
#include <vector>

#include "attention/kernel.hpp"

namespace attnpde {

class CircleKernel : public AttentionKernel {
 public:
  /// Tokens on the circle (domain sphere, dim 2), beta > 0.
  CircleKernel(const Tokens& tokens, double beta);
  std::size_t size() const override { return theta_.size(); }
  void apply(const double* u, double* out, double* degree, const double* w) const override;
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override;
  std::string name() const override { return "circle Fourier series"; }
  /// Terms of the series kept (m = 0 .. terms() - 1).
  int terms() const { return static_cast<int>(a_.size()); }

 private:
  /// S_m = sum_j exp(-i m theta_j) v_j for m < terms().
  std::vector<std::complex<double>> moments(const double* v) const;
  std::vector<double> theta_, a_;
};

}  // namespace attnpde
