#pragma once
// Continuous depth: the layer map u <- u + tau (A u - u) is the explicit Euler step of
//   du/dt = (A u - u) / (c sigma^2)
// in layer time t = k tau c sigma^2; this integrates that ODE itself with Boost.Odeint's
// error-controlled Dormand-Prince 5(4) stepper (tolerances from the case file), so the
// finite-tau error of the layers can be separated from the finite-sigma error of A.

#include <vector>

#include "attention/kernel.hpp"

namespace attnpde {

struct OdeStats {
  long steps = 0;
  long rhs_evaluations = 0;
};

/// Integrates from t0 to t1 in place (A with column weights `weights`, null = softmax).
/// `c` is the generator constant c(beta, n). Adds its work to `stats`.
void integrate_continuous(const AttentionKernel& kernel, double sigma, const double* weights, double c, double t0,
                          double t1, double rtol, double atol, std::vector<double>& u, OdeStats& stats);
/// The same with the dense kernel.
void integrate_continuous(const Tokens& tokens, const MetricScore& score, const double* weights, double c, double t0,
                          double t1, double rtol, double atol, std::vector<double>& u, OdeStats& stats);

}  // namespace attnpde
