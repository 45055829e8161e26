#include "attention/tokens.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <random>
#include <stdexcept>

#include "attention/constants.hpp"
#include "attention/density.hpp"
#include "attention/rosenblatt.hpp"
#include "attention/sphere.hpp"

namespace attnpde {

std::array<double, 3> Tokens::point(std::size_t j) const {
  std::array<double, 3> x{};
  for (int d = 0; d < dim; ++d) x[d] = coord[d][j];
  return x;
}

Sampler sampler_from_string(const std::string& name) {
  if (name == "random") return Sampler::random;
  if (name == "quasi") return Sampler::quasi;
  throw std::invalid_argument("unknown sampler '" + name + "'");
}

double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng), u2 = uniform01(rng);  // u1 in (0, 1]
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(torus_period * u2);
}

Tokens sample_tokens(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler) {
  if (p.domain().kind == DomainKind::sphere) return sample_sphere(p, n, seed, sampler);
  Tokens t;
  t.dim = p.dim();
  t.domain = p.domain();
  sample_token_chunks(p, n, seed, sampler, std::max<std::size_t>(n, 1),
                      [&](std::size_t, Tokens& chunk) { t = std::move(chunk); });
  return t;
}

void sample_token_chunks(const Density& p, std::size_t n, std::uint64_t seed, Sampler sampler, std::size_t chunk,
                         const std::function<void(std::size_t first, Tokens& tokens)>& emit) {
  if (p.domain().kind == DomainKind::sphere) throw std::invalid_argument("the sphere's tokens come in one piece");
  if (chunk == 0) throw std::invalid_argument("sample_token_chunks: chunk = 0");
  const int dim = p.dim();
  Tokens t;
  t.dim = dim;
  t.domain = p.domain();
  const double length = t.domain.length();
  const bool uniform = p.is_uniform();
  const double bound = p.rejection_bound();
  std::mt19937_64 rng(seed);
  std::array<double, 3> x{};
  const std::size_t max_proposals = 1000 * n + 1000000;
  auto start_chunk = [&](std::size_t size) {
    for (int d = 0; d < dim; ++d) {
      t.coord[d].clear();
      t.coord[d].reserve(size);
    }
  };

  if (sampler == Sampler::random) {
    std::size_t first = 0;  // number of the chunk's first token
    start_chunk(std::min(chunk, n));
    for (std::size_t proposals = 0; first + t.size() < n; ++proposals) {
      if (proposals > max_proposals)
        throw std::runtime_error("rejection sampling does not accept: is the density nearly zero?");
      for (int d = 0; d < dim; ++d) x[d] = length * uniform01(rng);
      const double accept = uniform ? 0.0 : uniform01(rng);
      if (uniform || accept * bound < p.raw(x.data()))
        for (int d = 0; d < dim; ++d) t.coord[d].push_back(x[d]);
      if (t.size() == chunk || first + t.size() == n) {
        const std::size_t size = t.size();
        emit(first, t);
        first += size;
        start_chunk(std::min(chunk, n - first));
      }
    }
    return;
  }

  const LatticeTokens lattice(p, n, seed);
  for (std::size_t first = 0; first < n; first += chunk) {
    lattice.map(first, std::min(n, first + chunk), t);
    emit(first, t);
  }
}

LatticeTokens::LatticeTokens(const Density& p, std::size_t n, std::uint64_t seed)
    : n_(n), dim_(p.dim()), domain_(p.domain()), uniform_(p.is_uniform()) {
  if (n >= (std::size_t{1} << 32)) throw std::invalid_argument("the quasi sampler supports N < 2^32");
  if (!domain_.periodic() && !uniform_)
    throw std::invalid_argument("the quasi sampler needs a uniform density in the box");
  if (!uniform_) transform_ = std::make_unique<InverseRosenblatt>(p);
  g_ = korobov_vector(n, dim_);
  std::mt19937_64 rng(seed);
  for (int d = 0; d < dim_; ++d) shift_[static_cast<std::size_t>(d)] = uniform01(rng);
}

LatticeTokens::~LatticeTokens() = default;

void LatticeTokens::map(std::size_t lo, std::size_t hi, Tokens& out) const {
  const double length = domain_.length();
  const int dim = dim_;
  out.dim = dim;
  out.domain = domain_;
  for (int d = 0; d < dim; ++d) out.coord[static_cast<std::size_t>(d)].resize(hi - lo);
  // Blocks of lattice points, each mapped by the transform's batched map.
  constexpr std::size_t block = 64;
  const auto blocks = static_cast<std::ptrdiff_t>((hi - lo + block - 1) / block);
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t q = 0; q < blocks; ++q) {
    const std::size_t begin = static_cast<std::size_t>(q) * block, end = std::min(begin + block, hi - lo);
    double u[3 * block] = {};
    std::array<double, 3> y[block];
    for (std::size_t i = begin; i < end; ++i) {
      const std::uint64_t k = lo + i;
      for (int d = 0; d < dim; ++d) {
        // k g_d mod n without overflow: (k mod n)(g_d) < 2^64 for n < 2^32.
        const std::uint64_t r = (k * g_[static_cast<std::size_t>(d)]) % n_;
        const double v = static_cast<double>(r) / static_cast<double>(n_) + shift_[static_cast<std::size_t>(d)];
        u[3 * (i - begin) + static_cast<std::size_t>(d)] = v - std::floor(v);
      }
    }
    if (transform_) {
      transform_->map(u, y, end - begin);
    } else {
      for (std::size_t i = 0; i < end - begin; ++i)
        for (std::size_t d = 0; d < 3; ++d) y[i][d] = length * u[3 * i + d];
    }
    for (std::size_t i = begin; i < end; ++i)
      for (std::size_t d = 0; d < static_cast<std::size_t>(dim); ++d)
        out.coord[d][i] = y[i - begin][d] < length ? y[i - begin][d] : 0.0;
  }
}

Tokens sample_gaussian(const std::vector<double>& mean, const std::vector<double>& cov, std::size_t n,
                       std::uint64_t seed) {
  const int dim = static_cast<int>(mean.size());
  if (dim < 1 || dim > 3 || cov.size() != mean.size() * mean.size())
    throw std::invalid_argument("Gaussian tokens need 1-3 dimensions and a dim x dim covariance");
  // Cholesky factor L (lower), cov = L L^T.
  double L[3][3] = {};
  for (int a = 0; a < dim; ++a)
    for (int b = 0; b <= a; ++b) {
      double v = cov[static_cast<std::size_t>(a * dim + b)];
      for (int k = 0; k < b; ++k) v -= L[a][k] * L[b][k];
      if (a == b) {
        if (!(v > 0)) throw std::invalid_argument("the covariance is not positive definite");
        L[a][a] = std::sqrt(v);
      } else {
        L[a][b] = v / L[b][b];
      }
    }
  Tokens t;
  t.dim = dim;
  t.domain = Domain{DomainKind::space};
  for (int d = 0; d < dim; ++d) t.coord[d].resize(n);
  std::mt19937_64 rng(seed);
  const double two_pi = torus_period;
  for (std::size_t j = 0; j < n; ++j) {
    double z[4];
    for (int k = 0; k < 4; k += 2) {
      const double u1 = 1.0 - uniform01(rng), u2 = uniform01(rng);  // u1 in (0, 1]
      const double r = std::sqrt(-2.0 * std::log(u1));
      z[k] = r * std::cos(two_pi * u2);
      z[k + 1] = r * std::sin(two_pi * u2);
    }
    for (int a = 0; a < dim; ++a) {
      double v = mean[static_cast<std::size_t>(a)];
      for (int b = 0; b <= a; ++b) v += L[a][b] * z[b];
      t.coord[a][j] = v;
    }
  }
  return t;
}

}  // namespace attnpde
