#pragma once
// Minimizers of a smooth objective with its gradient, for metric learning
// (attention/learning.hpp): L-BFGS (LBFGS++, Debian's liblbfgspp-dev, More-Thuente line
// search) or Adam. Both stop after a budget of objective evaluations (one evaluation = one
// loss and gradient), so that two models get the same work; the best point seen is returned.

#include <Eigen/Dense>
#include <functional>
#include <string>

namespace attnpde {

enum class OptimizerKind { lbfgs, adam };

struct OptimizerOptions {
  OptimizerKind kind = OptimizerKind::lbfgs;
  int evaluations = 100;    ///< budget of loss-and-gradient evaluations
  double rate = 0.01;       ///< Adam step size (in parameter units)
  double tolerance = 1e-9;  ///< L-BFGS: stop when |grad| <= tolerance max(1, |theta|)
};

/// f(theta, gradient) -> loss, writing the gradient.
using Objective = std::function<double(const Eigen::VectorXd&, Eigen::VectorXd&)>;
/// Called after every evaluation with its number (1-based), the point and its loss.
using EvaluationCallback = std::function<void(int, const Eigen::VectorXd&, double)>;

struct OptimizerResult {
  Eigen::VectorXd theta;  ///< the best point evaluated
  double loss = 0;
  int evaluations = 0;
  std::string stop;  ///< why it stopped: "budget", "converged", "line search: ..."
};

OptimizerResult minimize(const Objective& f, const Eigen::VectorXd& theta0, const OptimizerOptions& options,
                         const EvaluationCallback& after = {});

}  // namespace attnpde
