#pragma once
// `attnpde learn CASE`: recover a planted metric from heat-equation data (docs/theory.md
// section 10). For every seed s: tokens (tokens.seed + s), J training and J' held-out random
// smooth fields u0 (Fourier modes up to learn.modes), their solutions of the limit PDE of the
// planted metric M* = attention.metric (attnpde's finite-difference solver) at the times
// t_k = k (layers / snapshots) tau c sigma^2, interpolated to the tokens. For every noise
// level, the training observations get Gaussian noise (level x their RMS), and each model
// (metric-attention, the dot-product baseline) is trained on them with the same optimizer and
// evaluation budget. Outputs: learn.csv (every evaluation), summary.csv (per model and noise:
// means with 95% intervals over the seeds), manifest.json (recovered M, M*, eigenvalues, the
// angle between principal axes, per run).

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "solver/app/manifest.hpp"

namespace attnpde {

/// One training: a model at one noise level and seed.
struct LearnRun {
  std::string model;  ///< "metric" or "dot"
  double noise = 0;
  int seed = 0;
  int evaluations = 0;
  std::string stop;
  double loss = 0, heldout_loss = 0;
  double metric_error = 0;  ///< ||M - M*||_F / ||M*||_F (metric model; NaN for dot)
  double axis_angle = 0;    ///< degrees between the principal axes of M and M* (metric model)
  double seconds = 0;
  Eigen::MatrixXd matrix;  ///< the learned M (metric) or B (dot)
};

/// Mean and 95% interval half-width (Student t) of one quantity over the seeds.
struct Interval {
  double mean = 0, half_width = 0;
};

/// Per model and noise level, over the seeds.
struct LearnSummary {
  std::string model;
  double noise = 0;
  int runs = 0;
  Interval heldout_loss, metric_error, evaluations, seconds;
};

struct LearnResult {
  std::vector<LearnRun> runs;
  std::vector<LearnSummary> summary;
  double data_seconds = 0;
};

LearnResult run_learn(const Case& c, const RunSettings& settings);
std::string learn_report(const Case& c, const LearnResult& r, const RunSettings& settings);

/// Mean and 95% interval of values (half-width 0 for a single value).
Interval mean_interval(const std::vector<double>& values);

}  // namespace attnpde
