#pragma once
// Tokens: N points x_j of the domain (flat torus [0, 2 pi)^dim or box [0, 1]^dim), stored
// coordinate by coordinate (structure of arrays) so that the attention kernel streams
// them with SIMD loads.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "attention/domain.hpp"

namespace attnpde {

class Density;
class InverseRosenblatt;

struct Tokens {
  int dim = 0;
  Domain domain;                             ///< where displacements are taken (minimum image on the torus)
  std::array<std::vector<double>, 3> coord;  ///< coord[d][j], d < dim

  std::size_t size() const { return dim > 0 ? coord[0].size() : 0; }
  /// Point j as a 3-vector (unused coordinates 0).
  std::array<double, 3> point(std::size_t j) const;
};

/// Samplers of docs/theory.md section 1: i.i.d. or low-discrepancy samples of p.
enum class Sampler { random, quasi };
Sampler sampler_from_string(const std::string& name);

/// Draws n tokens of the density p on its domain.
///  - random: proposals from a 64-bit Mersenne twister seeded with `seed` (53-bit uniform
///    doubles), accepted with probability p / p_bound (rejection sampling).
///  - quasi: a randomly shifted Korobov rank-1 lattice mapped through the inverse
///    Rosenblatt transform of p (attention/rosenblatt.hpp); the shift is drawn from
///    `seed`. Lattice quadrature of smooth periodic integrands converges much faster
///    than N^-1/2, so attention sums carry almost no sampling noise. In the box only for
///    uniform p (the lattice itself; the transform needs a periodic p).
/// Deterministic for a given (n, seed, density).
Tokens sample_tokens(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler);

/// The same tokens (torus and box), `chunk` at a time in their order: emit(first, tokens)
/// receives tokens first .. first + tokens.size() - 1 and may move from them, so that a
/// rank keeps only the tokens it owns in O(chunk) extra memory.
void sample_token_chunks(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler, std::size_t chunk,
                         const std::function<void(std::size_t first, Tokens& tokens)>& emit);

/// Tokens of the quasi sampler computed by their numbers: map(lo, hi, out) gives tokens
/// lo .. hi - 1 of sample_tokens(p, n, seed, Sampler::quasi), threads over the range, so that
/// ranks can share the mapping of one sequence.
class LatticeTokens {
 public:
  LatticeTokens(const Density& p, std::size_t n, std::uint64_t seed);
  ~LatticeTokens();
  void map(std::size_t lo, std::size_t hi, Tokens& out) const;

 private:
  std::size_t n_;
  int dim_;
  Domain domain_;
  bool uniform_;
  std::unique_ptr<const InverseRosenblatt> transform_;  // null for a uniform density
  std::vector<std::uint64_t> g_;
  std::array<double, 3> shift_{};
};

/// 53-bit uniform double in [0, 1) from one 64-bit draw (portable across standard
/// libraries, unlike std::uniform_real_distribution).
double uniform01(std::mt19937_64& rng);
/// One standard normal from two uniforms (Box-Muller, the cosine branch).
double standard_normal(std::mt19937_64& rng);

/// n i.i.d. tokens of the Gaussian N(mean, cov) in R^dim (domain "space"): standard
/// normals by the Box-Muller transform of 53-bit uniforms from a 64-bit Mersenne twister
/// seeded with `seed`, mapped by the Cholesky factor of cov. Deterministic per seed.
Tokens sample_gaussian(const std::vector<double>& mean, const std::vector<double>& cov_row_major, std::size_t n,
                       std::uint64_t seed);

}  // namespace attnpde
