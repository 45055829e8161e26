#include "solver/app/case_keys.hpp"

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
  s.required_by = def.empty() ? all_commands : no_command;
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
  s.required_by = no_command;
  s.default_doc = std::move(default_doc);
  return s;
}

// The commands that read a key; a required key is required by these.
KeySpec used(KeySpec s, Commands by) {
  s.used_by = by;
  s.required_by &= by;
  return s;
}

// Required by these commands only (a key without a default that others do not need).
KeySpec required(KeySpec s, Commands by) {
  s.required_by = by;
  s.default_doc = "required by " + s.commands_doc(by);
  return s;
}

// Accepted by the commands that use it only; the others refuse it.
KeySpec exclusive(KeySpec s) {
  s.exclusive = true;
  return s;
}

KeySpec unit(KeySpec s, std::string u) {
  s.unit = std::move(u);
  return s;
}

const Commands R = command_bit(Purpose::run), S = command_bit(Purpose::study), P = command_bit(Purpose::pde),
               Q = command_bit(Purpose::probe), X = command_bit(Purpose::spectrum), L = command_bit(Purpose::learn);

std::vector<KeySpec> make_keys() {
  using T = KeyType;
  return {
      choice(
          spec("domain", "kind", T::string, "\"torus\"",
               "Domain: `torus` = the flat torus [0, 2 pi)^dim, minimum-image distances; `box` = [0, 1]^dim, "
               "tokens inside, zero-flux limit (errors split into interior and boundary layer); `space` = R^dim "
               "with Gaussian tokens N(density.mean, density.cov), for `score = \"dot\"` (`probe`, and `run` without "
               "a PDE), or for token transport with the metric score (docs/theory.md section 6); `sphere` = the unit "
               "sphere S^(dim-1) in R^dim (dim 2 or 3; tokens as ambient points, M = I; limit: the weighted "
               "Laplace-Beltrami operator, docs/theory.md section 9)."),
          {"torus", "box", "space", "sphere"}),
      ranged(spec("domain", "dim", T::integer, "", "Space dimension n."), 1, 3),
      spec("density", "expr", T::expression, "\"1\"",
           "Token density p(x, y, z) up to a constant (normalized numerically); must be > 0 everywhere (on the "
           "sphere: in the ambient coordinates, > 0 on the sphere)."),
      choice(used(spec("density", "sampler", T::string, "\"random\"",
                       "`random`: i.i.d. rejection sampling (seeded); `quasi`: shifted rank-1 lattice mapped "
                       "through the inverse Rosenblatt transform of p (smooth p only); on the circle the lattice "
                       "through the inverse CDF in arc length, on S^2 the spherical Fibonacci lattice (uniform p)."),
                  R | S | Q | X | L),
             {"random", "quasi"}),
      computed(used(spec("density", "mean", T::real_array, "",
                         "`space` only: mean mu of the Gaussian tokens (dim entries)."),
                    R | S | Q),
               "zeros"),
      computed(used(spec("density", "cov", T::real_matrix, "",
                         "`space` only: covariance Sigma of the Gaussian tokens (dim x dim, SPD)."),
                    R | S | Q),
               "identity"),
      ranged(required(used(spec("tokens", "n", T::integer, "", "Number of tokens N."), R | Q | X | L), R | Q | X | L),
             2, 1e9),
      ranged(used(spec("tokens", "seed", T::integer, "1",
                       "Seed of the sampler (study and learn repetitions use seed, seed+1, ...)."),
                  R | S | Q | X | L),
             0, 9.2e18),
      choice(used(spec("tokens", "distribution", T::string, "\"replicated\"",
                       "`run` and `study` on several MPI ranks: `replicated` (every rank holds all tokens and computes "
                       "its block "
                       "of rows; any domain and option) or `distributed` (each rank holds the tokens of its box, "
                       "aligned with its part of the PDE grid: O(N / P) memory per rank; the truncated kernel "
                       "exchanges the halo within the search radius, the dense kernel gathers key blocks; the "
                       "attention values equal one rank's bit for bit; token outputs carry a `token` number; torus "
                       "or box, metric score, layers, no transport, no spectrum study)."),
                  R | S),
             {"replicated", "distributed"}),
      choice(used(spec("attention", "score", T::string, "\"metric\"",
                       "Score rho: `metric` = d_M(x, y)^beta; `dot` = -x^T B y at temperature eps. In `space` "
                       "(`probe`; `run` evolves the values without a PDE: no diffusion limit, docs/theory.md "
                       "section 5); on the sphere with B = b I it is metric attention with beta = 2 and "
                       "sigma = sqrt(2 eps / b) (`run`, `study`; section 9)."),
                  R | S | Q),
             {"metric", "dot"}),
      computed(used(spec("attention", "B", T::real_matrix, "",
                         "`dot` score: the matrix B = W_Q^T W_K / sqrt(d) (dim x dim; on the sphere b I, b > 0)."),
                    R | S | Q),
               "identity"),
      ranged(
          unit(used(spec("attention", "eps", T::real, "1", "`dot` score: temperature eps."), R | S | Q), "score units"),
          0, inf, true),
      computed(spec("attention", "metric", T::real_matrix, "",
                    "Learned metric M (dim x dim, symmetric positive definite); the limit has G = M^-1."),
               "identity"),
      ranged(spec("attention", "beta", T::real, "2", "Exponent beta of the distance; eps = sigma^beta."), 0, 64, true),
      choice(used(spec("attention", "distance", T::string, "\"chordal\"",
                       "On the sphere: `chordal` = |x - y| (the ambient distance), `geodesic` = the arc length "
                       "2 asin(|x - y| / 2). Both have the same limit; elsewhere only `chordal` (d_M)."),
                  R | S),
             {"chordal", "geodesic"}),
      ranged(unit(required(used(spec("attention", "sigma", T::real, "",
                                     "Kernel width sigma; `pde` needs it only when `pde.t_end` = 0 (the horizon t_K)."),
                                R | P | Q | X | L),
                           R | Q | X | L),
                  "length (d_M)"),
             0, inf, true),
      choice(spec("attention", "normalization", T::string, "\"softmax\"",
                  "`softmax` (limit gamma = 2), `alpha` (w_j = q_j^-alpha, gamma = 2 (1 - alpha)), `sinkhorn` "
                  "(doubly stochastic, gamma = 1)."),
             {"softmax", "alpha", "sinkhorn"}),
      ranged(
          spec("attention", "alpha", T::real, "1", "alpha of the `alpha` normalization (1: gamma = 0, div(G grad u))."),
          0, 1),
      ranged(used(spec("attention", "sinkhorn_tol", T::real, "1e-12", "Sinkhorn tolerance on max_i |s_i (K s)_i - 1|."),
                  R | S | Q | X),
             0, 1, true, true),
      ranged(used(spec("attention", "sinkhorn_max_iter", T::integer, "2000", "Sinkhorn iteration cap."), R | S | Q | X),
             1, 1e6),
      ranged(used(spec("attention", "tau", T::real, "0.5", "Residual step: u <- u + tau (A u - u)."), R | S | P | L), 0,
             1, true),
      choice(used(spec("attention", "depth", T::string, "\"layers\"",
                       "`layers`: K residual layers; `continuous`: du/dt = (A u - u)/(c sigma^2) to the same t_K with "
                       "Odeint (Dormand-Prince 5(4), error controlled)."),
                  R | S),
             {"layers", "continuous"}),
      ranged(used(spec("attention", "ode_rtol", T::real, "1e-8", "Relative tolerance of the continuous-depth ODE."),
                  R | S),
             0, 1, true, true),
      ranged(
          unit(used(spec("attention", "ode_atol", T::real, "1e-10", "Absolute tolerance of the continuous-depth ODE."),
                    R | S),
               "u"),
          0, 1, true, true),
      choice(used(spec("attention", "precision", T::string, "\"float64\"",
                       "Kernel arithmetic: `float64`, or `float32` displacements, logits and exp with float64 sums "
                       "(beta = 2 only; A u within 1e-5 relative); the truncated kernel then stores its weights in "
                       "float32 (8 instead of 12 bytes per pair)."),
                  R | S | X),
             {"float64", "float32"}),
      choice(
          used(spec("attention", "kernel", T::string, "\"auto\"",
                    "`dense` (all pairs, exact), `truncated` (neighbours within d_M <= cutoff sigma from a k-d tree, "
                    "assembled once; float64 weights, or float32 with `precision = \"float32\"` and wherever the "
                    "reported neglected-weight bound is at least twice the float32 rounding), or `auto`: truncated "
                    "when its build and applications cost less than the dense applications (expected neighbours, "
                    "layers) and its typical neglected weight is below "
                    "1e-9, else dense."),
               R | S | X | L),
          {"auto", "dense", "truncated"}),
      ranged(unit(used(spec("attention", "cutoff", T::real, "5",
                            "Truncated kernel: keep pairs with d_M <= cutoff sigma; each dropped weight is below "
                            "exp(-cutoff^beta), the bound on the neglected row weight is in the manifest."),
                       R | S | X | L),
                  "sigma"),
             0, inf, true),
      choice(used(spec("attention", "transport", T::string, "\"none\"",
                       "Token transport: the values are the positions and the tokens move every layer. `attract`: x <- "
                       "x + tau (A x - x) (blurring mean shift, tokens cluster); `repel`: the opposite sign (the token "
                       "density follows the heat equation, docs/theory.md section 6). `true` means `attract`, `false` "
                       "`none`. `run` and `study` (studies need a reference: Gaussian tokens in `space`, or `repel` "
                       "on the torus)."),
                  R | S),
             {"none", "attract", "repel"}),
      ranged(used(spec("attention", "layers", T::integer, "10", "Number of layers K; t_K = K tau c sigma^2."),
                  R | S | P | L),
             0, 1e7),
      computed(
          used(spec("initial", "u0", T::expression, "",
                    "Initial values u0(x, y, z) of tokens and grid; an array of expressions makes u a vector (each "
                    "component evolves by the same A and the same PDE; errors are taken over all components)."),
               R | S | P),
          "required by run, study and pde (not by token transport)"),
      ranged(computed(used(spec("pde", "grid", T::integer_array, "",
                                "Grid nodes per direction (dim entries; on the circle one: the arc length theta; "
                                "S^2 has no grid, its reference is spectral)."),
                           R | S | P | X | L),
                      "64 per direction"),
             8, 1 << 14),
      ranged(unit(used(spec("pde", "dt", T::real, "0",
                            "Time step; 0 = automatic (0.1 h / lambda_max(G)). -ts_dt overrides."),
                       R | S | P | L),
                  "time"),
             0, inf),
      ranged(
          used(spec("pde", "rtol", T::real, "1e-10", "Relative tolerance of the linear solves (KSP)."), R | S | P | L),
          0, 1, true, true),
      ranged(unit(used(spec("pde", "atol", T::real, "1e-14", "Absolute tolerance of the linear solves (KSP)."),
                       R | S | P | L),
                  "u"),
             0, inf),
      computed(
          exclusive(used(spec("pde", "metric_field", T::expression_matrix, "",
                              "`attnpde pde` only: G(x) as dim x dim expressions, SPD at every face; replaces M^-1."),
                         P)),
          "none (G = M^-1)"),
      computed(
          exclusive(used(spec("pde", "drift", T::expression_array, "",
                              "`attnpde pde` only: extra drift b(x) (dim expressions) of du/dt = L u + b . grad u."),
                         P)),
          "none (b = 0)"),
      ranged(
          unit(used(spec("pde", "t_end", T::real, "0", "Final time of `attnpde pde`; 0 = t_K = layers tau c sigma^2."),
                    P),
               "time"),
          0, inf),
      ranged(used(spec("pde", "frames", T::integer, "10", "Frames written by `attnpde pde` after the initial one."), P),
             1, 1e6),
      ranged(used(spec("study", "n", T::integer_array, "[]", "Token counts N of the study."), S), 2, 1e9),
      ranged(unit(used(spec("study", "sigma", T::real_array, "[]", "Kernel widths; every (N, sigma) pair is run."), S),
                  "length (d_M)"),
             0, inf, true),
      choice(used(spec("study", "path", T::string, "\"none\"",
                       "`optimal` adds the path sigma = path_scale N^(-1/(dim+6)) for every N."),
                  S),
             {"none", "optimal"}),
      ranged(
          unit(used(spec("study", "path_scale", T::real, "1", "Constant C of the optimal path."), S), "length (d_M)"),
          0, inf, true),
      ranged(
          unit(used(spec("study", "time", T::real, "0",
                         "Fixed horizon t: each point runs round(t / (tau c sigma^2)) layers; 0 = attention.layers."),
                    S),
               "time"),
          0, inf),
      ranged(used(spec("study", "seeds", T::integer, "3", "Repetitions (token draws) per study point."), S), 1, 10000),
      choice(used(spec("study", "measure", T::string, "\"layers\"",
                       "What every study point measures: `layers` = the generator (T1) and dynamics (T2) errors; "
                       "`spectrum` = the eigenvalue and eigenvector errors of `attnpde spectrum`, fitted per "
                       "eigenvalue cluster (T6); `circle_law` = the growth rates of the Fourier modes of tokens "
                       "on the circle moved by dot-product attention at each study.inverse_temperature (T7, "
                       "docs/theory.md section 9); `clusters` = a clustering phase diagram of dot-product transport "
                       "on the sphere over study.inverse_temperature and the seeds (clusters.csv, phase.csv)."),
                  S),
             {"layers", "spectrum", "circle_law", "clusters"}),
      ranged(used(spec("study", "inverse_temperature", T::real_array, "[]",
                       "`circle_law`, `clusters`: the inverse temperatures beta = 1 / eps of the dot score (B = I) "
                       "on the sphere."),
                  S),
             0, 1e3, true),
      ranged(used(spec("spectrum", "count", T::integer, "10",
                       "Eigenpairs m of `attnpde spectrum`: the m smallest eigenvalues of -(A - I)/(c sigma^2) and of "
                       "the FD operator."),
                  S | X),
             1, 1000),
      ranged(used(spec("spectrum", "tol", T::real, "1e-10", "SLEPc's relative residual tolerance."), S | X), 0, 1, true,
             true),
      ranged(computed(
                 used(spec("probe", "grid", T::integer_array, "", "Query points per direction of `attnpde probe`."), Q),
                 "16 per direction"),
             1, 4096),
      ranged(exclusive(used(spec("learn", "fields", T::integer, "8",
                                 "Training fields J: random smooth u0 (Fourier modes up to learn.modes, seeded) "
                                 "evolved by the limit PDE of attention.metric (the planted M*), observed at the "
                                 "tokens after every layers / snapshots layers."),
                            L)),
             1, 1000),
      ranged(exclusive(used(spec("learn", "heldout", T::integer, "4",
                                 "Held-out fields (never trained on; their loss is against the noise-free data)."),
                            L)),
             1, 1000),
      ranged(exclusive(used(spec("learn", "snapshots", T::integer, "4",
                                 "Observation times t_k = k (layers / snapshots) tau c sigma^2, k = 1 .. snapshots "
                                 "(attention.layers must be a multiple)."),
                            L)),
             1, 1000),
      ranged(exclusive(used(spec("learn", "modes", T::integer, "2",
                                 "Largest wave number |k_i| of the random fields (coefficients N(0, 1) / |k|^2)."),
                            L)),
             1, 16),
      ranged(exclusive(used(spec("learn", "noise", T::real_array, "[0.0]",
                                 "Relative noise levels: Gaussian noise of standard deviation level x RMS(data) "
                                 "added to the training observations; one set of trainings per level."),
                            L)),
             0, 10),
      ranged(exclusive(used(spec("learn", "seeds", T::integer, "1",
                                 "Repetitions: seed s draws tokens (tokens.seed + s), fields and noise."),
                            L)),
             1, 1000),
      choice(exclusive(used(spec("learn", "models", T::string, "\"both\"",
                                 "`metric`: metric-attention (M = W^T W learned); `dot`: the baseline "
                                 "phi(x)^T W_Q^T W_K phi(y) / sqrt(r) with phi = (cos x_k, sin x_k) (torus only); "
                                 "`both`: the two on the same data and budget."),
                            L)),
             {"both", "metric", "dot"}),
      choice(exclusive(used(spec("learn", "optimizer", T::string, "\"lbfgs\"",
                                 "`lbfgs` (LBFGS++, strong Wolfe line search) or `adam`."),
                            L)),
             {"lbfgs", "adam"}),
      ranged(exclusive(used(spec("learn", "evaluations", T::integer, "100",
                                 "Budget of loss-and-gradient evaluations per training (the same for every model)."),
                            L)),
             1, 1e6),
      ranged(exclusive(used(spec("learn", "rate", T::real, "0.01", "Adam step size."), L)), 0, inf, true),
      ranged(exclusive(used(spec("learn", "tolerance", T::real, "1e-9",
                                 "L-BFGS stops when |gradient| <= tolerance max(1, |theta|)."),
                            L)),
             0, 1),
      computed(exclusive(used(spec("learn", "initial", T::real_matrix, "",
                                   "Starting metric of metric-attention (dim x dim SPD); the baseline starts at the "
                                   "same kernel near the diagonal (B = (2 / sigma^2) m I, m the mean eigenvalue)."),
                              L)),
               "identity"),
      ranged(computed(exclusive(used(spec("learn", "dot_rank", T::integer, "",
                                          "Rows r of the baseline's W_Q and W_K (each r x 2 dim)."),
                                     L)),
                      "2 dim"),
             1, 64),
      computed(spec("verify", "target", T::string, "",
                    "`attnpde verify` only: the target this case checks (T0-T8 of docs/theory.md section 7)."),
               "none"),
      computed(spec("verify", "title", T::string, "", "`attnpde verify` only: what the target shows, in a few words."),
               "the case name"),
      choice(spec("verify", "command", T::string, "\"study\"",
                  "`attnpde verify` only: the command that runs the case (`study`: its fits are checked; `probe`: "
                  "its drift and diffusion errors; `run`: T0, the conserved mass and thread independence; "
                  "`gamma`: T3, gamma of alpha = 0, 0.5, 1 and Sinkhorn fitted from the generator at study.n[0] "
                  "and each study.sigma, extrapolated to sigma = 0, within verify.max_error relative)."),
             {"study", "probe", "run", "gamma"}),
      spec("verify", "fits", T::string_array, "[]",
           "`attnpde verify` only: the study fits checked, each against the study's expected slope and rule."),
      ranged(spec("verify", "max_error", T::real, "0.05",
                  "`attnpde verify` only: probe, the largest relative drift and diffusion error that passes; run, the "
                  "largest relative change of the conserved mass."),
             0, inf, true),
      spec("verify", "full", T::boolean, "false", "`attnpde verify` only: run this target with --full only."),
      choice(spec("verify", "reference", T::string, "\"limit\"",
                  "`attnpde verify` only: the generator reference of a study target: `limit` = L_gamma u, "
                  "`conformal` = p^4 Delta_gbar u with gbar = p^4 M (T5: dim 3, softmax; docs/theory.md section 2)."),
             {"limit", "conformal"}),
      computed(spec("output", "dir", T::string, "", "Output directory (--out overrides)."), "results/<case name>"),
      used(spec("output", "vtk", T::boolean, "true",
                "Write VTK files: `run` tokens.pvd and fields.pvd, `pde` fields.pvd, `spectrum` tokens.vtu and "
                "fd_modes.vti."),
           R | P | X),
      ranged(used(spec("output", "every", T::integer, "0",
                       "Write fields every k layers (a `clusters` study: its diagnostics); 0 = about 10 frames."),
                  R | S),
             0, 1e7),
  };
}

}  // namespace

int choice_index(const KeySpec& spec, const std::string& text) {
  for (std::size_t k = 0; k < spec.choices.size(); ++k)
    if (spec.choices[k] == text) return static_cast<int>(k);
  return -1;
}

const std::vector<KeySpec>& case_keys() {
  static const std::vector<KeySpec> keys = make_keys();
  return keys;
}

const KeySpec* find_key(const std::string& section, const std::string& key) {
  for (const auto& k : case_keys())
    if (k.section == section && k.key == key) return &k;
  return nullptr;
}

}  // namespace attnpde
