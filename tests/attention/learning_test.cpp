// Metric learning (attention/learning.hpp, attention/optimizer.hpp): the hand-written
// gradients against central finite differences, and exact recovery of a metric from data
// that the model itself produced.
#include "attention/learning.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "attention/density.hpp"
#include "attention/optimizer.hpp"

namespace attnpde {
namespace {

// J smooth fields on the tokens (a few Fourier modes with fixed coefficients).
Eigen::MatrixXd smooth_fields(const Tokens& t, int fields) {
  Eigen::MatrixXd u(static_cast<long>(t.size()), fields);
  for (long i = 0; i < u.rows(); ++i) {
    const double x = t.coord[0][static_cast<std::size_t>(i)], y = t.coord[1][static_cast<std::size_t>(i)];
    for (int f = 0; f < fields; ++f) u(i, f) = std::cos(x + f * y) + 0.5 * std::sin(2 * y - f * x + 0.3 * f) + 0.2 * f;
  }
  return u;
}

// Data made by `model` at theta (snapshots after every plan.layers_per_snapshot layers).
FieldData model_data(const ScoreModel& model, const Eigen::VectorXd& theta, const Eigen::MatrixXd& u0,
                     const LayerPlan& plan, int snapshots) {
  FieldData d;
  d.u0 = u0;
  const AttentionMatrix a = model.attention(theta);
  Eigen::MatrixXd u = u0;
  for (int k = 0; k < snapshots; ++k) {
    for (int l = 0; l < plan.layers_per_snapshot; ++l)
      u = (1 - plan.tau) * u + plan.tau * (a.sparse ? Eigen::MatrixXd(a.csr * u) : Eigen::MatrixXd(a.dense * u));
    d.snapshots.push_back(u);
  }
  return d;
}

// Largest |g - g_fd| relative to max |g| over all parameters (central differences).
double gradient_defect(const ScoreModel& model, const Eigen::VectorXd& theta, const FieldData& data,
                       const LayerPlan& plan) {
  Eigen::VectorXd g;
  model.loss(theta, data, plan, &g);
  double worst = 0.0;
  for (long k = 0; k < theta.size(); ++k) {
    const double h = 1e-5 * std::max(1.0, std::abs(theta[k]));
    Eigen::VectorXd tp = theta, tm = theta;
    tp[k] += h;
    tm[k] -= h;
    const double fd = (model.loss(tp, data, plan) - model.loss(tm, data, plan)) / (2 * h);
    std::printf("  d/dtheta_%ld: exact %+.12e  finite difference %+.12e\n", k, g[k], fd);
    worst = std::max(worst, std::abs(fd - g[k]));
  }
  return worst / g.cwiseAbs().maxCoeff();
}

struct LearnSetup {
  Density p{"1 + 0.3*cos(x)*sin(y)", 2};
  Tokens tokens = sample_tokens(p, 300, 3, Sampler::random);
  LayerPlan plan{0.7, 2};
  Eigen::MatrixXd planted{{2.0, 0.6}, {0.6, 0.8}};
};

TEST(MetricGradient, DenseMatchesFiniteDifferences) {
  LearnSetup s;
  MetricModel model(s.tokens, 0.6);
  const FieldData data = model_data(model, model.parameters_of(s.planted), smooth_fields(s.tokens, 3), s.plan, 3);
  const Eigen::VectorXd theta = model.parameters_of(Eigen::MatrixXd{{1.2, -0.2}, {-0.2, 1.5}});
  EXPECT_LT(gradient_defect(model, theta, data, s.plan), 1e-6);
}

TEST(MetricGradient, TruncatedMatchesFiniteDifferences) {
  LearnSetup s;
  MetricModel model(s.tokens, 0.5, 3.0);
  const Eigen::MatrixXd start{{1.2, -0.2}, {-0.2, 1.5}};
  model.freeze_pattern(start);  // the loss is smooth for a fixed neighbour set
  const FieldData data = model_data(model, model.parameters_of(s.planted), smooth_fields(s.tokens, 3), s.plan, 3);
  const Eigen::VectorXd theta = model.parameters_of(start);
  EXPECT_TRUE(model.attention(theta).sparse);
  EXPECT_LT(model.attention(theta).csr.nonZeros(), 300L * 300L / 2);
  EXPECT_LT(gradient_defect(model, theta, data, s.plan), 1e-6);
}

TEST(MetricGradient, BoxMatchesFiniteDifferences) {
  const Density p("1", 2, Domain{DomainKind::box});
  const Tokens t = sample_tokens(p, 200, 4, Sampler::random);
  MetricModel model(t, 0.15);
  const LayerPlan plan{1.0, 1};
  const FieldData data =
      model_data(model, model.parameters_of(Eigen::MatrixXd{{3.0, 1.0}, {1.0, 1.0}}), smooth_fields(t, 2), plan, 2);
  EXPECT_LT(gradient_defect(model, model.parameters_of(Eigen::MatrixXd::Identity(2, 2)), data, plan), 1e-6);
}

TEST(DotGradient, MatchesFiniteDifferences) {
  LearnSetup s;
  DotModel model(s.tokens, 3);
  Eigen::VectorXd theta = model.isotropic(2.0 / (0.6 * 0.6));
  for (long k = 0; k < theta.size(); ++k) theta[k] += 0.1 * std::sin(1.7 * static_cast<double>(k) + 0.4);
  MetricModel metric(s.tokens, 0.6);
  const FieldData data = model_data(metric, metric.parameters_of(s.planted), smooth_fields(s.tokens, 3), s.plan, 3);
  EXPECT_EQ(model.parameter_count(), 2 * 3 * 4);
  EXPECT_LT(gradient_defect(model, theta, data, s.plan), 1e-6);
}

// Rows of every model's A are probabilities.
TEST(LearnedAttention, RowsAreStochastic) {
  LearnSetup s;
  MetricModel dense(s.tokens, 0.4), truncated(s.tokens, 0.4, 5.0);
  DotModel dot(s.tokens, 4);
  const Eigen::VectorXd theta = dense.parameters_of(s.planted);
  const auto a = dense.attention(theta), b = truncated.attention(theta), c = dot.attention(dot.isotropic(5.0));
  for (long i = 0; i < 300; ++i) {
    EXPECT_NEAR(a.dense.row(i).sum(), 1.0, 1e-14);
    EXPECT_NEAR(b.csr.row(i).sum(), 1.0, 1e-14);
    EXPECT_NEAR(c.dense.row(i).sum(), 1.0, 1e-14);
  }
  // The truncated rows are the dense ones up to the neglected tail exp(-25).
  const Eigen::MatrixXd diff = Eigen::MatrixXd(b.csr) - Eigen::MatrixXd(a.dense);
  EXPECT_LT(diff.cwiseAbs().maxCoeff(), 1e-9);
}

// L-BFGS and Adam find a planted metric from data the model produced (the exact minimum,
// loss 0): the gradient, the parametrization and the optimizer together.
TEST(MetricRecovery, OptimizersFindAPlantedMetricFromModelData) {
  LearnSetup s;
  MetricModel model(s.tokens, 0.6);
  const FieldData data = model_data(model, model.parameters_of(s.planted), smooth_fields(s.tokens, 4), s.plan, 3);
  const Objective f = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& g) {
    return model.loss(theta, data, s.plan, &g);
  };
  const Eigen::VectorXd start = model.parameters_of(Eigen::MatrixXd::Identity(2, 2));
  OptimizerOptions opt;
  opt.evaluations = 200;
  const OptimizerResult r = minimize(f, start, opt);
  const double err = (model.metric(r.theta) - s.planted).norm() / s.planted.norm();
  std::printf("L-BFGS: %d evaluations (%s), loss %.3e, metric error %.3e\n", r.evaluations, r.stop.c_str(), r.loss,
              err);
  EXPECT_LT(err, 1e-6);
  opt.kind = OptimizerKind::adam;
  opt.evaluations = 400;
  opt.rate = 0.02;
  const OptimizerResult adam = minimize(f, start, opt);
  const double err_adam = (model.metric(adam.theta) - s.planted).norm() / s.planted.norm();
  std::printf("Adam: %d evaluations, loss %.3e, metric error %.3e\n", adam.evaluations, adam.loss, err_adam);
  EXPECT_EQ(adam.evaluations, 400);
  EXPECT_LT(err_adam, 2e-2);
}

// The budget is a hard cap: the callback sees every evaluation, numbered 1 .. budget.
TEST(MetricRecovery, TheEvaluationBudgetIsRespected) {
  int calls = 0, last = 0;
  const Objective f = [&](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    ++calls;
    g = 2 * x;
    g[0] += std::cos(x[0]);
    return x.squaredNorm() + std::sin(x[0]) + 10.0;
  };
  OptimizerOptions opt;
  opt.evaluations = 3;
  opt.tolerance = 0;
  const auto r = minimize(f, Eigen::VectorXd::Constant(3, 4.0), opt, [&](int k, const Eigen::VectorXd&, double) {
    EXPECT_EQ(k, last + 1);
    last = k;
  });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.evaluations, 3);
  EXPECT_EQ(last, 3);
}

}  // namespace
}  // namespace attnpde
