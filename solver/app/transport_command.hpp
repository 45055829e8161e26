#pragma once
// Token transport (attention.transport = "attract" | "repel", attention/transport.hpp):
// the tokens themselves move, layer by layer, and no PDE is solved. A point measures
//  - the velocity error at layer 0 (reported as the generator error): the attention
//    velocity sum_j A_ij (x_j - x_i) against its mean-field value, B (m - x) for Gaussian
//    tokens in `space` (exact at any sigma), else c sigma^2 gamma G grad log p (the
//    generator applied to the coordinates, docs/theory.md section 6);
//  - the reference error after K layers (reported as the dynamics error), where the case
//    has an exact reference (transport_reference()): the token covariance against the
//    Gaussian map, or the tokens' Fourier moments against the heat semigroup.
// `run` writes tokens.csv (initial and final positions), clustering.csv (layer, t,
// clusters, mean nearest-neighbour distance), reference.csv (with a reference),
// tokens.pvd with one .vtu per written layer, and manifest.json; `study` fits the rates.

#include <functional>

#include "solver/app/manifest.hpp"
#include "solver/app/point.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

/// Sees a transport point's frames (layers 0, every, ... and the last): the tokens and
/// the reference error so far (NaN without a reference) with the compared quantities.
using TransportObserver = std::function<void(int layer, double t, const Tokens& tokens, double reference_error,
                                             const std::vector<double>& compared)>;

/// The columns of the compared quantities of a case's reference (reference.csv).
std::vector<std::string> transport_compared_columns(const Case& c);

/// One transport point: the same code for `run` and every study point.
PointResult run_transport_point(const Problem& prob, const PointSpec& spec, int every = 0,
                                const TransportObserver& observer = {}, Tokens* final_tokens = nullptr);

struct TransportResult {
  PointResult point;
  int clusters_initial = 0, clusters_final = 0;
  double nearest_initial = 0, nearest_final = 0;
};

TransportResult run_transport(const Case& c, const RunSettings& settings);

}  // namespace attnpde
