#pragma once
// The commands of the attnpde program, as a table: adding a command is one entry here
// (solver/app/commands.cpp) and its implementation in a file of its own.

#include <functional>
#include <string>
#include <vector>

#include "solver/app/case.hpp"
#include "solver/app/manifest.hpp"

namespace attnpde {

struct Command {
  std::string name;  ///< the subcommand: attnpde NAME CASE ...
  std::string help;  ///< one line for --help
  Purpose needs;     ///< what the case is loaded and validated for
  /// Computes and writes the outputs; returns the summary that main prints (on rank 0)
  /// once the outputs are in place. Runs inside a PETSc session, after the case was
  /// validated.
  std::function<std::string(const Case&, const RunSettings&)> run;
};

/// The commands that run a case (besides `check` and `keys`, which main handles).
const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

}  // namespace attnpde
