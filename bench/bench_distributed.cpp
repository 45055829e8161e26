// Weak scaling of the truncated kernel with tokens distributed over MPI ranks
// (attention/kernel_distributed.hpp): every rank draws `per_rank` uniform tokens in its box of
// the 2D torus (M = [[2, .6], [.6, 1]], cutoff 3, sigma for about `neighbours` neighbours in
// the whole set), builds its rows over its tokens and halo, and runs residual layers
// u <- u + tau (A u - u) that exchange the halo's values.
//
//   mpirun -n P bench_distributed [per_rank] [layers] [neighbours] [--dense]
//
// Prints per rank the owned and halo tokens, the build time, the seconds per layer, the
// doubles it sends per layer and its peak resident memory; then the totals and per-token
// costs on rank 0, the inputs of the weak-scaling model in README.md. With --dense the same
// tokens run the dense kernel instead (DistributedDenseKernel: the keys gathered block by
// block), and the line reports its seconds per layer and the bytes each rank receives.
#include <mpi.h>
#include <omp.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "attention/constants.hpp"
#include "attention/kernel_distributed.hpp"

int main(int argc, char** argv) {
  using namespace attnpde;
  using Clock = std::chrono::steady_clock;
  MPI_Init(&argc, &argv);
  int size = 1, rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const long per_rank = argc > 1 ? std::atol(argv[1]) : 250000;
  const int layers = argc > 2 ? std::atoi(argv[2]) : 20;
  const double neighbours = argc > 3 ? std::atof(argv[3]) : 50.0;
  const bool dense = argc > 4 && std::string(argv[4]) == "--dense";
  if (per_rank < 2 || layers < 1 || !(neighbours > 1)) {
    if (rank == 0) std::fprintf(stderr, "usage: bench_distributed [per_rank >= 2] [layers >= 1] [neighbours > 1]\n");
    MPI_Finalize();
    return 2;
  }
  const long n = per_rank * size;
  const Domain torus{};
  const BoxPartition boxes = grid_partition(torus, 2, size);
  Tokens mine;
  mine.dim = 2;
  mine.domain = torus;
  std::vector<long> ids(static_cast<std::size_t>(per_rank));
  std::mt19937_64 rng(1234 + static_cast<std::uint64_t>(rank));
  for (int d = 0; d < 2; ++d) {
    std::uniform_real_distribution<double> along(boxes.lo(rank, d), boxes.hi(rank, d));
    mine.coord[static_cast<std::size_t>(d)].resize(static_cast<std::size_t>(per_rank));
    for (auto& x : mine.coord[static_cast<std::size_t>(d)]) x = along(rng);
  }
  for (long k = 0; k < per_rank; ++k) ids[static_cast<std::size_t>(k)] = rank * per_rank + k;
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const double cutoff = 3.0, p_max = 1.0 / (torus_period * torus_period);
  const double sigma = std::sqrt(neighbours / expected_neighbours(n, p_max, MetricScore{m, 2.0, 1.0}, cutoff));
  const MetricScore score{m, 2.0, sigma};

  if (dense) {
    const DistributedDenseKernel kernel(mine, ids, score, MPI_COMM_WORLD);
    std::vector<double> u(static_cast<std::size_t>(per_rank)), au(u.size());
    for (std::size_t j = 0; j < u.size(); ++j) u[j] = std::sin(mine.coord[0][j]) * std::cos(2 * mine.coord[1][j]);
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t = Clock::now();
    for (int l = 0; l < layers; ++l) {
      kernel.apply(u.data(), au.data());
      for (std::size_t j = 0; j < u.size(); ++j) u[j] += 0.5 * (au[j] - u[j]);
    }
    double layer = std::chrono::duration<double>(Clock::now() - t).count() / layers;
    MPI_Allreduce(MPI_IN_PLACE, &layer, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0)
      std::printf(
          "attnpde-distributed-dense ranks=%d threads=%d n=%ld per_rank=%ld layer=%.5f pairs_per_second=%.4e "
          "bytes_received_per_layer_per_rank=%.0f\n",
          size, omp_get_max_threads(), n, per_rank, layer, static_cast<double>(n) * static_cast<double>(n) / layer,
          5.0 * 8.0 * static_cast<double>(n));
    MPI_Finalize();
    return 0;
  }
  MPI_Barrier(MPI_COMM_WORLD);
  auto t = Clock::now();
  const DistributedTruncatedKernel kernel(mine, ids, score, cutoff, boxes, MPI_COMM_WORLD);
  const double build = std::chrono::duration<double>(Clock::now() - t).count();
  std::vector<double> u(static_cast<std::size_t>(per_rank)), au(u.size());
  for (std::size_t j = 0; j < u.size(); ++j) u[j] = std::sin(mine.coord[0][j]) * std::cos(2 * mine.coord[1][j]);
  MPI_Barrier(MPI_COMM_WORLD);
  t = Clock::now();
  for (int l = 0; l < layers; ++l) {
    kernel.apply(u.data(), au.data());
    for (std::size_t j = 0; j < u.size(); ++j) u[j] += 0.5 * (au[j] - u[j]);
  }
  const double layer = std::chrono::duration<double>(Clock::now() - t).count() / layers;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
  std::printf("rank=%d owned=%zu halo=%zu build=%.3f layer=%.5f sent_doubles_per_layer=%zu peak_rss_mib=%.1f\n", rank,
              kernel.owned(), kernel.halo(), build, layer, kernel.sent_per_apply(), rss_mib);
  std::fflush(stdout);
  double halo = static_cast<double>(kernel.halo()), sent = static_cast<double>(kernel.sent_per_apply());
  double slowest[2] = {build, layer}, rss = rss_mib;
  MPI_Allreduce(MPI_IN_PLACE, &halo, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &sent, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, slowest, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf(
        "attnpde-distributed ranks=%d threads=%d n=%ld per_rank=%ld grid=%dx%d neighbours=%.1f build=%.3f "
        "layer=%.5f halo_per_owned=%.4f bytes_sent_per_layer=%.0f peak_rss_mib_per_rank=%.1f "
        "rss_bytes_per_owned_token=%.0f\n",
        size, omp_get_max_threads(), n, per_rank, boxes.grid[0], boxes.grid[1], kernel.local().mean_neighbours(),
        slowest[0], slowest[1], halo / static_cast<double>(n), 8.0 * sent, rss,
        rss * 1048576.0 / static_cast<double>(per_rank));
  MPI_Finalize();
  return 0;
}
