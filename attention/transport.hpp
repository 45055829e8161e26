#pragma once
// Token transport (docs/theory.md section 4): the values are the positions themselves,
//   x_i <- x_i + tau sum_j A_ij (x_j - x_i)   (minimum-image displacements, wrapped back
// into [0, 2 pi)^n), i.e. blurring mean shift: the token density follows the backward
// heat equation dp/dt = -2 c sigma^2 div(G grad p) per unit layer time, so tokens
// cluster. Diagnostics: clusters = connected components of the graph linking tokens
// closer than a link distance in the metric d_M (the runner uses sigma / 10, so
// unclustered tokens count singly and a collapsed cluster counts once), and the mean
// nearest-neighbour distance d_M. Both cost O(N^2).

#include "attention/kernel_dense.hpp"

namespace attnpde {

/// One transport layer in place (column weights `weights`, null = softmax).
void transport_layer(Tokens& tokens, const MetricScore& score, const double* weights, double tau);

struct ClusterStats {
  int clusters = 0;
  double mean_nearest_neighbour = 0.0;
};

/// Clusters at link distance `link` (d_M) and the mean nearest-neighbour distance.
ClusterStats cluster_stats(const Tokens& tokens, const Eigen::MatrixXd& metric, double link);

}  // namespace attnpde
