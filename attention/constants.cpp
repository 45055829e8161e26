#include "attention/constants.hpp"

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

double layer_time(int layers, double tau, double beta, double sigma, int dim) {
  return layers * tau * generator_constant(beta, dim) * sigma * sigma;
}

}  // namespace attnpde
