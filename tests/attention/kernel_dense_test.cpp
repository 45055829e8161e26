// T0 (docs/theory.md section 7): exact identities of softmax attention with a metric score.
#include "attention/kernel_dense.hpp"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/layers.hpp"

namespace attnpde {
namespace {

Tokens sample(int dim, std::size_t n, const std::string& density = "1 + 0.5*sin(x)") {
  const Density p(density, dim);
  return sample_tokens(p, n, 7, Sampler::random);
}

MetricScore anisotropic(int dim, double sigma, double beta = 2.0) {
  Eigen::MatrixXd m = Eigen::MatrixXd::Identity(dim, dim);
  if (dim >= 2) {
    m(0, 0) = 2.0;
    m(0, 1) = m(1, 0) = 0.6;
  }
  if (dim == 3) m(2, 2) = 1.5;
  return MetricScore{m, beta, sigma};
}

std::vector<double> values(const Tokens& t) {
  std::vector<double> u(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::sin(t.coord[0][j]) + 0.3 * std::cos(3 * t.coord[t.dim - 1][j]);
  return u;
}

TEST(SoftmaxRows, SumToOneInEveryDimensionAndBeta) {
  const double tol = 1e-14;
  for (int dim = 1; dim <= 3; ++dim)
    for (double beta : {2.0, 1.0, 0.7}) {
      const Tokens t = sample(dim, 300);
      const MetricScore s = anisotropic(dim, 0.4, beta);
      for (std::size_t i : {0ul, 17ul, 299ul}) {
        const auto row = attention_row(t, s, i);
        double sum = 0;
        for (double a : row) {
          EXPECT_GE(a, 0.0);
          sum += a;
        }
        EXPECT_NEAR(sum, 1.0, tol) << "dim " << dim << " beta " << beta;
      }
      // A 1 = 1 through the fast path.
      std::vector<double> ones(t.size(), 1.0), out(t.size());
      apply_attention(t, s, ones.data(), out.data());
      for (double v : out) EXPECT_NEAR(v, 1.0, tol);
    }
}

TEST(SoftmaxRows, FastPathEqualsExplicitRows) {
  const Tokens t = sample(2, 500);
  const MetricScore s = anisotropic(2, 0.3);
  const auto u = values(t);
  std::vector<double> au(t.size());
  apply_attention(t, s, u.data(), au.data());
  for (std::size_t i : {0ul, 123ul, 499ul}) {
    const auto row = attention_row(t, s, i);
    double ref = 0;
    for (std::size_t j = 0; j < t.size(); ++j) ref += row[j] * u[j];
    EXPECT_NEAR(au[i], ref, 1e-13);
  }
}

// The Gaussian score runs an explicit vector kernel (attention/kernel_dense_simd.hpp) with
// the keys in full vectors, a padded last vector and blocks of dense_key_block keys: every
// variant (dimension, torus or box, column weights or not, float64 or float32) against the
// scalar rows of attention_row, at sizes with no full vector (5), a padded tail (37) and a
// second, partial block (2100 > 2048 and > 2 x 1024).
TEST(SoftmaxRows, VectorKernelEqualsScalarRowsInEveryVariant) {
  for (int dim = 1; dim <= 3; ++dim)
    for (const Domain domain : {Domain{DomainKind::torus}, Domain{DomainKind::box}})
      for (std::size_t n : {5ul, 37ul, 2100ul}) {
        const Density p("1 + 0.3*sin(6*x)", dim, domain);
        const Tokens t = sample_tokens(p, n, 11, Sampler::random);
        MetricScore s = anisotropic(dim, domain.periodic() ? 0.8 : 0.15);
        const auto u = values(t);
        std::vector<double> w(n);
        for (std::size_t j = 0; j < n; ++j) w[j] = 1.0 + 0.5 * std::cos(7.0 * t.coord[0][j]);
        for (const bool weighted : {false, true})
          for (const Precision precision : {Precision::float64, Precision::float32}) {
            s.precision = precision;
            std::vector<double> au(n), d(n);
            apply_attention(t, s, u.data(), au.data(), d.data(), weighted ? w.data() : nullptr);
            MetricScore scalar = s;
            scalar.precision = Precision::float64;
            for (std::size_t i : {0ul, n / 2, n - 1}) {
              const auto row = attention_row(t, scalar, i, weighted ? w.data() : nullptr);
              double ref = 0;
              for (std::size_t j = 0; j < n; ++j) ref += row[j] * u[j];
              // Float64: round-off of N terms; float32: the mode's stated 1e-5 (|u| <= 1.3).
              EXPECT_NEAR(au[i], ref, precision == Precision::float64 ? 1e-13 : 1e-5)
                  << "dim " << dim << ' ' << domain.name() << " n " << n << " weighted " << weighted << " float32 "
                  << (precision == Precision::float32) << " row " << i;
              EXPECT_GE(d[i], weighted ? w[i] * (1 - 1e-6) : 1.0 - 1e-6);  // the row's own key has weight 1
            }
          }
      }
}

TEST(DegreeWeightedMass, ConservedByEachLayer) {
  // sum_i d_i (A u)_i = sum_i d_i u_i for symmetric K (docs/theory.md section 2).
  const double rel_tol = 1e-12;
  for (int dim = 1; dim <= 3; ++dim) {
    const Tokens t = sample(dim, 700);
    const MetricScore s = anisotropic(dim, 0.35);
    std::vector<double> u = values(t), au(t.size()), d(t.size());
    apply_attention(t, s, u.data(), au.data(), d.data());
    double m0 = 0, scale = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      m0 += d[i] * u[i];
      scale += d[i] * std::abs(u[i]);
    }
    run_layers(t, s, 0.7, 5, u, [&](int, const std::vector<double>& uk) {
      double m = 0;
      for (std::size_t i = 0; i < t.size(); ++i) m += d[i] * uk[i];
      EXPECT_NEAR(m, m0, rel_tol * scale) << "dim " << dim;
    });
  }
}

TEST(DegreeWeightedMass, KernelIsSymmetric) {
  const Tokens t = sample(2, 200);
  const MetricScore s = anisotropic(2, 0.5);
  std::vector<double> ones(t.size(), 1.0), out(t.size()), d(t.size());
  apply_attention(t, s, ones.data(), out.data(), d.data());
  const auto ri = attention_row(t, s, 3), rj = attention_row(t, s, 150);
  // K_ij = A_ij d_i must equal K_ji = A_ji d_j.
  EXPECT_NEAR(ri[150] * d[3], rj[3] * d[150], 1e-15);
}

TEST(TinySigma, NoNaNAndSelfDominates) {
  const Tokens t = sample(2, 400);
  for (double sigma : {1e-3, 1e-8})
    for (const Precision precision : {Precision::float64, Precision::float32}) {
      MetricScore s = anisotropic(2, sigma);
      s.precision = precision;
      const auto u = values(t);
      std::vector<double> au(t.size()), d(t.size());
      apply_attention(t, s, u.data(), au.data(), d.data());
      for (std::size_t i = 0; i < t.size(); ++i) {
        ASSERT_TRUE(std::isfinite(au[i]));
        ASSERT_TRUE(std::isfinite(d[i]));
        // Tokens are ~0.3 apart: all other weights are at the logit floor, 2^-1010 (float64)
        // or 2^-125 (float32) per pair; float32 also rounds u to 24 bits.
        EXPECT_NEAR(au[i], u[i], precision == Precision::float64 ? 1e-12 : 1e-6);
      }
    }
}

TEST(AttentionKernel, ThreadCountDoesNotChangeResults) {
  const Tokens t = sample(2, 2000);
  const MetricScore s = anisotropic(2, 0.2);
  const auto u = values(t);
  std::vector<double> a1(t.size()), a2(t.size());
  const int saved = omp_get_max_threads();
  omp_set_num_threads(1);
  apply_attention(t, s, u.data(), a1.data());
  omp_set_num_threads(2);
  apply_attention(t, s, u.data(), a2.data());
  omp_set_num_threads(saved);
  for (std::size_t i = 0; i < t.size(); ++i) ASSERT_EQ(a1[i], a2[i]);
}

// Float32 compute with float64 accumulation: A u within 1e-5 relative of float64, rows
// still sum to 1 to float64 round-off (the normalization divides by the double sum).
TEST(AttentionKernel, Float32StaysWithinItsStatedError) {
  for (int dim = 1; dim <= 3; ++dim) {
    const Tokens t = sample(dim, 3000);
    MetricScore s = anisotropic(dim, 0.25);
    const auto u = values(t);
    std::vector<double> a64(t.size()), a32(t.size()), ones(t.size(), 1.0), r32(t.size());
    apply_attention(t, s, u.data(), a64.data());
    s.precision = Precision::float32;
    apply_attention(t, s, u.data(), a32.data());
    apply_attention(t, s, ones.data(), r32.data());
    double worst = 0, scale = 0;
    for (std::size_t i = 0; i < t.size(); ++i) {
      worst = std::max(worst, std::abs(a32[i] - a64[i]));
      scale = std::max(scale, std::abs(a64[i]));
      ASSERT_NEAR(r32[i], 1.0, 1e-14);
    }
    std::printf("dim %d: max |A u (float32) - A u (float64)| / max |A u| = %.3e\n", dim, worst / scale);
    EXPECT_LT(worst, 1e-5 * scale);
  }
  MetricScore laplace = anisotropic(2, 0.25, 1.0);
  laplace.precision = Precision::float32;
  std::vector<double> u(10, 1.0), out(10);
  EXPECT_THROW(apply_attention(sample(2, 10), laplace, u.data(), out.data()), std::invalid_argument);
}

TEST(GeneratorConstant, MatchesClosedForms) {
  for (int n = 1; n <= 3; ++n) {
    EXPECT_NEAR(generator_constant(2.0, n), 0.25, 1e-15);
    EXPECT_NEAR(generator_constant(1.0, n), (n + 1) / 2.0, 1e-13);
  }
  // beta = 4, n = 1: Gamma(3/4) / (2 Gamma(1/4)).
  EXPECT_NEAR(generator_constant(4.0, 1), std::tgamma(0.75) / (2 * std::tgamma(0.25)), 1e-14);
}

TEST(GeneratorConstant, SecondMomentOfTheKernelIn1D) {
  // c sigma^2 = (1/2) int s^2 k(s) ds / int k(s) ds with k = exp(-|s/sigma|^beta):
  // check by quadrature for beta = 1 and 3.
  for (double beta : {1.0, 3.0}) {
    const double sigma = 1.0, h = 1e-4;
    double m0 = 0, m2 = 0;
    for (double s = -60; s <= 60; s += h) {
      const double k = std::exp(-std::pow(std::abs(s / sigma), beta));
      m0 += k;
      m2 += s * s * k;
    }
    EXPECT_NEAR(0.5 * m2 / m0, generator_constant(beta, 1), 1e-8) << "beta " << beta;
  }
}

}  // namespace
}  // namespace attnpde
