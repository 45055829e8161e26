#include "solver/app/case_checks.hpp"

#include <cfloat>
#include <cmath>
#include <sstream>

#include "attention/constants.hpp"
#include "attention/expression.hpp"
#include "attention/kernel_truncated.hpp"

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

std::vector<double> sigmas_used(const Case& c) {
  std::vector<double> s;
  if (c.sigma > 0) s.push_back(c.sigma);
  if (c.purpose == Purpose::study) {
    s.insert(s.end(), c.study_sigma.begin(), c.study_sigma.end());
    if (c.study_path == StudyPath::optimal)
      for (long n : c.study_n) s.push_back(optimal_sigma(n, c.dim, c.study_path_scale));
  }
  return s;
}

void check_derived(const Case& c, double g_max, const FailAt& fail_at) {
  const double cst = generator_constant(c.beta, c.dim);
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
  for_each_grid_point(c, [&](const double* x) {
    for (const auto& item : list) {
      const double v = item.e.at(x, c.dim);
      if (!std::isfinite(v))
        fail_at(item.key, "expression \"" + item.e.text() + "\" is " + num(v) + " at " + at_point(x, c.dim) +
                              " (a grid point of the PDE)");
      if (item.positive && !(v > 0))
        fail_at(item.key, "density must be positive everywhere; at " + at_point(x, c.dim) + " it is " + num(v));
    }
  });
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
  const double volume = std::pow(c.domain.length(), c.dim);
  const double spacing = std::pow(volume * std::sqrt(c.metric.determinant()) / static_cast<double>(n_min), 1.0 / c.dim);
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
