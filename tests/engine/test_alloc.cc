// test_alloc.cc - zero heap allocations per run once warm: this binary replaces the global
// operator new/delete and counts, over 1000 runs of a real converter model and of a conformance
// model with several intermediate values.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>

#include "tests/util/model_builder.hpp"
#include "tests/util/test_env.hpp"

static std::atomic<long> g_news{0};
void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  g_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace rtml;
namespace fs = std::filesystem;

static long allocs_over_runs(const std::string& dir, int runs) {
  auto m = Model::load(dir + "/model.onnx");
  EXPECT_TRUE(m.ok()) << dir << ": " << m.status().message();
  if (!m.ok()) return -1;
  std::vector<Tensor> in;
  std::vector<TensorView> views;
  for (size_t i = 0; i < m.value()->inputs().size(); ++i) {
    auto t = read_tensor_file(dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb");
    EXPECT_TRUE(t.ok()) << t.status().message();
    in.push_back(std::move(t.value()));
  }
  for (auto& t : in) views.push_back(t.view());
  Session s(m.value());
  std::vector<Value> out(m.value()->outputs().size());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(s.run(views, out).ok());  // warm: plan, arena, strings
  long before = g_news.load();
  for (int i = 0; i < runs; ++i)
    if (!s.run(views, out).ok()) return -2;
  return g_news.load() - before;
}

TEST(Allocations, ZeroPerRunOnConverterModels) {
  std::string shared = rtml::test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR): allocation count not checked";
  int checked = 0;
  for (const char* name : {"pipe_scaler_logreg_wine", "rf_cls_breast_cancer", "mlp_cls_digits", "coltrans_ohe_rf",
                           "logreg_multi_iris_zipmap", "torch_mlp_gelu_ln"}) {
    std::string dir = shared + "/models/" + name;
    auto probe = Model::load(dir + "/model.onnx");
    if (!probe.ok()) continue;  // an op family not built yet: the conformance runner reports it
    EXPECT_EQ(allocs_over_runs(dir, 1000), 0) << name;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(Allocations, ZeroPerRunOnAMultiNodeConformanceModel) {
  std::string shared = rtml::test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR): allocation count not checked";
  // Softmax spelled out as ReduceMax, Sub, Exp, ReduceSum, Div: several intermediate values.
  std::string dir = shared + "/conformance/onnx-node/test_softmax_axis_1_expanded";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  EXPECT_EQ(allocs_over_runs(dir, 1000), 0);
}
