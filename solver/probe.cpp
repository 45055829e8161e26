#include "solver/probe.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "attention/constants.hpp"
#include "attention/kramers_moyal.hpp"
#include "discretization/expression.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"

namespace attnpde {

ProbeSummary run_probe(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const Problem prob(c);
  const Tokens tokens = prob.sample(c.n, c.seed);
  const MetricScore score = prob.score(c.sigma);
  const ColumnWeights w = prob.weights(tokens, c.sigma);
  const int dim = c.dim;

  std::array<int, 3> nodes{1, 1, 1};
  std::array<double, 3> h{1, 1, 1};
  std::size_t total = 1;
  for (int d = 0; d < dim; ++d) {
    nodes[d] = c.probe_grid[static_cast<std::size_t>(d)];
    h[d] = prob.domain().length() / nodes[d];
    total *= static_cast<std::size_t>(nodes[d]);
  }
  // Query points like the grid nodes: i h on the torus, cell centres (i + 1/2) h in the box.
  const double offset = prob.domain().periodic() ? 0.0 : 0.5;
  std::vector<std::array<double, 3>> queries(total);
  for (std::size_t k = 0; k < total; ++k) {
    std::size_t rest = k;
    for (int d = 0; d < dim; ++d) {
      queries[k][d] = (static_cast<double>(rest % static_cast<std::size_t>(nodes[d])) + offset) * h[d];
      rest /= static_cast<std::size_t>(nodes[d]);
    }
  }
  const KramersMoyal km = kramers_moyal(tokens, score, w.data(), queries);

  // Prediction; grad log p by fourth-order differences of the density expression.
  const Expression p_expr(c.density_expr);
  const Eigen::MatrixXd G = prob.G();
  const double scale = prob.constant() * c.sigma * c.sigma;
  const double step = 5e-3;
  std::vector<double> b3(3 * total, 0.0), bp3(3 * total, 0.0), d9(9 * total, 0.0), dp9(9 * total, 0.0);
  double b_err = 0, b_norm = 0, d_err = 0;
  for (std::size_t k = 0; k < total; ++k) {
    Eigen::VectorXd grad(dim);
    for (int a = 0; a < dim; ++a) {
      auto at = [&](double off) {
        auto x = queries[k];
        x[a] += off * step;
        return std::log(p_expr.at(x.data(), dim));
      };
      grad(a) = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * step);
    }
    const Eigen::VectorXd b_pred = scale * prob.gamma() * G * grad;
    const Eigen::MatrixXd d_pred = 2 * scale * G;
    double db = 0, dd = 0;
    for (int a = 0; a < dim; ++a) {
      b3[3 * k + a] = km.drift[k * dim + a];
      bp3[3 * k + a] = b_pred(a);
      db += std::pow(b3[3 * k + a] - b_pred(a), 2);
      for (int e = 0; e < dim; ++e) {
        d9[9 * k + 3 * a + e] = km.diffusion[(k * dim + a) * dim + e];
        dp9[9 * k + 3 * a + e] = d_pred(a, e);
        dd += std::pow(d9[9 * k + 3 * a + e] - d_pred(a, e), 2);
      }
    }
    b_err = std::max(b_err, std::sqrt(db));
    b_norm = std::max(b_norm, b_pred.norm());
    d_err = std::max(d_err, std::sqrt(dd) / d_pred.norm());
  }
  ProbeSummary sum;
  sum.drift_error = b_norm > 0 ? b_err / b_norm : b_err;
  sum.diffusion_error = d_err;

  if (is_root_rank()) {
    std::filesystem::create_directories(s.out_dir);
    std::vector<std::string> cols;
    for (int a = 0; a < dim; ++a) cols.push_back("x" + std::to_string(a));
    for (const char* kind : {"b", "b_pred"})
      for (int a = 0; a < dim; ++a) cols.push_back(kind + std::to_string(a));
    for (const char* kind : {"D", "D_pred"})
      for (int a = 0; a < dim; ++a)
        for (int e = 0; e < dim; ++e) cols.push_back(kind + std::to_string(a) + std::to_string(e));
    CsvWriter csv(s.out_dir + "/probe.csv", cols);
    for (std::size_t k = 0; k < total; ++k) {
      std::vector<double> row;
      for (int a = 0; a < dim; ++a) row.push_back(queries[k][a]);
      for (const auto* v : {&b3, &bp3})
        for (int a = 0; a < dim; ++a) row.push_back((*v)[3 * k + a]);
      for (const auto* v : {&d9, &dp9})
        for (int a = 0; a < dim; ++a)
          for (int e = 0; e < dim; ++e) row.push_back((*v)[9 * k + 3 * a + e]);
      csv.row(row);
    }
    ImageGeometry g;
    g.dim = dim;
    g.nodes = nodes;
    g.spacing = h;
    g.periodic = prob.domain().periodic();
    for (int d = 0; d < dim; ++d) g.origin[d] = offset * h[d];
    write_field_vti(s.out_dir + "/probe.vti", g, {{"b", &b3}, {"b_pred", &bp3}, {"D", &d9}, {"D_pred", &dp9}});
    Json m = manifest_header(c, s);
    m.set("results", Json::object()
                         .set("gamma", prob.gamma())
                         .set("drift_error_max_relative", sum.drift_error)
                         .set("diffusion_error_max_relative", sum.diffusion_error));
    m.set(
        "timings_seconds",
        Json::object().set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count()));
    write_manifest(std::move(m), s, {"probe.csv", "probe.vti"});
  }
  return sum;
}

}  // namespace attnpde
