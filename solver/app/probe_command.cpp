#include "solver/app/probe_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>

#include "attention/constants.hpp"
#include "attention/expression.hpp"
#include "attention/kramers_moyal.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"

namespace attnpde {

ProbeSummary run_probe(const Case& c, const RunSettings& s) {
  const auto t_start = std::chrono::steady_clock::now();
  const Problem prob(c);
  const Tokens tokens = prob.sample(c.n, c.seed);
  const int dim = c.dim;
  const bool dot = c.score == Score::dot;

  // Query grid: the nodes of the torus (i h), cell centres of the box ((i + 1/2) h), or
  // for the Gaussian cloud the cell centres of mu +- 2 standard deviations.
  std::array<int, 3> nodes{1, 1, 1};
  std::array<double, 3> h{1, 1, 1}, origin{0, 0, 0};
  std::size_t total = 1;
  for (int d = 0; d < dim; ++d) {
    nodes[d] = c.probe_grid[static_cast<std::size_t>(d)];
    if (dot) {
      const double sd = std::sqrt(c.gauss_cov(d, d));
      h[d] = 4.0 * sd / nodes[d];
      origin[d] = c.gauss_mean[static_cast<std::size_t>(d)] - 2.0 * sd + 0.5 * h[d];
    } else {
      h[d] = prob.domain().length() / nodes[d];
      origin[d] = prob.domain().node_coordinate(0, h[d]);
    }
    total *= static_cast<std::size_t>(nodes[d]);
  }
  std::vector<std::array<double, 3>> queries(total);
  for (std::size_t k = 0; k < total; ++k) {
    std::size_t rest = k;
    for (int d = 0; d < dim; ++d) {
      const int i = static_cast<int>(rest % static_cast<std::size_t>(nodes[d]));
      // Domain queries sit on the PDE grid's nodes (attention/domain.hpp).
      queries[k][d] = dot ? origin[d] + i * h[d] : prob.domain().node_coordinate(i, h[d]);
      rest /= static_cast<std::size_t>(nodes[d]);
    }
  }

  // Measured moments and the prediction at every query.
  KramersMoyal km;
  std::function<void(const std::array<double, 3>&, Eigen::VectorXd&, Eigen::MatrixXd&)> predict;
  const Expression p_expr(c.density_expr);
  if (dot) {
    // Section 5: b = mu + Sigma B^T x / eps - x, D = Sigma + b b^T.
    km = kramers_moyal_dot(tokens, c.dot_B, c.dot_eps, queries);
    predict = [&](const std::array<double, 3>& q, Eigen::VectorXd& b, Eigen::MatrixXd& D) {
      Eigen::VectorXd x(dim), mu(dim);
      for (int a = 0; a < dim; ++a) {
        x(a) = q[a];
        mu(a) = c.gauss_mean[static_cast<std::size_t>(a)];
      }
      b = mu + c.gauss_cov * c.dot_B.transpose() * x / c.dot_eps - x;
      D = c.gauss_cov + b * b.transpose();
    };
  } else {
    // Section 4: b = c sigma^2 gamma G grad log p, D = 2 c sigma^2 G; grad log p by
    // fourth-order differences of the density expression.
    const ColumnWeights w = prob.weights(tokens, c.sigma);
    km = kramers_moyal(tokens, prob.score(c.sigma), w.data(), queries);
    predict = [&](const std::array<double, 3>& q, Eigen::VectorXd& b, Eigen::MatrixXd& D) {
      const double step = 5e-3, scale = prob.constant() * c.sigma * c.sigma;
      Eigen::VectorXd grad(dim);
      for (int a = 0; a < dim; ++a) {
        auto at = [&](double off) {
          auto x = q;
          x[a] += off * step;
          return std::log(p_expr.at(x.data(), dim));
        };
        grad(a) = (-at(2) + 8 * at(1) - 8 * at(-1) + at(-2)) / (12 * step);
      }
      b = scale * prob.gamma() * prob.G() * grad;
      D = 2 * scale * prob.G();
    };
  }

  std::vector<double> b3(3 * total, 0.0), bp3(3 * total, 0.0), d9(9 * total, 0.0), dp9(9 * total, 0.0);
  double b_err = 0, b_norm = 0, d_err = 0;
  for (std::size_t k = 0; k < total; ++k) {
    Eigen::VectorXd b_pred;
    Eigen::MatrixXd d_pred;
    predict(queries[k], b_pred, d_pred);
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
    csv.close();
    ImageGeometry g;
    g.dim = dim;
    g.nodes = nodes;
    g.spacing = h;
    g.periodic = prob.domain().periodic();
    g.origin = origin;
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
