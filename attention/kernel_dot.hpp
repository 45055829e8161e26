#pragma once
// Dense dot-product attention (docs/theory.md section 5), the score of standard
// transformers: K_ij = exp(x_i^T B x_j / eps), A_ij = K_ij w_j / sum_k K_ik w_k on raw
// coordinates. The self term is not the row maximum here, so each row is computed by
// log-sum-exp in two passes (the maximum logit, then the shifted sums): no eps underflows
// or overflows. Equals torch.softmax(X B X^T / eps, dim=-1) applied to u (tested to 1e-10).
//
// O(N^2 dim) per application; OpenMP over rows, each row summed in a fixed order.

#include <Eigen/Dense>

#include "attention/kernel.hpp"

namespace attnpde {

class DotKernel : public AttentionKernel {
 public:
  /// B is dim x dim (any matrix), eps > 0.
  DotKernel(const Tokens& tokens, Eigen::MatrixXd B, double eps);
  std::size_t size() const override { return tokens_.size(); }
  /// degree[i] = sum_j exp(l_ij - max_j l_ij) w_j: the row sum relative to its largest
  /// term (the absolute one overflows for small eps).
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override;
  std::string name() const override { return "dense dot-product"; }

 private:
  const Tokens& tokens_;
  Eigen::MatrixXd B_;
  double eps_;
};

}  // namespace attnpde
