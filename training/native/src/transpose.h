#pragma once
#include <cstdint>

#include "elementwise.h"

namespace stemdex {

// Gathers x into the contiguous out: out dimension d has size shape[d] and steps
// source_stride[d] elements through x.
void transpose(const float* x, float* out, int rank, const int64_t* shape, const int64_t* source_stride);

// General strided copy: element at coordinate c goes from x[sum c*source_stride] to
// out[sum c*dest_stride]. Used for slices, splits and concatenation.
void strided_copy(const float* x, float* out, int rank, const int64_t* shape, const int64_t* source_stride,
                  const int64_t* dest_stride);

}  // namespace stemdex
