#include "solver/app/spectrum_command.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>

#include "postprocess/tables.hpp"
#include "postprocess/vtk_grid.hpp"
#include "postprocess/vtk_writer.hpp"

namespace attnpde {

namespace {

const double nan_value = std::numeric_limits<double>::quiet_NaN();

Json numbers(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) a.push(x);
  return a;
}

}  // namespace

SpectrumSummary run_spectrum(const Case& c, const RunSettings& s) {
  const auto t0 = std::chrono::steady_clock::now();
  const Problem prob(c);
  const Grid grid(PETSC_COMM_WORLD, c.grid, prob.domain());
  const SpectrumReference ref = make_spectrum_reference(prob, grid);
  SpectrumSummary sum;
  sum.seconds_reference = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  sum.point = spectrum_point(prob, ref, c.n, c.sigma, c.seed);
  sum.reference_kind = ref.kind;
  sum.fd_solves = ref.fd.matvecs;
  sum.fd_seconds = ref.fd.seconds;
  const std::size_t m = static_cast<std::size_t>(c.spectrum_count);
  sum.reference.assign(ref.values.begin(), ref.values.begin() + static_cast<long>(m));
  sum.fd.assign(ref.fd.values.begin(), ref.fd.values.begin() + static_cast<long>(std::min(m, ref.fd.values.size())));
  sum.exact_sigma = ref.sigma_values(c.sigma);
  if (!sum.exact_sigma.empty()) sum.exact_sigma.resize(m);
  if (!is_root_rank()) return sum;

  const SpectrumPoint& pt = sum.point;
  std::filesystem::create_directories(s.out_dir);
  const bool exact = ref.kind == "exact";
  CsvWriter csv(s.out_dir + "/spectrum.csv", {"index", "cluster", "attention", "fd", "exact", "exact_sigma",
                                              "eigenvalue_error", "eigenvalue_error_sigma", "eigenvector_error"});
  for (std::size_t i = 0; i < m; ++i)
    csv.row({static_cast<double>(i), static_cast<double>(pt.cluster[i]), pt.attention.values[i],
             i < sum.fd.size() ? sum.fd[i] : nan_value, exact ? sum.reference[i] : nan_value,
             sum.exact_sigma.empty() ? nan_value : sum.exact_sigma[i], pt.value_error[i],
             pt.sigma_error.empty() ? nan_value : pt.sigma_error[i], pt.vector_error[i]});
  csv.close();
  std::vector<std::string> outputs = {"spectrum.csv"};
  if (c.vtk) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < m; ++i) names.push_back("mode_" + std::to_string(i));
    std::vector<NamedArray> token_arrays, grid_arrays;
    for (std::size_t i = 0; i < m; ++i) token_arrays.push_back({names[i], &pt.attention.vectors[i]});
    write_tokens_vtu(s.out_dir + "/tokens.vtu", pt.tokens, token_arrays);
    for (std::size_t i = 0; i < m && i < ref.fd.vectors.size(); ++i)
      grid_arrays.push_back({names[i], &ref.fd.vectors[i]});
    write_field_vti(s.out_dir + "/fd_modes.vti", image_geometry(grid), grid_arrays);
    outputs.push_back("tokens.vtu");
    outputs.push_back("fd_modes.vti");
  }
  Json m_json = manifest_header(c, s);
  m_json.set("results", Json::object()
                            .set("reference", ref.kind)
                            .set("attention", numbers(pt.attention.values))
                            .set("fd", numbers(sum.fd))
                            .set("reference_values", numbers(sum.reference))
                            .set("exact_finite_sigma", numbers(sum.exact_sigma))
                            .set("eigenvalue_error", numbers(pt.value_error))
                            .set("eigenvector_error", numbers(pt.vector_error)));
  m_json.set("eigensolver", Json::object()
                                .set("package", "SLEPc Krylov-Schur")
                                .set("kernel", pt.kernel)
                                .set("attention_matvecs", pt.attention.matvecs)
                                .set("attention_restarts", pt.attention.iterations)
                                .set("fd_solves", ref.fd.matvecs)
                                .set("fd_restarts", ref.fd.iterations)
                                .set("tolerance", c.spectrum_tol));
  m_json.set("timings_seconds",
             Json::object()
                 .set("total", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())
                 .set("reference", sum.seconds_reference)
                 .set("fd_eigensolver", ref.fd.seconds)
                 .set("attention_eigensolver", pt.attention.seconds)
                 .set("attention_point", pt.seconds));
  write_manifest(std::move(m_json), s, outputs);
  return sum;
}

std::string spectrum_report(const Case& c, const SpectrumSummary& s, const std::string& shown_dir) {
  std::string out;
  const SpectrumPoint& pt = s.point;
  appendf(out, "case %s: spectrum of -(A - I)/(c sigma^2), N = %ld, sigma = %g, %s kernel; reference: %s\n",
          c.name.c_str(), c.n, c.sigma, pt.kernel.c_str(), s.reference_kind.c_str());
  appendf(out, "%6s %8s %16s %16s %16s %12s %12s\n", "index", "cluster", "attention", "FD",
          s.reference_kind == "exact" ? "exact" : "reference", "eigval err", "eigvec err");
  for (std::size_t i = 0; i < pt.attention.values.size(); ++i)
    appendf(out, "%6zu %8d %16.9g %16.9g %16.9g %12.4e %12.4e\n", i, pt.cluster[i], pt.attention.values[i],
            i < s.fd.size() ? s.fd[i] : nan_value, s.reference[i], pt.value_error[i], pt.vector_error[i]);
  appendf(out, "SLEPc: %ld attention applications in %.3f s; FD: %ld solves in %.3f s\n", pt.attention.matvecs,
          pt.attention.seconds, s.fd_solves, s.fd_seconds);
  appendf(out, "outputs: %s/{spectrum.csv,manifest.json%s}\n", shown_dir.c_str(),
          c.vtk ? ",tokens.vtu,fd_modes.vti" : "");
  return out;
}

}  // namespace attnpde
