#include "attention/transport.hpp"

#include <cmath>
#include <limits>
#include <numeric>

#include "attention/constants.hpp"
#include "attention/kramers_moyal.hpp"

namespace attnpde {

namespace {
double metric_distance2(const Tokens& t, const Eigen::MatrixXd& m, std::size_t i, std::size_t j) {
  double dx[3] = {0, 0, 0}, q = 0;
  for (int d = 0; d < t.dim; ++d) dx[d] = t.domain.displacement(t.coord[d][j], t.coord[d][i]);
  for (int a = 0; a < t.dim; ++a)
    for (int b = 0; b < t.dim; ++b) q += m(a, b) * dx[a] * dx[b];
  return q;
}
}  // namespace

void transport_layer(Tokens& tokens, const MetricScore& score, const double* weights, double tau) {
  std::vector<std::array<double, 3>> x(tokens.size());
  for (std::size_t j = 0; j < tokens.size(); ++j) x[j] = tokens.point(j);
  // sum_j A_ij (x_j - x_i) is the Kramers-Moyal drift at the token itself.
  const KramersMoyal km = kramers_moyal(tokens, score, weights, x);
  for (std::size_t j = 0; j < tokens.size(); ++j)
    for (int d = 0; d < tokens.dim; ++d) {
      const double v = x[j][d] + tau * km.drift[j * tokens.dim + d];
      if (!tokens.domain.periodic()) {
        tokens.coord[d][j] = v;  // a convex combination of tokens: stays in the box
        continue;
      }
      tokens.coord[d][j] = v - torus_period * std::floor(v / torus_period);
      if (tokens.coord[d][j] >= torus_period) tokens.coord[d][j] = 0.0;
    }
}

ClusterStats cluster_stats(const Tokens& t, const Eigen::MatrixXd& metric, double link) {
  const std::size_t n = t.size();
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  double nn_sum = 0;
  const double link2 = link * link;
  for (std::size_t i = 0; i < n; ++i) {
    double nn = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double q = metric_distance2(t, metric, i, j);
      nn = std::min(nn, q);
      if (j > i && q < link2) parent[find(i)] = find(j);
    }
    nn_sum += std::sqrt(nn);
  }
  ClusterStats s;
  for (std::size_t i = 0; i < n; ++i) s.clusters += find(i) == i;
  s.mean_nearest_neighbour = n > 1 ? nn_sum / static_cast<double>(n) : 0.0;
  return s;
}

}  // namespace attnpde
