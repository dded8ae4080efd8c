#pragma once
#include <cstdint>

namespace stemdex {

constexpr int kMaxRank = 8;

enum class BinaryOp : int32_t {
  kAdd = 0,
  kSub = 1,
  kMul = 2,
  kDiv = 3,
  kSquaredDifference = 4,
  kMaximum = 5,
  kMinimum = 6,
  kPow = 7,
};
constexpr int32_t kBinaryOpCount = 8;

enum class UnaryOp : int32_t {
  kExp = 0,
  kLog = 1,
  kNeg = 2,
  kSquare = 3,
  kSqrt = 4,
  kRsqrt = 5,
  kErf = 6,
  kTanh = 7,
  kSigmoid = 8,
  kRelu = 9,
  kRelu6 = 10,
  kElu = 11,
  kLeakyRelu = 12,  // uses alpha
  kAbs = 13,
  kReciprocal = 14,
  kStep = 15,  // uses alpha
};
constexpr int32_t kUnaryOpCount = 16;

// A broadcasting layout: the output shape plus, for each operand, the element stride of every
// output dimension (0 where the operand is broadcast along it).
struct BroadcastLayout {
  int rank;
  int64_t shape[kMaxRank];
  int64_t stride_a[kMaxRank];
  int64_t stride_b[kMaxRank];
};

void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastLayout& layout);
void unary(UnaryOp op, const float* x, float* out, int64_t size, float alpha);

}  // namespace stemdex
