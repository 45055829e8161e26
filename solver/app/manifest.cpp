#include "solver/app/manifest.hpp"

#include <petscsys.h>

#include <attnpde/version.hpp>
#include <fstream>
#include <stdexcept>

#include "postprocess/tables.hpp"

namespace attnpde {

bool is_root_rank() {
  PetscMPIInt rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  return rank == 0;
}

Json pde_stats_json(const PdeStats& st) {
  return Json::object()
      .set("ts_type", st.ts_type)
      .set("dt", st.dt)
      .set("steps", st.steps)
      .set("ksp_type", st.ksp_type)
      .set("pc_type", st.pc_type)
      .set("mg_levels", st.mg_levels)
      .set("mg_storage", st.mg_storage)
      .set("ksp_iterations", st.ksp_iterations)
      .set("seconds", st.seconds);
}

void set_truncated_kernel(Json& kernel, const TruncatedKernelSummary& t) {
  kernel.set("cutoff", t.cutoff)
      .set("nonzeros", t.nonzeros)
      .set("mean_neighbours", t.mean_neighbours)
      .set("neglected_weight_bound", t.neglected_weight_bound)
      .set("neglected_weight_typical", t.neglected_weight_typical)
      .set("weights", t.float32_weights ? "float32" : "float64")
      .set("build_seconds", t.build_seconds);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << '\n';
  close_checked(out, path);
}

void write_manifest(Json manifest, const RunSettings& settings, std::vector<std::string> outputs) {
  outputs.push_back("manifest.json");
  Json files = Json::array();
  for (const auto& f : outputs) files.push(f);
  manifest.set("outputs", files);
  write_text(settings.out_dir + "/manifest.json", manifest.dump());
}

Json manifest_header(const Case& c, const RunSettings& s) {
  PetscMPIInt size = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  char petsc_version[128];
  PetscGetVersion(petsc_version, sizeof petsc_version);
  Json m = Json::object();
  m.set("program", "attnpde")
      .set("version", version_string)
      .set("git_commit", git_commit)
      .set("command", s.command)
      .set("command_line", s.command_line)
      .set("case_file", c.file)
      .set("seed", static_cast<long>(c.seed))
      .set("threads", s.threads)
      .set("mpi_ranks", static_cast<int>(size))
      .set("petsc", std::string(petsc_version))
      .set("case", c.resolved);
  return m;
}

}  // namespace attnpde
