#pragma once
// Vectors of the host's widest SIMD registers as GCC vector types (arithmetic with + - *
// and scalars broadcast, FMAs by contraction), plus the few operations C++ has no operator
// for (rounding to the nearest integer, maximum), written with the x86 intrinsics of the
// ISA the build targets. `simd_bytes` is 64 with AVX-512, 32 with AVX2 and FMA, and 0
// otherwise (the callers then keep their auto-vectorized loops).
//
// The same templates serve scalars: Bits<double> is std::int64_t, round_nearest(double) is
// std::rint, so one formula (attention/fast_exp.hpp, attention/kernel_dense.cpp) is written
// once for a lane and for a vector of lanes.

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace attnpde {

#if defined(__AVX512F__)
inline constexpr int simd_bytes = 64;
#elif defined(__AVX2__) && defined(__FMA__)
inline constexpr int simd_bytes = 32;
#else
inline constexpr int simd_bytes = 0;
#endif

/// A vector of `Bytes / sizeof(E)` lanes of E.
template <class E, int Bytes>
struct VectorOf {
  typedef E type __attribute__((vector_size(Bytes)));
};

/// Real or a vector of Real: the lane type, and the signed integer (vector) of the same size.
template <class T>
struct Lanes {
  using Element = T;
  using Bits = std::conditional_t<sizeof(T) == 8, std::int64_t, std::int32_t>;
};
template <class T>
requires requires(T t) {
  t[0];
}
struct Lanes<T> {
  using Element = std::remove_cvref_t<decltype(std::declval<T>()[0])>;
  using Bits = typename VectorOf<std::conditional_t<sizeof(Element) == 8, std::int64_t, std::int32_t>, sizeof(T)>::type;
};
template <class T>
using Bits = typename Lanes<T>::Bits;

inline double round_nearest(double v) {
  return std::rint(v);
}
inline float round_nearest(float v) {
  return std::rint(v);
}

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
/// Vectors of the widest registers.
template <class Real>
using Simd = typename VectorOf<Real, simd_bytes>::type;
template <class Real>
inline constexpr int simd_lanes = simd_bytes / static_cast<int>(sizeof(Real));

template <class Real>
[[gnu::always_inline]] inline Simd<Real> load(const Real* p) {
  Simd<Real> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr int nearest = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
#if defined(__AVX512F__)
[[gnu::always_inline]] inline Simd<double> round_nearest(Simd<double> v) {
  return _mm512_roundscale_pd(v, nearest);
}
[[gnu::always_inline]] inline Simd<float> round_nearest(Simd<float> v) {
  return _mm512_roundscale_ps(v, nearest);
}
[[gnu::always_inline]] inline Simd<double> max_of(Simd<double> a, Simd<double> b) {
  return _mm512_max_pd(a, b);
}
[[gnu::always_inline]] inline Simd<float> max_of(Simd<float> a, Simd<float> b) {
  return _mm512_max_ps(a, b);
}
#else
[[gnu::always_inline]] inline Simd<double> round_nearest(Simd<double> v) {
  return _mm256_round_pd(v, nearest);
}
[[gnu::always_inline]] inline Simd<float> round_nearest(Simd<float> v) {
  return _mm256_round_ps(v, nearest);
}
[[gnu::always_inline]] inline Simd<double> max_of(Simd<double> a, Simd<double> b) {
  return _mm256_max_pd(a, b);
}
[[gnu::always_inline]] inline Simd<float> max_of(Simd<float> a, Simd<float> b) {
  return _mm256_max_ps(a, b);
}
#endif
#endif

}  // namespace attnpde
