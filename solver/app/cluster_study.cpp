#include "solver/app/cluster_study.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "attention/density.hpp"
#include "attention/kernel_circle.hpp"
#include "attention/sphere.hpp"
#include "attention/transport.hpp"
#include "postprocess/tables.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

std::vector<ClusterPhase> run_cluster_study(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const bool root = is_root_rank();
  const Density p(c.density_expr, c.dim, c.domain);
  const long n = c.study_n.front();
  std::vector<std::vector<double>> rows;
  std::vector<ClusterPhase> phases;
  Progress bar("phase study run", static_cast<long>(c.study_inverse_temperature.size()) * c.study_seeds,
               !root || s.quiet);
  long done = 0;
  for (double beta : c.study_inverse_temperature) {
    const double sigma = std::sqrt(2.0 / beta), link = 0.1 * sigma;
    const MetricScore score{Eigen::MatrixXd::Identity(c.dim, c.dim), 2.0, sigma};
    std::vector<double> final_clusters, final_close;
    for (int seed = 0; seed < c.study_seeds; ++seed) {
      Tokens t = sample_tokens(p, static_cast<std::size_t>(n), c.seed + static_cast<std::uint64_t>(seed), c.sampler);
      for (int k = 0;; ++k) {
        if (k % c.every == 0 || k == c.layers) {
          const ClusterStats cs = cluster_stats(t, score.metric, link);
          rows.push_back({beta, static_cast<double>(seed), static_cast<double>(k), k * c.tau,
                          static_cast<double>(cs.clusters), cs.close_pair_fraction, cs.min_distance,
                          cs.mean_nearest_neighbour});
          if (k == c.layers) {
            final_clusters.push_back(cs.clusters);
            final_close.push_back(cs.close_pair_fraction);
          }
        }
        if (k == c.layers) break;
        std::vector<double> v;
        if (c.dim == 2)
          v = transport_velocity(CircleKernel(t, beta), t, nullptr);
        else
          v = transport_velocity(DenseKernel(t, score), t, nullptr);
        move_tokens(t, v, c.tau);
      }
      bar.update(++done);
    }
    ClusterPhase ph;
    ph.beta = beta;
    const double m = static_cast<double>(final_clusters.size());
    for (double v : final_clusters) ph.mean_clusters += v / m;
    for (double v : final_clusters) ph.sd_clusters += (v - ph.mean_clusters) * (v - ph.mean_clusters);
    ph.sd_clusters = m > 1 ? std::sqrt(ph.sd_clusters / (m - 1)) : 0.0;
    ph.min_clusters = static_cast<int>(*std::min_element(final_clusters.begin(), final_clusters.end()));
    ph.max_clusters = static_cast<int>(*std::max_element(final_clusters.begin(), final_clusters.end()));
    for (double v : final_close) ph.close_pair_fraction += v / m;
    if (c.dim == 2) ph.k_max = circle_law_k_max(beta);
    phases.push_back(ph);
  }
  if (!root) return phases;
  {
    CsvWriter csv(s.out_dir + "/clusters.csv", {"beta", "seed", "layer", "t", "clusters", "close_pair_fraction",
                                                "min_distance", "mean_nearest_neighbour"});
    for (const auto& r : rows) csv.row(r);
    csv.close();
  }
  {
    CsvWriter csv(s.out_dir + "/phase.csv", {"beta", "clusters_mean", "clusters_sd", "clusters_min", "clusters_max",
                                             "close_pair_fraction", "circle_law_k_max"});
    for (const auto& ph : phases)
      csv.row({ph.beta, ph.mean_clusters, ph.sd_clusters, static_cast<double>(ph.min_clusters),
               static_cast<double>(ph.max_clusters), ph.close_pair_fraction, static_cast<double>(ph.k_max)});
    csv.close();
  }
  Json man = manifest_header(c, s);
  man.set("results", Json::object()
                         .set("layers", c.layers)
                         .set("t_final", c.layers * c.tau)
                         .set("link_distance", "sigma / 10, sigma^2 = 2 / beta"));
  man.set(
      "timings_seconds",
      Json::object().set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()));
  write_manifest(std::move(man), s, {"clusters.csv", "phase.csv"});
  return phases;
}

std::string cluster_study_report(const Case& c, const std::vector<ClusterPhase>& phases, const RunSettings& s) {
  std::string out;
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "case %s: clustering on S^%d, N = %ld, %d seeds, %d layers of tau = %g (t = %g), dot score B = I\n",
                c.name.c_str(), c.dim - 1, c.study_n.front(), c.study_seeds, c.layers, c.tau, c.layers * c.tau);
  out += buf;
  out += "      beta   clusters mean (sd)   min   max   pairs x.y > 0.999";
  out += c.dim == 2 ? "   circle law k_max\n" : "\n";
  for (const auto& ph : phases) {
    std::snprintf(buf, sizeof buf, "%10g   %8.2f (%6.2f)   %3d   %3d   %17.4f", ph.beta, ph.mean_clusters,
                  ph.sd_clusters, ph.min_clusters, ph.max_clusters, ph.close_pair_fraction);
    out += buf;
    if (c.dim == 2) {
      std::snprintf(buf, sizeof buf, "   %16d", ph.k_max);
      out += buf;
    }
    out += "\n";
  }
  out += "outputs: " + s.shown_dir + "/{clusters.csv,phase.csv,manifest.json}\n";
  return out;
}

}  // namespace attnpde
