#pragma once
// `attnpde run` with attention.transport = true: the tokens themselves move by blurring
// mean shift (attention/transport.hpp); no PDE is solved (the limit is the ill-posed
// backward heat equation). Writes tokens.csv (initial and final positions),
// clustering.csv (layer, t, clusters, mean nearest-neighbour distance), tokens.pvd with
// one .vtu per written layer, and manifest.json.

#include "solver/app/manifest.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

struct TransportResult {
  int clusters_initial = 0, clusters_final = 0;
  double nearest_initial = 0, nearest_final = 0;
};

TransportResult run_transport(const Case& c, const RunSettings& settings);

}  // namespace attnpde
