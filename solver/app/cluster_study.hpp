#pragma once
// Phase diagrams of clustering on the sphere (docs/theory.md section 9): unit tokens moved
// by dot-product attention (B = I) at each inverse temperature beta of
// study.inverse_temperature, projected back to the sphere after every layer, from
// study.seeds i.i.d. draws of the density (study.n[0] tokens) for attention.layers layers.
// Every output.every layers the clustering diagnostics of attention/transport.hpp (clusters
// at link distance sigma / 10 with sigma^2 = 2 / beta, the fraction of pairs with
// x_i . x_j > 0.999, the smallest and the mean nearest-neighbour distance) go to
// clusters.csv; phase.csv has per beta the final clusters over the seeds (mean, sd, min,
// max), the final close-pair fraction and, on the circle, k_max of the circle law (the
// number of clusters that first forms). The kernel is the circle's Fourier series on S^1
// and the dense chordal kernel on S^2.

#include <string>
#include <vector>

#include "solver/app/manifest.hpp"

namespace attnpde {

struct ClusterPhase {
  double beta = 0;
  double mean_clusters = 0, sd_clusters = 0;
  int min_clusters = 0, max_clusters = 0;
  double close_pair_fraction = 0;  ///< mean over the seeds, final layer
  int k_max = 0;                   ///< circle: argmax_k lambda_k (0 on S^2)
};

/// Runs every (beta, seed) and writes clusters.csv, phase.csv and manifest.json (rank 0).
std::vector<ClusterPhase> run_cluster_study(const Case& c, const RunSettings& settings);

/// The printed table of a phase study.
std::string cluster_study_report(const Case& c, const std::vector<ClusterPhase>& phases, const RunSettings& settings);

}  // namespace attnpde
