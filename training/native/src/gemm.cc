#include "gemm.h"

#include <cblas.h>

#include <algorithm>

#include "parallel.h"

namespace stemdex {
namespace {

// Below this many multiply-adds per thread, waking the pool costs more than it saves.
constexpr int64_t kMinMacsPerThread = 1 << 18;

void sgemm(const float* a, const float* b, float* out, int64_t m, int64_t n, int64_t k, bool ta, bool tb,
           int64_t lda, int64_t ldb, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a,
              lda, b, ldb, 0.0f, out, ldc);
}

// One matrix product split into row (or column) slabs, one per thread; each slab is an
// independent single-threaded sgemm on a sub-view of the operands.
void split_matmul(const float* a, const float* b, float* out, int64_t m, int64_t n, int64_t k, bool ta,
                  bool tb) {
  const int64_t lda = ta ? m : k;
  const int64_t ldb = tb ? k : n;
  if (m >= n) {
    parallel_for(m, std::max<int64_t>(1, kMinMacsPerThread / std::max<int64_t>(1, n * k)),
                 [&](int64_t begin, int64_t end) {
                   const float* a_rows = ta ? a + begin : a + begin * k;
                   sgemm(a_rows, b, out + begin * n, end - begin, n, k, ta, tb, lda, ldb, n);
                 });
  } else {
    parallel_for(n, std::max<int64_t>(1, kMinMacsPerThread / std::max<int64_t>(1, m * k)),
                 [&](int64_t begin, int64_t end) {
                   const float* b_cols = tb ? b + begin * k : b + begin;
                   sgemm(a, b_cols, out + begin, m, end - begin, k, ta, tb, lda, ldb, n);
                 });
  }
}

bool is_identity(const int32_t* index, int64_t batch) {
  for (int64_t i = 0; i < batch; ++i) {
    if (index[i] != i) return false;
  }
  return true;
}

bool is_constant(const int32_t* index, int64_t batch) {
  for (int64_t i = 1; i < batch; ++i) {
    if (index[i] != index[0]) return false;
  }
  return true;
}

}  // namespace

void batched_matmul(const float* a, const float* b, float* out, const GemmShape& s, const int32_t* a_index,
                    const int32_t* b_index) {
  if (s.batch == 0 || s.m == 0 || s.n == 0) return;
  if (s.k == 0) {
    std::fill(out, out + s.batch * s.m * s.n, 0.0f);
    return;
  }
  const int64_t a_size = s.m * s.k;
  const int64_t b_size = s.k * s.n;
  const int64_t out_size = s.m * s.n;
  // [batch, m, k] x [k, n]: the batch folds into the rows of one large, efficient GEMM.
  if (!s.transpose_a && is_identity(a_index, s.batch) && is_constant(b_index, s.batch)) {
    split_matmul(a, b + b_index[0] * b_size, out, s.batch * s.m, s.n, s.k, false, s.transpose_b);
    return;
  }
  const int64_t macs_per_matrix = s.m * s.n * s.k;
  const int threads = num_threads();
  if (s.batch >= threads && macs_per_matrix * threads < kMinMacsPerThread * 64) {
    // Many small products (attention heads): one thread per group of whole matrices.
    parallel_for(s.batch, std::max<int64_t>(1, kMinMacsPerThread / std::max<int64_t>(1, macs_per_matrix)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t i = begin; i < end; ++i) {
                     sgemm(a + a_index[i] * a_size, b + b_index[i] * b_size, out + i * out_size, s.m, s.n, s.k,
                           s.transpose_a, s.transpose_b, s.transpose_a ? s.m : s.k,
                           s.transpose_b ? s.k : s.n, s.n);
                   }
                 });
    return;
  }
  for (int64_t i = 0; i < s.batch; ++i) {
    split_matmul(a + a_index[i] * a_size, b + b_index[i] * b_size, out + i * out_size, s.m, s.n, s.k,
                 s.transpose_a, s.transpose_b);
  }
}

}  // namespace stemdex
