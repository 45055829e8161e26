// Case files: what people write is accepted (integers for reals, comments, any key order);
// what is wrong is rejected with FILE:LINE:COL and the key.
#include "solver/case.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "solver/case_keys.hpp"

namespace attnpde {
namespace {

std::string write_case(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / ("attnpde_case_test_" + name + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

const char* const minimal = R"toml(
# comments are fine, and key order does not matter
[initial]
u0 = "cos(x)"   # trailing comment
[attention]
sigma = 1        # an integer where a real is expected
metric = [[2, 1], [1, 3]]
[tokens]
n = 1e3          # a real with an integer value where an integer is expected
[domain]
dim = 2
)toml";

TEST(CaseFile, AcceptsWhatPeopleWrite) {
  const Case c = load_case(write_case("minimal", minimal), {}, Purpose::run);
  EXPECT_EQ(c.dim, 2);
  EXPECT_EQ(c.n, 1000);
  EXPECT_DOUBLE_EQ(c.sigma, 1.0);
  EXPECT_DOUBLE_EQ(c.metric(0, 1), 1.0);
  EXPECT_DOUBLE_EQ(c.beta, 2.0);  // default
  EXPECT_EQ(c.grid, (std::vector<int>{64, 64}));
  EXPECT_EQ(c.layers, 10);
  EXPECT_EQ(c.every, 1);  // about 10 frames
  EXPECT_EQ(c.out_dir, "results/attnpde_case_test_minimal");
  EXPECT_EQ(c.sampler, "random");
}

TEST(CaseFile, OverridesAreValidatedLikeTheFile) {
  const std::string path = write_case("override", minimal);
  const Case c =
      load_case(path, {{"attention.sigma=0.25"}, {"density.expr=1+0.5*cos(y)"}, {"pde.grid=[16,32]"}}, Purpose::run);
  EXPECT_DOUBLE_EQ(c.sigma, 0.25);
  EXPECT_EQ(c.density_expr, "1+0.5*cos(y)");
  EXPECT_EQ(c.grid, (std::vector<int>{16, 32}));
  try {
    load_case(path, {{"attention.tau=2"}}, Purpose::run);
    FAIL() << "tau = 2 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), "--set");
    EXPECT_EQ(e.key(), "attention.tau");
  }
}

TEST(CaseFile, ErrorsCarryLineColumnAndKey) {
  const std::string text = std::string(minimal) + "[study]\nseeds = 0\n";
  try {
    load_case(write_case("seeds", text), {}, Purpose::run);
    FAIL() << "seeds = 0 accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.line(), 13);
    EXPECT_EQ(e.column(), 9);
    EXPECT_EQ(e.key(), "study.seeds");
  }
}

TEST(CaseFile, StudyNeedsTokenCountsAndWidths) {
  const std::string path = write_case("study", std::string(minimal) + "[study]\nn = [100, 200]\n");
  EXPECT_NO_THROW(load_case(path, {}, Purpose::run));
  EXPECT_THROW(load_case(path, {}, Purpose::study), InputError);
  EXPECT_NO_THROW(load_case(path, {{"study.path=optimal"}}, Purpose::study));
}

TEST(CaseKeys, EveryKeyIsDocumentedWithTypeAndDefault) {
  for (const auto& k : case_keys()) {
    EXPECT_FALSE(k.doc.empty()) << k.name();
    EXPECT_FALSE(k.default_doc.empty()) << k.name();
  }
  EXPECT_NE(case_keys_markdown().find("`attention.sigma`"), std::string::npos);
}

TEST(OptimalPath, SigmaScalesLikeNToMinusOneOverDimPlusSix) {
  EXPECT_NEAR(optimal_sigma(256, 2, 1.0), 0.5, 1e-15);  // 256^(-1/8) = 1/2
  EXPECT_NEAR(optimal_sigma(1000, 1, 2.0) / optimal_sigma(10000, 1, 2.0), std::pow(10.0, 1.0 / 7), 1e-12);
}

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

// pde.metric_field: SPD at every face is checked with the key's location; attention
// commands reject it (their metric is the constant M).
TEST(CaseFile, MetricFieldIsCheckedAndPdeOnly) {
  const std::string good =
      std::string(minimal) + "[pde]\nmetric_field = [[\"1 + 0.3*sin(x)\", \"0.2*cos(y)\"], [\"0.2*cos(y)\", \"1\"]]\n";
  const Case c = load_case(write_case("field_good", good), {}, Purpose::pde);
  ASSERT_EQ(c.metric_field.size(), 4u);
  EXPECT_EQ(c.metric_field[1], "0.2*cos(y)");
  try {
    load_case(write_case("field_run", good), {}, Purpose::run);
    FAIL() << "metric_field accepted by run";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "pde.metric_field");
    EXPECT_EQ(e.line(), 13);
  }
  const std::string bad =
      std::string(minimal) + "[pde]\nmetric_field = [[\"1\", \"2*cos(y)\"], [\"2*cos(y)\", \"1\"]]\n";
  try {
    load_case(write_case("field_bad", bad), {}, Purpose::pde);
    FAIL() << "indefinite G accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "pde.metric_field");
    EXPECT_EQ(e.line(), 13);
    EXPECT_NE(std::string(e.what()).find("not positive definite"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnpde
