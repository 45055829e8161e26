#include "solver/case_keys.hpp"

#include <cmath>
#include <sstream>

namespace attnpde {

namespace {

const double inf = std::numeric_limits<double>::infinity();

KeySpec spec(std::string section, std::string key, KeyType type, std::string def, std::string doc) {
  KeySpec s;
  s.section = std::move(section);
  s.key = std::move(key);
  s.type = type;
  s.required = def.empty();
  s.default_toml = def;
  s.default_doc = def.empty() ? "required" : def;
  s.doc = std::move(doc);
  return s;
}

KeySpec ranged(KeySpec s, double min, double max, bool min_open = false, bool max_open = false) {
  s.min = min;
  s.max = max;
  s.min_open = min_open;
  s.max_open = max_open;
  return s;
}

KeySpec choice(KeySpec s, std::vector<std::string> choices) {
  s.choices = std::move(choices);
  return s;
}

KeySpec computed(KeySpec s, std::string default_doc) {
  s.required = false;
  s.default_doc = std::move(default_doc);
  return s;
}

std::vector<KeySpec> make_keys() {
  using T = KeyType;
  return {
      choice(spec("domain", "kind", T::string, "\"torus\"",
                  "Domain: `torus` = the flat torus [0, 2 pi)^dim, minimum-image distances; `box` = [0, 1]^dim, "
                  "tokens inside, zero-flux limit (errors split into interior and boundary layer); `space` = R^dim "
                  "with Gaussian tokens N(density.mean, density.cov), for `score = \"dot\"` with `attnpde probe`."),
             {"torus", "box", "space"}),
      ranged(spec("domain", "dim", T::integer, "", "Space dimension n."), 1, 3),
      spec("density", "expr", T::expression, "\"1\"",
           "Token density p(x, y, z) up to a constant (normalized numerically); must be > 0 everywhere."),
      choice(spec("density", "sampler", T::string, "\"random\"",
                  "`random`: i.i.d. rejection sampling (seeded); `quasi`: shifted rank-1 lattice mapped "
                  "through the inverse Rosenblatt transform of p (smooth p only)."),
             {"random", "quasi"}),
      computed(
          spec("density", "mean", T::real_array, "", "`space` only: mean mu of the Gaussian tokens (dim entries)."),
          "zeros"),
      computed(spec("density", "cov", T::real_matrix, "",
                    "`space` only: covariance Sigma of the Gaussian tokens (dim x dim, SPD)."),
               "identity"),
      ranged(spec("tokens", "n", T::integer, "", "Number of tokens N."), 2, 1e9),
      ranged(spec("tokens", "seed", T::integer, "1", "Seed of the sampler (study repetitions use seed, seed+1, ...)."),
             0, 9.2e18),
      choice(spec("attention", "score", T::string, "\"metric\"",
                  "Score rho: `metric` = d_M(x, y)^beta; `dot` = -x^T B y at temperature eps (domain `space`, "
                  "`attnpde probe` only: no diffusion limit, THEORY.md section 5)."),
             {"metric", "dot"}),
      computed(
          spec("attention", "B", T::real_matrix, "", "`dot` score: the matrix B = W_Q^T W_K / sqrt(d) (dim x dim)."),
          "identity"),
      ranged(spec("attention", "eps", T::real, "1", "`dot` score: temperature eps."), 0, inf, true),
      computed(spec("attention", "metric", T::real_matrix, "",
                    "Learned metric M (dim x dim, symmetric positive definite); the limit has G = M^-1."),
               "identity"),
      ranged(spec("attention", "beta", T::real, "2", "Exponent beta of the distance; eps = sigma^beta."), 0, 64, true),
      ranged(spec("attention", "sigma", T::real, "", "Kernel width sigma."), 0, inf, true),
      choice(spec("attention", "normalization", T::string, "\"softmax\"",
                  "`softmax` (limit gamma = 2), `alpha` (w_j = q_j^-alpha, gamma = 2 (1 - alpha)), `sinkhorn` "
                  "(doubly stochastic, gamma = 1)."),
             {"softmax", "alpha", "sinkhorn"}),
      ranged(
          spec("attention", "alpha", T::real, "1", "alpha of the `alpha` normalization (1: gamma = 0, div(G grad u))."),
          0, 1),
      ranged(spec("attention", "sinkhorn_tol", T::real, "1e-12", "Sinkhorn tolerance on max_i |s_i (K s)_i - 1|."), 0,
             1, true, true),
      ranged(spec("attention", "sinkhorn_max_iter", T::integer, "2000", "Sinkhorn iteration cap."), 1, 1e6),
      ranged(spec("attention", "tau", T::real, "0.5", "Residual step: u <- u + tau (A u - u)."), 0, 1, true),
      choice(spec("attention", "depth", T::string, "\"layers\"",
                  "`layers`: K residual layers; `continuous`: du/dt = (A u - u)/(c sigma^2) to the same t_K with "
                  "Odeint (Dormand-Prince 5(4), error controlled)."),
             {"layers", "continuous"}),
      ranged(spec("attention", "ode_rtol", T::real, "1e-8", "Relative tolerance of the continuous-depth ODE."), 0, 1,
             true, true),
      ranged(spec("attention", "ode_atol", T::real, "1e-10", "Absolute tolerance of the continuous-depth ODE."), 0, 1,
             true, true),
      choice(spec("attention", "precision", T::string, "\"float64\"",
                  "Kernel arithmetic: `float64`, or `float32` displacements, logits and exp with float64 sums "
                  "(beta = 2 only; A u within 1e-5 relative)."),
             {"float64", "float32"}),
      choice(spec("attention", "kernel", T::string, "\"auto\"",
                  "`dense` (all pairs, exact), `truncated` (neighbours within d_M <= cutoff sigma from a k-d tree, "
                  "assembled once; float64), or `auto`: truncated when N >= 20000 and the expected neighbours are at "
                  "most N/10, else dense."),
             {"auto", "dense", "truncated"}),
      ranged(spec("attention", "cutoff", T::real, "5",
                  "Truncated kernel: keep pairs with d_M <= cutoff sigma; each dropped weight is below "
                  "exp(-cutoff^beta), the bound on the neglected row weight is in the manifest."),
             0, inf, true),
      spec("attention", "transport", T::boolean, "false",
           "Token transport: the values are the positions and the tokens move every layer (blurring mean shift); "
           "`run` only, no PDE."),
      ranged(spec("attention", "layers", T::integer, "10", "Number of layers K; t_K = K tau c sigma^2."), 0, 1e7),
      computed(spec("initial", "u0", T::expression, "",
                    "Initial values u0(x, y, z) of tokens and grid; an array of expressions makes u a vector (each "
                    "component evolves by the same A and the same PDE; errors are taken over all components)."),
               "required by run, study and pde (not by probe or token transport)"),
      ranged(computed(spec("pde", "grid", T::integer_array, "", "Grid nodes per direction (dim entries)."),
                      "64 per direction"),
             8, 1 << 14),
      ranged(spec("pde", "dt", T::real, "0", "Time step; 0 = automatic (0.1 h / lambda_max(G)). -ts_dt overrides."), 0,
             inf),
      ranged(spec("pde", "rtol", T::real, "1e-10", "Relative tolerance of the linear solves (KSP)."), 0, 1, true, true),
      ranged(spec("pde", "atol", T::real, "1e-14", "Absolute tolerance of the linear solves (KSP)."), 0, inf),
      computed(spec("pde", "metric_field", T::expression_matrix, "",
                    "`attnpde pde` only: G(x) as dim x dim expressions, SPD at every face; replaces M^-1."),
               "none (G = M^-1)"),
      computed(spec("pde", "drift", T::expression_array, "",
                    "`attnpde pde` only: extra drift b(x) (dim expressions) of du/dt = L u + b . grad u."),
               "none (b = 0)"),
      ranged(spec("pde", "t_end", T::real, "0", "Final time of `attnpde pde`; 0 = t_K = layers tau c sigma^2."), 0,
             inf),
      ranged(spec("pde", "frames", T::integer, "10", "Frames written by `attnpde pde` after the initial one."), 1, 1e6),
      ranged(spec("study", "n", T::integer_array, "[]", "Token counts N of the study."), 2, 1e9),
      ranged(spec("study", "sigma", T::real_array, "[]", "Kernel widths; every (N, sigma) pair is run."), 0, inf, true),
      choice(spec("study", "path", T::string, "\"none\"",
                  "`optimal` adds the path sigma = path_scale N^(-1/(dim+6)) for every N."),
             {"none", "optimal"}),
      ranged(spec("study", "path_scale", T::real, "1", "Constant C of the optimal path."), 0, inf, true),
      ranged(spec("study", "time", T::real, "0",
                  "Fixed horizon t: each point runs round(t / (tau c sigma^2)) layers; 0 = attention.layers."),
             0, inf),
      ranged(spec("study", "seeds", T::integer, "3", "Repetitions (token draws) per study point."), 1, 10000),
      ranged(computed(spec("probe", "grid", T::integer_array, "", "Query points per direction of `attnpde probe`."),
                      "16 per direction"),
             1, 4096),
      computed(spec("output", "dir", T::string, "", "Output directory (--out overrides)."), "results/<case name>"),
      spec("output", "vtk", T::boolean, "true", "Write VTK files (tokens.pvd, fields.pvd) of `run`."),
      ranged(spec("output", "every", T::integer, "0", "Write fields every k layers; 0 = about 10 frames."), 0, 1e7),
  };
}

std::string number_text(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

const std::vector<KeySpec>& case_keys() {
  static const std::vector<KeySpec> keys = make_keys();
  return keys;
}

const KeySpec* find_key(const std::string& section, const std::string& key) {
  for (const auto& k : case_keys())
    if (k.section == section && k.key == key) return &k;
  return nullptr;
}

std::string type_name(KeyType t) {
  switch (t) {
    case KeyType::integer:
      return "integer";
    case KeyType::real:
      return "real";
    case KeyType::string:
      return "string";
    case KeyType::boolean:
      return "boolean";
    case KeyType::expression:
      return "expression";
    case KeyType::integer_array:
      return "integer array";
    case KeyType::real_array:
      return "real array";
    case KeyType::real_matrix:
      return "real matrix";
    case KeyType::expression_array:
      return "expression array";
    case KeyType::expression_matrix:
      return "expression matrix";
  }
  return "?";
}

std::string KeySpec::range_doc() const {
  if (!choices.empty()) {
    std::string s;
    for (const auto& c : choices) {
      if (!s.empty()) s += ", ";
      s += "`" + c + "`";
    }
    return s;
  }
  if (type == KeyType::string || type == KeyType::boolean || type == KeyType::expression ||
      type == KeyType::expression_array || type == KeyType::expression_matrix)
    return "";
  if (std::isinf(min) && std::isinf(max)) return "";
  std::ostringstream os;
  os << (min_open ? '(' : '[') << number_text(min) << ", " << number_text(max)
     << (max_open || std::isinf(max) ? ')' : ']');
  return os.str();
}

std::string case_keys_markdown() {
  std::ostringstream os;
  os << "| key | type | default | range | meaning |\n|---|---|---|---|---|\n";
  for (const auto& k : case_keys())
    os << "| `" << k.name() << "` | " << type_name(k.type) << " | " << k.default_doc << " | " << k.range_doc() << " | "
       << k.doc << " |\n";
  return os.str();
}

}  // namespace attnpde
