#pragma once
// `attnpde probe`: Kramers-Moyal drift b(x) and diffusion D(x) of the case's attention on
// a grid of query points (probe.grid per direction), beside the docs/theory.md prediction:
// metric scores (section 4) b = c sigma^2 gamma G grad log p, D = 2 c sigma^2 G; the dot
// product on Gaussian tokens (section 5, queries over mu +- 2 standard deviations)
// b = mu + Sigma B^T x / eps - x, D = Sigma + b b^T. Writes probe.csv,
// probe.vti (vectors b, b_pred and tensors D, D_pred, padded to 3D) and manifest.json.

#include "solver/app/manifest.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

struct ProbeSummary {
  double drift_error = 0;      ///< max |b - b_pred| / max |b_pred|
  double diffusion_error = 0;  ///< max ||D - D_pred||_F / ||D_pred||_F
};

ProbeSummary run_probe(const Case& c, const RunSettings& settings);

}  // namespace attnpde
