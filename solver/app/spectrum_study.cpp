// Spectrum studies (study.measure = "spectrum", docs/theory.md section 8, target T6): each
// point measures the eigenpair errors of solver/app/spectrum_point.hpp; the fits are per
// eigenvalue cluster q:
//   eigenvalue_q_vs_sigma   at the largest N, against the limit: the bias, O(sigma^2);
//   eigenvalue_q_vs_n       at the smallest sigma, against the finite-sigma values where
//                           they exist (uniform torus, beta = 2): the sampling error,
//                           O(N^-1/2) for i.i.d. tokens (faster for lattices);
//   eigenvector_q_vs_n      the same for the eigenvectors (the Fourier modes are the
//                           eigenfunctions at every sigma there, so no bias);
//   eigenvector_q_vs_sigma  at the largest N against the FD eigenvectors: O(sigma^2) too.
// Expected slopes are bounds: any slope at least as fast passes.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "postprocess/tables.hpp"
#include "solver/app/study_command.hpp"

namespace attnpde {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();

double at(const std::vector<double>& v, std::size_t q) {
  return q < v.size() ? v[q] : nan_value;
}

}  // namespace

PointResult spectrum_study_point(const Problem& prob, const SpectrumReference& ref, const PointSpec& spec) {
  PointResult r = point_header(prob, spec);
  const SpectrumPoint pt = spectrum_point(prob, ref, spec.n, spec.sigma, spec.seed);
  // Summary errors over the clusters q >= 1: l2 = root mean square, max = largest.
  auto summary = [](const std::vector<double>& v) {
    Errors e;
    for (double x : v) {
      e.l2 += x * x / static_cast<double>(v.size());
      e.max = std::max(e.max, x);
    }
    e.l2 = std::sqrt(e.l2);
    return e;
  };
  r.generator = summary(pt.cluster_value);
  r.dynamics = summary(pt.cluster_vector);
  r.cluster_value = pt.cluster_value;
  r.cluster_sigma = pt.cluster_sigma;
  r.cluster_vector = pt.cluster_vector;
  r.seconds = pt.seconds;
  return r;
}

std::vector<StudyFit> spectrum_fits(const Case& c, const std::vector<PointResult>& points) {
  std::vector<StudyFit> fits;
  if (points.empty()) return fits;
  std::size_t clusters = points.front().cluster_value.size();
  for (const auto& r : points) clusters = std::min(clusters, r.cluster_value.size());
  const bool finite_sigma = !points.front().cluster_sigma.empty() && std::isfinite(points.front().cluster_sigma[0]);
  const bool iid = c.sampler == Sampler::random;
  long n_max = 0;
  double s_min = std::numeric_limits<double>::infinity();
  for (const auto& r : points) {
    n_max = std::max(n_max, r.n);
    s_min = std::min(s_min, r.sigma);
  }
  std::vector<const PointResult*> at_n_max, at_s_min;
  for (const auto& r : points) {
    if (r.n == n_max) at_n_max.push_back(&r);
    if (same_parameter(r.sigma, s_min)) at_s_min.push_back(&r);
  }
  char fixed_n[64], fixed_s[64];
  std::snprintf(fixed_n, sizeof fixed_n, "n = %ld", n_max);
  std::snprintf(fixed_s, sizeof fixed_s, "sigma = %.6g", s_min);
  for (std::size_t q = 0; q < clusters; ++q) {
    const std::string id = std::to_string(q + 1);
    auto add = [&](const std::string& name, const std::string& quantity, const std::string& against,
                   const std::string& fixed, const std::vector<const PointResult*>& sel, double expected,
                   const std::function<double(const PointResult&)>& value) {
      auto f = fit_points(name, quantity, against, fixed, sel, expected, value);
      if (!f) return;
      f->at_least = std::isfinite(expected);
      fits.push_back(*f);
    };
    add("eigenvalue_" + id + "_vs_sigma", "eigenvalue_error", "sigma", fixed_n, at_n_max, 2.0,
        [q](const PointResult& r) { return at(r.cluster_value, q); });
    // (On the uniform torus the Fourier modes are the eigenfunctions at every sigma: no bias.)
    if (!finite_sigma)
      add("eigenvector_" + id + "_vs_sigma", "eigenvector_error", "sigma", fixed_n, at_n_max, 2.0,
          [q](const PointResult& r) { return at(r.cluster_vector, q); });
    // Against N: the sampling error alone needs a reference without bias.
    if (finite_sigma) {
      add("eigenvalue_" + id + "_vs_n", "eigenvalue_error_sigma", "n", fixed_s, at_s_min, -0.5,
          [q](const PointResult& r) { return at(r.cluster_sigma, q); });
      add("eigenvector_" + id + "_vs_n", "eigenvector_error", "n", fixed_s, at_s_min, iid ? -0.5 : nan_value,
          [q](const PointResult& r) { return at(r.cluster_vector, q); });
    }
  }
  return fits;
}

void write_spectrum_summary(const std::string& path, const std::vector<PointResult>& points) {
  CsvWriter csv(path,
                {"n", "sigma", "seed", "cluster", "eigenvalue_error", "eigenvalue_error_sigma", "eigenvector_error"});
  for (const auto& r : points)
    for (std::size_t q = 0; q < r.cluster_value.size(); ++q)
      csv.row({static_cast<double>(r.n), r.sigma, static_cast<double>(r.seed), static_cast<double>(q + 1),
               r.cluster_value[q], at(r.cluster_sigma, q), r.cluster_vector[q]});
  csv.close();
}

}  // namespace attnpde
