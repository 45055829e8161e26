#include "attention/learning.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "attention/kernel_truncated.hpp"

namespace attnpde {

namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A U for the dense or the sparse matrix.
Eigen::MatrixXd apply(const AttentionMatrix& a, const Eigen::MatrixXd& u) {
  if (a.sparse) return a.csr * u;
  return a.dense * u;
}

Eigen::MatrixXd apply_transpose(const AttentionMatrix& a, const Eigen::MatrixXd& u) {
  if (a.sparse) return a.csr.transpose() * u;
  return a.dense.transpose() * u;
}

// Softmax of one row of scores in place (shifted by the row maximum: no overflow, and the
// largest term is exactly 1, so the sum is >= 1).
void softmax_row(double* s, long n) {
  double top = s[0];
  for (long j = 1; j < n; ++j) top = std::max(top, s[j]);
  double sum = 0.0;
  for (long j = 0; j < n; ++j) {
    s[j] = std::exp(s[j] - top);
    sum += s[j];
  }
  for (long j = 0; j < n; ++j) s[j] /= sum;
}

// Displacement x_j - x_i (minimum image on the torus).
inline void displacement(const Tokens& t, long i, long j, double* d) {
  for (int k = 0; k < t.dim; ++k)
    d[k] = t.domain.displacement(t.coord[k][static_cast<std::size_t>(j)], t.coord[k][static_cast<std::size_t>(i)]);
}

// sum_k ||Y_k||^2, the loss's normalization.
double data_scale(const FieldData& data) {
  double scale = 0.0;
  for (const auto& y : data.snapshots) scale += y.squaredNorm();
  if (!(scale > 0)) throw std::invalid_argument("the observed fields are all zero");
  return scale;
}

// The layers forward: U_l for l = 0 .. steps and A U_(l-1) (kept for the backward pass);
// returns the loss.
double forward(const AttentionMatrix& a, const FieldData& data, const LayerPlan& plan, std::vector<Eigen::MatrixXd>& u,
               std::vector<Eigen::MatrixXd>& au) {
  const int snapshots = static_cast<int>(data.snapshots.size());
  const int steps = snapshots * plan.layers_per_snapshot;
  if (snapshots < 1 || plan.layers_per_snapshot < 1) throw std::invalid_argument("learning needs snapshots and layers");
  u.assign(static_cast<std::size_t>(steps) + 1, {});
  au.assign(static_cast<std::size_t>(steps) + 1, {});
  u[0] = data.u0;
  double loss = 0.0;
  for (int l = 1; l <= steps; ++l) {
    const auto lu = static_cast<std::size_t>(l);
    au[lu] = apply(a, u[lu - 1]);
    u[lu] = (1.0 - plan.tau) * u[lu - 1] + plan.tau * au[lu];
    if (l % plan.layers_per_snapshot == 0)
      loss += (u[lu] - data.snapshots[static_cast<std::size_t>(l / plan.layers_per_snapshot - 1)]).squaredNorm();
  }
  return loss / data_scale(data);
}

}  // namespace

double ScoreModel::loss(const Eigen::VectorXd& theta, const FieldData& data, const LayerPlan& plan,
                        Eigen::VectorXd* gradient, const FieldData* heldout, double* heldout_loss) const {
  const AttentionMatrix a = attention(theta);
  std::vector<Eigen::MatrixXd> u, au;
  if (heldout && heldout_loss) *heldout_loss = forward(a, *heldout, plan, u, au);
  const double loss = forward(a, data, plan, u, au);
  if (!gradient) return loss;
  const double tau = plan.tau, scale = data_scale(data);
  const int steps = static_cast<int>(data.snapshots.size()) * plan.layers_per_snapshot;

  // Backward: Lambda_l from the last layer down; the pair weights need
  // C_ij = sum_l Lambda_l,i . U_(l-1),j and r_i = sum_l Lambda_l,i . (A U_(l-1))_i.
  const long n = data.u0.rows(), fields = data.u0.cols();
  RowMatrix lam_all(n, steps * fields), u_all(n, steps * fields);
  Eigen::VectorXd r = Eigen::VectorXd::Zero(n);
  Eigen::MatrixXd lam = Eigen::MatrixXd::Zero(n, fields);
  for (int l = steps; l >= 1; --l) {
    const auto lu = static_cast<std::size_t>(l);
    if (l % plan.layers_per_snapshot == 0)
      lam += (2.0 / scale) * (u[lu] - data.snapshots[static_cast<std::size_t>(l / plan.layers_per_snapshot - 1)]);
    lam_all.middleCols((l - 1) * fields, fields) = lam;
    u_all.middleCols((l - 1) * fields, fields) = u[lu - 1];
    r += lam.cwiseProduct(au[lu]).rowwise().sum();
    lam = (1.0 - tau) * lam + tau * apply_transpose(a, lam);
  }
  // P on the pattern of A (the sparse values are overwritten in place; the dense P is
  // computed into its own matrix, with no copy of A first).
  AttentionMatrix p;
  p.sparse = a.sparse;
  if (a.sparse) {
    p.csr = a.csr;
    const long* outer = a.csr.outerIndexPtr();
    const long* inner = a.csr.innerIndexPtr();
    double* v = p.csr.valuePtr();
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i)
      for (long k = outer[i]; k < outer[i + 1]; ++k)
        v[k] = tau * v[k] * (lam_all.row(i).dot(u_all.row(inner[k])) - r[i]);
  } else {
    p.dense.noalias() = lam_all * u_all.transpose();
    p.dense = tau * a.dense.cwiseProduct(p.dense.colwise() - r);
  }
  *gradient = score_gradient(theta, p);
  return loss;
}

// ---------------------------------------------------------------------------------------
// MetricModel

MetricModel::MetricModel(const Tokens& tokens, double sigma, double cutoff)
    : tokens_(tokens), sigma_(sigma), cutoff_(cutoff) {
  if (tokens.domain.kind != DomainKind::torus && tokens.domain.kind != DomainKind::box)
    throw std::invalid_argument("metric learning needs tokens on the torus or in the box");
  if (!(sigma > 0)) throw std::invalid_argument("metric learning needs sigma > 0");
}

Eigen::MatrixXd MetricModel::metric(const Eigen::VectorXd& theta) const {
  const int dim = tokens_.dim;
  const Eigen::Map<const Eigen::MatrixXd> w(theta.data(), dim, dim);
  return w.transpose() * w;
}

Eigen::VectorXd MetricModel::parameters_of(const Eigen::MatrixXd& m) const {
  const Eigen::LLT<Eigen::MatrixXd> llt(m);
  if (llt.info() != Eigen::Success) throw std::invalid_argument("the metric is not positive definite");
  const Eigen::MatrixXd w = llt.matrixU();
  return Eigen::Map<const Eigen::VectorXd>(w.data(), w.size());
}

void MetricModel::build_pattern(const Eigen::MatrixXd& m, std::vector<long>& rows, std::vector<int>& cols) const {
  const TruncatedKernel k(tokens_, MetricScore{m, 2.0, sigma_}, cutoff_);
  k.pattern(rows, cols);
  for (std::size_t i = 0; i + 1 < rows.size(); ++i)  // compressed rows with sorted columns
    std::sort(cols.begin() + rows[i], cols.begin() + rows[i + 1]);
}

void MetricModel::freeze_pattern(const Eigen::MatrixXd& m) {
  if (!(cutoff_ > 0)) return;
  build_pattern(m, rows_, cols_);
  frozen_ = true;
}

AttentionMatrix MetricModel::attention(const Eigen::VectorXd& theta) const {
  const Eigen::MatrixXd m = metric(theta);
  const int dim = tokens_.dim;
  const long n = static_cast<long>(tokens_.size());
  const double inv_eps = 1.0 / (sigma_ * sigma_);
  auto score = [&](long i, long j) {
    double d[3];
    displacement(tokens_, i, j, d);
    double q = 0.0;
    for (int a = 0; a < dim; ++a)
      for (int b = 0; b < dim; ++b) q += d[a] * m(a, b) * d[b];
    return -q * inv_eps;
  };
  AttentionMatrix out;
  // Dense without a cutoff, and when a learned metric's search ball no longer fits the torus.
  if (!(cutoff_ > 0) || (!frozen_ && !search_radius_fits(tokens_.domain, search_radius(m, sigma_, cutoff_)))) {
    out.dense.resize(n, n);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; ++i) {
      double* row = out.dense.row(i).data();
      for (long j = 0; j < n; ++j) row[j] = score(i, j);
      softmax_row(row, n);
    }
    return out;
  }
  std::vector<long> own_rows;
  std::vector<int> own_cols;
  if (!frozen_) build_pattern(m, own_rows, own_cols);
  const std::vector<long>& rows = frozen_ ? rows_ : own_rows;
  const std::vector<int>& cols = frozen_ ? cols_ : own_cols;
  out.sparse = true;
  out.csr.resize(n, n);
  out.csr.resizeNonZeros(static_cast<long>(cols.size()));
  std::copy(rows.begin(), rows.end(), out.csr.outerIndexPtr());
  std::copy(cols.begin(), cols.end(), out.csr.innerIndexPtr());
  double* v = out.csr.valuePtr();
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    const auto lo = static_cast<std::size_t>(rows[static_cast<std::size_t>(i)]);
    const auto hi = static_cast<std::size_t>(rows[static_cast<std::size_t>(i) + 1]);
    for (std::size_t k = lo; k < hi; ++k) v[k] = score(i, cols[k]);
    softmax_row(v + lo, static_cast<long>(hi - lo));
  }
  return out;
}

Eigen::VectorXd MetricModel::score_gradient(const Eigen::VectorXd& theta, const AttentionMatrix& p) const {
  const int dim = tokens_.dim;
  const long n = static_cast<long>(tokens_.size());
  // Per-row sums of P_ij d_ij d_ij^T (upper triangle), added in row order: the result does
  // not depend on the thread count.
  const int pairs = dim * (dim + 1) / 2;
  Eigen::MatrixXd rows = Eigen::MatrixXd::Zero(pairs, n);
  auto add = [&](long i, long j, double w) {
    double d[3];
    displacement(tokens_, i, j, d);
    for (int a = 0, q = 0; a < dim; ++a)
      for (int b = a; b < dim; ++b, ++q) rows(q, i) += w * d[a] * d[b];
  };
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) {
    if (p.sparse) {
      for (long k = p.csr.outerIndexPtr()[i]; k < p.csr.outerIndexPtr()[i + 1]; ++k)
        add(i, p.csr.innerIndexPtr()[k], p.csr.valuePtr()[k]);
    } else {
      for (long j = 0; j < n; ++j) add(i, j, p.dense(i, j));
    }
  }
  Eigen::MatrixXd grad_m(dim, dim);
  const Eigen::VectorXd sums = rows.rowwise().sum();
  for (int a = 0, q = 0; a < dim; ++a)
    for (int b = a; b < dim; ++b, ++q) grad_m(a, b) = grad_m(b, a) = -sums[q] / (sigma_ * sigma_);
  const Eigen::Map<const Eigen::MatrixXd> w(theta.data(), dim, dim);
  const Eigen::MatrixXd grad_w = 2.0 * w * grad_m;
  return Eigen::Map<const Eigen::VectorXd>(grad_w.data(), grad_w.size());
}

// ---------------------------------------------------------------------------------------
// DotModel

DotModel::DotModel(const Tokens& tokens, int rank) : tokens_(tokens), rank_(rank), features_(2 * tokens.dim) {
  if (tokens.domain.kind != DomainKind::torus) throw std::invalid_argument("the dot-product baseline needs the torus");
  if (rank < 1) throw std::invalid_argument("the dot-product baseline needs rank >= 1");
  const long n = static_cast<long>(tokens.size());
  phi_.resize(n, features_);
  for (long j = 0; j < n; ++j)
    for (int k = 0; k < tokens.dim; ++k) {
      phi_(j, 2 * k) = std::cos(tokens.coord[k][static_cast<std::size_t>(j)]);
      phi_(j, 2 * k + 1) = std::sin(tokens.coord[k][static_cast<std::size_t>(j)]);
    }
}

Eigen::MatrixXd DotModel::bilinear(const Eigen::VectorXd& theta) const {
  const Eigen::Map<const Eigen::MatrixXd> wq(theta.data(), rank_, features_);
  const Eigen::Map<const Eigen::MatrixXd> wk(theta.data() + rank_ * features_, rank_, features_);
  return wq.transpose() * wk / std::sqrt(static_cast<double>(rank_));
}

Eigen::VectorXd DotModel::isotropic(double b) const {
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(parameter_count());
  const double w = std::sqrt(b * std::sqrt(static_cast<double>(rank_)));
  for (int k = 0; k < std::min(rank_, features_); ++k) {
    theta[k * rank_ + k] = w;                      // W_Q(k, k)
    theta[rank_ * features_ + k * rank_ + k] = w;  // W_K(k, k)
  }
  return theta;
}

AttentionMatrix DotModel::attention(const Eigen::VectorXd& theta) const {
  AttentionMatrix out;
  const Eigen::MatrixXd pb = phi_ * bilinear(theta);  // N x 2 dim
  out.dense.noalias() = pb * phi_.transpose();
  const long n = out.dense.rows();
#pragma omp parallel for schedule(static)
  for (long i = 0; i < n; ++i) softmax_row(out.dense.row(i).data(), n);
  return out;
}

Eigen::VectorXd DotModel::score_gradient(const Eigen::VectorXd& theta, const AttentionMatrix& p) const {
  const Eigen::MatrixXd grad_b = phi_.transpose() * p.dense * phi_;
  const Eigen::Map<const Eigen::MatrixXd> wq(theta.data(), rank_, features_);
  const Eigen::Map<const Eigen::MatrixXd> wk(theta.data() + rank_ * features_, rank_, features_);
  const double s = 1.0 / std::sqrt(static_cast<double>(rank_));
  Eigen::VectorXd g(parameter_count());
  Eigen::Map<Eigen::MatrixXd>(g.data(), rank_, features_) = s * wk * grad_b.transpose();
  Eigen::Map<Eigen::MatrixXd>(g.data() + rank_ * features_, rank_, features_) = s * wq * grad_b;
  return g;
}

}  // namespace attnpde
