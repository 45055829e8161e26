#include "solver/app/budget.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/kernel_truncated.hpp"
#include "solver/app/case_checks.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

namespace {

// Rates, conservative for the 2-core machine (README "Performance").
const double dense_pairs_per_second = 1.0e9;      // one dense A u, both cores (as kernel_work)
const double pde_unknown_steps_per_second = 1e7;  // multigrid step (FFT steps are faster)
const double time_limit_seconds = 3600;

std::string human(double v, const char* unit) {
  const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int k = 0;
  while (std::abs(v) >= 1000 && k < 6) v /= 1000, ++k;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", v, prefixes[k], unit);
  return buf;
}

std::string duration(double s) {
  char buf[64];
  if (s < 120)
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  else if (s < 7200)
    std::snprintf(buf, sizeof buf, "%.3g min", s / 60);
  else
    std::snprintf(buf, sizeof buf, "%.3g h", s / 3600);
  return buf;
}

// Expected neighbours per token of the truncated kernel at the normalized density maximum
// p_max (in the whole space every token counts).
double neighbours(const Case& c, double p_max, long n, double sigma) {
  if (c.domain.kind == DomainKind::space) return static_cast<double>(n);
  const double k =
      expected_neighbours(n, p_max, MetricScore{c.metric, c.beta, sigma}, c.cutoff, c.domain.intrinsic_dim(c.dim));
  return std::min(static_cast<double>(n), std::max(1.0, k));
}

}  // namespace

Budget estimate_budget(const Case& c) {
  Budget b;
  double unknowns = 1;
  for (int n : c.grid) unknowns *= n;
  const double cst = generator_constant(c.beta, c.domain.intrinsic_dim(c.dim));
  const double components = static_cast<double>(c.u0.size());
  double attention = 0, pde = 0;
  // Attention: one point (run, probe) or every study point.
  struct Point {
    long n;
    double sigma, layers;
  };
  std::vector<Point> points;
  // Eigenpairs: Krylov-Schur applies the operator about 15 times per wanted pair (measured,
  // docs/theory.md section 8), counted here as layers.
  const bool spectrum = c.purpose == Purpose::spectrum || (c.purpose == Purpose::study && c.study_spectrum);
  const double spectrum_applications = 15.0 * (c.spectrum_count + 4);
  if (c.purpose == Purpose::run || c.purpose == Purpose::probe) points.push_back({c.n, c.sigma, double(c.layers)});
  if (c.purpose == Purpose::spectrum) points.push_back({c.n, c.sigma, spectrum_applications});
  auto study_layers = [&](double sigma) {
    if (spectrum) return spectrum_applications;
    return c.study_time > 0 ? c.study_time / layer_time(1, c.tau, cst, sigma) : double(c.layers);
  };
  if (c.purpose == Purpose::study)
    for (long n : c.study_n) {
      for (double sigma : c.study_sigma) points.push_back({n, sigma, study_layers(sigma)});
      if (c.study_path == StudyPath::optimal) {
        const double sigma = optimal_sigma(n, c.domain.intrinsic_dim(c.dim), c.study_path_scale);
        points.push_back({n, sigma, study_layers(sigma)});
      }
    }
  const double seeds = c.purpose == Purpose::study ? c.study_seeds : 1;
  // The density's maximum, integrated once for every point.
  double p_max = 0;
  if (c.domain.kind != DomainKind::space && c.purpose != Purpose::probe && !points.empty()) {
    const Density p(c.density_expr, c.dim, c.domain);
    p_max = p.max_raw() / p.integral();
  }
  for (const auto& pt : points) {
    const double n = static_cast<double>(pt.n);
    if (c.purpose == Purpose::probe) {
      // The probe sums over the tokens once per query point (two moment passes); the
      // normalization weights of alpha and Sinkhorn need the dense kernel.
      double queries = 1;
      for (int q : c.probe_grid) queries *= q;
      const double weights = c.normalization.kind == NormalizationKind::softmax ? 0.0
                             : c.normalization.kind == NormalizationKind::alpha ? 1.0
                                                                                : 50.0;
      attention += (2 * queries * n + weights * n * n) / dense_pairs_per_second;
      b.memory = std::max(b.memory, 200.0 * n);
      continue;
    }
    // A u for T1, the layers, the weights (Sinkhorn: up to its iteration cap, typically ~50).
    // Token transport rebuilds its kernel every layer.
    const double kernels = c.transport != Transport::none ? pt.layers + 1.0 : 1.0;
    const double applications = kernel_applications(c, static_cast<int>(pt.layers));
    const bool truncated = c.kernel == KernelChoice::truncated ||
                           (c.kernel == KernelChoice::automatic &&
                            automatic_kernel(c, p_max, pt.n, pt.sigma, applications) == KernelChoice::truncated);
    const double k = neighbours(c, p_max, pt.n, pt.sigma);
    const KernelWork w = kernel_work(n, k, applications);
    if (truncated) {
      attention += seeds * kernels * w.truncated;
      const double bytes_per_pair = c.precision == Precision::float32 ? 8.0 : 12.0;
      b.memory = std::max(b.memory, n * k * bytes_per_pair + 200.0 * n);
    } else {
      attention += seeds * kernels * w.dense;
      b.memory = std::max(b.memory, 200.0 * n * components);
    }
  }
  // Metric learning: every evaluation builds A (N^2 exp; the dense worst case) and runs the
  // layers forward and backward for all fields, plus the pair pass of the gradient; the
  // dense matrices A, C and P take 24 N^2 bytes. Rate measured on the 2-core machine: 0.3 s
  // per evaluation at N = 4000 with 12 fields and 8 layers.
  if (c.purpose == Purpose::learn) {
    const double n = static_cast<double>(c.n), fields = c.learn.fields + c.learn.heldout;
    const double models = (c.learn.metric_model ? 1.0 : 0.0) + (c.learn.dot_model ? 1.0 : 0.0);
    const double runs = c.learn.seeds * static_cast<double>(c.learn.noise.size()) * models;
    const double learn_flops_per_second = 3e10;
    attention +=
        runs * c.learn.optimizer.evaluations * n * n * (30.0 + 6.0 * c.layers * fields) / learn_flops_per_second;
    b.memory = std::max(b.memory, 24.0 * n * n);
  }
  // The PDE: steps of dt (automatic: 0.1 h / lambda_max(G)) up to the horizon.
  if (c.purpose != Purpose::probe && c.transport == Transport::none && !spectrum) {
    double h_min = c.domain.length();
    for (int n : c.grid) h_min = std::min(h_min, c.domain.length() / n);
    const double g_max = 1.0 / Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c.metric).eigenvalues().minCoeff();
    const double dt = c.dt > 0 ? c.dt : 0.1 * h_min / g_max;
    double t_total = 0;
    if (c.purpose == Purpose::pde)
      t_total = c.pde_t_end > 0 ? c.pde_t_end : layer_time(c.layers, c.tau, cst, c.sigma);
    else
      for (const auto& pt : points) t_total += layer_time(std::lround(pt.layers), c.tau, cst, pt.sigma);
    pde = components * (t_total / dt) * unknowns / pde_unknown_steps_per_second;
    // 3^n-point matrices (value and index) with their multigrid hierarchy, and vectors.
    b.memory += unknowns * (std::pow(3.0, c.dim) * 12.0 * 1.5 + 40 * 8.0) * components;
  }
  // VTK frames of run and pde.
  if (c.vtk && c.purpose == Purpose::run) {
    const double frames = c.layers / std::max(1, c.every) + 2;
    b.disk = frames * (static_cast<double>(c.n) * (3 * components + 1 + c.dim) * 8 + unknowns * components * 8);
  }
  if (c.vtk && c.purpose == Purpose::pde) b.disk = (c.pde_frames + 1) * unknowns * components * 8;
  b.seconds = attention + pde;
  if (attention >= pde) {
    b.largest = "attention (" + duration(attention) + ")";
    b.suggestion = c.kernel == KernelChoice::truncated
                       ? "fewer tokens, fewer layers or a smaller cutoff"
                       : "attention.kernel = \"truncated\", fewer tokens or fewer layers";
  } else {
    b.largest = "the PDE (" + duration(pde) + " for " + human(unknowns, "") + " unknowns)";
    b.suggestion = "a coarser pde.grid, a larger pde.dt or a shorter horizon";
  }
  return b;
}

std::string budget_refusal(const Budget& b, const std::string& out_dir) {
  const double ram = static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGE_SIZE));
  std::string why;
  if (b.seconds > time_limit_seconds)
    why = "the estimated run time is " + duration(b.seconds) + ", mostly " + b.largest;
  else if (b.memory > 0.8 * ram)
    why = "the estimated memory is " + human(b.memory, "B") + " of this machine's " + human(ram, "B");
  if (why.empty() && b.disk > 0) {
    std::filesystem::path p = std::filesystem::absolute(out_dir);
    while (!p.empty() && !std::filesystem::exists(p)) p = p.parent_path();
    struct statvfs fs;
    if (statvfs(p.c_str(), &fs) == 0) {
      const double free_bytes = static_cast<double>(fs.f_bavail) * static_cast<double>(fs.f_frsize);
      if (b.disk > free_bytes)
        why = "the outputs would take about " + human(b.disk, "B") + " but " + p.string() + " has " +
              human(free_bytes, "B") + " free";
    }
    if (why.empty()) return why;
    return why + "; use output.vtk = false or a larger output.every, or --force to run it anyway";
  }
  if (why.empty()) return why;
  return why + "; use " + b.suggestion + ", or --force to run it anyway";
}

}  // namespace attnpde
