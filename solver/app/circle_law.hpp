#pragma once
// The circle law (docs/theory.md section 9, target T7): unit tokens on S^1 moved by
// dot-product attention at inverse temperature beta and projected back to the circle,
//   x_i <- (x_i + tau (sum_j A_ij x_j - x_i)) / |...|,   A_ij ~ exp(beta x_i . x_j),
// start from i.i.d. uniform angles. Linearized about the uniform density, Fourier mode k
// of the token density grows at lambda_k = k^2 I_k(beta) / (beta I_0(beta)) per unit
// layer time t = K tau. The measurement: the power |c_k|^2 of the moments
// c_k = (1/N) sum_j exp(i k theta_j), its logarithm averaged over the seeds, and the slope
// of that mean in t over the linear phase (circle_law_stop_power) is 2 lambda_k. Each mode's initial amplitude is
// random; its growth rate is not.

#include <string>
#include <vector>

#include "solver/app/manifest.hpp"

namespace attnpde {

struct CircleLawMode {
  int k = 0;
  double predicted = 0;  ///< lambda_k
  double measured = 0;   ///< half the slope of the mean log power
  double relative_error = 0;
  bool checked = false;  ///< predicted >= 25% of the largest rate: must be within 10%
};

struct CircleLawResult {
  double beta = 0;
  int k_max = 0;          ///< argmax_k lambda_k
  int k_fastest = 0;      ///< the fastest measured mode
  int layers_fitted = 0;  ///< layers of the linear phase used by the fits
  double t_fitted = 0;    ///< their layer time
  std::vector<CircleLawMode> modes;
  /// Rows of circle_law.csv's trajectory: (beta, layer, t, mean log power of modes 1..).
  std::vector<std::vector<double>> trajectory;
  bool passes() const;
  std::string verdict() const;
};

/// The linear phase of N i.i.d. tokens: until the seed-mean power of the fastest mode has
/// grown tenfold from its start 1/N (beyond, the square of mode k_max feeds mode 2 k_max,
/// whose rate is still within the checked range).
inline double circle_law_stop_power(long n) {
  return 10.0 / static_cast<double>(n);
}

/// Runs the measurement for one beta: study.n[0] tokens, study.seeds seeds from
/// tokens.seed, attention.tau, at most attention.layers layers.
CircleLawResult run_circle_law(const Case& c, double beta, bool progress);

/// The measurement for every beta of study.inverse_temperature with its outputs in
/// settings.out_dir (rank 0): circle_law.csv (per beta and mode: predicted and measured
/// rate), circle_law_trajectory.csv (mean log power per layer) and manifest.json.
std::vector<CircleLawResult> run_circle_law_study(const Case& c, const RunSettings& settings);

/// The printed table of a circle-law study.
std::string circle_law_report(const Case& c, const std::vector<CircleLawResult>& results, const RunSettings& settings);

}  // namespace attnpde
