#pragma once
// Normalizations of the attention kernel (docs/theory.md section 1). All three are written as
// column weights w of the row-normalized kernel, A_ij = K_ij w_j / sum_k K_ik w_k:
//   softmax:  w = 1                                   (limit gamma = 2)
//   alpha:    w_j = q_j^-alpha, q = K 1                (gamma = 2 (1 - alpha))
//   sinkhorn: w = s with s_i (K s)_i = 1, so A = diag(s) K diag(s) is doubly
//             stochastic (gamma = 1); s from the symmetric Sinkhorn iteration in the log
//             domain, log s <- (log s - log K s) / 2.
// For fixed tokens the weights are computed once and reused by every layer. The
// quantity sum_i c_i u_i with c_i = w_i (K w)_i is conserved by every layer (degrees for
// softmax, plain sums for Sinkhorn).

#include <string>
#include <vector>

#include "attention/kernel.hpp"

namespace attnpde {

/// The normalizations, in the order of the case-file choices of attention.normalization.
enum class NormalizationKind { softmax, alpha, sinkhorn };
/// "softmax", "alpha" or "sinkhorn".
const char* normalization_name(NormalizationKind kind);

struct NormalizationSpec {
  NormalizationKind kind = NormalizationKind::softmax;
  double alpha = 1.0;           ///< for alpha, in [0, 1]
  double sinkhorn_tol = 1e-12;  ///< target max_i |s_i (K s)_i - 1|
  int sinkhorn_max_iter = 2000;
};

struct ColumnWeights {
  std::vector<double> w;        ///< empty for softmax (w = 1)
  int iterations = 0;           ///< Sinkhorn iterations
  double marginal_error = 0.0;  ///< Sinkhorn: max_i |s_i (K s)_i - 1| reached
  bool converged = true;
  const double* data() const { return w.empty() ? nullptr : w.data(); }
};

/// gamma of the limit operator p^-gamma div(p^gamma G grad u) for a normalization.
double normalization_gamma(const NormalizationSpec& spec);

/// Column weights of the normalization of a kernel.
ColumnWeights column_weights(const AttentionKernel& kernel, const NormalizationSpec& spec);
/// The same with the dense kernel of these tokens.
ColumnWeights column_weights(const Tokens& tokens, const MetricScore& score, const NormalizationSpec& spec);

/// c_i = w_i (K w)_i, the weights of the conserved sum (docs/theory.md section 2 for softmax).
std::vector<double> conserved_weights(const AttentionKernel& kernel, const ColumnWeights& w);
std::vector<double> conserved_weights(const Tokens& tokens, const MetricScore& score, const ColumnWeights& w);

}  // namespace attnpde
