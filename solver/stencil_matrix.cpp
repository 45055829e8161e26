#include "solver/stencil_matrix.hpp"

#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "discretization/petsc_util.hpp"

namespace attnpde {

namespace {

// Vector operations of one width and element type: loads of coefficients C (binary16
// converted in registers by vcvtph2ps, or float64) and of values.
#if defined(__AVX512F__)
struct Zmm {
  using V = __m512;
  using C = _Float16;
  using Value = float;
  static constexpr int width = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V coef(const C* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, V a, V b, V c) { _mm512_storeu_ps(p, _mm512_add_ps(_mm512_add_ps(a, b), c)); }
};
struct Zmmd {
  using V = __m512d;
  using C = double;
  using Value = double;
  static constexpr int width = 8;
  static V zero() { return _mm512_setzero_pd(); }
  static V coef(const C* p) { return _mm512_loadu_pd(p); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static void store(double* p, V a, V b, V c) { _mm512_storeu_pd(p, _mm512_add_pd(_mm512_add_pd(a, b), c)); }
};
#endif
#if defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
struct Ymm {
  using V = __m256;
  using C = _Float16;
  using Value = float;
  static constexpr int width = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V coef(const C* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, V a, V b, V c) { _mm256_storeu_ps(p, _mm256_add_ps(_mm256_add_ps(a, b), c)); }
};
struct Ymmd {
  using V = __m256d;
  using C = double;
  using Value = double;
  static constexpr int width = 4;
  static V zero() { return _mm256_setzero_pd(); }
  static V coef(const C* p) { return _mm256_loadu_pd(p); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static void store(double* p, V a, V b, V c) { _mm256_storeu_pd(p, _mm256_add_pd(_mm256_add_pd(a, b), c)); }
};
#endif

// The most offsets a stencil has (3^3).
constexpr int max_slots = 27;

// y[i] = sum over the K stored offsets k of c[k][i] x[k][i] for i in [begin, end),
// end - begin >= W::width, with x[k] the neighbour row of offset k already shifted by its
// x offset: every coefficient of a node in one pass, in three independent accumulators.
// The last chunk overlaps the one before instead of a scalar tail (y is written, not
// accumulated, so a node computed twice gets the same value).
template <class W>
void rows_vector(int K, const typename W::C* const* c, const typename W::Value* const* x, typename W::Value* y,
                 int begin, int end) {
  for (int i = begin; i < end; i += W::width) {
    if (i + W::width > end) i = end - W::width;
    typename W::V a0 = W::zero(), a1 = W::zero(), a2 = W::zero();
    int k = 0;
    for (; k + 2 < K; k += 3) {
      a0 = W::fma(W::coef(c[k] + i), W::load(x[k] + i), a0);
      a1 = W::fma(W::coef(c[k + 1] + i), W::load(x[k + 1] + i), a1);
      a2 = W::fma(W::coef(c[k + 2] + i), W::load(x[k + 2] + i), a2);
    }
    if (k < K) a0 = W::fma(W::coef(c[k] + i), W::load(x[k] + i), a0);
    if (k + 1 < K) a1 = W::fma(W::coef(c[k + 1] + i), W::load(x[k + 1] + i), a1);
    W::store(y + i, a0, a1, a2);
  }
}

// The same for any length and types, with the widest vectors the build has for them (a
// plain loop with the same three accumulators otherwise).
template <class C, class V>
void rows(int K, const C* const* c, const V* const* x, V* y, int begin, int end) {
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<C, Zmm::C> && std::is_same_v<V, Zmm::Value>)
    if (end - begin >= Zmm::width) return rows_vector<Zmm>(K, c, x, y, begin, end);
  if constexpr (std::is_same_v<C, Zmmd::C> && std::is_same_v<V, Zmmd::Value>)
    if (end - begin >= Zmmd::width) return rows_vector<Zmmd>(K, c, x, y, begin, end);
#endif
#if defined(__AVX2__) && defined(__F16C__) && defined(__FMA__)
  if constexpr (std::is_same_v<C, Ymm::C> && std::is_same_v<V, Ymm::Value>)
    if (end - begin >= Ymm::width) return rows_vector<Ymm>(K, c, x, y, begin, end);
  if constexpr (std::is_same_v<C, Ymmd::C> && std::is_same_v<V, Ymmd::Value>)
    if (end - begin >= Ymmd::width) return rows_vector<Ymmd>(K, c, x, y, begin, end);
#endif
  for (int i = begin; i < end; ++i) {
    V a0 = V(0), a1 = V(0), a2 = V(0);
    int k = 0;
    for (; k + 2 < K; k += 3) {
      a0 += static_cast<V>(c[k][i]) * x[k][i];
      a1 += static_cast<V>(c[k + 1][i]) * x[k + 1][i];
      a2 += static_cast<V>(c[k + 2][i]) * x[k + 2][i];
    }
    if (k < K) a0 += static_cast<V>(c[k][i]) * x[k][i];
    if (k + 1 < K) a1 += static_cast<V>(c[k + 1][i]) * x[k + 1][i];
    y[i] = (a0 + a1) + a2;
  }
}

// y = A x row by row for the coefficients c of the stored offsets `pattern` (at
// GridShape::coefficient_index): gathers for each offset its coefficient row and the
// neighbour row of x shifted by the offset's x component, computes the first and last node
// (they wrap on the torus, and in the box their outer neighbour has coefficient zero),
// leaves the nodes between to interior(K, coefficient rows, shifted x rows, y row, 1,
// n0 - 1), then calls finish(first index, y row).
template <class C, class V, class Interior, class Finish>
void for_each_stencil_row(const GridShape& shape, const StencilPattern& pattern, const C* c, const V* x, V* y,
                          Interior&& interior, Finish&& finish) {
  const int n0 = shape.n[0], n1 = shape.n[1], n2 = shape.n[2];
  const int K = pattern.size();
  const bool periodic = shape.periodic;
  for_each_index(n1 * n2, shape.size() >= stencil_parallel_nodes, [&](int row) {
    const int j = row % n1, k = row / n1;
    const long base = static_cast<long>(row) * n0;
    V* yr = y + base;
    const V* xs[max_slots];
    const C* cr[max_slots];
    const C* coefficients = c + GridShape::coefficient_index(0, base, K, n0);
    const int l = n0 - 1;
    const V* rows[3][3];  // the neighbour rows of x, [oz + 1][oy + 1]
    for (int oz = -1; oz <= 1; ++oz)
      for (int oy = -1; oy <= 1; ++oy)
        rows[oz + 1][oy + 1] = x + shape.index(0, shape.neighbour(1, j, oy), shape.neighbour(2, k, oz));
    V first = V(0), last = V(0);
    for (int s = 0; s < K; ++s) {
      const auto& o = pattern.offsets[static_cast<std::size_t>(s)];
      const V* xr = rows[o[2] + 1][o[1] + 1];
      cr[s] = coefficients + static_cast<long>(s) * n0;
      xs[s] = xr + o[0];
      const V left = o[0] >= 0 ? xr[o[0]] : periodic ? xr[l] : V(0);
      const V right = o[0] <= 0 ? xr[l + o[0]] : periodic ? xr[0] : V(0);
      first += static_cast<V>(cr[s][0]) * left;
      last += static_cast<V>(cr[s][l]) * right;
    }
    interior(K, cr, xs, yr, 1, l);
    yr[0] = first;
    yr[l] = last;
    finish(base, yr);
  });
}

// The pattern of the offsets in {-1, 0, 1}^dim for which keep(offset index) holds.
template <class Keep>
StencilPattern pattern_of(const GridShape& shape, Keep&& keep) {
  StencilPattern p;
  p.slot.assign(static_cast<std::size_t>(shape.offsets()), -1);
  const int ry = shape.dim > 1 ? 1 : 0, rz = shape.dim > 2 ? 1 : 0;
  for (int oz = -rz; oz <= rz; ++oz)
    for (int oy = -ry; oy <= ry; ++oy)
      for (int ox = -1; ox <= 1; ++ox) {
        const int o = shape.offset(ox, oy, oz);
        if (!keep(o)) continue;
        p.slot[static_cast<std::size_t>(o)] = p.size();
        p.offsets.push_back({ox, oy, oz});
      }
  return p;
}

}  // namespace

int GridShape::neighbour(int d, int c, int o) const {
  const int m = c + o;
  if (m >= 0 && m < n[d]) return m;
  return periodic ? (m + n[d]) % n[d] : c;
}

GridShape GridShape::coarsened() const {
  GridShape c = *this;
  for (int d = 0; d < dim; ++d) {
    if (n[d] % 2) throw std::invalid_argument("a grid coarsened by 2 needs even node counts");
    c.n[d] = n[d] / 2;
  }
  return c;
}

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
}

template <class Real>
template <class V>
void StencilMatrix<Real>::multiply(const V* x, V* y, const V* b) const {
  const int n0 = shape_.n[0];
  for_each_stencil_row(
      shape_, pattern_, c_.data(), x, y,
      [](int K, const Real* const* cr, const V* const* xr, V* yr, int begin, int end) {
        rows(K, cr, xr, yr, begin, end);
      },
      [&](long base, V* yr) {
        if (b)
          for (int i = 0; i < n0; ++i) yr[i] = b[base + i] - yr[i];
      });
}

ScaledStencil::ScaledStencil(const StencilMatrix<double>& rows) : shape_(rows.shape()) {
  const GridShape& shape = shape_;
  const long n = shape.size();
  const int centre = shape.offset(0, 0, 0);
  pattern_ =
      pattern_of(shape, [&](int o) { return o != centre && rows.pattern().slot[static_cast<std::size_t>(o)] >= 0; });
  const int K = pattern_.size();
  diag_.resize(static_cast<std::size_t>(n));
  inv_diag_.resize(diag_.size());
  c_.resize(static_cast<std::size_t>(K * n));
  const double half_max = 65504.0;
  for (long i = 0; i < n; ++i) {
    const double d = rows.at(centre, i);
    if (!(d != 0.0)) throw std::invalid_argument("scaled stencil: a zero diagonal entry");
    diag_[static_cast<std::size_t>(i)] = static_cast<float>(d);
    inv_diag_[static_cast<std::size_t>(i)] = static_cast<float>(1.0 / d);
    for (int k = 0; k < K; ++k) {
      const auto& o = pattern_.offsets[static_cast<std::size_t>(k)];
      const double v = rows.at(shape.offset(o[0], o[1], o[2]), i) / d;
      if (!(std::abs(v) <= half_max)) throw std::invalid_argument("scaled stencil: a coefficient beyond binary16");
      c_[GridShape::coefficient_index(k, i, K, shape.n[0])] =
          static_cast<_Float16>(static_cast<float>(v));  // via float: the F16C instruction
    }
  }
}

namespace {

// y = D^-1 A x - x (the rows without their centre) from binary16 rows, then finish(first
// index of the row, row of y).
template <class Finish>
void scaled_rows(const GridShape& shape, const StencilPattern& pattern, const _Float16* c, const float* x, float* y,
                 Finish&& finish) {
  for_each_stencil_row(
      shape, pattern, c, x, y,
      [](int K, const _Float16* const* cr, const float* const* xr, float* yr, int begin, int end) {
        rows(K, cr, xr, yr, begin, end);
      },
      finish);
}

}  // namespace

void ScaledStencil::apply(const float* x, float* y, Output output, const float* b) const {
  const int n0 = shape_.n[0];
  const float* diag = diag_.data();
  const float* inv_diag = inv_diag_.data();
  scaled_rows(shape_, pattern_, c_.data(), x, y, [&](long base, float* __restrict yr) {
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
  scaled_rows(shape_, pattern_, c_.data(), x, x_next, [&](long base, float* __restrict yr) {
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
