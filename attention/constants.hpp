#pragma once
// Constants of the continuum limit of metric attention (THEORY.md section 2).

namespace attnpde {

/// Domain period of the flat torus [0, 2 pi)^n.
inline constexpr double torus_period = 6.283185307179586476925286766559;

/// c(beta, n) = Gamma((n+2)/beta) / (2 n Gamma(n/beta)), the factor in
/// (A u - u) = c sigma^2 L_gamma u + ...  (beta = 2: 1/4; beta = 1: (n+1)/2).
double generator_constant(double beta, int dim);

/// Temperature eps = sigma^beta of the metric score rho = d_M^beta.
double temperature(double sigma, double beta);

/// Layer time t_K = K tau c sigma^2 reached by K residual layers.
double layer_time(int layers, double tau, double beta, double sigma, int dim);

}  // namespace attnpde
