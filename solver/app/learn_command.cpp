#include "solver/app/learn_command.hpp"

#include <array>
#include <boost/math/distributions/students_t.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "attention/learning.hpp"
#include "postprocess/tables.hpp"
#include "solver/app/problem.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

namespace {

using Clock = std::chrono::steady_clock;

// A random smooth field. Torus: sum over wave vectors k with |k_i| <= K (one of each pair
// +-k) of (a cos k.x + b sin k.x) / |k|^2; box: sum over k in {0..K}^dim \ {0} of
// a prod_d cos(pi k_d x_d) / |k|^2 (zero flux at the walls). a, b ~ N(0, 1).
struct Mode {
  std::array<int, 3> k{};
  double a = 0, b = 0, weight = 0;
};

std::vector<Mode> random_field(int dim, int max_k, bool periodic, std::mt19937_64& rng) {
  std::vector<Mode> modes;
  const int lo = periodic ? -max_k : 0, width = max_k - lo + 1;
  int count = 1;
  for (int d = 0; d < dim; ++d) count *= width;
  for (int idx = 0; idx < count; ++idx) {
    Mode m;
    int first = 0, norm2 = 0;
    for (int d = 0, r = idx; d < dim; ++d, r /= width) {
      m.k[static_cast<std::size_t>(d)] = lo + r % width;
      norm2 += m.k[static_cast<std::size_t>(d)] * m.k[static_cast<std::size_t>(d)];
    }
    for (int d = dim - 1; d >= 0; --d)
      if (m.k[static_cast<std::size_t>(d)] != 0) first = m.k[static_cast<std::size_t>(d)];
    if (norm2 == 0 || first < 0) continue;  // the constant, and -k of a pair
    m.a = standard_normal(rng);
    m.b = periodic ? standard_normal(rng) : 0.0;
    m.weight = 1.0 / norm2;
    modes.push_back(m);
  }
  return modes;
}

double field_value(const std::vector<Mode>& f, const double* x, int dim, bool periodic) {
  double u = 0.0;
  for (const auto& m : f) {
    if (periodic) {
      double phase = 0.0;
      for (int d = 0; d < dim; ++d) phase += m.k[static_cast<std::size_t>(d)] * x[d];
      u += m.weight * (m.a * std::cos(phase) + m.b * std::sin(phase));
    } else {
      double prod = m.a * m.weight;
      for (int d = 0; d < dim; ++d) prod *= std::cos(M_PI * m.k[static_cast<std::size_t>(d)] * x[d]);
      u += prod;
    }
  }
  return u;
}

// The fields of one seed: u0 at the tokens and the PDE solutions at the snapshot times.
struct SeedData {
  Tokens tokens;
  FieldData train, heldout;
};

SeedData make_data(const Case& c, const Problem& prob, std::uint64_t seed) {
  SeedData d;
  d.tokens = prob.sample(c.n, seed);
  const Grid grid(PETSC_COMM_WORLD, c.grid, prob.grid_domain());
  double g_max = prob.g_max();
  const MatOwner op = prob.limit_operator(grid, &g_max);
  const PdeOptions opt = prob.pde_options();
  // The fields' own stream, apart from the tokens' (seed + a fixed offset).
  const std::uint64_t field_stream = 0x6c6561726e000000ULL;
  std::mt19937_64 rng(seed ^ field_stream);
  const int dim = c.dim, snapshots = c.learn.snapshots, per = c.layers / snapshots;
  const long n = static_cast<long>(d.tokens.size());
  const bool periodic = c.domain.periodic();
  for (FieldData* target : {&d.train, &d.heldout}) {
    const int fields = target == &d.train ? c.learn.fields : c.learn.heldout;
    target->u0.resize(n, fields);
    target->snapshots.assign(static_cast<std::size_t>(snapshots), Eigen::MatrixXd(n, fields));
    for (int f = 0; f < fields; ++f) {
      const std::vector<Mode> modes = random_field(dim, c.learn.modes, periodic, rng);
      for (long j = 0; j < n; ++j) {
        const auto x = d.tokens.point(static_cast<std::size_t>(j));
        target->u0(j, f) = field_value(modes, x.data(), dim, periodic);
      }
      MatOwner copy;
      ATTNPDE_PETSC(MatDuplicate(op, MAT_COPY_VALUES, copy.out()));
      PdeSolver pde(
          grid, std::move(copy), [&](const double* x) { return field_value(modes, x, dim, periodic); }, opt, g_max);
      for (int k = 1; k <= snapshots; ++k) {
        pde.advance_to(prob.layer_time(static_cast<long>(k) * per, c.sigma));
        const std::vector<double> v = prob.at_tokens(prob.interpolator(grid, pde), d.tokens);
        target->snapshots[static_cast<std::size_t>(k - 1)].col(f) = Eigen::Map<const Eigen::VectorXd>(v.data(), n);
      }
    }
  }
  return d;
}

// Training observations with Gaussian noise of standard deviation level x RMS(observations).
FieldData with_noise(const FieldData& clean, double level, std::uint64_t seed) {
  FieldData d = clean;
  if (level == 0.0) return d;
  double sum = 0.0, count = 0.0;
  for (const auto& y : clean.snapshots) {
    sum += y.squaredNorm();
    count += static_cast<double>(y.size());
  }
  const double sd = level * std::sqrt(sum / count);
  std::mt19937_64 rng(seed);
  for (auto& y : d.snapshots)
    for (long k = 0; k < y.size(); ++k) y.data()[k] += sd * standard_normal(rng);
  return d;
}

// Degrees between the eigenvectors of the largest eigenvalues of a and b.
double axis_angle(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> ea(a), eb(b);
  const long last = a.rows() - 1;
  const double cosine = std::min(1.0, std::abs(ea.eigenvectors().col(last).dot(eb.eigenvectors().col(last))));
  return std::acos(cosine) * 180.0 / M_PI;
}

Json matrix_json(const Eigen::MatrixXd& m) {
  Json rows = Json::array();
  for (long i = 0; i < m.rows(); ++i) {
    Json row = Json::array();
    for (long j = 0; j < m.cols(); ++j) row.push(m(i, j));
    rows.push(std::move(row));
  }
  return rows;
}

Json eigenvalues_json(const Eigen::MatrixXd& m) {
  Json out = Json::array();
  const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(m).eigenvalues();
  for (long k = 0; k < ev.size(); ++k) out.push(ev[k]);
  return out;
}

}  // namespace

Interval mean_interval(const std::vector<double>& values) {
  Interval r;
  const double n = static_cast<double>(values.size());
  if (values.empty()) return r;
  for (double v : values) r.mean += v / n;
  if (values.size() < 2) return r;
  double ss = 0.0;
  for (double v : values) ss += (v - r.mean) * (v - r.mean);
  const boost::math::students_t t(n - 1.0);
  r.half_width = boost::math::quantile(boost::math::complement(t, 0.025)) * std::sqrt(ss / (n - 1.0) / n);
  return r;
}

LearnResult run_learn(const Case& c, const RunSettings& s) {
  const auto t_start = Clock::now();
  const bool root = is_root_rank(), talk = root && !s.quiet;
  const Problem prob(c);
  const LearnSettings& ls = c.learn;
  const LayerPlan plan{c.tau, c.layers / ls.snapshots};
  // The kernel ("auto": by the expected work) is chosen for the starting metric, not for the
  // planted one, which the learner must not see.
  KernelChoice kernel = c.kernel;
  if (kernel == KernelChoice::automatic) {
    Case starting = c;
    starting.metric = ls.initial;
    const double p_max = prob.density().max_raw() / prob.density().integral();
    kernel = automatic_kernel(starting, p_max, c.n, c.sigma, kernel_applications(starting, c.layers));
  }
  const double cutoff = kernel == KernelChoice::truncated ? c.cutoff : 0.0;
  LearnResult result;
  std::vector<std::vector<std::string>> rows;
  for (int seed = 0; seed < ls.seeds; ++seed) {
    const auto t_data = Clock::now();
    const SeedData data = [&] {
      const Phase phase("learn seed " + std::to_string(seed + 1) + "/" + std::to_string(ls.seeds) +
                            ": tokens and the PDE solutions of " + std::to_string(ls.fields + ls.heldout) + " fields",
                        !talk);
      return make_data(c, prob, c.seed + static_cast<std::uint64_t>(seed));
    }();
    result.data_seconds += std::chrono::duration<double>(Clock::now() - t_data).count();
    for (std::size_t level = 0; level < ls.noise.size(); ++level) {
      const std::uint64_t noise_seed = (c.seed + static_cast<std::uint64_t>(seed)) * 1000003ULL + level;
      const FieldData train = with_noise(data.train, ls.noise[level], noise_seed);
      MetricModel metric_model(data.tokens, c.sigma, cutoff);
      DotModel dot_model(data.tokens, ls.dot_rank);
      std::vector<std::pair<const ScoreModel*, Eigen::VectorXd>> models;
      const double mean_eigenvalue = ls.initial.trace() / c.dim;
      if (ls.metric_model) models.emplace_back(&metric_model, metric_model.parameters_of(ls.initial));
      if (ls.dot_model)
        models.emplace_back(&dot_model, dot_model.isotropic(2.0 * mean_eigenvalue / (c.sigma * c.sigma)));
      for (const auto& [model, start] : models) {
        const bool is_metric = model == &metric_model;
        const auto t_run = Clock::now();
        double heldout = 0.0, best = std::numeric_limits<double>::infinity(), best_heldout = 0.0;
        char label[160];
        std::snprintf(label, sizeof label, "learn %s, noise %g, seed %d/%d: evaluation", model->name().c_str(),
                      ls.noise[level], seed + 1, ls.seeds);
        Progress progress(label, ls.optimizer.evaluations, !talk);
        const Objective f = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& g) {
          return model->loss(theta, train, plan, &g, &data.heldout, &heldout);
        };
        auto after = [&](int k, const Eigen::VectorXd& theta, double loss) {
          if (loss < best) {
            best = loss;
            best_heldout = heldout;
          }
          progress.update(k);
          const double err = is_metric ? (metric_model.metric(theta) - c.metric).norm() / c.metric.norm() : 0.0;
          rows.push_back({model->name(), format_double(ls.noise[level]), std::to_string(seed), std::to_string(k),
                          format_double(loss), format_double(heldout),
                          format_double(std::chrono::duration<double>(Clock::now() - t_run).count()),
                          is_metric ? format_double(err) : ""});
        };
        const OptimizerResult opt = minimize(f, start, ls.optimizer, after);
        LearnRun run;
        run.model = model->name();
        run.noise = ls.noise[level];
        run.seed = seed;
        run.evaluations = opt.evaluations;
        run.stop = opt.stop;
        run.loss = opt.loss;
        run.heldout_loss = best_heldout;
        run.seconds = std::chrono::duration<double>(Clock::now() - t_run).count();
        run.matrix = is_metric ? metric_model.metric(opt.theta) : dot_model.bilinear(opt.theta);
        run.metric_error =
            is_metric ? (run.matrix - c.metric).norm() / c.metric.norm() : std::numeric_limits<double>::quiet_NaN();
        run.axis_angle = is_metric ? axis_angle(run.matrix, c.metric) : std::numeric_limits<double>::quiet_NaN();
        if (talk)
          std::fprintf(stderr, "attnpde: learn %s, noise %g, seed %d/%d: %d evaluations (%s), held-out loss %.3e%s\n",
                       run.model.c_str(), run.noise, seed + 1, ls.seeds, run.evaluations, run.stop.c_str(),
                       run.heldout_loss,
                       is_metric ? (", metric error " + std::to_string(100 * run.metric_error) + "%").c_str() : "");
        result.runs.push_back(std::move(run));
      }
    }
  }
  // Means and 95% intervals over the seeds, per model and noise level.
  for (const char* name : {"metric", "dot"})
    for (double level : ls.noise) {
      std::vector<double> held, err, evals, secs;
      for (const auto& r : result.runs)
        if (r.model == name && r.noise == level) {
          held.push_back(r.heldout_loss);
          err.push_back(r.metric_error);
          evals.push_back(r.evaluations);
          secs.push_back(r.seconds);
        }
      if (held.empty()) continue;
      result.summary.push_back({name, level, static_cast<int>(held.size()), mean_interval(held), mean_interval(err),
                                mean_interval(evals), mean_interval(secs)});
    }
  if (!root) return result;

  CsvWriter csv(s.out_dir + "/learn.csv",
                {"model", "noise", "seed", "evaluation", "loss", "heldout_loss", "seconds", "metric_error"});
  for (const auto& r : rows) csv.row_text(r);
  csv.close();
  CsvWriter sum(s.out_dir + "/summary.csv", {"model", "noise", "runs", "heldout_loss", "heldout_loss_ci95",
                                             "metric_error", "metric_error_ci95", "evaluations", "seconds"});
  for (const auto& m : result.summary) {
    const bool metric = m.model == "metric";
    sum.row_text({m.model, format_double(m.noise), std::to_string(m.runs), format_double(m.heldout_loss.mean),
                  format_double(m.heldout_loss.half_width), metric ? format_double(m.metric_error.mean) : "",
                  metric ? format_double(m.metric_error.half_width) : "", format_double(m.evaluations.mean),
                  format_double(m.seconds.mean)});
  }
  sum.close();

  Json runs = Json::array();
  for (const auto& r : result.runs) {
    Json j = Json::object();
    j.set("model", r.model).set("noise", r.noise).set("seed", r.seed).set("evaluations", r.evaluations);
    j.set("stop", r.stop).set("loss", r.loss).set("heldout_loss", r.heldout_loss).set("seconds", r.seconds);
    if (r.model == "metric") {
      j.set("metric", matrix_json(r.matrix)).set("eigenvalues", eigenvalues_json(r.matrix));
      j.set("metric_error", r.metric_error).set("axis_angle_degrees", r.axis_angle);
    } else {
      j.set("B", matrix_json(r.matrix));
    }
    runs.push(std::move(j));
  }
  Json man = manifest_header(c, s);
  man.set("results", Json::object()
                         .set("planted_metric", matrix_json(c.metric))
                         .set("planted_eigenvalues", eigenvalues_json(c.metric))
                         .set("kernel", cutoff > 0 ? "truncated" : "dense")
                         .set("layers_per_snapshot", plan.layers_per_snapshot)
                         .set("snapshot_times",
                              [&] {
                                Json t = Json::array();
                                for (int k = 1; k <= ls.snapshots; ++k)
                                  t.push(prob.layer_time(static_cast<long>(k) * plan.layers_per_snapshot, c.sigma));
                                return t;
                              }())
                         .set("runs", std::move(runs)));
  man.set("timings_seconds", Json::object()
                                 .set("data", result.data_seconds)
                                 .set("total", std::chrono::duration<double>(Clock::now() - t_start).count()));
  write_manifest(std::move(man), s, {"learn.csv", "summary.csv"});
  return result;
}

std::string learn_report(const Case& c, const LearnResult& r, const RunSettings& s) {
  std::string out;
  appendf(out, "case %s: learning the score from PDE data, N = %ld, sigma = %g, %d layers (tau = %g), %d snapshots\n",
          c.name.c_str(), c.n, c.sigma, c.layers, c.tau, c.learn.snapshots);
  appendf(out, "%d training + %d held-out fields per seed, %d seeds, %s, %d evaluations per training\n", c.learn.fields,
          c.learn.heldout, c.learn.seeds, c.learn.optimizer.kind == OptimizerKind::lbfgs ? "L-BFGS" : "Adam",
          c.learn.optimizer.evaluations);
  const Eigen::VectorXd ev = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c.metric).eigenvalues();
  appendf(out, "planted metric M*: condition number %.4g\n", ev[ev.size() - 1] / ev[0]);
  appendf(out, "model    noise    held-out loss (95%% interval)    ||M - M*|| / ||M*|| (95%%)    evaluations\n");
  for (const auto& m : r.summary) {
    appendf(out, "%-7s  %-7g  %.3e +- %.2e           ", m.model.c_str(), m.noise, m.heldout_loss.mean,
            m.heldout_loss.half_width);
    if (m.model == "metric")
      appendf(out, "%.3e +- %.2e          ", m.metric_error.mean, m.metric_error.half_width);
    else
      appendf(out, "%-27s", "(no metric)");
    appendf(out, "%.1f\n", m.evaluations.mean);
  }
  appendf(out, "outputs: %s/{learn.csv,summary.csv,manifest.json}\n", s.shown_dir.c_str());
  return out;
}

}  // namespace attnpde
