#pragma once
// `attnpde run`: one side-by-side point (solver/app/point.hpp) with all its outputs in
// settings.out_dir: tokens.csv, summary.csv, tokens.pvd and fields.pvd (VTK frames every
// output.every layers) and manifest.json.

#include "solver/app/manifest.hpp"
#include "solver/app/point.hpp"

namespace attnpde {

PointResult run_case(const Case& c, const RunSettings& settings);

}  // namespace attnpde
