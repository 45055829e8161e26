#include "attention/kernel_truncated.hpp"

#include <algorithm>
#include <boost/math/special_functions/gamma.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <nanoflann.hpp>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "attention/constants.hpp"
#include "attention/fast_exp.hpp"

namespace attnpde {

namespace {

// Token coordinates and, on the torus, the periodic images of the tokens within the
// search radius of a face; each point carries its token's stored number (rank) and number in
// the whole token set (id).
struct Cloud {
  int dim = 0;
  std::vector<double> pts;  // 3 per point
  std::vector<int> rank;    // its place in the query order (the stored numbering)
  std::vector<long> id;     // its number in the whole token set (a part's global ids)
  std::size_t kdtree_get_point_count() const { return rank.size(); }
  double kdtree_get_pt(std::size_t idx, std::size_t d) const { return pts[3 * idx + d]; }
  template <class Box>
  bool kdtree_get_bbox(Box&) const {
    return false;
  }
};

using Tree = nanoflann::KDTreeSingleIndexAdaptor<nanoflann::L2_Simple_Adaptor<double, Cloud>, Cloud, -1, std::uint32_t>;

// The points in the query order `order` (image by image), so that the points of one search
// lie close together in the cloud's arrays too.
template <class Id>
Cloud make_cloud(const Tokens& t, double radius, const std::vector<std::size_t>& order, Id&& id_of) {
  Cloud c;
  c.dim = t.dim;
  const std::size_t n = t.size();
  const int shifts = t.domain.periodic() ? static_cast<int>(std::pow(3, t.dim)) : 1;
  // Two rounds: the first counts the points and images, so that the arrays are allocated once
  // (growing them point by point moved them through memory many times).
  for (int round = 0; round < 2; ++round) {
    std::size_t count = 0;
    for (int s = 0; s < shifts; ++s) {
      // Shift s in {-1, 0, 1}^dim (base 3 digits; s = 0 is the token itself when periodic
      // and shifts = 1 otherwise).
      int shift[3] = {0, 0, 0};
      if (t.domain.periodic())
        for (int d = 0, r = s; d < t.dim; ++d, r /= 3) shift[d] = r % 3 - 1;
      for (std::size_t o = 0; o < n; ++o) {
        const std::size_t j = order[o];
        bool keep = true;
        for (int d = 0; d < t.dim; ++d) {
          const double x = t.coord[d][j];
          if (shift[d] > 0) keep = keep && x < radius;  // image beyond 2 pi
          if (shift[d] < 0) keep = keep && x > torus_period - radius;
        }
        if (!keep) continue;
        if (round == 1) {
          for (int d = 0; d < 3; ++d)
            c.pts[3 * count + static_cast<std::size_t>(d)] = d < t.dim ? t.coord[d][j] + shift[d] * torus_period : 0.0;
          c.rank[count] = static_cast<int>(o);
          c.id[count] = id_of(static_cast<int>(j));
        }
        ++count;
      }
    }
    if (round == 0) {
      c.pts.resize(3 * count);
      c.rank.resize(count);
      c.id.resize(count);
    }
  }
  return c;
}

}  // namespace

double search_radius(const Eigen::MatrixXd& metric, double sigma, double cutoff) {
  const double lambda_min = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(metric).eigenvalues().minCoeff();
  return cutoff * sigma / std::sqrt(lambda_min);
}

bool search_radius_fits(const Domain& domain, double radius) {
  return !domain.periodic() || radius < 0.5 * torus_period;
}

KernelWork kernel_work(double n, double k, double applications) {
  const double dense_rate = 1.0e9, sparse_rate = 1.5e8, build_rate = 1.0e7;
  return {n * n * applications / dense_rate, n * k * applications / sparse_rate + 4 * n * k / build_rate};
}

double expected_neighbours(long n, double p_max, const MetricScore& score, double cutoff, int dim) {
  if (dim <= 0) dim = static_cast<int>(score.metric.rows());
  const double omega = dim == 1 ? 2.0 : (dim == 2 ? M_PI : 4.0 * M_PI / 3.0);  // unit-ball volume
  return static_cast<double>(n) * p_max * omega * std::pow(cutoff * score.sigma, dim) /
         std::sqrt(score.metric.determinant());
}

TruncatedKernel::TruncatedKernel(const Tokens& tokens, const MetricScore& score, double cutoff,
                                 const TruncatedPart* part)
    : cutoff_(cutoff), tail_(std::exp(-std::pow(cutoff, score.beta))) {
  const auto start = std::chrono::steady_clock::now();
  const int dim = tokens.dim;
  const std::size_t n = tokens.size();
  total_ = part ? part->total : static_cast<long>(n);
  if (total_ >= (1L << 32)) throw std::invalid_argument("the truncated kernel supports N < 2^32 tokens in all");
  owned_ = part ? part->owned : n;
  comm_ = part ? part->comm : MPI_COMM_SELF;
  distributed_ = part != nullptr;
  if (part && (part->global_id.size() != n || owned_ > n))
    throw std::invalid_argument("truncated kernel: a part needs a global number for each token");
  // The summation order of a row: its columns' token numbers.
  auto id = [&](int j) { return part ? part->global_id[static_cast<std::size_t>(j)] : static_cast<long>(j); };
  if (score.metric.rows() != dim) throw std::invalid_argument("metric size does not match the token dimension");
  if (!(cutoff > 0)) throw std::invalid_argument("the cutoff must be positive");
  if (n >= static_cast<std::size_t>(INT32_MAX)) throw std::invalid_argument("the truncated kernel supports N < 2^31");
  tail_fraction_ = boost::math::gamma_q(tokens.domain.intrinsic_dim(dim) / score.beta, std::pow(cutoff, score.beta));
  const double r = cutoff * score.sigma;  // the d_M ball kept
  const double radius = search_radius(score.metric, score.sigma, cutoff);
  if (!search_radius_fits(tokens.domain, radius))
    throw std::invalid_argument("the cutoff radius reaches half the torus period; use the dense kernel");
  // Queries in a spatially coherent order (tokens sorted by cells of the search radius),
  // so consecutive searches walk the same part of the tree; the rows are stored in it too.
  std::vector<std::size_t> order(n);
  {
    double lo[3] = {0, 0, 0}, hi[3] = {1, 1, 1};
    for (int d = 0; d < dim; ++d) {
      lo[d] = *std::min_element(tokens.coord[d].begin(), tokens.coord[d].end());
      hi[d] = *std::max_element(tokens.coord[d].begin(), tokens.coord[d].end());
    }
    std::vector<std::uint64_t> key(n);
    double total_cells = 1.0;
    for (int d = 0; d < dim; ++d) total_cells *= std::max(1.0, std::floor((hi[d] - lo[d]) / radius));
    for (std::size_t j = 0; j < n; ++j) {
      std::uint64_t k = 0;
      for (int d = dim - 1; d >= 0; --d) {
        const double cells = std::max(1.0, std::floor((hi[d] - lo[d]) / radius));
        const auto c =
            static_cast<std::uint64_t>(std::min(cells - 1, std::floor((tokens.coord[d][j] - lo[d]) / radius)));
        k = k * static_cast<std::uint64_t>(cells) + c;
      }
      key[j] = k;
      order[j] = j;
    }
    // By cell, and by token number within a cell: a counting sort when the cells are not
    // many more than the tokens, else a comparison sort (the same order either way).
    if (total_cells <= 4.0 * static_cast<double>(n) + 1024.0) {
      std::vector<std::size_t> first_of_cell(static_cast<std::size_t>(total_cells) + 1, 0);
      for (std::size_t j = 0; j < n; ++j) ++first_of_cell[key[j] + 1];
      for (std::size_t c = 1; c < first_of_cell.size(); ++c) first_of_cell[c] += first_of_cell[c - 1];
      for (std::size_t j = 0; j < n; ++j) order[first_of_cell[key[j]]++] = j;
    } else {
      std::sort(order.begin(), order.end(),
                [&](std::size_t a, std::size_t b) { return std::tie(key[a], a) < std::tie(key[b], b); });
    }
  }
  // The tree holds the points (and periodic images) mapped by R, M = R^T R (Cholesky), where
  // d_M is the Euclidean distance: the search ball of radius r is the exact d_M ball, with no
  // candidates outside it to filter (the Euclidean ball of radius r / sqrt(lambda_min) around
  // the ellipsoid holds sqrt(cond M)^(dim - 1) times more in 2D and 3D).
  Cloud cloud = make_cloud(tokens, radius, order, id);
  const Eigen::MatrixXd chol = Eigen::LLT<Eigen::MatrixXd>(score.metric).matrixU();
  auto mapped = [&](const double* x, double* y) {
    for (int a = 0; a < dim; ++a) {
      y[a] = 0.0;
      for (int b = a; b < dim; ++b) y[a] += chol(a, b) * x[b];
    }
  };
  for (std::size_t p = 0; p < cloud.rank.size(); ++p) {
    double y[3] = {0, 0, 0};
    mapped(&cloud.pts[3 * p], y);
    for (int a = 0; a < dim; ++a) cloud.pts[3 * p + static_cast<std::size_t>(a)] = y[a];
  }
  const Tree tree(dim, cloud, nanoflann::KDTreeSingleIndexAdaptorParams(32));
  // The search radius in mapped coordinates (r, and a rounding margin; the exact test below
  // decides), or on the sphere the chordal ball that holds the geodesic one.
  const double mapped_radius = r * (1.0 + 1e-12);

  // Rows stored in the cell order of the queries, columns renumbered the same way: the
  // neighbours of a token are near it in space, hence near it in this numbering, so a row
  // reads u from a few cache lines instead of from all over memory.
  order_.resize(n);
  rank_.resize(n);
  for (std::size_t o = 0; o < n; ++o) {
    order_[o] = static_cast<int>(order[o]);
    rank_[order[o]] = static_cast<int>(o);
  }
  // Two passes over the queries: the first counts each row's neighbours, so that the
  // compressed rows are allocated once at their exact size (no per-row lists beside them:
  // the peak memory is the rows themselves); the second fills each row in place.
  const double inv_sigma = 1.0 / score.sigma, half_beta = 0.5 * score.beta;
  const std::ptrdiff_t count = static_cast<std::ptrdiff_t>(n);
  row_.assign(n + 1, 0);
  double delta_max = 0.0;  // the truncation's bound max_i delta_i for w = 1, from the first pass
  for (int pass = 0; pass < 2; ++pass) {
    if (pass == 1) {
      for (std::size_t o = 0; o < n; ++o) row_[o + 1] += row_[o];
      col_.resize(static_cast<std::size_t>(row_[n]));
      const double float32_rounding = 0x1.0p-24;
      if (part) MPI_Allreduce(MPI_IN_PLACE, &delta_max, 1, MPI_DOUBLE, MPI_MAX, comm_);
      if (score.precision == Precision::float32 || delta_max >= 2.0 * float32_rounding)
        val32_.resize(static_cast<std::size_t>(row_[n]));
      else
        val_.resize(static_cast<std::size_t>(row_[n]));
    }
#pragma omp parallel reduction(max : delta_max)
    {
      std::vector<std::pair<std::uint32_t, double>> found;
      std::vector<std::pair<int, double>> row;
      std::vector<std::uint64_t> sort_keys;
      nanoflann::SearchParams params;
      params.sorted = false;
#pragma omp for schedule(dynamic, 256)
      for (std::ptrdiff_t o = 0; o < count; ++o) {
        const std::size_t i = order[static_cast<std::size_t>(o)];
        if (i >= owned_) continue;  // a halo token of a part: no row
        const double q[3] = {tokens.coord[0][i], dim > 1 ? tokens.coord[1][i] : 0.0,
                             dim > 2 ? tokens.coord[2][i] : 0.0};
        double qm[3] = {0, 0, 0};
        mapped(q, qm);
        tree.radiusSearch(qm, mapped_radius * mapped_radius, found, params);
        row.clear();
        for (const auto& [idx, dist2] : found) {
          // d_M^2 is the squared distance in the mapped coordinates: the tree's own distance
          // (the same on every part: the same point, or periodic image, the same arithmetic).
          const double q2 = dist2;
          // On the sphere the arc length 2 asin(chord / 2) >= chord: the chordal search ball
          // holds the geodesic one.
          const double dist = score.geodesic ? 2.0 * std::asin(std::min(1.0, 0.5 * std::sqrt(q2))) : std::sqrt(q2);
          if (dist > r) continue;
          // Same logit as the dense kernel: -(d_M / sigma)^beta.
          const double logit = score.geodesic      ? -std::pow(dist * inv_sigma, score.beta)
                               : score.beta == 2.0 ? -q2 * inv_sigma * inv_sigma
                                                   : -std::pow(q2, half_beta) / std::pow(score.sigma, score.beta);
          row.emplace_back(static_cast<int>(idx), fast_exp(logit < -700.0 ? -700.0 : logit));
        }
        if (pass == 0) {
          // The kept weight (at least 1, the token itself), summed exactly in fixed point with
          // 2^-40 steps (weights are in (0, 1]; up to 2^23 of them fit): the same in any order,
          // so this pass needs no sorted rows.
          row_[static_cast<std::size_t>(o) + 1] = static_cast<long>(row.size());
          std::int64_t kept_fixed = 0;
          for (const auto& e : row) kept_fixed += static_cast<std::int64_t>(std::ldexp(e.second, 40));
          const double kept = std::ldexp(static_cast<double>(kept_fixed), -40);
          delta_max =
              std::max(delta_max, (static_cast<double>(total_) - static_cast<double>(row.size())) * tail_ / kept);
          continue;
        }
        // A fixed summation order, the same in every part: by token number (sorted as 64-bit
        // keys, number << 32 | place in the row; numbers are below 2^32).
        sort_keys.resize(row.size());
        for (std::size_t e = 0; e < row.size(); ++e)
          sort_keys[e] = (static_cast<std::uint64_t>(cloud.id[static_cast<std::size_t>(row[e].first)]) << 32) | e;
        std::sort(sort_keys.begin(), sort_keys.end());
        long k = row_[static_cast<std::size_t>(o)];
        for (const std::uint64_t key : sort_keys) {
          const auto& [p, v] = row[static_cast<std::size_t>(key & 0xffffffffu)];
          col_[static_cast<std::size_t>(k)] = cloud.rank[static_cast<std::size_t>(p)];
          if (val32_.empty())
            val_[static_cast<std::size_t>(k++)] = v;
          else
            val32_[static_cast<std::size_t>(k++)] = static_cast<float>(v);
        }
      }
    }
  }
  build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void TruncatedKernel::apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                                 std::size_t hi) const {
  if (lo > hi || hi > size()) throw std::invalid_argument("row range outside the tokens");
  if (val32_.empty())
    apply_stored(val_.data(), u, out, degree, w, lo, hi);
  else
    apply_stored(val32_.data(), u, out, degree, w, lo, hi);
}

template <class Value>
void TruncatedKernel::apply_stored(const Value* val, const double* u, double* out, double* degree, const double* w,
                                   std::size_t lo, std::size_t hi) const {
  // u and w in the stored numbering (O(N), small against the O(N k) rows).
  const std::size_t n = size();
  std::vector<double> up(n), wp(w ? n : 0);
  const std::ptrdiff_t count = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t o = 0; o < count; ++o) {
    up[static_cast<std::size_t>(o)] = u[order_[static_cast<std::size_t>(o)]];
    if (w) wp[static_cast<std::size_t>(o)] = w[order_[static_cast<std::size_t>(o)]];
  }
  auto row = [&](std::size_t o) {
    double s = 0.0, su = 0.0;
    for (long k = row_[o]; k < row_[o + 1]; ++k) {
      const auto j = static_cast<std::size_t>(col_[static_cast<std::size_t>(k)]);
      const double e = w ? static_cast<double>(val[k]) * wp[j] : static_cast<double>(val[k]);
      s += e;
      su += e * up[j];
    }
    const auto i = static_cast<std::size_t>(order_[o]);
    out[i] = su / s;
    if (degree) degree[i] = s;
  };
  // The rows in the stored order (streamed from memory; in token order they would be read
  // from all over it), those of tokens lo .. hi - 1 only.
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t o = 0; o < count; ++o) {
    const auto i = static_cast<std::size_t>(order_[static_cast<std::size_t>(o)]);
    if (i >= lo && i < hi) row(static_cast<std::size_t>(o));
  }
}

void TruncatedKernel::pattern(std::vector<long>& row_start, std::vector<int>& cols) const {
  const std::size_t n = size();
  row_start.assign(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    const auto o = static_cast<std::size_t>(rank_[i]);
    row_start[i + 1] = row_start[i] + (row_[o + 1] - row_[o]);
  }
  cols.resize(col_.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto o = static_cast<std::size_t>(rank_[i]);
    long out = row_start[i];
    for (long k = row_[o]; k < row_[o + 1]; ++k)
      cols[static_cast<std::size_t>(out++)] = order_[col_[static_cast<std::size_t>(k)]];
  }
}

double TruncatedKernel::neglected_bound(const double* w) const {
  const std::size_t n = size();
  double w_max = 1.0;
  if (w) w_max = *std::max_element(w, w + n);
  if (distributed_) MPI_Allreduce(MPI_IN_PLACE, &w_max, 1, MPI_DOUBLE, MPI_MAX, comm_);
  std::vector<double> ones(n, 1.0), out(n), s(n);
  apply_rows(ones.data(), out.data(), s.data(), w, 0, owned_);
  double bound = 0.0;
  for (std::size_t i = 0; i < owned_; ++i) {
    const std::size_t o = static_cast<std::size_t>(rank_[i]);
    const double dropped = static_cast<double>(total_) - static_cast<double>(row_[o + 1] - row_[o]);
    bound = std::max(bound, dropped * tail_ * w_max / s[i]);
  }
  if (distributed_) MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, comm_);
  // float32 weights: each K_ij w_j is off by at most 2^-24 relative, which moves (A u)_i by
  // at most 2 2^-24 max |u|, the form of the bound's 2 delta max |u|.
  return float32_weights() ? bound + 0x1.0p-24 : bound;
}

}  // namespace attnpde
