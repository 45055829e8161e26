#pragma once
// What every command writes besides its data: the run settings, the JSON manifest
// (case, version, commit, seed, threads, ranks, timings, results) and its output list.

#include <string>
#include <vector>

#include "postprocess/json.hpp"
#include "solver/app/case.hpp"
#include "solver/pde_solver.hpp"

namespace attnpde {

/// How a command runs: where it writes, how much it says, how it was called.
struct RunSettings {
  std::string out_dir;    ///< where the command writes (the staging folder of OutputStage)
  std::string shown_dir;  ///< the output folder as the user named it (printed)
  bool force = false;     ///< run even what the work estimate refuses
  bool resume = false;    ///< study: take the finished points of the journal
  std::string journal;    ///< study: the journal of finished points (beside the output folder)
  bool quiet = false;
  int threads = 1;
  std::string command_line;
  std::string command;  ///< "run" | "study" | "pde" | "probe"
};

/// True on MPI rank 0 of PETSC_COMM_WORLD (the rank that writes serial outputs).
bool is_root_rank();

/// Common manifest fields: case, version, commit, threads, ranks, command line.
Json manifest_header(const Case& c, const RunSettings& settings);
/// The manifest section of the PDE solvers' statistics.
Json pde_stats_json(const PdeStats& stats);

/// What a manifest reports of a truncated kernel: of one kernel, or reduced over the ranks of
/// a distributed one (nonzeros summed, build time the slowest rank's).
struct TruncatedKernelSummary {
  double cutoff = 0.0;
  long nonzeros = 0;
  double mean_neighbours = 0.0;
  double neglected_weight_bound = 0.0;
  double neglected_weight_typical = 0.0;
  bool float32_weights = false;
  double build_seconds = 0.0;
};
/// Sets those keys on a manifest's kernel section.
void set_truncated_kernel(Json& kernel, const TruncatedKernelSummary& t);
/// Writes text and a newline to path (throws on failure).
void write_text(const std::string& path, const std::string& text);
/// Adds the list of output files (manifest.json included) and writes out_dir/manifest.json.
void write_manifest(Json manifest, const RunSettings& settings, std::vector<std::string> outputs);

}  // namespace attnpde
