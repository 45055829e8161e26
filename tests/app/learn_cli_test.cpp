// `attnpde learn` through the command line (docs/theory.md section 10): a small version of
// cases/learn_metric.toml recovers the planted metric within 5% with the dense and the
// truncated kernel, the dot-product baseline runs on the same data and budget, the tables
// and the manifest carry what README's metric-attention section reports, the same seed gives
// the same numbers, and bad learn input exits 2 naming the key.
#include <cmath>
#include <regex>

#include "solver/app/learn_command.hpp"
#include "support/cli.hpp"

namespace {

using namespace attnpde_test;

const std::string small =
    "learn cases/learn_metric.toml --quiet --set tokens.n=800 --set learn.fields=4 --set learn.heldout=2 "
    "--set 'pde.grid=[64,64]' --set learn.evaluations=30 ";

// The rows of summary.csv of one model (columns by name).
std::vector<std::vector<std::string>> summary_rows(const fs::path& out, const std::string& model) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : csv_cells(out / "summary.csv"))
    if (r.at(0) == model || r.at(0) == "model") rows.push_back(r);
  return rows;
}

TEST(CliLearn, RecoversThePlantedMetricBesideTheDotBaseline) {
  const fs::path out = scratch("learn_both");
  const Result r = run(small + "--set learn.seeds=2 --set 'learn.noise=[0, 0.05]' --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  for (const char* f : {"learn.csv", "summary.csv", "manifest.json"}) EXPECT_TRUE(fs::exists(out / f)) << f;
  EXPECT_NE(r.out.find("planted metric M*: condition number 10"), std::string::npos) << r.out;
  const auto learn = csv_cells(out / "learn.csv");
  ASSERT_GT(learn.size(), 20u);
  EXPECT_EQ(learn[0], (std::vector<std::string>{"model", "noise", "seed", "evaluation", "loss", "heldout_loss",
                                                "seconds", "metric_error"}));
  // Both models, both noise levels, two seeds each; the metric error at noise 0 within 5%.
  const auto metric = summary_rows(out, "metric"), dot = summary_rows(out, "dot");
  ASSERT_EQ(metric.size(), 3u);
  ASSERT_EQ(dot.size(), 3u);
  EXPECT_EQ(csv_cell(metric, 1, "noise"), 0.0);
  EXPECT_EQ(csv_cell(metric, 1, "runs"), 2.0);
  EXPECT_LT(csv_cell(metric, 1, "metric_error"), 0.05);
  EXPECT_LT(csv_cell(metric, 2, "metric_error"), 0.10);
  EXPECT_GT(csv_cell(metric, 1, "metric_error_ci95"), 0.0);
  // The planted metric is rotated: the baseline's bilinear score cannot represent it.
  EXPECT_LT(100 * csv_cell(metric, 1, "heldout_loss"), csv_cell(dot, 1, "heldout_loss"));
  const std::string man = slurp(out / "manifest.json");
  for (const char* key : {"\"planted_metric\"", "\"planted_eigenvalues\"", "\"axis_angle_degrees\"", "\"eigenvalues\"",
                          "\"B\"", "\"snapshot_times\"", "\"learn.csv\""})
    EXPECT_NE(man.find(key), std::string::npos) << key;
  // The picture of loss curves and ellipses.
  if (fs::exists("/usr/bin/python3")) {
    const std::string cmd =
        "/usr/bin/python3 '" + source_dir + "/postprocess/plot_learn.py' '" + out.string() + "' >/dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    EXPECT_TRUE(fs::exists(out / "learn.png"));
  }
}

TEST(CliLearn, TruncatedKernelAndAdamRecoverTheMetric) {
  for (const char* extra : {"--set attention.kernel=truncated",
                            "--set learn.optimizer=adam --set learn.rate=0.1 "
                            "--set learn.evaluations=300"}) {
    const fs::path out = scratch("learn_variant");
    const Result r = run(small + "--set learn.models=metric --set 'learn.noise=[0]' --set learn.seeds=1 " + extra +
                         " --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << extra << ": " << r.err;
    const auto metric = summary_rows(out, "metric");
    ASSERT_EQ(metric.size(), 2u);
    EXPECT_LT(csv_cell(metric, 1, "metric_error"), 0.05) << extra;
    EXPECT_EQ(summary_rows(out, "dot").size(), 1u);  // the header only
    if (std::string(extra).find("truncated") != std::string::npos) {
      EXPECT_NE(slurp(out / "manifest.json").find("\"kernel\": \"truncated\""), std::string::npos);
    }
  }
}

// The companion case with axes along the coordinates, where the baseline can express the
// anisotropy: the metric is recovered, and metric-attention still fits the held-out fields better.
TEST(CliLearn, AxesCaseRecoversItsMetric) {
  const fs::path out = scratch("learn_axes");
  std::string args = small;
  args.replace(args.find("learn_metric.toml"), 17, "learn_metric_axes.toml");
  const Result r = run(args + "--set 'learn.noise=[0]' --set learn.seeds=1 --out '" + out.string() + "'");
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto metric = summary_rows(out, "metric"), dot = summary_rows(out, "dot");
  ASSERT_EQ(metric.size(), 2u);
  ASSERT_EQ(dot.size(), 2u);
  EXPECT_LT(csv_cell(metric, 1, "metric_error"), 0.05);
  EXPECT_LT(csv_cell(metric, 1, "heldout_loss"), csv_cell(dot, 1, "heldout_loss"));
}

// What is left of the metric error is the reference's: the PDE data come from the
// second-order finite-difference solver, and halving its grid spacing divides the recovered
// metric's error by about 4 (the attention side, Gaussian kernel with tau = 1 on uniform
// tokens, is the heat semigroup itself, docs/theory.md section 10).
TEST(CliLearn, MetricErrorIsTheFiniteDifferenceDataErrorOfSecondOrder) {
  double err[2];
  for (int k = 0; k < 2; ++k) {
    const fs::path out = scratch("learn_grid");
    const int g = k == 0 ? 32 : 64;
    const Result r =
        run(small + "--set learn.models=metric --set 'learn.noise=[0]' --set learn.seeds=1 " + "--set 'pde.grid=[" +
            std::to_string(g) + "," + std::to_string(g) + "]' --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << r.err;
    err[k] = csv_cell(summary_rows(out, "metric"), 1, "metric_error");
  }
  std::printf("metric error: grid 32 %.4e, grid 64 %.4e, ratio %.2f\n", err[0], err[1], err[0] / err[1]);
  EXPECT_GT(err[0] / err[1], 3.5);
  EXPECT_LT(err[0] / err[1], 4.5);
}

TEST(CliLearn, TheSameSeedGivesTheSameNumbers) {
  std::string first;
  for (int k = 0; k < 2; ++k) {
    const fs::path out = scratch("learn_repeat_" + std::to_string(k));
    const Result r = run(small + "--set learn.evaluations=8 --set 'learn.noise=[0.05]' --out '" + out.string() + "'");
    ASSERT_EQ(r.rc, 0) << r.err;
    std::string losses;
    for (const auto& row : csv_cells(out / "learn.csv")) losses += row.at(4) + " " + row.at(5) + "\n";
    if (k == 0)
      first = losses;
    else
      EXPECT_EQ(losses, first);
  }
}

// The 95% intervals of summary.csv: Student t with n - 1 degrees of freedom (t = 12.706 for
// two values, 2.776 for five).
TEST(LearnSummary, IntervalsUseStudentT) {
  const attnpde::Interval two = attnpde::mean_interval({1.0, 3.0});
  EXPECT_DOUBLE_EQ(two.mean, 2.0);
  EXPECT_NEAR(two.half_width, 12.706204736174698, 1e-12);
  const attnpde::Interval five = attnpde::mean_interval({1, 2, 3, 4, 5});
  EXPECT_NEAR(five.half_width, 2.7764451051977987 * std::sqrt(2.5 / 5), 1e-12);
  EXPECT_EQ(attnpde::mean_interval({7.0}).half_width, 0.0);
}

TEST(CliLearn, BadLearnInputExitsTwoNamingTheKey) {
  const std::regex one_line(R"(^[^\n]+: error: [a-z_.]+: [^\n]+\n$)");  // FILE:LINE:COL or --set
  struct Bad {
    std::string args, key;
  };
  for (const Bad& b :
       {Bad{"--set attention.layers=6", "attention.layers"}, Bad{"--set attention.beta=1.5", "attention.beta"},
        Bad{"--set attention.normalization=sinkhorn", "attention.normalization"},
        Bad{"--set domain.kind=box", "learn.models"}, Bad{"--set 'learn.initial=[[1, 2], [2, 1]]'", "learn.initial"},
        Bad{"--set learn.fields=0", "learn.fields"}, Bad{"--set 'learn.noise=[]'", "learn.noise"},
        Bad{"--set learn.models=attention", "learn.models"}}) {
    const fs::path out = scratch("learn_bad");
    const Result r = run("learn cases/learn_metric.toml " + b.args + " --out '" + out.string() + "'");
    EXPECT_EQ(r.rc, 2) << b.args << ": " << r.err;
    EXPECT_TRUE(std::regex_match(r.err, one_line)) << b.args << ": " << r.err;
    EXPECT_NE(r.err.find(b.key), std::string::npos) << b.args << ": " << r.err;
    EXPECT_FALSE(fs::exists(out)) << b.args;
  }
  // [learn] belongs to `attnpde learn` only.
  const Result r = run("run cases/learn_metric.toml --quiet");
  EXPECT_EQ(r.rc, 2) << r.err;
  EXPECT_NE(r.err.find("applies to `attnpde learn` only"), std::string::npos) << r.err;
}

}  // namespace
