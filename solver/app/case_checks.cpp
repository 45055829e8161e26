#include "solver/app/case_checks.hpp"

#include <cfloat>
#include <cmath>
#include <sstream>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/expression.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/rosenblatt.hpp"
#include "attention/sphere.hpp"

namespace attnpde {

namespace {

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

bool normal_positive(double v) {
  return std::isfinite(v) && v >= DBL_MIN;
}

// Evaluation points of the grid checks: every node and every cell face, i.e. the points
// k h / 2 (k = 0 .. 2 n) per direction, or the nodes alone (stride 2) when that is too
// many points; calls f(x) on each.
template <class F>
void for_each_grid_point(const Case& c, F&& f) {
  const long max_points = 4000000;
  long half_points = 1, node_points = 1;
  for (int d = 0; d < c.dim; ++d) {
    half_points *= 2L * c.grid[static_cast<std::size_t>(d)] + 1;
    node_points *= c.grid[static_cast<std::size_t>(d)];
  }
  const int stride = half_points <= max_points ? 1 : 2;
  // Nodes only, subsampled to at most max_points when the grid itself is larger (the run
  // checks every value it computes anyway).
  const long skip = stride == 1 || node_points <= max_points ? 1 : node_points / max_points + 1;
  std::array<int, 3> count{1, 1, 1};
  for (int d = 0; d < c.dim; ++d) count[static_cast<std::size_t>(d)] = 2 * c.grid[static_cast<std::size_t>(d)] + 1;
  long visited = 0;
  for (int k = 0; k < count[2]; k += (c.dim > 2 ? stride : 1))
    for (int j = 0; j < count[1]; j += (c.dim > 1 ? stride : 1))
      for (int i = 0; i < count[0]; i += stride) {
        if (visited++ % skip != 0) continue;
        const int idx[3] = {i, j, k};
        double x[3] = {0, 0, 0};
        for (int d = 0; d < c.dim; ++d) {
          const double h = c.domain.length() / c.grid[static_cast<std::size_t>(d)];
          // Half-grid point m: the box's cell centres are the odd m, its faces the even m;
          // the torus nodes the even m (stride 2 keeps the nodes in both cases).
          const int m = stride == 1 ? idx[d] : idx[d] + (c.domain.periodic() ? 0 : 1);
          x[d] = 0.5 * m * h;
        }
        f(x);
      }
}

std::string at_point(const double* x, int dim) {
  std::ostringstream os;
  os << "(";
  for (int d = 0; d < dim; ++d) os << (d ? ", " : "") << x[d];
  os << ")";
  return os.str();
}

}  // namespace

void check_domain(Case& c, bool sigma_given, const FailAt& fail_at) {
  const bool dot = c.score == Score::dot, sphere = c.domain.kind == DomainKind::sphere;
  const bool space = c.domain.kind == DomainKind::space;
  if (c.geodesic && !sphere) fail_at("attention.distance", "the geodesic distance is that of the sphere");
  if (space && !dot && c.transport == Transport::none)
    fail_at("domain.kind",
            "the whole space has no PDE grid; metric attention runs on the torus, in the box or on the sphere (use "
            "score = \"dot\", or token transport, here)");
  if (dot && !space && !sphere)
    fail_at("attention.score",
            "dot-product attention runs on a Gaussian token cloud (domain.kind = \"space\") or on the sphere");
  if (dot && c.transport != Transport::none && !sphere)
    fail_at("attention.transport",
            "token transport with the dot score runs on the sphere (tokens projected back to it); use score = "
            "\"metric\" here");
  if ((c.study_circle_law || c.study_clusters) && c.purpose == Purpose::study) {
    if (!sphere || (c.study_circle_law && c.dim != 2) || !dot || c.transport != Transport::attract)
      fail_at("study.measure", std::string(c.study_circle_law ? "the circle law is measured on the circle (dim = 2)"
                                                              : "clustering phase diagrams run on the sphere") +
                                   " (domain.kind = \"sphere\") with score = \"dot\" and transport = \"attract\"");
    if (c.study_inverse_temperature.empty())
      fail_at("study.inverse_temperature", "this study needs a list of inverse temperatures beta");
    if (!c.dot_B.isIdentity(0.0)) fail_at("attention.B", "the study varies beta = 1 / eps with B = I");
  }
  if (dot && space) {
    if (c.purpose != Purpose::probe && c.purpose != Purpose::run)
      fail_at("attention.score",
              "dot-product attention in the whole space has no diffusion limit to compare with (docs/theory.md "
              "section 5); use attnpde probe, or attnpde run (layers without a PDE)");
    if (c.purpose == Purpose::run && c.normalization.kind != NormalizationKind::softmax)
      fail_at("attention.normalization", "the dot score runs with the softmax normalization");
    if (c.purpose == Purpose::run && c.depth == Depth::continuous)
      fail_at("attention.depth", "the dot score in the whole space runs layers (no layer time c sigma^2)");
    if (c.purpose == Purpose::run && c.kernel == KernelChoice::truncated)
      fail_at("attention.kernel", "the dot score has no cutoff: use the dense kernel");
  }
  if (!sphere) return;
  if (c.dim != 2 && c.dim != 3) fail_at("domain.dim", "the sphere is S^1 in R^2 or S^2 in R^3: dim = 2 or 3");
  if (c.purpose != Purpose::run && c.purpose != Purpose::study)
    fail_at("domain.kind",
            std::string("the sphere runs with attnpde run and attnpde study, not attnpde ") + purpose_name(c.purpose));
  if (!c.metric.isIdentity(0.0))
    fail_at("attention.metric", "on the sphere the distance is that of the sphere itself: M = I (leave it out)");
  if (dot) {
    const double b = c.dot_B(0, 0);
    if (!(b > 0) || !c.dot_B.isApprox(b * Eigen::MatrixXd::Identity(c.dim, c.dim), 0.0))
      fail_at("attention.B",
              "on the sphere the dot score has a diffusion limit for B = b I with b > 0 only (other B tilt the "
              "density by exp(x^T B x / 2 eps))");
    if (c.geodesic) fail_at("attention.distance", "the dot score of unit tokens is chordal: |x - y|^2 = 2 - 2 x.y");
    if (sigma_given)
      fail_at("attention.sigma",
              "the dot score's width follows from its temperature: sigma = sqrt(2 eps / b); set "
              "attention.eps instead");
    if (c.purpose == Purpose::study && !c.study_circle_law && !c.study_clusters)
      fail_at("attention.score", "a study varies sigma: use score = \"metric\" (the same attention on the sphere)");
    // exp(x.B y / eps) = exp(-b |x - y|^2 / (2 eps)) up to factors that cancel on the sphere.
    c.beta = 2.0;
    c.sigma = std::sqrt(2.0 * c.dot_eps / b);
  }
  if (c.dim == 3 && c.transport == Transport::none && !Expression(c.density_expr).is_constant())
    fail_at("density.expr",
            "on S^2 the dynamics reference is the exact heat semigroup of spherical harmonics, which needs a "
            "uniform density (use the circle, dim = 2, for a non-uniform one)");
}

// The density must be positive (L_gamma and w = p^gamma need log p), and smooth enough
// for the quasi sampler.
void check_density(const Case& c, const FailAt& fail_at) {
  const Density p(c.density_expr, c.dim, c.domain);
  if (!(p.min_raw() > 0.0)) {
    std::ostringstream os;
    os << "density must be positive everywhere; at (";
    for (int d = 0; d < c.dim; ++d) os << (d ? ", " : "") << p.argmin()[d];
    os << ") it is " << p.min_raw();
    fail_at("density.expr", os.str());
  }
  // The circle's quasi sampler inverts a tabulated CDF (any positive p).
  if (c.sampler != Sampler::quasi || p.is_uniform() || (c.domain.kind == DomainKind::sphere && c.dim == 2)) return;
  // The quasi sampler maps lattice points through CDFs integrated from the Fourier series
  // of p: a density the series does not resolve would be sampled wrongly.
  if (!c.domain.periodic())
    fail_at("density.sampler",
            "sampler = \"quasi\" needs a uniform density in the box and on S^2; use sampler = \"random\"");
  const InverseRosenblatt map(p);
  const double max_tail = 1e-8;
  if (!(map.series_tail() <= max_tail)) {
    std::ostringstream os;
    os << "density is too rough for sampler = \"quasi\" (its Fourier series keeps " << map.series_tail()
       << " of the mean in the highest modes, more than " << max_tail
       << "); use a smoother density or sampler = \"random\"";
    fail_at("density.expr", os.str());
  }
}

std::vector<double> sigmas_used(const Case& c) {
  std::vector<double> s;
  if (c.sigma > 0) s.push_back(c.sigma);
  if (c.purpose == Purpose::study) {
    s.insert(s.end(), c.study_sigma.begin(), c.study_sigma.end());
    if (c.study_path == StudyPath::optimal)
      for (long n : c.study_n) s.push_back(optimal_sigma(n, c.domain.intrinsic_dim(c.dim), c.study_path_scale));
  }
  return s;
}

void check_derived(const Case& c, double g_max, const FailAt& fail_at) {
  const double cst = generator_constant(c.beta, c.domain.intrinsic_dim(c.dim));
  if (!normal_positive(cst))
    fail_at("attention.beta", "beta = " + num(c.beta) + " gives the constant c(beta, n) = " + num(cst) +
                                  ", not a finite positive number");
  const bool study = c.purpose == Purpose::study;
  for (double sigma : sigmas_used(c)) {
    const std::string key = study && sigma != c.sigma ? "study.sigma" : "attention.sigma";
    const double eps = temperature(sigma, c.beta), step = layer_time(1, c.tau, cst, sigma);
    if (!normal_positive(eps))
      fail_at(key, "sigma = " + num(sigma) + " gives the temperature eps = sigma^beta = " + num(eps) +
                       ", outside the floating-point range");
    if (!normal_positive(step))
      fail_at(key, "sigma = " + num(sigma) + " gives the layer time step tau c sigma^2 = " + num(step) +
                       ", outside the floating-point range");
    if (study && c.study_time > 0) {
      const double layers = c.study_time / step;
      if (!(layers <= max_layers))
        fail_at("study.time", "t = " + num(c.study_time) + " at sigma = " + num(sigma) + " needs " + num(layers) +
                                  " layers, more than " + num(max_layers) + "; use a shorter time or larger sigma");
    }
  }
  // Grid nodes must fit PETSc's 32-bit indices.
  double nodes = 1;
  for (int n : c.grid) nodes *= n;
  if (c.purpose != Purpose::probe && nodes > 2147483647.0)
    fail_at("pde.grid", "the grid has " + num(nodes) + " nodes, more than PETSc's 32-bit index range (2^31 - 1)");
  // PDE steps: the horizon over dt (pde.dt, or the automatic 0.1 h / lambda_max(G)).
  // Eigenpairs of fixed tokens (attnpde spectrum, spectrum studies): no layers, no PDE steps.
  if (c.purpose == Purpose::spectrum || (study && c.study_spectrum)) {
    if (c.transport != Transport::none)
      fail_at("attention.transport", "the spectrum is that of fixed tokens; token transport has none");
    long n_min = c.n;
    if (study) n_min = c.study_n.empty() ? 0 : *std::min_element(c.study_n.begin(), c.study_n.end());
    if (n_min > 0 && c.spectrum_count >= n_min)
      fail_at("spectrum.count", std::to_string(c.spectrum_count) + " eigenpairs need more tokens than the " +
                                    std::to_string(n_min) + " of the smallest point");
    return;
  }
  if (c.purpose == Purpose::probe) return;
  double t_end = c.purpose == Purpose::pde && c.pde_t_end > 0 ? c.pde_t_end : 0.0;
  if (t_end == 0) {
    const double layers = study && c.study_time > 0 ? 0.0 : c.layers;
    for (double sigma : sigmas_used(c))
      t_end = std::max(t_end, layer_time(static_cast<long>(layers), c.tau, cst, sigma));
    if (study && c.study_time > 0) t_end = c.study_time;
  }
  if (!std::isfinite(t_end)) fail_at("attention.layers", "the horizon t_K = " + num(t_end) + " is not finite");
  double h_min = c.domain.length();
  for (int n : c.grid) h_min = std::min(h_min, c.domain.length() / n);
  const double dt = c.dt > 0 ? c.dt : 0.1 * h_min / g_max;
  const double steps = t_end / dt;
  if (!(steps <= max_pde_steps))
    fail_at(c.dt > 0 ? "pde.dt" : "pde.grid",
            "the PDE would take " + num(steps) + " steps of dt = " + num(dt) + " to t = " + num(t_end) + " (at most " +
                num(max_pde_steps) + ")" +
                (c.dt > 0 ? "; use a larger dt" : "; the automatic dt = 0.1 h / lambda_max(G) is tiny: set pde.dt"));
}

void check_learn(const Case& c, const FailAt& fail_at) {
  if (c.purpose != Purpose::learn) return;
  if (c.domain.kind != DomainKind::torus && c.domain.kind != DomainKind::box)
    fail_at("domain.kind", "metric learning runs on the torus or in the box");
  if (c.learn.dot_model && c.domain.kind != DomainKind::torus)
    fail_at("learn.models", "the dot-product baseline embeds the torus (phi = cos, sin); use models = \"metric\"");
  if (c.beta != 2.0) fail_at("attention.beta", "metric learning learns rho = (x - y)^T W^T W (x - y): beta = 2");
  if (c.normalization.kind != NormalizationKind::softmax)
    fail_at("attention.normalization", "metric learning trains softmax attention");
  if (c.layers < c.learn.snapshots || c.layers % c.learn.snapshots != 0)
    fail_at("attention.layers", "layers = " + std::to_string(c.layers) + " must be a positive multiple of " +
                                    "learn.snapshots = " + std::to_string(c.learn.snapshots));
}

void check_expressions(const Case& c, const FailAt& fail_at) {
  struct Checked {
    std::string key;
    Expression e;
    bool positive;
  };
  std::vector<Checked> list;
  list.push_back({"density.expr", Expression(c.density_expr), true});
  if (c.purpose != Purpose::probe)
    for (const auto& u : c.u0) list.push_back({"initial.u0", Expression(u), false});
  for (const auto& b : c.drift) list.push_back({"pde.drift", Expression(b), false});
  for (const auto& item : list)
    for (const auto& v : item.e.variables())
      if (v == "t")
        fail_at(item.key, "expression \"" + item.e.text() + "\" uses the time t, which it cannot depend on");
  if (c.domain.kind == DomainKind::space) return;
  const bool sphere = c.domain.kind == DomainKind::sphere;
  const auto check = [&](const double* x) {
    for (const auto& item : list) {
      const double v = item.e.at(x, c.dim);
      if (!std::isfinite(v))
        fail_at(item.key, "expression \"" + item.e.text() + "\" is " + num(v) + " at " + at_point(x, c.dim) +
                              (sphere ? " (a point of the sphere)" : " (a grid point of the PDE)"));
      if (item.positive && !(v > 0))
        fail_at(item.key, "density must be positive everywhere; at " + at_point(x, c.dim) + " it is " + num(v));
    }
  };
  if (!sphere) return for_each_grid_point(c, check);
  // The sphere: its quadrature points (those of the density's normalization and more).
  for (const auto& x : sphere_quadrature(c.dim, c.dim == 2 ? 8192 : 160).points) check(x.data());
}

std::vector<std::string> regime_warnings(const Case& c) {
  std::vector<std::string> out;
  const char* axes[3] = {"x", "y", "z"};
  auto coordinates = [&](const std::string& key, const std::string& text) {
    for (const auto& v : Expression(text).variables())
      for (int d = c.dim; d < 3; ++d)
        if (v == axes[d])
          out.push_back(key + " = \"" + text + "\" uses " + v + ", which a " + std::to_string(c.dim) +
                        "D case does not have (it is 0)");
  };
  coordinates("density.expr", c.density_expr);
  if (c.purpose != Purpose::probe)
    for (const auto& u : c.u0) coordinates("initial.u0", u);
  if (c.score == Score::dot || c.domain.kind == DomainKind::space) return out;
  std::vector<long> ns;
  if (c.purpose == Purpose::study)
    ns = c.study_n;
  else if (c.n > 0)
    ns = {c.n};
  if (ns.empty()) return out;
  const long n_min = *std::min_element(ns.begin(), ns.end());
  // Mean token spacing in d_M units: (volume sqrt(det M) / N)^(1/n).
  const int n_dim = c.domain.intrinsic_dim(c.dim);
  const double volume =
      c.domain.kind == DomainKind::sphere ? (n_dim == 1 ? 2.0 * M_PI : 4.0 * M_PI) : std::pow(c.domain.length(), c.dim);
  const double spacing = std::pow(volume * std::sqrt(c.metric.determinant()) / static_cast<double>(n_min), 1.0 / n_dim);
  for (double sigma : sigmas_used(c)) {
    // Below half the spacing a token's nearest neighbour weighs less than exp(-4): A is
    // close to the identity.
    if (sigma < 0.5 * spacing)
      out.push_back("sigma = " + num(sigma) + " is below half the mean token spacing " + num(spacing) +
                    " (d_M units) at N = " + std::to_string(n_min) +
                    ": A is nearly the identity and the generator error near 1");
    if (search_radius(c.metric, sigma, 1.0) > 0.25 * c.domain.length())
      out.push_back("sigma = " + num(sigma) + " is comparable to the domain (side " + num(c.domain.length()) +
                    "): the small-sigma expansion of docs/theory.md section 2 does not apply");
  }
  if ((c.beta < 1.0 || c.beta > 4.0) && n_min < 10000)
    out.push_back("beta = " + num(c.beta) + " is far from 2 with N = " + std::to_string(n_min) +
                  " tokens: the kernel sums converge slowly; expect large sampling errors");
  return out;
}

void check_nesting(const std::string& text, const std::string& file) {
  int depth = 0, line = 1, col = 0;
  enum { code, comment, basic, literal } state = code;
  for (std::size_t k = 0; k < text.size(); ++k) {
    const char ch = text[k];
    ++col;
    if (ch == '\n') {
      ++line;
      col = 0;
      if (state == comment) state = code;
      continue;
    }
    switch (state) {
      case comment:
        break;
      case basic:
        if (ch == '\\')
          ++k, ++col;
        else if (ch == '"')
          state = code;
        break;
      case literal:
        if (ch == '\'') state = code;
        break;
      case code:
        if (ch == '#') state = comment;
        if (ch == '"') state = basic;
        if (ch == '\'') state = literal;
        if (ch == '[' || ch == '{') {
          if (++depth > max_toml_depth)
            throw InputError(
                file, line, col, "",
                "arrays or inline tables nested deeper than " + std::to_string(max_toml_depth) + " levels");
        }
        if ((ch == ']' || ch == '}') && depth > 0) --depth;
        break;
    }
  }
}

}  // namespace attnpde
