#pragma once
// The numerical objects of a case, built once from the validated Case: the density, the
// initial values, G = M^-1, c(beta, n), gamma of the normalization, the attention kernel
// and the solvers of the limit PDE (docs/theory.md sections 1-3). Every command starts
// here; the measurement of one (N, sigma, seed) point is in solver/app/point.hpp.

#include <Eigen/Dense>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attention/density.hpp"
#include "attention/expression.hpp"
#include "attention/kernel.hpp"
#include "attention/kernel_dense.hpp"
#include "attention/normalization.hpp"
#include "discretization/grid.hpp"
#include "discretization/interpolate.hpp"
#include "discretization/sphere_heat.hpp"
#include "solver/app/case.hpp"
#include "solver/pde_solver.hpp"

namespace attnpde {

/// Relative errors of approx against exact: l2 = ||a - e||_2 / ||e||_2 and
/// max = max|a - e| / max|e| (absolute when the reference is 0), over the entries of every
/// rank of `comm` (distributed tokens; MPI_COMM_SELF: this rank's entries).
struct Errors {
  double l2 = 0.0, max = 0.0;
};
Errors relative_errors(const std::vector<double>& approx, const std::vector<double>& exact,
                       MPI_Comm comm = MPI_COMM_SELF);

/// Errors over the interior tokens and over the boundary layer (box: tokens within
/// 3 sigma of a wall, docs/theory.md section 2). On the torus every token is interior.
struct SplitErrors {
  Errors interior, boundary;
  long boundary_tokens = 0;
};

/// attention.kernel = "auto" for N tokens at this sigma and a number of kernel
/// applications: truncated when the search radius fits the domain, the typical neglected
/// weight Q(n/beta, cutoff^beta) is below 1e-9 and kernel_work() says the build and the
/// sparse applications cost less than the dense ones; otherwise dense. `p_max` is the
/// normalized density maximum.
KernelChoice automatic_kernel(const Case& c, double p_max, long n, double sigma, double applications);

/// The attention applications one kernel of a case serves for `layers` layers: the layers,
/// T1 and the normalization weights (Sinkhorn about 50) per component; token transport one
/// per direction; a spectrum about 15 per eigenpair.
double kernel_applications(const Case& c, int layers);

class Problem {
 public:
  explicit Problem(const Case& c);
  const Case& config() const { return c_; }
  const Density& density() const { return p_; }
  const Expression& density_expression() const { return p_expr_; }
  const Domain& domain() const { return p_.domain(); }
  bool has_boundary() const { return p_.domain().kind == DomainKind::box; }
  /// The limit PDE's side (docs/theory.md section 9 for the sphere): a finite-difference
  /// grid on the torus, in the box and on the circle (the periodic arc-length coordinate
  /// theta, nodes theta_i = 2 pi i / n); on S^2 no grid but the exact heat semigroup of
  /// spherical harmonics (uniform density).
  bool has_grid() const { return !(domain().kind == DomainKind::sphere && c_.dim == 3); }
  int grid_dim() const { return domain().kind == DomainKind::sphere ? 1 : c_.dim; }
  Domain grid_domain() const { return domain().kind == DomainKind::sphere ? Domain{DomainKind::torus} : domain(); }
  /// The token-space point of grid coordinates x: x itself, or (cos theta, sin theta) on
  /// the circle.
  std::array<double, 3> grid_point(const double* x) const;
  /// S^2: u(t) of every component at the tokens (solver of the limit: SphereHeat).
  std::vector<double> harmonic_at_tokens(double t, const Tokens& tokens) const;
  const std::vector<SphereHeat>& harmonic_expansions() const { return heat_; }
  /// Width of the boundary layer: tokens closer than this to a wall of the box.
  static double boundary_layer_width(double sigma) { return 3.0 * sigma; }
  /// Over the tokens of every rank of `comm` (distributed tokens).
  SplitErrors split_errors(const std::vector<double>& approx, const std::vector<double>& exact, const Tokens& t,
                           double sigma, MPI_Comm comm = MPI_COMM_SELF) const;
  const Eigen::MatrixXd& G() const { return G_; }
  double gamma() const { return gamma_; }
  /// c(beta, n) of the generator (A u - u) = c sigma^2 L_gamma u + ...
  double constant() const { return cst_; }
  double g_max() const { return g_max_; }
  /// t_K = K tau c sigma^2 of this case (attention/constants.hpp).
  double layer_time(long layers, double sigma) const;
  MetricScore score(double sigma) const { return MetricScore{c_.metric, c_.beta, sigma, c_.precision, c_.geodesic}; }

  Tokens sample(long n, std::uint64_t seed) const;
  /// Components of u (1 for a scalar field). Values at the tokens are stored component by
  /// component: m N entries, component k at [k N, (k+1) N).
  int components() const { return static_cast<int>(u0_.size()); }
  std::vector<double> initial_values(const Tokens& t) const;
  /// p at the tokens.
  std::vector<double> density_values(const Tokens& t) const;
  /// L_gamma u at the point x of the domain (flat, or the sphere's, section 9).
  double generator_at(const Expression& u, const double* x) const;
  /// L_gamma u at x with the density expression p (a copy of density_expression() for
  /// another thread).
  double generator_with(const Expression& u, const Expression& p, const double* x) const;
  /// L_gamma u0 at the tokens (continuum reference of T1), component by component.
  std::vector<double> generator_reference(const Tokens& t) const;
  /// The attention kernel of these tokens: attention.kernel, or for "auto" the rule of
  /// choose_kernel() for `layers` layers (-1: attention.layers). The tokens must outlive it.
  std::unique_ptr<AttentionKernel> make_kernel(const Tokens& t, double sigma, int layers = -1) const;
  /// dense or truncated for N tokens at this sigma (attention.kernel = "auto":
  /// automatic_kernel() with the applications of `layers` layers, -1: attention.layers).
  KernelChoice choose_kernel(long n, double sigma, int layers = -1) const;
  /// Column weights of the case's normalization (computed once).
  ColumnWeights weights(const Tokens& t, double sigma) const { return column_weights(t, score(sigma), norm_); }
  ColumnWeights weights(const AttentionKernel& k) const { return column_weights(k, norm_); }
  /// T1: (A u0 - u0)/(c sigma^2) against the reference, A normalized by `w`.
  SplitErrors generator_error(const AttentionKernel& k, const Tokens& t, double sigma, const ColumnWeights& w,
                              const std::vector<double>& u0, const std::vector<double>& reference) const;
  /// Solvers of the limit PDE, one per component k of u0 (u(0) = component k); the
  /// operator is assembled once and copied for the other components.
  std::vector<std::unique_ptr<PdeSolver>> make_pdes(const Grid& grid) const;
  /// The solver options of make_pdes (tolerances, dt, the FFT/DCT path where it applies).
  PdeOptions pde_options() const;
  /// The FD limit operator L on the grid (discretization/operator.hpp); `g_max` (if not
  /// null) receives lambda_max(G) over the grid for the automatic time step.
  MatOwner limit_operator(const Grid& grid, double* g_max = nullptr) const;
  /// w = p^gamma, the weight of the limit operator.
  double weight(const double* x) const;
  GridInterpolator interpolator(const Grid& grid, const PdeSolver& pde) const;
  GridInterpolator interpolator(const Grid& grid, std::vector<double> values) const;
  /// A grid field interpolated to the tokens (on the circle at their angles).
  std::vector<double> at_tokens(const GridInterpolator& f, const Tokens& t) const;

 private:
  Case c_;
  Density p_;
  std::vector<Expression> u0_;
  Expression p_expr_;
  Eigen::MatrixXd G_, pde_G_;  ///< pde_G_ = G_ unless an error is planted
  NormalizationSpec norm_;
  std::vector<SphereHeat> heat_;  ///< S^2: the harmonic expansion of each component of u0
  double gamma_ = 2.0, cst_ = 0.25, g_max_ = 1.0;
};

}  // namespace attnpde
