// Case files: what people write is accepted (integers for reals, comments, any key order);
// what is wrong is rejected with FILE:LINE:COL and the key.
#include "solver/app/case.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "attention/kernel_truncated.hpp"
#include "solver/app/case_keys.hpp"
#include "solver/app/problem.hpp"

namespace attnpde {
namespace {

// Scratch case files of this process: attnpde_case_test_<pid>_<name>.toml, removed at exit.
std::string scratch_prefix() {
  return "attnpde_case_test_" + std::to_string(::getpid()) + "_";
}

std::string write_case(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() / (scratch_prefix() + name + ".toml");
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
  EXPECT_EQ(c.out_dir, "results/" + scratch_prefix() + "minimal");
  EXPECT_EQ(c.sampler, Sampler::random);
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

namespace attnpde {
namespace {

const KeySpec& spec_of(const std::string& section, const std::string& key) {
  const KeySpec* s = find_key(section, key);
  if (!s) throw std::logic_error("no key " + section + "." + key);
  return *s;
}

// load_case takes every default from the key table: the numbers a case leaves out equal
// the table's default text (the Case struct carries placeholders only).
TEST(CaseKeys, DefaultsComeFromTheKeyTableOnly) {
  const Case c = load_case(write_case("defaults", minimal), {}, Purpose::run);
  const std::vector<std::pair<std::string, double>> values = {
      {"study.seeds", c.study_seeds},
      {"attention.layers", c.layers},
      {"attention.tau", c.tau},
      {"attention.beta", c.beta},
      {"attention.cutoff", c.cutoff},
      {"attention.alpha", c.normalization.alpha},
      {"attention.ode_rtol", c.ode_rtol},
      {"attention.sinkhorn_max_iter", c.normalization.sinkhorn_max_iter},
      {"pde.rtol", c.rtol},
      {"pde.frames", c.pde_frames},
      {"study.path_scale", c.study_path_scale},
      {"tokens.seed", static_cast<double>(c.seed)}};
  for (const auto& [name, value] : values) {
    const auto dot = name.find('.');
    const KeySpec& s = spec_of(name.substr(0, dot), name.substr(dot + 1));
    ASSERT_FALSE(s.default_toml.empty()) << name;
    EXPECT_EQ(value, std::stod(s.default_toml)) << name;
  }
  EXPECT_EQ(c.study_seeds, 3);
  EXPECT_EQ(c.layers, 10);
}

// The enums of the code and the choices of the key table are in the same order.
TEST(CaseKeys, ChoicesMapToTheirEnums) {
  EXPECT_EQ(choice_index(spec_of("attention", "normalization"), "sinkhorn"),
            static_cast<int>(NormalizationKind::sinkhorn));
  EXPECT_EQ(choice_index(spec_of("attention", "normalization"), "alpha"), static_cast<int>(NormalizationKind::alpha));
  EXPECT_EQ(choice_index(spec_of("attention", "kernel"), "truncated"), static_cast<int>(KernelChoice::truncated));
  EXPECT_EQ(choice_index(spec_of("attention", "kernel"), "auto"), static_cast<int>(KernelChoice::automatic));
  EXPECT_EQ(choice_index(spec_of("attention", "score"), "dot"), static_cast<int>(Score::dot));
  EXPECT_EQ(choice_index(spec_of("attention", "depth"), "continuous"), static_cast<int>(Depth::continuous));
  EXPECT_EQ(choice_index(spec_of("attention", "precision"), "float32"), static_cast<int>(Precision::float32));
  EXPECT_EQ(choice_index(spec_of("density", "sampler"), "quasi"), static_cast<int>(Sampler::quasi));
  EXPECT_EQ(choice_index(spec_of("domain", "kind"), "box"), static_cast<int>(DomainKind::box));
  EXPECT_EQ(choice_index(spec_of("study", "path"), "optimal"), static_cast<int>(StudyPath::optimal));
  const Case c =
      load_case(write_case("enums", minimal),
                {{"attention.normalization=sinkhorn"}, {"attention.kernel=dense"}, {"domain.kind=box"}}, Purpose::run);
  EXPECT_EQ(c.normalization.kind, NormalizationKind::sinkhorn);
  EXPECT_EQ(c.kernel, KernelChoice::dense);
  EXPECT_EQ(c.domain.kind, DomainKind::box);
}

// `attnpde pde` needs neither tokens nor sigma when pde.t_end gives its horizon; without
// t_end it needs sigma for t_K and says so; `run` still requires tokens.n.
TEST(CaseFile, PdeAloneNeedsNoTokens) {
  const char* const pde_only = R"toml(
[domain]
kind = "box"
dim = 2
[initial]
u0 = "cos(pi*x)"
[pde]
grid = [16, 16]
t_end = 0.01
)toml";
  const std::string path = write_case("pde_only", pde_only);
  const Case c = load_case(path, {}, Purpose::pde);
  EXPECT_EQ(c.n, 0);
  EXPECT_DOUBLE_EQ(c.pde_t_end, 0.01);
  try {
    load_case(path, {{"pde.t_end=0"}}, Purpose::pde);
    FAIL() << "pde without t_end and sigma accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "attention.sigma");
    EXPECT_EQ(e.line(), 1);  // no [attention] section: line 1
  }
  try {
    load_case(path, {}, Purpose::run);
    FAIL() << "run without tokens.n accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.key(), "tokens.n");
  }
  std::string reason;
  EXPECT_EQ(infer_purpose(path, reason), Purpose::pde) << reason;
}

// `attnpde check` without --for infers what each shipped case is for.
TEST(CaseFile, CheckInfersWhatACaseIsFor) {
  const std::string dir = std::string(ATTNPDE_SOURCE_DIR) + "/cases/";
  std::string reason;
  EXPECT_EQ(infer_purpose(dir + "torus2d_metric.toml", reason), Purpose::run);
  EXPECT_EQ(infer_purpose(dir + "torus2d_study.toml", reason), Purpose::study);
  EXPECT_EQ(infer_purpose(dir + "box2d_pde.toml", reason), Purpose::pde);
  EXPECT_EQ(infer_purpose(dir + "space2d_dot_probe.toml", reason), Purpose::probe);
}

// Each temporary case file of these tests is removed at the end of the test program.
class CaseFileCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const auto& e : std::filesystem::directory_iterator(std::filesystem::temp_directory_path()))
      if (e.path().filename().string().rfind(scratch_prefix(), 0) == 0) std::filesystem::remove(e.path());
  }
};
const auto* const cleanup = ::testing::AddGlobalTestEnvironment(new CaseFileCleanup);

}  // namespace
}  // namespace attnpde

namespace attnpde {
namespace {

// attention.kernel = "auto" decides by expected work (attention/kernel_truncated.hpp,
// kernel_work): the shipped study's large-N, small-sigma points are cheaper truncated, its
// few-token, wide points dense; a heavy tail (beta = 1, cutoff 5) keeps the dense kernel; more
// layers amortize the build; an explicit choice is kept.
TEST(KernelChoice, AutoPicksTheCheaperKernelWithASmallTail) {
  const std::string study = std::string(ATTNPDE_SOURCE_DIR) + "/cases/torus2d_study.toml";
  const Problem prob(load_case(study, {}, Purpose::study));
  EXPECT_EQ(prob.choose_kernel(16000, 0.12, 83), KernelChoice::truncated);
  EXPECT_EQ(prob.choose_kernel(2000, 0.3, 13), KernelChoice::dense);
  // One application does not pay for the build; a thousand do.
  EXPECT_EQ(prob.choose_kernel(8000, 0.16, 0), KernelChoice::dense);
  EXPECT_EQ(prob.choose_kernel(8000, 0.16, 1000), KernelChoice::truncated);
  const Problem laplace(load_case(study, {{"attention.beta=1"}}, Purpose::study));
  EXPECT_EQ(laplace.choose_kernel(16000, 0.12, 83), KernelChoice::dense);
  const Problem dense(load_case(study, {{"attention.kernel=\"dense\""}}, Purpose::study));
  EXPECT_EQ(dense.choose_kernel(16000, 0.12, 83), KernelChoice::dense);
  // The work model itself: N^2 a against N k a (sparse) plus the build.
  const KernelWork w = kernel_work(1e4, 100, 50);
  EXPECT_DOUBLE_EQ(w.dense, 1e8 * 50 / 1e9);
  EXPECT_DOUBLE_EQ(w.truncated, 1e6 * 50 / 1.5e8 + 4e6 / 1e7);
}

}  // namespace
}  // namespace attnpde
