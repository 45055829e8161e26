#include "discretization/reference.hpp"

#include <cmath>
#include <functional>

namespace attnpde {

namespace {

const double fd_step = 5e-3;

// f evaluated at x + a h e_i + b h e_j.
double shifted(const Expression& f, const double* x, int dim, int i, double a, int j, double b) {
  double y[3] = {0, 0, 0};
  for (int d = 0; d < dim; ++d) y[d] = x[d];
  y[i] += a * fd_step;
  y[j] += b * fd_step;
  return f.at(y, dim);
}

// Fourth-order first derivative along i.
double d1(const Expression& f, const double* x, int dim, int i) {
  return (-shifted(f, x, dim, i, 2, i, 0) + 8 * shifted(f, x, dim, i, 1, i, 0) - 8 * shifted(f, x, dim, i, -1, i, 0) +
          shifted(f, x, dim, i, -2, i, 0)) /
         (12 * fd_step);
}

// Fourth-order second derivative d^2 f / dx_i dx_j.
double d2(const Expression& f, const double* x, int dim, int i, int j) {
  if (i == j) {
    return (-shifted(f, x, dim, i, 2, i, 0) + 16 * shifted(f, x, dim, i, 1, i, 0) - 30 * f.at(x, dim) +
            16 * shifted(f, x, dim, i, -1, i, 0) - shifted(f, x, dim, i, -2, i, 0)) /
           (12 * fd_step * fd_step);
  }
  const double c[4] = {-1, 8, -8, 1};
  const double o[4] = {2, 1, -1, -2};
  double s = 0.0;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) s += c[a] * c[b] * shifted(f, x, dim, i, o[a], j, o[b]);
  return s / (144 * fd_step * fd_step);
}

}  // namespace

double conformal_laplace_beltrami(const Expression& u, const Expression& p, const Eigen::MatrixXd& M, const double* x) {
  const int n = 3;
  const double power = 4.0 / (n - 2.0), e = 1e-2;
  const Eigen::MatrixXd G = M.inverse();
  const double sqrt_det_m = std::sqrt(M.determinant());
  auto d = [&](const std::function<double(const double*)>& f, const double* y, int axis) {
    double a[3] = {y[0], y[1], y[2]};
    auto at = [&](double s) {
      a[axis] = y[axis] + s * e;
      return f(a);
    };
    return (8.0 * (at(1) - at(-1)) - (at(2) - at(-2))) / (12.0 * e);
  };
  auto phi = [&](const double* y) { return std::pow(p.at(y, n), power); };  // gbar = phi M
  auto sqrt_det = [&](const double* y) { return std::pow(phi(y), 1.5) * sqrt_det_m; };
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    // F_i = |g|^1/2 g^ij d_j u with g^ij = G / phi.
    auto flux = [&](const double* y) {
      double f = 0;
      for (int j = 0; j < n; ++j) f += G(i, j) * d([&](const double* z) { return u.at(z, n); }, y, j);
      return sqrt_det(y) / phi(y) * f;
    };
    sum += d(flux, x, i);
  }
  return phi(x) * sum / sqrt_det(x);
}

double continuum_generator(const Expression& u, const Expression& p, const Eigen::MatrixXd& G, double gamma,
                           const double* x, int dim) {
  double grad_u[3] = {0, 0, 0}, grad_log_p[3] = {0, 0, 0};
  const double p0 = gamma != 0.0 ? p.at(x, dim) : 1.0;
  for (int a = 0; a < dim; ++a) {
    grad_u[a] = d1(u, x, dim, a);
    if (gamma != 0.0) grad_log_p[a] = d1(p, x, dim, a) / p0;
  }
  double value = 0.0;
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b) value += G(a, b) * (d2(u, x, dim, a, b) + gamma * grad_log_p[a] * grad_u[b]);
  return value;
}

double continuum_generator(const Expression& u, const Expression& p, const std::vector<Expression>& G, double gamma,
                           const double* x, int dim) {
  double value = 0.0;
  const double p0 = p.at(x, dim);
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b < dim; ++b) {
      const Expression& g = G[static_cast<std::size_t>(a * dim + b)];
      const double db_u = d1(u, x, dim, b);
      value += g.at(x, dim) * (d2(u, x, dim, a, b) + gamma * d1(p, x, dim, a) / p0 * db_u) + d1(g, x, dim, a) * db_u;
    }
  return value;
}

double sphere_generator(const Expression& u, const Expression& p, double gamma, const double* x, int dim) {
  const int m = dim - 1;  // S^m in R^dim
  double grad_u[3] = {0, 0, 0}, grad_log_p[3] = {0, 0, 0}, radial = 0.0, trace = 0.0, normal = 0.0;
  const double p0 = gamma != 0.0 ? p.at(x, dim) : 1.0;
  for (int a = 0; a < dim; ++a) {
    grad_u[a] = d1(u, x, dim, a);
    if (gamma != 0.0) grad_log_p[a] = d1(p, x, dim, a) / p0;
    radial += x[a] * grad_u[a];
  }
  for (int a = 0; a < dim; ++a)
    for (int b = a; b < dim; ++b) {
      const double h = d2(u, x, dim, a, b);
      if (a == b) trace += h;
      normal += (a == b ? 1.0 : 2.0) * x[a] * x[b] * h;
    }
  // Tangential gradients: P = I - x x^T.
  double drift = 0.0, xp = 0.0;
  for (int a = 0; a < dim; ++a) xp += x[a] * grad_log_p[a];
  for (int a = 0; a < dim; ++a) drift += (grad_log_p[a] - xp * x[a]) * grad_u[a];
  return trace - normal - m * radial + gamma * drift;
}

double layers_multiplier(const Eigen::VectorXd& k, const Eigen::MatrixXd& G, double sigma, double tau, int layers) {
  const double lambda = std::exp(-sigma * sigma * k.dot(G * k) / 4.0);
  return std::pow(1.0 - tau + tau * lambda, layers);
}

double heat_multiplier(const Eigen::VectorXd& k, const Eigen::MatrixXd& G, double t) {
  return std::exp(-t * k.dot(G * k));
}

}  // namespace attnpde
