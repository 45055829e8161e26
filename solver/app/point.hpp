#pragma once
// The measurement of one (N, sigma, seed) point, the one path that `run` and `study` share
// (docs/theory.md sections 2 and 7, targets T1 and T2):
//
//   sample tokens x_j ~ p -> u0 at the tokens -> kernel and normalization weights
//   -> T1: ||(A u0 - u0)/(c sigma^2) - L_gamma u0||
//   -> K layers (or the continuous-depth ODE) -> T2: ||u_attn - u_pde(t_K)|| at the tokens.
//
// The limit-PDE side comes in as a function (run: the solvers advanced frame by frame;
// study: one solve per sigma), and an optional observer sees the frames (run's VTK writer).

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "attention/kernel_distributed.hpp"
#include "attention/tokens.hpp"
#include "postprocess/json.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

/// One point of a run or a study.
struct PointSpec {
  long n = 0;
  double sigma = 0;
  int layers = 0;
  std::uint64_t seed = 0;
  bool on_path = false;   ///< a study point on the balanced path sigma = C N^(-1/(n+6))
  bool progress = false;  ///< progress of the layers on stderr
  /// Distributed tokens: the ranks' boxes (each rank samples, applies and measures its own
  /// tokens); null: every rank holds all tokens.
  const BoxPartition* boxes = nullptr;
};

/// One (N, sigma, seed) result: a row of summary.csv.
struct PointResult {
  long n = 0;
  double sigma = 0, tau = 0;
  int layers = 0;
  double t = 0;
  std::uint64_t seed = 0;
  Errors generator, dynamics;                    ///< interior (torus: all tokens)
  Errors generator_boundary, dynamics_boundary;  ///< boundary layer of the box
  long boundary_tokens = 0;
  double seconds = 0;
  bool on_path = false;            ///< study point on the optimal path (not a summary.csv column)
  bool sinkhorn_converged = true;  ///< Sinkhorn reached its tolerance (not a summary.csv column)
  int sinkhorn_iterations = 0;
  double sinkhorn_error = 0;  ///< marginal error reached
  /// |m_K - m_0| / |m_0| of the conserved sum m = sum_i c_i u_i (computed for `run` only).
  double conserved_drift = 0;
  /// Spectrum studies: per eigenvalue cluster q >= 1 (index q - 1), the eigenvalue error
  /// against the limit, against the finite-sigma values (NaN: none) and the eigenvector
  /// error (solver/app/spectrum_point.hpp; not summary.csv columns).
  std::vector<double> cluster_value, cluster_sigma, cluster_vector;
};
/// Columns of summary.csv; with `boundary_layer` (box) also the boundary-layer errors.
std::vector<std::string> summary_columns(bool boundary_layer);
std::vector<double> summary_row(const PointResult& r, bool boundary_layer);

/// u_pde at the tokens at time t, component by component like the attention values; the
/// times of one point never decrease.
using PdeAtTokens = std::function<std::vector<double>(double t, const Tokens& tokens)>;

/// Sees a point's frames: layers 0, every, 2 every, ... and the last, each with the
/// attention values and the PDE values at the tokens at t_k = k tau c sigma^2 (distributed
/// tokens: this rank's tokens, `ids` their numbers; else `ids` is empty).
class PointObserver {
 public:
  virtual ~PointObserver() = default;
  virtual int every() const = 0;
  virtual void frame(int k, double t, const Tokens& tokens, const std::vector<long>& ids,
                     const std::vector<double>& u_attn, const std::vector<double>& u_pde) = 0;
};

/// What a point leaves besides its summary row, for the writers of `run`.
struct PointDetails {
  Tokens tokens;                            ///< this rank's tokens with distributed tokens
  std::vector<long> ids;                    ///< their numbers (distributed tokens; else empty)
  std::vector<double> u0, u, u_pde;         ///< initial, after the last layer, PDE at t_K
  double mass_initial = 0, mass_final = 0;  ///< sum_i c_i u_i, c_i = w_i (K w)_i
  Json kernel, normalization, depth;        ///< manifest sections
  Json timings;                             ///< sampling, generator_reference, attention, pde, observer
};

/// A value that must be finite is not (NaN or inf): the run stops with what and where.
class NonFiniteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
/// Throws NonFiniteError naming `what`, the entry's token and its position. Collective over
/// `comm` (distributed tokens, with `ids` the tokens' numbers): every rank throws the message
/// of the first rank with a non-finite value.
void require_finite(const std::vector<double>& v, const Tokens& tokens, const std::string& what,
                    MPI_Comm comm = MPI_COMM_SELF, const std::vector<long>* ids = nullptr);

/// A point's result with its parameters filled in (N, sigma, tau, layers, t_K, seed); the
/// errors are measured by the caller.
PointResult point_header(const Problem& problem, const PointSpec& spec);

/// The one point of `run`: the case's N, sigma, layers and seed.
PointSpec run_spec(const Case& c, bool progress);

/// Runs one point: the same code, in the same order, for `run` and every study point.
PointResult run_point(const Problem& problem, const PointSpec& spec, const PdeAtTokens& pde,
                      PointObserver* observer = nullptr, PointDetails* details = nullptr);

}  // namespace attnpde
