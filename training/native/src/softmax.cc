#include "softmax.h"

#include <algorithm>
#include <cmath>

#include "parallel.h"
#include "vecmath.h"

namespace stemdex {

void softmax(const float* x, float* out, int64_t rows, int64_t cols) {
  if (cols == 0) return;
  parallel_for(rows, std::max<int64_t>(1, (1 << 14) / cols), [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const float* in = x + row * cols;
      float* o = out + row * cols;
      float max = in[0];
#pragma omp simd reduction(max : max)
      for (int64_t i = 0; i < cols; ++i) max = in[i] > max ? in[i] : max;
      double sum = 0.0;
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < cols; ++i) {
        const float e = exp_approx(in[i] - max);
        o[i] = e;
        sum += e;
      }
      const float inv = static_cast<float>(1.0 / sum);
#pragma omp simd
      for (int64_t i = 0; i < cols; ++i) o[i] *= inv;
    }
  });
}

}  // namespace stemdex
