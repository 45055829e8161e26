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

// Vector operations of one width: binary16 loads converted in registers (vcvtph2ps).
#if defined(__AVX512F__)
struct Zmm {
  using V = __m512;
  static constexpr int width = 16;
  static V zero() { return _mm512_setzero_ps(); }
  static V half(const _Float16* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void store(float* p, V a, V b, V c) { _mm512_storeu_ps(p, _mm512_add_ps(_mm512_add_ps(a, b), c)); }
};
#endif
#if defined(__F16C__) && defined(__FMA__)
struct Ymm {
  using V = __m256;
  static constexpr int width = 8;
  static V zero() { return _mm256_setzero_ps(); }
  static V half(const _Float16* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void store(float* p, V a, V b, V c) { _mm256_storeu_ps(p, _mm256_add_ps(_mm256_add_ps(a, b), c)); }
};
#endif

// y[i] = sum over the R neighbour rows r of c[3r][i] x[r][i - 1] + c[3r+1][i] x[r][i] +
// c[3r+2][i] x[r][i + 1] for i in [begin, end), end - begin >= W::width: every coefficient
// of a node in one pass, in three independent accumulators. The last chunk overlaps the one
// before instead of a scalar tail (y is written, not accumulated, so a node computed twice
// gets the same value).
template <class W, int R>
void rows_half_vector(const _Float16* const* c, const float* const* x, float* y, int begin, int end) {
  for (int i = begin; i < end; i += W::width) {
    if (i + W::width > end) i = end - W::width;
    typename W::V am = W::zero(), a0 = W::zero(), ap = W::zero();
    for (int r = 0; r < R; ++r) {
      am = W::fma(W::half(c[3 * r] + i), W::load(x[r] + i - 1), am);
      a0 = W::fma(W::half(c[3 * r + 1] + i), W::load(x[r] + i), a0);
      ap = W::fma(W::half(c[3 * r + 2] + i), W::load(x[r] + i + 1), ap);
    }
    W::store(y + i, am, a0, ap);
  }
}

// The same for any length, with the widest vectors the build has.
template <int R>
void rows_half(const _Float16* const* c, const float* const* x, float* y, int begin, int end) {
#if defined(__AVX512F__)
  if (end - begin >= Zmm::width) return rows_half_vector<Zmm, R>(c, x, y, begin, end);
#endif
#if defined(__F16C__) && defined(__FMA__)
  if (end - begin >= Ymm::width) return rows_half_vector<Ymm, R>(c, x, y, begin, end);
#endif
  for (int i = begin; i < end; ++i) {
    float am = 0.0f, a0 = 0.0f, ap = 0.0f;
    for (int r = 0; r < R; ++r) {
      am += static_cast<float>(c[3 * r][i]) * x[r][i - 1];
      a0 += static_cast<float>(c[3 * r + 1][i]) * x[r][i];
      ap += static_cast<float>(c[3 * r + 2][i]) * x[r][i + 1];
    }
    y[i] = (am + a0) + ap;
  }
}

// y = A x row by row for the coefficients c at GridShape::coefficient_index: gathers the
// neighbour rows of x and the coefficient rows of each offset, computes the first and last
// node (they wrap on the torus, and in the box their outer neighbour has coefficient zero),
// leaves the nodes between to interior(R, c rows, x rows, y row, 1, n0 - 1) with R the
// number of neighbour rows as a compile-time constant, then calls finish(first index, y row).
template <class C, class V, class Interior, class Finish>
void for_each_stencil_row(const GridShape& shape, const C* c, const V* x, V* y, Interior&& interior,
                          Finish&& finish) {
  const int n0 = shape.n[0], n1 = shape.n[1], n2 = shape.n[2];
  const int ry = shape.dim > 1 ? 1 : 0, rz = shape.dim > 2 ? 1 : 0;
  const int rows = (2 * ry + 1) * (2 * rz + 1);
  const bool periodic = shape.periodic;
  for_each_index(n1 * n2, shape.size() >= stencil_parallel_nodes, [&](int row) {
    const int j = row % n1, k = row / n1;
    const long base = static_cast<long>(row) * n0;
    V* yr = y + base;
    const V* xr[9];
    const C* cr[27];
    const C* coefficients = c + shape.coefficient_index(0, base);
    int s = 0;
    for (int oz = -rz; oz <= rz; ++oz)
      for (int oy = -ry; oy <= ry; ++oy, ++s) {
        xr[s] = x + shape.index(0, shape.neighbour(1, j, oy), shape.neighbour(2, k, oz));
        for (int ox = -1; ox <= 1; ++ox) cr[3 * s + ox + 1] = coefficients + shape.offset(ox, oy, oz) * n0;
      }
    const int l = n0 - 1;
    V first = V(0), last = V(0);
    for (int r = 0; r < rows; ++r) {
      const V left = periodic ? xr[r][l] : V(0), right = periodic ? xr[r][0] : V(0);
      first += static_cast<V>(cr[3 * r][0]) * left + static_cast<V>(cr[3 * r + 1][0]) * xr[r][0] +
               static_cast<V>(cr[3 * r + 2][0]) * xr[r][1];
      last += static_cast<V>(cr[3 * r][l]) * xr[r][l - 1] + static_cast<V>(cr[3 * r + 1][l]) * xr[r][l] +
              static_cast<V>(cr[3 * r + 2][l]) * right;
    }
    if (rows == 9)
      interior(std::integral_constant<int, 9>{}, cr, xr, yr, 1, l);
    else if (rows == 3)
      interior(std::integral_constant<int, 3>{}, cr, xr, yr, 1, l);
    else
      interior(std::integral_constant<int, 1>{}, cr, xr, yr, 1, l);
    yr[0] = first;
    yr[l] = last;
    finish(base, yr);
  });
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

template <class Real>
StencilMatrix<Real>::StencilMatrix(Mat A, const GridShape& shape)
    : shape_(shape), c_(static_cast<std::size_t>(shape.offsets() * shape.size()), Real(0)) {
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
      c_[shape.coefficient_index(shape.offset(o[0], o[1], o[2]), r)] += static_cast<Real>(val[m]);
    }
    ATTNPDE_PETSC(MatRestoreRow(A, static_cast<PetscInt>(r), &nc, &col, &val));
  }
}

// y[i] = sum over the R neighbour rows r of c[3r][i] x[r][i - 1] + c[3r+1][i] x[r][i] +
// c[3r+2][i] x[r][i + 1] for i in [begin, end), every coefficient of a node in one pass.
template <int R, class Real, class V>
void rows_full(const Real* const* c, const V* const* x, V* y, int begin, int end) {
#pragma omp simd
  for (int i = begin; i < end; ++i) {
    V am = V(0), a0 = V(0), ap = V(0);
    for (int r = 0; r < R; ++r) {
      am += static_cast<V>(c[3 * r][i]) * x[r][i - 1];
      a0 += static_cast<V>(c[3 * r + 1][i]) * x[r][i];
      ap += static_cast<V>(c[3 * r + 2][i]) * x[r][i + 1];
    }
    y[i] = (am + a0) + ap;
  }
}

template <class Real>
template <class V>
void StencilMatrix<Real>::multiply(const V* x, V* y, const V* b) const {
  const int n0 = shape_.n[0];
  for_each_stencil_row(
      shape_, c_.data(), x, y,
      [](auto R, const Real* const* cr, const V* const* xr, V* yr, int begin, int end) {
        rows_full<decltype(R)::value>(cr, xr, yr, begin, end);
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
  diag_.resize(static_cast<std::size_t>(n));
  inv_diag_.resize(diag_.size());
  c_.resize(static_cast<std::size_t>(shape.offsets() * n));
  const double half_max = 65504.0;
  for (long i = 0; i < n; ++i) {
    const double d = rows.at(centre, i);
    if (!(d != 0.0)) throw std::invalid_argument("scaled stencil: a zero diagonal entry");
    diag_[static_cast<std::size_t>(i)] = static_cast<float>(d);
    inv_diag_[static_cast<std::size_t>(i)] = static_cast<float>(1.0 / d);
    for (int o = 0; o < shape.offsets(); ++o) {
      const double v = rows.at(o, i) / d;
      if (!(std::abs(v) <= half_max)) throw std::invalid_argument("scaled stencil: a coefficient beyond binary16");
      c_[shape.coefficient_index(o, i)] =
          static_cast<_Float16>(static_cast<float>(v));  // via float: the F16C instruction
    }
  }
}

namespace {

// y = D^-1 A x from binary16 rows, then finish(first index of the row, row of y).
template <class Finish>
void scaled_rows(const GridShape& shape, const _Float16* c, const float* x, float* y, Finish&& finish) {
  for_each_stencil_row(
      shape, c, x, y,
      [](auto R, const _Float16* const* cr, const float* const* xr, float* yr, int begin, int end) {
        rows_half<decltype(R)::value>(cr, xr, yr, begin, end);
      },
      finish);
}

}  // namespace

void ScaledStencil::apply(const float* x, float* y, Output output, const float* b) const {
  const int n0 = shape_.n[0];
  const float* diag = diag_.data();
  const float* inv_diag = inv_diag_.data();
  scaled_rows(shape_, c_.data(), x, y, [&](long base, float* __restrict yr) {
    const float* __restrict br = b + base;
    if (output == Output::scaled_residual) {
      const float* __restrict sr = inv_diag + base;
      for (int i = 0; i < n0; ++i) yr[i] = sr[i] * br[i] - yr[i];
    } else if (output == Output::residual) {
      const float* __restrict sr = diag + base;
      for (int i = 0; i < n0; ++i) yr[i] = br[i] - sr[i] * yr[i];
    }
  });
}

void ScaledStencil::chebyshev_step(const float* x, float* x_next, const float* b, float* d, float keep,
                                   float step) const {
  const int n0 = shape_.n[0];
  const float* inv_diag = inv_diag_.data();
  scaled_rows(shape_, c_.data(), x, x_next, [&](long base, float* __restrict yr) {
    const float* __restrict xr = x + base;
    const float* __restrict br = b + base;
    const float* __restrict sr = inv_diag + base;
    float* __restrict dr = d + base;
    for (int i = 0; i < n0; ++i) {
      dr[i] = keep * dr[i] + step * (sr[i] * br[i] - yr[i]);
      yr[i] = xr[i] + dr[i];
    }
  });
}

template class StencilMatrix<double>;
template class StencilMatrix<float>;
template void StencilMatrix<double>::multiply(const double*, double*, const double*) const;
template void StencilMatrix<float>::multiply(const float*, float*, const float*) const;

}  // namespace attnpde
