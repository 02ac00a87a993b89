// test_fusions_conv.cc - each fusion of fuse_conv_bn / fuse_bias_activation: the fused graph
// (default options) against the same graph with the passes off (ModelOptions{.optimize=false}),
// and the op counts that show the rewrite happened.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/model_impl.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml {
namespace {

using test::A;

Tensor rnd(Shape s, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor t(DType::F32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

// Op counts of the optimised graph ("Relu", "rtml:FusedConv").
std::map<std::string, int> graph_ops(const Model& m) {
  std::map<std::string, int> c;
  for (const Node& n : m.impl().graph.nodes) ++c[op_label(n)];
  return c;
}

// Runs b with and without the passes on `inputs`; outputs must agree; returns the fused op counts.
std::map<std::string, int> compare(const test::ModelBuilder& b, const std::vector<Tensor>& inputs) {
  ModelOptions plain;
  plain.optimize = false;
  auto fused = b.load();
  auto unfused = b.load(plain);
  EXPECT_TRUE(fused && unfused);
  if (!fused || !unfused) return {};
  auto yf = test::run(fused, inputs), yu = test::run(unfused, inputs);
  EXPECT_EQ(yf.size(), yu.size());
  for (size_t o = 0; o < yf.size() && o < yu.size(); ++o) {
    EXPECT_EQ(yf[o].shape(), yu[o].shape());
    for (int64_t i = 0; i < yf[o].numel() && i < yu[o].numel(); ++i) {
      const float a = yf[o].data<float>()[i], e = yu[o].data<float>()[i];
      EXPECT_NEAR(a, e, 1e-4f * (1 + std::fabs(e))) << "output " << o << " @" << i;
    }
  }
  return graph_ops(*fused);
}

TEST(FuseConvBn, FoldedWeights) {
  for (bool conv_bias : {true, false}) {
    test::ModelBuilder b;
    b.opset("", 13);
    b.input("x", DType::F32, {-1, 3, 9, 9});
    b.initializer("w", rnd({8, 3, 3, 3}, 1));
    if (conv_bias) b.initializer("cb", rnd({8}, 2));
    b.initializer("s", rnd({8}, 3, 0.5f, 2.0f));
    b.initializer("bb", rnd({8}, 4));
    b.initializer("m", rnd({8}, 5));
    b.initializer("v", rnd({8}, 6, 0.1f, 2.0f));
    std::vector<std::string> ci = {"x", "w"};
    if (conv_bias) ci.push_back("cb");
    b.node("Conv", ci, {"c"}, {A::i64s("pads", {1, 1, 1, 1})});
    b.node("BatchNormalization", {"c", "s", "bb", "m", "v"}, {"y"}, {A::f32("epsilon", 1e-3f)});
    b.output("y", DType::F32);
    auto counts = compare(b, {rnd({2, 3, 9, 9}, 7)});
    EXPECT_EQ(counts.count("BatchNormalization"), 0u);
  }
}

TEST(FuseConvBn, NotWhenConvOutputIsShared) {
  test::ModelBuilder b;
  b.input("x", DType::F32, {1, 2, 5, 5});
  b.initializer("w", rnd({4, 2, 3, 3}, 1));
  for (const char* n : {"s", "bb", "m"}) b.initializer(n, rnd({4}, 2));
  b.initializer("v", rnd({4}, 3, 0.1f, 1.0f));
  b.node("Conv", {"x", "w"}, {"c"});
  b.node("BatchNormalization", {"c", "s", "bb", "m", "v"}, {"y"});
  b.output("y", DType::F32);
  b.output("c", DType::F32);  // the Conv output is read outside the BN: no folding
  auto counts = compare(b, {rnd({1, 2, 5, 5}, 4)});
  EXPECT_EQ(counts["BatchNormalization"], 1);
}

TEST(FuseBiasActivation, ConvAddActivations) {
  const std::vector<std::pair<std::string, std::vector<A>>> acts = {
      {"Relu", {}}, {"Sigmoid", {}}, {"Tanh", {}}, {"LeakyRelu", {A::f32("alpha", 0.2f)}}, {"Clip", {}}};
  for (const auto& [act, attrs] : acts) {
    test::ModelBuilder b;
    b.opset("", 13);
    b.input("x", DType::F32, {-1, 4, 7, 7});
    b.initializer("w", rnd({6, 4, 3, 3}, 1));
    b.initializer("cb", rnd({6}, 2));
    b.initializer("add", rnd({6, 1, 1}, 3));
    b.node("Conv", {"x", "w", "cb"}, {"c"}, {A::i64s("pads", {1, 1, 1, 1})});
    b.node("Add", {"c", "add"}, {"a"});
    if (act == "Clip") {
      b.initializer("lo", test::make_f32({}, {-0.5f}));
      b.initializer("hi", test::make_f32({}, {0.7f}));
      b.node("Clip", {"a", "lo", "hi"}, {"y"});
    } else {
      b.node(act, {"a"}, {"y"}, attrs);
    }
    b.output("y", DType::F32);
    auto counts = compare(b, {rnd({2, 4, 7, 7}, 5, -2.0f, 2.0f)});
    EXPECT_EQ(counts.count(act), 0u) << act;
    EXPECT_EQ(counts.count("Add"), 0u) << act;
    EXPECT_EQ(counts["rtml:FusedConv"], 1) << act;
  }
}

TEST(FuseBiasActivation, MatMulAddRelu) {
  for (auto bias_shape : {Shape{10}, Shape{1, 10}}) {
    test::ModelBuilder b;
    b.opset("", 14);
    b.input("x", DType::F32, {-1, 17});
    b.initializer("w", rnd({17, 10}, 1));
    b.initializer("bias", rnd(bias_shape, 2));
    b.node("MatMul", {"x", "w"}, {"m"});
    b.node("Add", {"bias", "m"}, {"a"});  // bias first: Add commutes
    b.node("Relu", {"a"}, {"y"});
    b.output("y", DType::F32);
    for (int64_t rows : {1, 3, 257}) {
      auto counts = compare(b, {rnd({rows, 17}, 3)});
      EXPECT_EQ(counts["rtml:FusedMatMul"], 1);
      EXPECT_EQ(counts.count("Relu"), 0u);
    }
  }
}

TEST(FuseBiasActivation, GemmActivationAndGemmAdd) {
  {  // Gemm with C, then Tanh
    test::ModelBuilder b;
    b.input("x", DType::F32, {-1, 8});
    b.initializer("w", rnd({5, 8}, 1));
    b.initializer("c", rnd({5}, 2));
    b.node("Gemm", {"x", "w", "c"}, {"g"}, {A::i64("transB", 1), A::f32("alpha", 0.5f), A::f32("beta", 2.0f)});
    b.node("Tanh", {"g"}, {"y"});
    b.output("y", DType::F32);
    auto counts = compare(b, {rnd({3, 8}, 3)});
    EXPECT_EQ(counts["rtml:FusedGemm"], 1);
  }
  {  // Gemm without C, then Add, then LeakyRelu
    test::ModelBuilder b;
    b.input("x", DType::F32, {-1, 8});
    b.initializer("w", rnd({8, 5}, 1));
    b.initializer("bias", rnd({1, 5}, 2));
    b.node("Gemm", {"x", "w"}, {"g"});
    b.node("Add", {"g", "bias"}, {"a"});
    b.node("LeakyRelu", {"a"}, {"y"});
    b.output("y", DType::F32);
    auto counts = compare(b, {rnd({4, 8}, 3)});
    EXPECT_EQ(counts["rtml:FusedGemm"], 1);
    EXPECT_EQ(counts.count("Add"), 0u);
  }
}

TEST(FuseBiasActivation, NotWhenIntermediateIsAnOutput) {
  test::ModelBuilder b;
  b.input("x", DType::F32, {-1, 8});
  b.initializer("w", rnd({8, 5}, 1));
  b.node("MatMul", {"x", "w"}, {"m"});
  b.node("Relu", {"m"}, {"y"});
  b.output("y", DType::F32);
  b.output("m", DType::F32);
  auto counts = compare(b, {rnd({2, 8}, 3)});
  EXPECT_EQ(counts["Relu"], 1);
  EXPECT_EQ(counts.count("rtml:FusedMatMul"), 0u);
}

}  // namespace
}  // namespace rtml
