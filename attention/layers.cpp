#include "attention/layers.hpp"

namespace attnpde {

void run_layers(const Tokens& tokens, const MetricScore& score, double tau, int layers, std::vector<double>& u,
                const LayerCallback& after_layer, const double* weights) {
  run_layers(DenseKernel(tokens, score), tau, layers, u, after_layer, weights);
}

void run_layers(const AttentionKernel& kernel, double tau, int layers, std::vector<double>& u,
                const LayerCallback& after_layer, const double* weights) {
  std::vector<double> au(u.size());
  for (int k = 1; k <= layers; ++k) {
    apply_components(kernel, u.data(), au.data(), u.size(), weights);
    for (std::size_t i = 0; i < u.size(); ++i) u[i] += tau * (au[i] - u[i]);
    if (after_layer) after_layer(k, u);
  }
}

}  // namespace attnpde
