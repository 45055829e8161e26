#pragma once
// Token transport (docs/theory.md sections 4 and 5b): the values are the positions
// themselves. One layer moves every token by its attention velocity
//   v_i = sum_j A_ij (x_j - x_i)      (minimum-image displacements on the torus),
//   attract: x_i <- x_i + tau v_i     (blurring mean shift: the density follows the
//                                      backward heat equation, tokens cluster),
//   repel:   x_i <- x_i - tau v_i     (the density follows the heat equation
//                                      d rho/ds = gamma div(G grad rho), s = K tau c sigma^2).
// Exact references (section 6): for softmax metric attention (beta = 2) on Gaussian
// tokens N(m, S) the mean-field velocity is B (m - x), B = (I + 2 S M / eps)^-1, so one
// layer maps S to (I -+ tau B) S (I -+ tau B)^T; on the torus the token density's Fourier
// moments decay as exp(-gamma k^T G k s) under repulsion.
// Diagnostics: clusters = connected components of the graph linking tokens closer than a
// link distance in d_M, and the mean nearest-neighbour distance (both O(N^2)).

#include <Eigen/Dense>
#include <array>
#include <complex>
#include <vector>

#include "attention/kernel.hpp"

namespace attnpde {

/// Velocities v_i = sum_j A_ij (x_j - x_i), direction by direction (v[d N + i]), from the
/// kernel of the current tokens with column weights `weights` (null = softmax). On the
/// torus each coordinate is read in `charts` charts [phi_c, phi_c + 2 pi), phi_c = 2 pi c /
/// charts, and each token uses the chart whose cut is farthest from it (at least
/// pi - pi / charts away): exact when no pair that far apart in one coordinate carries
/// weight (velocity_charts()). Costs charts x dim applications of A (one elsewhere).
std::vector<double> transport_velocity(const AttentionKernel& kernel, const Tokens& tokens, const double* weights,
                                       int charts = 2);

/// The number of charts (2 or 4) that makes transport_velocity() exact on the torus, or 0
/// when none does: a pair at least pi - pi / charts apart in one coordinate is beyond the
/// truncated kernel's search radius `radius` (0 for the dense kernel), or for the dense
/// kernel carries a weight below 1e-16.
int velocity_charts(const MetricScore& score, double radius);

/// The same velocities from the dense row moments (any sigma; O(N^2) with exp and pow per
/// pair, several times slower than the kernels).
std::vector<double> transport_velocity_direct(const Tokens& tokens, const MetricScore& score, const double* weights);

/// Moves the tokens by step * v (step = tau attracts, -tau repels): wrapped into
/// [0, 2 pi) on the torus, reflected at the walls of the box, projected back to the
/// sphere (x / |x|) on the sphere.
void move_tokens(Tokens& tokens, const std::vector<double>& velocity, double step);

struct ClusterStats {
  int clusters = 0;
  double mean_nearest_neighbour = 0.0;
  double min_distance = 0.0;         ///< smallest pairwise distance
  double close_pair_fraction = 0.0;  ///< sphere: pairs with x_i . x_j > 0.999 (NaN elsewhere)
};

/// Clusters at link distance `link` (d_M), the mean nearest-neighbour distance, the
/// smallest pairwise distance and, on the sphere, the fraction of nearly equal pairs.
ClusterStats cluster_stats(const Tokens& tokens, const Eigen::MatrixXd& metric, double link);

/// Covariance (1/N) sum (x - mean)(x - mean)^T and mean of the tokens.
Eigen::MatrixXd token_covariance(const Tokens& tokens, Eigen::VectorXd* mean = nullptr);

/// The Gaussian map of one layer (section 6): S -> (I - step B) S (I - step B)^T with
/// B = (I + 2 S M / eps)^-1 (step = tau attracts, -tau repels).
Eigen::MatrixXd gaussian_layer_map(const Eigen::MatrixXd& S, const Eigen::MatrixXd& M, double eps, double step);

/// The wave vectors k != 0 with |k_d| <= kmax, one of each pair +-k.
std::vector<std::array<int, 3>> half_space_modes(int dim, int kmax);

/// Fourier moments (1/N) sum_j exp(-i k . x_j) of the tokens (torus).
std::vector<std::complex<double>> fourier_moments(const Tokens& tokens, const std::vector<std::array<int, 3>>& modes);

}  // namespace attnpde
