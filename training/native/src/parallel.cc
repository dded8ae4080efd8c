#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace stemdex {
namespace {

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(std::max(1, threads)) {
    for (int worker = 1; worker < threads_; ++worker) {
      std::thread([this, worker] { WorkerLoop(worker); }).detach();
    }
  }

  // Workers are detached and the pool is never destroyed: tearing down threads blocked on a
  // condition variable during process exit is undefined behaviour, leaking them is not.
  void Retire() {
    std::lock_guard<std::mutex> lock(mutex_);
    retired_ = true;
    wake_.notify_all();
  }

  int threads() const { return threads_; }

  void Run(int chunks, const std::function<void(int)>& chunk_body) {
    // Node worker threads may share the addon; one parallel region at a time.
    std::lock_guard<std::mutex> running(run_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      body_ = &chunk_body;
      chunks_ = chunks;
      pending_ = chunks - 1;
      ++generation_;
    }
    wake_.notify_all();
    chunk_body(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    body_ = nullptr;
  }

 private:
  void WorkerLoop(int worker) {
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int)>* body;
      int chunks;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return retired_ || generation_ != seen; });
        if (retired_) return;
        seen = generation_;
        body = body_;
        chunks = chunks_;
      }
      if (worker < chunks) (*body)(worker);
      std::lock_guard<std::mutex> lock(mutex_);
      if (worker < chunks && --pending_ == 0) done_.notify_one();
    }
  }

  const int threads_;
  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* body_ = nullptr;
  int chunks_ = 0;
  int pending_ = 0;
  uint64_t generation_ = 0;
  bool retired_ = false;
};

int default_threads() {
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : static_cast<int>(hardware);
}

ThreadPool* pool = nullptr;
std::mutex pool_mutex;

ThreadPool& current_pool() {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (pool == nullptr) pool = new ThreadPool(default_threads());
  return *pool;
}

}  // namespace

void set_num_threads(int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex);
  if (pool != nullptr) {
    if (pool->threads() == threads) return;
    pool->Retire();
  }
  pool = new ThreadPool(threads);
}

int num_threads() { return current_pool().threads(); }

void parallel_for(int64_t count, int64_t min_count_per_thread,
                  const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  ThreadPool& threads = current_pool();
  const int64_t useful = std::max<int64_t>(1, count / std::max<int64_t>(1, min_count_per_thread));
  const int chunks = static_cast<int>(std::min<int64_t>(threads.threads(), useful));
  if (chunks <= 1) {
    body(0, count);
    return;
  }
  threads.Run(chunks, [&](int chunk) {
    const int64_t begin = count * chunk / chunks;
    const int64_t end = count * (chunk + 1) / chunks;
    if (begin < end) body(begin, end);
  });
}

}  // namespace stemdex
