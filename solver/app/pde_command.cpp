#include "solver/app/pde_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "postprocess/tables.hpp"
#include "postprocess/vtk_grid.hpp"
#include "solver/app/point.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

PdeRunResult run_pde(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  Grid grid(PETSC_COMM_WORLD, c.grid, prob.domain());
  // One solver per component of u (the components evolve independently).
  const int m_comp = prob.components();
  const auto pdes = prob.make_pdes(grid);
  PdeRunResult r;
  r.t_end = c.pde_t_end > 0 ? c.pde_t_end : prob.layer_time(c.layers, c.sigma);

  // Weighted mass sum_i w_i u_i h^n, w = p^gamma: conserved exactly by the scheme (summed
  // over the components of a vector field).
  VecOwner weight = grid.create_vector();
  const double gamma = prob.gamma();
  grid.fill(weight, [&](const double* x) { return std::pow(prob.density()(x), gamma); });
  auto mass = [&] {
    double total = 0;
    for (const auto& pde : pdes) total += grid.weighted_sum(pde->solution(), weight);
    return total;
  };
  r.mass_initial = mass();

  if (root) std::filesystem::create_directories(s.out_dir + "/vtk");
  MPI_Barrier(PETSC_COMM_WORLD);  // the directory exists before any rank writes a piece
  std::vector<PvdEntry> frames;
  Progress progress("pde frame", c.pde_frames, s.quiet || !root);
  for (int k = 0; k <= c.pde_frames; ++k) {
    const double t = r.t_end * k / c.pde_frames;
    std::vector<std::vector<double>> fields;
    for (auto& pde : pdes) {
      pde->advance_to(t);
      fields.push_back(pde->gather());
      for (std::size_t e = 0; e < fields.back().size(); ++e)
        if (!std::isfinite(fields.back()[e]))
          throw NonFiniteError(std::string("the PDE solution is ") + (std::isnan(fields.back()[e]) ? "NaN" : "inf") +
                               " at t = " + std::to_string(t) + ", grid node " + std::to_string(e) +
                               " (natural order)");
    }
    if (c.vtk) {
      char base[64];
      std::snprintf(base, sizeof base, "fields_%06d", k);
      std::vector<std::string> names;
      std::vector<NamedArray> arrays;
      for (int q = 0; q < m_comp; ++q) names.push_back(component_name("u", q, m_comp));
      for (int q = 0; q < m_comp; ++q) arrays.push_back({names[static_cast<std::size_t>(q)], &fields[q]});
      frames.push_back({t, "vtk/" + write_grid_fields(grid, s.out_dir + "/vtk", base, arrays)});
    }
    progress.update(k);
  }
  r.mass_final = mass();
  r.stats = summed_stats(pdes);

  if (root) {
    if (c.vtk) write_pvd(s.out_dir + "/fields.pvd", frames);
    Json m = manifest_header(c, s);
    m.set("results", Json::object()
                         .set("t_end", r.t_end)
                         .set("gamma", gamma)
                         .set("weighted_mass_initial", r.mass_initial)
                         .set("weighted_mass_final", r.mass_final));
    m.set("pde", pde_stats_json(r.stats));
    m.set(
        "timings_seconds",
        Json::object().set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()));
    std::vector<std::string> outputs;
    if (c.vtk) outputs.push_back("fields.pvd");
    write_manifest(std::move(m), s, outputs);
  }
  return r;
}

}  // namespace attnpde
