#include "solver/app/transport_command.hpp"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "attention/transport.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

TransportResult run_transport(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  const Tokens initial = prob.sample(c.n, c.seed);
  Tokens tokens = initial;
  const MetricScore score = prob.score(c.sigma);
  const double link = 0.1 * c.sigma;  // see attention/transport.hpp
  if (root) std::filesystem::create_directories(s.out_dir + "/vtk");

  std::vector<std::vector<double>> rows;
  std::vector<PvdEntry> frames;
  TransportResult result;
  auto frame = [&](int k) {
    const ClusterStats cs = cluster_stats(tokens, c.metric, link);
    rows.push_back({static_cast<double>(k), prob.layer_time(k, c.sigma), static_cast<double>(cs.clusters),
                    cs.mean_nearest_neighbour});
    if (k == 0) {
      result.clusters_initial = cs.clusters;
      result.nearest_initial = cs.mean_nearest_neighbour;
    }
    result.clusters_final = cs.clusters;
    result.nearest_final = cs.mean_nearest_neighbour;
    if (!root || !c.vtk) return;
    char name[64];
    std::snprintf(name, sizeof name, "tokens_%06d.vtu", k);
    write_tokens_vtu(s.out_dir + "/vtk/" + name, tokens, {});
    frames.push_back({prob.layer_time(k, c.sigma), std::string("vtk/") + name});
  };
  frame(0);
  Progress progress("transport layer", c.layers, s.quiet || !root);
  for (int k = 1; k <= c.layers; ++k) {
    // Normalization weights depend on the positions: recomputed every layer.
    const ColumnWeights w = prob.weights(tokens, c.sigma);
    transport_layer(tokens, score, w.data(), c.tau);
    if (k % c.every == 0 || k == c.layers) frame(k);
    progress.update(k);
  }

  if (root) {
    {
      CsvWriter csv(s.out_dir + "/clustering.csv", {"layer", "t", "clusters", "mean_nearest_neighbour"});
      for (const auto& r : rows) csv.row(r);
      csv.close();
    }
    {
      std::vector<std::string> cols;
      for (const char* kind : {"x", "x_final"})
        for (int d = 0; d < c.dim; ++d) cols.push_back(kind + std::to_string(d));
      CsvWriter csv(s.out_dir + "/tokens.csv", cols);
      for (std::size_t j = 0; j < tokens.size(); ++j) {
        std::vector<double> row;
        for (const Tokens* t : std::initializer_list<const Tokens*>{&initial, &tokens})
          for (int d = 0; d < c.dim; ++d) row.push_back(t->coord[d][j]);
        csv.row(row);
      }
      csv.close();
    }
    if (c.vtk) write_pvd(s.out_dir + "/tokens.pvd", frames);
    Json m = manifest_header(c, s);
    m.set("results", Json::object()
                         .set("link_distance", link)
                         .set("clusters_initial", result.clusters_initial)
                         .set("clusters_final", result.clusters_final)
                         .set("mean_nearest_neighbour_initial", result.nearest_initial)
                         .set("mean_nearest_neighbour_final", result.nearest_final));
    m.set(
        "timings_seconds",
        Json::object().set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()));
    std::vector<std::string> outputs = {"tokens.csv", "clustering.csv"};
    if (c.vtk) outputs.push_back("tokens.pvd");
    write_manifest(std::move(m), s, outputs);
  }
  return result;
}

}  // namespace attnpde
