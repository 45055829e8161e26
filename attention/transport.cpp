#include "attention/transport.hpp"

#include <cmath>
#include <limits>
#include <numeric>

#include "attention/constants.hpp"
#include "attention/kramers_moyal.hpp"
#include "attention/sphere.hpp"

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

std::vector<double> transport_velocity(const AttentionKernel& kernel, const Tokens& t, const double* weights,
                                       int charts) {
  const std::size_t n = t.size(), dim = static_cast<std::size_t>(t.dim);
  const std::size_t nc = t.domain.periodic() ? static_cast<std::size_t>(std::max(1, charts)) : 1;
  const double width = torus_period / static_cast<double>(nc);
  // Chart c reads x as phi_c + ((x - phi_c) mod 2 pi); A is applied to every chart of
  // every direction.
  auto in_chart = [&](double v, std::size_t c) {
    if (nc == 1) return v;
    const double phi = width * static_cast<double>(c);
    double y = v - phi;
    if (y < 0) y += torus_period;
    return phi + y;
  };
  std::vector<double> x(nc * dim * n), ax(x.size());
  for (std::size_t c = 0; c < nc; ++c)
    for (std::size_t d = 0; d < dim; ++d)
      for (std::size_t j = 0; j < n; ++j) x[(c * dim + d) * n + j] = in_chart(t.coord[d][j], c);
  apply_components(kernel, x.data(), ax.data(), x.size(), weights);
  std::vector<double> vel(dim * n);
  for (std::size_t d = 0; d < dim; ++d)
    for (std::size_t j = 0; j < n; ++j) {
      // The chart whose cut phi_c is farthest from the token: the one centred on it.
      std::size_t c = 0;
      if (nc > 1) {
        const double v = t.coord[d][j] + 0.5 * torus_period;
        c = static_cast<std::size_t>(std::floor((v - torus_period * std::floor(v / torus_period)) / width + 0.5)) % nc;
      }
      const std::size_t q = (c * dim + d) * n + j;
      vel[d * n + j] = ax[q] - x[q];
    }
  return vel;
}

int velocity_charts(const MetricScore& score, double radius) {
  const double lmin = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(score.metric).eigenvalues().minCoeff();
  for (int charts : {2, 4}) {
    const double gap = 0.5 * torus_period * (1.0 - 1.0 / charts);  // least distance to the cut
    if (radius > 0 ? radius < gap
                   : std::pow(std::sqrt(lmin) * gap, score.beta) / temperature(score.sigma, score.beta) > 37.0)
      return charts;  // e^-37 < 1e-16
  }
  return 0;
}

std::vector<double> transport_velocity_direct(const Tokens& t, const MetricScore& score, const double* weights) {
  std::vector<std::array<double, 3>> x(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) x[j] = t.point(j);
  // sum_j A_ij (x_j - x_i) is the Kramers-Moyal drift at the token itself.
  const KramersMoyal km = kramers_moyal(t, score, weights, x);
  std::vector<double> vel(static_cast<std::size_t>(t.dim) * t.size());
  for (std::size_t j = 0; j < t.size(); ++j)
    for (int d = 0; d < t.dim; ++d)
      vel[static_cast<std::size_t>(d) * t.size() + j] =
          km.drift[j * static_cast<std::size_t>(t.dim) + static_cast<std::size_t>(d)];
  return vel;
}

void move_tokens(Tokens& t, const std::vector<double>& vel, double step) {
  const std::size_t n = t.size();
  for (int d = 0; d < t.dim; ++d)
    for (std::size_t j = 0; j < n; ++j) {
      double v = t.coord[d][j] + step * vel[static_cast<std::size_t>(d) * n + j];
      if (t.domain.periodic()) {
        v -= torus_period * std::floor(v / torus_period);
        if (v >= torus_period) v = 0.0;
      } else if (t.domain.kind == DomainKind::box) {
        // Attraction keeps tokens inside (a convex combination); repulsion is reflected.
        if (v < 0) v = -v;
        if (v > 1) v = 2 - v;
        v = std::min(1.0, std::max(0.0, v));
      }
      t.coord[d][j] = v;
    }
  // On the sphere the tokens are put back on it, as normalization layers do.
  if (t.domain.kind == DomainKind::sphere) project_to_sphere(t);
}

ClusterStats cluster_stats(const Tokens& t, const Eigen::MatrixXd& metric, double link) {
  const std::size_t n = t.size();
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  double nn_sum = 0, nn_min = std::numeric_limits<double>::infinity();
  const double link2 = link * link;
  // Unit tokens: x_i . x_j > 0.999 exactly when |x_i - x_j|^2 < 0.002.
  const double close2 = 2.0 * (1.0 - 0.999);
  long close = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double nn = std::numeric_limits<double>::infinity();
    for (std::size_t j = 0; j < n; ++j) {
      if (j == i) continue;
      const double q = metric_distance2(t, metric, i, j);
      nn = std::min(nn, q);
      if (j > i && q < link2) parent[find(i)] = find(j);
      if (j > i && q < close2) ++close;
    }
    nn_sum += std::sqrt(nn);
    nn_min = std::min(nn_min, nn);
  }
  ClusterStats s;
  for (std::size_t i = 0; i < n; ++i) s.clusters += find(i) == i;
  s.mean_nearest_neighbour = n > 1 ? nn_sum / static_cast<double>(n) : 0.0;
  s.min_distance = n > 1 ? std::sqrt(nn_min) : 0.0;
  const double pairs = 0.5 * static_cast<double>(n) * static_cast<double>(n - 1);
  s.close_pair_fraction = t.domain.kind == DomainKind::sphere && n > 1 ? static_cast<double>(close) / pairs
                                                                       : std::numeric_limits<double>::quiet_NaN();
  return s;
}

Eigen::MatrixXd token_covariance(const Tokens& t, Eigen::VectorXd* mean_out) {
  const std::size_t n = t.size();
  Eigen::VectorXd mean = Eigen::VectorXd::Zero(t.dim);
  for (int d = 0; d < t.dim; ++d) {
    for (std::size_t j = 0; j < n; ++j) mean[d] += t.coord[d][j];
    mean[d] /= static_cast<double>(n);
  }
  Eigen::MatrixXd S = Eigen::MatrixXd::Zero(t.dim, t.dim);
  for (int a = 0; a < t.dim; ++a)
    for (int b = 0; b <= a; ++b) {
      double s = 0;
      for (std::size_t j = 0; j < n; ++j) s += (t.coord[a][j] - mean[a]) * (t.coord[b][j] - mean[b]);
      S(a, b) = S(b, a) = s / static_cast<double>(n);
    }
  if (mean_out) *mean_out = mean;
  return S;
}

Eigen::MatrixXd gaussian_layer_map(const Eigen::MatrixXd& S, const Eigen::MatrixXd& M, double eps, double step) {
  const long n = S.rows();
  const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(n, n);
  const Eigen::MatrixXd B = (I + 2.0 * S * M / eps).inverse();
  const Eigen::MatrixXd F = I - step * B;
  return F * S * F.transpose();
}

std::vector<std::array<int, 3>> half_space_modes(int dim, int kmax) {
  std::vector<std::array<int, 3>> out;
  const int lo = -kmax, hi = kmax;
  for (int a = lo; a <= hi; ++a)
    for (int b = dim > 1 ? lo : 0; b <= (dim > 1 ? hi : 0); ++b)
      for (int c = dim > 2 ? lo : 0; c <= (dim > 2 ? hi : 0); ++c) {
        // The first non-zero entry positive: one of +-k.
        const int first = a != 0 ? a : (b != 0 ? b : c);
        if (first > 0) out.push_back({a, b, c});
      }
  return out;
}

std::vector<std::complex<double>> fourier_moments(const Tokens& t, const std::vector<std::array<int, 3>>& modes) {
  std::vector<std::complex<double>> m(modes.size());
  const std::size_t n = t.size();
  for (std::size_t q = 0; q < modes.size(); ++q) {
    double re = 0, im = 0;
    for (std::size_t j = 0; j < n; ++j) {
      double phase = 0;
      for (int d = 0; d < t.dim; ++d) phase += modes[q][static_cast<std::size_t>(d)] * t.coord[d][j];
      re += std::cos(phase);
      im -= std::sin(phase);
    }
    m[q] = {re / static_cast<double>(n), im / static_cast<double>(n)};
  }
  return m;
}

}  // namespace attnpde
