#pragma once
// exp(x) for x in [-708, 0], written so that GCC vectorizes it inside `omp simd` loops
// (no libm call, no branches). Accuracy: within 2 ulp of std::exp on that range
// (tested in tests/attention/fast_exp_test.cpp). Outside the range the result is wrong:
// callers clamp the argument first.

#include <bit>
#include <cstdint>
#include <type_traits>

#include "attention/simd.hpp"

namespace attnpde {

inline double fast_exp(double x) {
  // x = k ln2 + r, |r| <= ln2/2; k from the round-to-nearest "shifter" trick.
  const double log2e = 1.4426950408889634074;
  const double ln2_hi = 6.93147180369123816490e-01;
  const double ln2_lo = 1.90821492927058770002e-10;
  const double shifter = 0x1.8p52;
  const double kd_shifted = x * log2e + shifter;
  const double kd = kd_shifted - shifter;
  const double r = (x - kd * ln2_hi) - kd * ln2_lo;
  // Taylor polynomial of exp on |r| <= 0.347 to degree 13 (truncation < 1e-18), Horner.
  double p = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // 2^k: the low bits of kd_shifted hold k; shifting by 52 moves (k + 1023) into the
  // exponent field and drops the shifter's own bits.
  const std::int64_t bits = (std::bit_cast<std::int64_t>(kd_shifted) + 1023) << 52;
  return p * std::bit_cast<double>(bits);
}

}  // namespace attnpde

namespace attnpde {

/// Single-precision twin of fast_exp for x in [-87, 0] (results stay normal floats):
/// degree-7 Taylor polynomial on |r| <= ln2/2, within 2 ulp of std::exp(float).
inline float fast_expf(float x) {
  const float log2e = 1.44269504088896341f;
  const float ln2_hi = 0.693359375f;
  const float ln2_lo = -2.12194440e-4f;
  const float shifter = 0x1.8p23f;
  const float kd_shifted = x * log2e + shifter;
  const float kd = kd_shifted - shifter;
  const float r = (x - kd * ln2_hi) - kd * ln2_lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t bits = (std::bit_cast<std::int32_t>(kd_shifted) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

}  // namespace attnpde

namespace attnpde {

/// 2^y for y in [-1021, 0], in the form of fast_exp without its argument reduction: an
/// attention kernel that folds log2(e) into its logits needs no multiplication by log2(e)
/// and no Cody-Waite split of ln 2 (the rounding of y itself, a few ulp of |y|, scales a
/// weight by 1 + O(|y| 1e-16), which matters only where the weight is negligible). The
/// polynomial is the degree-11 Chebyshev fit of 2^f on |f| <= 1/2 (error 3e-18, against the
/// degree 13 a Taylor series needs), evaluated by Estrin's scheme: within 2 ulp of
/// std::exp2 on the range. 2^k enters by an integer addition of k to the exponent field of
/// p in [2^-1/2, 2^1/2] instead of a multiplication (one operation less on the FMA pipes);
/// the sum stays a normal number for k >= -1021, hence the range.
///
/// T is double or a vector of doubles (attention/simd.hpp): the dense kernel evaluates the
/// same formula on whole registers.
template <class T>
[[gnu::always_inline]] inline T fast_exp2(T y) {
  static_assert(std::is_same_v<typename Lanes<T>::Element, double>, "fast_exp2 takes double lanes");
  const double shifter = 0x1.8p52;
  const T kd_shifted = y + shifter;
  const T f = y - (kd_shifted - shifter);
  // Estrin's scheme: six independent linear pieces c_2i + c_2i+1 f, combined in three
  // levels with f^2, f^4 and f^8: a dependency chain of four operations after f (even and
  // odd Horner chains in f^2 have seven), at 14 operations instead of 12. In the dense
  // kernel, whose rows' chains must overlap, the shorter chain is worth more.
  const T f2 = f * f;
  const T a0 = 0.6931471805599453 * f + 1.0;
  const T a1 = 0.055504108664821625 * f + 0.24022650695910158;
  const T a2 = 0.001333355814640647 * f + 0.009618129107587256;
  const T a3 = 1.5252733841556773e-05 * f + 0.00015403530463724353;
  const T a4 = 1.0178057087733941e-07 * f + 1.3215432535912375e-06;
  const T a5 = 4.4558179083360645e-10 * f + 7.074194297288521e-09;
  const T f4 = f2 * f2;
  const T b0 = a1 * f2 + a0;
  const T b1 = a3 * f2 + a2;
  const T b2 = a5 * f2 + a4;
  const T f8 = f4 * f4;
  const T low = b1 * f4 + b0;
  const T p = b2 * f8 + low;
  const Bits<T> k_bits = std::bit_cast<Bits<T>>(kd_shifted) << 52;
  return std::bit_cast<T>(std::bit_cast<Bits<T>>(p) + k_bits);
}

/// Single-precision twin of fast_exp2 for y in [-125, 0]: degree-6 Chebyshev fit of 2^f on
/// |f| <= 1/2 (error 2e-9), Estrin's scheme, within 2 ulp of exp2 in float. T is float or
/// a vector of floats.
template <class T>
[[gnu::always_inline]] inline T fast_exp2f(T y) {
  static_assert(std::is_same_v<typename Lanes<T>::Element, float>, "fast_exp2f takes float lanes");
  const float shifter = 0x1.8p23f;
  const T kd_shifted = y + shifter;
  const T f = y - (kd_shifted - shifter);
  // Estrin's scheme: three independent linear pieces, then two levels in f^2 and f^4: a
  // chain of three operations after f instead of five, at 8 operations instead of 7 (the
  // same time per dense layer as the even/odd split; kept for the shorter chain).
  const T f2 = f * f;
  const T a = 0.6931472067028326f * f + 1.0f;
  const T b = 0.05550327226670302f * f + 0.24022650922288757f;
  const T c = 0.0013400428177615838f * f + 0.009618056678524637f;
  const T f4 = f2 * f2;
  const T high = 0.0001546144469856913f * f2 + c;
  const T low = b * f2 + a;
  const T p = high * f4 + low;
  const Bits<T> k_bits = std::bit_cast<Bits<T>>(kd_shifted) << 23;
  return std::bit_cast<T>(std::bit_cast<Bits<T>>(p) + k_bits);
}

}  // namespace attnpde
