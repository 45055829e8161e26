#include "solver/app/spectrum_point.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "attention/constants.hpp"
#include "discretization/interpolate.hpp"
#include "discretization/operator.hpp"

namespace attnpde {

namespace {

bool same_value(double a, double b) {
  return std::abs(a - b) <= 1e-8 * std::max({std::abs(a), std::abs(b), 1e-300});
}

// Cluster numbers of an ascending list: equal values share one.
std::vector<int> clusters_of(const std::vector<double>& v) {
  std::vector<int> c(v.size(), 0);
  for (std::size_t i = 1; i < v.size(); ++i) c[i] = c[i - 1] + (same_value(v[i], v[i - 1]) ? 0 : 1);
  return c;
}

// Keeps the first `count` values and the rest of the cluster of the last one.
std::size_t whole_clusters(const std::vector<double>& v, std::size_t count) {
  std::size_t end = std::min(count, v.size());
  while (end < v.size() && end > 0 && same_value(v[end], v[end - 1])) ++end;
  return end;
}

// A Fourier or cosine mode of the exact spectra: index vector k, and on the torus cos or sin.
struct Mode {
  std::array<int, 3> k{0, 0, 0};
  bool sine = false;
  double value = 0;
};

// The smallest `count` modes (whole clusters) of the torus (k in Z^n, +-k as cos and sin)
// or the box (k_d >= 0, pi^2 scaled).
std::vector<Mode> exact_modes(const Eigen::MatrixXd& G, bool torus, std::size_t count) {
  const int dim = static_cast<int>(G.rows());
  const double g_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(G).eigenvalues().minCoeff();
  const double scale = torus ? 1.0 : M_PI * M_PI;
  for (int K = 4;; K *= 2) {
    std::vector<Mode> modes;
    const int lo = torus ? -K : 0;
    std::array<int, 3> k{0, 0, 0};
    for (k[2] = dim > 2 ? lo : 0; k[2] <= (dim > 2 ? K : 0); ++k[2])
      for (k[1] = dim > 1 ? lo : 0; k[1] <= (dim > 1 ? K : 0); ++k[1])
        for (k[0] = lo; k[0] <= K; ++k[0]) {
          // On the torus one representative of +-k: the first non-zero entry positive.
          int first = 0;
          for (int d = dim - 1; d >= 0; --d)
            if (k[static_cast<std::size_t>(d)] != 0) first = k[static_cast<std::size_t>(d)];
          if (torus && first < 0) continue;
          Eigen::VectorXd kv(dim);
          for (int d = 0; d < dim; ++d) kv[d] = k[static_cast<std::size_t>(d)];
          const double value = scale * kv.dot(G * kv);
          modes.push_back({k, false, value});
          if (torus && first > 0) modes.push_back({k, true, value});
        }
    std::stable_sort(modes.begin(), modes.end(), [](const Mode& a, const Mode& b) { return a.value < b.value; });
    std::vector<double> values;
    for (const auto& m : modes) values.push_back(m.value);
    const std::size_t end = whole_clusters(values, count);
    // Complete when no mode outside the enumerated cube can be smaller.
    if (end < modes.size() && values[end - 1] < scale * g_min * (K + 1) * (K + 1)) {
      modes.resize(end);
      return modes;
    }
  }
}

// Distance of phi to the span of the columns of F in l^2(c) (phi normalized in it).
double distance_to_span(const std::vector<double>& phi, const std::vector<std::vector<double>>& F,
                        const std::vector<double>& c) {
  const auto m = static_cast<Eigen::Index>(F.size());
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(m, m);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(m);
  double pp = 0;
  for (std::size_t i = 0; i < phi.size(); ++i) {
    pp += c[i] * phi[i] * phi[i];
    for (Eigen::Index a = 0; a < m; ++a) {
      const double fa = F[static_cast<std::size_t>(a)][i];
      b[a] += c[i] * fa * phi[i];
      for (Eigen::Index q = a; q < m; ++q) gram(a, q) += c[i] * fa * F[static_cast<std::size_t>(q)][i];
    }
  }
  gram = gram.selfadjointView<Eigen::Upper>();
  const double projected = b.dot(gram.ldlt().solve(b));
  return std::sqrt(std::max(0.0, 1.0 - projected / pp));
}

}  // namespace

std::vector<double> SpectrumReference::sigma_values(double sigma) const {
  std::vector<double> v;
  if (!finite_sigma) return v;
  const double s2 = sigma * sigma;
  for (double lambda : values) v.push_back(-std::expm1(-s2 * lambda / 4.0) / (beta_constant * s2));
  return v;
}

SpectrumReference make_spectrum_reference(const Problem& prob, const Grid& grid) {
  const Case& c = prob.config();
  const int count = c.spectrum_count;
  SpectrumReference ref;
  // The FD eigenpairs: a few more than wanted, so that the last cluster is whole.
  SpectrumOptions opt;
  opt.count = std::min<int>(count + 4, static_cast<int>(grid.total_nodes()) - 1);
  opt.tol = c.spectrum_tol;
  MatOwner L = prob.limit_operator(grid);
  VecOwner mass = mass_weights(grid, [&](const double* x) { return prob.weight(x); });
  ref.fd = fd_spectrum(grid, L, mass, opt);

  const bool flat_weight = prob.density().is_uniform() || prob.gamma() == 0.0;
  const bool torus = prob.domain().periodic();
  if (flat_weight && (torus || prob.G().isDiagonal())) {
    ref.kind = "exact";
    const auto modes = exact_modes(prob.G(), torus, static_cast<std::size_t>(count));
    for (const auto& m : modes) ref.values.push_back(m.value);
    ref.finite_sigma = torus && c.beta == 2.0 && prob.density().is_uniform();
    ref.beta_constant = generator_constant(c.beta, c.dim);
    const int dim = c.dim;
    ref.basis = [modes, torus, dim](std::size_t k, const double* x) {
      const Mode& m = modes[k];
      if (torus) {
        double phase = 0;
        for (int d = 0; d < dim; ++d) phase += m.k[static_cast<std::size_t>(d)] * x[d];
        return m.sine ? std::sin(phase) : std::cos(phase);
      }
      double v = 1;
      for (int d = 0; d < dim; ++d) v *= std::cos(M_PI * m.k[static_cast<std::size_t>(d)] * x[d]);
      return v;
    };
  } else {
    ref.kind = "finite differences";
    const std::size_t end = whole_clusters(ref.fd.values, static_cast<std::size_t>(count));
    ref.values.assign(ref.fd.values.begin(), ref.fd.values.begin() + static_cast<long>(end));
    auto interpolators = std::make_shared<std::vector<GridInterpolator>>();
    for (std::size_t k = 0; k < end; ++k)
      interpolators->emplace_back(c.dim, grid.nodes(), ref.fd.vectors[k], prob.domain());
    ref.basis = [interpolators](std::size_t k, const double* x) { return (*interpolators)[k](x); };
  }
  ref.cluster = clusters_of(ref.values);
  return ref;
}

SpectrumPoint spectrum_point(const Problem& prob, const SpectrumReference& ref, long n, double sigma,
                             std::uint64_t seed) {
  SpectrumOptions opt;
  opt.count = prob.config().spectrum_count;
  opt.tol = prob.config().spectrum_tol;
  const auto t0 = std::chrono::steady_clock::now();
  SpectrumPoint pt;
  pt.tokens = prob.sample(n, seed);
  const auto kernel = prob.make_kernel(pt.tokens, sigma);
  pt.kernel = kernel->name();
  const ColumnWeights w = prob.weights(*kernel);
  pt.attention = attention_spectrum(*kernel, w, prob.constant() * sigma * sigma, opt, PETSC_COMM_WORLD);
  const std::vector<double>& inner = pt.attention.inner_weights;
  const std::size_t count = pt.attention.values.size(), N = pt.tokens.size();

  // The reference eigenfunctions of every needed cluster at the tokens.
  const int last_cluster = ref.cluster[count - 1];
  std::vector<std::vector<double>> basis;
  for (std::size_t k = 0; k < ref.values.size() && ref.cluster[k] <= last_cluster; ++k) {
    std::vector<double> f(N);
    for (std::size_t j = 0; j < N; ++j) {
      const auto x = pt.tokens.point(j);
      f[j] = ref.basis(k, x.data());
    }
    basis.push_back(std::move(f));
  }
  const std::vector<double> at_sigma = ref.sigma_values(sigma);
  for (std::size_t i = 0; i < count; ++i) {
    const double lambda = pt.attention.values[i];
    const int q = ref.cluster[i];
    // Relative errors; absolute for the constants (cluster 0, eigenvalue 0).
    auto error = [q, lambda](double e) { return q == 0 ? std::abs(lambda - e) : std::abs(lambda - e) / e; };
    pt.cluster.push_back(q);
    pt.value_error.push_back(error(ref.values[i]));
    if (!at_sigma.empty()) pt.sigma_error.push_back(error(at_sigma[i]));
    std::vector<std::vector<double>> span;
    for (std::size_t k = 0; k < basis.size(); ++k)
      if (ref.cluster[k] == q) span.push_back(basis[k]);
    pt.vector_error.push_back(distance_to_span(pt.attention.vectors[i], span, inner));
  }
  // Per cluster: clusters 1 .. the last one wholly inside the first `count` indices.
  const int whole = count < ref.values.size() && ref.cluster[count] == last_cluster ? last_cluster - 1 : last_cluster;
  for (int q = 1; q <= whole; ++q) {
    double v = 0, s = 0, e = 0;
    for (std::size_t i = 0; i < count; ++i)
      if (pt.cluster[i] == q) {
        v = std::max(v, pt.value_error[i]);
        if (!pt.sigma_error.empty()) s = std::max(s, pt.sigma_error[i]);
        e = std::max(e, pt.vector_error[i]);
      }
    pt.cluster_value.push_back(v);
    pt.cluster_sigma.push_back(pt.sigma_error.empty() ? std::nan("") : s);
    pt.cluster_vector.push_back(e);
  }
  pt.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return pt;
}

}  // namespace attnpde
