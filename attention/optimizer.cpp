#include "attention/optimizer.hpp"

#include <LBFGS.h>
#include <LBFGSpp/LineSearchNocedalWright.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace attnpde {

namespace {

// Thrown from inside the objective when the evaluation budget is spent.
struct BudgetSpent {};

}  // namespace

OptimizerResult minimize(const Objective& f, const Eigen::VectorXd& theta0, const OptimizerOptions& options,
                         const EvaluationCallback& after) {
  if (options.evaluations < 1) throw std::invalid_argument("the optimizer needs at least one evaluation");
  OptimizerResult best;
  best.theta = theta0;
  best.loss = std::numeric_limits<double>::infinity();
  // Every evaluation goes through here: counted, reported, the best point kept.
  auto counted = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& grad) {
    if (best.evaluations >= options.evaluations) throw BudgetSpent{};
    const double loss = f(theta, grad);
    ++best.evaluations;
    if (std::isfinite(loss) && loss < best.loss) {
      best.loss = loss;
      best.theta = theta;
    }
    if (after) after(best.evaluations, theta, loss);
    return loss;
  };

  if (options.kind == OptimizerKind::adam) {
    // Adam (Kingma and Ba 2015) with the usual beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
    const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    Eigen::VectorXd theta = theta0, grad(theta0.size()), m = Eigen::VectorXd::Zero(theta0.size()),
                    v = Eigen::VectorXd::Zero(theta0.size());
    for (int k = 1; k <= options.evaluations; ++k) {
      counted(theta, grad);
      m = beta1 * m + (1 - beta1) * grad;
      v = beta2 * v + (1 - beta2) * grad.cwiseAbs2();
      const Eigen::VectorXd mh = m / (1 - std::pow(beta1, k)), vh = v / (1 - std::pow(beta2, k));
      theta -= options.rate * mh.cwiseQuotient((vh.cwiseSqrt().array() + eps).matrix());
    }
    best.stop = "budget";
    return best;
  }

  LBFGSpp::LBFGSParam<double> param;
  param.epsilon = options.tolerance;
  param.epsilon_rel = options.tolerance;
  param.max_iterations = 0;  // the evaluation budget stops it
  param.max_linesearch = 40;
  param.linesearch = LBFGSpp::LBFGS_LINESEARCH_BACKTRACKING_STRONG_WOLFE;
  LBFGSpp::LBFGSSolver<double, LBFGSpp::LineSearchNocedalWright> solver(param);
  Eigen::VectorXd theta = theta0;
  double fx = 0;
  try {
    solver.minimize(counted, theta, fx);
    best.stop = "converged";
  } catch (const BudgetSpent&) {
    best.stop = "budget";
  } catch (const std::exception& e) {
    // The line search gives up near the minimum, where round-off hides the decrease.
    best.stop = std::string("line search: ") + e.what();
  }
  return best;
}

}  // namespace attnpde
