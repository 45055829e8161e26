#include "attention/continuous.hpp"

#include <boost/numeric/odeint.hpp>

namespace attnpde {

void integrate_continuous(const Tokens& tokens, const MetricScore& score, const double* weights, double c, double t0,
                          double t1, double rtol, double atol, std::vector<double>& u, OdeStats& stats) {
  integrate_continuous(DenseKernel(tokens, score), score.sigma, weights, c, t0, t1, rtol, atol, u, stats);
}

void integrate_continuous(const AttentionKernel& kernel, double sigma, const double* weights, double c, double t0,
                          double t1, double rtol, double atol, std::vector<double>& u, OdeStats& stats) {
  namespace odeint = boost::numeric::odeint;
  if (!(t1 > t0)) return;
  using State = std::vector<double>;
  const double rate = 1.0 / (c * sigma * sigma);
  std::vector<double> au(u.size());
  auto rhs = [&](const State& x, State& dxdt, double) {
    apply_components(kernel, x.data(), au.data(), x.size(), weights);
    for (std::size_t i = 0; i < x.size(); ++i) dxdt[i] = rate * (au[i] - x[i]);
    ++stats.rhs_evaluations;
  };
  // The initial step: a tenth of the fastest relaxation time c sigma^2 (A - I has
  // spectrum in [-2, 0]); the controller adapts from there.
  const double dt0 = 0.1 / rate;
  stats.steps += static_cast<long>(odeint::integrate_adaptive(
      odeint::make_controlled<odeint::runge_kutta_dopri5<State>>(atol, rtol), rhs, u, t0, t1, dt0));
}

}  // namespace attnpde
