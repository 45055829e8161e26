#pragma once
// Residual attention layers u^{k+1} = u^k + tau (A u^k - u^k) on fixed tokens
// (docs/theory.md section 1): K layers approximate du/dt = L_gamma u at t_K = K tau c sigma^2.

#include <functional>
#include <vector>

#include "attention/kernel.hpp"

namespace attnpde {

/// Called after layer k (1-based) with the current values; may be empty.
using LayerCallback = std::function<void(int k, const std::vector<double>& u)>;

/// Applies `layers` residual layers with step tau in place; `weights` are the column
/// weights of the normalization (attention/normalization.hpp; null for softmax). A vector
/// field is stored component by component: u has m N entries, component k at [k N, (k+1) N),
/// and every component goes through the same A.
void run_layers(const AttentionKernel& kernel, double tau, int layers, std::vector<double>& u,
                const LayerCallback& after_layer = {}, const double* weights = nullptr);
/// The same with the dense kernel.
void run_layers(const Tokens& tokens, const MetricScore& score, double tau, int layers, std::vector<double>& u,
                const LayerCallback& after_layer = {}, const double* weights = nullptr);

}  // namespace attnpde
