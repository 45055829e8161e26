#include "solver/app/commands.hpp"

#include <cstdio>
#include <numeric>

#include "postprocess/tables.hpp"
#include "solver/app/dot_command.hpp"
#include "solver/app/learn_command.hpp"
#include "solver/app/pde_command.hpp"
#include "solver/app/probe_command.hpp"
#include "solver/app/run_command.hpp"
#include "solver/app/spectrum_command.hpp"
#include "solver/app/study_command.hpp"
#include "solver/app/transport_command.hpp"

namespace attnpde {

namespace {

std::string run(const Case& c, const RunSettings& s) {
  std::string out;
  if (c.transport != Transport::none) {
    const auto r = run_transport(c, s);
    if (!is_root_rank()) return out;
    const bool reference = transport_reference(c) != TransportReference::none;
    appendf(out, "case %s: token transport (%s), N = %ld, sigma = %g, tau = %g, layers = %d\n", c.name.c_str(),
            c.transport == Transport::repel ? "repel" : "attract", c.n, c.sigma, c.tau, c.layers);
    appendf(out, "clusters (link sigma/10): %d -> %d; mean nearest-neighbour distance: %.4e -> %.4e\n",
            r.clusters_initial, r.clusters_final, r.nearest_initial, r.nearest_final);
    appendf(out, "velocity error at layer 0: l2 %.4e  max %.4e\n", r.point.generator.l2, r.point.generator.max);
    if (reference)
      appendf(out, "reference error after %d layers (%s): %.4e\n", c.layers,
              transport_reference(c) == TransportReference::gaussian ? "token covariance vs the Gaussian map"
                                                                     : "Fourier moments vs the heat semigroup",
              r.point.dynamics.l2);
    else
      appendf(out, "no exact reference for this transport (docs/theory.md section 6)\n");
    appendf(out, "outputs: %s/{tokens.csv,clustering.csv,%smanifest.json%s}\n", s.shown_dir.c_str(),
            reference ? "reference.csv," : "", c.vtk ? ",tokens.pvd" : "");
    return out;
  }
  if (c.score == Score::dot && c.domain.kind == DomainKind::space) {
    const auto d = run_dot_case(c, s);
    if (!is_root_rank()) return out;
    appendf(out, "case %s: dot-product attention on %ld Gaussian tokens in R^%d, eps = %g, tau = %g, layers = %d\n",
            c.name.c_str(), d.n, c.dim, d.eps, d.tau, d.layers);
    appendf(out, "no PDE beside the layers: the dot score has no diffusion limit here (docs/theory.md section 5)\n");
    appendf(out, "relative change of u over the layers: %.4e\n", d.change);
    appendf(out, "outputs: %s/{tokens.csv,summary.csv,manifest.json%s}\n", s.shown_dir.c_str(),
            c.vtk ? ",tokens.pvd" : "");
    return out;
  }
  const auto r = run_case(c, s);
  if (!is_root_rank()) return out;
  appendf(out, "case %s: N = %ld, sigma = %g, tau = %g, layers = %d, t = %.6g\n", c.name.c_str(), r.n, r.sigma, r.tau,
          r.layers, r.t);
  appendf(out, "generator error (T1): l2 %.4e  max %.4e\n", r.generator.l2, r.generator.max);
  appendf(out, "dynamics error  (T2): l2 %.4e  max %.4e\n", r.dynamics.l2, r.dynamics.max);
  const bool grid = !(c.domain.kind == DomainKind::sphere && c.dim == 3);  // S^2: no grid, no fields.pvd
  appendf(out, "outputs: %s/{tokens.csv,summary.csv,manifest.json%s%s}\n", s.shown_dir.c_str(),
          c.vtk ? ",tokens.pvd" : "", c.vtk && grid ? ",fields.pvd" : "");
  return out;
}

std::string study(const Case& c, const RunSettings& s) {
  std::string out;
  out = run_study(c, s).report;
  return out;
}

std::string pde(const Case& c, const RunSettings& s) {
  std::string out;
  const auto r = run_pde(c, s);
  if (!is_root_rank()) return out;
  appendf(out, "case %s: PDE alone to t = %.6g on grid", c.name.c_str(), r.t_end);
  for (int n : c.grid) appendf(out, " %d", n);
  appendf(out, ", %s, %ld steps, %ld KSP iterations, %.3f s\n", r.stats.ts_type.c_str(), r.stats.steps,
          r.stats.ksp_iterations, r.stats.seconds);
  appendf(out, "weighted mass sum w u h^n: %.17g -> %.17g\n", r.mass_initial, r.mass_final);
  appendf(out, "outputs: %s/{manifest.json%s}\n", s.shown_dir.c_str(), c.vtk ? ",fields.pvd" : "");
  return out;
}

std::string probe(const Case& c, const RunSettings& s) {
  std::string out;
  const auto r = run_probe(c, s);
  if (!is_root_rank()) return out;
  const bool dot = c.score == Score::dot;
  appendf(out, "case %s: Kramers-Moyal probe on %zu query points, %s = %g\n", c.name.c_str(),
          std::accumulate(c.probe_grid.begin(), c.probe_grid.end(), std::size_t{1},
                          [](std::size_t a, int b) { return a * static_cast<std::size_t>(b); }),
          dot ? "eps" : "sigma", dot ? c.dot_eps : c.sigma);
  appendf(out, "drift b vs %-30s max relative error %.4e\n",
          dot ? "mu + Sigma B^T x / eps - x:" : "c sigma^2 gamma G grad log p:", r.drift_error);
  appendf(out, "diffusion D vs %-26s max relative error %.4e\n",
          dot ? "Sigma + b b^T:" : "2 c sigma^2 G:", r.diffusion_error);
  appendf(out, "outputs: %s/{probe.csv,probe.vti,manifest.json}\n", s.shown_dir.c_str());
  return out;
}

std::string spectrum(const Case& c, const RunSettings& s) {
  const auto r = run_spectrum(c, s);
  return is_root_rank() ? spectrum_report(c, r, s.shown_dir) : std::string();
}

std::string learn(const Case& c, const RunSettings& s) {
  const auto r = run_learn(c, s);
  return is_root_rank() ? learn_report(c, r, s) : std::string();
}

}  // namespace

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "Run one case: attention layers beside the PDE, all outputs", Purpose::run, run},
      {"study", "Convergence study over N, sigma and seeds with fitted rates", Purpose::study, study},
      {"pde", "The finite-difference solver alone: fields.pvd and manifest", Purpose::pde, pde},
      {"probe", "Kramers-Moyal drift and diffusion on a grid of query points", Purpose::probe, probe},
      {"spectrum", "Eigenpairs of the attention operator beside the FD and exact spectra (SLEPc)", Purpose::spectrum,
       spectrum},
      {"learn", "Learn the metric from PDE data: metric-attention beside a dot-product baseline", Purpose::learn,
       learn},
  };
  return table;
}

const Command* find_command(const std::string& name) {
  for (const auto& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace attnpde
