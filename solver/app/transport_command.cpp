#include "solver/app/transport_command.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "attention/constants.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/transport.hpp"
#include "discretization/reference.hpp"
#include "postprocess/tables.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/app/progress.hpp"

namespace attnpde {

namespace {

using Clock = std::chrono::steady_clock;
const double nan_value = std::numeric_limits<double>::quiet_NaN();

/// The mean-field velocity at every token, direction by direction (see the header).
std::vector<double> reference_velocity(const Problem& prob, const Tokens& t, double sigma) {
  const Case& c = prob.config();
  const std::size_t n = t.size();
  std::vector<double> v(static_cast<std::size_t>(t.dim) * n);
  if (transport_reference(c) == TransportReference::gaussian) {
    // The tokens' own mean and covariance (the sampling error of N(m, S) is not the
    // error of the attention layer).
    Eigen::VectorXd m;
    const Eigen::MatrixXd S = token_covariance(t, &m);
    const Eigen::MatrixXd I = Eigen::MatrixXd::Identity(c.dim, c.dim);
    const Eigen::MatrixXd B = (I + 2.0 * S * c.metric / temperature(sigma, c.beta)).inverse();
    for (std::size_t j = 0; j < n; ++j)
      for (int a = 0; a < c.dim; ++a) {
        double s = 0;
        for (int b = 0; b < c.dim; ++b) s += B(a, b) * (m[b] - t.coord[b][j]);
        v[static_cast<std::size_t>(a) * n + j] = s;
      }
    return v;
  }
  // c sigma^2 L_gamma x_d: the generator applied to each coordinate function.
  const double scale = prob.constant() * sigma * sigma;
  static const char* names[3] = {"x", "y", "z"};
  for (int d = 0; d < c.dim; ++d) {
    const Expression coordinate(names[d]);
    for (std::size_t j = 0; j < n; ++j) {
      const auto x = t.point(j);
      v[static_cast<std::size_t>(d) * n + j] = scale * prob.generator_at(coordinate, x.data());
    }
  }
  return v;
}

/// The exact reference of a point, advanced frame by frame (docs/theory.md section 6).
class Reference {
 public:
  Reference(const Problem& prob, const Tokens& initial, double sigma)
      : prob_(prob), kind_(transport_reference(prob.config())), sigma_(sigma) {
    const Case& c = prob.config();
    // The Gaussian map starts from the tokens' own covariance (see reference_velocity).
    if (kind_ == TransportReference::gaussian) S_ = token_covariance(initial);
    if (kind_ == TransportReference::heat) {
      modes_ = half_space_modes(c.dim, 2);
      m0_ = fourier_moments(initial, modes_);
      for (std::size_t q = 0; q < m0_.size(); ++q)
        if (std::abs(m0_[q]) > std::abs(m0_[lead_])) lead_ = q;
    }
  }
  /// Advances the Gaussian map to layer k (layers come in increasing order).
  void advance(int k) {
    const Case& c = prob_.config();
    const double step = c.transport == Transport::repel ? -c.tau : c.tau;
    for (; layer_ < k; ++layer_) S_ = gaussian_layer_map(S_, c.metric, temperature(sigma_, c.beta), step);
  }
  /// The error at layer k and the compared quantities.
  double error(int k, const Tokens& t, std::vector<double>& compared) {
    compared.clear();
    if (kind_ == TransportReference::gaussian) {
      advance(k);
      const Eigen::MatrixXd S = token_covariance(t);
      for (const Eigen::MatrixXd* m : std::initializer_list<const Eigen::MatrixXd*>{&S, &S_})
        for (int a = 0; a < t.dim; ++a)
          for (int b = a; b < t.dim; ++b) compared.push_back((*m)(a, b));
      return (S - S_).norm() / S_.norm();
    }
    if (kind_ == TransportReference::heat) {
      const double s = prob_.layer_time(k, sigma_);
      const auto m = fourier_moments(t, modes_);
      double d2 = 0, n2 = 0;
      for (std::size_t q = 0; q < modes_.size(); ++q) {
        Eigen::VectorXd kv(t.dim);
        for (int d = 0; d < t.dim; ++d) kv[d] = modes_[q][static_cast<std::size_t>(d)];
        const double decay = heat_multiplier(kv, prob_.gamma() * prob_.G(), s);
        d2 += std::norm(m[q] - decay * m0_[q]);
        n2 += std::norm(m0_[q]);
        if (q == lead_) {
          compared.push_back(std::abs(m[q]) / std::abs(m0_[q]));
          compared.push_back(decay);
        }
      }
      return std::sqrt(d2 / n2);
    }
    return nan_value;
  }

 private:
  const Problem& prob_;
  TransportReference kind_;
  double sigma_;
  Eigen::MatrixXd S_;
  int layer_ = 0;
  std::vector<std::array<int, 3>> modes_;
  std::vector<std::complex<double>> m0_;
  std::size_t lead_ = 0;
};

}  // namespace

std::vector<std::string> transport_compared_columns(const Case& c) {
  std::vector<std::string> cols;
  const auto kind = transport_reference(c);
  if (kind == TransportReference::gaussian)
    for (const char* what : {"cov_", "cov_ref_"})
      for (int a = 0; a < c.dim; ++a)
        for (int b = a; b < c.dim; ++b) cols.push_back(what + std::to_string(a) + std::to_string(b));
  if (kind == TransportReference::heat) cols = {"moment_ratio", "moment_ratio_ref"};
  return cols;
}

PointResult run_transport_point(const Problem& prob, const PointSpec& spec, int every,
                                const TransportObserver& observer, Tokens* final_tokens) {
  const Case& c = prob.config();
  const auto t_start = Clock::now();
  PointResult r = point_header(prob, spec);

  Tokens tokens = prob.sample(spec.n, spec.seed);
  const MetricScore score = prob.score(spec.sigma);
  // The velocity from the kernels, in charts of the torus where they are exact (else from
  // the direct row moments).
  const bool truncated = prob.choose_kernel(spec.n, spec.sigma) == KernelChoice::truncated;
  const int charts = tokens.domain.periodic()
                         ? velocity_charts(score, truncated ? search_radius(c.metric, spec.sigma, c.cutoff) : 0)
                         : 1;
  const double step = c.transport == Transport::repel ? -c.tau : c.tau;
  Reference reference(prob, tokens, spec.sigma);
  std::vector<double> compared;
  auto frame = [&](int k) {
    const double e = reference.error(k, tokens, compared);
    if (k == spec.layers) r.dynamics = {e, e};
    if (observer) observer(k, prob.layer_time(k, spec.sigma), tokens, e, compared);
  };
  frame(0);
  Progress progress("transport layer", spec.layers, !spec.progress);
  for (int k = 0; k < spec.layers || k == 0; ++k) {
    // Kernel and normalization weights depend on the positions: rebuilt every layer.
    std::vector<double> v;
    if (charts) {
      const auto kernel = prob.make_kernel(tokens, spec.sigma);
      const ColumnWeights w = prob.weights(*kernel);
      if (!w.converged) r.sinkhorn_converged = false;
      v = transport_velocity(*kernel, tokens, w.data(), charts);
    } else {
      const ColumnWeights w = prob.weights(tokens, spec.sigma);
      if (!w.converged) r.sinkhorn_converged = false;
      v = transport_velocity_direct(tokens, score, w.data());
    }
    require_finite(v, tokens, "the transport velocity");
    if (k == 0) {
      // Velocity error at layer 0 (interior tokens in the box).
      const SplitErrors e = prob.split_errors(v, reference_velocity(prob, tokens, spec.sigma), tokens, spec.sigma);
      r.generator = e.interior;
      r.generator_boundary = e.boundary;
      r.boundary_tokens = e.boundary_tokens;
      if (spec.layers == 0) break;
    }
    move_tokens(tokens, v, step);
    if ((every > 0 && (k + 1) % every == 0) || k + 1 == spec.layers) frame(k + 1);
    progress.update(k + 1);
  }
  if (spec.layers == 0) r.dynamics = {nan_value, nan_value};
  if (transport_reference(c) == TransportReference::none) r.dynamics = {nan_value, nan_value};
  r.seconds = std::chrono::duration<double>(Clock::now() - t_start).count();
  if (final_tokens) *final_tokens = std::move(tokens);
  return r;
}

TransportResult run_transport(const Case& c, const RunSettings& s) {
  const auto t_start = Clock::now();
  const bool root = is_root_rank();
  const Problem prob(c);
  const Tokens initial = prob.sample(c.n, c.seed);
  const double link = 0.1 * c.sigma;  // unclustered tokens count singly, a collapsed cluster once
  if (root && c.vtk) std::filesystem::create_directories(s.out_dir + "/vtk");

  std::vector<std::vector<double>> cluster_rows, reference_rows;
  std::vector<PvdEntry> frames;
  TransportResult result;
  const bool has_reference = transport_reference(c) != TransportReference::none;
  const bool sphere = c.domain.kind == DomainKind::sphere;
  const TransportObserver observer = [&](int k, double t, const Tokens& tokens, double error,
                                         const std::vector<double>& compared) {
    const ClusterStats cs = cluster_stats(tokens, c.metric, link);
    cluster_rows.push_back(
        {static_cast<double>(k), t, static_cast<double>(cs.clusters), cs.mean_nearest_neighbour, cs.min_distance});
    if (sphere) cluster_rows.back().push_back(cs.close_pair_fraction);
    if (has_reference) {
      std::vector<double> row = {static_cast<double>(k), t, error};
      row.insert(row.end(), compared.begin(), compared.end());
      reference_rows.push_back(row);
    }
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
    frames.push_back({t, std::string("vtk/") + name});
  };
  Tokens tokens;
  result.point = run_transport_point(prob, run_spec(c, !s.quiet && root), c.every, observer, &tokens);

  if (root) {
    {
      std::vector<std::string> cols = {"layer", "t", "clusters", "mean_nearest_neighbour", "min_distance"};
      if (sphere) cols.push_back("close_pair_fraction");
      CsvWriter csv(s.out_dir + "/clustering.csv", cols);
      for (const auto& r : cluster_rows) csv.row(r);
      csv.close();
    }
    std::vector<std::string> outputs = {"tokens.csv", "clustering.csv"};
    if (has_reference) {
      std::vector<std::string> cols = {"layer", "t", "reference_error"};
      for (const auto& col : transport_compared_columns(c)) cols.push_back(col);
      CsvWriter csv(s.out_dir + "/reference.csv", cols);
      for (const auto& r : reference_rows) csv.row(r);
      csv.close();
      outputs.push_back("reference.csv");
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
    static const char* reference_names[] = {"none", "gaussian covariance map", "heat semigroup of the density"};
    Json results = Json::object();
    results.set("link_distance", link)
        .set("clusters_initial", result.clusters_initial)
        .set("clusters_final", result.clusters_final)
        .set("mean_nearest_neighbour_initial", result.nearest_initial)
        .set("mean_nearest_neighbour_final", result.nearest_final)
        .set("velocity_error_l2", result.point.generator.l2)
        .set("velocity_error_max", result.point.generator.max)
        .set("reference", reference_names[static_cast<int>(transport_reference(c))]);
    if (has_reference) results.set("reference_error", result.point.dynamics.l2);
    Json m = manifest_header(c, s);
    m.set("results", results);
    m.set("timings_seconds",
          Json::object().set("total", std::chrono::duration<double>(Clock::now() - t_start).count()));
    if (c.vtk) outputs.push_back("tokens.pvd");
    write_manifest(std::move(m), s, outputs);
  }
  return result;
}

}  // namespace attnpde
