#include "solver/runner.hpp"

#include <petscsys.h>

#include <attnpde/version.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "attention/constants.hpp"
#include "attention/continuous.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/layers.hpp"
#include "attention/metric.hpp"
#include "discretization/operator.hpp"
#include "discretization/reference.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/progress.hpp"

namespace attnpde {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

bool is_root_rank() {
  PetscMPIInt rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  return rank == 0;
}

std::string component_name(const std::string& base, int k, int m) {
  return m == 1 ? base : base + "_" + std::to_string(k);
}

ImageGeometry image_geometry(const Grid& grid) {
  ImageGeometry g;
  g.dim = grid.dim();
  g.nodes = grid.nodes();
  g.origin = grid.origin();
  g.spacing = grid.spacing();
  g.periodic = grid.domain().periodic();
  return g;
}

std::string write_grid_fields(const Grid& grid, const std::string& dir, const std::string& base,
                              const std::vector<NamedArray>& arrays) {
  const ImageGeometry g = image_geometry(grid);
  PetscMPIInt size = 1, rank = 0;
  MPI_Comm_size(grid.comm(), &size);
  MPI_Comm_rank(grid.comm(), &rank);
  if (size == 1) {
    write_field_vti(dir + "/" + base + ".vti", g, arrays);
    return base + ".vti";
  }
  std::array<int, 3> start, count;
  grid.owned(start, count);
  Extent mine;
  for (int d = 0; d < 3; ++d) {
    mine.lo[d] = start[d];
    const bool upper = d < g.dim && (g.periodic || start[d] + count[d] < g.nodes[d]);
    mine.hi[d] = start[d] + count[d] - 1 + (upper ? 1 : 0);
  }
  const std::string piece = base + "_" + std::to_string(rank) + ".vti";
  write_field_vti(dir + "/" + piece, g, arrays, &mine);
  std::vector<int> all(static_cast<std::size_t>(6 * size));
  int flat[6] = {mine.lo[0], mine.lo[1], mine.lo[2], mine.hi[0], mine.hi[1], mine.hi[2]};
  MPI_Gather(flat, 6, MPI_INT, all.data(), 6, MPI_INT, 0, grid.comm());
  if (rank == 0) {
    std::vector<Extent> pieces(static_cast<std::size_t>(size));
    std::vector<std::string> files;
    for (int r = 0; r < size; ++r) {
      for (int d = 0; d < 3; ++d) {
        pieces[r].lo[d] = all[static_cast<std::size_t>(6 * r + d)];
        pieces[r].hi[d] = all[static_cast<std::size_t>(6 * r + 3 + d)];
      }
      files.push_back(base + "_" + std::to_string(r) + ".vti");
    }
    const long total = grid.total_nodes();
    std::vector<std::pair<std::string, int>> names;
    for (const auto& [name, data] : arrays) names.emplace_back(name, static_cast<int>(data->size() / total));
    write_field_pvti(dir + "/" + base + ".pvti", g, names, pieces, files);
  }
  return base + ".pvti";
}

Errors relative_errors(const std::vector<double>& approx, const std::vector<double>& exact) {
  double d2 = 0, e2 = 0, dmax = 0, emax = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double d = approx[i] - exact[i];
    d2 += d * d;
    e2 += exact[i] * exact[i];
    dmax = std::max(dmax, std::abs(d));
    emax = std::max(emax, std::abs(exact[i]));
  }
  Errors e;
  e.l2 = e2 > 0 ? std::sqrt(d2 / e2) : std::sqrt(d2);
  e.max = emax > 0 ? dmax / emax : dmax;
  return e;
}

std::vector<std::string> summary_columns(bool boundary_layer) {
  std::vector<std::string> cols = {"n",          "sigma",       "tau",    "layers",  "t",      "seed",
                                   "gen_err_l2", "gen_err_max", "err_l2", "err_max", "seconds"};
  if (boundary_layer)
    cols.insert(cols.end(), {"boundary_tokens", "gen_err_l2_boundary", "gen_err_max_boundary", "err_l2_boundary",
                             "err_max_boundary"});
  return cols;
}

std::vector<double> summary_row(const PointResult& r, bool boundary_layer) {
  std::vector<double> row = {static_cast<double>(r.n),
                             r.sigma,
                             r.tau,
                             static_cast<double>(r.layers),
                             r.t,
                             static_cast<double>(r.seed),
                             r.generator.l2,
                             r.generator.max,
                             r.dynamics.l2,
                             r.dynamics.max,
                             r.seconds};
  if (boundary_layer)
    row.insert(row.end(), {static_cast<double>(r.boundary_tokens), r.generator_boundary.l2, r.generator_boundary.max,
                           r.dynamics_boundary.l2, r.dynamics_boundary.max});
  return row;
}

SplitErrors Problem::split_errors(const std::vector<double>& approx, const std::vector<double>& exact, const Tokens& t,
                                  double sigma) const {
  SplitErrors e;
  if (!has_boundary()) {
    e.interior = relative_errors(approx, exact);
    return e;
  }
  const double width = boundary_layer_width(sigma), length = domain().length();
  std::vector<double> ai, ei, ab, eb;
  // Entries are stored component by component: entry e belongs to token e mod N.
  long near_tokens = 0;
  for (std::size_t e = 0; e < exact.size(); ++e) {
    const std::size_t j = e % t.size();
    bool near = false;
    for (int d = 0; d < t.dim; ++d) near = near || t.coord[d][j] < width || t.coord[d][j] > length - width;
    if (near && e < t.size()) ++near_tokens;
    (near ? ab : ai).push_back(approx[e]);
    (near ? eb : ei).push_back(exact[e]);
  }
  e.interior = relative_errors(ai, ei);
  e.boundary = relative_errors(ab, eb);
  e.boundary_tokens = near_tokens;
  return e;
}

Problem::Problem(const Case& c)
    : c_(c),
      p_(c.density_expr, c.dim, Domain::from_string(c.domain_kind)),
      u0_(c.u0.begin(), c.u0.end()),
      p_expr_(c.density_expr),
      G_(metric_inverse(c.metric)) {
  cst_ = generator_constant(c.beta, c.dim);
  norm_.kind = c.normalization;
  norm_.alpha = c.alpha;
  norm_.sinkhorn_tol = c.sinkhorn_tol;
  norm_.sinkhorn_max_iter = c.sinkhorn_max_iter;
  gamma_ = normalization_gamma(norm_);  // THEORY.md section 2
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G_);
  g_max_ = eig.eigenvalues().maxCoeff();
}

Tokens Problem::sample(long n, std::uint64_t seed) const {
  if (domain().kind == DomainKind::space) {
    std::vector<double> cov(static_cast<std::size_t>(c_.dim * c_.dim));
    for (int a = 0; a < c_.dim; ++a)
      for (int b = 0; b < c_.dim; ++b) cov[static_cast<std::size_t>(a * c_.dim + b)] = c_.gauss_cov(a, b);
    return sample_gaussian(c_.gauss_mean, cov, static_cast<std::size_t>(n), seed);
  }
  return sample_tokens(p_, static_cast<std::size_t>(n), seed, sampler_from_string(c_.sampler));
}

std::vector<double> Problem::initial_values(const Tokens& t) const {
  const std::size_t n = t.size();
  std::vector<double> u(n * u0_.size());
  for (std::size_t k = 0; k < u0_.size(); ++k)
    for (std::size_t j = 0; j < n; ++j) {
      const auto x = t.point(j);
      u[k * n + j] = u0_[k].at(x.data(), c_.dim);
    }
  return u;
}

std::vector<double> Problem::generator_reference(const Tokens& t) const {
  const std::size_t n = t.size();
  std::vector<double> lu(n * u0_.size());
  for (std::size_t k = 0; k < u0_.size(); ++k)
    for (std::size_t j = 0; j < n; ++j) {
      const auto x = t.point(j);
      lu[k * n + j] = continuum_generator(u0_[k], p_expr_, G_, gamma_, x.data(), c_.dim);
    }
  return lu;
}

std::string Problem::choose_kernel(long n, double sigma) const {
  if (c_.kernel != "auto") return c_.kernel;
  const MetricScore s = score(sigma);
  const double p_max = p_.max_raw() / p_.integral();
  const double lambda_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c_.metric).eigenvalues().minCoeff();
  const bool fits = !domain().periodic() || c_.cutoff * sigma / std::sqrt(lambda_min) < 0.5 * torus_period;
  const long min_tokens = 20000;
  return n >= min_tokens && fits && expected_neighbours(n, p_max, s, c_.cutoff) <= 0.1 * static_cast<double>(n)
             ? "truncated"
             : "dense";
}

std::unique_ptr<AttentionKernel> Problem::make_kernel(const Tokens& t, double sigma) const {
  std::unique_ptr<AttentionKernel> k;
  if (choose_kernel(static_cast<long>(t.size()), sigma) == "truncated")
    k = std::make_unique<TruncatedKernel>(t, score(sigma), c_.cutoff);
  else
    k = std::make_unique<DenseKernel>(t, score(sigma));
  int ranks = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  // Several ranks share the rows of every application (identical results on any count).
  if (ranks > 1) k = std::make_unique<RowSplitKernel>(std::move(k), PETSC_COMM_WORLD);
  return k;
}

SplitErrors Problem::generator_error(const AttentionKernel& k, const Tokens& t, double sigma, const ColumnWeights& w,
                                     const std::vector<double>& u0, const std::vector<double>& reference) const {
  std::vector<double> au(u0.size());
  apply_components(k, u0.data(), au.data(), u0.size(), w.data());
  const double scale = 1.0 / (cst_ * sigma * sigma);
  for (std::size_t j = 0; j < u0.size(); ++j) au[j] = (au[j] - u0[j]) * scale;
  return split_errors(au, reference, t, sigma);
}

std::vector<std::unique_ptr<PdeSolver>> Problem::make_pdes(const Grid& grid) const {
  const double gamma = gamma_;
  const Density& p = p_;
  // w = p^gamma; the normalization of p cancels in w^-1 div(w G grad u).
  auto weight = [&p, gamma](const double* x) { return std::pow(p(x), gamma); };
  MatOwner op;
  double g_max = g_max_;
  std::vector<Expression> b(c_.drift.begin(), c_.drift.end());
  VectorFunction drift;
  if (!b.empty())
    drift = [&b, n = c_.dim](const double* x) {
      Eigen::VectorXd v(n);
      for (int d = 0; d < n; ++d) v[d] = b[static_cast<std::size_t>(d)].at(x, n);
      return v;
    };
  if (c_.metric_field.empty()) {
    op = assemble_operator(grid, G_, weight, drift);
  } else {
    // G(x) from the case (`attnpde pde`); dt_auto uses its largest eigenvalue at the nodes.
    std::vector<Expression> g(c_.metric_field.begin(), c_.metric_field.end());
    const int n = c_.dim;
    auto G_at = [&g, n](const double* x) {
      Eigen::MatrixXd m(n, n);
      for (int a = 0; a < n; ++a)
        for (int b = 0; b < n; ++b) m(a, b) = g[static_cast<std::size_t>(a * n + b)].at(x, n);
      return m;
    };
    op = assemble_operator(grid, G_at, weight, drift);
    g_max = 0;
    std::array<int, 3> start, count;
    grid.owned(start, count);
    for (int k = start[2]; k < start[2] + count[2]; ++k)
      for (int j = start[1]; j < start[1] + count[1]; ++j)
        for (int i = start[0]; i < start[0] + count[0]; ++i) {
          const double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
          Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G_at(x));
          g_max = std::max(g_max, eig.eigenvalues().maxCoeff());
        }
    MPI_Allreduce(MPI_IN_PLACE, &g_max, 1, MPI_DOUBLE, MPI_MAX, grid.comm());
  }
  PdeOptions opt;
  opt.dt = c_.dt;
  opt.rtol = c_.rtol;
  opt.atol = c_.atol;
  // Constant G on the torus, or constant diagonal G in the box: FFT / DCT steps, exact when
  // w = p^gamma is constant (p uniform or gamma = 0) and there is no drift, else transform-
  // preconditioned GMRES. (A full G in the box would leave its mixed terms out of the DCT
  // symbol, and the iteration count would grow with the grid: multigrid there.)
  if (c_.metric_field.empty() && (domain().periodic() || G_.isDiagonal())) {
    opt.fourier_metric = G_;
    opt.fourier_exact = c_.drift.empty() && (p_.is_uniform() || gamma_ == 0.0);
  }
  const int dim = c_.dim;
  std::vector<std::unique_ptr<PdeSolver>> solvers;
  for (std::size_t k = 0; k < u0_.size(); ++k) {
    MatOwner copy;
    if (k + 1 < u0_.size()) ATTNPDE_PETSC(MatDuplicate(op, MAT_COPY_VALUES, copy.out()));
    const Expression& u0 = u0_[k];
    solvers.push_back(std::make_unique<PdeSolver>(
        grid, k + 1 < u0_.size() ? std::move(copy) : std::move(op),
        [&u0, dim](const double* x) { return u0.at(x, dim); }, opt, g_max));
  }
  return solvers;
}

GridInterpolator Problem::interpolator(const Grid& grid, const PdeSolver& pde) const {
  return GridInterpolator(c_.dim, grid.nodes(), pde.gather(), domain());
}

std::vector<double> Problem::at_tokens(const GridInterpolator& f, const Tokens& t) const {
  std::vector<double> v(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto x = t.point(j);
    v[j] = f(x.data());
  }
  return v;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

void write_manifest(Json manifest, const RunSettings& settings, std::vector<std::string> outputs) {
  outputs.push_back("manifest.json");
  Json files = Json::array();
  for (const auto& f : outputs) files.push(f);
  manifest.set("outputs", files);
  write_text(settings.out_dir + "/manifest.json", manifest.dump());
}

Json manifest_header(const Case& c, const RunSettings& s) {
  PetscMPIInt size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  char petsc_version[128];
  PetscGetVersion(petsc_version, sizeof petsc_version);
  Json m = Json::object();
  m.set("program", "attnpde")
      .set("version", version_string)
      .set("git_commit", git_commit)
      .set("command", s.command)
      .set("command_line", s.command_line)
      .set("case_file", c.file)
      .set("seed", static_cast<long>(c.seed))
      .set("threads", s.threads)
      .set("mpi_ranks", static_cast<int>(size))
      .set("petsc", std::string(petsc_version))
      .set("case", c.resolved);
  return m;
}

PointResult run_case(const Case& c, const RunSettings& s) {
  const auto t_start = Clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  Json timings = Json::object();

  auto t0 = Clock::now();
  const Tokens tokens = prob.sample(c.n, c.seed);
  const std::vector<double> u0 = prob.initial_values(tokens);
  timings.set("sampling", since(t0));

  t0 = Clock::now();
  const std::vector<double> lu = prob.generator_reference(tokens);
  timings.set("generator_reference", since(t0));
  t0 = Clock::now();
  const auto kernel = prob.make_kernel(tokens, c.sigma);
  const ColumnWeights weights = prob.weights(*kernel);
  if (!weights.converged && root)
    std::fprintf(stderr, "attnpde: warning: Sinkhorn stopped after %d iterations at marginal error %.3e > %.3e\n",
                 weights.iterations, weights.marginal_error, c.sinkhorn_tol);
  const std::vector<double> conserved = conserved_weights(*kernel, weights);
  const SplitErrors gen = prob.generator_error(*kernel, tokens, c.sigma, weights, u0, lu);
  double attention_seconds = since(t0);

  Grid grid(PETSC_COMM_WORLD, c.grid, prob.domain());
  const int m = prob.components();
  const std::size_t n = tokens.size();
  const auto pdes = prob.make_pdes(grid);
  auto named = [m](const std::string& base, int k) { return component_name(base, k, m); };
  const double dt_layer = c.tau * prob.constant() * c.sigma * c.sigma;

  const std::string vtk_dir = s.out_dir + "/vtk";
  if (root) std::filesystem::create_directories(c.vtk ? vtk_dir : s.out_dir);
  MPI_Barrier(PETSC_COMM_WORLD);  // the directory exists before any rank writes a piece
  std::vector<PvdEntry> token_frames, field_frames;
  std::vector<double> u_pde = u0;
  double pde_seconds = 0, output_seconds = 0;

  const auto p_tokens = [&] {
    std::vector<double> v(tokens.size());
    for (std::size_t j = 0; j < tokens.size(); ++j) {
      const auto x = tokens.point(j);
      v[j] = prob.density()(x.data());
    }
    return v;
  }();

  // One output frame at layer k: the PDE advanced to t_k, interpolated to the tokens.
  auto frame = [&](int k, const std::vector<double>& u) {
    auto tp = Clock::now();
    const double t = k * dt_layer;
    std::vector<std::vector<double>> fields;
    for (int q = 0; q < m; ++q) {
      pdes[static_cast<std::size_t>(q)]->advance_to(t);
      fields.push_back(pdes[static_cast<std::size_t>(q)]->gather());
      const auto at = prob.at_tokens(GridInterpolator(c.dim, grid.nodes(), fields.back(), prob.domain()), tokens);
      std::copy(at.begin(), at.end(), u_pde.begin() + static_cast<std::ptrdiff_t>(q * n));
    }
    pde_seconds += since(tp);
    if (!c.vtk) return;
    tp = Clock::now();
    char base[64];
    std::snprintf(base, sizeof base, "fields_%06d", k);
    std::vector<std::string> field_names;
    std::vector<NamedArray> field_arrays;
    for (int q = 0; q < m; ++q) field_names.push_back(named("u_pde", q));
    for (int q = 0; q < m; ++q) field_arrays.push_back({field_names[static_cast<std::size_t>(q)], &fields[q]});
    const std::string field_file = write_grid_fields(grid, vtk_dir, base, field_arrays);
    field_frames.push_back({t, "vtk/" + field_file});
    if (root) {
      char name[64];
      // Per component: attention values, PDE values at the tokens, their difference.
      std::vector<std::vector<double>> cols;
      std::vector<std::string> names;
      for (int q = 0; q < m; ++q) {
        const auto at = [&](const std::vector<double>& v) {
          return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(q * n),
                                     v.begin() + static_cast<std::ptrdiff_t>((q + 1) * n));
        };
        cols.push_back(at(u));
        cols.push_back(at(u_pde));
        std::vector<double> err(n);
        for (std::size_t j = 0; j < n; ++j) err[j] = cols[cols.size() - 2][j] - cols.back()[j];
        cols.push_back(err);
        for (const char* b : {"u_attn", "u_pde", "error"}) names.push_back(named(b, q));
      }
      std::vector<NamedArray> arrays;
      for (std::size_t a = 0; a < cols.size(); ++a) arrays.push_back({names[a], &cols[a]});
      arrays.push_back({"p", &p_tokens});
      std::snprintf(name, sizeof name, "tokens_%06d.vtu", k);
      write_tokens_vtu(vtk_dir + "/" + name, tokens, arrays);
      token_frames.push_back({t, std::string("vtk/") + name});
    }
    output_seconds += since(tp);
  };

  frame(0, u0);
  std::vector<double> u = u0;
  Progress progress("layer", c.layers, s.quiet || !root);
  t0 = Clock::now();
  double frame_seconds = 0;
  OdeStats ode;
  if (c.depth == "continuous") {
    // The same frames at t_k = k tau c sigma^2, reached by the error-controlled ODE.
    double t_prev = 0.0;
    for (int k = std::min(c.every, c.layers); k > 0; k = k == c.layers ? 0 : std::min(k + c.every, c.layers)) {
      integrate_continuous(*kernel, c.sigma, weights.data(), prob.constant(), t_prev, k * dt_layer, c.ode_rtol,
                           c.ode_atol, u, ode);
      t_prev = k * dt_layer;
      const auto tf = Clock::now();
      frame(k, u);
      frame_seconds += since(tf);
      progress.update(k);
    }
  } else {
    run_layers(
        *kernel, c.tau, c.layers, u,
        [&](int k, const std::vector<double>& uk) {
          if (k % c.every == 0 || k == c.layers) {
            const auto tf = Clock::now();
            frame(k, uk);
            frame_seconds += since(tf);
          }
          progress.update(k);
        },
        weights.data());
  }
  attention_seconds += since(t0) - frame_seconds;

  PointResult r;
  r.n = c.n;
  r.sigma = c.sigma;
  r.tau = c.tau;
  r.layers = c.layers;
  r.t = c.layers * dt_layer;
  r.seed = c.seed;
  r.generator = gen.interior;
  r.generator_boundary = gen.boundary;
  const SplitErrors dyn = prob.split_errors(u, u_pde, tokens, c.sigma);
  r.dynamics = dyn.interior;
  r.dynamics_boundary = dyn.boundary;
  r.boundary_tokens = dyn.boundary_tokens;
  r.seconds = since(t_start);

  // Exact identity (THEORY.md section 2): sum_i c_i u_i with c_i = w_i (K w)_i (the
  // degrees for softmax) is conserved by every layer.
  // (Summed over the components of a vector field, each of which conserves its own.)
  double mass0 = 0, mass = 0;
  for (std::size_t e = 0; e < u.size(); ++e) {
    mass0 += conserved[e % n] * u0[e];
    mass += conserved[e % n] * u[e];
  }

  if (root) {
    const auto tp = Clock::now();
    {
      std::vector<std::string> cols;
      for (int d = 0; d < c.dim; ++d) cols.push_back("x" + std::to_string(d));
      for (const char* name : {"u0", "u_attn", "u_pde"})
        for (int q = 0; q < m; ++q) cols.push_back(named(name, q));
      CsvWriter csv(s.out_dir + "/tokens.csv", cols);
      std::vector<double> row(cols.size());
      for (std::size_t j = 0; j < n; ++j) {
        for (int d = 0; d < c.dim; ++d) row[d] = tokens.coord[d][j];
        for (int q = 0; q < m; ++q) {
          const std::size_t e = static_cast<std::size_t>(q) * n + j;
          row[c.dim + q] = u0[e];
          row[c.dim + m + q] = u[e];
          row[c.dim + 2 * m + q] = u_pde[e];
        }
        csv.row(row);
      }
    }
    {
      CsvWriter csv(s.out_dir + "/summary.csv", summary_columns(prob.has_boundary()));
      csv.row(summary_row(r, prob.has_boundary()));
    }
    if (c.vtk) {
      write_pvd(s.out_dir + "/tokens.pvd", token_frames);
      write_pvd(s.out_dir + "/fields.pvd", field_frames);
    }
    output_seconds += since(tp);
    timings.set("attention", attention_seconds)
        .set("pde", pde_seconds)
        .set("output", output_seconds)
        .set("total", since(t_start));
    const PdeStats st = summed_stats(pdes);  // over the components
    Json m = manifest_header(c, s);
    m.set("timings_seconds", timings);
    m.set("results",
          Json::object()
              .set("t", r.t)
              .set("components", m)
              .set("generator_constant_c", prob.constant())
              .set("gen_err_l2", r.generator.l2)
              .set("gen_err_max", r.generator.max)
              .set("err_l2", r.dynamics.l2)
              .set("err_max", r.dynamics.max)
              .set("errors_over", prob.has_boundary() ? "interior tokens (3 sigma from the walls)" : "all tokens")
              .set("gamma", prob.gamma())
              .set("conserved_mass_initial", mass0)
              .set("conserved_mass_final", mass)
              .set("density_integral_raw", prob.density().integral()));
    if (prob.has_boundary())
      m.set("boundary_layer", Json::object()
                                  .set("width", Problem::boundary_layer_width(c.sigma))
                                  .set("tokens", r.boundary_tokens)
                                  .set("gen_err_l2", r.generator_boundary.l2)
                                  .set("gen_err_max", r.generator_boundary.max)
                                  .set("err_l2", r.dynamics_boundary.l2)
                                  .set("err_max", r.dynamics_boundary.max));
    Json kern = Json::object().set("kind", kernel->name());
    const AttentionKernel* base = kernel.get();
    if (const auto* split = dynamic_cast<const RowSplitKernel*>(base)) {
      kern.set("row_split_ranks", split->ranks());
      base = &split->inner();
    }
    if (const auto* tk = dynamic_cast<const TruncatedKernel*>(base))
      kern.set("cutoff", tk->cutoff())
          .set("nonzeros", tk->nonzeros())
          .set("mean_neighbours", tk->mean_neighbours())
          .set("neglected_weight_bound", tk->neglected_bound(weights.data()))
          .set("neglected_weight_typical", tk->tail_fraction())
          .set("build_seconds", tk->build_seconds());
    m.set("kernel", kern);
    Json norm = Json::object().set("kind", c.normalization);
    if (c.normalization == "sinkhorn")
      norm.set("iterations", weights.iterations)
          .set("marginal_error", weights.marginal_error)
          .set("converged", weights.converged);
    m.set("normalization", norm);
    Json depth = Json::object().set("kind", c.depth);
    if (c.depth == "continuous") depth.set("ode_steps", ode.steps).set("rhs_evaluations", ode.rhs_evaluations);
    m.set("depth", depth);
    m.set("pde", Json::object()
                     .set("ts_type", st.ts_type)
                     .set("dt", st.dt)
                     .set("steps", st.steps)
                     .set("ksp_type", st.ksp_type)
                     .set("pc_type", st.pc_type)
                     .set("mg_levels", st.mg_levels)
                     .set("ksp_iterations", st.ksp_iterations)
                     .set("seconds", st.seconds));
    std::vector<std::string> outputs = {"tokens.csv", "summary.csv"};
    if (c.vtk) outputs.insert(outputs.end(), {"tokens.pvd", "fields.pvd"});
    write_manifest(std::move(m), s, outputs);
  }
  return r;
}

}  // namespace attnpde
