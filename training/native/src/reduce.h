#pragma once
#include <cstdint>

namespace stemdex {

enum class ReduceOp : int32_t { kSum = 0, kMean = 1, kMax = 2, kMin = 3 };
constexpr int32_t kReduceOpCount = 4;

// x viewed as [outer, reduced, inner]; out[o, i] = op over r of x[o, r, i].
void reduce(ReduceOp op, const float* x, float* out, int64_t outer, int64_t reduced, int64_t inner);

}  // namespace stemdex
