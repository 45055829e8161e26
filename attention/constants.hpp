#pragma once
// Constants of the continuum limit of metric attention (docs/theory.md section 2).

namespace attnpde {

/// Domain period of the flat torus [0, 2 pi)^n.
inline constexpr double torus_period = 6.283185307179586476925286766559;

/// c(beta, n) = Gamma((n+2)/beta) / (2 n Gamma(n/beta)), the factor in
/// (A u - u) = c sigma^2 L_gamma u + ...  (beta = 2: 1/4; beta = 1: (n+1)/2).
double generator_constant(double beta, int dim);

/// Temperature eps = sigma^beta of the metric score rho = d_M^beta.
double temperature(double sigma, double beta);

/// Layer time t_K = K tau c sigma^2 reached by K residual layers, c = c(beta, n): the one
/// place this product is formed (runs, studies, the PDE horizon, transport frames).
double layer_time(long layers, double tau, double c, double sigma);

/// The layer count K >= 1 whose time K tau c sigma^2 is closest to t (a study at a fixed
/// horizon t).
long layers_for_time(double t, double tau, double c, double sigma);

}  // namespace attnpde
