#include "reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "parallel.h"

namespace stemdex {
namespace {

constexpr int64_t kMinElementsPerThread = 1 << 15;

// Sums accumulate in double, like the stock kernels (JavaScript numbers), so that long
// reductions agree with them to float precision.
float sum_row(const float* x, int64_t n) {
  double acc = 0.0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < n; ++i) acc += x[i];
  return static_cast<float>(acc);
}

// Written with explicit NaN checks because the stock kernels propagate NaN.
float extreme_row(const float* x, int64_t n, bool want_max) {
  float best = x[0];
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (std::isnan(v)) return v;
    if (want_max ? v > best : v < best) best = v;
  }
  return best;
}

void reduce_rows(ReduceOp op, const float* x, float* out, int64_t rows, int64_t n) {
  parallel_for(rows, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, n)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t row = begin; row < end; ++row) {
                   const float* values = x + row * n;
                   switch (op) {
                     case ReduceOp::kSum:
                       out[row] = sum_row(values, n);
                       break;
                     case ReduceOp::kMean:
                       out[row] = static_cast<float>(static_cast<double>(sum_row(values, n)) / n);
                       break;
                     case ReduceOp::kMax:
                       out[row] = extreme_row(values, n, true);
                       break;
                     case ReduceOp::kMin:
                       out[row] = extreme_row(values, n, false);
                       break;
                   }
                 }
               });
}

// Reduction over a strided middle axis: walk the reduced rows and combine whole inner vectors,
// which keeps memory access contiguous. Parallel over outer blocks, or over inner columns.
void reduce_columns(ReduceOp op, const float* x, float* out, int64_t outer, int64_t reduced, int64_t inner) {
  const bool split_columns = outer == 1;
  const int64_t count = split_columns ? inner : outer;
  parallel_for(count, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, reduced * (split_columns ? 1 : inner))),
               [&](int64_t begin, int64_t end) {
                 const int64_t o_begin = split_columns ? 0 : begin;
                 const int64_t o_end = split_columns ? 1 : end;
                 const int64_t c_begin = split_columns ? begin : 0;
                 const int64_t c_end = split_columns ? end : inner;
                 const int64_t width = c_end - c_begin;
                 std::vector<double> acc(width);
                 for (int64_t o = o_begin; o < o_end; ++o) {
                   const float* block = x + o * reduced * inner + c_begin;
                   float* target = out + o * inner + c_begin;
                   if (op == ReduceOp::kSum || op == ReduceOp::kMean) {
                     std::fill(acc.begin(), acc.end(), 0.0);
                     double* a = acc.data();
                     for (int64_t r = 0; r < reduced; ++r) {
                       const float* row = block + r * inner;
#pragma omp simd
                       for (int64_t c = 0; c < width; ++c) a[c] += row[c];
                     }
                     const double scale = op == ReduceOp::kMean ? 1.0 / reduced : 1.0;
                     for (int64_t c = 0; c < width; ++c) target[c] = static_cast<float>(acc[c] * scale);
                   } else {
                     const bool want_max = op == ReduceOp::kMax;
                     for (int64_t c = 0; c < width; ++c) target[c] = block[c];
                     for (int64_t r = 1; r < reduced; ++r) {
                       const float* row = block + r * inner;
                       for (int64_t c = 0; c < width; ++c) {
                         const float v = row[c];
                         const float best = target[c];
                         if (std::isnan(best)) continue;
                         if (std::isnan(v) || (want_max ? v > best : v < best)) target[c] = v;
                       }
                     }
                   }
                 }
               });
}

}  // namespace

void reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t reduced, int64_t inner) {
  if (outer == 0 || inner == 0) return;
  if (reduced == 0) {
    const float identity = op == ReduceOp::kMax   ? -std::numeric_limits<float>::infinity()
                           : op == ReduceOp::kMin ? std::numeric_limits<float>::infinity()
                           : op == ReduceOp::kMean ? NAN
                                                   : 0.0f;
    std::fill(out, out + outer * inner, identity);
    return;
  }
  if (inner == 1) return reduce_rows(op, x, out, outer, reduced);
  reduce_columns(op, x, out, outer, reduced, inner);
}

}  // namespace stemdex
