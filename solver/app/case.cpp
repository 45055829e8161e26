#include "solver/app/case.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "attention/density.hpp"
#include "attention/expression.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/metric.hpp"
#include "solver/app/case_checks.hpp"
#include "solver/app/case_reader.hpp"

namespace attnpde {

namespace {

std::string format_input_error(const std::string& file, int line, int column, const std::string& key,
                               const std::string& message) {
  std::ostringstream os;
  os << file;
  if (line > 0) os << ':' << line << ':' << column;
  os << ": error: ";
  if (!key.empty()) os << key << ": ";
  os << message;
  return os.str();
}

}  // namespace

InputError::InputError(std::string file, int line, int column, std::string key, std::string message)
    : std::runtime_error(format_input_error(file, line, column, key, message)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_(std::move(key)) {}

double optimal_sigma(long n, int dim, double scale) {
  return scale * std::pow(static_cast<double>(n), -1.0 / (dim + 6));
}

using namespace case_input;

namespace {

// G(x) of pde.metric_field must be SPD at every face of the grid, where the operator
// evaluates it (node placement of attention/domain.hpp).
// Returns the largest eigenvalue of G(x) over the faces.
double check_metric_field(const Case& c, const TValue& f, const std::string& path) {
  double g_max = 0;
  std::vector<Expression> g(c.metric_field.begin(), c.metric_field.end());
  const long total = static_cast<long>(c.grid[0]) * (c.dim > 1 ? c.grid[1] : 1) * (c.dim > 2 ? c.grid[2] : 1);
  // Every node's faces up to a million nodes; a subset beyond (the run stops on any
  // non-finite value the PDE then produces).
  const long max_nodes = 1000000, stride = total <= max_nodes ? 1 : total / max_nodes + 1;
  for (long k = 0; k < total; k += stride)
    for (int face = -1; face < c.dim; ++face) {
      double x[3] = {0, 0, 0};
      long rest = k;
      for (int d = 0; d < c.dim; ++d) {
        const int n = c.grid[static_cast<std::size_t>(d)];
        const double h = c.domain.length() / n;
        x[d] = c.domain.node_coordinate(static_cast<int>(rest % n), h) + (face == d ? 0.5 * h : 0.0);
        rest /= n;
      }
      Eigen::MatrixXd m(c.dim, c.dim);
      for (int a = 0; a < c.dim; ++a)
        for (int b = 0; b < c.dim; ++b) m(a, b) = g[static_cast<std::size_t>(a * c.dim + b)].at(x, c.dim);
      if (auto defect = metric_defect(m)) {
        std::ostringstream os;
        os << "G(x) at (";
        for (int d = 0; d < c.dim; ++d) os << (d ? ", " : "") << x[d];
        os << "): " << *defect;
        fail(f, path, "pde.metric_field", os.str());
      }
      g_max = std::max(g_max, Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(m).eigenvalues().maxCoeff());
    }
  return g_max;
}

// The resolved case as JSON for the manifest (after the dimension-dependent defaults).
Json resolved_json(const Case& c, const Resolved& r) {
  Json out = Json::object();
  std::string current;
  Json section = Json::object();
  for (const auto& s : case_keys()) {
    if (s.section != current) {
      if (!current.empty()) out.set(current, section);
      current = s.section;
      section = Json::object();
    }
    if (s.name() == "attention.metric") {
      Json m = Json::array();
      for (int a = 0; a < c.dim; ++a) {
        Json row = Json::array();
        for (int b = 0; b < c.dim; ++b) row.push(c.metric(a, b));
        m.push(row);
      }
      section.set(s.key, m);
    } else if (s.name() == "pde.grid" || s.name() == "probe.grid") {
      Json g = Json::array();
      for (int n : s.name() == "pde.grid" ? c.grid : c.probe_grid) g.push(n);
      section.set(s.key, g);
    } else if (s.name() == "output.dir") {
      section.set(s.key, c.out_dir);
    } else if (s.name() == "output.every") {
      section.set(s.key, c.every);
    } else if (r.values.count(s.name())) {
      section.set(s.key, to_json(r.values.at(s.name())));
    }
  }
  out.set(current, section);
  return out;
}
}  // namespace

Case load_case(const std::string& path, const std::vector<Override>& overrides, Purpose purpose) {
  const bool for_study = purpose == Purpose::study;
  TValue root = parse_file(path);
  for (const auto& o : overrides) apply_override(root, o);
  reject_unknown(root, path);
  const Reader rd(path);
  Resolved r{root, path, {}};

  // Token transport needs no initial values: read it before the requirements (true, false too).
  Transport transport = Transport::none;
  if (const TValue* t = r.present(key("attention.transport")))
    transport = t->is_boolean() ? (t->as_boolean() ? Transport::attract : Transport::none)
                                : rd.choice<Transport>(*t, key("attention.transport"));

  const TValue* score = r.present(key("attention.score"));  // the dot score's width comes from eps
  const bool dot = score && score->is_string() && score->as_string().str == "dot";
  // Every key: from the file (refused when only other commands accept it), else its
  // default; a key without a default that this command requires is an error.
  for (const auto& s : case_keys()) {
    if (const TValue* v = r.present(s)) {
      if (s.exclusive && !has(s.used_by, purpose))
        fail(*v, path, s.name(),
             "applies to `attnpde " + s.commands_doc(s.used_by) + "` only, not to `attnpde " + purpose_name(purpose) +
                 "`");
      r.values[s.name()] = *v;
    } else if (!s.default_toml.empty()) {
      r.values[s.name()] = parse_default(s.default_toml);
    } else if (has(s.required_by, purpose) && !(s.name() == "initial.u0" && transport != Transport::none) &&
               !(s.name() == "attention.sigma" && dot)) {
      r.missing(s, "");
    }
  }
  auto val = [&](const std::string& name) -> const TValue& { return r.values.at(name); };
  // Value of a key the file may leave out for this command (then `unused`).
  auto real_or = [&](const std::string& name, double unused) {
    return r.values.count(name) ? rd.real(val(name), key(name)) : unused;
  };

  Case c;
  c.file = path;
  c.name = std::filesystem::path(path).stem().string();
  c.purpose = purpose;
  c.domain = Domain{rd.choice<DomainKind>(val("domain.kind"), key("domain.kind"))};
  c.dim = static_cast<int>(rd.integer(val("domain.dim"), key("domain.dim")));
  c.density_expr = rd.expression(val("density.expr"), key("density.expr"));
  c.sampler = rd.choice<Sampler>(val("density.sampler"), key("density.sampler"));
  c.n = r.values.count("tokens.n") ? rd.integer(val("tokens.n"), key("tokens.n")) : 0;
  c.seed = static_cast<std::uint64_t>(rd.integer(val("tokens.seed"), key("tokens.seed")));
  c.distributed = rd.string(val("tokens.distribution"), key("tokens.distribution")) == "distributed";
  c.score = rd.choice<Score>(val("attention.score"), key("attention.score"));
  c.dot_eps = rd.real(val("attention.eps"), key("attention.eps"));
  c.beta = rd.real(val("attention.beta"), key("attention.beta"));
  c.sigma = real_or("attention.sigma", 0.0);
  c.normalization.kind = rd.choice<NormalizationKind>(val("attention.normalization"), key("attention.normalization"));
  c.normalization.alpha = rd.real(val("attention.alpha"), key("attention.alpha"));
  c.normalization.sinkhorn_tol = rd.real(val("attention.sinkhorn_tol"), key("attention.sinkhorn_tol"));
  c.normalization.sinkhorn_max_iter =
      static_cast<int>(rd.integer(val("attention.sinkhorn_max_iter"), key("attention.sinkhorn_max_iter")));
  c.tau = rd.real(val("attention.tau"), key("attention.tau"));
  c.layers = static_cast<int>(rd.integer(val("attention.layers"), key("attention.layers")));
  c.depth = rd.choice<Depth>(val("attention.depth"), key("attention.depth"));
  c.transport = transport;
  c.precision = rd.choice<Precision>(val("attention.precision"), key("attention.precision"));
  c.kernel = rd.choice<KernelChoice>(val("attention.kernel"), key("attention.kernel"));
  c.cutoff = rd.real(val("attention.cutoff"), key("attention.cutoff"));
  c.geodesic = rd.string(val("attention.distance"), key("attention.distance")) == "geodesic";
  if (c.precision == Precision::float32 && c.beta != 2.0)
    fail(val("attention.precision"), path, "attention.precision", "float32 attention needs beta = 2");
  c.ode_rtol = rd.real(val("attention.ode_rtol"), key("attention.ode_rtol"));
  c.ode_atol = rd.real(val("attention.ode_atol"), key("attention.ode_atol"));
  c.dt = rd.real(val("pde.dt"), key("pde.dt"));
  c.rtol = rd.real(val("pde.rtol"), key("pde.rtol"));
  c.atol = rd.real(val("pde.atol"), key("pde.atol"));
  c.pde_t_end = rd.real(val("pde.t_end"), key("pde.t_end"));
  c.pde_frames = static_cast<int>(rd.integer(val("pde.frames"), key("pde.frames")));
  c.study_n = rd.integer_array(val("study.n"), key("study.n"));
  c.study_sigma = rd.real_array(val("study.sigma"), key("study.sigma"));
  c.study_path = rd.choice<StudyPath>(val("study.path"), key("study.path"));
  c.study_path_scale = rd.real(val("study.path_scale"), key("study.path_scale"));
  c.study_seeds = static_cast<int>(rd.integer(val("study.seeds"), key("study.seeds")));
  c.study_time = rd.real(val("study.time"), key("study.time"));
  const std::string measure = rd.string(val("study.measure"), key("study.measure"));
  c.study_spectrum = measure == "spectrum";
  c.study_circle_law = measure == "circle_law";
  c.study_clusters = measure == "clusters";
  c.study_inverse_temperature = rd.real_array(val("study.inverse_temperature"), key("study.inverse_temperature"));
  c.spectrum_count = static_cast<int>(rd.integer(val("spectrum.count"), key("spectrum.count")));
  c.spectrum_tol = rd.real(val("spectrum.tol"), key("spectrum.tol"));
  c.vtk = rd.boolean(val("output.vtk"), key("output.vtk"));
  read_verify(c, r, rd);
  read_learn(c, r, rd);
  c.every = static_cast<int>(rd.integer(val("output.every"), key("output.every")));
  // `attnpde pde` integrates to pde.t_end, or to the layers' time t_K, which needs sigma.
  if (purpose == Purpose::pde && !(c.pde_t_end > 0) && !r.present(key("attention.sigma")))
    r.missing(key("attention.sigma"), " (or set pde.t_end: the PDE runs to t_K = layers tau c sigma^2)");

  // Dimension-dependent keys.
  if (const TValue* m = r.present(key("attention.metric"))) {
    c.metric = rd.matrix(*m, key("attention.metric"), c.dim);
    if (auto defect = metric_defect(c.metric)) fail(*m, path, "attention.metric", *defect);
  } else {
    c.metric = Eigen::MatrixXd::Identity(c.dim, c.dim);
  }
  c.dot_B = Eigen::MatrixXd::Identity(c.dim, c.dim);
  if (const TValue* b = r.present(key("attention.B"))) c.dot_B = rd.matrix(*b, key("attention.B"), c.dim);
  c.gauss_mean.assign(static_cast<std::size_t>(c.dim), 0.0);
  if (const TValue* m = r.present(key("density.mean"))) {
    c.gauss_mean = rd.real_array(*m, key("density.mean"));
    if (static_cast<int>(c.gauss_mean.size()) != c.dim)
      fail(*m, path, "density.mean", "expected " + std::to_string(c.dim) + " entries (one per dimension)");
  }
  c.gauss_cov = Eigen::MatrixXd::Identity(c.dim, c.dim);
  if (const TValue* m = r.present(key("density.cov"))) {
    c.gauss_cov = rd.matrix(*m, key("density.cov"), c.dim);
    if (auto defect = metric_defect(c.gauss_cov)) fail(*m, path, "density.cov", *defect);
  }
  // A scalar field, or a vector field as an array of expressions (one per component).
  if (const TValue* u0 = r.present(key("initial.u0"))) {
    if (u0->is_array()) {
      const auto& arr = u0->as_array();
      if (arr.empty() || arr.size() > 64)
        fail(*u0, path, "initial.u0", "expected an expression or an array of 1 to 64 expressions");
      for (const auto& e : arr) c.u0.push_back(rd.expression(e, key("initial.u0")));
    } else {
      c.u0.push_back(rd.expression(*u0, key("initial.u0")));
    }
  } else {
    c.u0.push_back("0");  // the probe and token transport evolve no values
  }
  if (c.distributed) {
    // What the distributed path computes: values of fixed tokens in the flat domains.
    const char* why = c.domain.kind != DomainKind::torus && c.domain.kind != DomainKind::box
                          ? "need the torus or the box (domain.kind)"
                      : c.score != Score::metric ? "need the metric score (attention.score)"
                      : c.transport != Transport::none
                          ? "do not move between the ranks: no token transport (attention.transport)"
                      : c.depth != Depth::layers ? "run layers (attention.depth = \"layers\")"
                      : c.study_spectrum         ? "measure no spectra (study.measure)"
                                                 : nullptr;
    if (why) fail(val("tokens.distribution"), path, "tokens.distribution", std::string("distributed tokens ") + why);
  }
  // The truncated kernel's search radius must stay below half the torus period.
  if (c.kernel == KernelChoice::truncated) {
    double sigma_max = c.sigma;
    for (double sg : c.study_sigma) sigma_max = std::max(sigma_max, sg);
    const double radius = search_radius(c.metric, sigma_max, c.cutoff);
    if (!search_radius_fits(c.domain, radius))
      fail(val("attention.cutoff"), path, "attention.cutoff",
           "the truncated kernel's search radius cutoff * sigma / sqrt(lambda_min(M)) = " + num(radius) +
               " reaches half the torus period; lower the cutoff or use kernel = \"dense\"");
  }
  // Node counts per direction: one entry per dimension, or `fallback` in every direction.
  auto nodes_per_direction = [&](const std::string& name, int fallback) {
    const TValue* g = r.present(key(name));
    const int dim = c.domain.kind == DomainKind::sphere ? 1 : c.dim;  // the circle's grid is in arc length
    if (!g) return std::vector<int>(static_cast<std::size_t>(dim), fallback);
    const auto nodes = rd.integer_array(*g, key(name));
    if (static_cast<int>(nodes.size()) != dim)
      fail(*g, path, name,
           "expected " + std::to_string(dim) + " entries (one per dimension), got " + std::to_string(nodes.size()));
    std::vector<int> out;
    for (long v : nodes) out.push_back(static_cast<int>(v));
    return out;
  };
  const int default_pde_nodes = 64, default_probe_nodes = 16;
  c.grid = nodes_per_direction("pde.grid", default_pde_nodes);
  c.probe_grid = nodes_per_direction("probe.grid", default_probe_nodes);
  // lambda_max(G) over the domain, for the automatic PDE time step.
  double g_max = 1.0 / Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(c.metric).eigenvalues().minCoeff();
  if (const TValue* f = r.present(key("pde.metric_field"))) {
    c.metric_field = rd.expression_matrix(*f, key("pde.metric_field"), c.dim);
    g_max = check_metric_field(c, *f, path);
  }
  if (const TValue* f = r.present(key("pde.drift"))) c.drift = rd.expression_array(*f, key("pde.drift"), c.dim);
  const TValue* out_dir = r.present(key("output.dir"));
  c.out_dir = out_dir ? rd.string(*out_dir, key("output.dir")) : "results/" + c.name;
  if (c.out_dir.empty()) fail(val("output.dir"), path, "output.dir", "must not be empty");

  if (c.transport != Transport::none && c.depth == Depth::continuous)
    fail(val("attention.transport"), path, "attention.transport",
         "token transport moves tokens layer by layer; it has no continuous depth");
  // A transport study measures the error against an exact reference (docs/theory.md 5b).
  if (c.transport != Transport::none && for_study && transport_reference(c) == TransportReference::none &&
      !c.study_circle_law && !c.study_clusters)
    fail(val("attention.transport"), path, "attention.transport",
         "a transport study needs an exact reference: Gaussian tokens in `space` with the softmax normalization "
         "and beta = 2, or `repel` on the torus");
  if (for_study) {
    if (c.study_n.empty()) {
      const Where w = r.section_where("study");
      throw InputError(w.file, w.line, w.column, "study.n", "a study needs a non-empty list of token counts");
    }
    if (c.study_sigma.empty() && c.study_path != StudyPath::optimal && !c.study_circle_law && !c.study_clusters)
      fail(val("study.path"), path, "study.sigma", "a study needs sigma values or path = \"optimal\"");
  }

  if (c.every == 0) c.every = std::max(1, c.layers / 10);
  // Derived quantities and every point where an expression will be evaluated.
  const FailAt fail_at = [&](const std::string& name, const std::string& message) {
    if (const TValue* v = r.present(key(name))) fail(*v, path, name, message);
    const Where w = r.section_where(key(name).section);
    throw InputError(w.file, w.line, w.column, name, message);
  };
  check_domain(c, r.present(key("attention.sigma")) != nullptr, fail_at);
  if (c.domain.kind != DomainKind::space) check_density(c, fail_at);
  check_derived(c, g_max, fail_at);
  check_learn(c, fail_at);
  check_expressions(c, fail_at);
  c.resolved = resolved_json(c, r);
  return c;
}

}  // namespace attnpde
