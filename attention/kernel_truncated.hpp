#pragma once
// Truncated attention kernel for large N (docs/theory.md section 1 with a cutoff): only the
// pairs with d_M(x_i, x_j) <= r = cutoff * sigma are kept. The neighbour lists come from a
// k-d tree (nanoflann) built once over the tokens and, on the torus, their periodic images
// near the faces; candidates within the Euclidean radius r / sqrt(lambda_min(M)) are
// filtered by the exact metric distance (minimum image). K_ij = exp(-(d_M / sigma)^beta)
// is stored once in compressed rows and reused by every application (O(N k) per layer,
// k neighbours per token; OpenMP over rows, each row summed in the order of its columns'
// token numbers, whatever the thread or rank count). Rows and columns are numbered in the
// cell order of the tokens (cells of the search radius), so that a row reads u from nearby
// memory; apply() permutes u in and the result back out.
//
// Neglected weight: every dropped pair has d_M > r, so K_ij < exp(-cutoff^beta). Row i
// drops at most N - n_i of them, so its relative neglected weight is at most
//   delta_i = (N - n_i) exp(-cutoff^beta) max_j w_j / sum_{j kept} K_ij w_j,
// and |(A_trunc u)_i - (A u)_i| <= 2 delta_i max |u| (neglected_bound() = max_i delta_i).
// The bound assumes every dropped token sits on the cutoff sphere, so it is pessimistic
// for small cutoffs; tail_fraction() is the typical share instead: the mass of
// exp(-|y|^beta) beyond |y| = cutoff in dim dimensions, Q(dim/beta, cutoff^beta) (exact for
// a locally uniform density as N grows).

#include <vector>

#include "attention/kernel.hpp"
#include "attention/large_array.hpp"

namespace attnpde {

/// One rank's part of a distributed truncated kernel (attention/kernel_distributed.hpp): the
/// tokens are the rank's own ones first, then the halo of other ranks' tokens within the
/// search radius of its part of the domain.
struct TruncatedPart {
  std::vector<long> global_id;    ///< every token's number in the whole token set
  long total = 0;                 ///< N of the whole token set
  std::size_t owned = 0;          ///< rows kept: tokens [0, owned); the halo's rows stay empty
  MPI_Comm comm = MPI_COMM_SELF;  ///< the ranks that share the float32 decision
};

class TruncatedKernel : public AttentionKernel {
 public:
  /// K_ij is stored in float64 (12 bytes per kept pair with the column), or in float32 (8
  /// bytes per pair; each weight rounded to 2^-24 relative, the row sums still in float64)
  /// where the bound allows: with score.precision = float32, or when the truncation's own
  /// bound max_i delta_i (w = 1) is at least 2^-23, so that the rounding adds at most half
  /// of what the truncation already neglects (large N: delta grows like N exp(-cutoff^beta);
  /// at 10^6 tokens and cutoff 5 it is about 2e-6). neglected_bound() includes the rounding. Throws
  /// std::invalid_argument when the search radius reaches half the torus period (use the
  /// dense kernel then).
  /// Each row is summed in the order of its columns' token numbers (global_id of a part),
  /// which makes a part's rows equal, bit for bit, to the same rows of the whole kernel.
  TruncatedKernel(const Tokens& tokens, const MetricScore& score, double cutoff, const TruncatedPart* part = nullptr);

  std::size_t size() const override { return row_.size() - 1; }
  void apply_rows(const double* u, double* out, double* degree, const double* w, std::size_t lo,
                  std::size_t hi) const override;
  std::string name() const override { return "truncated"; }

  /// max_i delta_i for column weights w (null: w = 1), see above; of a part: over its own
  /// rows and all ranks of its communicator (collective then).
  double neglected_bound(const double* w = nullptr) const;
  double cutoff() const { return cutoff_; }
  double tail_fraction() const { return tail_fraction_; }
  long nonzeros() const { return static_cast<long>(col_.size()); }
  double mean_neighbours() const { return static_cast<double>(col_.size()) / static_cast<double>(owned_); }
  double build_seconds() const { return build_seconds_; }
  /// Whether the weights are stored in float32 (see the constructor).
  bool float32_weights() const { return !val32_.empty(); }
  /// The kept pairs in token numbering, as compressed rows: row i holds the tokens
  /// cols[row_start[i] .. row_start[i+1]) (itself included), in the stored order. For code
  /// that needs the neighbour set itself (metric learning, attention/learning.hpp).
  void pattern(std::vector<long>& row_start, std::vector<int>& cols) const;

 private:
  double cutoff_, tail_;  ///< tail_ = exp(-cutoff^beta)
  double tail_fraction_ = 0;
  std::vector<long> row_;  ///< row o holds token order_[o]; columns are numbered the same way
  LargeArray<int> col_;
  std::vector<int> order_, rank_;  ///< stored position -> token, token -> stored position
  LargeArray<double> val_;         ///< K_ij (float64 storage), or empty
  LargeArray<float> val32_;        ///< K_ij (float32 storage), or empty
  long total_ = 0;                 ///< N of the whole token set
  std::size_t owned_ = 0;          ///< rows with neighbours: tokens [0, owned_)
  MPI_Comm comm_ = MPI_COMM_SELF;
  bool distributed_ = false;  ///< a part: the float32 decision and the bound are collective
  template <class Value>
  void apply_stored(const Value* val, const double* u, double* out, double* degree, const double* w, std::size_t lo,
                    std::size_t hi) const;
  double build_seconds_ = 0;
};

/// The one radius rule of the truncated kernel: the Euclidean radius
/// cutoff sigma / sqrt(lambda_min(M)) holds the ball d_M <= cutoff sigma.
double search_radius(const Eigen::MatrixXd& metric, double sigma, double cutoff);
/// Whether a search of this radius is well defined: on the torus it must stay below half
/// the period (minimum images); in the box and the whole space any radius is.
bool search_radius_fits(const Domain& domain, double radius);

/// Seconds of attention work of the two kernels for N tokens, k expected neighbours and a
/// number of applications, at the rates of the 2-core reference machine (README
/// "Performance": dense A u 1e9 pairs/s; truncated A u 1.5e8 stored pairs/s, its build 4 N k
/// candidate pairs at 1e7/s). The rates' ratios decide `attention.kernel = "auto"`; the
/// work estimate of a run (solver/app/budget.hpp) uses the same numbers.
struct KernelWork {
  double dense = 0, truncated = 0;
};
KernelWork kernel_work(double n, double k, double applications);

/// Expected neighbours per token within d_M <= cutoff sigma for density maximum p_max
/// (normalized): N p_max omega_n (cutoff sigma)^n / sqrt(det M), n = `dim` (the domain's
/// own dimension; 0: the size of M).
double expected_neighbours(long n, double p_max, const MetricScore& score, double cutoff, int dim = 0);

}  // namespace attnpde
