#pragma once
#include <cstdint>

namespace stemdex {

// Row-wise softmax over the contiguous last axis of a [rows, cols] matrix.
void softmax(const float* x, float* out, int64_t rows, int64_t cols);

}  // namespace stemdex
