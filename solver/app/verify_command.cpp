#include "solver/app/verify_command.hpp"

#include <omp.h>

#include <algorithm>
#include <attnpde/version.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "attention/constants.hpp"
#include "discretization/reference.hpp"
#include "postprocess/rates.hpp"
#include "postprocess/tables.hpp"
#include "solver/app/probe_command.hpp"
#include "solver/app/problem.hpp"
#include "solver/app/run_command.hpp"
#include "solver/app/study_command.hpp"
#include "solver/app/transport_command.hpp"

namespace fs = std::filesystem;

namespace attnpde {

namespace {

struct Line {
  std::string target, title, verdict, observed, expected;
  bool pass = false;
};

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string l; std::getline(in, l);)
    if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
  return "unknown CPU";
}

std::string fmt(const char* format, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, format, a, b, c);
  return buf;
}

// A transport target's picture: one run of the case (at most 8000 tokens, the smallest
// sigma, at least 10 layers) whose reference.csv follows the reference layer by layer
// (postprocess/plot_verify.py draws it).
void transport_trajectory(const Case& study, const RunSettings& s) {
  Case c = study;
  c.purpose = Purpose::run;
  c.n = std::min<long>(*std::max_element(c.study_n.begin(), c.study_n.end()), 8000);
  c.sigma = c.study_sigma.empty() ? optimal_sigma(c.n, c.domain.intrinsic_dim(c.dim), c.study_path_scale)
                                  : *std::min_element(c.study_sigma.begin(), c.study_sigma.end());
  // The layers of the study's fixed horizon, with the case's own c (the one --plant changes).
  c.layers = c.study_time > 0 ? static_cast<int>(layers_for_time(c.study_time, c.tau, Problem(c).constant(), c.sigma))
                              : std::max(c.layers, 10);
  c.every = std::max(1, c.layers / 10);
  c.vtk = false;
  RunSettings r = s;
  r.out_dir += "/trajectory";
  r.shown_dir += "/trajectory";
  if (is_root_rank()) fs::create_directories(r.out_dir);
  run_transport(c, r);
}

// T5's identity itself: p^4 Delta_gbar u against L_2 u at 64 tokens of the case.
Line conformal_identity(const Case& c) {
  const Problem prob(c);
  const Tokens t = prob.sample(64, c.seed);
  const Expression u(c.u0.front());
  double diff = 0, scale = 0;
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto x = t.point(j);
    const double lu = continuum_generator(u, prob.density_expression(), prob.G(), 2.0, x.data(), 3);
    diff = std::max(diff, std::abs(conformal_laplace_beltrami(u, prob.density_expression(), c.metric, x.data()) - lu));
    scale = std::max(scale, std::abs(lu));
  }
  const double bound = 1e-6;  // the nested differences' truncation error
  Line l{c.verify_target,
         c.verify_title + ", identity p^4 Delta_gbar u = L_2 u",
         "",
         fmt("max relative %.1e", diff / scale),
         fmt("<= %g", bound),
         diff <= bound * scale};
  l.verdict = l.pass ? "PASS (error within the bound)" : "FAIL";
  return l;
}

// T3: gamma identified from data (docs/theory.md section 7). For each normalization the
// attention generator r = (A u0 - u0)/(c sigma^2) is projected on L_gamma's two parts,
// r - div(G grad u0) ~ gamma (G grad log p) . grad u0 (least squares over the tokens), at
// every sigma of the study; gamma(sigma) = gamma + O(sigma^2) is extrapolated to sigma = 0.
std::vector<Line> gamma_lines(const Case& base) {
  if (base.study_sigma.size() < 3 || base.study_n.empty())
    throw InputError(base.file, 0, 0, "study.sigma",
                     "a gamma target needs study.n and at least 3 sigma values (a line with its interval)");
  struct Variant {
    NormalizationKind kind;
    double alpha;
    const char* name;
  };
  std::vector<Line> out;
  for (const Variant& v :
       {Variant{NormalizationKind::alpha, 0.0, "alpha = 0"}, Variant{NormalizationKind::alpha, 0.5, "alpha = 0.5"},
        Variant{NormalizationKind::alpha, 1.0, "alpha = 1"}, Variant{NormalizationKind::sinkhorn, 1.0, "Sinkhorn"}}) {
    Case c = base;
    c.normalization.kind = v.kind;
    c.normalization.alpha = v.alpha;
    const Problem prob(c);
    const Expression u(c.u0.front());
    std::vector<double> s2, gammas;
    const Tokens t = prob.sample(c.study_n.front(), c.seed);
    const std::vector<double> u0 = prob.initial_values(t);  // first component first
    for (double sigma : c.study_sigma) {
      const auto kernel = prob.make_kernel(t, sigma);
      const ColumnWeights w = prob.weights(*kernel);
      std::vector<double> au(t.size());
      kernel->apply(u0.data(), au.data(), nullptr, w.data());
      double num = 0, den = 0;
      for (std::size_t j = 0; j < t.size(); ++j) {
        const auto x = t.point(j);
        const double l0 = continuum_generator(u, prob.density_expression(), prob.G(), 0.0, x.data(), c.dim);
        const double b = continuum_generator(u, prob.density_expression(), prob.G(), 1.0, x.data(), c.dim) - l0;
        const double r = (au[j] - u0[j]) / (prob.constant() * sigma * sigma);
        num += (r - l0) * b;
        den += b * b;
      }
      s2.push_back(sigma * sigma);
      gammas.push_back(num / den);
    }
    const LineFit f = fit_line(s2, gammas);
    const double expected = prob.gamma();
    const double bound = c.verify_max_error * std::max(1.0, std::abs(expected));
    Line l{c.verify_target,
           c.verify_title + ", " + v.name,
           "",
           fmt("gamma %.4f [%.4f, %.4f]", f.intercept, f.ci_low, f.ci_high),
           fmt("%g (within %g)", expected, bound),
           std::abs(f.intercept - expected) <= bound};
    l.verdict = l.pass ? (f.ci_low <= expected && expected <= f.ci_high ? "PASS (interval holds the value)"
                                                                        : "PASS (within the bound)")
                       : "FAIL";
    out.push_back(l);
  }
  return out;
}

}  // namespace

VerifyOutcome run_verify(const std::string& cases_dir, const std::vector<std::string>& selected, bool full,
                         const RunSettings& settings, PlantedError plant) {
  const auto t_start = std::chrono::steady_clock::now();
  std::error_code ec;
  if (!fs::is_directory(cases_dir, ec))
    throw InputError(cases_dir, 0, 0, "",
                     "no folder of verification cases here (run from the repository root, or "
                     "give --cases)");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(cases_dir))
    if (e.path().extension() == ".toml") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  VerifyOutcome out;
  std::vector<Line> table;
  const bool root = is_root_rank();
  for (const auto& file : files) {
    Case c = load_case(file.string(), {}, verify_command_of(file.string()));
    c.plant = plant;
    if (c.verify_target.empty()) continue;
    // T2 (dynamics) checks live in the T1 cases beside their generator fits.
    const bool has_dynamics =
        c.verify_target == "T1" && std::any_of(c.verify_fits.begin(), c.verify_fits.end(),
                                               [](const std::string& f) { return f.rfind("dynamics", 0) == 0; });
    const bool chosen = selected.empty() || std::count(selected.begin(), selected.end(), c.verify_target) ||
                        std::count(selected.begin(), selected.end(), c.name) ||
                        (has_dynamics && std::count(selected.begin(), selected.end(), std::string("T2")));
    if (!chosen || (c.verify_full && !full)) continue;
    RunSettings s = settings;
    s.out_dir = settings.out_dir + "/" + c.name;
    s.shown_dir = settings.shown_dir + "/" + c.name;
    s.quiet = true;
    s.journal.clear();
    s.resume = false;
    if (root) fs::create_directories(s.out_dir);
    if (root && !settings.quiet)
      std::fprintf(stderr, "attnpde: verify: %s %s ...\n", c.verify_target.c_str(), c.verify_title.c_str());
    std::vector<Line> lines;
    if (c.verify_gamma) {
      for (const auto& l : gamma_lines(c)) lines.push_back(l);
    } else if (c.study_circle_law) {
      for (const auto& cl : run_study(c, s).circle_law) {
        double worst = 0;
        for (const auto& m : cl.modes)
          if (m.checked) worst = std::max(worst, m.relative_error);
        lines.push_back({c.verify_target, c.verify_title + fmt(", beta = %g", cl.beta), cl.verdict(),
                         fmt("worst rate error %.1f%%, fastest k = %.0f", 100 * worst, cl.k_fastest),
                         fmt("within 10%% of lambda_k; k_max = %.0f", cl.k_max), cl.passes()});
      }
    } else if (c.verify_command == Purpose::study && c.verify_fits.empty())
      throw InputError(file.string(), 0, 0, "verify.fits", "a study target needs the fits it checks");
    else if (c.verify_command == Purpose::study) {
      const StudyResult r = run_study(c, s);
      if (c.transport != Transport::none) transport_trajectory(c, s);
      for (const auto& name : c.verify_fits) {
        // Dynamics fits are target T2 of docs/theory.md section 7, generator fits the case's.
        const std::string target = c.verify_target == "T1" && name.rfind("dynamics", 0) == 0 ? "T2" : c.verify_target;
        Line l{target, c.verify_title + ", " + name, "FAIL (the study has no such fit)", "-", "-", false};
        for (const auto& f : r.fits) {
          if (f.name != name) continue;
          l.verdict = f.verdict();
          l.pass = f.passes();
          l.observed = fmt("slope %.3f [%.3f, %.3f]", f.fit.slope, f.fit.ci_low, f.fit.ci_high);
          l.expected = std::isfinite(f.expected) ? fmt("%g (tolerance %g)", f.expected, rate_tolerance) : "-";
          if (!std::isfinite(f.expected)) l.verdict = "FAIL (no expected value to check)";
        }
        lines.push_back(l);
      }
      if (c.verify_conformal) lines.push_back(conformal_identity(c));
    } else if (c.verify_command == Purpose::run) {
      // T0: the conserved sum of docs/theory.md section 2, and the same numbers with one
      // thread and with all (each row is summed by one thread in a fixed order).
      const int threads = omp_get_max_threads();
      omp_set_num_threads(1);
      RunSettings one = s;
      one.out_dir += "/one_thread";
      const PointResult a = run_case(c, one);
      omp_set_num_threads(threads);
      const PointResult b = run_case(c, s);
      Line mass{c.verify_target,
                c.verify_title + ", conserved mass",
                "",
                fmt("relative change %.2e", b.conserved_drift),
                fmt("<= %g", c.verify_max_error),
                b.conserved_drift <= c.verify_max_error};
      mass.verdict = mass.pass ? "PASS (error within the bound)" : "FAIL";
      const bool same = a.generator.l2 == b.generator.l2 && a.generator.max == b.generator.max &&
                        a.dynamics.l2 == b.dynamics.l2 && a.dynamics.max == b.dynamics.max;
      Line thr{c.verify_target,
               c.verify_title + ", 1 vs " + std::to_string(threads) + " threads",
               same ? "PASS (identical)" : "FAIL",
               fmt("error difference %.1e", std::abs(a.dynamics.l2 - b.dynamics.l2)),
               "identical",
               same};
      lines.push_back(mass);
      lines.push_back(thr);
    } else {
      const ProbeSummary p = run_probe(c, s);
      const double worst = std::max(p.drift_error, p.diffusion_error);
      Line l{c.verify_target,
             c.verify_title,
             "",
             fmt("drift %.2e, diffusion %.2e", p.drift_error, p.diffusion_error),
             fmt("<= %g", c.verify_max_error),
             worst <= c.verify_max_error};
      l.verdict = l.pass ? "PASS (error within the bound)" : "FAIL";
      lines.push_back(l);
    }
    for (const auto& l : lines) {
      char buf[512];
      std::snprintf(buf, sizeof buf, "%-3s %-72s %-50s %-30s expected %s\n", l.target.c_str(), l.title.c_str(),
                    l.verdict.c_str(), l.observed.c_str(), l.expected.c_str());
      out.report += buf;
      out.passed = out.passed && l.pass;
      ++out.targets;
      table.push_back(l);
    }
  }
  if (out.targets == 0) throw InputError(cases_dir, 0, 0, "", "no verification target matches");
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  if (root) {
    // report.md: one table of every target, and where and when it ran.
    std::ofstream md(settings.out_dir + "/report.md");
    const std::time_t now = std::time(nullptr);
    char date[64];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
    md << "# attnpde verification report\n\n"
       << "attnpde " << version_string << " (commit " << git_commit << "), " << date << ", " << cpu_model() << ", "
       << settings.threads << " threads, " << fmt("%.1f", seconds) << " s" << (full ? ", --full" : ", default subset")
       << (plant != PlantedError::none ? ", WITH A PLANTED ERROR (--plant)" : "") << ".\n\n"
       << "| target | what | verdict | observed | expected |\n|---|---|---|---|---|\n";
    for (const auto& l : table)
      md << "| " << l.target << " | " << l.title << " | " << l.verdict << " | " << l.observed << " | " << l.expected
         << " |\n";
    md << "\n"
       << (out.passed ? "All targets pass." : "Some targets FAIL.") << " The rules are those of "
       << "docs/theory.md section 7; each target's outputs are in the folder of its case name.\n";
    // The plots of postprocess/plot_verify.py (matplotlib), when Python and the script are there.
    const fs::path script = fs::path(cases_dir) / ".." / ".." / "postprocess" / "plot_verify.py";
    const std::string python = "/usr/bin/python3";
    bool plotted = false;
    if (fs::exists(script) && fs::exists(python)) {
      const std::string cmd = python + " '" + script.string() + "' '" + settings.out_dir + "' >/dev/null 2>&1";
      plotted = std::system(cmd.c_str()) == 0;
    }
    md << "\n## Plots\n\n";
    if (!plotted) md << "Not drawn (needs /usr/bin/python3 with matplotlib and postprocess/plot_verify.py).\n";
    std::vector<std::string> pngs;
    for (const auto& e : fs::recursive_directory_iterator(settings.out_dir))
      if (e.path().extension() == ".png") pngs.push_back(fs::relative(e.path(), settings.out_dir).string());
    std::sort(pngs.begin(), pngs.end());
    for (const auto& png : pngs) md << "![" << png << "](" << png << ")\n\n";
    close_checked(md, settings.out_dir + "/report.md");
  }
  out.report += fmt("\n%.0f targets, ", out.targets) + (out.passed ? "all PASS" : "some FAIL") +
                fmt(", %.1f s; report: ", seconds) + settings.shown_dir + "/report.md\n";
  return out;
}

}  // namespace attnpde
