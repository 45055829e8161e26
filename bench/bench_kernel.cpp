// Benchmark of one dense softmax attention layer (the hot path of every run and study):
// the reference workload, 2D torus, M = [[2, .6], [.6, 1]], sigma = 0.2, uniform random
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

// The machine's peak rate of vector FMA instructions (the widest vectors the compiler uses
// with -march=native: 512-bit with AVX-512, else 256-bit), measured with 12 independent
// chains per thread so that the FMA latency is hidden (two pipes of latency 4-5 need 8-10),
// all threads. 12 accumulators and the two operands fit in AVX2's 16 vector registers; with
// 16 chains GCC spilled accumulators there and the peak came out 40% low. The roofline of the
// kernel is this rate times the lanes per vector over the FMA-pipe instructions per vector of
// its inner loop (bench/loop_count.py reads them from the compiled kernel).
#if defined(__AVX512F__)
constexpr int vector_bytes = 64;
#else
constexpr int vector_bytes = 32;
#endif
typedef double vdouble __attribute__((vector_size(vector_bytes)));

double peak_fma_per_second(int threads) {
  const long iterations = 20000000;
  const int chains = 12;
  double best = 0, sink = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    {
      const vdouble zero{};
      vdouble acc[chains];
      const vdouble a = zero + 0.999999, b = zero + 1e-7;
      for (int c = 0; c < chains; ++c) acc[c] = zero + (1.0 + c);
      for (long k = 0; k < iterations; ++k)
        for (int c = 0; c < chains; ++c) acc[c] = acc[c] * a + b;  // one FMA each (-ffp-contract)
      for (int c = 0; c < chains; ++c) sink += acc[c][0];
    }
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(iterations) * chains * threads / sec);
  }
  if (!(sink > 0)) std::printf("unexpected peak sum %g\n", sink);
  return best;
}

// The best of `repeats` timed calls of f (after one untimed call), in seconds.
template <class F>
double best_seconds(int repeats, F f) {
  f();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

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
    const double best = best_seconds(repeats, [&] { apply_attention(t, score, u.data(), au.data()); });
    const double pairs = static_cast<double>(n) * static_cast<double>(n);
    std::printf("attnpde threads=%d seconds=%.6f pairs_per_second=%.4e\n", threads, best, pairs / best);
    if (threads == all) break;
  }
  {
    // Float32 compute with float64 sums, all threads (not compared with the peers).
    MetricScore f32 = score;
    f32.precision = Precision::float32;
    std::vector<double> au32(t.size());
    const double best = best_seconds(repeats, [&] { apply_attention(t, f32, u.data(), au32.data()); });
    double diff = 0;
    for (std::size_t j = 0; j < t.size(); ++j) diff = std::max(diff, std::abs(au32[j] - au[j]));
    std::printf("attnpde-float32 threads=%d seconds=%.6f pairs_per_second=%.4e max_diff_to_float64=%.3e\n", all, best,
                static_cast<double>(n) * static_cast<double>(n) / best, diff);
  }
  {
    // The 3D layer (torus, M with one off-diagonal pair, sigma = 0.3), both precisions, all
    // threads: its loop is not the one bench/loop_count.py counts, so no roofline share, but
    // a 3D kernel that stops vectorizing shows here as a rate several times lower.
    const Tokens t3 = sample_tokens(Density("1", 3), static_cast<std::size_t>(n), 42, Sampler::random);
    Eigen::MatrixXd m3 = Eigen::MatrixXd::Identity(3, 3);
    m3(0, 0) = 2.0;
    m3(0, 1) = m3(1, 0) = 0.6;
    m3(2, 2) = 1.5;
    MetricScore s3{m3, 2.0, 0.3};
    std::vector<double> u3(t3.size()), au3(t3.size());
    for (std::size_t j = 0; j < t3.size(); ++j) u3[j] = std::sin(t3.coord[0][j]) * std::cos(t3.coord[2][j]);
    const double pairs = static_cast<double>(n) * static_cast<double>(n);
    const double sec64 = best_seconds(repeats, [&] { apply_attention(t3, s3, u3.data(), au3.data()); });
    s3.precision = Precision::float32;
    const double sec32 = best_seconds(repeats, [&] { apply_attention(t3, s3, u3.data(), au3.data()); });
    std::printf("attnpde-3d threads=%d float64_pairs_per_second=%.4e float32_pairs_per_second=%.4e\n", all,
                pairs / sec64, pairs / sec32);
  }
  std::printf("peak threads=%d fma_per_second=%.4e lanes_float64=%d lanes_float32=%d\n", all, peak_fma_per_second(all),
              vector_bytes / 8, vector_bytes / 4);
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
