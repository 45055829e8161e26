#pragma once
// `attnpde verify [TARGET...] [--full] [--out DIR]`: every claim of docs/theory.md section 7
// that a case under cases/verify/ checks, run and judged in one command. Each case names
// its target (T1, T3, T4, ...), the command that runs it and what passes: the study fits
// it lists, each against the study's expected slope with its stated rule (interval holds
// the value, or the slope within the tolerance), or a probe's largest error. Writes each
// target's outputs to DIR/<case>/ and DIR/report.md; one line per target on stdout.

#include <string>
#include <vector>

#include "solver/app/case.hpp"
#include "solver/app/manifest.hpp"

namespace attnpde {

struct VerifyOutcome {
  std::string report;  ///< the printed lines
  bool passed = true;  ///< every checked target passed
  int targets = 0;
};

/// Runs the targets of `cases_dir` (all, or those whose target name or case name is in
/// `selected`); `full`: also the long ones. Throws InputError for a bad case file.
VerifyOutcome run_verify(const std::string& cases_dir, const std::vector<std::string>& selected, bool full,
                         const RunSettings& settings, PlantedError plant = PlantedError::none);

}  // namespace attnpde
