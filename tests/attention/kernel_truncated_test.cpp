// The truncated kernel (attention/kernel_truncated.hpp) against the dense one.
#include "attention/kernel_truncated.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>

#include "attention/density.hpp"
#include "attention/layers.hpp"
#include "attention/normalization.hpp"
#include "support/metric.hpp"

namespace attnpde {
namespace {

struct Config {
  int dim;
  DomainKind domain;
  double sigma, beta;
};

std::vector<double> values(const Tokens& t) {
  std::vector<double> u(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) {
    const auto x = t.point(j);
    u[j] = std::sin(3 * x[0]) + std::cos(2 * x[1] + x[2]);
  }
  return u;
}

// max |A_trunc u - A u| against 2 delta max|u| (the rigorous bound) for plain and alpha
// column weights, on the torus and in the box, 1-3D, beta = 2 and 1.
// The rows' allocator: large blocks start on a 2 MiB boundary (huge pages), small ones come
// from the standard allocator, and both hold what is written to them.
TEST(LargeArray, HugeBlocksAreAlignedAndHoldTheirValues) {
  LargeArray<float> large(3000000);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % (std::size_t{1} << 21), 0u);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<float>(i % 1000);
  double sum = 0;
  for (const float v : large) sum += v;
  EXPECT_EQ(sum, 3000.0 * (999.0 * 1000.0 / 2.0));
  LargeArray<int> small(10, 7);
  EXPECT_EQ(small[9], 7);
  large = LargeArray<float>(5, 1.0f);  // a large block freed, a small one in its place
  EXPECT_EQ(large.size(), 5u);
}

TEST(TruncatedKernel, AgreesWithDenseWithinTheReportedBound) {
  const Config configs[] = {{1, DomainKind::torus, 0.05, 2.0},
                            {2, DomainKind::torus, 0.2, 2.0},
                            {3, DomainKind::torus, 0.4, 2.0},
                            {2, DomainKind::box, 0.03, 2.0},
                            {2, DomainKind::torus, 0.05, 1.0}};
  for (const auto& cfg : configs) {
    const Density p(cfg.dim == 1 ? "1 + 0.5*sin(x)" : "1 + 0.3*cos(x)*cos(y)", cfg.dim, Domain{cfg.domain});
    const Tokens t = sample_tokens(p, 3000, 5, Sampler::random);
    const MetricScore score{testing::skewed_metric(cfg.dim), cfg.beta, cfg.sigma};
    const double cutoff = cfg.beta == 2.0 ? 5.5 : 30.0;
    const TruncatedKernel sparse(t, score, cutoff);
    const DenseKernel dense(t, score);
    const auto u = values(t);
    double umax = 0;
    for (double v : u) umax = std::max(umax, std::abs(v));
    for (const NormalizationKind norm : {NormalizationKind::softmax, NormalizationKind::alpha}) {
      NormalizationSpec spec;
      spec.kind = norm;
      spec.alpha = 0.5;
      const ColumnWeights w = column_weights(dense, spec);
      std::vector<double> a(t.size()), b(t.size());
      dense.apply(u.data(), a.data(), nullptr, w.data());
      sparse.apply(u.data(), b.data(), nullptr, w.data());
      double diff = 0;
      for (std::size_t j = 0; j < t.size(); ++j) diff = std::max(diff, std::abs(a[j] - b[j]));
      const double bound = sparse.neglected_bound(w.data());
      std::printf("dim %d %s beta %.0f %s: %.1f neighbours, max diff %.3e, bound %.3e\n", cfg.dim,
                  Domain{cfg.domain}.name(), cfg.beta, normalization_name(norm), sparse.mean_neighbours(), diff,
                  2 * bound * umax);
      EXPECT_LE(diff, 2 * bound * umax + 1e-13);
      EXPECT_LT(bound, 1e-5);
      EXPECT_LT(sparse.mean_neighbours(), 0.5 * static_cast<double>(t.size()));
    }
  }
}

// A small cutoff drops a share of the weight near the typical tail, far below the
// worst-case bound; one layer's difference follows it.
TEST(TruncatedKernel, SmallCutoffDropsTheGaussianTail) {
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, 20000, 9, Sampler::random);
  const MetricScore score{testing::skewed_metric(2), 2.0, 0.08};
  const DenseKernel dense(t, score);
  for (double cutoff : {2.0, 2.5, 3.0}) {
    const TruncatedKernel sparse(t, score, cutoff);
    std::vector<double> ones(t.size(), 1.0), out(t.size()), full(t.size()), kept(t.size());
    dense.apply(ones.data(), out.data(), full.data(), nullptr);
    sparse.apply(ones.data(), out.data(), kept.data(), nullptr);
    double dropped = 0;
    for (std::size_t j = 0; j < t.size(); ++j) dropped += (full[j] - kept[j]) / full[j] / static_cast<double>(t.size());
    std::printf("cutoff %.1f: mean dropped share %.3e, typical tail %.3e\n", cutoff, dropped, sparse.tail_fraction());
    EXPECT_NEAR(dropped, sparse.tail_fraction(), 0.1 * sparse.tail_fraction());
  }
}

// attention.precision = float32 stores the weights in float32 (8 bytes per pair instead of
// 12): the same pairs, and A u within float32 rounding of the float64 rows.
TEST(TruncatedKernel, Float32WeightsStayWithinFloatRounding) {
  const Density p("1 + 0.3*sin(x)*cos(y)", 2);
  const Tokens t = sample_tokens(p, 6000, 4, Sampler::random);
  MetricScore score{testing::skewed_metric(2), 2.0, 0.1};
  const TruncatedKernel wide(t, score, 5.0);
  score.precision = Precision::float32;
  const TruncatedKernel compact(t, score, 5.0);
  EXPECT_EQ(compact.nonzeros(), wide.nonzeros());
  std::vector<double> u(t.size()), a(t.size()), b(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::sin(t.coord[0][j]) + std::cos(2 * t.coord[1][j]);
  wide.apply(u.data(), a.data(), nullptr, nullptr);
  compact.apply(u.data(), b.data(), nullptr, nullptr);
  double worst = 0, differs = 0;
  for (std::size_t j = 0; j < t.size(); ++j) {
    worst = std::max(worst, std::abs(a[j] - b[j]));
    differs = std::max(differs, a[j] != b[j] ? 1.0 : 0.0);
  }
  std::printf("float32 weights: max |A u - A32 u| = %.3e\n", worst);
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(differs, 1.0);  // the storage did change
  EXPECT_FALSE(wide.float32_weights());
  EXPECT_TRUE(compact.float32_weights());
  EXPECT_NEAR(compact.neglected_bound(), wide.neglected_bound() + 0x1.0p-24, 1e-6 * wide.neglected_bound());
}

// Where the truncation's own bound is at least twice the float32 rounding (a small cutoff,
// or very many tokens), the weights are stored in float32 without being asked; the reported
// bound includes the rounding.
TEST(TruncatedKernel, Float32WeightsWhereTheBoundAllows) {
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, 6000, 8, Sampler::random);
  const MetricScore score{testing::skewed_metric(2), 2.0, 0.1};
  const TruncatedKernel tight(t, score, 5.0), loose(t, score, 3.0);
  std::printf("bounds: cutoff 5 %.3e, cutoff 3 %.3e\n", tight.neglected_bound(), loose.neglected_bound());
  EXPECT_LT(tight.neglected_bound(), 0x1.0p-23);
  EXPECT_FALSE(tight.float32_weights());
  EXPECT_GT(loose.neglected_bound(), 0x1.0p-23);
  EXPECT_TRUE(loose.float32_weights());
}

TEST(TruncatedKernel, ThreadCountDoesNotChangeResults) {
  const Density p("1 + 0.3*sin(x)", 2);
  const Tokens t = sample_tokens(p, 5000, 2, Sampler::random);
  const MetricScore score{testing::skewed_metric(2), 2.0, 0.1};
  auto layers = [&](int threads) {
    const int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    const TruncatedKernel k(t, score, 5.0);
    auto u = values(t);
    run_layers(k, 0.5, 5, u);
    omp_set_num_threads(saved);
    return u;
  };
  EXPECT_EQ(layers(1), layers(2));
}

// Sinkhorn runs on the truncated kernel through the same column-weight code.
TEST(TruncatedKernel, SinkhornIsDoublyStochastic) {
  const Density p("1 + 0.4*cos(x)*sin(y)", 2);
  const Tokens t = sample_tokens(p, 4000, 3, Sampler::random);
  const TruncatedKernel k(t, MetricScore{testing::skewed_metric(2), 2.0, 0.2}, 5.0);
  NormalizationSpec spec;
  spec.kind = NormalizationKind::sinkhorn;
  const ColumnWeights w = column_weights(k, spec);
  EXPECT_TRUE(w.converged);
  EXPECT_LE(w.marginal_error, 1e-11);
}

TEST(TruncatedKernel, RejectsARadiusOfHalfThePeriod) {
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, 100, 1, Sampler::random);
  EXPECT_THROW(TruncatedKernel(t, MetricScore{testing::skewed_metric(2), 2.0, 1.0}, 5.0), std::invalid_argument);
}

}  // namespace
}  // namespace attnpde
