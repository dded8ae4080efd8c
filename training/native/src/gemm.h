#pragma once
#include <cstdint>

namespace stemdex {

struct GemmShape {
  int64_t batch;  // number of output matrices
  int64_t m, n, k;
  bool transpose_a;  // a is stored [k, m] instead of [m, k]
  bool transpose_b;  // b is stored [n, k] instead of [k, n]
};

// out[i] = op(a[a_index[i]]) * op(b[b_index[i]]) for i in [0, batch), row-major float32.
// The index arrays express batch broadcasting without copying the broadcast operand.
void batched_matmul(const float* a, const float* b, float* out, const GemmShape& shape,
                    const int32_t* a_index, const int32_t* b_index);

}  // namespace stemdex
