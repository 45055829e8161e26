// `attnpde verify`: the default subset of the verification targets passes and writes its
// report, and each planted error (a wrong c(beta, n), a wrong gamma, a PDE with half the
// diffusion) makes the matching target FAIL while the others still pass (T6: a wrong c
// fails every eigenvalue fit).
#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Verify, DefaultSubsetPassesWithAReport) {
  const fs::path out = scratch("verify");
  const Result r = run("verify --quiet --out '" + out.string() + "'");
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_EQ(count(r.out, " PASS ("), 37) << r.out;
  EXPECT_EQ(count(r.out, "FAIL"), 0) << r.out;
  EXPECT_NE(r.out.find("37 targets, all PASS"), std::string::npos) << r.out;
  for (const char* t : {"T0 ", "T1 ", "T2 ", "T3 ", "T4 ", "T5 ", "T6 ", "T7 "})
    EXPECT_NE(r.out.find(std::string("\n") + t), std::string::npos) << t;
  const std::string report = slurp(out / "report.md");
  EXPECT_EQ(count(report, "| PASS ("), 37) << report;
  EXPECT_NE(report.find("All targets pass."), std::string::npos);
  EXPECT_TRUE(fs::exists(out / "t1_torus2d_sigma" / "rates.json"));
  EXPECT_TRUE(fs::exists(out / "t4_probe_dot" / "probe.csv"));
  // With Debian's Python and matplotlib (installed by ./run.sh) every fitted rate is drawn.
  if (fs::exists("/usr/bin/python3")) {
    EXPECT_GT(fs::file_size(out / "t1_torus2d_sigma" / "generator_vs_sigma.png"), 10000u);
    EXPECT_NE(report.find("![t1_torus2d_sigma/generator_vs_sigma.png]"), std::string::npos);
    EXPECT_GT(fs::file_size(out / "t7_circle_law" / "circle_law.png"), 10000u);
  }
}

TEST(Verify, PlantedErrorsFailTheirTargets) {
  struct Planted {
    std::string plant, targets, failing;
    int passing;
  };
  for (const Planted& p :
       {Planted{"c", "t1_box_interior t3_sinkhorn t7_transport_repel1d", "generator_vs_sigma", 0},
        Planted{"gamma", "t7_transport_repel1d", "dynamics_vs_sigma", 0},
        Planted{"gamma", "t3_sinkhorn", "generator_vs_sigma", 0}, Planted{"gamma", "t3_gamma", "gamma identified", 0},
        Planted{"pde", "t1_torus2d_path", "dynamics_vs_n_optimal", 1},
        // The sphere: the arc-length FD solver and the harmonic semigroup with half the diffusion.
        Planted{"pde", "t1_sphere1_sigma t1_sphere2_sigma", "dynamics_vs_sigma", 2},
        // Eigenvectors do not depend on c: those fits still pass.
        Planted{"c", "t6_spectrum_n1d t6_spectrum_density1d", "eigenvalue_", 2}}) {
    const Result r = run("verify " + p.targets + " --quiet --plant " + p.plant + " --out '" +
                         scratch("planted_" + p.plant).string() + "'");
    EXPECT_EQ(r.rc, 1) << p.plant << "\n" << r.out;
    int failing = 0;
    for (const auto& l : lines(r.out))
      if (l.find(p.failing) != std::string::npos) {
        EXPECT_NE(l.find(" FAIL "), std::string::npos) << p.plant << ": " << l;
        ++failing;
      }
    EXPECT_GE(failing, 1) << p.plant << "\n" << r.out;
    EXPECT_EQ(count(r.out, " PASS ("), p.passing) << p.plant << "\n" << r.out;
  }
}

// A gamma target (T3) fits a line in sigma^2 with its interval: fewer than 3 sigma values are
// refused with exit 2 and the key, and nothing is written.
TEST(Verify, GammaTargetNeedsThreeSigmas) {
  const fs::path dir = scratch("verify_gamma_input");
  fs::create_directories(dir / "cases");
  std::string text = slurp(fs::path(source_dir) / "cases" / "verify" / "t3_gamma.toml");
  const std::string sigmas = "sigma = [0.3, 0.25, 0.2, 0.16]";
  ASSERT_NE(text.find(sigmas), std::string::npos);
  text.replace(text.find(sigmas), sigmas.size(), "sigma = [0.3, 0.25]");
  write_file(dir / "cases" / "t3_gamma.toml", text);
  const Result r =
      run("verify --quiet --cases '" + (dir / "cases").string() + "' --out '" + (dir / "out").string() + "'");
  EXPECT_EQ(r.rc, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("study.sigma: a gamma target needs"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
}

}  // namespace
