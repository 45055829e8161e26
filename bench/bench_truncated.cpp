// Benchmark of the truncated kernel at scale (issue target: 10^6 tokens in 2D, about 50
// neighbours each, 100 layers in under 60 s on 2 cores). 2D torus, M = [[2, .6], [.6, 1]],
// uniform random tokens, cutoff 3 (each dropped weight below exp(-9)), sigma chosen so that
// the expected neighbour count within d_M <= 3 sigma is `neighbours`.
//
//   bench_truncated [N] [layers] [neighbours]
//
// Prints the neighbour-list build time, seconds per layer, the total, the mean neighbour
// count and the bound on the neglected row weight; with N <= 40000 also the largest
// difference to the dense kernel on one layer (against 2 * bound * max|u|).
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/kernel_truncated.hpp"
#include "attention/layers.hpp"

int main(int argc, char** argv) {
  using namespace attnpde;
  using Clock = std::chrono::steady_clock;
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  const int layers = argc > 2 ? std::atoi(argv[2]) : 100;
  const double neighbours = argc > 3 ? std::atof(argv[3]) : 50.0;
  if (n < 2 || layers < 1 || !(neighbours > 1)) {
    std::fprintf(stderr, "usage: bench_truncated [N >= 2] [layers >= 1] [neighbours > 1]\n");
    return 2;
  }
  const Density p("1", 2);
  const auto t0 = Clock::now();
  const Tokens t = sample_tokens(p, static_cast<std::size_t>(n), 7, Sampler::random);
  const double sample_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const double cutoff = 3.0, p_max = 1.0 / (torus_period * torus_period);
  // expected_neighbours grows as sigma^2: solve for the requested count.
  const double sigma = std::sqrt(neighbours / expected_neighbours(n, p_max, MetricScore{m, 2.0, 1.0}, cutoff));
  const MetricScore score{m, 2.0, sigma};
  std::printf("truncated kernel, 2D torus, N = %ld, sigma = %.6g, cutoff %.1f, %d layers, %d threads\n", n, sigma,
              cutoff, layers, omp_get_max_threads());

  auto t1 = Clock::now();
  const TruncatedKernel k(t, score, cutoff);
  const double build = std::chrono::duration<double>(Clock::now() - t1).count();
  std::vector<double> u(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::sin(t.coord[0][j]) * std::cos(2 * t.coord[1][j]);
  const std::vector<double> u0 = u;
  t1 = Clock::now();
  run_layers(k, 0.5, layers, u);
  const double run = std::chrono::duration<double>(Clock::now() - t1).count();
  const double bound = k.neglected_bound();
  std::printf(
      "attnpde-truncated n=%ld neighbours=%.1f sample=%.3f build=%.3f layer=%.5f layers_total=%.3f total=%.3f "
      "neglected_bound=%.3e tail_fraction=%.3e\n",
      n, k.mean_neighbours(), sample_seconds, build, run / layers, run, build + run, bound, k.tail_fraction());
  if (n <= 40000) {
    std::vector<double> dense(t.size()), sparse(t.size());
    apply_attention(t, score, u0.data(), dense.data());
    k.apply(u0.data(), sparse.data(), nullptr, nullptr);
    double diff = 0, umax = 0;
    for (std::size_t j = 0; j < t.size(); ++j) {
      diff = std::max(diff, std::abs(dense[j] - sparse[j]));
      umax = std::max(umax, std::abs(u0[j]));
    }
    std::printf("max |A_truncated u - A_dense u| = %.3e (bound 2 delta max|u| = %.3e, typical 2 tail max|u| = %.3e)\n",
                diff, 2 * bound * umax, 2 * k.tail_fraction() * umax);
  }
  return 0;
}
