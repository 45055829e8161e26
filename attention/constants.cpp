#include "attention/constants.hpp"

#include <algorithm>
#include <cmath>

namespace attnpde {

double generator_constant(double beta, int dim) {
  const double n = dim;
  // lgamma keeps the ratio finite for small beta, where both Gammas overflow.
  return std::exp(std::lgamma((n + 2.0) / beta) - std::lgamma(n / beta)) / (2.0 * n);
}

double temperature(double sigma, double beta) {
  return std::pow(sigma, beta);
}

double layer_time(long layers, double tau, double c, double sigma) {
  return static_cast<double>(layers) * (tau * c * sigma * sigma);
}

long layers_for_time(double t, double tau, double c, double sigma) {
  return std::max(1L, std::lround(t / (tau * c * sigma * sigma)));
}

}  // namespace attnpde
