// attnpde: softmax attention as a diffusion process, computed side by side with the
// finite-difference solution of its continuum limit (docs/theory.md).
//
//   attnpde run   CASE [--out DIR] [--set section.key=value]... [--threads N] [--quiet] [-- PETSc options]
//   attnpde study CASE ...   convergence harness: rates of the generator and dynamics errors
//   attnpde pde   CASE ...   the finite-difference solver alone
//   attnpde probe CASE ...   Kramers-Moyal drift and diffusion against docs/theory.md section 4
//   attnpde check CASE [--for COMMAND]   validate the case file only
//   attnpde keys             the case-file key reference (Markdown)
//
// main splits argv at "--", parses the command line, loads and validates the case, starts
// PETSc and dispatches to the command table (solver/app/commands.cpp).
// Exit codes: 0 success, 2 bad input (one line FILE:LINE:COL: error: KEY: MESSAGE), 1 other.

#include <omp.h>
#include <slepcsys.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <attnpde/version.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "discretization/petsc_util.hpp"
#include "solver/app/budget.hpp"
#include "solver/app/case.hpp"
#include "solver/app/case_checks.hpp"
#include "solver/app/case_keys.hpp"
#include "solver/app/commands.hpp"
#include "solver/app/output_stage.hpp"
#include "solver/app/verify_command.hpp"

namespace {

const int exit_input_error = 2;
const int exit_failure = 1;

// PETSc and SLEPc are initialized for the lifetime of this object with the arguments after "--".
class PetscSession {
 public:
  PetscSession(int argc, char** argv) : argc_(argc), argv_(argv) {
    if (SlepcInitialize(&argc_, &argv_, nullptr, nullptr) != 0) throw std::runtime_error("PETSc initialization failed");
  }
  ~PetscSession() { SlepcFinalize(); }
  PetscSession(const PetscSession&) = delete;
  PetscSession& operator=(const PetscSession&) = delete;

 private:
  int argc_;
  char** argv_;
};

// The options of one invocation.
struct Options {
  std::string case_path, out_dir, check_for;
  std::vector<std::string> sets;
  int threads = 0;
  bool quiet = false, verbose = false, force = false, resume = false;
};

// One line on stderr and the exit code of a failure: 2 for bad input (the case file, an
// override, the output folder; the message already names FILE:LINE:COL), 1 for the rest.
int report_failure(const std::exception& e) {
  if (dynamic_cast<const attnpde::InputError*>(&e) || dynamic_cast<const attnpde::OutputFolderError*>(&e)) {
    std::fprintf(stderr, "%s\n", e.what());
    return exit_input_error;
  }
  std::fprintf(stderr, "attnpde: error: %s\n", e.what());
  return exit_failure;
}

// Options given to PETSc that nothing read (a misspelling such as -ts_typo): a warning each.
void warn_unused_petsc_options() {
  PetscInt n = 0;
  char** names = nullptr;
  char** values = nullptr;
  if (PetscOptionsLeftGet(nullptr, &n, &names, &values) != 0) return;
  for (PetscInt k = 0; k < n; ++k)
    std::fprintf(stderr, "attnpde: warning: PETSc option -%s%s%s was not used (misspelled, or not for this run?)\n",
                 names[k], values[k] ? " " : "", values[k] ? values[k] : "");
  PetscOptionsLeftRestore(nullptr, &n, &names, &values);
}

}  // namespace

// Under AddressSanitizer (ATTNPDE_SANITIZE): MPI and OpenMP keep buffers until exit that
// LeakSanitizer would report; the memory-error checks stay on. Unused in other builds.
extern "C" const char* __asan_default_options() {
  return "detect_leaks=0";
}

int main(int argc, char** argv) {
  // Split at "--": ours before, PETSc's after (argv[0] is passed to both).
  std::vector<char*> ours{argv[0]}, petsc{argv[0]};
  bool after = false;
  for (int k = 1; k < argc; ++k) {
    if (!after && std::string(argv[k]) == "--") {
      after = true;
      continue;
    }
    (after ? petsc : ours).push_back(argv[k]);
  }
  std::string command_line;
  for (int k = 0; k < argc; ++k) command_line += (k ? " " : "") + std::string(argv[k]);

  CLI::App app{"attnpde: softmax attention as a diffusion process, beside a finite-difference PDE solver"};
  app.set_version_flag("--version",
                       std::string("attnpde ") + attnpde::version_string + " (" + attnpde::git_commit + ")");
  app.require_subcommand(1);
  Options opt;
  auto add_case = [&](CLI::App* sub) {
    sub->add_option("case", opt.case_path, "TOML case file")->required();
    sub->add_option("--set", opt.sets, "Override a case key: section.key=value (repeatable, validated like the file)")
        ->allow_extra_args(false);
  };
  std::map<std::string, CLI::App*> subs;
  std::vector<std::string> names;
  for (const auto& cmd : attnpde::commands()) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.help);
    add_case(sub);
    sub->add_option("--out", opt.out_dir, "Output directory (default: output.dir of the case)");
    sub->add_option("--threads", opt.threads, "OpenMP threads per rank (default: all cores, shared among MPI ranks)")
        ->check(CLI::Range(1, 4096));
    sub->add_flag("--quiet", opt.quiet, "No progress output");
    sub->add_flag("--verbose", opt.verbose, "Full PETSc error reports (default: one summarized line)");
    sub->add_flag("--force", opt.force, "Run even what the work and memory estimate refuses");
    if (cmd.needs == attnpde::Purpose::study)
      sub->add_flag("--resume", opt.resume, "Take the points a killed or failed study into the same folder finished");
    subs[cmd.name] = sub;
    names.push_back(cmd.name);
  }
  auto* check = app.add_subcommand("check", "Validate a case file and print it as resolved");
  add_case(check);
  check->add_option("--for", opt.check_for, "Command the case is checked for (default: inferred from the case)")
      ->check(CLI::IsMember(names));
  auto* keys = app.add_subcommand("keys", "Print the case-file key reference (Markdown)");
  auto* verify =
      app.add_subcommand("verify", "Run the verification targets of docs/theory.md section 7, with a report");
  std::vector<std::string> verify_targets;
  std::string verify_cases = "cases/verify";
  bool verify_full = false;
  verify->add_option("targets", verify_targets, "Targets (T1, T3, ...) or case names; default: all");
  verify->add_flag("--full", verify_full, "Also the long sweeps (about an hour)");
  verify->add_option("--cases", verify_cases, "Folder of the verification cases")->capture_default_str();
  verify->add_option("--out", opt.out_dir, "Output folder (default: results/verify)");
  verify->add_option("--threads", opt.threads, "OpenMP threads")->check(CLI::Range(1, 4096));
  verify->add_flag("--quiet", opt.quiet, "No progress output");
  std::string plant = "none";
  verify
      ->add_option("--plant", plant,
                   "Self-test of the verifier: plant an error (c: c(beta, n) 25% off; gamma: gamma + 1; pde: half "
                   "the diffusion in the PDE) and see the matching target fail")
      ->check(CLI::IsMember({"none", "c", "gamma", "pde"}));
  app.footer(
      "Arguments after -- go to PETSc (e.g. -- -ts_type bdf -ksp_type cg -log_view).\n"
      "Exit codes: 0 success, 2 bad input, 1 other failure.");

  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line, like every other input error.
    std::fprintf(stderr, "attnpde: error: %s (see attnpde --help)\n", e.what());
    return exit_input_error;
  }

  if (keys->parsed()) {
    std::cout << attnpde::case_keys_markdown();
    return 0;
  }

  if (verify->parsed()) {
    try {
      if (opt.threads > 0) omp_set_num_threads(opt.threads);
      const int petsc_argc = static_cast<int>(petsc.size());
      petsc.push_back(nullptr);
      PetscSession petsc_session(petsc_argc, petsc.data());
      attnpde::quiet_petsc_errors();
      attnpde::RunSettings settings;
      settings.shown_dir = opt.out_dir.empty() ? "results/verify" : opt.out_dir;
      settings.quiet = opt.quiet;
      settings.command_line = command_line;
      settings.command = "verify";
      settings.threads = omp_get_max_threads();
      attnpde::OutputStage stage(settings.shown_dir, PETSC_COMM_WORLD);
      settings.out_dir = stage.path();
      const attnpde::PlantedError planted = plant == "c"       ? attnpde::PlantedError::constant
                                            : plant == "gamma" ? attnpde::PlantedError::gamma
                                            : plant == "pde"   ? attnpde::PlantedError::pde_half_diffusion
                                                               : attnpde::PlantedError::none;
      const attnpde::VerifyOutcome v =
          attnpde::run_verify(verify_cases, verify_targets, verify_full, settings, planted);
      stage.commit();
      if (attnpde::is_root_rank()) std::fputs(v.report.c_str(), stdout);
      return v.passed ? 0 : exit_failure;
    } catch (const std::exception& e) {
      return report_failure(e);
    }
  }

  try {
    std::vector<attnpde::Override> overrides;
    for (const auto& s : opt.sets) overrides.push_back({s});
    // Validation first, before PETSc and before anything is written.
    if (check->parsed()) {
      std::string reason;
      const attnpde::Purpose purpose = opt.check_for.empty() ? attnpde::infer_purpose(opt.case_path, reason)
                                                             : attnpde::find_command(opt.check_for)->needs;
      const attnpde::Case c = attnpde::load_case(opt.case_path, overrides, purpose);
      std::cout << c.resolved.dump() << "\n";
      std::fprintf(stderr, "attnpde: %s is valid for `attnpde %s`%s\n", opt.case_path.c_str(),
                   attnpde::purpose_name(purpose), reason.empty() ? "" : (" (inferred: " + reason + ")").c_str());
      return 0;
    }
    const attnpde::Command* cmd = nullptr;
    for (const auto& [name, sub] : subs)
      if (sub->parsed()) cmd = attnpde::find_command(name);
    const attnpde::Case c = attnpde::load_case(opt.case_path, overrides, cmd->needs);

    // What cannot finish in reasonable time or fit in memory is refused before it starts.
    const attnpde::Budget budget = attnpde::estimate_budget(c);
    if (const std::string why = attnpde::budget_refusal(budget, opt.out_dir.empty() ? c.out_dir : opt.out_dir);
        !why.empty() && !opt.force) {
      std::fprintf(stderr, "%s: error: refused: %s\n", opt.case_path.c_str(), why.c_str());
      return exit_input_error;
    }
    if (opt.threads > 0) omp_set_num_threads(opt.threads);
    attnpde::RunSettings settings;
    settings.shown_dir = opt.out_dir.empty() ? c.out_dir : opt.out_dir;
    settings.quiet = opt.quiet;
    settings.force = opt.force;
    settings.command_line = command_line;
    settings.command = cmd->name;
    const int petsc_argc = static_cast<int>(petsc.size());
    petsc.push_back(nullptr);  // MPI and PETSc expect argv[argc] == NULL
    PetscSession petsc_session(petsc_argc, petsc.data());
    // Without --threads, the ranks share the cores: cores / ranks threads each.
    int ranks = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
    if (opt.threads <= 0 && ranks > 1) omp_set_num_threads(std::max(1, omp_get_num_procs() / ranks));
    settings.threads = omp_get_max_threads();
    if (!opt.verbose) attnpde::quiet_petsc_errors();
    // Outputs go to a staging folder and are put in place only when complete.
    attnpde::OutputStage stage(settings.shown_dir, PETSC_COMM_WORLD);
    settings.out_dir = stage.path();
    settings.resume = opt.resume;
    if (attnpde::is_root_rank())
      for (const auto& w : attnpde::regime_warnings(c)) std::fprintf(stderr, "attnpde: warning: %s\n", w.c_str());
    if (cmd->needs == attnpde::Purpose::study) settings.journal = stage.beside("study-journal.csv");
    std::string summary;
    try {
      summary = cmd->run(c, settings);
      stage.commit();
      if (!settings.journal.empty() && attnpde::is_root_rank()) std::remove(settings.journal.c_str());
    } catch (const std::runtime_error& e) {
      // A study keeps its finished points: say so on the same line.
      // Name the files where the user will look for them, not in the staging folder.
      std::string message = e.what();
      for (std::size_t at; (at = message.find(stage.path())) != std::string::npos;)
        message.replace(at, stage.path().size(), settings.shown_dir);
      if (!settings.journal.empty() && attnpde::is_root_rank()) {
        std::ifstream journal(settings.journal);
        long points = -1;
        for (std::string line; std::getline(journal, line);) ++points;
        if (points > 0)
          message += "; " + std::to_string(points) + " finished study points are kept in " + settings.journal +
                     ": rerun with --resume to continue";
      }
      // A failure on some ranks only would leave the others waiting in a collective call:
      // report it and end the whole job.
      if (ranks > 1) {
        stage.abort();
        std::fprintf(stderr, "attnpde: error: %s\n", message.c_str());
        MPI_Abort(PETSC_COMM_WORLD, exit_failure);
      }
      if (dynamic_cast<const attnpde::InputError*>(&e)) throw;
      throw std::runtime_error(message);
    }
    if (!summary.empty()) std::fputs(summary.c_str(), stdout);
    warn_unused_petsc_options();
  } catch (const std::exception& e) {
    return report_failure(e);
  }
  return 0;
}
