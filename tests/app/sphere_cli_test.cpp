// Tokens on the sphere through the command line (docs/theory.md section 9): runs on S^1 and
// S^2 conserve the weighted mass (T0) and follow their references (T1, T2) with every
// normalization, the truncated kernel and the geodesic distance; transport writes the
// clustering diagnostics, a phase study separates one cluster from several, and bad sphere
// input exits 2 naming the key.
#include <cmath>
#include <regex>

#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

double number_after(const std::string& text, const std::string& key) {
  const std::regex re("\"" + key + "\": ([-0-9.e+]+)");
  std::smatch m;
  if (!std::regex_search(text, m, re)) {
    ADD_FAILURE() << "no " << key;
    return 0;
  }
  return std::stod(m[1]);
}

TEST(CliSphere, RunsConserveMassAndFollowTheirReferences) {
  struct Run {
    const char* name;
    const char* args;
    double max_dynamics;
  };
  for (const Run& c : {Run{"s1", "cases/sphere1_density.toml --set tokens.n=2000 --set attention.layers=20", 1e-3},
                       Run{"s1_geodesic",
                           "cases/sphere1_density.toml --set tokens.n=2000 --set attention.layers=20 "
                           "--set attention.distance=geodesic",
                           1e-3},
                       // Sinkhorn (gamma = 1) and alpha = 1 (gamma = 0) against their own limits on a
                       // non-uniform density: a wrong gamma would leave an O(1) generator error.
                       Run{"s1_sinkhorn",
                           "cases/sphere1_density.toml --set tokens.n=2000 --set attention.layers=20 "
                           "--set attention.normalization=sinkhorn",
                           1e-3},
                       Run{"s1_alpha",
                           "cases/sphere1_density.toml --set tokens.n=2000 --set attention.layers=20 "
                           "--set attention.normalization=alpha --set attention.alpha=1",
                           1e-3},
                       Run{"s1_truncated",
                           "cases/sphere1_density.toml --set tokens.n=2000 --set attention.layers=20 "
                           "--set attention.kernel=truncated --set attention.cutoff=7",
                           1e-3},
                       Run{"s2",
                           "cases/sphere2_harmonics.toml --set tokens.n=3000 --set attention.layers=10 "
                           "--set attention.sigma=0.25",
                           5e-3}}) {
    const fs::path out = scratch(std::string("sphere_") + c.name);
    const Result r = run(std::string("run ") + c.args + " --quiet --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << c.name << ": " << r.err;
    const auto rows = csv_cells(out / "summary.csv");
    EXPECT_LT(csv_cell(rows, 1, "err_l2"), c.max_dynamics) << c.name;
    EXPECT_LT(csv_cell(rows, 1, "gen_err_l2"), 0.05) << c.name;
    // T0: the degree-weighted sum is conserved by every layer.
    const std::string man = slurp(out / "manifest.json");
    const double m0 = number_after(man, "conserved_mass_initial"), m1 = number_after(man, "conserved_mass_final");
    EXPECT_LT(std::abs(m1 - m0), 1e-10 * std::abs(m0)) << c.name;
    // The tokens are unit vectors.
    const auto tok = csv_cells(out / "tokens.csv");
    for (std::size_t j = 1; j < tok.size(); j += 97) {
      double r2 = 0;
      for (const char* x : {"x0", "x1"}) r2 += csv_cell(tok, j, x) * csv_cell(tok, j, x);
      if (std::string(c.name) == "s2") r2 += csv_cell(tok, j, "x2") * csv_cell(tok, j, "x2");
      EXPECT_NEAR(r2, 1.0, 1e-14) << c.name;
    }
  }
}

TEST(CliSphere, TransportWritesClusteringDiagnostics) {
  const fs::path out = scratch("sphere_transport");
  const Result r = run("run cases/sphere1_transport.toml --quiet --set tokens.n=800 --set attention.layers=40 --out '" +
                       out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto rows = csv_cells(out / "clustering.csv");
  ASSERT_GE(rows.size(), 3u);
  EXPECT_EQ(rows[0].back(), "close_pair_fraction");
  const std::size_t last = rows.size() - 1;
  // Tokens gather into a few clusters (the circle law's k_max = 4 at beta = 9, some merged):
  // smaller distances, far more nearly equal pairs.
  EXPECT_GE(csv_cell(rows, last, "clusters"), 2);
  EXPECT_LE(csv_cell(rows, last, "clusters"), 6);
  EXPECT_LT(csv_cell(rows, last, "min_distance"), 1e-3 * csv_cell(rows, 1, "min_distance"));
  EXPECT_GT(csv_cell(rows, last, "close_pair_fraction"), 10 * csv_cell(rows, 1, "close_pair_fraction"));
  const auto tok = csv_cells(out / "tokens.csv");
  for (std::size_t j = 1; j < tok.size(); j += 37)
    EXPECT_NEAR(std::hypot(csv_cell(tok, j, "x_final0"), csv_cell(tok, j, "x_final1")), 1.0, 1e-14);
}

// The phase study: at high temperature (beta = 1) every seed ends in one cluster; at low
// temperature (beta = 25) several clusters form first (the circle law's k_max = 7) and
// persist over the run.
TEST(CliSphere, PhaseStudySeparatesOneClusterFromMetastableClusters) {
  const fs::path out = scratch("sphere_phase");
  const Result r = run(
      "study cases/sphere1_phase_study.toml --quiet --set 'study.inverse_temperature=[1, 25]' --set 'study.n=[400]' "
      "--set study.seeds=3 --set attention.layers=100 --out '" +
      out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto phase = csv_cells(out / "phase.csv");
  ASSERT_EQ(phase.size(), 3u);
  EXPECT_EQ(csv_cell(phase, 1, "clusters_max"), 1);
  EXPECT_GE(csv_cell(phase, 2, "clusters_min"), 3);
  EXPECT_EQ(csv_cell(phase, 2, "circle_law_k_max"), 7);
  EXPECT_EQ(csv_cells(out / "clusters.csv").size(), 1u + 2 * 3 * 6);  // layers 0, 20, ..., 100
}

TEST(CliSphere, BadSphereInputExitsTwoNamingTheKey) {
  struct Bad {
    const char* command;
    const char* args;
    const char* key;
  };
  const Bad bad[] = {
      {"run", "cases/sphere1_density.toml --set domain.dim=1", "domain.dim"},
      {"run", "cases/sphere1_density.toml --set 'attention.metric=[[2, 0], [0, 1]]'", "attention.metric"},
      {"run", "cases/sphere1_density.toml --set 'density.expr=\"x\"'", "density.expr"},
      {"run", "cases/sphere2_harmonics.toml --set 'density.expr=\"1 + 0.5*z\"' --set density.sampler=random",
       "density.expr"},
      {"run", "cases/sphere2_dot.toml --set 'attention.B=[[1, 0, 0], [0, 2, 0], [0, 0, 1]]'", "attention.B"},
      {"run", "cases/sphere2_dot.toml --set attention.sigma=0.2", "attention.sigma"},
      {"run", "cases/sphere2_dot.toml --set attention.distance=geodesic", "attention.distance"},
      {"run", "cases/torus2d_metric.toml --set attention.distance=geodesic", "attention.distance"},
      {"pde", "cases/sphere1_density.toml", "domain.kind"},
      {"spectrum", "cases/sphere1_density.toml", "domain.kind"},
      {"study", "cases/sphere1_transport.toml --set study.measure=circle_law --set 'study.n=[100]'",
       "study.inverse_temperature"},
      {"study",
       "cases/torus2d_transport.toml --set study.measure=circle_law --set 'study.n=[100]' "
       "--set 'study.inverse_temperature=[9]'",
       "study.measure"},
  };
  for (const Bad& b : bad) {
    const Result r =
        run(std::string(b.command) + " " + b.args + " --quiet --out '" + scratch("sphere_bad").string() + "'");
    EXPECT_EQ(r.rc, 2) << b.args << ": " << r.err;
    EXPECT_NE(r.err.find(std::string(": ") + b.key + ":"), std::string::npos) << b.args << ": " << r.err;
    EXPECT_FALSE(fs::exists(scratch("sphere_bad") / "manifest.json")) << b.args;
  }
}

}  // namespace
