// T1 and T2 (docs/theory.md section 7) through the shipped study case, exactly as a user runs
// it: the generator bias is O(sigma^2), the dynamics error at a fixed horizon is
// O(sigma^2), and along sigma = C N^(-1/8) both fall like N^(-1/4).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "solver/app/study_command.hpp"
#include "support/cli.hpp"

namespace attnpde {
namespace {

// Runs a shipped study case as `attnpde study` would, quietly, into a scratch directory.
StudyResult run_shipped_study(const std::string& name, const std::string& out, Case* loaded = nullptr) {
  const Case c = load_case(std::string(ATTNPDE_SOURCE_DIR) + "/cases/" + name, {}, Purpose::study);
  if (loaded) *loaded = c;
  RunSettings s;
  s.out_dir = attnpde_test::scratch(out).string();
  s.quiet = true;
  s.command = "study";
  StudyResult r = run_study(c, s);
  // postprocess/plot_study.py draws every shipped study (where Debian's Python with
  // matplotlib is installed, as ./run.sh does): one panel per fitted rate.
  if (std::filesystem::exists("/usr/bin/python3")) {
    const std::string png = s.out_dir + "/study.png";
    const std::string cmd = "/usr/bin/python3 '" + std::string(ATTNPDE_SOURCE_DIR) + "/postprocess/plot_study.py' '" +
                            s.out_dir + "' '" + png + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << name;
    EXPECT_GT(std::filesystem::exists(png) ? std::filesystem::file_size(png) : 0u, 20000u) << name;
  }
  return r;
}

// The fit of that name (fails the test when the study has none).
const StudyFit* find_fit(const StudyResult& r, const std::string& name) {
  for (const auto& f : r.fits)
    if (f.name == name) {
      std::printf("%s slope %.4f CI [%.4f, %.4f]\n", name.c_str(), f.fit.slope, f.fit.ci_low, f.fit.ci_high);
      return &f;
    }
  ADD_FAILURE() << "no fit " << name;
  return nullptr;
}

TEST(StudyCase, ObservedRatesMatchTheory) {
  Case c;
  const StudyResult r = run_shipped_study("torus2d_study.toml", "attnpde_study_test", &c);
  const std::filesystem::path out = attnpde_test::scratch_root() / "attnpde_study_test";
  EXPECT_EQ(r.points.size(), (c.study_n.size() * c.study_sigma.size() + c.study_n.size()) * c.study_seeds);
  int checked = 0;
  for (const auto& f : r.fits) {
    std::printf("%-24s slope %.4f CI [%.4f, %.4f] expected %.3f\n", f.name.c_str(), f.fit.slope, f.fit.ci_low,
                f.fit.ci_high, f.expected);
    if (!std::isfinite(f.expected)) continue;
    EXPECT_TRUE(f.passes()) << f.name;
    ++checked;
  }
  EXPECT_EQ(checked, 4);  // generator and dynamics in sigma; both along the optimal path
  for (const char* file : {"summary.csv", "study.csv", "rates.json", "manifest.json"})
    EXPECT_TRUE(std::filesystem::exists(out / file)) << file;
}

// The variance term: i.i.d. tokens at fixed sigma, generator error ~ N^-1/2.
TEST(StudyCase, VarianceOfIidTokensFallsLikeInverseSquareRootOfN) {
  const StudyResult r = run_shipped_study("torus2d_variance.toml", "attnpde_variance_test");
  const StudyFit* f = find_fit(r, "generator_vs_n");
  ASSERT_NE(f, nullptr);
  EXPECT_DOUBLE_EQ(f->expected, -0.5);
  EXPECT_TRUE(f->passes());
}

// The box: the harness fits the interior generator error (order 2 in sigma) and keeps the
// boundary-layer errors in their own summary columns.
TEST(StudyCase, BoxInteriorGeneratorIsSecondOrder) {
  const StudyResult r = run_shipped_study("box2d_study.toml", "attnpde_box_study_test");
  const StudyFit* f = find_fit(r, "generator_vs_sigma");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->passes());
  for (const auto& p : r.points) {
    EXPECT_GT(p.boundary_tokens, 0);
    EXPECT_GT(p.generator_boundary.l2, 10 * p.generator.l2) << "sigma = " << p.sigma;
  }
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

StudyFit fit_of(double slope, double lo, double hi, double expected) {
  StudyFit f;
  f.name = "generator_vs_sigma";
  f.fit.slope = slope;
  f.fit.ci_low = lo;
  f.fit.ci_high = hi;
  f.expected = expected;
  return f;
}

// The verdict says which rule passed, and an interval too wide to tell slopes apart is no
// evidence (a slope of -0.4 with the interval [-6, 5] does not verify a slope of 2).
TEST(StudyVerdict, SaysWhichRulePassedAndRefusesUninformativeIntervals) {
  EXPECT_EQ(fit_of(1.95, 1.90, 2.01, 2.0).verdict(), "PASS (interval holds 2)");
  EXPECT_EQ(fit_of(1.94, 1.90, 1.99, 2.0).verdict(), "PASS (within tolerance 0.1, interval excludes 2)");
  EXPECT_EQ(fit_of(1.50, 1.40, 1.60, 2.0).verdict(), "FAIL");
  // Within the tolerance but with a wide interval that holds the value: said as such.
  EXPECT_EQ(fit_of(-0.55, -0.70, -0.40, -0.5).verdict(),
            "PASS (within tolerance 0.1, interval too wide to decide: half-width 0.15)");
  EXPECT_EQ(fit_of(-0.40, -6.0, 5.0, 2.0).verdict().rfind("FAIL (interval too wide", 0), 0u);
  EXPECT_FALSE(fit_of(-0.40, -6.0, 5.0, 2.0).passes());
  EXPECT_EQ(fit_of(-0.47, -0.55, -0.40, -0.5).verdict(), "PASS (interval holds -0.5)");
  EXPECT_EQ(fit_of(3.3, 2.4, 4.2, std::nan("")).verdict(), "no expected value");
  EXPECT_FALSE(fit_of(3.3, 2.4, 4.2, std::nan("")).passes());
}

}  // namespace
}  // namespace attnpde
