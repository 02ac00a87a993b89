// test_threads.cc - one Model shared by 8 threads, each with its own Session, every output checked
// against a single-threaded reference; and Sessions with a thread pool of 2.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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
