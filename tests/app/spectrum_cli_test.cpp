// `attnpde spectrum` (solver/app/spectrum_command.hpp, docs/theory.md section 8): the shipped
// case, the exact spectrum of the uniform torus with its multiplicities, and bad input.
#include <algorithm>
#include <cmath>

#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

TEST(CliSpectrum, ShippedCaseWritesEigenpairsBesideTheFdOperator) {
  const fs::path out = scratch("spectrum_case");
  const Result r = run("spectrum cases/torus2d_spectrum.toml --quiet --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("reference: finite differences"), std::string::npos) << r.out;
  for (const char* f : {"spectrum.csv", "manifest.json", "tokens.vtu", "fd_modes.vti"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  const auto rows = csv_cells(out / "spectrum.csv");
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0].at(0), "index");
  EXPECT_NEAR(csv_cell(rows, 1, "attention"), 0.0, 1e-10);
  for (std::size_t i = 2; i <= 10; ++i) {
    // sigma = 0.25: bias of a few 1e-2 at most; the eigenvectors closer still.
    EXPECT_LT(csv_cell(rows, i, "eigenvalue_error"), 0.04) << i;
    EXPECT_LT(csv_cell(rows, i, "eigenvector_error"), 0.02) << i;
    EXPECT_GT(csv_cell(rows, i, "fd"), csv_cell(rows, i - 1, "fd"));
  }
  const std::string manifest = slurp(out / "manifest.json");
  EXPECT_NE(manifest.find("\"attention_matvecs\""), std::string::npos);
  EXPECT_NE(manifest.find("\"reference\": \"finite differences\""), std::string::npos);
}

// Uniform density: the exact spectrum k^T G k (G = M^-1) with the multiplicity 2 of +-k; the
// lattice tokens give the Gaussian multipliers (1 - exp(-sigma^2 k^T G k / 4)) / (c sigma^2)
// to round-off, and the limit within the bias sigma^2 (k^T G k)^2 / 8.
TEST(CliSpectrum, UniformTorusHasKGkWithItsMultiplicities) {
  const fs::path out = scratch("spectrum_uniform");
  const Result r =
      run("spectrum cases/torus2d_spectrum.toml --quiet --set density.expr='\"1\"' --set tokens.n=4000 "
          "--set attention.sigma=0.3 --set spectrum.count=9 --out '" +
          out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("reference: exact"), std::string::npos) << r.out;
  // k^T G k for the smallest k, computed here from M = [[1.2, 0.3], [0.3, 0.9]].
  const double det = 1.2 * 0.9 - 0.3 * 0.3, g00 = 0.9 / det, g01 = -0.3 / det, g11 = 1.2 / det;
  std::vector<double> exact;
  for (int a = -3; a <= 3; ++a)
    for (int b = -3; b <= 3; ++b) exact.push_back(g00 * a * a + 2 * g01 * a * b + g11 * b * b);
  std::sort(exact.begin(), exact.end());
  const auto rows = csv_cells(out / "spectrum.csv");
  ASSERT_EQ(rows.size(), 10u);
  for (std::size_t i = 1; i <= 9; ++i) {
    const double e = exact[i - 1];
    EXPECT_NEAR(csv_cell(rows, i, "exact"), e, 1e-12 * (1 + e)) << i;
    // Rows 1..9 are indices 0..8: the constant, then pairs of +-k.
    EXPECT_EQ(static_cast<int>(csv_cell(rows, i, "cluster")), static_cast<int>(i / 2)) << i;
    if (i == 1) continue;
    EXPECT_LT(csv_cell(rows, i, "eigenvalue_error_sigma"), 1e-10) << i;
    EXPECT_LT(csv_cell(rows, i, "eigenvalue_error"), 0.3 * 0.3 * e / 8 * 1.1) << i;
    EXPECT_LT(csv_cell(rows, i, "eigenvector_error"), 1e-6) << i;
  }
}

TEST(CliSpectrum, BadInputExitsTwoNamingTheKeyAndWritesNothing) {
  struct Bad {
    std::string set, key;
  };
  for (const Bad& b : {Bad{"--set tokens.n=10 --set spectrum.count=10", "spectrum.count"},
                       Bad{"--set attention.transport='\"attract\"'", "attention.transport"},
                       Bad{"--set spectrum.count=0", "spectrum.count"}, Bad{"--set spectrum.tol=2", "spectrum.tol"}}) {
    const fs::path out = scratch("spectrum_bad");
    const Result r = run("spectrum cases/torus2d_spectrum.toml --quiet " + b.set + " --out '" + out.string() + "'");
    EXPECT_EQ(r.rc, 2) << b.set << "\n" << r.err;
    EXPECT_NE(r.err.find(b.key), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << b.set;
  }
}

}  // namespace
