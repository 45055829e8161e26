// Tokens distributed over ranks (attention/kernel_distributed.hpp): with the truncated kernel
// every rank keeps the tokens of its box and a halo, with the dense kernel its tokens and one
// block of keys at a time; in both its rows of A u equal, bit for bit, the rows of the kernel
// of all tokens on one rank. CTest runs this binary on 1 rank and under mpirun on 2
// and 4 (oversubscribed); every test is collective.
#include "attention/kernel_distributed.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "attention/density.hpp"
#include "discretization/grid.hpp"
#include "solver/app/distributed_tokens.hpp"
#include "support/metric.hpp"

namespace attnpde {
namespace {

// Uniform tokens from the project's sampler (the same on every rank for a seed).
Tokens uniform(int dim, Domain domain, std::size_t n, std::uint64_t seed) {
  return sample_tokens(Density("1", dim, domain), n, seed, Sampler::random);
}

struct Case {
  int dim;
  DomainKind domain;
  std::size_t n;
  double sigma;
  Precision precision;
  bool weighted;
};

int ranks() {
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

// One rank's share of a token set: the tokens j with keep(j), their numbers, u and w.
struct Share {
  Tokens tokens;
  std::vector<long> ids;
  std::vector<double> u, w;
};

template <class Keep>
Share share(const Tokens& all, const std::vector<double>& u, const std::vector<double>& w, Keep&& keep) {
  Share m;
  m.tokens.dim = all.dim;
  m.tokens.domain = all.domain;
  for (std::size_t j = all.size(); j-- > 0;) {  // each rank's numbers out of order
    if (!keep(j)) continue;
    for (int d = 0; d < all.dim; ++d)
      m.tokens.coord[static_cast<std::size_t>(d)].push_back(all.coord[static_cast<std::size_t>(d)][j]);
    m.ids.push_back(static_cast<long>(j));
    m.u.push_back(u[j]);
    m.w.push_back(w[j]);
  }
  return m;
}

// Rows of the share (out, degree) that differ from the whole kernel's.
long mismatches(const Share& m, const std::vector<double>& out, const std::vector<double>& degree,
                const std::vector<double>& ref, const std::vector<double>& ref_degree) {
  long count = 0;
  for (std::size_t k = 0; k < m.ids.size(); ++k) {
    const auto g = static_cast<std::size_t>(m.ids[k]);
    count += out[k] != ref[g] || degree[k] != ref_degree[g];
  }
  return count;
}

// The owned rows (out, degree) against the kernel of all tokens, which every rank builds
// from the same tokens; and the memory: owned + halo well below N on several ranks.
TEST(DistributedTruncatedKernel, OwnedRowsEqualTheWholeKernelBitForBit) {
  const Case cases[] = {
      {2, DomainKind::torus, 6000, 0.12, Precision::float64, false},
      {2, DomainKind::torus, 6000, 0.12, Precision::float32, true},
      {2, DomainKind::box, 5000, 0.03, Precision::float64, true},
      {3, DomainKind::torus, 5000, 0.3, Precision::float64, false},
      {1, DomainKind::torus, 3000, 0.01, Precision::float64, true},
  };
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (const Case& c : cases) {
    const Domain domain{c.domain};
    const Tokens all = uniform(c.dim, domain, c.n, 7 + static_cast<std::uint64_t>(c.dim));
    MetricScore score{testing::skewed_metric(c.dim), 2.0, c.sigma, c.precision};
    std::vector<double> u(c.n), w(c.n);
    for (std::size_t j = 0; j < c.n; ++j) {
      const auto x = all.point(j);
      u[j] = std::sin(3 * x[0]) + std::cos(2 * x[1] + x[2]);
      w[j] = 1.0 + 0.5 * std::cos(x[0]);
    }
    const double cutoff = 4.0;
    const TruncatedKernel whole(all, score, cutoff);
    std::vector<double> ref(c.n), ref_degree(c.n);
    whole.apply(u.data(), ref.data(), ref_degree.data(), c.weighted ? w.data() : nullptr);

    const BoxPartition boxes = grid_partition(domain, c.dim, ranks());
    const Share mine = share(all, u, w, [&](std::size_t j) { return boxes.owner(all.point(j)) == rank; });
    const DistributedTruncatedKernel part(mine.tokens, mine.ids, score, cutoff, boxes, MPI_COMM_WORLD);
    EXPECT_EQ(part.total(), static_cast<long>(c.n));
    EXPECT_EQ(part.local().float32_weights(), whole.float32_weights());
    std::vector<double> out(mine.u.size()), degree(mine.u.size());
    part.apply(mine.u.data(), out.data(), degree.data(), c.weighted ? mine.w.data() : nullptr);
    EXPECT_EQ(mismatches(mine, out, degree, ref, ref_degree), 0)
        << c.dim << "D " << domain.name() << ", rank " << rank << " of " << ranks();
    // The neglected-weight bound is the whole kernel's (a maximum over all ranks' rows).
    EXPECT_EQ(part.local().neglected_bound(), whole.neglected_bound());
    if (ranks() > 1) {
      EXPECT_LT(part.owned() + part.halo(), c.n) << "each rank holds a part of the tokens";
    }
  }
}

// The dense kernel with the keys passed block by block: the owned rows equal apply_attention
// of all tokens bit for bit (N not a multiple of the block, so the last block is partial).
TEST(DistributedDenseKernel, OwnedRowsEqualTheWholeKernelBitForBit) {
  struct Dense {
    int dim;
    DomainKind domain;
    double beta;
    Precision precision;
    bool weighted;
  };
  const Dense cases[] = {
      {2, DomainKind::torus, 2.0, Precision::float64, false},
      {2, DomainKind::torus, 2.0, Precision::float32, true},
      {3, DomainKind::box, 1.0, Precision::float64, true},
      {1, DomainKind::torus, 2.0, Precision::float64, true},
  };
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const std::size_t n = 5000;
  for (const Dense& c : cases) {
    const Domain domain{c.domain};
    const Tokens all = uniform(c.dim, domain, n, 11);
    const MetricScore score{testing::skewed_metric(c.dim), c.beta, 0.3, c.precision};
    std::vector<double> u(n), w(n), ref(n), ref_degree(n);
    for (std::size_t j = 0; j < n; ++j) {
      const auto x = all.point(j);
      u[j] = std::cos(2 * x[0]) + x[1];
      w[j] = 1.0 + 0.5 * std::sin(x[0]);
    }
    apply_attention(all, score, u.data(), ref.data(), ref_degree.data(), c.weighted ? w.data() : nullptr);
    // Tokens dealt round-robin (any split works).
    const Share mine = share(
        all, u, w, [&](std::size_t j) { return static_cast<int>(j % static_cast<std::size_t>(ranks())) == rank; });
    const DistributedDenseKernel part(mine.tokens, mine.ids, score, MPI_COMM_WORLD);
    EXPECT_EQ(part.total(), static_cast<long>(n));
    std::vector<double> out(mine.ids.size()), degree(mine.ids.size());
    part.apply(mine.u.data(), out.data(), degree.data(), c.weighted ? mine.w.data() : nullptr);
    EXPECT_EQ(mismatches(mine, out, degree, ref, ref_degree), 0)
        << c.dim << "D " << domain.name() << ", rank " << rank << " of " << ranks();
  }
}

TEST(DistributedTruncatedKernel, GridPartitionHasTheLeastSurface) {
  EXPECT_EQ(grid_partition(Domain{}, 2, 4).grid, (std::array<int, 3>{2, 2, 1}));
  EXPECT_EQ(grid_partition(Domain{}, 2, 2).grid, (std::array<int, 3>{2, 1, 1}));
  EXPECT_EQ(grid_partition(Domain{}, 3, 8).grid, (std::array<int, 3>{2, 2, 2}));
  EXPECT_EQ(grid_partition(Domain{}, 1, 3).grid, (std::array<int, 3>{3, 1, 1}));
  const BoxPartition b = grid_partition(Domain{}, 2, 4);
  // Rank 3 = (1, 1): [pi, 2 pi)^2; the point (0.1, 0.1) is 0.1 sqrt 2 from it through the
  // periodic images.
  EXPECT_EQ(b.owner({4.0, 4.0, 0.0}), 3);
  EXPECT_NEAR(b.distance({0.1, 0.1, 0.0}, 3), 0.1 * std::sqrt(2.0), 1e-12);
  EXPECT_THROW(grid_partition(Domain{DomainKind::sphere}, 3, 2), std::invalid_argument);
}

TEST(BoxPartition, SlabsOfUnevenWidth) {
  const double L = Domain{}.length();
  const BoxPartition b = box_partition(Domain{}, 2, {2, 1, 1}, {std::vector<double>{0.0, 1.0, L}, {0.0, L}, {}});
  EXPECT_EQ(b.owner({0.5, 3.0, 0.0}), 0);
  EXPECT_EQ(b.owner({1.0, 3.0, 0.0}), 1);  // a face belongs to the slab above it
  EXPECT_EQ(b.owner({L, 3.0, 0.0}), 1);    // the domain's end to the last slab
  EXPECT_DOUBLE_EQ(b.lo(1, 0), 1.0);
  EXPECT_NEAR(b.distance({L - 0.25, 3.0, 0.0}, 0), 0.25, 1e-12);  // through the periodic image
  EXPECT_THROW(box_partition(Domain{}, 2, {2, 1, 1}, {std::vector<double>{0.0, 1.0}, {0.0, L}, {}}),
               std::invalid_argument);
  EXPECT_THROW(box_partition(Domain{}, 2, {2, 1, 1}, {std::vector<double>{0.0, 4.0, 3.0}, {0.0, L}, {}}),
               std::invalid_argument);
}

// The boxes of `run`'s distributed tokens follow the PDE grid's decomposition: every node a
// rank owns lies in its own box (torus: at its node; box: at its cell centre).
TEST(BoxPartition, GridAlignedBoxesHoldTheirRanksNodes) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  for (const Domain domain : {Domain{DomainKind::torus}, Domain{DomainKind::box}})
    for (const std::vector<int>& nodes : {std::vector<int>{24, 20}, std::vector<int>{9, 8, 7}}) {
      const Grid grid(MPI_COMM_WORLD, nodes, domain);
      const BoxPartition boxes = grid_aligned_partition(grid);
      EXPECT_EQ(boxes.ranks(), ranks());
      std::array<int, 3> start{}, count{};
      grid.owned(start, count);
      int outside = 0;
      for (int k = start[2]; k < start[2] + count[2]; ++k)
        for (int j = start[1]; j < start[1] + count[1]; ++j)
          for (int i = start[0]; i < start[0] + count[0]; ++i) {
            const int index[3] = {i, j, k};
            std::array<double, 3> x{};
            for (int d = 0; d < grid.dim(); ++d) x[static_cast<std::size_t>(d)] = grid.coordinate(d, index[d]);
            outside += boxes.owner(x) != rank;
          }
      EXPECT_EQ(outside, 0) << domain.name() << " " << nodes.size() << "D, rank " << rank;
    }
}

TEST(DistributedTruncatedKernel, TokensOutsideTheirBoxAreRejectedOnEveryRank) {
  const Domain domain{};
  const BoxPartition boxes = grid_partition(domain, 2, ranks());
  Tokens t = uniform(2, domain, 50, 3);  // the same 50 tokens on every rank: most are not its own
  std::vector<long> ids(50);
  for (long j = 0; j < 50; ++j) ids[static_cast<std::size_t>(j)] = j;
  MetricScore score{testing::skewed_metric(2), 2.0, 0.2};
  if (ranks() > 1) {
    EXPECT_THROW(DistributedTruncatedKernel(t, ids, score, 3.0, boxes, MPI_COMM_WORLD), std::invalid_argument);
  }
  ids.pop_back();
  EXPECT_THROW(DistributedTruncatedKernel(t, ids, score, 3.0, boxes, MPI_COMM_WORLD), std::invalid_argument);
}

}  // namespace
}  // namespace attnpde
