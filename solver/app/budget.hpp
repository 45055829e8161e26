#pragma once
// The work and memory a command will take, estimated from the case before anything is
// allocated (docs/theory.md sections 1 and 3 give the costs): dense attention O(N^2) per
// layer, truncated O(N k), the PDE O(unknowns) per step, VTK frames on disk. main refuses
// what cannot finish in reasonable time or fit this machine, unless --force.

#include <string>

#include "solver/app/case.hpp"

namespace attnpde {

struct Budget {
  double seconds = 0;      ///< estimated run time on 2 cores
  double memory = 0;       ///< estimated peak memory, bytes
  double disk = 0;         ///< estimated size of the outputs, bytes
  std::string largest;     ///< the phase that dominates the time, as text
  std::string suggestion;  ///< how to make it smaller
};

/// Estimate of the command's cost (conservative rates of the 2-core project machine).
Budget estimate_budget(const Case& c);

/// Empty when the budget fits (an hour, 80% of the memory, the free disk space of the
/// output folder's file system); else the one-line reason for refusing it.
std::string budget_refusal(const Budget& b, const std::string& out_dir);

}  // namespace attnpde
