// Branch-free float approximations of exp and erf that GCC can vectorise (glibc's expf/erff are
// scalar calls unless the whole build uses -ffast-math, which would also break NaN handling).
#pragma once
#include <cmath>
#include <cstdint>

namespace stemdex {

inline float bits_to_float(int32_t bits) {
  return __builtin_bit_cast(float, bits);
}

// exp(x) via x = n*ln2 + r, |r| <= ln2/2, a degree-6 polynomial for exp(r) (Cephes expf
// coefficients, about 1 ulp), and 2^n split into two factors so that n near the ends of the
// float exponent range neither overflows nor flushes early.
inline float exp_approx(float x) {
  const float clamped = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
  // Round to nearest by adding and removing 1.5 * 2^23 (std::floor would block vectorisation
  // unless the whole file were built with -fno-trapping-math).
  constexpr float kRoundMagic = 12582912.0f;
  const float n = (clamped * 1.44269504088896341f + kRoundMagic) - kRoundMagic;
  float r = clamped - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t half = ni >> 1;
  const float scale_a = bits_to_float((half + 127) << 23);
  const float scale_b = bits_to_float((ni - half + 127) << 23);
  float result = p * scale_a * scale_b;
  result = x > 88.7228394f ? INFINITY : result;
  result = x < -103.972f ? 0.0f : result;
  return x != x ? x : result;
}

// Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), the formula TensorFlow.js' CPU kernel uses.
inline float erf_approx(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float y = 1.0f - poly * t * exp_approx(-a * a);
  return std::copysign(y, x);
}

}  // namespace stemdex
