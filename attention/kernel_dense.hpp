#pragma once
// Dense softmax attention with the metric score (docs/theory.md section 1):
//   K_ij = exp(-d_M(x_i, x_j)^beta / eps),  eps = sigma^beta,  A_ij = K_ij / sum_k K_ik,
// self included, minimum-image displacements on the torus [0, 2 pi)^dim, plain ones in the
// box [0, 1]^dim.
//
// Because d_M(x_i, x_i) = 0, the row maximum of the logits -rho/eps is exactly 0, so the
// log-sum-exp shift is 0 and no rescaling pass is needed: (A u)_i = sum_j e_ij u_j / d_i
// with d_i = sum_j e_ij >= 1. Logits are clamped at -700 so that exp never returns a
// subnormal; rows never divide by 0 and no sigma produces NaN.
//
// Cost O(N^2 dim) per application, O(N) memory (nothing N x N is stored). OpenMP over
// query rows; every row is summed by one thread in a fixed order, so the thread count
// does not change the result.

#include <Eigen/Dense>
#include <cstddef>
#include <vector>

#include "attention/tokens.hpp"

namespace attnpde {

/// Arithmetic of the kernel: float64 throughout, or float32 displacements, logits and
/// exp with float64 row sums (beta = 2 only; A u within 1e-5 relative of float64, see
/// tests/attention/kernel_dense_test.cpp).
enum class Precision { float64, float32 };

struct MetricScore {
  Eigen::MatrixXd metric;  ///< M, dim x dim SPD
  double beta = 2.0;       ///< exponent of the distance, > 0
  double sigma = 0.1;      ///< kernel width; eps = sigma^beta
  Precision precision = Precision::float64;
  /// On the unit sphere: the distance is the arc length 2 asin(|x - y| / 2) (geodesic)
  /// instead of the chordal |x - y| (M must be the identity then).
  bool geodesic = false;
};

/// out = A u with A_ij = K_ij w_j / sum_k K_ik w_k, column weights w (`weights`; null
/// means w = 1, plain softmax). Every normalization of attention/normalization.hpp is of
/// this form. If `degree` is not null, degree[i] = sum_j K_ij w_j. `u` and `out` have N
/// entries and must not overlap.
void apply_attention(const Tokens& tokens, const MetricScore& score, const double* u, double* out,
                     double* degree = nullptr, const double* weights = nullptr);

/// The same for the rows lo .. hi - 1 only (out[i], degree[i] for those i; u has all N
/// entries): one rank's share of a distributed application.
void apply_attention_rows(const Tokens& tokens, const MetricScore& score, const double* u, double* out, double* degree,
                          const double* weights, std::size_t lo, std::size_t hi);

/// The dense kernel sums the keys in blocks of this many consecutive tokens (each block's
/// sums added to the row's float64 sums in order): 2048 in float64, 1024 in float32.
std::size_t dense_key_block(Precision precision);

/// Query rows the dense kernel's inner loop serves per pass over the keys
/// (bench/loop_count.py reads this line to count pairs per loop iteration).
inline constexpr int dense_query_rows = 4;

/// s[i] += sum_j K(q_i, x_j) w_j and su[i] += sum_j K(q_i, x_j) w_j u_j over the keys of one
/// block (at most dense_key_block(precision) tokens, u and w of the keys, w null: 1), with the
/// arithmetic of apply_attention: a rank that adds the blocks of the tokens 0..N-1 in order
/// gets apply_attention's row sums bit for bit (attention/kernel_distributed.hpp).
void accumulate_attention_block(const Tokens& queries, const Tokens& keys, const MetricScore& score, const double* u,
                                const double* w, double* s, double* su);

/// Row i of A (N entries), computed with the same arithmetic as apply_attention. For
/// tests and small N.
std::vector<double> attention_row(const Tokens& tokens, const MetricScore& score, std::size_t i,
                                  const double* weights = nullptr);

}  // namespace attnpde
