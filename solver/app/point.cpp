#include "solver/app/point.hpp"

#include <petscsys.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "attention/continuous.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/layers.hpp"
#include "solver/app/distributed_tokens.hpp"
#include "solver/app/manifest.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The manifest section of a kernel: its kind, and for the truncated kernel its size and
// neglected-weight bounds.
Json kernel_json(const AttentionKernel& kernel, const ColumnWeights& weights) {
  Json kern = Json::object().set("kind", kernel.name());
  const AttentionKernel* base = &kernel;
  if (const auto* split = dynamic_cast<const RowSplitKernel*>(base)) {
    kern.set("row_split_ranks", split->ranks());
    base = &split->inner();
  }
  if (const auto* tk = dynamic_cast<const TruncatedKernel*>(base))
    set_truncated_kernel(kern,
                         {tk->cutoff(), tk->nonzeros(), tk->mean_neighbours(), tk->neglected_bound(weights.data()),
                          tk->tail_fraction(), tk->float32_weights(), tk->build_seconds()});
  return kern;
}
}  // namespace

void require_finite(const std::vector<double>& v, const Tokens& tokens, const std::string& what, MPI_Comm comm,
                    const std::vector<long>* ids) {
  std::string message;
  for (std::size_t e = 0; e < v.size() && message.empty(); ++e) {
    if (std::isfinite(v[e])) continue;
    const std::size_t j = e % tokens.size();
    std::string at = "(";
    for (int d = 0; d < tokens.dim; ++d) at += (d ? ", " : "") + std::to_string(tokens.coord[d][j]);
    const char* value = std::isnan(v[e]) ? "NaN" : (v[e] > 0 ? "inf" : "-inf");
    const long number = ids ? (*ids)[j] : static_cast<long>(j);
    message = what + " is " + value + " at token " + std::to_string(number) + " " + at + ")";
  }
  const int ranks = row_ranks(comm);
  int rank = 0;
  if (ranks == 1) {
    if (!message.empty()) throw NonFiniteError(message);
    return;
  }
  // The first rank with a non-finite value tells the others its message.
  MPI_Comm_rank(comm, &rank);
  int first = message.empty() ? ranks : rank;
  MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == ranks) return;
  int length = static_cast<int>(message.size());
  MPI_Bcast(&length, 1, MPI_INT, first, comm);
  message.resize(static_cast<std::size_t>(length));
  MPI_Bcast(message.data(), length, MPI_CHAR, first, comm);
  throw NonFiniteError(message);
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

PointResult point_header(const Problem& prob, const PointSpec& spec) {
  PointResult r;
  r.n = spec.n;
  r.sigma = spec.sigma;
  r.tau = prob.config().tau;
  r.layers = spec.layers;
  r.t = prob.layer_time(spec.layers, spec.sigma);
  r.seed = spec.seed;
  r.on_path = spec.on_path;
  return r;
}

PointSpec run_spec(const Case& c, bool progress) {
  PointSpec spec;
  spec.n = c.n;
  spec.sigma = c.sigma;
  spec.layers = c.layers;
  spec.seed = c.seed;
  spec.progress = progress;
  return spec;
}

PointResult run_point(const Problem& prob, const PointSpec& spec, const PdeAtTokens& pde, PointObserver* observer,
                      PointDetails* details) {
  const Case& c = prob.config();
  const auto t_start = Clock::now();
  PointResult r = point_header(prob, spec);

  const bool quiet = !spec.progress;
  auto t0 = Clock::now();
  // With distributed tokens (spec.boxes) this rank's tokens, their numbers, and reductions
  // over the rows of every rank.
  OwnedTokens owned;
  const MPI_Comm rows = spec.boxes ? PETSC_COMM_WORLD : MPI_COMM_SELF;
  std::vector<double> u0;
  {
    const Phase phase("sampling " + std::to_string(spec.n) + " tokens", quiet);
    if (spec.boxes)
      owned = sample_owned(prob, spec.n, spec.seed, *spec.boxes, rows);
    else
      owned.tokens = prob.sample(spec.n, spec.seed);
    u0 = prob.initial_values(owned.tokens);
  }
  const Tokens& tokens = owned.tokens;
  const auto require_finite_at = [&](const std::vector<double>& v, const std::string& what) {
    require_finite(v, tokens, what, rows, spec.boxes ? &owned.ids : nullptr);
  };
  require_finite_at(u0, "initial.u0 at the tokens");
  const double sampling_seconds = since(t0);
  t0 = Clock::now();
  std::vector<double> lu;
  {
    const Phase phase("generator reference L_gamma u0 at the tokens", quiet);
    lu = prob.generator_reference(tokens);
  }
  require_finite_at(lu, "the generator reference L_gamma u0 (density.expr and initial.u0)");
  const double reference_seconds = since(t0);

  // Kernel, weights, T1.
  t0 = Clock::now();
  std::unique_ptr<AttentionKernel> kernel;
  ColumnWeights weights;
  {
    const Phase phase("attention kernel and normalization weights", quiet);
    kernel = spec.boxes ? make_distributed_kernel(prob, owned, spec.sigma, spec.layers, *spec.boxes, rows)
                        : prob.make_kernel(tokens, spec.sigma, spec.layers);
    weights = prob.weights(*kernel);
  }
  r.sinkhorn_converged = weights.converged;
  r.sinkhorn_iterations = weights.iterations;
  r.sinkhorn_error = weights.marginal_error;
  const SplitErrors gen = prob.generator_error(*kernel, tokens, spec.sigma, weights, u0, lu);
  if (!std::isfinite(gen.interior.l2) || !std::isfinite(gen.boundary.l2))
    throw NonFiniteError("the generator (A u0 - u0)/(c sigma^2) is not finite at sigma = " +
                         std::to_string(spec.sigma));
  r.generator = gen.interior;
  r.generator_boundary = gen.boundary;

  // Layers (or the ODE) with the observer's frames; the PDE is asked for t at each frame
  // and at t_K.
  double outside_seconds = 0, pde_seconds = 0, frame_pde_seconds = 0;
  std::vector<double> u_pde;
  auto pde_at = [&](double t) {
    const auto tp = Clock::now();
    u_pde = pde(t, tokens);
    require_finite_at(u_pde, "the PDE solution at t = " + std::to_string(t));
    pde_seconds += since(tp);
  };
  auto frame = [&](int k, const std::vector<double>& u) {
    const auto tf = Clock::now();
    const double pde_before = pde_seconds;
    pde_at(prob.layer_time(k, spec.sigma));
    frame_pde_seconds += pde_seconds - pde_before;
    observer->frame(k, prob.layer_time(k, spec.sigma), tokens, owned.ids, u, u_pde);
    outside_seconds += since(tf);
  };
  const int every = observer ? std::max(1, observer->every()) : spec.layers;
  Progress progress("layer", spec.layers, !spec.progress);
  std::vector<double> u = u0;
  if (observer) frame(0, u0);
  OdeStats ode;
  if (c.depth == Depth::continuous) {
    // The same frames at t_k, reached by the error-controlled ODE.
    int k_prev = 0;
    for (int k = std::min(every, spec.layers); k > 0 && k_prev < spec.layers;
         k_prev = k, k = std::min(k + every, spec.layers)) {
      integrate_continuous(*kernel, spec.sigma, weights.data(), prob.constant(), prob.layer_time(k_prev, spec.sigma),
                           prob.layer_time(k, spec.sigma), c.ode_rtol, c.ode_atol, u, ode);
      require_finite_at(u, "u at layer time " + std::to_string(prob.layer_time(k, spec.sigma)));
      if (observer) frame(k, u);
      progress.update(k);
    }
  } else {
    run_layers(
        *kernel, c.tau, spec.layers, u,
        [&](int k, const std::vector<double>& uk) {
          require_finite_at(uk, "u after layer " + std::to_string(k));
          if (observer && (k % every == 0 || k == spec.layers)) frame(k, uk);
          progress.update(k);
        },
        weights.data());
  }
  const double attention_seconds = since(t0) - outside_seconds;
  if (!observer) pde_at(r.t);  // with an observer the last frame was at t_K

  const SplitErrors dyn = prob.split_errors(u, u_pde, tokens, spec.sigma, rows);
  r.dynamics = dyn.interior;
  r.dynamics_boundary = dyn.boundary;
  r.boundary_tokens = dyn.boundary_tokens;
  r.seconds = since(t_start);

  if (details) {
    // Exact identity (docs/theory.md section 2): sum_i c_i u_i with c_i = w_i (K w)_i
    // (the degrees for softmax) is conserved by every layer; summed over the components
    // of a vector field, each of which conserves its own.
    const std::vector<double> conserved = conserved_weights(*kernel, weights);
    const std::size_t n = tokens.size();
    details->mass_initial = details->mass_final = 0;
    for (std::size_t e = 0; e < u.size(); ++e) {
      details->mass_initial += conserved[e % n] * u0[e];
      details->mass_final += conserved[e % n] * u[e];
    }
    double mass[2] = {details->mass_initial, details->mass_final};
    reduce_over_rows(mass, 2, MPI_DOUBLE, MPI_SUM, rows);
    details->mass_initial = mass[0];
    details->mass_final = mass[1];
    const auto* distributed = dynamic_cast<const DistributedKernel*>(kernel.get());
    details->kernel = distributed ? distributed_kernel_json(*distributed, weights.w) : kernel_json(*kernel, weights);
    details->normalization = Json::object().set("kind", normalization_name(c.normalization.kind));
    if (c.normalization.kind == NormalizationKind::sinkhorn)
      details->normalization.set("iterations", weights.iterations)
          .set("marginal_error", weights.marginal_error)
          .set("converged", weights.converged);
    details->depth = Json::object().set("kind", c.depth == Depth::continuous ? "continuous" : "layers");
    if (c.depth == Depth::continuous)
      details->depth.set("ode_steps", ode.steps).set("rhs_evaluations", ode.rhs_evaluations);
    details->timings = Json::object()
                           .set("sampling", sampling_seconds)
                           .set("generator_reference", reference_seconds)
                           .set("attention", attention_seconds)
                           .set("pde", pde_seconds)
                           .set("frames", outside_seconds - frame_pde_seconds);
    details->tokens = tokens;
    details->ids = owned.ids;
    details->u0 = u0;
    details->u = std::move(u);
    details->u_pde = std::move(u_pde);
  }
  return r;
}

}  // namespace attnpde
