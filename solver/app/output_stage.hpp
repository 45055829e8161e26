#pragma once
// Outputs that are either complete or absent. A command writes into a staging folder
// beside its target (PARENT/.NAME.attnpde-partial-PID); only when everything is written
// does commit() put it in place:
//  - a new target: one rename;
//  - an existing target: an atomic exchange of the two folders, then the files of the
//    earlier result that attnpde did not write (a user's notes, plots) are moved into the
//    new one, and the earlier attnpde outputs are deleted: the folder holds exactly the new
//    run's outputs, and no stale VTK frame survives.
// A failed or interrupted run (exception, SIGINT, SIGTERM, SIGHUP) removes the staging
// folder and leaves an earlier result byte for byte as it was. A lock file
// (PARENT/.NAME.attnpde-lock, flock) makes a second run into the same folder refuse.

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace attnpde {

/// Is `relative` (a path inside an output folder, e.g. "vtk/tokens_000004.vtu") a file
/// that attnpde writes? Those are replaced by a rerun; every other file is kept.
bool is_attnpde_output(const std::string& relative);

class OutputStage {
 public:
  /// Collective over comm. Creates the parent of `target`, takes the lock and creates the
  /// staging folder; throws OutputFolderError (before any computation) when the target is
  /// not a folder, cannot be created, or is locked by another run.
  OutputStage(const std::string& target, MPI_Comm comm);
  /// Removes the staging folder (and releases the lock) unless committed.
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  /// Where the command writes.
  const std::string& path() const { return staging_; }
  const std::string& target() const { return target_; }
  /// PARENT/.NAME.attnpde-KIND: a file beside the target that outlives a failed run (the
  /// study journal).
  std::string beside(const std::string& kind) const;
  /// Collective: puts the staged outputs in place (see above); signals are blocked meanwhile.
  void commit();
  /// Removes the staging folder and releases the lock (what the destructor does when the
  /// outputs were not committed).
  void abort() noexcept;

 private:
  std::string target_, staging_, lock_;
  MPI_Comm comm_;
  int lock_fd_ = -1;
  bool root_ = false, committed_ = false;
};

/// The output folder cannot be used (exit code 2: a bad --out or output.dir).
class OutputFolderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace attnpde
