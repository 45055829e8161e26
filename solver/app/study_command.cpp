#include "solver/app/study_command.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "attention/constants.hpp"
#include "postprocess/tables.hpp"
#include "solver/app/case.hpp"
#include "solver/app/distributed_tokens.hpp"
#include "solver/app/progress.hpp"
#include "solver/app/study_journal.hpp"
#include "solver/app/transport_command.hpp"

namespace attnpde {

namespace {

using Clock = std::chrono::steady_clock;
const double nan_value = std::numeric_limits<double>::quiet_NaN();

struct Point {
  long n;
  double sigma;
  bool on_path;  ///< on sigma = C N^(-1/(n+6)) rather than the N x sigma grid
};

double column(const PointResult& r, const std::string& q) {
  if (q == "gen_err_l2") return r.generator.l2;
  if (q == "err_l2") return r.dynamics.l2;
  if (q == "gen_err_max") return r.generator.max;
  return r.dynamics.max;
}

}  // namespace

bool same_parameter(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

std::string StudyFit::verdict() const {
  if (!std::isfinite(expected)) return "no expected value";
  char e[32], t[32];
  std::snprintf(e, sizeof e, "%g", expected);
  std::snprintf(t, sizeof t, "%g", rate_tolerance);
  if (at_least) {
    // Faster: a steeper fall in N (slope below a negative bound) or in sigma (above a
    // positive one), within the tolerance.
    const bool fast = (expected < 0 ? -fit.slope : fit.slope) >= std::abs(expected) - rate_tolerance;
    return std::string(fast ? "PASS (at least as fast as " : "FAIL (slower than ") + e + ", tolerance " + t + ")";
  }
  // An interval holds the expected value only as evidence when it is narrow enough to
  // tell slopes apart: half-width at most max(tolerance, |expected| / 4).
  const double half_width = 0.5 * (fit.ci_high - fit.ci_low);
  const bool informative = half_width <= std::max(rate_tolerance, 0.25 * std::abs(expected));
  if (fit.contains(expected) && informative) return std::string("PASS (interval holds ") + e + ")";
  char w[32];
  std::snprintf(w, sizeof w, "%.3g", half_width);
  const std::string too_wide = std::string("interval too wide to decide: half-width ") + w;
  if (std::abs(fit.slope - expected) <= rate_tolerance) {
    if (!std::isfinite(fit.ci_low))
      return std::string("PASS (within tolerance ") + t + ", interval undefined with 2 points, expected " + e + ")";
    return std::string("PASS (within tolerance ") + t + ", " +
           (fit.contains(expected) ? too_wide : std::string("interval excludes ") + e) + ")";
  }
  if (fit.contains(expected)) return "FAIL (" + too_wide + ")";
  return "FAIL";
}

bool StudyFit::passes() const {
  return verdict().rfind("PASS", 0) == 0;
}

std::optional<StudyFit> fit_points(const std::string& name, const std::string& quantity, const std::string& against,
                                   const std::string& fixed, const std::vector<const PointResult*>& sel,
                                   double expected, const std::function<double(const PointResult&)>& value) {
  // One fitted point per distinct x: the geometric mean over the seeds (seeds of the
  // quasi sampler agree to round-off, so fitting every seed would count one point
  // several times and narrow the interval falsely); the seed spread is reported.
  std::map<double, std::vector<double>> logs;
  for (const auto* r : sel) {
    const double xv = against == "sigma" ? r->sigma : static_cast<double>(r->n);
    const double v = value(*r);
    if (v > 0) logs[xv].push_back(std::log(v));
  }
  if (logs.size() < 2) return std::nullopt;
  std::vector<double> x, y;
  double spread = 0;
  for (const auto& [xv, ls] : logs) {
    double mean = 0, var = 0;
    for (double l : ls) mean += l / static_cast<double>(ls.size());
    for (double l : ls) var += (l - mean) * (l - mean);
    if (ls.size() > 1) spread = std::max(spread, std::sqrt(var / static_cast<double>(ls.size() - 1)));
    x.push_back(xv);
    y.push_back(std::exp(mean));
  }
  StudyFit f{name, quantity, against, fixed, fit_power_law(x, y), expected};
  f.seed_spread = spread;
  return f;
}

std::vector<StudyFit> study_fits(const Case& c, const std::vector<PointResult>& points) {
  if (c.study_spectrum) return spectrum_fits(c, points);
  std::vector<StudyFit> fits;
  auto add = [&](const std::string& name, const std::string& q, const std::string& against, const std::string& fixed,
                 const std::vector<const PointResult*>& sel, double expected) {
    auto f = fit_points(name, q, against, fixed, sel, expected, [&q](const PointResult& r) { return column(r, q); });
    if (f) fits.push_back(*f);
  };

  // Points of the N x sigma grid; at the largest N they give the slopes in sigma (bias).
  std::vector<const PointResult*> grid, path;
  for (const auto& r : points) (r.on_path ? path : grid).push_back(&r);
  if (!grid.empty() && !c.study_sigma.empty()) {
    const long n_max = (*std::max_element(grid.begin(), grid.end(), [](auto* a, auto* b) { return a->n < b->n; }))->n;
    std::vector<const PointResult*> sel;
    for (auto* r : grid)
      if (r->n == n_max) sel.push_back(r);
    const std::string fixed = "n = " + std::to_string(n_max);
    add("generator_vs_sigma", "gen_err_l2", "sigma", fixed, sel, 2.0);
    // At a fixed horizon the layer dynamics carry the O(sigma^2) generator bias; at a fixed
    // layer count t_K ~ sigma^2 shrinks too and no single exponent is predicted.
    const bool fixed_time = c.study_time > 0;
    // Without layers (a generator-only study) there are no dynamics to fit.
    if (fixed_time || c.layers > 0)
      add("dynamics_vs_sigma", "err_l2", "sigma", fixed, sel, fixed_time ? 2.0 : nan_value);
    // Smallest sigma: variance O(N^-1/2 sigma^-(1+n/2)) dominates for i.i.d. tokens.
    const double s_min = *std::min_element(c.study_sigma.begin(), c.study_sigma.end());
    sel.clear();
    for (auto* r : grid)
      if (same_parameter(r->sigma, s_min)) sel.push_back(r);
    char buf[64];
    std::snprintf(buf, sizeof buf, "sigma = %.6g", s_min);
    const bool iid = c.sampler == Sampler::random || c.domain.kind == DomainKind::space;
    add("generator_vs_n", "gen_err_l2", "n", buf, sel, iid ? -0.5 : nan_value);
    // Token transport against the Gaussian map: no bias at any sigma, the finite-N error
    // of i.i.d. tokens alone (docs/theory.md section 6).
    if (c.transport != Transport::none)
      add("dynamics_vs_n", "err_l2", "n", buf, sel,
          transport_reference(c) == TransportReference::gaussian ? -0.5 : nan_value);
  }
  if (!path.empty()) {
    const std::vector<const PointResult*>& sel = path;
    char buf[96];
    std::snprintf(buf, sizeof buf, "sigma = %.6g N^(-1/%d)", c.study_path_scale, c.domain.intrinsic_dim(c.dim) + 6);
    // Along sigma ~ N^(-1/(n+6)) bias O(sigma^2) and variance balance: both fall like
    // N^(-2/(n+6)). (With lattice tokens the variance is negligible and the bias alone
    // gives the same exponent.)
    const double expected = -2.0 / (c.domain.intrinsic_dim(c.dim) + 6);
    add("generator_vs_n_optimal", "gen_err_l2", "n", buf, sel, expected);
    add("dynamics_vs_n_optimal", "err_l2", "n", buf, sel, c.study_time > 0 ? expected : nan_value);
  }
  return fits;
}

StudyResult run_study(const Case& c, const RunSettings& s) {
  if (c.study_circle_law) {  // mode growth rates, not error fits (solver/app/circle_law.hpp)
    StudyResult r;
    r.circle_law = run_circle_law_study(c, s);
    if (is_root_rank()) r.report = circle_law_report(c, r.circle_law, s);
    return r;
  }
  if (c.study_clusters) {  // a clustering phase diagram (solver/app/cluster_study.hpp)
    StudyResult r;
    r.phases = run_cluster_study(c, s);
    if (is_root_rank()) r.report = cluster_study_report(c, r.phases, s);
    return r;
  }
  const auto t_start = Clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);

  std::vector<Point> plan;
  for (long n : c.study_n)
    for (double sigma : c.study_sigma) plan.push_back({n, sigma, false});
  std::vector<double> path_sigmas;
  if (c.study_path == StudyPath::optimal)
    for (long n : c.study_n) {
      const double sigma = optimal_sigma(n, c.domain.intrinsic_dim(c.dim), c.study_path_scale);
      path_sigmas.push_back(sigma);
      plan.push_back({n, sigma, true});
    }

  // Layers per point: attention.layers, or for a fixed horizon study.time the count with
  // K tau c sigma^2 closest to it (then the dynamics error is measured at a fixed time).
  auto layers_for = [&](double sigma) {
    if (!(c.study_time > 0)) return c.layers;
    return static_cast<int>(layers_for_time(c.study_time, c.tau, prob.constant(), sigma));
  };

  // The PDE reference depends on sigma only (t_K = K tau c sigma^2): one solve per sigma,
  // one interpolator per component of u.
  // The grid is made on first use (token transport needs none).
  std::optional<Grid> grid;
  std::optional<SpectrumReference> spectrum;
  std::map<double, std::vector<GridInterpolator>> reference;
  long pde_steps = 0, ksp_its = 0;
  double pde_seconds = 0;
  auto reference_at = [&](double sigma, double t) -> const std::vector<GridInterpolator>& {
    auto it = reference.find(sigma);
    if (it != reference.end()) return it->second;
    std::vector<GridInterpolator> per_component;
    if (!grid) grid.emplace(PETSC_COMM_WORLD, c.grid, prob.grid_domain());
    const auto pdes = prob.make_pdes(*grid);
    for (const auto& pde : pdes) {
      pde->advance_to(t);
      per_component.push_back(prob.interpolator(*grid, *pde));
    }
    const PdeStats st = summed_stats(pdes);
    pde_steps += st.steps;
    ksp_its += st.ksp_iterations;
    pde_seconds += st.seconds;
    return reference.emplace(sigma, std::move(per_component)).first->second;
  };

  // Distributed tokens: every point's tokens in boxes aligned with the grid's ranges.
  std::optional<BoxPartition> boxes;
  if (c.distributed) {
    if (!grid) grid.emplace(PETSC_COMM_WORLD, c.grid, prob.grid_domain());
    boxes = grid_aligned_partition(*grid);
  }

  const long total = static_cast<long>(plan.size()) * c.study_seeds;
  Progress progress("study point", total, s.quiet || !root);
  StudyResult result;
  long done = 0;
  // Finished points go to the journal at once; --resume takes them from it.
  // (Spectrum points carry per-cluster errors that the journal does not hold: not journaled.)
  StudyJournal journal(root && !c.study_spectrum ? s.journal : std::string(), s.resume, prob.has_boundary());
  if (root && s.resume)
    std::fprintf(stderr, "attnpde: resuming: %zu finished points in %s\n", journal.resumed(), s.journal.c_str());
  int sinkhorn_unconverged = 0;
  for (const auto& pt : plan) {
    // The PDE values at the tokens, component by component like the attention values.
    const PdeAtTokens pde_at = [&](double t, const Tokens& tokens) {
      if (!prob.has_grid()) return prob.harmonic_at_tokens(t, tokens);  // S^2
      std::vector<double> v;
      for (const auto& f : reference_at(pt.sigma, t)) {
        const auto at = prob.at_tokens(f, tokens);
        v.insert(v.end(), at.begin(), at.end());
      }
      return v;
    };
    for (int rep = 0; rep < c.study_seeds; ++rep) {
      PointSpec spec;
      spec.n = pt.n;
      spec.sigma = pt.sigma;
      spec.layers = layers_for(pt.sigma);
      spec.seed = c.seed + static_cast<std::uint64_t>(rep);
      spec.on_path = pt.on_path;
      spec.boxes = boxes ? &*boxes : nullptr;
      const std::uint64_t key = point_key(c, spec);
      // Ranks agree on whether the point is stored (only rank 0 reads the journal).
      const PointResult* stored = journal.find(key);
      int have = stored ? 1 : 0;
      MPI_Bcast(&have, 1, MPI_INT, 0, PETSC_COMM_WORLD);
      PointResult r;
      if (have) {
        if (root) r = *stored;
        MPI_Bcast(&r.generator, 2, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
        MPI_Bcast(&r.dynamics, 2, MPI_DOUBLE, 0, PETSC_COMM_WORLD);
        r.n = spec.n;
        r.sigma = spec.sigma;
        r.layers = spec.layers;
        r.seed = spec.seed;
        r.on_path = spec.on_path;
      } else {
        if (c.study_spectrum && !spectrum) {
          grid.emplace(PETSC_COMM_WORLD, c.grid, prob.domain());
          spectrum.emplace(make_spectrum_reference(prob, *grid));
        }
        r = c.study_spectrum                 ? spectrum_study_point(prob, *spectrum, spec)
            : c.transport != Transport::none ? run_transport_point(prob, spec)
                                             : run_point(prob, spec, pde_at);
        if (root) journal.add(key, r);
      }
      if (!r.sinkhorn_converged) ++sinkhorn_unconverged;
      result.points.push_back(r);
      progress.update(++done);
    }
  }
  result.fits = study_fits(c, result.points);

  if (root) {
    std::filesystem::create_directories(s.out_dir);
    {
      CsvWriter csv(s.out_dir + "/summary.csv", summary_columns(prob.has_boundary()));
      for (const auto& r : result.points) csv.row(summary_row(r, prob.has_boundary()));
      csv.close();
    }
    Json fits = Json::array();
    for (const auto& f : result.fits) {
      Json ci = Json::array();
      ci.push(f.fit.ci_low).push(f.fit.ci_high);
      Json j = Json::object();
      j.set("name", f.name)
          .set("quantity", f.quantity)
          .set("against", f.against)
          .set("fixed", f.fixed)
          .set("slope", f.fit.slope)
          .set("ci95", ci)
          .set("intercept", f.fit.intercept)
          .set("r2", f.fit.r2)
          .set("points", f.fit.points)
          .set("seed_spread_log", f.seed_spread)
          .set("expected", f.expected);
      if (std::isfinite(f.expected)) {
        j.set("contains_expected", f.fit.contains(f.expected));
        j.set("passes", f.passes());
        j.set("verdict", f.verdict());
      }
      fits.push(j);
    }
    Json rates = Json::object();
    rates
        .set("model",
             "error ~ C x^slope, least squares in log-log over the distinct x (geometric mean over seeds), 95% "
             "Student-t interval")
        .set("rate_tolerance", rate_tolerance)
        .set("fits", fits);
    write_text(s.out_dir + "/rates.json", rates.dump());

    Json m = manifest_header(c, s);
    Json sig = Json::array();
    for (double v : path_sigmas) sig.push(v);
    m.set("optimal_path_sigma", sig);
    m.set("timings_seconds", Json::object()
                                 .set("total", std::chrono::duration<double>(Clock::now() - t_start).count())
                                 .set("pde", pde_seconds));
    m.set("pde", Json::object().set("steps", pde_steps).set("ksp_iterations", ksp_its));
    m.set("normalization", Json::object()
                               .set("kind", normalization_name(c.normalization.kind))
                               .set("sinkhorn_unconverged_points", sinkhorn_unconverged));
    if (sinkhorn_unconverged)
      std::fprintf(stderr, "attnpde: warning: Sinkhorn did not reach its tolerance at %d study points\n",
                   sinkhorn_unconverged);
    m.set("results", Json::object().set("points", static_cast<long>(result.points.size())).set("rates", fits));
    std::vector<std::string> outputs = {"summary.csv", "study.csv", "rates.json"};
    if (c.study_spectrum) {
      write_spectrum_summary(s.out_dir + "/spectrum_summary.csv", result.points);
      outputs.push_back("spectrum_summary.csv");
    }
    write_manifest(std::move(m), s, outputs);

    // The table: mean and sample standard deviation over seeds per (N, sigma), printed and
    // written to study.csv.
    CsvWriter table(s.out_dir + "/study.csv", {"n", "sigma", "layers", "t", "seeds", "gen_err_l2_mean", "gen_err_l2_sd",
                                               "gen_err_max_mean", "err_l2_mean", "err_l2_sd", "err_max_mean"});
    std::string& out = result.report;
    // Spectrum studies: the summary errors are the eigenvalue and eigenvector errors (RMS over
    // the clusters); layers and t do not apply.
    appendf(out, "%10s %10s %7s %10s %6s %24s %24s\n", "N", "sigma", "layers", "t", "seeds",
            c.study_spectrum ? "eigval err mean (sd)" : "gen_err_l2 mean (sd)",
            c.study_spectrum ? "eigvec err mean (sd)" : "err_l2 mean (sd)");
    const std::size_t ns = static_cast<std::size_t>(c.study_seeds);
    for (std::size_t k = 0; k < result.points.size(); k += ns) {
      auto mean_sd = [&](auto get) {
        double mean = 0, v = 0;
        for (std::size_t q = 0; q < ns; ++q) mean += get(result.points[k + q]) / static_cast<double>(ns);
        for (std::size_t q = 0; q < ns; ++q) v += std::pow(get(result.points[k + q]) - mean, 2);
        return std::pair{mean, ns > 1 ? std::sqrt(v / static_cast<double>(ns - 1)) : 0.0};
      };
      const auto gen = mean_sd([](const PointResult& r) { return r.generator.l2; });
      const auto gen_max = mean_sd([](const PointResult& r) { return r.generator.max; });
      const auto dyn = mean_sd([](const PointResult& r) { return r.dynamics.l2; });
      const auto dyn_max = mean_sd([](const PointResult& r) { return r.dynamics.max; });
      const auto& p0 = result.points[k];
      table.row({static_cast<double>(p0.n), p0.sigma, static_cast<double>(p0.layers), p0.t, static_cast<double>(ns),
                 gen.first, gen.second, gen_max.first, dyn.first, dyn.second, dyn_max.first});
      appendf(out, "%10ld %10.6g %7d %10.4g %6zu %13.4e (%8.1e) %13.4e (%8.1e)\n", p0.n, p0.sigma, p0.layers, p0.t, ns,
              gen.first, gen.second, dyn.first, dyn.second);
    }
    table.close();
    appendf(out, "\n%-24s %-24s %8s %18s %9s  %s\n", "rate", "fixed", "slope", "95% CI", "expected", "verdict");
    for (const auto& f : result.fits) {
      char ci[64], ex[32];
      std::snprintf(ci, sizeof ci, "[%.3f, %.3f]", f.fit.ci_low, f.fit.ci_high);
      if (std::isfinite(f.expected))
        std::snprintf(ex, sizeof ex, "%.3f", f.expected);
      else
        std::snprintf(ex, sizeof ex, "-");
      appendf(out, "%-24s %-24s %8.3f %18s %9s  %s\n", f.name.c_str(), f.fixed.c_str(), f.fit.slope, ci, ex,
              f.verdict().c_str());
    }
    appendf(out, "\noutputs: %s/{summary.csv,study.csv,rates.json,manifest.json%s}\n", s.shown_dir.c_str(),
            c.study_spectrum ? ",spectrum_summary.csv" : "");
  }
  return result;
}

}  // namespace attnpde
