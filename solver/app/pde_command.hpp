#pragma once
// `attnpde pde`: the finite-difference solver alone. Integrates
//   du/dt = p^-gamma div(p^gamma G grad u)
// (gamma of the case's normalization, G = M^-1) from u0 to pde.t_end (0: the t_K of the
// attention section), writes frames every pde.t_end / pde.frames to fields.pvd, and a
// manifest with steps, KSP iterations and the conserved weighted mass sum w u h^n.

#include "solver/app/manifest.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {

struct PdeRunResult {
  double t_end = 0;
  double mass_initial = 0, mass_final = 0;
  PdeStats stats;
};

PdeRunResult run_pde(const Case& c, const RunSettings& settings);

}  // namespace attnpde
