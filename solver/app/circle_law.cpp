#include "solver/app/circle_law.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>

#include "attention/density.hpp"
#include "attention/kernel_circle.hpp"
#include "attention/sphere.hpp"
#include "attention/transport.hpp"
#include "postprocess/rates.hpp"
#include "postprocess/tables.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

namespace {

// Power |c_k|^2 of the angle moments, k = 1 .. modes.
std::vector<double> mode_power(const Tokens& t, int modes) {
  std::vector<double> p(static_cast<std::size_t>(modes));
  const std::size_t n = t.size();
  std::vector<double> angle(n);
  for (std::size_t j = 0; j < n; ++j) angle[j] = std::atan2(t.coord[1][j], t.coord[0][j]);
  for (int k = 1; k <= modes; ++k) {
    double re = 0, im = 0;
    for (std::size_t j = 0; j < n; ++j) {
      re += std::cos(k * angle[j]);
      im += std::sin(k * angle[j]);
    }
    p[static_cast<std::size_t>(k - 1)] = (re * re + im * im) / (static_cast<double>(n) * static_cast<double>(n));
  }
  return p;
}

// Least-squares slope of y against x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i] / static_cast<double>(x.size());
    my += y[i] / static_cast<double>(x.size());
  }
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  return sxy / sxx;
}

}  // namespace

bool CircleLawResult::passes() const {
  for (const auto& m : modes)
    if (m.checked && !(m.relative_error <= 0.1)) return false;
  // The fastest measured mode is k_max or a mode whose predicted rate is within 5% of it.
  const double best = circle_law_rate(k_max, beta);
  return k_fastest == k_max || circle_law_rate(k_fastest, beta) >= 0.95 * best;
}

std::string CircleLawResult::verdict() const {
  double worst = 0;
  int checked = 0;
  for (const auto& m : modes)
    if (m.checked) {
      worst = std::max(worst, m.relative_error);
      ++checked;
    }
  char buf[200];
  std::snprintf(buf, sizeof buf, "%s (%d modes within %.1f%% of lambda_k, tolerance 10%%; fastest k = %d, k_max = %d)",
                passes() ? "PASS" : "FAIL", checked, 100 * worst, k_fastest, k_max);
  return buf;
}

CircleLawResult run_circle_law(const Case& c, double beta, bool progress) {
  CircleLawResult r;
  r.beta = beta;
  // Modes: up to where the predicted rate has fallen below a tenth of the largest.
  const int k_max = circle_law_k_max(beta);
  r.k_max = k_max;
  const double best = circle_law_rate(k_max, beta);
  int modes = k_max;
  while (circle_law_rate(modes + 1, beta) > 0.1 * best) ++modes;

  const long n = c.study_n.front();
  const Density uniform("1", 2, Domain{DomainKind::sphere});
  // All seeds advance together, layer by layer, until the seed-mean power of the fastest
  // mode leaves the linear phase. The kernel is the circle's Fourier series of
  // exp(beta x.y) (attention/kernel_circle.hpp): the dense kernel to round-off, in O(N).
  std::vector<Tokens> seeds;
  for (int s = 0; s < c.study_seeds; ++s)
    seeds.push_back(
        sample_sphere(uniform, static_cast<std::size_t>(n), c.seed + static_cast<std::uint64_t>(s), Sampler::random));
  std::vector<std::vector<double>> mean_log;
  Progress bar("circle law beta = " + std::to_string(static_cast<int>(beta)) + ": layer", c.layers, !progress);
  for (int k = 0; k <= c.layers; ++k) {
    std::vector<double> mean(static_cast<std::size_t>(modes), 0.0);
    for (const Tokens& t : seeds) {
      const auto p = mode_power(t, modes);
      for (int q = 0; q < modes; ++q)
        mean[static_cast<std::size_t>(q)] += std::log(p[static_cast<std::size_t>(q)]) / c.study_seeds;
    }
    mean_log.push_back(mean);
    double top = 0;
    for (double v : mean) top = std::max(top, std::exp(v));
    if (top > circle_law_stop_power(n) || k == c.layers) break;
    for (Tokens& t : seeds) {
      const CircleKernel kernel(t, beta);
      move_tokens(t, transport_velocity(kernel, t, nullptr), c.tau);
    }
    bar.update(k + 1);
  }
  // The fit uses the layers before the stop (the last row is past it unless the layer cap
  // came first).
  const int layers = static_cast<int>(mean_log.size()) - 1;
  // The linear phase: layers until the mean power of the fastest mode reaches stop_power.
  int last = 0;
  for (int k = 0; k <= layers; ++k) {
    double top = 0;
    for (double v : mean_log[static_cast<std::size_t>(k)]) top = std::max(top, std::exp(v));
    if (top > circle_law_stop_power(n)) break;
    last = k;
  }
  if (last == c.layers && c.layers > 0 && progress)
    std::fprintf(stderr, "attnpde: warning: beta = %g: attention.layers = %d ended the fit before the linear phase\n",
                 beta, c.layers);
  r.layers_fitted = last;
  r.t_fitted = last * c.tau;
  for (int k = 0; k <= last; ++k) {
    std::vector<double> row = {beta, static_cast<double>(k), k * c.tau};
    row.insert(row.end(), mean_log[static_cast<std::size_t>(k)].begin(), mean_log[static_cast<std::size_t>(k)].end());
    r.trajectory.push_back(row);
  }
  std::vector<double> t(static_cast<std::size_t>(last) + 1), y(t.size());
  double fastest = -1e300;
  for (int q = 0; q < modes; ++q) {
    for (int k = 0; k <= last; ++k) {
      t[static_cast<std::size_t>(k)] = k * c.tau;
      y[static_cast<std::size_t>(k)] = mean_log[static_cast<std::size_t>(k)][static_cast<std::size_t>(q)];
    }
    CircleLawMode m;
    m.k = q + 1;
    m.predicted = circle_law_rate(m.k, beta);
    m.measured = last >= 2 ? 0.5 * slope(t, y) : 0.0;
    m.relative_error = std::abs(m.measured - m.predicted) / m.predicted;
    m.checked = m.predicted >= 0.25 * best;
    if (m.measured > fastest) {
      fastest = m.measured;
      r.k_fastest = m.k;
    }
    r.modes.push_back(m);
  }
  return r;
}

std::vector<CircleLawResult> run_circle_law_study(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const bool root = is_root_rank();
  std::vector<CircleLawResult> results;
  for (double beta : c.study_inverse_temperature) results.push_back(run_circle_law(c, beta, root && !s.quiet));
  if (!root) return results;
  const std::string& out_dir = s.out_dir;
  CsvWriter modes(out_dir + "/circle_law.csv",
                  {"beta", "k", "lambda_predicted", "lambda_measured", "relative_error", "checked"});
  for (const auto& r : results)
    for (const auto& m : r.modes)
      modes.row({r.beta, static_cast<double>(m.k), m.predicted, m.measured, m.relative_error, m.checked ? 1.0 : 0.0});
  modes.close();
  int most = 0;
  for (const auto& r : results) most = std::max(most, static_cast<int>(r.modes.size()));
  std::vector<std::string> cols = {"beta", "layer", "t"};
  for (int k = 1; k <= most; ++k) cols.push_back("mean_log_power_" + std::to_string(k));
  CsvWriter traj(out_dir + "/circle_law_trajectory.csv", cols);
  for (const auto& r : results)
    for (auto row : r.trajectory) {
      row.resize(cols.size(), std::nan(""));
      traj.row(row);
    }
  traj.close();
  Json per_beta = Json::array();
  for (const auto& r : results)
    per_beta.push(Json::object()
                      .set("beta", r.beta)
                      .set("k_max", r.k_max)
                      .set("k_fastest", r.k_fastest)
                      .set("layers_fitted", r.layers_fitted)
                      .set("t_fitted", r.t_fitted)
                      .set("verdict", r.verdict()));
  Json man = manifest_header(c, s);
  man.set("results",
          Json::object().set("circle_law", per_beta).set("stop_power", circle_law_stop_power(c.study_n.front())));
  man.set(
      "timings_seconds",
      Json::object().set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()));
  write_manifest(std::move(man), s, {"circle_law.csv", "circle_law_trajectory.csv"});
  return results;
}

std::string circle_law_report(const Case& c, const std::vector<CircleLawResult>& results, const RunSettings& s) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf, "case %s: circle law, N = %ld i.i.d. uniform tokens on S^1, %d seeds, tau = %g\n",
                c.name.c_str(), c.study_n.front(), c.study_seeds, c.tau);
  out += buf;
  for (const auto& r : results) {
    std::snprintf(buf, sizeof buf, "beta = %g: linear phase %d layers (t = %.3g); k_max = %d\n", r.beta,
                  r.layers_fitted, r.t_fitted, r.k_max);
    out += buf;
    out += "     k   lambda_k predicted   measured   rel. error  checked\n";
    for (const auto& m : r.modes) {
      std::snprintf(buf, sizeof buf, "  %4d   %18.5f %10.5f %12.3e  %s\n", m.k, m.predicted, m.measured,
                    m.relative_error, m.checked ? "yes" : "-");
      out += buf;
    }
    out += "  " + r.verdict() + "\n";
  }
  out += "outputs: " + s.shown_dir + "/{circle_law.csv,circle_law_trajectory.csv,manifest.json}\n";
  return out;
}

}  // namespace attnpde
