#include "solver/app/run_command.hpp"

#include <petscsys.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "postprocess/tables.hpp"
#include "postprocess/vtk_grid.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/app/distributed_tokens.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The frames of `run`: the PDE field on the grid (fields.pvd) and the tokens with the
// attention values, the PDE values and their difference (tokens.pvd) at t_k.
class FrameWriter : public PointObserver {
 public:
  FrameWriter(const Problem& prob, const Grid* grid, const std::vector<std::vector<double>>& fields, std::string dir,
              int every, bool distributed)
      : prob_(prob), grid_(grid), fields_(fields), dir_(std::move(dir)), every_(every), distributed_(distributed) {}

  int every() const override { return every_; }

  void frame(int k, double t, const Tokens& tokens, const std::vector<long>& ids, const std::vector<double>& u,
             const std::vector<double>& u_pde) override {
    const int m = prob_.components();
    const std::size_t n = tokens.size();
    char base[64];
    std::snprintf(base, sizeof base, "fields_%06d", k);
    std::vector<std::string> field_names;
    std::vector<NamedArray> field_arrays;
    for (int q = 0; q < m; ++q) field_names.push_back(component_name("u_pde", q, m));
    for (int q = 0; q < m; ++q)
      field_arrays.push_back({field_names[static_cast<std::size_t>(q)], &fields_[static_cast<std::size_t>(q)]});
    if (grid_) field_frames.push_back({t, "vtk/" + write_grid_fields(*grid_, dir_, base, field_arrays)});
    // Replicated tokens: rank 0 writes them all; distributed: every rank its piece.
    if (!distributed_ && !is_root_rank()) return;
    if (p_.empty()) p_ = prob_.density_values(tokens);
    // Per component: attention values, PDE values at the tokens, their difference.
    std::vector<std::vector<double>> cols;
    std::vector<std::string> names;
    for (int q = 0; q < m; ++q) {
      const auto part = [&](const std::vector<double>& v) {
        return std::vector<double>(v.begin() + static_cast<std::ptrdiff_t>(q * n),
                                   v.begin() + static_cast<std::ptrdiff_t>((q + 1) * n));
      };
      cols.push_back(part(u));
      cols.push_back(part(u_pde));
      std::vector<double> err(n);
      for (std::size_t j = 0; j < n; ++j) err[j] = cols[cols.size() - 2][j] - cols.back()[j];
      cols.push_back(err);
      for (const char* b : {"u_attn", "u_pde", "error"}) names.push_back(component_name(b, q, m));
    }
    std::vector<NamedArray> arrays;
    for (std::size_t a = 0; a < cols.size(); ++a) arrays.push_back({names[a], &cols[a]});
    arrays.push_back({"p", &p_});
    char name[64];
    if (distributed_) {
      std::snprintf(name, sizeof name, "tokens_%06d", k);
      token_frames.push_back({t, "vtk/" + write_token_pieces(dir_, name, tokens, ids, arrays, PETSC_COMM_WORLD)});
      return;
    }
    std::snprintf(name, sizeof name, "tokens_%06d.vtu", k);
    write_tokens_vtu(dir_ + "/" + name, tokens, arrays);
    token_frames.push_back({t, std::string("vtk/") + name});
  }

  std::vector<PvdEntry> token_frames, field_frames;

 private:
  const Problem& prob_;
  const Grid* grid_;  ///< null on S^2 (no grid: u_pde only at the tokens)
  const std::vector<std::vector<double>>& fields_;
  std::string dir_;
  int every_;
  bool distributed_;
  std::vector<double> p_;
};

// tokens.csv: coordinates, u0, u_attn and u_pde per token; with distributed tokens a first
// column `token` (the token's number), the rows of all ranks merged in token order.
void write_tokens_csv(const std::string& path, const PointDetails& d, int dim, int m, bool distributed) {
  std::vector<std::string> cols;
  if (distributed) cols.push_back("token");
  for (int a = 0; a < dim; ++a) cols.push_back("x" + std::to_string(a));
  for (const char* name : {"u0", "u_attn", "u_pde"})
    for (int q = 0; q < m; ++q) cols.push_back(component_name(name, q, m));
  const std::size_t n = d.tokens.size(), width = cols.size();
  const auto dim_z = static_cast<std::size_t>(dim), m_z = static_cast<std::size_t>(m);
  const std::size_t x0 = distributed ? 1 : 0;
  auto fill = [&](std::size_t j, double* row) {
    if (distributed) row[0] = static_cast<double>(d.ids[j]);
    for (std::size_t a = 0; a < dim_z; ++a) row[x0 + a] = d.tokens.coord[a][j];
    for (std::size_t q = 0; q < m_z; ++q) {
      const std::size_t e = q * n + j;
      row[x0 + dim_z + q] = d.u0[e];
      row[x0 + dim_z + m_z + q] = d.u[e];
      row[x0 + dim_z + 2 * m_z + q] = d.u_pde[e];
    }
  };
  if (distributed) {
    std::vector<double> rows(n * width);
    for (std::size_t j = 0; j < n; ++j) fill(j, rows.data() + j * width);
    write_rows_in_token_order(path, cols, rows, PETSC_COMM_WORLD);
    return;
  }
  CsvWriter csv(path, cols);
  std::vector<double> row(width);
  for (std::size_t j = 0; j < n; ++j) {
    fill(j, row.data());
    csv.row(row);
  }
  csv.close();
}

}  // namespace

PointResult run_case(const Case& c, const RunSettings& s) {
  const auto t_start = Clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  const int m = prob.components();
  std::optional<Grid> grid;  // none on S^2: the harmonic semigroup is evaluated at the tokens
  std::vector<std::unique_ptr<PdeSolver>> pdes;
  if (prob.has_grid()) {
    grid.emplace(PETSC_COMM_WORLD, c.grid, prob.grid_domain());
    const Phase phase("PDE set-up on " + std::to_string(grid->total_nodes()) + " nodes", s.quiet || !root);
    pdes = prob.make_pdes(*grid);
  }

  // The PDE side: every component advanced to t, its grid field kept for the frame writer.
  std::vector<std::vector<double>> fields(static_cast<std::size_t>(m));
  const PdeAtTokens pde_at = [&](double t, const Tokens& tokens) {
    if (!grid) return prob.harmonic_at_tokens(t, tokens);
    std::vector<double> values;
    for (std::size_t q = 0; q < pdes.size(); ++q) {
      pdes[q]->advance_to(t);
      fields[q] = pdes[q]->gather();
      const auto at = prob.at_tokens(prob.interpolator(*grid, fields[q]), tokens);
      values.insert(values.end(), at.begin(), at.end());
    }
    return values;
  };

  const std::string vtk_dir = s.out_dir + "/vtk";
  if (root) std::filesystem::create_directories(c.vtk ? vtk_dir : s.out_dir);
  MPI_Barrier(PETSC_COMM_WORLD);  // the directory exists before any rank writes a piece
  FrameWriter writer(prob, grid ? &*grid : nullptr, fields, vtk_dir, c.every, c.distributed);
  // Distributed tokens: boxes aligned with the grid's ranges (the case allows them only
  // where there is a grid).
  std::optional<BoxPartition> boxes;
  if (c.distributed) boxes = grid_aligned_partition(*grid);
  PointSpec spec = run_spec(c, !s.quiet && root);
  spec.boxes = boxes ? &*boxes : nullptr;
  PointDetails d;
  PointResult r = run_point(prob, spec, pde_at, c.vtk ? &writer : nullptr, &d);
  r.conserved_drift = std::abs(d.mass_final - d.mass_initial) / std::max(std::abs(d.mass_initial), 1e-300);
  if (!r.sinkhorn_converged && root)
    std::fprintf(stderr, "attnpde: warning: Sinkhorn stopped after %d iterations at marginal error %.3e > %.3e\n",
                 r.sinkhorn_iterations, r.sinkhorn_error, c.normalization.sinkhorn_tol);
  const auto tp = Clock::now();
  if (c.distributed || root) write_tokens_csv(s.out_dir + "/tokens.csv", d, c.dim, m, c.distributed);
  if (!root) return r;

  {
    CsvWriter csv(s.out_dir + "/summary.csv", summary_columns(prob.has_boundary()));
    csv.row(summary_row(r, prob.has_boundary()));
    csv.close();
  }
  if (c.vtk) {
    write_pvd(s.out_dir + "/tokens.pvd", writer.token_frames);
    if (grid) write_pvd(s.out_dir + "/fields.pvd", writer.field_frames);
  }
  Json timings = d.timings;
  timings.set("output", since(tp)).set("total", since(t_start));
  Json man = manifest_header(c, s);
  man.set("timings_seconds", timings);
  man.set("results",
          Json::object()
              .set("t", r.t)
              .set("sigma", r.sigma)  // the dot score on the sphere: sqrt(2 eps / b)
              .set("components", m)
              .set("generator_constant_c", prob.constant())
              .set("gen_err_l2", r.generator.l2)
              .set("gen_err_max", r.generator.max)
              .set("err_l2", r.dynamics.l2)
              .set("err_max", r.dynamics.max)
              .set("errors_over", prob.has_boundary() ? "interior tokens (3 sigma from the walls)" : "all tokens")
              .set("gamma", prob.gamma())
              .set("conserved_mass_initial", d.mass_initial)
              .set("conserved_mass_final", d.mass_final)
              .set("density_integral_raw", prob.density().integral()));
  if (prob.has_boundary())
    man.set("boundary_layer", Json::object()
                                  .set("width", Problem::boundary_layer_width(c.sigma))
                                  .set("tokens", r.boundary_tokens)
                                  .set("gen_err_l2", r.generator_boundary.l2)
                                  .set("gen_err_max", r.generator_boundary.max)
                                  .set("err_l2", r.dynamics_boundary.l2)
                                  .set("err_max", r.dynamics_boundary.max));
  man.set("kernel", d.kernel);
  man.set("normalization", d.normalization);
  man.set("depth", d.depth);
  if (grid) {
    man.set("pde", pde_stats_json(summed_stats(pdes)));  // over the components
  } else {
    double residual = 0;
    for (const auto& h : prob.harmonic_expansions()) residual = std::max(residual, h.residual());
    man.set("pde", Json::object()
                       .set("kind", "exact heat semigroup of spherical harmonics (S^2)")
                       .set("degree", prob.harmonic_expansions().front().degree())
                       .set("expansion_residual", residual));
  }
  std::vector<std::string> outputs = {"tokens.csv", "summary.csv"};
  if (c.vtk) outputs.push_back("tokens.pvd");
  if (c.vtk && grid) outputs.push_back("fields.pvd");
  write_manifest(std::move(man), s, outputs);
  return r;
}

}  // namespace attnpde
