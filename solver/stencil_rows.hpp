#pragma once
// The row kernels of the stencil matrices (solver/stencil_matrix.hpp), shared by their
// float64 and binary16 forms: vector loops over contiguous x rows, and the traversal that
// gathers for each grid row the coefficient and value rows a product reads.

#include <immintrin.h>

#include <cstddef>
#include <type_traits>

#include "solver/stencil_matrix.hpp"

namespace attnpde::stencil_detail {

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
// GridShape::coefficient_row of the grid row's stored row), then finish(first index of the
// row, y row). Each stored offset o is a term c_o[i] x[i + o]; with pattern.mirrored every
// offset but the centre also stands for its mirror -o, whose coefficient at node i is the one
// stored for o at the node i - o (a symmetric matrix kept as its upper half): that term reads
// c_o[i - o] x[i - o], from the coefficient and value rows of the neighbour row at (-oy, -oz),
// both shifted by -ox. The first and last node of a row are computed apart (they wrap on the
// torus; in the box a neighbour outside the domain contributes nothing, as does a mirror term
// whose row lies outside), the nodes between by rows().
template <class C, class V, class Finish>
void for_each_stencil_row(const GridShape& shape, const StencilPattern& pattern, const CoefficientRows& stored,
                          const C* c, const V* x, V* y, Finish&& finish) {
  const int n0 = shape.n[0], n1 = shape.n[1], n2 = shape.n[2];
  const int K = pattern.size();
  const int centre = shape.offset(0, 0, 0);
  const bool periodic = shape.periodic;
  for_each_index(n1 * n2, shape.size() >= stencil_parallel_nodes, [&](int row) {
    const int j = row % n1, k = row / n1;
    const long base = static_cast<long>(row) * n0;
    const int l = n0 - 1;
    const V* xs[2 * max_slots];
    const C* cs[2 * max_slots];
    int terms = 0;
    V first = V(0), last = V(0);
    // One term: coefficient row cr, value row xr, x shift; a mirror term shifts cr too.
    const auto add = [&](const C* cr, const V* xr, int shift, bool mirror) {
      cs[terms] = mirror ? cr + shift : cr;
      xs[terms] = xr + shift;
      ++terms;
      const int a = shift < 0 ? (periodic ? l : -1) : shift;  // node 0's neighbour
      const int b = l + shift > l ? (periodic ? 0 : -1) : l + shift;
      if (a >= 0) first += static_cast<V>(cr[mirror ? a : 0]) * xr[a];
      if (b >= 0) last += static_cast<V>(cr[mirror ? b : l]) * xr[b];
    };
    // Neighbour rows by their row numbers, not node indices: a node index would need a
    // division by n0 to find its stored coefficient row, and those divisions made a 64^3 step
    // 12-20% slower (31-35 ms against 28: short rows, 18 terms each).
    const auto grid_row = [&](int oy, int oz) {
      return shape.neighbour(1, j, oy) + static_cast<long>(n1) * shape.neighbour(2, k, oz);
    };
    for (int s = 0; s < K; ++s) {
      const auto& o = pattern.offsets[static_cast<std::size_t>(s)];
      const long up = grid_row(o[1], o[2]);
      add(c + GridShape::coefficient_row(s, stored(row), K, n0), x + up * n0, o[0], false);
      if (!pattern.mirrored || shape.offset(o[0], o[1], o[2]) == centre) continue;
      const int jm = j - o[1], km = k - o[2];
      if (!periodic && (jm < 0 || jm >= n1 || km < 0 || km >= n2)) continue;
      const long down = grid_row(-o[1], -o[2]);
      add(c + GridShape::coefficient_row(s, stored(down), K, n0), x + down * n0, -o[0], true);
    }
    V* yr = y + base;
    rows(terms, cs, xs, yr, 1, l);
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

}  // namespace attnpde::stencil_detail
