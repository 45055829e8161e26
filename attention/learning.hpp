#pragma once
// Learning the score of attention from data (docs/theory.md section 10). Fields u^(j) on
// fixed tokens go through residual layers U <- U + tau (A U - U) (attention/layers.hpp); the
// loss compares them with observed fields at snapshots after every `layers_per_snapshot`
// layers:
//   loss = sum_k ||U_(k s) - Y_k||_F^2 / sum_k ||Y_k||_F^2.
// Its gradient is exact (backpropagation by hand). With the adjoints Lambda_l = d loss / d U_l,
//   Lambda_(l-1) = (1 - tau) Lambda_l + tau A^T Lambda_l + (snapshot term),
// and every parameter enters through the scores s_ij of the softmax rows A_ij:
//   d loss / d s_ij = tau A_ij sum_l sum_f Lambda_l,if (U_(l-1),jf - (A U_(l-1))_if) =: P_ij,
// one more pass over the pairs (O(N^2), or O(N k) with the truncated kernel).
//
// Two models of the score:
//   MetricModel  s_ij = -(x_i - x_j)^T W^T W (x_i - x_j) / sigma^2  (metric-attention, M = W^T W,
//                beta = 2, minimum image on the torus; d s_ij / d M = -d_ij d_ij^T / sigma^2,
//                d loss / d W = 2 W (d loss / d M)); dense, or the neighbours d_M <= cutoff sigma.
//   DotModel     s_ij = phi(x_i)^T W_Q^T W_K phi(x_j) / sqrt(r), phi(x) = (cos x_k, sin x_k)_k on
//                the torus (standard dot-product attention on embedded tokens; W_Q, W_K are
//                r x 2 dim); d loss / d B = Phi^T P Phi for B = W_Q^T W_K / sqrt(r).

#include <Eigen/Dense>
#include <Eigen/Sparse>
#include <memory>
#include <string>
#include <vector>

#include "attention/tokens.hpp"

namespace attnpde {

/// Fields on the tokens: the inputs u0 (N x J, column j = field j) and the observations after
/// every `layers_per_snapshot` layers (one N x J matrix per snapshot).
struct FieldData {
  Eigen::MatrixXd u0;
  std::vector<Eigen::MatrixXd> snapshots;
};

/// The layers between the observations.
struct LayerPlan {
  double tau = 1.0;             ///< residual step, (0, 1]
  int layers_per_snapshot = 1;  ///< layers between two snapshots (>= 1)
};

/// The row-stochastic attention matrix of a model, dense or on a sparse pattern.
struct AttentionMatrix {
  bool sparse = false;
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dense;
  Eigen::SparseMatrix<double, Eigen::RowMajor, long> csr;
};

/// A learnable score: parameters theta -> A, and the parameter gradient from d loss / d s.
class ScoreModel {
 public:
  virtual ~ScoreModel() = default;
  virtual int parameter_count() const = 0;
  virtual std::string name() const = 0;
  /// A at theta.
  virtual AttentionMatrix attention(const Eigen::VectorXd& theta) const = 0;
  /// d loss / d theta from P = d loss / d s on the pattern of `a` (same layout as a).
  virtual Eigen::VectorXd score_gradient(const Eigen::VectorXd& theta, const AttentionMatrix& p) const = 0;

  /// The loss of the layers at theta against the data; with `gradient`, its exact gradient;
  /// with `heldout`, also the loss on those fields (same A) in *heldout_loss.
  double loss(const Eigen::VectorXd& theta, const FieldData& data, const LayerPlan& plan,
              Eigen::VectorXd* gradient = nullptr, const FieldData* heldout = nullptr,
              double* heldout_loss = nullptr) const;
};

class MetricModel : public ScoreModel {
 public:
  /// Tokens on the torus or in the box; cutoff 0: dense, else the truncated pattern of
  /// d_M <= cutoff sigma (rebuilt for every theta unless frozen).
  MetricModel(const Tokens& tokens, double sigma, double cutoff = 0.0);
  int parameter_count() const override { return tokens_.dim * tokens_.dim; }
  std::string name() const override { return "metric"; }
  AttentionMatrix attention(const Eigen::VectorXd& theta) const override;
  Eigen::VectorXd score_gradient(const Eigen::VectorXd& theta, const AttentionMatrix& p) const override;

  /// M = W^T W of theta = vec(W) (column-major dim x dim).
  Eigen::MatrixXd metric(const Eigen::VectorXd& theta) const;
  /// theta of the upper Cholesky factor W of M (M = W^T W).
  Eigen::VectorXd parameters_of(const Eigen::MatrixXd& metric) const;
  /// Keeps the truncated pattern of this metric for every theta (the loss is then smooth in
  /// theta; a gradient check needs it).
  void freeze_pattern(const Eigen::MatrixXd& metric);

 private:
  void build_pattern(const Eigen::MatrixXd& metric, std::vector<long>& rows, std::vector<int>& cols) const;
  const Tokens& tokens_;
  double sigma_, cutoff_;
  bool frozen_ = false;
  std::vector<long> rows_;
  std::vector<int> cols_;
};

class DotModel : public ScoreModel {
 public:
  /// Tokens on the torus; W_Q and W_K are rank x (2 dim).
  DotModel(const Tokens& tokens, int rank);
  int parameter_count() const override { return 2 * rank_ * features_; }
  std::string name() const override { return "dot"; }
  AttentionMatrix attention(const Eigen::VectorXd& theta) const override;
  Eigen::VectorXd score_gradient(const Eigen::VectorXd& theta, const AttentionMatrix& p) const override;
  /// B = W_Q^T W_K / sqrt(rank) of theta = (vec W_Q, vec W_K).
  Eigen::MatrixXd bilinear(const Eigen::VectorXd& theta) const;
  /// theta with W_Q = W_K = sqrt(b sqrt(rank)) [I 0]: B = b I, the score b cos(x_i - x_j) summed
  /// over the coordinates, which near the diagonal is the metric score of M = (b sigma^2 / 2) I
  /// up to a constant per row.
  Eigen::VectorXd isotropic(double b) const;

 private:
  const Tokens& tokens_;
  int rank_, features_;
  Eigen::MatrixXd phi_;  ///< N x 2 dim
};

}  // namespace attnpde
