#pragma once
// The convergence harness (`attnpde study`): runs every (N, sigma, seed) of the [study]
// table (the N x sigma grid, plus the path sigma = C N^(-1/(dim+6)) when path =
// "optimal"), measures the generator error (T1, K = 0) and the dynamics error (T2, after
// K layers) and fits observed rates with 95% confidence intervals.
// Writes summary.csv (one row per run), rates.json and manifest.json; prints the table.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "postprocess/rates.hpp"
#include "solver/app/circle_law.hpp"
#include "solver/app/cluster_study.hpp"
#include "solver/app/manifest.hpp"
#include "solver/app/point.hpp"
#include "solver/app/spectrum_point.hpp"

namespace attnpde {

struct StudyFit {
  std::string name;      ///< e.g. "generator_vs_sigma"
  std::string quantity;  ///< summary column fitted
  std::string against;   ///< "sigma" | "n"
  std::string fixed;     ///< what is held fixed, as text
  RateFit fit;
  double expected = 0.0;  ///< docs/theory.md value (NaN when none applies)
  /// The expected slope is a bound: any slope at least as fast passes (spectral rates,
  /// docs/theory.md section 8).
  bool at_least = false;

  /// Passes when the 95% interval holds the expected slope and is narrow enough to tell
  /// slopes apart (half-width at most max(rate_tolerance, |expected| / 4)), or the slope is
  /// within rate_tolerance of it (deterministic lattice tokens give intervals narrower than
  /// the higher-order terms of the error expansion).
  bool passes() const;
  /// "PASS (interval holds 2)", "PASS (within tolerance 0.1, interval excludes 2)", "FAIL",
  /// or "no expected value" (a dynamics slope at a fixed layer count).
  std::string verdict() const;
  double seed_spread = 0;  ///< largest standard deviation of log(error) over the seeds of a point
};

/// Tolerance on an observed slope (docs/theory.md section 7: "or the error is below the
/// stated tolerance").
inline constexpr double rate_tolerance = 0.1;

struct StudyResult {
  std::vector<PointResult> points;
  std::vector<StudyFit> fits;
  std::vector<CircleLawResult> circle_law;  ///< study.measure = "circle_law" (no points, no fits)
  std::vector<ClusterPhase> phases;         ///< study.measure = "clusters"
  std::string report;                       ///< the printed table of errors and rates (rank 0)
};

StudyResult run_study(const Case& c, const RunSettings& settings);

/// The rate fits of a set of study points (used by run_study, exposed for tests).
std::vector<StudyFit> study_fits(const Case& c, const std::vector<PointResult>& points);

/// Two study parameters (sigma values) equal to 1e-12 relative.
bool same_parameter(double a, double b);

/// One fit of value(r) against N or sigma over the selected points: one point per distinct
/// x, the geometric mean over the seeds. Empty when fewer than 2 distinct x have a positive
/// value.
std::optional<StudyFit> fit_points(const std::string& name, const std::string& quantity, const std::string& against,
                                   const std::string& fixed, const std::vector<const PointResult*>& sel,
                                   double expected, const std::function<double(const PointResult&)>& value);

/// The fits of a spectrum study (solver/app/spectrum_study.cpp): per eigenvalue cluster,
/// the bias in sigma at the largest N and the variance in N at the smallest sigma.
std::vector<StudyFit> spectrum_fits(const Case& c, const std::vector<PointResult>& points);

/// A spectrum study point: the eigenpair errors as summary errors (generator: eigenvalues,
/// dynamics: eigenvectors) and per cluster.
PointResult spectrum_study_point(const Problem& prob, const SpectrumReference& ref, const PointSpec& spec);
/// spectrum_summary.csv: one row per point and cluster.
void write_spectrum_summary(const std::string& path, const std::vector<PointResult>& points);

}  // namespace attnpde
