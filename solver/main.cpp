// attnpde: softmax attention as a diffusion process, computed side by side with the
// finite-difference solution of its continuum limit (THEORY.md).
//
//   attnpde run   CASE [--out DIR] [--set section.key=value]... [--threads N] [--quiet] [-- PETSc options]
//   attnpde study CASE ...   convergence harness: rates of the generator and dynamics errors
//   attnpde pde   CASE ...   the finite-difference solver alone
//   attnpde probe CASE ...   Kramers-Moyal drift and diffusion against THEORY.md section 4
//   attnpde check CASE ...   validate the case file only
//   attnpde keys             the case-file key reference (Markdown)
//
// Exit codes: 0 success, 2 bad input (one line FILE:LINE:COL: error: KEY: MESSAGE), 1 other.

#include <omp.h>
#include <petscsys.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <attnpde/version.hpp>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include "solver/case.hpp"
#include "solver/case_keys.hpp"
#include "solver/pde_runner.hpp"
#include "solver/probe.hpp"
#include "solver/runner.hpp"
#include "solver/study.hpp"
#include "solver/transport_runner.hpp"

namespace {

const int exit_input_error = 2;
const int exit_failure = 1;

// PETSc is initialized for the lifetime of this object with the arguments after "--".
class PetscSession {
 public:
  PetscSession(int argc, char** argv) {
    argc_ = argc;
    argv_ = argv;
    if (PetscInitialize(&argc_, &argv_, nullptr, nullptr) != 0) throw std::runtime_error("PETSc initialization failed");
  }
  ~PetscSession() { PetscFinalize(); }
  PetscSession(const PetscSession&) = delete;
  PetscSession& operator=(const PetscSession&) = delete;

 private:
  int argc_;
  char** argv_;
};

}  // namespace

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
  std::string case_path, out_dir;
  std::vector<std::string> sets;
  int threads = 0;
  bool quiet = false;
  auto add_common = [&](CLI::App* sub) {
    sub->add_option("case", case_path, "TOML case file")->required();
    sub->add_option("--set", sets, "Override a case key: section.key=value (repeatable, validated like the file)")
        ->allow_extra_args(false);
  };
  auto add_run_opts = [&](CLI::App* sub) {
    sub->add_option("--out", out_dir, "Output directory (default: output.dir of the case)");
    sub->add_option("--threads", threads, "OpenMP threads per rank (default: all cores, shared among MPI ranks)")
        ->check(CLI::Range(1, 4096));
    sub->add_flag("--quiet", quiet, "No progress output");
  };
  auto* run = app.add_subcommand("run", "Run one case: attention layers beside the PDE, all outputs");
  auto* study = app.add_subcommand("study", "Convergence study over N, sigma and seeds with fitted rates");
  auto* pde = app.add_subcommand("pde", "The finite-difference solver alone: fields.pvd and manifest");
  auto* probe = app.add_subcommand("probe", "Kramers-Moyal drift and diffusion on a grid of query points");
  auto* check = app.add_subcommand("check", "Validate a case file and print it as resolved");
  std::string check_for = "run";
  check->add_option("--for", check_for, "Command the case is checked for (pde accepts pde.metric_field, pde.drift)")
      ->check(CLI::IsMember({"run", "study", "pde", "probe"}))
      ->capture_default_str();
  auto* keys = app.add_subcommand("keys", "Print the case-file key reference (Markdown)");
  add_common(run);
  add_common(study);
  add_common(check);
  add_common(probe);
  add_common(pde);
  add_run_opts(pde);
  add_run_opts(run);
  add_run_opts(study);
  add_run_opts(probe);
  app.footer(
      "Arguments after -- go to PETSc (e.g. -- -ts_type bdf -ksp_type cg -log_view).\n"
      "Exit codes: 0 success, 2 bad input, 1 other failure.");

  try {
    app.parse(static_cast<int>(ours.size()), ours.data());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : exit_input_error;
  }

  if (keys->parsed()) {
    std::cout << attnpde::case_keys_markdown();
    return 0;
  }

  try {
    std::vector<attnpde::Override> overrides;
    for (const auto& s : sets) overrides.push_back({s});
    // Validation first, before PETSc and before anything is written.
    const bool as_study = study->parsed() || (check->parsed() && check_for == "study");
    const bool as_pde = pde->parsed() || (check->parsed() && check_for == "pde");
    const bool as_probe = probe->parsed() || (check->parsed() && check_for == "probe");
    const auto purpose = as_study   ? attnpde::Purpose::study
                         : as_pde   ? attnpde::Purpose::pde
                         : as_probe ? attnpde::Purpose::probe
                                    : attnpde::Purpose::run;
    attnpde::Case c = attnpde::load_case(case_path, overrides, purpose);
    if (check->parsed()) {
      std::cout << c.resolved.dump() << "\n";
      std::fprintf(stderr, "attnpde: %s is valid\n", case_path.c_str());
      return 0;
    }
    if (threads > 0) omp_set_num_threads(threads);
    attnpde::RunSettings settings;
    settings.out_dir = out_dir.empty() ? c.out_dir : out_dir;
    settings.quiet = quiet;
    settings.threads = omp_get_max_threads();
    settings.command_line = command_line;
    settings.command = run->parsed() ? "run" : (study->parsed() ? "study" : (probe->parsed() ? "probe" : "pde"));
    const int petsc_argc = static_cast<int>(petsc.size());
    petsc.push_back(nullptr);  // MPI and PETSc expect argv[argc] == NULL
    PetscSession petsc_session(petsc_argc, petsc.data());
    // Without --threads, the ranks share the cores: cores / ranks threads each.
    int ranks = 1;
    MPI_Comm_size(PETSC_COMM_WORLD, &ranks);
    if (threads <= 0 && ranks > 1) omp_set_num_threads(std::max(1, omp_get_num_procs() / ranks));
    settings.threads = omp_get_max_threads();
    if (run->parsed() && c.transport) {
      const auto r = attnpde::run_transport(c, settings);
      if (attnpde::is_root_rank()) {
        std::printf("case %s: token transport, N = %ld, sigma = %g, tau = %g, layers = %d\n", c.name.c_str(), c.n,
                    c.sigma, c.tau, c.layers);
        std::printf("clusters (link sigma/10): %d -> %d; mean nearest-neighbour distance: %.4e -> %.4e\n",
                    r.clusters_initial, r.clusters_final, r.nearest_initial, r.nearest_final);
        std::printf("outputs: %s/{tokens.csv,clustering.csv,manifest.json%s}\n", settings.out_dir.c_str(),
                    c.vtk ? ",tokens.pvd" : "");
      }
    } else if (run->parsed()) {
      const auto r = attnpde::run_case(c, settings);
      if (attnpde::is_root_rank()) {
        std::printf("case %s: N = %ld, sigma = %g, tau = %g, layers = %d, t = %.6g\n", c.name.c_str(), r.n, r.sigma,
                    r.tau, r.layers, r.t);
        std::printf("generator error (T1): l2 %.4e  max %.4e\n", r.generator.l2, r.generator.max);
        std::printf("dynamics error  (T2): l2 %.4e  max %.4e\n", r.dynamics.l2, r.dynamics.max);
        std::printf("outputs: %s/{tokens.csv,summary.csv,manifest.json%s}\n", settings.out_dir.c_str(),
                    c.vtk ? ",tokens.pvd,fields.pvd" : "");
      }
    } else if (pde->parsed()) {
      const auto r = attnpde::run_pde(c, settings);
      if (attnpde::is_root_rank()) {
        std::printf("case %s: PDE alone to t = %.6g on grid", c.name.c_str(), r.t_end);
        for (int n : c.grid) std::printf(" %d", n);
        std::printf(", %s, %ld steps, %ld KSP iterations, %.3f s\n", r.stats.ts_type.c_str(), r.stats.steps,
                    r.stats.ksp_iterations, r.stats.seconds);
        std::printf("weighted mass sum w u h^n: %.17g -> %.17g\n", r.mass_initial, r.mass_final);
        std::printf("outputs: %s/{manifest.json%s}\n", settings.out_dir.c_str(), c.vtk ? ",fields.pvd" : "");
      }
    } else if (probe->parsed()) {
      const auto r = attnpde::run_probe(c, settings);
      if (attnpde::is_root_rank()) {
        const bool dot = c.score == "dot";
        std::printf("case %s: Kramers-Moyal probe on %zu query points, %s = %g\n", c.name.c_str(),
                    std::accumulate(c.probe_grid.begin(), c.probe_grid.end(), std::size_t{1},
                                    [](std::size_t a, int b) { return a * static_cast<std::size_t>(b); }),
                    dot ? "eps" : "sigma", dot ? c.dot_eps : c.sigma);
        std::printf("drift b vs %-30s max relative error %.4e\n",
                    dot ? "mu + Sigma B^T x / eps - x:" : "c sigma^2 gamma G grad log p:", r.drift_error);
        std::printf("diffusion D vs %-26s max relative error %.4e\n",
                    dot ? "Sigma + b b^T:" : "2 c sigma^2 G:", r.diffusion_error);
        std::printf("outputs: %s/{probe.csv,probe.vti,manifest.json}\n", settings.out_dir.c_str());
      }
    } else {
      attnpde::run_study(c, settings);
    }
  } catch (const attnpde::InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return exit_input_error;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "attnpde: error: %s\n", e.what());
    return exit_failure;
  }
  return 0;
}
