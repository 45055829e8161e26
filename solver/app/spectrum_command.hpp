#pragma once
// `attnpde spectrum`: the m = spectrum.count smallest eigenvalues of -(A - I)/(c sigma^2)
// for the case's tokens (SLEPc Krylov-Schur on the symmetric conjugate, matrix-free with
// the dense or truncated kernel), beside the FD operator's and, where one exists, the exact
// spectrum (solver/app/spectrum_point.hpp). Writes spectrum.csv (one row per index),
// tokens.vtu (the attention eigenvectors as point data), fd_modes.vti (the FD
// eigenvectors) and manifest.json.

#include <string>

#include "solver/app/manifest.hpp"
#include "solver/app/spectrum_point.hpp"

namespace attnpde {

struct SpectrumSummary {
  SpectrumPoint point;
  std::vector<double> reference, fd, exact_sigma;
  std::string reference_kind;
  double seconds_reference = 0;
  long fd_solves = 0;
  double fd_seconds = 0;
};

SpectrumSummary run_spectrum(const Case& c, const RunSettings& settings);

/// The printed summary of run_spectrum (rank 0).
std::string spectrum_report(const Case& c, const SpectrumSummary& s, const std::string& shown_dir);

}  // namespace attnpde
