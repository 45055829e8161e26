#pragma once
// exp(x) for x in [-708, 0], written so that GCC vectorizes it inside `omp simd` loops
// (no libm call, no branches). Accuracy: within 2 ulp of std::exp on that range
// (tested in tests/attention/fast_exp_test.cpp). Outside the range the result is wrong:
// callers clamp the argument first.

#include <bit>
#include <cstdint>

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
/// degree 13 a Taylor series needs), evaluated as its even and odd parts: within 2 ulp of
/// std::exp2 on the range. 2^k enters by an integer addition of k to the exponent field of
/// p in [2^-1/2, 2^1/2] instead of a multiplication (one operation less on the FMA pipes);
/// the sum stays a normal number for k >= -1021, hence the range.
inline double fast_exp2(double y) {
  const double shifter = 0x1.8p52;
  const double kd_shifted = y + shifter;
  const double f = y - (kd_shifted - shifter);
  // Even and odd parts in f^2, two independent Horner chains of five FMAs: one operation
  // more than a single chain of eleven, at a dependency chain of seven. (Estrin's scheme,
  // a chain of four at two operations more, made the 2D float64 layer 4% faster, but GCC
  // then no longer vectorized the weighted kernels, which Sinkhorn uses.)
  const double f2 = f * f;
  double e = 7.074194297288521e-09, o = 4.4558179083360645e-10;
  e = e * f2 + 1.3215432535912375e-06;
  o = o * f2 + 1.0178057087733941e-07;
  e = e * f2 + 0.00015403530463724353;
  o = o * f2 + 1.5252733841556773e-05;
  e = e * f2 + 0.009618129107587256;
  o = o * f2 + 0.001333355814640647;
  e = e * f2 + 0.24022650695910158;
  o = o * f2 + 0.055504108664821625;
  e = e * f2 + 1.0;
  o = o * f2 + 0.6931471805599453;
  const double p = o * f + e;
  const std::int64_t k_bits = std::bit_cast<std::int64_t>(kd_shifted) << 52;
  return std::bit_cast<double>(std::bit_cast<std::int64_t>(p) + k_bits);
}

/// Single-precision twin of fast_exp2 for y in [-125, 0]: degree-6 Chebyshev fit of 2^f on
/// |f| <= 1/2 (error 2e-9), Estrin's scheme, within 2 ulp of exp2 in float.
inline float fast_exp2f(float y) {
  const float shifter = 0x1.8p23f;
  const float kd_shifted = y + shifter;
  const float f = y - (kd_shifted - shifter);
  // Estrin's scheme: three independent linear pieces, then two levels in f^2 and f^4: a
  // chain of three operations after f instead of five, at 8 operations instead of 7 (the
  // same time per dense layer as the even/odd split; kept for the shorter chain).
  const float f2 = f * f;
  const float a = 0.6931472067028326f * f + 1.0f;
  const float b = 0.05550327226670302f * f + 0.24022650922288757f;
  const float c = 0.0013400428177615838f * f + 0.009618056678524637f;
  const float f4 = f2 * f2;
  const float high = 0.0001546144469856913f * f2 + c;
  const float low = b * f2 + a;
  const float p = high * f4 + low;
  const std::int32_t k_bits = std::bit_cast<std::int32_t>(kd_shifted) << 23;
  return std::bit_cast<float>(std::bit_cast<std::int32_t>(p) + k_bits);
}

}  // namespace attnpde
