#pragma once
#include <cstdint>

#include "elementwise.h"

namespace stemdex {

// Gathers x into the contiguous out: out dimension d has size shape[d] and steps
// source_stride[d] elements through x.
void transpose(const float* x, float* out, int rank, const int64_t* shape, const int64_t* source_stride);

}  // namespace stemdex
