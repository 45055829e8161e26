#include "attention/normalization.hpp"

#include <cmath>
#include <stdexcept>

namespace attnpde {

const char* normalization_name(NormalizationKind kind) {
  switch (kind) {
    case NormalizationKind::softmax:
      return "softmax";
    case NormalizationKind::alpha:
      return "alpha";
    case NormalizationKind::sinkhorn:
      return "sinkhorn";
  }
  return "?";
}

double normalization_gamma(const NormalizationSpec& spec) {
  switch (spec.kind) {
    case NormalizationKind::softmax:
      return 2.0;
    case NormalizationKind::alpha:
      return 2.0 * (1.0 - spec.alpha);
    case NormalizationKind::sinkhorn:
      return 1.0;
  }
  throw std::invalid_argument("unknown normalization");
}

namespace {
// (K w)_i for column weights w (null: w = 1).
std::vector<double> kernel_sums(const AttentionKernel& kernel, const double* w) {
  std::vector<double> ones(kernel.size(), 1.0), out(kernel.size()), sums(kernel.size());
  kernel.apply(ones.data(), out.data(), sums.data(), w);
  return sums;
}
}  // namespace

ColumnWeights column_weights(const Tokens& tokens, const MetricScore& score, const NormalizationSpec& spec) {
  return column_weights(DenseKernel(tokens, score), spec);
}

ColumnWeights column_weights(const AttentionKernel& kernel, const NormalizationSpec& spec) {
  ColumnWeights cw;
  if (spec.kind == NormalizationKind::softmax) return cw;
  const std::size_t n = kernel.size();
  if (spec.kind == NormalizationKind::alpha) {
    const auto q = kernel_sums(kernel, nullptr);
    cw.w.resize(n);
    for (std::size_t j = 0; j < n; ++j) cw.w[j] = std::pow(q[j], -spec.alpha);
    return cw;
  }
  // K_ii = 1 and K_ij <= 1 keep s in [N^-1/2, 1]: the log form below never overflows.
  std::vector<double> log_s(n, 0.0);
  cw.w.assign(n, 1.0);
  cw.converged = false;
  for (int it = 1; it <= spec.sinkhorn_max_iter; ++it) {
    const auto ks = kernel_sums(kernel, cw.w.data());
    double err = 0.0;
    for (std::size_t i = 0; i < n; ++i) err = std::max(err, std::abs(cw.w[i] * ks[i] - 1.0));
    // Over every rank's rows with distributed tokens (a maximum: the same on any rank count).
    reduce_over_rows(&err, 1, MPI_DOUBLE, MPI_MAX, kernel.row_comm());
    cw.iterations = it - 1;
    cw.marginal_error = err;
    if (err <= spec.sinkhorn_tol) {
      cw.converged = true;
      break;
    }
    for (std::size_t i = 0; i < n; ++i) {
      log_s[i] = 0.5 * (log_s[i] - std::log(ks[i]));
      cw.w[i] = std::exp(log_s[i]);
    }
  }
  return cw;
}

std::vector<double> conserved_weights(const Tokens& tokens, const MetricScore& score, const ColumnWeights& w) {
  return conserved_weights(DenseKernel(tokens, score), w);
}

std::vector<double> conserved_weights(const AttentionKernel& kernel, const ColumnWeights& w) {
  auto c = kernel_sums(kernel, w.data());
  if (!w.w.empty())
    for (std::size_t i = 0; i < c.size(); ++i) c[i] *= w.w[i];
  return c;
}

}  // namespace attnpde
