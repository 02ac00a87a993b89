// threadpool.cc - a pool whose workers sleep on a condition variable (0% CPU when idle), started
// on first parallel use; and the per-run string arena.
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/op.hpp"

namespace rtml {

struct ThreadPool::Impl {
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  bool stop = false;
  uint64_t generation = 0;
  // The current job.
  const FunctionRef<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunk = 0;
  int chunks = 0;
  std::atomic<int> next{0};
  int remaining = 0;

  void work() {
    for (;;) {
      int c = next.fetch_add(1);
      if (c >= chunks) return;
      int64_t b = c * chunk, e = std::min(n, b + chunk);
      (*fn)(b, e);
      std::lock_guard<std::mutex> lock(mu);
      if (--remaining == 0) done.notify_all();
    }
  }
  void loop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return stop || generation != seen; });
      if (stop) return;
      seen = generation;
      lock.unlock();
      work();
      lock.lock();
    }
  }
};

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), impl_(std::make_unique<Impl>()) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->workers) t.join();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int64_t chunks = std::min<int64_t>(threads_, (n + grain - 1) / grain);
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  Impl& p = *impl_;
  if (p.workers.empty())
    for (int i = 1; i < threads_; ++i) p.workers.emplace_back([&p] { p.loop(); });
  {
    std::lock_guard<std::mutex> lock(p.mu);
    p.fn = &fn;
    p.n = n;
    p.chunk = (n + chunks - 1) / chunks;
    p.chunks = static_cast<int>((n + p.chunk - 1) / p.chunk);
    p.remaining = p.chunks;
    p.next.store(0);
    ++p.generation;
  }
  p.wake.notify_all();
  p.work();
  std::unique_lock<std::mutex> lock(p.mu);
  p.done.wait(lock, [&] { return p.remaining == 0; });
  p.fn = nullptr;
}

// ---- StringArena ----

// Chunks of at least 64 KiB: few allocations, and a warm session makes none.
constexpr size_t kChunkBytes = 64 << 10;

StrRef StringArena::add(std::string_view s) {
  if (s.empty()) return StrRef{"", 0};
  while (chunk_ < chunks_.size() && used_ + s.size() > chunks_[chunk_].size) {
    ++chunk_;
    used_ = 0;
  }
  if (chunk_ == chunks_.size()) {
    size_t size = std::max(kChunkBytes, s.size());
    chunks_.push_back(Chunk{static_cast<char*>(std::malloc(size)), size});
    used_ = 0;
  }
  char* dst = chunks_[chunk_].data + used_;
  std::memcpy(dst, s.data(), s.size());
  used_ += s.size();
  return StrRef{dst, s.size()};
}

void StringArena::reset() { chunk_ = 0, used_ = 0; }

StringArena::~StringArena() {
  for (auto& c : chunks_) std::free(c.data);
}

}  // namespace rtml
