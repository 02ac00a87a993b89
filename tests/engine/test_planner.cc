// test_planner.cc - memory-plan invariants on every model of the corpora (values alive at the
// same time never overlap; the arena is no larger than the sum of all buffers), plan caching per
// input shape, and plan-time evaluation of shape chains.
#include <gtest/gtest.h>

#include <filesystem>

#include "engine/plan.hpp"
#include "tests/util/model_builder.hpp"
#include "tests/util/test_env.hpp"

using namespace rtml;
using namespace rtml::test;
namespace fs = std::filesystem;

namespace {

// Checks the invariants of one plan; returns the number of violations.
int check_plan(const Plan& p, const std::string& what) {
  int bad = 0;
  size_t sum = 0;
  for (size_t a = 0; a < p.buffers.size(); ++a) {
    const auto& A = p.buffers[a];
    sum += A.bytes;
    EXPECT_LE(A.offset + A.bytes, p.arena_bytes) << what;
    EXPECT_EQ(A.offset % 64, 0u) << what;
    for (size_t b = a + 1; b < p.buffers.size(); ++b) {
      const auto& B = p.buffers[b];
      bool live_together = A.first <= B.last && B.first <= A.last;
      bool overlap = A.bytes && B.bytes && A.offset < B.offset + B.bytes && B.offset < A.offset + A.bytes;
      if (live_together && overlap) {
        ++bad;
        ADD_FAILURE() << what << ": buffers " << a << " and " << b << " overlap while both alive";
      }
    }
  }
  EXPECT_LE(p.arena_bytes, sum) << what;
  return bad;
}

}  // namespace

TEST(Planner, InvariantsOnEveryCorpusModel) {
  std::string shared = shared_dir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent (set RTML_SHARED_DIR): planner invariants not checked on the corpora";
  int planned = 0, with_reuse = 0;
  for (const char* corpus : {"models", "conformance"}) {
    for (auto it = fs::recursive_directory_iterator(fs::path(shared) / corpus); it != fs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file() || it->path().filename() != "model.onnx") continue;
      fs::path dir = it->path().parent_path();
      auto m = Model::load(it->path().string());
      if (!m.ok()) continue;
      std::vector<Tensor> in;
      std::vector<TensorView> views;
      bool ok = true;
      for (size_t i = 0; i < m.value()->inputs().size(); ++i) {
        auto t = read_tensor_file((dir / "test_data_set_0" / ("input_" + std::to_string(i) + ".pb")).string());
        if (!t.ok()) {
          ok = m.value()->inputs()[i].has_default;
          views.emplace_back();
          in.emplace_back();
          if (!ok) break;
          views.back() = m.value()->impl().graph.values[m.value()->impl().graph.inputs[i]].constant->view();
          continue;
        }
        in.push_back(std::move(t.value()));
        views.push_back(in.back().view());
      }
      if (!ok) continue;
      auto plan = build_plan(m.value()->impl(), views.data(), 1);
      if (!plan.ok()) continue;  // inputs the model refuses are the conformance runner's business
      ++planned;
      check_plan(*plan.value(), dir.string());
      if (plan.value()->arena_bytes < plan.value()->buffer_bytes_sum) ++with_reuse;
    }
  }
  EXPECT_GT(planned, 100);
  EXPECT_GT(with_reuse, 0) << "no plan reused any memory";
  std::printf("planned %d models, %d with memory reuse\n", planned, with_reuse);
}

TEST(Planner, ChainReusesMemoryAndStaysCorrect) {
  // x -> Relu -> Neg -> Relu -> Neg -> Abs: five values of the same size, at most two alive.
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 1000});
  b.node("Relu", {"x"}, {"a"});
  b.node("Neg", {"a"}, {"b"});
  b.node("Relu", {"b"}, {"c"});
  b.node("Neg", {"c"}, {"d"});
  b.node("Abs", {"d"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load(ModelOptions{1, false});
  ASSERT_TRUE(m);
  std::vector<float> x(2000);
  for (int i = 0; i < 2000; ++i) x[i] = static_cast<float>(i % 7) - 3;
  Tensor xt = make_f32({2, 1000}, x);
  TensorView v = xt.view();
  auto plan = build_plan(m->impl(), &v, 1);
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  check_plan(*plan.value(), "chain");
  EXPECT_LE(plan.value()->arena_bytes, 3 * 8000u) << "a chain should need at most ~2 live buffers (+ pinned output)";
  auto out = run(m, {xt});
  ASSERT_EQ(out.size(), 1u);
  for (int i = 0; i < 2000; ++i) ASSERT_EQ(out[0].data<float>()[i], 0.0f) << i;  // relu(-relu(x)) = 0
}

TEST(Planner, NewShapeGetsANewPlanAndOldOnesAreCached) {
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 3});
  b.node("Relu", {"x"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  Session s(m);
  std::vector<Value> out(1);
  for (int rows : {1, 5, 1, 5, 9}) {
    Tensor x = make_f32({rows, 3}, std::vector<float>(rows * 3, -1.5f));
    TensorView v = x.view();
    ASSERT_TRUE(s.run({&v, 1}, out).ok());
    EXPECT_EQ(out[0].tensor.shape[0], rows);
    EXPECT_EQ(out[0].tensor.as<float>()[rows * 3 - 1], 0.0f);
  }
}

TEST(Planner, ShapeChainIsComputedWhilePlanning) {
  // The exporters' Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain, with a dynamic batch.
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 2, 3});
  b.initializer("zero", make_i64({}, {0}));
  b.initializer("axes", make_i64({1}, {0}));
  b.initializer("minus1", make_i64({1}, {-1}));
  b.node("Shape", {"x"}, {"s"});
  b.node("Gather", {"s", "zero"}, {"n"}, {A::i64("axis", 0)});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  b.node("Concat", {"n1", "minus1"}, {"shape"}, {A::i64("axis", 0)});
  b.node("Reshape", {"x", "shape"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  for (int rows : {1, 4}) {
    std::vector<float> x(rows * 6);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
    auto out = run(m, {make_f32({rows, 2, 3}, x)});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].shape(), (Shape{rows, 6}));
    EXPECT_EQ(out[0].data<float>()[rows * 6 - 1], rows * 6 - 1.0f);
  }
}

TEST(Planner, ShapeInputFromTheCallerKeysThePlan) {
  ModelBuilder b;
  b.input("x", DType::F32, {6});
  b.input("shape", DType::I64, {2});
  b.node("Reshape", {"x", "shape"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  Tensor x = make_f32({6}, {1, 2, 3, 4, 5, 6});
  auto a = run(m, {x, make_i64({2}, {2, 3})});
  auto c = run(m, {x, make_i64({2}, {3, 2})});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(a[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(c[0].shape(), (Shape{3, 2}));
}
