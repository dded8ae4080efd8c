#include "transpose.h"

#include <algorithm>
#include <cstring>

#include "parallel.h"

namespace stemdex {
namespace {
constexpr int64_t kMinElementsPerThread = 1 << 15;
}

void transpose(const float* x, float* out, int rank, const int64_t* shape, const int64_t* source_stride) {
  const int last = rank - 1;
  const int64_t inner = shape[last];
  const int64_t inner_stride = source_stride[last];
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) total *= shape[d];
  parallel_for(total, kMinElementsPerThread, [&](int64_t begin, int64_t end) {
    int64_t coord[kMaxRank];
    int64_t rest = begin;
    int64_t offset = 0;
    for (int d = last; d >= 0; --d) {
      coord[d] = rest % shape[d];
      rest /= shape[d];
      offset += coord[d] * source_stride[d];
    }
    int64_t index = begin;
    while (index < end) {
      const int64_t run = std::min(inner - coord[last], end - index);
      if (inner_stride == 1) {
        std::memcpy(out + index, x + offset, run * sizeof(float));
      } else {
        for (int64_t i = 0; i < run; ++i) out[index + i] = x[offset + i * inner_stride];
      }
      index += run;
      offset += run * inner_stride;
      coord[last] += run;
      for (int d = last; d > 0 && coord[d] == shape[d]; --d) {
        coord[d] = 0;
        offset -= shape[d] * source_stride[d];
        ++coord[d - 1];
        offset += source_stride[d - 1];
      }
    }
  });
}

void strided_copy(const float* x, float* out, int rank, const int64_t* shape, const int64_t* source_stride,
                  const int64_t* dest_stride) {
  const int last = rank - 1;
  const int64_t inner = shape[last];
  int64_t rows = 1;
  for (int d = 0; d < last; ++d) rows *= shape[d];
  parallel_for(rows, std::max<int64_t>(1, kMinElementsPerThread / std::max<int64_t>(1, inner)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t row = begin; row < end; ++row) {
                   int64_t rest = row;
                   int64_t from = 0, to = 0;
                   for (int d = last - 1; d >= 0; --d) {
                     const int64_t coord = rest % shape[d];
                     rest /= shape[d];
                     from += coord * source_stride[d];
                     to += coord * dest_stride[d];
                   }
                   if (source_stride[last] == 1 && dest_stride[last] == 1) {
                     std::memcpy(out + to, x + from, inner * sizeof(float));
                   } else {
                     for (int64_t i = 0; i < inner; ++i) out[to + i * dest_stride[last]] = x[from + i * source_stride[last]];
                   }
                 }
               });
}

}  // namespace stemdex
