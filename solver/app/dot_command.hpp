#pragma once
// `attnpde run` with the dot-product score in the whole space (docs/theory.md section 5):
// residual layers u <- u + tau (A u - u) with A = softmax(X B X^T / eps) on Gaussian tokens,
// and no PDE beside them (the dot score has no vanishing-width diffusion limit there), so
// that users can compare attnpde's layers with their own code on the same tokens.
// Outputs: tokens.csv (x, u0, u_attn; no u_pde columns), summary.csv, tokens.pvd
// (output.vtk), manifest.json.

#include "solver/app/manifest.hpp"

namespace attnpde {

struct DotRunResult {
  long n = 0;
  double eps = 0, tau = 0;
  int layers = 0;
  double change = 0;  ///< ||u_K - u_0||_2 / ||u_0||_2 over all components
  double seconds = 0;
};

DotRunResult run_dot_case(const Case& c, const RunSettings& settings);

}  // namespace attnpde
