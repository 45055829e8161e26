#pragma once
// The attention operator of fixed tokens, behind one interface so that layers, continuous
// depth, normalizations and the generator error run on either kernel:
//   dense      O(N^2) per application, exact (attention/kernel_dense.hpp);
//   truncated  neighbours within d_M <= cutoff sigma only, assembled once into a sparse
//              matrix and reused by every application (attention/kernel_truncated.hpp).
// Both apply A_ij = K_ij w_j / sum_k K_ik w_k with column weights w (null: w = 1).

#include <cstddef>
#include <memory>
#include <string>

#include "attention/kernel_dense.hpp"

namespace attnpde {

class AttentionKernel {
 public:
  virtual ~AttentionKernel() = default;
  virtual std::size_t size() const = 0;
  /// out = A u; if `degree` is not null, degree[i] = sum_k K_ik w_k.
  virtual void apply(const double* u, double* out, double* degree, const double* w) const = 0;
  virtual std::string name() const = 0;
};

class DenseKernel : public AttentionKernel {
 public:
  DenseKernel(const Tokens& tokens, MetricScore score) : tokens_(tokens), score_(std::move(score)) {}
  std::size_t size() const override { return tokens_.size(); }
  void apply(const double* u, double* out, double* degree, const double* w) const override {
    apply_attention(tokens_, score_, u, out, degree, w);
  }
  std::string name() const override { return "dense"; }

 private:
  const Tokens& tokens_;
  MetricScore score_;
};

}  // namespace attnpde
