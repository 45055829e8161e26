#include "attention/tokens.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/rosenblatt.hpp"

namespace attnpde {
namespace {

TEST(Sampler, QuasiTokensAreDeterministicAndThreadIndependent) {
  const Density p("exp(0.5*cos(x - y))", 2);
  const Tokens a = sample_tokens(p, 3001, 2, Sampler::quasi);
  const Tokens b = sample_tokens(p, 3001, 2, Sampler::quasi);
  EXPECT_EQ(a.coord[0], b.coord[0]);
  EXPECT_EQ(a.coord[1], b.coord[1]);
}

TEST(Sampler, QuasiMomentsIn1DAnd3D) {
  // E[cos x] under p = 1 + 0.4 cos x is 0.2 in every dimension.
  for (int dim : {1, 3}) {
    const Density p(dim == 1 ? "1 + 0.4*cos(x)" : "1 + 0.4*cos(x) + 0.2*sin(y)*cos(z)", dim);
    const Tokens t = sample_tokens(p, 20000, 1, Sampler::quasi);
    double m = 0;
    for (double x : t.coord[0]) m += std::cos(x);
    EXPECT_NEAR(m / 20000.0, 0.2, 1e-9) << "dim " << dim;
  }
}

// Chunked sampling (distributed tokens keep their own box's tokens chunk by chunk) draws the
// very same sequence: rejection sampling of a non-uniform density and the mapped lattice.
TEST(Sampler, ChunksAreTheWholeSampleInOrder) {
  const Density p("exp(0.5*cos(x - y))", 2);
  for (const Sampler sampler : {Sampler::random, Sampler::quasi}) {
    const Tokens whole = sample_tokens(p, 2003, 5, sampler);
    for (const std::size_t chunk : {std::size_t{7}, std::size_t{1000}, std::size_t{5000}}) {
      Tokens joined;
      std::size_t next = 0;
      sample_token_chunks(p, 2003, 5, sampler, chunk, [&](std::size_t first, Tokens& t) {
        EXPECT_EQ(first, next);
        EXPECT_LE(t.size(), chunk);
        next += t.size();
        for (int d = 0; d < 2; ++d) joined.coord[d].insert(joined.coord[d].end(), t.coord[d].begin(), t.coord[d].end());
      });
      EXPECT_EQ(next, 2003u);
      EXPECT_EQ(joined.coord[0], whole.coord[0]) << "chunk " << chunk;
      EXPECT_EQ(joined.coord[1], whole.coord[1]) << "chunk " << chunk;
    }
  }
}

// The quasi sampler maps its lattice points several at a time; each point's coordinates must
// not depend on the batch it falls in (ranks map different shares of one sequence).
TEST(InverseRosenblatt, BatchedMapEqualsPointByPoint) {
  for (const int dim : {1, 2, 3}) {
    const Density p(dim == 1   ? "exp(0.7*cos(x))"
                    : dim == 2 ? "exp(0.5*cos(x - y))"
                               : "exp(0.3*cos(x) + 0.2*sin(y + z))",
                    dim);
    const InverseRosenblatt transform(p);
    std::mt19937_64 rng(7);
    const std::size_t count = 37;
    std::vector<double> u(3 * count);
    for (auto& v : u) v = uniform01(rng);
    std::vector<std::array<double, 3>> batch(count);
    transform.map(u.data(), batch.data(), count);
    for (const std::size_t offset : {std::size_t{0}, std::size_t{3}}) {
      std::vector<std::array<double, 3>> shifted(count - offset);
      transform.map(u.data() + 3 * offset, shifted.data(), count - offset);
      for (std::size_t i = offset; i < count; ++i) {
        const auto one = transform.map(u.data() + 3 * i);
        for (int d = 0; d < dim; ++d) {
          EXPECT_EQ(batch[i][static_cast<std::size_t>(d)], one[static_cast<std::size_t>(d)]) << dim << "D point " << i;
          EXPECT_EQ(shifted[i - offset][static_cast<std::size_t>(d)], one[static_cast<std::size_t>(d)]);
        }
      }
    }
  }
}

TEST(Density, NormalizesToOne) {
  const Density p("1 + 0.5*sin(x)*cos(y)", 2);
  EXPECT_NEAR(p.integral(), torus_period * torus_period, 1e-9);
  EXPECT_NEAR(p.min_raw(), 0.5, 1e-3);
}

TEST(Sampler, SameSeedSameTokens) {
  const Density p("1 + 0.5*sin(x)", 2);
  for (auto s : {Sampler::random, Sampler::quasi}) {
    const Tokens a = sample_tokens(p, 500, 3, s), b = sample_tokens(p, 500, 3, s), c = sample_tokens(p, 500, 4, s);
    ASSERT_EQ(a.size(), 500u);
    EXPECT_EQ(a.coord[0], b.coord[0]);
    EXPECT_EQ(a.coord[1], b.coord[1]);
    EXPECT_NE(a.coord[0], c.coord[0]);
    for (int d = 0; d < 2; ++d)
      for (double v : a.coord[d]) {
        ASSERT_GE(v, 0.0);
        ASSERT_LT(v, torus_period);
      }
  }
}

// Moments of the samples match the density: E[sin x] for p = (1 + 0.5 sin x cos(y)^2)/Z
// is 0.125. i.i.d. sampling converges like N^-1/2 (5 standard deviations allowed); the
// lattice mapped through the inverse Rosenblatt transform integrates smooth periodic
// functions to round-off.
TEST(Sampler, MomentsMatchTheDensity) {
  const Density p("1 + 0.5*sin(x)*cos(y)^2", 2);
  const double exact = 0.125;
  for (auto [s, tol] : {std::pair{Sampler::random, 5 * 0.7 / std::sqrt(20000.0)}, std::pair{Sampler::quasi, 1e-12}}) {
    const Tokens t = sample_tokens(p, 20000, 11, s);
    ASSERT_EQ(t.size(), 20000u);
    double m = 0;
    for (double x : t.coord[0]) m += std::sin(x);
    m /= static_cast<double>(t.size());
    EXPECT_NEAR(m, exact, tol);
  }
}

}  // namespace
}  // namespace attnpde
