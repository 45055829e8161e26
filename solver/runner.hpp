#pragma once
// The side-by-side runner: attention layers on tokens next to the finite-difference
// solution of the limit PDE (THEORY.md sections 2, 3, 7: targets T1 and T2).
//
//   tokens x_j ~ p  ->  generator error  ||(A u0 - u0)/(c sigma^2) - L_2 u0||  (T1)
//                   ->  K layers u_attn  vs  u_pde(t_K) interpolated to x_j     (T2)

#include <Eigen/Dense>
#include <cstdint>
#include <string>
#include <vector>

#include "attention/density.hpp"
#include "attention/kernel.hpp"
#include "attention/kernel_dense.hpp"
#include "attention/normalization.hpp"
#include "discretization/grid.hpp"
#include "discretization/interpolate.hpp"
#include "postprocess/json.hpp"
#include "postprocess/vtk_writer.hpp"
#include "solver/case.hpp"
#include "solver/pde_solver.hpp"

namespace attnpde {

struct RunSettings {
  std::string out_dir;
  bool quiet = false;
  int threads = 1;
  std::string command_line;
  std::string command;  ///< "run" | "study"
};

/// Relative errors of approx against exact: l2 = ||a - e||_2 / ||e||_2 and
/// max = max|a - e| / max|e| (absolute when the reference is 0).
struct Errors {
  double l2 = 0.0, max = 0.0;
};
Errors relative_errors(const std::vector<double>& approx, const std::vector<double>& exact);

/// Errors over the interior tokens and over the boundary layer (box: tokens within
/// 3 sigma of a wall, THEORY.md section 2). On the torus every token is interior.
struct SplitErrors {
  Errors interior, boundary;
  long boundary_tokens = 0;
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
  bool on_path = false;  ///< study point on the optimal path (not a summary.csv column)
};
/// Columns of summary.csv; with `boundary_layer` (box) also the boundary-layer errors.
std::vector<std::string> summary_columns(bool boundary_layer);
std::vector<double> summary_row(const PointResult& r, bool boundary_layer);

/// The numerical objects of a case, built once: density, expressions, G = M^-1,
/// c(beta, n), gamma of the normalization.
class Problem {
 public:
  explicit Problem(const Case& c);
  const Case& config() const { return c_; }
  const Density& density() const { return p_; }
  const Domain& domain() const { return p_.domain(); }
  bool has_boundary() const { return !p_.domain().periodic(); }
  /// Width of the boundary layer: tokens closer than this to a wall of the box.
  static double boundary_layer_width(double sigma) { return 3.0 * sigma; }
  SplitErrors split_errors(const std::vector<double>& approx, const std::vector<double>& exact, const Tokens& t,
                           double sigma) const;
  Eigen::MatrixXd G() const { return G_; }
  double gamma() const { return gamma_; }
  double constant() const { return cst_; }
  double g_max() const { return g_max_; }
  MetricScore score(double sigma) const {
    return MetricScore{c_.metric, c_.beta, sigma, c_.precision == "float32" ? Precision::float32 : Precision::float64};
  }

  Tokens sample(long n, std::uint64_t seed) const;
  /// Components of u (1 for a scalar field). Values at the tokens are stored component by
  /// component: m N entries, component k at [k N, (k+1) N).
  int components() const { return static_cast<int>(u0_.size()); }
  std::vector<double> initial_values(const Tokens& t) const;
  /// L_gamma u0 at the tokens (continuum reference of T1), component by component.
  std::vector<double> generator_reference(const Tokens& t) const;
  /// The attention kernel of these tokens: attention.kernel, or for "auto" the rule of
  /// choose_kernel(). The tokens must outlive it.
  std::unique_ptr<AttentionKernel> make_kernel(const Tokens& t, double sigma) const;
  /// "dense" or "truncated" for N tokens at this sigma (attention.kernel = "auto": truncated
  /// when N >= 20000, the expected neighbours within cutoff sigma are at most N / 10, and on
  /// the torus the search radius stays below half the period).
  std::string choose_kernel(long n, double sigma) const;
  /// Column weights of the case's normalization (computed once).
  ColumnWeights weights(const Tokens& t, double sigma) const { return column_weights(t, score(sigma), norm_); }
  ColumnWeights weights(const AttentionKernel& k) const { return column_weights(k, norm_); }
  /// T1: (A u0 - u0)/(c sigma^2) against the reference, A normalized by `w`.
  SplitErrors generator_error(const AttentionKernel& k, const Tokens& t, double sigma, const ColumnWeights& w,
                              const std::vector<double>& u0, const std::vector<double>& reference) const;
  /// Solvers of the limit PDE, one per component k of u0 (u(0) = component k); the
  /// operator is assembled once and copied for the other components.
  std::vector<std::unique_ptr<PdeSolver>> make_pdes(const Grid& grid) const;
  GridInterpolator interpolator(const Grid& grid, const PdeSolver& pde) const;
  std::vector<double> at_tokens(const GridInterpolator& f, const Tokens& t) const;

 private:
  Case c_;
  Density p_;
  std::vector<Expression> u0_;
  Expression p_expr_;
  Eigen::MatrixXd G_;
  NormalizationSpec norm_;
  double gamma_ = 2.0, cst_ = 0.25, g_max_ = 1.0;
};

/// `attnpde run`: one side-by-side run with all outputs (tokens.csv, summary.csv,
/// tokens.pvd, fields.pvd, manifest.json) in settings.out_dir.
PointResult run_case(const Case& c, const RunSettings& settings);

/// Common manifest fields: case, version, commit, threads, ranks, command line.
Json manifest_header(const Case& c, const RunSettings& settings);
void write_text(const std::string& path, const std::string& text);
/// Adds the list of output files (manifest.json included) and writes out_dir/manifest.json.
void write_manifest(Json manifest, const RunSettings& settings, std::vector<std::string> outputs);
bool is_root_rank();

/// Output name of component k of m: `base` for a scalar field, base_k for a vector.
std::string component_name(const std::string& base, int k, int m);

/// The VTK image geometry of a grid.
ImageGeometry image_geometry(const Grid& grid);
/// Writes node fields of `grid` (natural order over all nodes, as Grid::gather returns
/// them on every rank): dir/base.vti on one rank; on several, every rank writes the
/// points it owns (plus one layer shared with its upper neighbour) to dir/base_<rank>.vti
/// and rank 0 writes the dir/base.pvti header. Collective. Returns the file name
/// (base.vti or base.pvti).
std::string write_grid_fields(const Grid& grid, const std::string& dir, const std::string& base,
                              const std::vector<NamedArray>& arrays);

}  // namespace attnpde
