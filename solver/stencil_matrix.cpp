#include "solver/stencil_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "discretization/petsc_util.hpp"
#include "solver/stencil_rows.hpp"

namespace attnpde {

using stencil_detail::for_each_stencil_row;
using stencil_detail::pattern_of;

int GridShape::neighbour(int d, int c, int o) const {
  const int m = c + o;
  if (m >= 0 && m < n[d]) return m;
  return periodic ? (m + n[d]) % n[d] : c;
}

long GridShape::neighbour_index(long i, const std::array<int, 3>& o) const {
  auto c = node(i);
  for (std::size_t d = 0; d < 3; ++d) {
    const int m = c[d] + o[d];
    if (!periodic && (m < 0 || m >= n[d])) return -1;
    c[d] = neighbour(static_cast<int>(d), c[d], o[d]);
  }
  return index(c[0], c[1], c[2]);
}

GridShape GridShape::coarsened() const {
  GridShape c = *this;
  for (int d = 0; d < dim; ++d) {
    if (n[d] % 2) throw std::invalid_argument("a grid coarsened by 2 needs even node counts");
    c.n[d] = n[d] / 2;
  }
  return c;
}

template <class C>
void CoefficientRows::compact(std::vector<C>& c, std::size_t length) {
  const std::size_t rows = length ? c.size() / length : 0;
  stored_.assign(rows, 0);
  // Rows by a hash of their bytes, each candidate compared in full.
  std::unordered_multimap<std::uint64_t, int> seen;
  std::size_t kept = 0;
  for (std::size_t r = 0; r < rows; ++r) {
    const C* row = c.data() + r * length;
    const auto* bytes = reinterpret_cast<const unsigned char*>(row);
    const std::size_t size = length * sizeof(C);
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over 8-byte words, then the tail bytes
    std::size_t b = 0;
    for (; b + 8 <= size; b += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, bytes + b, 8);
      h = (h ^ word) * 1099511628211ull;
    }
    for (; b < size; ++b) h = (h ^ bytes[b]) * 1099511628211ull;
    int found = -1;
    for (auto [it, end] = seen.equal_range(h); it != end && found < 0; ++it)
      if (std::memcmp(c.data() + static_cast<std::size_t>(it->second) * length, row, size) == 0) found = it->second;
    if (found < 0) {
      found = static_cast<int>(kept);
      if (kept != r) std::copy(row, row + length, c.data() + kept * length);
      seen.emplace(h, found);
      ++kept;
    }
    stored_[r] = found;
  }
  c.resize(kept * length);
  c.shrink_to_fit();
  distinct_ = static_cast<long>(kept);
}

template void CoefficientRows::compact(std::vector<double>&, std::size_t);
template void CoefficientRows::compact(std::vector<float>&, std::size_t);
template void CoefficientRows::compact(std::vector<_Float16>&, std::size_t);

namespace {

// Calls f(row, offset index, value) for every entry of an assembled matrix on the grid.
template <class F>
void for_each_entry(Mat A, const GridShape& shape, F&& f) {
  PetscInt rows = 0, cols = 0;
  ATTNPDE_PETSC(MatGetSize(A, &rows, &cols));
  if (rows != shape.size() || cols != shape.size())
    throw std::invalid_argument("stencil matrix: the matrix does not match the grid");
  for (long r = 0; r < shape.size(); ++r) {
    const auto node = shape.node(r);
    PetscInt nc = 0;
    const PetscInt* col = nullptr;
    const PetscScalar* val = nullptr;
    ATTNPDE_PETSC(MatGetRow(A, static_cast<PetscInt>(r), &nc, &col, &val));
    for (PetscInt m = 0; m < nc; ++m) {
      const auto other = shape.node(col[m]);
      int o[3] = {0, 0, 0};
      for (int d = 0; d < 3; ++d) {
        o[d] = other[static_cast<std::size_t>(d)] - node[static_cast<std::size_t>(d)];
        if (shape.periodic && o[d] > 1) o[d] -= shape.n[static_cast<std::size_t>(d)];
        if (shape.periodic && o[d] < -1) o[d] += shape.n[static_cast<std::size_t>(d)];
        if (o[d] < -1 || o[d] > 1)
          throw std::invalid_argument("stencil matrix: row " + std::to_string(r) + " reaches beyond its neighbours");
      }
      f(r, shape.offset(o[0], o[1], o[2]), val[m]);
    }
    ATTNPDE_PETSC(MatRestoreRow(A, static_cast<PetscInt>(r), &nc, &col, &val));
  }
}

}  // namespace

template <class Real>
StencilMatrix<Real>::StencilMatrix(Mat A, const GridShape& shape) : shape_(shape) {
  std::vector<char> used(static_cast<std::size_t>(shape.offsets()), 0);
  used[static_cast<std::size_t>(shape.offset(0, 0, 0))] = 1;  // the diagonal, always
  for_each_entry(A, shape, [&](long, int o, double v) {
    if (v != 0.0) used[static_cast<std::size_t>(o)] = 1;
  });
  pattern_ = pattern_of(shape, [&](int o) { return used[static_cast<std::size_t>(o)] != 0; });
  const int K = pattern_.size();
  c_.assign(static_cast<std::size_t>(K * shape.size()), Real(0));
  for_each_entry(A, shape, [&](long r, int o, double v) {
    const int k = pattern_.slot[static_cast<std::size_t>(o)];
    if (k >= 0) c_[GridShape::coefficient_index(k, r, K, shape.n[0])] += static_cast<Real>(v);
  });
  rows_.compact(c_, static_cast<std::size_t>(K) * static_cast<std::size_t>(shape.n[0]));
}

template <class Real>
template <class V>
void StencilMatrix<Real>::multiply(const V* x, V* y, const V* b) const {
  const int n0 = shape_.n[0];
  for_each_stencil_row(shape_, pattern_, rows_, c_.data(), x, y, [&](long base, V* yr) {
    if (b)
      for (int i = 0; i < n0; ++i) yr[i] = b[base + i] - yr[i];
  });
}

namespace {

// Whether offset index o is the centre or lies in the upper half: (oz, oy, ox) > 0 in
// lexicographic order, which is o > centre in GridShape::offset's numbering.
bool upper_half(const GridShape& shape, int o) {
  return o >= shape.offset(0, 0, 0);
}

// The mirror of a stored offset.
std::array<int, 3> mirror(const std::array<int, 3>& o) {
  return {-o[0], -o[1], -o[2]};
}

// (W_i A_io + W_m A_m,-o) / 2 for the neighbour m = i + o (an entry of the symmetric
// diag(W) A, averaged over the pair so that round-off is shared), zero without a neighbour.
double symmetric_entry(const StencilMatrix<double>& A, const std::vector<double>& W, long i,
                       const std::array<int, 3>& o) {
  const GridShape& shape = A.shape();
  const long m = shape.neighbour_index(i, o);
  if (m < 0) return 0.0;
  const auto mo = mirror(o);
  const double a = W[static_cast<std::size_t>(i)] * A.at(shape.offset(o[0], o[1], o[2]), i);
  const double b = W[static_cast<std::size_t>(m)] * A.at(shape.offset(mo[0], mo[1], mo[2]), m);
  return 0.5 * (a + b);
}

// The pattern of A's centre and stored upper offsets (with or without the centre), mirrored.
StencilPattern upper_pattern(const StencilMatrix<double>& A, bool with_centre) {
  const GridShape& shape = A.shape();
  const int centre = shape.offset(0, 0, 0);
  StencilPattern p = pattern_of(shape, [&](int o) {
    return upper_half(shape, o) && (with_centre || o != centre) && A.pattern().slot[static_cast<std::size_t>(o)] >= 0;
  });
  p.mirrored = true;
  return p;
}

}  // namespace

std::vector<double> symmetrizing_weights(const StencilMatrix<double>& A, double tolerance) {
  const GridShape& shape = A.shape();
  const long n = shape.size();
  for (int d = 0; d < shape.dim; ++d)
    if (shape.periodic && shape.n[static_cast<std::size_t>(d)] < 3) return {};  // +1 and -1 share a column
  const int centre = shape.offset(0, 0, 0);
  std::vector<double> W(static_cast<std::size_t>(n), 1.0);
  // W_r = W_p A_pr / A_rp along a spanning tree: from the node before in x, else in y, else in z.
  for (long r = 1; r < n; ++r) {
    const auto c = shape.node(r);
    const std::array<int, 3> o = c[0] > 0   ? std::array<int, 3>{1, 0, 0}
                                 : c[1] > 0 ? std::array<int, 3>{0, 1, 0}
                                            : std::array<int, 3>{0, 0, 1};
    const long p = shape.index(c[0] - o[0], c[1] - o[1], c[2] - o[2]);
    const double forward = A.at(shape.offset(o[0], o[1], o[2]), p), back = A.at(shape.offset(-o[0], -o[1], -o[2]), r);
    if (!(forward / back > 0.0) || !std::isfinite(forward / back)) return {};
    W[static_cast<std::size_t>(r)] = W[static_cast<std::size_t>(p)] * (forward / back);
  }
  // Every pair must agree, and diag(W) A needs a positive diagonal.
  for (long i = 0; i < n; ++i) {
    const double wi = W[static_cast<std::size_t>(i)], di = wi * A.at(centre, i);
    if (!(di > 0.0)) return {};
    for (const auto& o : A.pattern().offsets) {
      const long m = shape.neighbour_index(i, o);
      if (m < 0 || m == i) continue;
      const auto mo = mirror(o);
      const double wm = W[static_cast<std::size_t>(m)];
      const double a = wi * A.at(shape.offset(o[0], o[1], o[2]), i),
                   b = wm * A.at(shape.offset(mo[0], mo[1], mo[2]), m);
      if (!(std::abs(a - b) <= tolerance * std::max(di, std::abs(wm * A.at(centre, m))))) return {};
    }
  }
  return W;
}

SymmetricStencil::SymmetricStencil(const StencilMatrix<double>& A, const std::vector<double>& weights)
    : shape_(A.shape()), pattern_(upper_pattern(A, true)) {
  const long n = shape_.size();
  if (weights.size() != static_cast<std::size_t>(n))
    throw std::invalid_argument("symmetric stencil: one weight per node");
  const int K = pattern_.size();
  c_.resize(static_cast<std::size_t>(K * n));
  inv_weight_.resize(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) {
    inv_weight_[static_cast<std::size_t>(i)] = 1.0 / weights[static_cast<std::size_t>(i)];
    for (int k = 0; k < K; ++k)
      c_[GridShape::coefficient_index(k, i, K, shape_.n[0])] =
          symmetric_entry(A, weights, i, pattern_.offsets[static_cast<std::size_t>(k)]);
  }
  rows_.compact(c_, static_cast<std::size_t>(K) * static_cast<std::size_t>(shape_.n[0]));
}

void SymmetricStencil::multiply(const double* x, double* y) const {
  const int n0 = shape_.n[0];
  const double* inv_weight = inv_weight_.data();
  for_each_stencil_row(shape_, pattern_, rows_, c_.data(), x, y, [&](long base, double* __restrict yr) {
    const double* __restrict s = inv_weight + base;
    for (int i = 0; i < n0; ++i) yr[i] *= s[i];
  });
}

namespace {

_Float16 to_binary16(double v) {
  const double half_max = 65504.0;
  if (!(std::abs(v) <= half_max)) throw std::invalid_argument("scaled stencil: a coefficient beyond binary16");
  return static_cast<_Float16>(static_cast<float>(v));  // via float: the F16C instruction
}

}  // namespace

ScaledStencil::ScaledStencil(const StencilMatrix<double>& rows, const std::vector<double>& weights)
    : shape_(rows.shape()) {
  const GridShape& shape = shape_;
  const long n = shape.size();
  const int centre = shape.offset(0, 0, 0);
  const bool symmetric = !weights.empty();
  pattern_ = symmetric ? upper_pattern(rows, false) : pattern_of(shape, [&](int o) {
    return o != centre && rows.pattern().slot[static_cast<std::size_t>(o)] >= 0;
  });
  const int K = pattern_.size();
  diag_.resize(static_cast<std::size_t>(n));
  inv_diag_.resize(diag_.size());
  c_.resize(static_cast<std::size_t>(K * n));
  // q = (W_i A_ii)^1/2, the square root of diag(W) A's diagonal.
  std::vector<double> q(symmetric ? diag_.size() : 0);
  for (long i = 0; i < n; ++i) {
    const double d = rows.at(centre, i);
    if (!(d != 0.0)) throw std::invalid_argument("scaled stencil: a zero diagonal entry");
    if (symmetric) q[static_cast<std::size_t>(i)] = std::sqrt(weights[static_cast<std::size_t>(i)] * d);
  }
  if (symmetric) scale_.assign(q.begin(), q.end());
  for (long i = 0; i < n; ++i) {
    const auto u = static_cast<std::size_t>(i);
    const double d = rows.at(centre, i);
    // sigma = q / W (sqrt(A_ii / W_i) when symmetric), A_ii otherwise; rho = 1 / sigma.
    const double sigma = symmetric ? q[u] / weights[u] : d;
    diag_[u] = static_cast<float>(sigma);
    inv_diag_[u] = static_cast<float>(1.0 / sigma);
    for (int k = 0; k < K; ++k) {
      const auto& o = pattern_.offsets[static_cast<std::size_t>(k)];
      double v = 0.0;
      if (!symmetric) {
        v = rows.at(shape.offset(o[0], o[1], o[2]), i) / d;
      } else if (const long m = shape.neighbour_index(i, o); m >= 0) {
        v = symmetric_entry(rows, weights, i, o) / (q[u] * q[static_cast<std::size_t>(m)]);
      }
      c_[GridShape::coefficient_index(k, i, K, shape.n[0])] = to_binary16(v);
    }
  }
  rows_.compact(c_, static_cast<std::size_t>(K) * static_cast<std::size_t>(shape.n[0]));
}

void ScaledStencil::apply(const float* x, float* y, Output output, const float* b) const {
  const int n0 = shape_.n[0];
  const float* diag = diag_.data();
  const float* inv_diag = inv_diag_.data();
  for_each_stencil_row(shape_, pattern_, rows_, c_.data(), x, y, [&](long base, float* __restrict yr) {
    const float* __restrict xr = x + base;
    const float* __restrict br = b + base;
    if (output == Output::product) {
      for (int i = 0; i < n0; ++i) yr[i] += xr[i];
    } else if (output == Output::scaled_residual) {
      const float* __restrict sr = inv_diag + base;
      for (int i = 0; i < n0; ++i) yr[i] = sr[i] * br[i] - (xr[i] + yr[i]);
    } else if (output == Output::residual) {
      const float* __restrict sr = diag + base;
      for (int i = 0; i < n0; ++i) yr[i] = br[i] - sr[i] * (xr[i] + yr[i]);
    } else {
      const float* __restrict sr = diag + base;
      for (int i = 0; i < n0; ++i) yr[i] = sr[i] * (br[i] - (xr[i] + yr[i]));
    }
  });
}

void ScaledStencil::chebyshev_step(const float* x, float* x_next, const float* scaled_b, float* d, float keep,
                                   float step) const {
  const int n0 = shape_.n[0];
  for_each_stencil_row(shape_, pattern_, rows_, c_.data(), x, x_next, [&](long base, float* __restrict yr) {
    const float* __restrict xr = x + base;
    const float* __restrict br = scaled_b + base;
    float* __restrict dr = d + base;
    for (int i = 0; i < n0; ++i) {
      dr[i] = keep * dr[i] + step * (br[i] - (xr[i] + yr[i]));
      yr[i] = xr[i] + dr[i];
    }
  });
}

template class StencilMatrix<double>;
template class StencilMatrix<float>;
template void StencilMatrix<double>::multiply(const double*, double*, const double*) const;
template void StencilMatrix<float>::multiply(const float*, float*, const float*) const;

}  // namespace attnpde
