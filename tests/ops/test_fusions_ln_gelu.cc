// test_fusions_ln_gelu.cc - the LayerNorm and GELU fusions: each spelled-out pattern (in the orders
// exporters emit) becomes one node, and the fused graph's outputs match the unfused graph's
// (ModelOptions{.optimize = false}); patterns that must not fuse are left alone.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "engine/model_impl.hpp"
#include "engine/op.hpp"
#include "tests/util/model_builder.hpp"
#include "tests/util/test_env.hpp"

namespace rtml::test {
namespace {

std::vector<float> randv(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-4, 4);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

Tensor scalar(float v) { return make_f32({}, {v}); }

// The unfused graphs need the core element-wise and reduction ops (other op families).
bool core_ops_present(std::initializer_list<const char*> ops) {
  for (const char* op : ops)
    if (!OpRegistry::global().knows("", op)) return false;
  return true;
}
#define RTML_NEED_CORE_OPS(...)                                                        \
  if (!core_ops_present({__VA_ARGS__})) GTEST_SKIP() << "core ops missing from this build"

// The ops of the optimised graph, "domain:op" or "op".
std::vector<std::string> ops_of(const Model& m) {
  std::vector<std::string> r;
  for (const Node& n : m.impl().graph.nodes) r.push_back(n.domain.empty() ? n.op_type : n.domain + ":" + n.op_type);
  return r;
}

bool has(const std::vector<std::string>& ops, const std::string& op) {
  return std::find(ops.begin(), ops.end(), op) != ops.end();
}

// Loads `b` fused and unfused, runs both on x [rows, cols], compares; returns the fused op list.
std::vector<std::string> check_same(const ModelBuilder& b, int64_t rows, int64_t cols, double rtol = 1e-5) {
  auto fused = b.load();
  auto plain = b.load(ModelOptions{.threads = 0, .optimize = false});
  if (!fused || !plain) return {};
  auto x = randv(rows * cols, static_cast<unsigned>(rows * 31 + cols));
  auto a = run(fused, {make_f32({rows, cols}, x)});
  auto p = run(plain, {make_f32({rows, cols}, x)});
  EXPECT_EQ(a.size(), p.size());
  if (a.empty() || p.empty()) return {};
  EXPECT_EQ(a[0].shape(), p[0].shape());
  for (int64_t i = 0; i < a[0].numel(); ++i) {
    const float w = p[0].data<float>()[i];
    EXPECT_NEAR(a[0].data<float>()[i], w, 1e-6 + rtol * std::fabs(w)) << i;
  }
  return ops_of(*fused);
}

TEST(FuseGelu, TorchErfForm) {
  RTML_NEED_CORE_OPS("Div", "Mul", "Add", "Erf");
  for (int64_t opset : {13, 17, 20}) {
    ModelBuilder b;
    b.opset("", opset).input("x", DType::F32, {-1, 7}).output("y", DType::F32);
    b.initializer("c", scalar(1.4142135f)).initializer("one", scalar(1.0f)).initializer("half", scalar(0.5f));
    b.node("Div", {"x", "c"}, {"d"}).node("Erf", {"d"}, {"e"}).node("Add", {"e", "one"}, {"a"});
    b.node("Mul", {"x", "a"}, {"m"}).node("Mul", {"m", "half"}, {"y"});
    auto ops = check_same(b, 5, 7);
    ASSERT_EQ(ops.size(), 1u) << opset;
    EXPECT_EQ(ops[0], opset >= 20 ? "Gelu" : "rtml:Gelu");
  }
}

TEST(FuseGelu, OtherOrders) {
  RTML_NEED_CORE_OPS("Div", "Mul", "Add", "Erf");
  {  // Mul by 1/sqrt(2), 1 + erf, (x * 0.5) * (...)
    ModelBuilder b;
    b.opset("", 17).input("x", DType::F32, {-1, 3}).output("y", DType::F32);
    b.initializer("c", scalar(0.70710677f)).initializer("one", scalar(1.0f)).initializer("half", scalar(0.5f));
    b.node("Mul", {"c", "x"}, {"d"}).node("Erf", {"d"}, {"e"}).node("Add", {"one", "e"}, {"a"});
    b.node("Mul", {"x", "half"}, {"h"}).node("Mul", {"h", "a"}, {"y"});
    auto ops = check_same(b, 257, 3);
    EXPECT_EQ(ops, std::vector<std::string>{"rtml:Gelu"});
  }
  {  // x * ((1 + erf) * 0.5)
    ModelBuilder b;
    b.opset("", 17).input("x", DType::F32, {-1, 3}).output("y", DType::F32);
    b.initializer("c", scalar(1.4142135f)).initializer("one", scalar(1.0f)).initializer("half", scalar(0.5f));
    b.node("Div", {"x", "c"}, {"d"}).node("Erf", {"d"}, {"e"}).node("Add", {"e", "one"}, {"a"});
    b.node("Mul", {"a", "half"}, {"h"}).node("Mul", {"x", "h"}, {"y"});
    auto ops = check_same(b, 1, 3);
    EXPECT_EQ(ops, std::vector<std::string>{"rtml:Gelu"});
  }
}

TEST(FuseGelu, TanhForm) {
  RTML_NEED_CORE_OPS("Pow", "Mul", "Add", "Tanh");
  for (bool pow_form : {true, false}) {
    ModelBuilder b;
    b.opset("", 17).input("x", DType::F32, {-1, 17}).output("y", DType::F32);
    b.initializer("half", scalar(0.5f)).initializer("three", scalar(3.0f)).initializer("k", scalar(0.044715f));
    b.initializer("c", scalar(0.7978845608f)).initializer("one", scalar(1.0f));
    b.node("Mul", {"x", "half"}, {"h"});
    if (pow_form) {
      b.node("Pow", {"x", "three"}, {"p"});
    } else {
      b.node("Mul", {"x", "x"}, {"sq"}).node("Mul", {"sq", "x"}, {"p"});
    }
    b.node("Mul", {"k", "p"}, {"kp"}).node("Add", {"x", "kp"}, {"s"}).node("Mul", {"s", "c"}, {"t"});
    b.node("Tanh", {"t"}, {"th"}).node("Add", {"th", "one"}, {"a"}).node("Mul", {"h", "a"}, {"y"});
    auto ops = check_same(b, 3, 17);
    EXPECT_EQ(ops, std::vector<std::string>{"rtml:Gelu"}) << pow_form;
  }
}

TEST(FuseGelu, LeftAloneWhenAnIntermediateIsReadElsewhereOrConstantsDiffer) {
  RTML_NEED_CORE_OPS("Div", "Mul", "Add", "Erf");
  {
    ModelBuilder b;  // the Erf output is also a graph output
    b.opset("", 17).input("x", DType::F32, {-1, 3}).output("y", DType::F32).output("e", DType::F32);
    b.initializer("c", scalar(1.4142135f)).initializer("one", scalar(1.0f)).initializer("half", scalar(0.5f));
    b.node("Div", {"x", "c"}, {"d"}).node("Erf", {"d"}, {"e"}).node("Add", {"e", "one"}, {"a"});
    b.node("Mul", {"x", "a"}, {"m"}).node("Mul", {"m", "half"}, {"y"});
    auto m = b.load();
    ASSERT_TRUE(m);
    EXPECT_TRUE(has(ops_of(*m), "Erf"));
    EXPECT_FALSE(has(ops_of(*m), "rtml:Gelu"));
  }
  {
    ModelBuilder b;  // 0.6 instead of 0.5
    b.opset("", 17).input("x", DType::F32, {-1, 3}).output("y", DType::F32);
    b.initializer("c", scalar(1.4142135f)).initializer("one", scalar(1.0f)).initializer("half", scalar(0.6f));
    b.node("Div", {"x", "c"}, {"d"}).node("Erf", {"d"}, {"e"}).node("Add", {"e", "one"}, {"a"});
    b.node("Mul", {"x", "a"}, {"m"}).node("Mul", {"m", "half"}, {"y"});
    auto ops = check_same(b, 2, 3);
    EXPECT_TRUE(has(ops, "Erf"));
    EXPECT_FALSE(has(ops, "rtml:Gelu"));
  }
}

// ReduceMean -> Sub -> Pow|Mul -> ReduceMean -> Add eps -> Sqrt -> Div [-> Mul gamma -> Add beta]
void layernorm_graph(ModelBuilder& b, int64_t opset, int64_t cols, bool affine, bool square_by_mul) {
  b.opset("", opset).input("x", DType::F32, {-1, cols}).output("y", DType::F32);
  b.initializer("two", scalar(2.0f)).initializer("eps", scalar(1e-5f));
  std::vector<std::string> rm_in = {"x"};
  std::vector<A> rm_attr;
  if (opset >= 18) b.initializer("axes", make_i64({1}, {-1}));
  else rm_attr.push_back(A::i64s("axes", {-1}));
  auto rm = [&](const std::string& in, const std::string& out) {
    if (opset >= 18) b.node("ReduceMean", {in, "axes"}, {out});
    else b.node("ReduceMean", {in}, {out}, rm_attr);
  };
  rm("x", "mean");
  b.node("Sub", {"x", "mean"}, {"d"});
  if (square_by_mul) b.node("Mul", {"d", "d"}, {"sq"});
  else b.node("Pow", {"d", "two"}, {"sq"});
  rm("sq", "var");
  b.node("Add", {"var", "eps"}, {"ve"}).node("Sqrt", {"ve"}, {"sd"}).node("Div", {"d", "sd"}, {affine ? "n" : "y"});
  if (affine) {
    b.initializer("gamma", make_f32({cols}, randv(cols, 3))).initializer("beta", make_f32({cols}, randv(cols, 4)));
    b.node("Mul", {"n", "gamma"}, {"g"}).node("Add", {"beta", "g"}, {"y"});
  }
}

TEST(FuseLayerNorm, ExporterPatterns) {
  RTML_NEED_CORE_OPS("ReduceMean", "Sub", "Pow", "Mul", "Add", "Sqrt", "Div");
  for (int64_t opset : {13, 17, 18})
    for (bool affine : {true, false})
      for (bool by_mul : {false, true}) {
        ModelBuilder b;
        layernorm_graph(b, opset, 33, affine, by_mul);
        auto ops = check_same(b, 7, 33, 1e-4);
        ASSERT_EQ(ops.size(), 1u) << opset << affine << by_mul;
        EXPECT_EQ(ops[0], opset >= 17 && affine ? "LayerNormalization" : "rtml:LayerNormalization");
      }
}

TEST(FuseLayerNorm, NotOverTheWrongAxis) {
  RTML_NEED_CORE_OPS("ReduceMean", "Sub", "Pow", "Add", "Sqrt", "Div");
  ModelBuilder b;
  b.opset("", 13).input("x", DType::F32, {-1, 5}).output("y", DType::F32);
  b.initializer("two", scalar(2.0f)).initializer("eps", scalar(1e-5f));
  b.node("ReduceMean", {"x"}, {"mean"}, {A::i64s("axes", {0})});
  b.node("Sub", {"x", "mean"}, {"d"}).node("Pow", {"d", "two"}, {"sq"});
  b.node("ReduceMean", {"sq"}, {"var"}, {A::i64s("axes", {0})});
  b.node("Add", {"var", "eps"}, {"ve"}).node("Sqrt", {"ve"}, {"sd"}).node("Div", {"d", "sd"}, {"y"});
  auto ops = check_same(b, 4, 5, 1e-4);
  EXPECT_TRUE(has(ops, "ReduceMean"));
}

TEST(FuseLayerNormGelu, TorchMlpModelRunsFusedKernels) {
  RTML_NEED_CORE_OPS("Gemm", "Div", "Mul", "Add", "Erf");
  const std::string dir = shared_dir();
  if (dir.empty()) GTEST_SKIP() << "../shared is absent";
  const std::string md = dir + "/models/torch_mlp_gelu_ln";
  auto fused = Model::load(md + "/model.onnx");
  ASSERT_TRUE(fused.ok()) << fused.status().message();
  auto ops = ops_of(*fused.value());
  EXPECT_TRUE(has(ops, "LayerNormalization"));
  EXPECT_TRUE(has(ops, "rtml:Gelu"));
  EXPECT_FALSE(has(ops, "Erf"));
  for (int ds = 0; ds < 2; ++ds) {
    const std::string d = md + "/test_data_set_" + std::to_string(ds);
    if (!std::ifstream(d + "/input_0.pb")) continue;
    auto in = read_tensor_file(d + "/input_0.pb");
    auto want = read_tensor_file(d + "/output_0.pb");
    ASSERT_TRUE(in.ok() && want.ok());
    auto got = run(fused.value(), {in.value()});
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].shape(), want.value().shape());
    for (int64_t i = 0; i < got[0].numel(); ++i) {
      const float w = want.value().data<float>()[i];
      ASSERT_NEAR(got[0].data<float>()[i], w, 1e-5 + 1e-4 * std::fabs(w)) << i;
    }
  }
}

}  // namespace
}  // namespace rtml::test
