// A tiny persistent thread pool shared by every kernel of the addon. OpenBLAS itself is kept
// single-threaded (its pthread workers busy-wait between calls and would fight this pool for the
// same cores); GEMMs are split across this pool instead.
#pragma once
#include <cstdint>
#include <functional>

namespace stemdex {

void set_num_threads(int threads);
int num_threads();

// Calls body(begin, end) on disjoint contiguous chunks covering [0, count), one chunk per thread.
// Runs inline when the work is too small to be worth waking the other threads.
void parallel_for(int64_t count, int64_t min_count_per_thread,
                  const std::function<void(int64_t, int64_t)>& body);

}  // namespace stemdex
