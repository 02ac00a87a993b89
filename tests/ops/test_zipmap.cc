// test_zipmap.cc - ZipMap: its output is a sequence of maps (ValueKind::SequenceOfMaps) whose
// tensor is the [N, C] scores and whose keys are the class labels (int64 or string); the
// skl2onnx pipeline LinearClassifier -> Normalizer -> ZipMap end to end; error paths.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

const char* kMl = "ai.onnx.ml";

std::shared_ptr<const Model> zipmap_model(std::vector<A> attrs, std::vector<int64_t> dims) {
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, dims).output("z", DType::Undefined);
  b.node("ZipMap", {"x"}, {"z"}, std::move(attrs), kMl);
  return b.load();
}

TEST(ZipMap, Int64KeysBatch) {
  auto m = zipmap_model({A::i64s("classlabels_int64s", {10, 20, 30})}, {-1, 3});
  ASSERT_TRUE(m);
  ASSERT_EQ(m->outputs().size(), 1u);
  EXPECT_EQ(m->outputs()[0].kind, ValueKind::SequenceOfMaps);
  EXPECT_EQ(m->outputs()[0].map_key_dtype, DType::I64);
  for (int64_t N : {1, 3, 257}) {
    std::vector<float> x(N * 3);
    for (int64_t i = 0; i < N * 3; ++i) x[i] = 0.5f * i;
    Tensor in = make_f32({N, 3}, x);
    Session s(m);
    TensorView v = in.view();
    std::vector<Value> out(1);
    ASSERT_TRUE(s.run({&v, 1}, out).ok());
    EXPECT_EQ(out[0].kind, ValueKind::SequenceOfMaps);
    EXPECT_EQ(out[0].tensor.shape, (Shape{N, 3}));
    ASSERT_EQ(out[0].map_keys.dtype, DType::I64);
    ASSERT_EQ(out[0].map_keys.numel(), 3);
    EXPECT_EQ(out[0].map_keys.as<int64_t>()[2], 30);
    for (int64_t i = 0; i < N * 3; ++i) EXPECT_EQ(out[0].tensor.as<float>()[i], x[i]);
  }
}

TEST(ZipMap, StringKeysOneDimensionalInput) {
  auto m = zipmap_model({A::strs("classlabels_strings", {"no", "yes"})}, {2});
  ASSERT_TRUE(m);
  Tensor in = make_f32({2}, {0.25f, 0.75f});
  Session s(m);
  TensorView v = in.view();
  std::vector<Value> out(1);
  ASSERT_TRUE(s.run({&v, 1}, out).ok());
  EXPECT_EQ(out[0].tensor.shape, (Shape{1, 2}));
  ASSERT_EQ(out[0].map_keys.dtype, DType::String);
  EXPECT_EQ(out[0].map_keys.as<StrRef>()[1].view(), "yes");
  EXPECT_EQ(out[0].tensor.as<float>()[1], 0.75f);
}

TEST(ZipMap, WrongColumnsAndKeyAttributes) {
  auto m = zipmap_model({A::i64s("classlabels_int64s", {1, 2})}, {-1, -1});
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({1, 3}, {1, 2, 3})}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, {-1, 2}).output("z", DType::Undefined);
  b.node("ZipMap", {"x"}, {"z"}, {A::i64s("classlabels_int64s", {1, 2}), A::strs("classlabels_strings", {"a", "b"})}, kMl);
  EXPECT_EQ(b.try_load().status().code(), StatusCode::InvalidModel);
}

// skl2onnx's default classifier output: label + probabilities zipped into maps.
TEST(ZipMap, AfterLinearClassifierAndNormalizer) {
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, {-1, 2}).output("label", DType::I64).output("probs", DType::Undefined);
  b.node("LinearClassifier", {"x"}, {"label", "raw"},
         {A::f32s("coefficients", {1, 0, 0, 1}), A::f32s("intercepts", {0, 0}), A::i64s("classlabels_ints", {5, 6}),
          A::str("post_transform", "SOFTMAX")},
         kMl);
  b.node("Normalizer", {"raw"}, {"p"}, {A::str("norm", "L1")}, kMl);
  b.node("ZipMap", {"p"}, {"probs"}, {A::i64s("classlabels_int64s", {5, 6})}, kMl);
  auto m = b.load();
  ASSERT_TRUE(m);
  Tensor in = make_f32({2, 2}, {0, 0, 1, 3});
  Session s(m);
  TensorView v = in.view();
  std::vector<Value> out(2);
  ASSERT_TRUE(s.run({&v, 1}, out).ok());
  EXPECT_EQ(out[0].tensor.as<int64_t>()[1], 6);
  ASSERT_EQ(out[1].kind, ValueKind::SequenceOfMaps);
  EXPECT_NEAR(out[1].tensor.as<float>()[0], 0.5f, 1e-6f);
  EXPECT_NEAR(out[1].tensor.as<float>()[3], 1.f / (1.f + std::exp(-2.f)), 1e-6f);
  EXPECT_EQ(out[1].map_keys.as<int64_t>()[0], 5);
}

}  // namespace
}  // namespace rtml::test
