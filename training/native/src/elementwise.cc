#include "elementwise.h"

#include <algorithm>
#include <cmath>

#include "parallel.h"
#include "vecmath.h"

namespace stemdex {
namespace {

constexpr int64_t kMinElementsPerThread = 1 << 15;

// Runs f over one contiguous run of the innermost output dimension; the common stride patterns
// get their own loops so that GCC vectorises them.
template <class F>
inline void binary_run(F f, const float* a, int64_t sa, const float* b, int64_t sb, float* out, int64_t n) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const float bv = b[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const float av = a[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i * sa], b[i * sb]);
  }
}

template <class F>
void binary_strided(F f, const float* a, const float* b, float* out, const BroadcastLayout& l) {
  const int last = l.rank - 1;
  const int64_t inner = l.shape[last];
  int64_t total = 1;
  for (int d = 0; d < l.rank; ++d) total *= l.shape[d];
  parallel_for(total, kMinElementsPerThread, [&](int64_t begin, int64_t end) {
    int64_t coord[kMaxRank];
    int64_t rest = begin;
    int64_t offset_a = 0, offset_b = 0;
    for (int d = last; d >= 0; --d) {
      coord[d] = rest % l.shape[d];
      rest /= l.shape[d];
      offset_a += coord[d] * l.stride_a[d];
      offset_b += coord[d] * l.stride_b[d];
    }
    int64_t index = begin;
    while (index < end) {
      const int64_t run = std::min(inner - coord[last], end - index);
      binary_run(f, a + offset_a, l.stride_a[last], b + offset_b, l.stride_b[last], out + index, run);
      index += run;
      offset_a += run * l.stride_a[last];
      offset_b += run * l.stride_b[last];
      coord[last] += run;
      // Carry into the outer dimensions, rewinding each dimension that wrapped around.
      for (int d = last; d > 0 && coord[d] == l.shape[d]; --d) {
        coord[d] = 0;
        offset_a -= l.shape[d] * l.stride_a[d];
        offset_b -= l.shape[d] * l.stride_b[d];
        ++coord[d - 1];
        offset_a += l.stride_a[d - 1];
        offset_b += l.stride_b[d - 1];
      }
    }
  });
}

template <class F>
void unary_map(F f, const float* x, float* out, int64_t size) {
  parallel_for(size, kMinElementsPerThread, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) out[i] = f(x[i]);
  });
}

}  // namespace

void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastLayout& layout) {
  switch (op) {
    case BinaryOp::kAdd:
      return binary_strided([](float x, float y) { return x + y; }, a, b, out, layout);
    case BinaryOp::kSub:
      return binary_strided([](float x, float y) { return x - y; }, a, b, out, layout);
    case BinaryOp::kMul:
      return binary_strided([](float x, float y) { return x * y; }, a, b, out, layout);
    case BinaryOp::kDiv:
      return binary_strided([](float x, float y) { return x / y; }, a, b, out, layout);
    case BinaryOp::kSquaredDifference:
      return binary_strided(
          [](float x, float y) {
            const float d = x - y;
            return d * d;
          },
          a, b, out, layout);
    // NaN propagates like Math.max / Math.min, which the stock kernels use.
    case BinaryOp::kMaximum:
      return binary_strided(
          [](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x > y ? x : y); }, a, b, out,
          layout);
    case BinaryOp::kMinimum:
      return binary_strided(
          [](float x, float y) { return (std::isnan(x) || std::isnan(y)) ? NAN : (x < y ? x : y); }, a, b, out,
          layout);
    case BinaryOp::kPow:
      return binary_strided([](float x, float y) { return std::pow(x, y); }, a, b, out, layout);
  }
}

void unary(UnaryOp op, const float* x, float* out, int64_t size, float alpha) {
  switch (op) {
    case UnaryOp::kExp:
      return unary_map([](float v) { return exp_approx(v); }, x, out, size);
    case UnaryOp::kLog:
      return unary_map([](float v) { return std::log(v); }, x, out, size);
    case UnaryOp::kNeg:
      return unary_map([](float v) { return -v; }, x, out, size);
    case UnaryOp::kSquare:
      return unary_map([](float v) { return v * v; }, x, out, size);
    case UnaryOp::kSqrt:
      return unary_map([](float v) { return std::sqrt(v); }, x, out, size);
    case UnaryOp::kRsqrt:
      return unary_map([](float v) { return 1.0f / std::sqrt(v); }, x, out, size);
    case UnaryOp::kErf:
      return unary_map([](float v) { return erf_approx(v); }, x, out, size);
    case UnaryOp::kTanh:
      return unary_map([](float v) { return std::tanh(v); }, x, out, size);
    case UnaryOp::kSigmoid:
      return unary_map([](float v) { return 1.0f / (1.0f + exp_approx(-v)); }, x, out, size);
    // Comparisons are written so that NaN passes through, as in the stock kernels.
    case UnaryOp::kRelu:
      return unary_map([](float v) { return v < 0.0f ? 0.0f : v; }, x, out, size);
    case UnaryOp::kRelu6:
      return unary_map([](float v) { return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v); }, x, out, size);
    case UnaryOp::kElu:
      return unary_map([](float v) { return v >= 0.0f ? v : exp_approx(v) - 1.0f; }, x, out, size);
    case UnaryOp::kLeakyRelu:
      return unary_map([alpha](float v) { return v < 0.0f ? alpha * v : v; }, x, out, size);
    case UnaryOp::kAbs:
      return unary_map([](float v) { return std::fabs(v); }, x, out, size);
    case UnaryOp::kReciprocal:
      return unary_map([](float v) { return 1.0f / v; }, x, out, size);
    case UnaryOp::kStep:
      return unary_map([alpha](float v) { return std::isnan(v) ? NAN : (v > 0.0f ? 1.0f : alpha); }, x, out,
                       size);
  }
}

}  // namespace stemdex
