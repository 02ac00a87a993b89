// test_threads.cc - one Model shared by 8 threads, each with its own Session, every output checked
// against a single-threaded reference; and Sessions with a thread pool of 2.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/util/model_builder.hpp"
#include "tests/util/test_env.hpp"
#include "engine/op.hpp"

using namespace rtml;
using namespace rtml::test;

TEST(Threads, EightThreadsShareOneModel) {
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 16});
  b.initializer("w", make_f32({16}, std::vector<float>(16, 0.5f)));
  b.node("Mul", {"x", "w"}, {"a"});
  b.node("Relu", {"a"}, {"b"});
  b.node("ReduceSum", {"b"}, {"y"}, {A::i64("keepdims", 0), A::i64s("axes", {1})});
  b.output("y", DType::F32);
  b.opset("", 11);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      Session s(m);
      std::vector<Value> out(1);
      for (int it = 0; it < 300; ++it) {
        int rows = 1 + (it + t) % 5;
        std::vector<float> x(rows * 16);
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7 + t + it) % 11) - 4;
        Tensor xt = make_f32({rows, 16}, x);
        TensorView v = xt.view();
        if (!s.run({&v, 1}, out).ok()) {
          ++wrong;
          continue;
        }
        for (int r = 0; r < rows; ++r) {
          float want = 0;
          for (int c = 0; c < 16; ++c) want += std::max(0.0f, x[r * 16 + c] * 0.5f);
          if (out[0].tensor.as<float>()[r] != want) ++wrong;
        }
        ++done;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(done.load(), 8 * 300);
}

TEST(Threads, RealModelFromEightThreads) {
  std::string shared = shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR)";
  std::string dir = shared + "/models/rf_cls_breast_cancer";
  auto m = Model::load(dir + "/model.onnx", ModelOptions{2, true});
  if (!m.ok()) GTEST_SKIP() << "tree ops not built: " << m.status().message();
  auto in = read_tensor_file(dir + "/test_data_set_1/input_0.pb");
  ASSERT_TRUE(in.ok());
  TensorView v = in.value().view();
  Session ref(m.value());
  std::vector<Value> ro(2);
  ASSERT_TRUE(ref.run({&v, 1}, ro).ok());
  Tensor want_label = Tensor::from_view(ro[0].tensor), want_prob = Tensor::from_view(ro[1].tensor);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      Session s(m.value());
      std::vector<Value> out(2);
      for (int it = 0; it < 50; ++it) {
        if (!s.run({&v, 1}, out).ok()) {
          ++wrong;
          continue;
        }
        if (!Tensor::from_view(out[0].tensor).same_as(want_label) || !Tensor::from_view(out[1].tensor).same_as(want_prob)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// The pool itself: back-to-back jobs (workers still spinning from the last one), jobs after a
// pause (workers asleep), every size of job; each index is visited exactly once per job.
TEST(Threads, PoolCoversEveryIndexOnceAcrossSpinAndSleep) {
  for (int threads : {2, 3, 4}) {
    rtml::ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(257);
    for (int job = 0; job < 400; ++job) {
      const int64_t n = 1 + (job * 37) % 257;
      for (int64_t i = 0; i < n; ++i) hits[i].store(0);
      pool.parallel_for(n, 1, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " job " << job << " index " << i;
      if (job % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(2));  // past the spin: workers sleep
    }
  }
}

// Dynamic tasks: every task runs once, the worker index is below threads() and no two tasks
// running at the same time share one (per-thread scratch relies on it), and a second pool called
// from inside the first's worker numbers that thread 0 of its own call.
TEST(Threads, PoolTasksRunOnceWithDistinctWorkers) {
  for (int threads : {1, 2, 3}) {
    rtml::ThreadPool pool(threads);
    std::vector<std::atomic<int>> hits(200);
    std::vector<std::atomic<int>> busy(static_cast<size_t>(threads));
    std::atomic<int> clashes{0}, bad_index{0};
    for (int job = 0; job < 200; ++job) {
      const int64_t n = 1 + (job * 13) % 200;
      for (int64_t i = 0; i < n; ++i) hits[i].store(0);
      pool.parallel_tasks(n, [&](int64_t t, int w) {
        if (w < 0 || w >= threads) {
          bad_index.fetch_add(1);
          return;
        }
        if (busy[w].fetch_add(1) != 0) clashes.fetch_add(1);
        hits[t].fetch_add(1);
        for (volatile int spin = 0; spin < 200; spin = spin + 1) {
        }
        busy[w].fetch_sub(1);
      });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "threads " << threads << " job " << job << " task " << i;
      if (job % 50 == 49) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_EQ(clashes.load(), 0);
    EXPECT_EQ(bad_index.load(), 0);
  }
  // Pool `inner` used (one caller at a time) from both threads of pool `outer`: outer's worker is
  // worker 0 of inner's call, never inner's worker 1.
  rtml::ThreadPool outer(2), inner(2);
  std::mutex one_caller;
  std::atomic<int> clash{0}, bad{0};
  std::atomic<int> inner_busy[2] = {0, 0};
  for (int job = 0; job < 50; ++job) {
    outer.parallel_tasks(8, [&](int64_t, int) {
      std::lock_guard<std::mutex> lock(one_caller);
      inner.parallel_tasks(16, [&](int64_t, int w) {
        if (w < 0 || w >= 2) {
          bad.fetch_add(1);
          return;
        }
        if (inner_busy[w].fetch_add(1) != 0) clash.fetch_add(1);
        for (volatile int spin = 0; spin < 20000; spin = spin + 1) {
        }
        inner_busy[w].fetch_sub(1);
      });
    });
  }
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(clash.load(), 0);
}
