#include "solver/app/dot_command.hpp"

#include <petscsys.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "attention/kernel_dot.hpp"
#include "attention/layers.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/app/point.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

DotRunResult run_dot_case(const Case& c, const RunSettings& s) {
  using Clock = std::chrono::steady_clock;
  const auto t_start = Clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  const Tokens tokens = prob.sample(c.n, c.seed);
  const std::vector<double> u0 = prob.initial_values(tokens);
  require_finite(u0, tokens, "initial.u0 at the tokens");
  const double sampling = std::chrono::duration<double>(Clock::now() - t_start).count();

  std::unique_ptr<AttentionKernel> kernel = std::make_unique<DotKernel>(tokens, c.dot_B, c.dot_eps);
  int ranks = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  if (ranks > 1) kernel = std::make_unique<RowSplitKernel>(std::move(kernel), PETSC_COMM_WORLD);

  const std::string vtk_dir = s.out_dir + "/vtk";
  if (root) std::filesystem::create_directories(c.vtk ? vtk_dir : s.out_dir);
  const int m = prob.components();
  const std::size_t n = tokens.size();
  std::vector<PvdEntry> frames;
  auto frame = [&](int k, const std::vector<double>& u) {
    if (!root || !c.vtk) return;
    std::vector<std::vector<double>> cols(static_cast<std::size_t>(m));
    std::vector<NamedArray> arrays;
    for (int q = 0; q < m; ++q) {
      cols[static_cast<std::size_t>(q)].assign(u.begin() + static_cast<std::ptrdiff_t>(q * n),
                                               u.begin() + static_cast<std::ptrdiff_t>((q + 1) * n));
      arrays.push_back({component_name("u_attn", q, m), &cols[static_cast<std::size_t>(q)]});
    }
    char name[64];
    std::snprintf(name, sizeof name, "tokens_%06d.vtu", k);
    write_tokens_vtu(vtk_dir + "/" + name, tokens, arrays);
    frames.push_back({static_cast<double>(k), std::string("vtk/") + name});  // "time" = layer
  };
  const auto t_layers = Clock::now();
  std::vector<double> u = u0;
  frame(0, u);
  Progress progress("layer", c.layers, s.quiet || !root);
  run_layers(*kernel, c.tau, c.layers, u, [&](int k, const std::vector<double>& uk) {
    require_finite(uk, tokens, "u after layer " + std::to_string(k));
    if (k % c.every == 0 || k == c.layers) frame(k, uk);
    progress.update(k);
  });
  const double layer_seconds = std::chrono::duration<double>(Clock::now() - t_layers).count();

  DotRunResult r;
  r.n = c.n;
  r.eps = c.dot_eps;
  r.tau = c.tau;
  r.layers = c.layers;
  double d2 = 0, u2 = 0;
  for (std::size_t e = 0; e < u.size(); ++e) {
    d2 += (u[e] - u0[e]) * (u[e] - u0[e]);
    u2 += u0[e] * u0[e];
  }
  r.change = u2 > 0 ? std::sqrt(d2 / u2) : std::sqrt(d2);
  r.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  if (!root) return r;

  const auto t_out = Clock::now();
  {
    std::vector<std::string> cols;
    for (int a = 0; a < c.dim; ++a) cols.push_back("x" + std::to_string(a));
    for (const char* what : {"u0", "u_attn"})
      for (int q = 0; q < m; ++q) cols.push_back(component_name(what, q, m));
    CsvWriter csv(s.out_dir + "/tokens.csv", cols);
    std::vector<double> row(cols.size());
    for (std::size_t j = 0; j < n; ++j) {
      std::size_t k = 0;
      for (int a = 0; a < c.dim; ++a) row[k++] = tokens.coord[a][j];
      for (int q = 0; q < m; ++q) row[k++] = u0[static_cast<std::size_t>(q) * n + j];
      for (int q = 0; q < m; ++q) row[k++] = u[static_cast<std::size_t>(q) * n + j];
      csv.row(row);
    }
    csv.close();
  }
  {
    CsvWriter csv(s.out_dir + "/summary.csv", {"n", "eps", "tau", "layers", "seed", "change_l2", "seconds"});
    csv.row({static_cast<double>(r.n), r.eps, r.tau, static_cast<double>(r.layers), static_cast<double>(c.seed),
             r.change, r.seconds});
    csv.close();
  }
  if (c.vtk) write_pvd(s.out_dir + "/tokens.pvd", frames);
  Json man = manifest_header(c, s);
  man.set("kernel", Json::object().set("kind", kernel->name()).set("eps", c.dot_eps));
  man.set("results", Json::object()
                         .set("pde",
                              "none: the dot score in the whole space has no diffusion limit "
                              "(docs/theory.md section 5); tokens.csv has no u_pde columns")
                         .set("components", m)
                         .set("change_l2", r.change));
  man.set("timings_seconds", Json::object()
                                 .set("sampling", sampling)
                                 .set("attention", layer_seconds)
                                 .set("output", std::chrono::duration<double>(Clock::now() - t_out).count())
                                 .set("total", std::chrono::duration<double>(Clock::now() - t_start).count()));
  std::vector<std::string> outputs = {"tokens.csv", "summary.csv"};
  if (c.vtk) outputs.push_back("tokens.pvd");
  write_manifest(std::move(man), s, outputs);
  return r;
}

}  // namespace attnpde
