#include "solver/app/problem.hpp"

#include <petscsys.h>

#include <boost/math/special_functions/gamma.hpp>
#include <cmath>

#include "attention/constants.hpp"
#include "attention/continuous.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/metric.hpp"
#include "attention/sphere.hpp"
#include "discretization/operator.hpp"
#include "discretization/reference.hpp"

namespace attnpde {

Errors relative_errors(const std::vector<double>& approx, const std::vector<double>& exact, MPI_Comm comm) {
  double sums[2] = {0, 0}, maxima[2] = {0, 0};  // squares of d and e, max |d| and |e|
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double d = approx[i] - exact[i];
    sums[0] += d * d;
    sums[1] += exact[i] * exact[i];
    maxima[0] = std::max(maxima[0], std::abs(d));
    maxima[1] = std::max(maxima[1], std::abs(exact[i]));
  }
  reduce_over_rows(sums, 2, MPI_DOUBLE, MPI_SUM, comm);
  reduce_over_rows(maxima, 2, MPI_DOUBLE, MPI_MAX, comm);
  const double d2 = sums[0], e2 = sums[1], dmax = maxima[0], emax = maxima[1];
  Errors e;
  e.l2 = e2 > 0 ? std::sqrt(d2 / e2) : std::sqrt(d2);
  e.max = emax > 0 ? dmax / emax : dmax;
  return e;
}

SplitErrors Problem::split_errors(const std::vector<double>& approx, const std::vector<double>& exact, const Tokens& t,
                                  double sigma, MPI_Comm comm) const {
  SplitErrors e;
  if (!has_boundary()) {
    e.interior = relative_errors(approx, exact, comm);
    return e;
  }
  const double width = boundary_layer_width(sigma), length = domain().length();
  std::vector<double> ai, ei, ab, eb;
  // Entries are stored component by component: entry q belongs to token q mod N.
  long near_tokens = 0;
  for (std::size_t q = 0; q < exact.size(); ++q) {
    const std::size_t j = q % t.size();
    bool near = false;
    for (int d = 0; d < t.dim; ++d) near = near || t.coord[d][j] < width || t.coord[d][j] > length - width;
    if (near && q < t.size()) ++near_tokens;
    (near ? ab : ai).push_back(approx[q]);
    (near ? eb : ei).push_back(exact[q]);
  }
  e.interior = relative_errors(ai, ei, comm);
  e.boundary = relative_errors(ab, eb, comm);
  reduce_over_rows(&near_tokens, 1, MPI_LONG, MPI_SUM, comm);
  e.boundary_tokens = near_tokens;
  return e;
}

Problem::Problem(const Case& c)
    : c_(c),
      p_(c.density_expr, c.dim, c.domain),
      u0_(c.u0.begin(), c.u0.end()),
      p_expr_(c.density_expr),
      G_(metric_inverse(c.metric)) {
  cst_ = generator_constant(c.beta, domain().intrinsic_dim(c.dim));
  norm_ = c.normalization;
  gamma_ = normalization_gamma(norm_);  // docs/theory.md section 2
  // Planted errors of `attnpde verify --plant` (the verifier's self-test): each must make
  // the matching target fail.
  if (c.plant == PlantedError::constant) cst_ *= 1.25;
  if (c.plant == PlantedError::gamma) gamma_ += 1.0;
  // On the circle the PDE runs in arc length: G = 1 (the sphere's metric is the identity).
  const Eigen::MatrixXd grid_G = domain().kind == DomainKind::sphere ? Eigen::MatrixXd::Identity(1, 1) : G_;
  pde_G_ = c.plant == PlantedError::pde_half_diffusion ? Eigen::MatrixXd(0.5 * grid_G) : grid_G;
  if (!has_grid())
    for (const auto& u : u0_) heat_.emplace_back(u);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G_);
  g_max_ = eig.eigenvalues().maxCoeff();
}

Tokens Problem::sample(long n, std::uint64_t seed) const {
  if (domain().kind == DomainKind::space) {
    std::vector<double> cov(static_cast<std::size_t>(c_.dim * c_.dim));
    for (int a = 0; a < c_.dim; ++a)
      for (int b = 0; b < c_.dim; ++b) cov[static_cast<std::size_t>(a * c_.dim + b)] = c_.gauss_cov(a, b);
    return sample_gaussian(c_.gauss_mean, cov, static_cast<std::size_t>(n), seed);
  }
  return sample_tokens(p_, static_cast<std::size_t>(n), seed, c_.sampler);
}

double Problem::layer_time(long layers, double sigma) const {
  return attnpde::layer_time(layers, c_.tau, cst_, sigma);
}

std::vector<double> Problem::density_values(const Tokens& t) const {
  std::vector<double> v(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto x = t.point(j);
    v[j] = p_(x.data());
  }
  return v;
}

namespace {
// Tokens from which pointwise expression evaluations run on threads, each thread with its
// own copies of the expressions (muparser objects are not thread-safe); the values do not
// depend on the threads.
constexpr std::size_t threaded_tokens = 4096;
}  // namespace

std::vector<double> Problem::initial_values(const Tokens& t) const {
  const std::size_t n = t.size();
  std::vector<double> u(n * u0_.size());
  const auto count = static_cast<std::ptrdiff_t>(n);
  for (std::size_t k = 0; k < u0_.size(); ++k) {
#pragma omp parallel if (n >= threaded_tokens)
    {
      const Expression f(u0_[k]);
#pragma omp for schedule(static)
      for (std::ptrdiff_t j = 0; j < count; ++j) {
        const auto x = t.point(static_cast<std::size_t>(j));
        u[k * n + static_cast<std::size_t>(j)] = f.at(x.data(), c_.dim);
      }
    }
  }
  return u;
}

std::vector<double> Problem::generator_reference(const Tokens& t) const {
  const std::size_t n = t.size();
  std::vector<double> lu(n * u0_.size());
  const auto count = static_cast<std::ptrdiff_t>(n);
  for (std::size_t k = 0; k < u0_.size(); ++k) {
#pragma omp parallel if (n >= threaded_tokens)
    {
      const Expression u(u0_[k]), p(p_expr_);
#pragma omp for schedule(static)
      for (std::ptrdiff_t j = 0; j < count; ++j) {
        const auto x = t.point(static_cast<std::size_t>(j));
        lu[k * n + static_cast<std::size_t>(j)] = c_.verify_conformal
                                                      ? conformal_laplace_beltrami(u, p, c_.metric, x.data())
                                                      : generator_with(u, p, x.data());
      }
    }
  }
  return lu;
}

double Problem::generator_at(const Expression& u, const double* x) const {
  return generator_with(u, p_expr_, x);
}

double Problem::generator_with(const Expression& u, const Expression& p, const double* x) const {
  return domain().kind == DomainKind::sphere ? sphere_generator(u, p, gamma_, x, c_.dim)
                                             : continuum_generator(u, p, G_, gamma_, x, c_.dim);
}

KernelChoice automatic_kernel(const Case& c, double p_max, long n, double sigma, double applications) {
  if (c.domain.kind == DomainKind::space || c.score == Score::dot) return KernelChoice::dense;  // no cutoff
  const int n_dim = c.domain.intrinsic_dim(c.dim);
  const bool fits = search_radius_fits(c.domain, search_radius(c.metric, sigma, c.cutoff));
  const bool small_tail = boost::math::gamma_q(n_dim / c.beta, std::pow(c.cutoff, c.beta)) <= 1e-9;
  const double k = expected_neighbours(n, p_max, MetricScore{c.metric, c.beta, sigma}, c.cutoff, n_dim);
  const KernelWork w = kernel_work(static_cast<double>(n), std::min(k, static_cast<double>(n)), applications);
  return fits && small_tail && w.truncated < w.dense ? KernelChoice::truncated : KernelChoice::dense;
}

double kernel_applications(const Case& c, int layers) {
  if (c.purpose == Purpose::spectrum || (c.purpose == Purpose::study && c.study_spectrum))
    return 15.0 * c.spectrum_count;
  if (c.transport != Transport::none) return c.dim;
  const double weights = c.normalization.kind == NormalizationKind::sinkhorn ? 50 : 1;
  return (layers + 1 + weights) * static_cast<double>(c.u0.size());
}

KernelChoice Problem::choose_kernel(long n, double sigma, int layers) const {
  if (c_.kernel != KernelChoice::automatic) return c_.kernel;
  const double p_max = p_.max_raw() / p_.integral();
  return automatic_kernel(c_, p_max, n, sigma, kernel_applications(c_, layers < 0 ? c_.layers : layers));
}

std::unique_ptr<AttentionKernel> Problem::make_kernel(const Tokens& t, double sigma, int layers) const {
  std::unique_ptr<AttentionKernel> k;
  if (choose_kernel(static_cast<long>(t.size()), sigma, layers) == KernelChoice::truncated)
    k = std::make_unique<TruncatedKernel>(t, score(sigma), c_.cutoff);
  else
    k = std::make_unique<DenseKernel>(t, score(sigma));
  int ranks = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
  // Several ranks share the rows of every application (identical results on any count).
  if (ranks > 1) k = std::make_unique<RowSplitKernel>(std::move(k), PETSC_COMM_WORLD);
  return k;
}

SplitErrors Problem::generator_error(const AttentionKernel& k, const Tokens& t, double sigma, const ColumnWeights& w,
                                     const std::vector<double>& u0, const std::vector<double>& reference) const {
  std::vector<double> au(u0.size());
  apply_components(k, u0.data(), au.data(), u0.size(), w.data());
  const double scale = 1.0 / (cst_ * sigma * sigma);
  for (std::size_t j = 0; j < u0.size(); ++j) au[j] = (au[j] - u0[j]) * scale;
  return split_errors(au, reference, t, sigma, k.row_comm());
}

double Problem::weight(const double* x) const {
  // w = p^gamma; the normalization of p cancels in w^-1 div(w G grad u).
  return std::pow(p_(grid_point(x).data()), gamma_);
}

std::array<double, 3> Problem::grid_point(const double* x) const {
  if (domain().kind == DomainKind::sphere) return circle_point(x[0]);
  std::array<double, 3> y{};
  for (int d = 0; d < c_.dim; ++d) y[static_cast<std::size_t>(d)] = x[d];
  return y;
}

std::vector<double> Problem::harmonic_at_tokens(double t, const Tokens& tokens) const {
  std::vector<double> out;
  // pde_G_ is the identity, or half of it with a planted error (`verify --plant pde`).
  const double time = t * pde_G_(0, 0);
  for (const auto& h : heat_) {
    const auto v = h.at(time, {tokens.coord[0].data(), tokens.coord[1].data(), tokens.coord[2].data()}, tokens.size());
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

MatOwner Problem::limit_operator(const Grid& grid, double* g_max_out) const {
  auto weight = [this](const double* x) { return this->weight(x); };
  MatOwner op;
  double g_max = g_max_;
  std::vector<Expression> b(c_.drift.begin(), c_.drift.end());
  VectorFunction drift;
  if (!b.empty())
    drift = [&b, n = c_.dim](const double* x) {
      Eigen::VectorXd v(n);
      for (int d = 0; d < n; ++d) v[d] = b[static_cast<std::size_t>(d)].at(x, n);
      return v;
    };
  if (c_.metric_field.empty()) {
    op = assemble_operator(grid, pde_G_, weight, drift);
  } else {
    // G(x) from the case (`attnpde pde`); dt_auto uses its largest eigenvalue at the nodes.
    std::vector<Expression> g(c_.metric_field.begin(), c_.metric_field.end());
    const int n = c_.dim;
    auto G_at = [&g, n](const double* x) {
      Eigen::MatrixXd m(n, n);
      for (int a = 0; a < n; ++a)
        for (int col = 0; col < n; ++col) m(a, col) = g[static_cast<std::size_t>(a * n + col)].at(x, n);
      return m;
    };
    op = assemble_operator(grid, G_at, weight, drift);
    g_max = 0;
    std::array<int, 3> start, count;
    grid.owned(start, count);
    for (int k = start[2]; k < start[2] + count[2]; ++k)
      for (int j = start[1]; j < start[1] + count[1]; ++j)
        for (int i = start[0]; i < start[0] + count[0]; ++i) {
          const double x[3] = {grid.coordinate(0, i), grid.coordinate(1, j), grid.coordinate(2, k)};
          Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(G_at(x));
          g_max = std::max(g_max, eig.eigenvalues().maxCoeff());
        }
    MPI_Allreduce(MPI_IN_PLACE, &g_max, 1, MPI_DOUBLE, MPI_MAX, grid.comm());
  }
  if (g_max_out) *g_max_out = g_max;
  return op;
}

PdeOptions Problem::pde_options() const {
  PdeOptions opt;
  opt.dt = c_.dt;
  opt.rtol = c_.rtol;
  opt.atol = c_.atol;
  // Constant G on the torus, or constant diagonal G in the box: FFT / DCT steps, exact when
  // w = p^gamma is constant (p uniform or gamma = 0) and there is no drift, else transform-
  // preconditioned GMRES. (A full G in the box would leave its mixed terms out of the DCT
  // symbol, and the iteration count would grow with the grid: multigrid there.)
  if (c_.metric_field.empty() && (grid_domain().periodic() || pde_G_.isDiagonal())) {
    opt.fourier_metric = pde_G_;
    opt.fourier_exact = c_.drift.empty() && (p_.is_uniform() || gamma_ == 0.0);
  }
  return opt;
}

std::vector<std::unique_ptr<PdeSolver>> Problem::make_pdes(const Grid& grid) const {
  double g_max = g_max_;
  MatOwner op = limit_operator(grid, &g_max);
  const PdeOptions opt = pde_options();
  const int dim = c_.dim;
  std::vector<std::unique_ptr<PdeSolver>> solvers;
  for (std::size_t k = 0; k < u0_.size(); ++k) {
    MatOwner copy;
    if (k + 1 < u0_.size()) ATTNPDE_PETSC(MatDuplicate(op, MAT_COPY_VALUES, copy.out()));
    const Expression& u0 = u0_[k];
    solvers.push_back(std::make_unique<PdeSolver>(
        grid, k + 1 < u0_.size() ? std::move(copy) : std::move(op),
        [this, &u0, dim](const double* x) { return u0.at(grid_point(x).data(), dim); }, opt, g_max));
  }
  return solvers;
}

GridInterpolator Problem::interpolator(const Grid& grid, const PdeSolver& pde) const {
  return interpolator(grid, pde.gather());
}

GridInterpolator Problem::interpolator(const Grid& grid, std::vector<double> values) const {
  return GridInterpolator(grid_dim(), grid.nodes(), std::move(values), grid_domain());
}

std::vector<double> Problem::at_tokens(const GridInterpolator& f, const Tokens& t) const {
  std::vector<double> v(t.size());
  const bool circle = domain().kind == DomainKind::sphere;
  for (std::size_t j = 0; j < t.size(); ++j) {
    auto x = t.point(j);
    if (circle) x[0] = circle_angle(x[0], x[1]);
    v[j] = f(x.data());
  }
  return v;
}

}  // namespace attnpde
