#pragma once
// Low-discrepancy tokens of a smooth density on the torus (the `quasi` sampler):
//
//  1. a randomly shifted rank-1 lattice {k g / N + Delta} in [0,1)^dim, with a Korobov
//     generating vector g = (1, z, z^2 mod N) whose z minimizes the P_2 figure of merit
//     (Sloan & Joe), Delta drawn from the seed (Cranley-Patterson shift);
//  2. mapped through the inverse Rosenblatt transform of p: x_0 from the marginal CDF of
//     x_0, x_1 from the conditional CDF of x_1 given x_0, ... The CDFs are integrated
//     exactly from the truncated Fourier series of p (tabulated on modes^dim points), so
//     the map is smooth and periodic and lattice quadrature keeps its high order for the
//     smooth periodic integrands of attention.
//
// Densities must be resolved by the Fourier series (smooth, not too peaked):
// series_tail() reports the relative size of the highest retained modes.

#include <array>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace attnpde {

class Density;

class InverseRosenblatt {
 public:
  /// modes: grid points per direction for the Fourier series (0: 512, 64, 32 for dim 1-3).
  explicit InverseRosenblatt(const Density& p, int modes = 0);
  /// Maps u in [0,1)^dim to x in [0, 2 pi)^dim.
  std::array<double, 3> map(const double* u) const;
  /// The same for `count` points u[3 i .. 3 i + dim) into x[i], several at a time (faster;
  /// each x[i] is the same as map(u + 3 i) gives, bit for bit).
  void map(const double* u, std::array<double, 3>* x, std::size_t count) const;
  /// max |c_k| over the outer quarter of the retained modes / |c_0|.
  double series_tail() const { return tail_; }

 private:
  int dim_;
  int kmax_;
  std::array<int, 3> width_{1, 1, 1};    // 2 kmax + 1 for used dims, 1 otherwise
  std::vector<std::complex<double>> c_;  // c[(k0 + K) + w0 ((k1 + K) + w1 (k2 + K))]
  double tail_ = 0.0;
};

/// Generating vector (1, z, z^2, ...) mod n of a Korobov lattice with good P_2 quality.
std::vector<std::uint64_t> korobov_vector(std::uint64_t n, int dim);

}  // namespace attnpde
