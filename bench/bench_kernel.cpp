// Benchmark of one dense softmax attention layer (the hot path of every run and study):
// PERFORMANCE.md's workload, 2D torus, M = [[2, .6], [.6, 1]], sigma = 0.2, uniform random
// tokens, scalar values, float64.
//
//   bench_kernel [N] [repeats] [dump.bin]
//
// Prints seconds per layer and pairs per second with 1 thread and with all threads. With
// a third argument it writes N, the tokens, the values and A u (float64, native endian) so
// that bench/peers.py times numpy and PyTorch on exactly the same layer and checks them.
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "attention/density.hpp"
#include "attention/kernel_dense.hpp"

int main(int argc, char** argv) {
  using namespace attnpde;
  const long n = argc > 1 ? std::atol(argv[1]) : 20000;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  if (n < 2 || repeats < 1) {
    std::fprintf(stderr, "usage: bench_kernel [N >= 2] [repeats >= 1] [dump.bin]\n");
    return 2;
  }
  const Density p("1", 2);
  const Tokens t = sample_tokens(p, static_cast<std::size_t>(n), 42, Sampler::random);
  Eigen::MatrixXd m(2, 2);
  m << 2.0, 0.6, 0.6, 1.0;
  const MetricScore score{m, 2.0, 0.2};
  std::vector<double> u(t.size()), au(t.size());
  for (std::size_t j = 0; j < t.size(); ++j) u[j] = std::sin(t.coord[0][j]) * std::cos(2 * t.coord[1][j]);

  const int all = omp_get_max_threads();
  std::printf("dense layer, 2D torus, N = %ld, sigma = 0.2, float64\n", n);
  for (int threads : {1, all}) {
    omp_set_num_threads(threads);
    apply_attention(t, score, u.data(), au.data());  // warm-up
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      apply_attention(t, score, u.data(), au.data());
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    const double pairs = static_cast<double>(n) * static_cast<double>(n);
    std::printf("attnpde threads=%d seconds=%.6f pairs_per_second=%.4e\n", threads, best, pairs / best);
    if (threads == all) break;
  }
  {
    // Float32 compute with float64 sums, all threads (not compared with the peers).
    MetricScore f32 = score;
    f32.precision = Precision::float32;
    std::vector<double> au32(t.size());
    apply_attention(t, f32, u.data(), au32.data());
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      apply_attention(t, f32, u.data(), au32.data());
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    double diff = 0;
    for (std::size_t j = 0; j < t.size(); ++j) diff = std::max(diff, std::abs(au32[j] - au[j]));
    std::printf("attnpde-float32 threads=%d seconds=%.6f pairs_per_second=%.4e max_diff_to_float64=%.3e\n", all, best,
                static_cast<double>(n) * static_cast<double>(n) / best, diff);
  }
  if (argc > 3) {
    std::ofstream out(argv[3], std::ios::binary);
    const double header = static_cast<double>(n);
    out.write(reinterpret_cast<const char*>(&header), sizeof header);
    for (const std::vector<double>* v :
         std::initializer_list<const std::vector<double>*>{&t.coord[0], &t.coord[1], &u, &au})
      out.write(reinterpret_cast<const char*>(v->data()), static_cast<std::streamsize>(v->size() * sizeof(double)));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", argv[3]);
      return 1;
    }
  }
  return 0;
}
