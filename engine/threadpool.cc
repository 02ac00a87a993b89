// threadpool.cc - a pool whose workers poll briefly after a job, then sleep on a condition
// variable (0% CPU when idle), started on first parallel use; and the per-run string arena.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/op.hpp"

namespace rtml {

// Why a short spin before sleeping: waking a sleeping thread costs tens of microseconds here,
// as much as a batch's whole share of work; a worker that has just finished a job polls for the
// next one for kSpin first, so back-to-back runs (a benchmark, a busy server) find it awake, and an
// idle pool still sleeps.
constexpr auto kSpin = std::chrono::microseconds(250);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The pool and index of the pool worker running on this thread (a thread calling into a pool
// that is not its own is worker 0 of that call).
thread_local const void* tl_pool = nullptr;
thread_local int tl_worker = 0;

struct ThreadPool::Impl {
  std::mutex mu;
  std::condition_variable wake, done;
  std::vector<std::thread> workers;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> generation{0};
  std::atomic<int> sleepers{0};      // workers blocked on `wake`
  std::atomic<bool> caller_waits{false};
  // The current job (written before generation is bumped, read after it is seen).
  const FunctionRef<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0, chunk = 0;
  int chunks = 0;
  std::atomic<int> next{0};
  std::atomic<int> remaining{0};     // chunks not finished
  std::atomic<int> active{0};        // workers inside work() (or checking whether they may enter)
  std::atomic<uint64_t> open{0};     // the generation workers may join; 0 once the caller closed it

  void work() {
    for (;;) {
      int c = next.fetch_add(1);
      if (c >= chunks) return;
      int64_t b = c * chunk, e = std::min(n, b + chunk);
      (*fn)(b, e);
      if (remaining.fetch_sub(1) == 1 && caller_waits.load()) {
        std::lock_guard<std::mutex> lock(mu);
        done.notify_all();
      }
    }
  }
  void loop() {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g = generation.load();
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; g == seen && !stop.load(); ++i) {
        cpu_relax();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > kSpin) break;
        g = generation.load();
      }
      if (g == seen && !stop.load()) {
        std::unique_lock<std::mutex> lock(mu);
        sleepers.fetch_add(1);
        wake.wait(lock, [&] { return stop.load() || generation.load() != seen; });
        sleepers.fetch_sub(1);
        g = generation.load();
      }
      if (stop.load()) return;
      seen = g;
      // Join only while the caller keeps this job open: a worker that saw the job late must not
      // read the next job's fields while the caller writes them.
      active.fetch_add(1);
      if (open.load() == g) work();
      active.fetch_sub(1);
    }
  }
};

ThreadPool::ThreadPool(int threads) : threads_(threads < 1 ? 1 : threads), impl_(std::make_unique<Impl>()) {}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop.store(true);
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->workers) t.join();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  run_chunks(n, std::min<int64_t>(threads_, (n + grain - 1) / grain), fn);
}

void ThreadPool::parallel_tasks(int64_t n, FunctionRef<void(int64_t, int)> fn) {
  if (n <= 0) return;
  const void* self = impl_.get();
  auto one = [&](int64_t b, int64_t e) {
    const int w = tl_pool == self ? tl_worker : 0;
    for (int64_t t = b; t < e; ++t) fn(t, w);
  };
  if (threads_ <= 1) return one(0, n);
  run_chunks(n, std::min<int64_t>(n, 1 << 30), one);
}

// fn over [0, n) in `chunks` chunks claimed one at a time by the caller and the workers.
void ThreadPool::run_chunks(int64_t n, int64_t chunks, FunctionRef<void(int64_t, int64_t)> fn) {
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  Impl& p = *impl_;
  if (p.workers.empty())
    for (int i = 1; i < threads_; ++i)
      p.workers.emplace_back([&p, i] {
        tl_pool = &p;
        tl_worker = i;
        p.loop();
      });
  p.fn = &fn;
  p.n = n;
  p.chunk = (n + chunks - 1) / chunks;
  p.chunks = static_cast<int>((n + p.chunk - 1) / p.chunk);
  p.remaining.store(p.chunks);
  p.next.store(0);
  const uint64_t g = p.generation.load() + 1;
  p.open.store(g);
  p.generation.store(g);  // publishes the job; spinning workers take it from here
  if (p.sleepers.load() > 0) {
    std::lock_guard<std::mutex> lock(p.mu);
    p.wake.notify_all();
  }
  p.work();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; p.remaining.load() != 0; ++i) {
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() - t0 > kSpin) {
      std::unique_lock<std::mutex> lock(p.mu);
      p.caller_waits.store(true);
      p.done.wait(lock, [&] { return p.remaining.load() == 0; });
      p.caller_waits.store(false);
      break;
    }
  }
  // Close the job, then wait for the workers still inside work() (they leave right after their
  // last chunk): only then may the next call rewrite the job.
  p.open.store(0);
  while (p.active.load() != 0) cpu_relax();
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
