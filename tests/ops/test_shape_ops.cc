// test_shape_ops.cc - Identity, Reshape, Flatten, Squeeze, Unsqueeze, Shape, Constant,
// ConstantOfShape, Range, Dropout: every opset variant, dtypes, negative axes, error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "ops/common.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

Tensor iota_f32(Shape s) {
  std::vector<float> v(static_cast<size_t>(s.numel()));
  std::iota(v.begin(), v.end(), 0.5f);
  return make_f32(s, v);
}

void expect_same_f32(const Tensor& got, Shape shape, const Tensor& src) {
  ASSERT_EQ(got.dtype(), DType::F32);
  EXPECT_EQ(got.shape(), shape);
  ASSERT_EQ(got.numel(), src.numel());
  for (int64_t i = 0; i < got.numel(); ++i) EXPECT_EQ(got.data<float>()[i], src.data<float>()[i]) << i;
}

// Runs a one-node model whose input 1 is an initializer (a constant), returning the outputs.
std::vector<Tensor> run_with_const(const std::string& op, const Tensor& x, const Tensor& c, std::vector<A> attrs,
                                   int64_t opset, int n_out = 1) {
  ModelBuilder b;
  b.opset("", opset);
  b.input("x", x.dtype(), std::vector<int64_t>(x.shape().begin(), x.shape().end()));
  b.initializer("c", c);
  std::vector<std::string> outs;
  for (int i = 0; i < n_out; ++i) outs.push_back("y" + std::to_string(i)), b.output(outs.back(), DType::Undefined);
  b.node(op, {"x", "c"}, outs, std::move(attrs));
  auto m = b.load();
  if (!m) return {};
  return run(m, {x});
}

StatusCode run_code(const std::string& op, const std::vector<Tensor>& in, std::vector<A> attrs, int64_t opset,
                    int n_out = 1) {
  ModelBuilder b;
  b.opset("", opset);
  std::vector<std::string> names, outs;
  for (size_t i = 0; i < in.size(); ++i) {
    names.push_back("in" + std::to_string(i));
    b.input(names.back(), in[i].dtype(), std::vector<int64_t>(in[i].shape().begin(), in[i].shape().end()));
  }
  for (int i = 0; i < n_out; ++i) outs.push_back("y" + std::to_string(i)), b.output(outs.back(), DType::Undefined);
  b.node(op, names, outs, std::move(attrs));
  auto r = b.try_load();
  if (!r.ok()) return r.status().code();
  std::vector<Tensor> out;
  return try_run(r.value(), in, &out).code();
}

TEST(Identity, EveryDtype) {
  auto x = iota_f32({2, 3});
  expect_same_f32(run_node("Identity", {x}, 1, {}, "", 13)[0], {2, 3}, x);
  auto s = make_str({3}, {"a", "bc", ""});
  auto ys = run_node("Identity", {s}, 1, {}, "", 21);
  ASSERT_EQ(ys.size(), 1u);
  EXPECT_TRUE(ys[0].same_as(s));
  auto bo = make_bool({2}, {true, false});
  EXPECT_TRUE(run_node("Identity", {bo}, 1, {}, "", 7)[0].same_as(bo));
  Tensor h(DType::F16, {3});
  for (int i = 0; i < 3; ++i) h.data<uint16_t>()[i] = float_to_half(i * 1.5f);
  EXPECT_TRUE(run_node("Identity", {h}, 1, {}, "", 16)[0].same_as(h));
}

TEST(Reshape, MinusOneZeroAndAllowzero) {
  auto x = iota_f32({2, 3, 4});
  expect_same_f32(run_node("Reshape", {x, make_i64({2}, {4, -1})}, 1, {}, "", 13)[0], {4, 6}, x);
  expect_same_f32(run_node("Reshape", {x, make_i64({3}, {0, -1, 2})}, 1, {}, "", 13)[0], {2, 6, 2}, x);
  expect_same_f32(run_node("Reshape", {x, make_i64({1}, {-1})}, 1, {}, "", 7)[0], {24}, x);
  expect_same_f32(run_with_const("Reshape", x, make_i64({4}, {0, 3, 2, -1}), {}, 21)[0], {2, 3, 2, 2}, x);
  // allowzero: 0 is a real zero (only valid for an empty input).
  auto e = make_f32({0, 3}, {});
  auto y = run_node("Reshape", {e, make_i64({2}, {3, 0})}, 1, {A::i64("allowzero", 1)}, "", 14);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{3, 0}));
  y = run_node("Reshape", {e, make_i64({2}, {0, 3})}, 1, {}, "", 14);  // 0 copies dim 0 = 0
  EXPECT_EQ(y[0].shape(), (Shape{0, 3}));
  // strings and int64 go through the same aliasing path
  auto s = make_str({2, 2}, {"a", "b", "c", "d"});
  auto ys = run_node("Reshape", {s, make_i64({1}, {4})}, 1, {}, "", 13);
  EXPECT_EQ(ys[0].shape(), (Shape{4}));
  EXPECT_EQ(ys[0].str(3), "d");
}

TEST(Reshape, Errors) {
  auto x = iota_f32({2, 3});
  EXPECT_EQ(run_code("Reshape", {x, make_i64({2}, {-1, -1})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_EQ(run_code("Reshape", {x, make_i64({2}, {4, 2})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_EQ(run_code("Reshape", {x, make_i64({2}, {4, -1})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_EQ(run_code("Reshape", {x, make_i64({3}, {1, 1, 0})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_EQ(run_code("Reshape", {x, make_i64({2}, {-2, 3})}, {}, 13), StatusCode::InvalidInput);
}

TEST(Flatten, EveryAxis) {
  auto x = iota_f32({2, 3, 4, 5});
  const int64_t d[] = {2, 3, 4, 5};
  for (int64_t axis = -4; axis <= 4; ++axis) {
    const int64_t a = axis < 0 ? axis + 4 : axis;
    int64_t l = 1, r = 1;
    for (int i = 0; i < 4; ++i) (i < a ? l : r) *= d[i];
    expect_same_f32(run_node("Flatten", {x}, 1, {A::i64("axis", axis)}, "", 13)[0], {l, r}, x);
  }
  expect_same_f32(run_node("Flatten", {x}, 1, {}, "", 9)[0], {2, 60}, x);  // default axis 1
  EXPECT_NE(run_code("Flatten", {x}, {A::i64("axis", 5)}, 13), StatusCode::Ok);  // static shapes: refused at load
  EXPECT_NE(run_code("Flatten", {x}, {A::i64("axis", -1)}, 9), StatusCode::Ok);  // negative before 11
}

TEST(Squeeze, AttrAndInputForms) {
  auto x = iota_f32({1, 3, 1, 2});
  expect_same_f32(run_node("Squeeze", {x}, 1, {}, "", 11)[0], {3, 2}, x);
  expect_same_f32(run_node("Squeeze", {x}, 1, {A::i64s("axes", {0})}, "", 11)[0], {3, 1, 2}, x);
  expect_same_f32(run_node("Squeeze", {x}, 1, {A::i64s("axes", {-2})}, "", 7)[0], {1, 3, 2}, x);
  expect_same_f32(run_node("Squeeze", {x, make_i64({2}, {0, -2})}, 1, {}, "", 13)[0], {3, 2}, x);
  expect_same_f32(run_node("Squeeze", {x}, 1, {}, "", 21)[0], {3, 2}, x);
  expect_same_f32(run_with_const("Squeeze", x, make_i64({1}, {2}), {}, 13)[0], {1, 3, 2}, x);
  EXPECT_EQ(run_code("Squeeze", {x, make_i64({1}, {1})}, {}, 13), StatusCode::InvalidInput);  // dim 3
  EXPECT_EQ(run_code("Squeeze", {x, make_i64({1}, {4})}, {}, 13), StatusCode::InvalidInput);
}

TEST(Unsqueeze, AttrAndInputForms) {
  auto x = iota_f32({3, 2});
  expect_same_f32(run_node("Unsqueeze", {x}, 1, {A::i64s("axes", {0, 3})}, "", 11)[0], {1, 3, 2, 1}, x);
  expect_same_f32(run_node("Unsqueeze", {x}, 1, {A::i64s("axes", {1})}, "", 7)[0], {3, 1, 2}, x);
  expect_same_f32(run_node("Unsqueeze", {x, make_i64({2}, {-1, 0})}, 1, {}, "", 13)[0], {1, 3, 2, 1}, x);
  expect_same_f32(run_with_const("Unsqueeze", x, make_i64({1}, {-2}), {}, 21)[0], {3, 1, 2}, x);
  auto s = make_f32({}, {7});
  expect_same_f32(run_node("Unsqueeze", {s, make_i64({1}, {0})}, 1, {}, "", 13)[0], {1}, s);
  EXPECT_EQ(run_code("Unsqueeze", {x, make_i64({2}, {0, 0})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_EQ(run_code("Unsqueeze", {x, make_i64({1}, {3})}, {}, 13), StatusCode::InvalidInput);
  EXPECT_NE(run_code("Unsqueeze", {x}, {}, 11), StatusCode::Ok);  // axes required
}

TEST(Shape, StartEnd) {
  auto x = iota_f32({2, 3, 4});
  auto expect = [&](std::vector<A> attrs, int64_t opset, std::vector<int64_t> want) {
    auto y = run_node("Shape", {x}, 1, attrs, "", opset);
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].dtype(), DType::I64);
    ASSERT_EQ(y[0].numel(), static_cast<int64_t>(want.size()));
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(y[0].data<int64_t>()[i], want[i]);
  };
  expect({}, 13, {2, 3, 4});
  expect({}, 7, {2, 3, 4});
  expect({A::i64("start", 1)}, 15, {3, 4});
  expect({A::i64("end", -1)}, 15, {2, 3});
  expect({A::i64("start", -10)}, 19, {2, 3, 4});
  expect({A::i64("start", 1), A::i64("end", 2)}, 21, {3});
  expect({A::i64("start", 2), A::i64("end", 1)}, 15, {});
  expect({A::i64("end", 10)}, 15, {2, 3, 4});
  auto s = make_str({5}, {"a", "b", "c", "d", "e"});
  auto y = run_node("Shape", {s}, 1, {}, "", 13);
  EXPECT_EQ(y[0].data<int64_t>()[0], 5);
}

std::vector<Tensor> run_constant(std::vector<A> attrs, int64_t opset) {
  ModelBuilder b;
  b.opset("", opset);
  b.node("Constant", {}, {"y"}, std::move(attrs));
  b.output("y", DType::Undefined);
  auto m = b.load();
  if (!m) return {};
  return run(m, {});
}

TEST(Constant, EveryValueAttribute) {
  auto t = make_f32({2, 2}, {1, 2, 3, 4});
  EXPECT_TRUE(run_constant({A::tensor("value", t)}, 9)[0].same_as(t));
  EXPECT_TRUE(run_constant({A::tensor("value", make_i32({3}, {1, -2, 3}))}, 13)[0].same_as(make_i32({3}, {1, -2, 3})));
  EXPECT_TRUE(run_constant({A::f32("value_float", 2.5f)}, 12)[0].same_as(make_f32({}, {2.5f})));
  EXPECT_TRUE(run_constant({A::f32s("value_floats", {1, 2})}, 13)[0].same_as(make_f32({2}, {1, 2})));
  EXPECT_TRUE(run_constant({A::i64("value_int", -7)}, 19)[0].same_as(make_i64({}, {-7})));
  EXPECT_TRUE(run_constant({A::i64s("value_ints", {4, 5, 6})}, 21)[0].same_as(make_i64({3}, {4, 5, 6})));
  EXPECT_TRUE(run_constant({A::str("value_string", "hi")}, 13)[0].same_as(make_str({}, {"hi"})));
  EXPECT_TRUE(run_constant({A::strs("value_strings", {"a", "bb"})}, 13)[0].same_as(make_str({2}, {"a", "bb"})));
  ModelBuilder b;
  b.opset("", 13);
  b.node("Constant", {}, {"y"}, {A::f32("value_float", 1), A::i64("value_int", 1)});
  b.output("y", DType::Undefined);
  EXPECT_FALSE(b.try_load().ok());  // two value attributes
}

TEST(ConstantOfShape, ValuesAndShapes) {
  auto y = run_node("ConstantOfShape", {make_i64({2}, {2, 3})}, 1, {}, "", 9);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(y[0].same_as(make_f32({2, 3}, {0, 0, 0, 0, 0, 0})));
  y = run_node("ConstantOfShape", {make_i64({3}, {1, 2, 2})}, 1, {A::tensor("value", make_i32({1}, {-4}))}, "", 20);
  EXPECT_TRUE(y[0].same_as(make_i32({1, 2, 2}, {-4, -4, -4, -4})));
  y = run_node("ConstantOfShape", {make_i64({2}, {0, 3})}, 1, {A::tensor("value", make_i64({1}, {9}))}, "", 21);
  EXPECT_EQ(y[0].shape(), (Shape{0, 3}));
  y = run_node("ConstantOfShape", {make_i64({1}, {3})}, 1, {A::tensor("value", make_bool({1}, {true}))}, "", 25);
  EXPECT_TRUE(y[0].same_as(make_bool({3}, {true, true, true})));
  y = run_node("ConstantOfShape", {make_i64({1}, {17})}, 1, {A::tensor("value", make_f64({1}, {0.25}))}, "", 9);
  ASSERT_EQ(y[0].numel(), 17);
  EXPECT_EQ(y[0].data<double>()[16], 0.25);
  EXPECT_EQ(run_code("ConstantOfShape", {make_i64({2}, {2, -1})}, {}, 9), StatusCode::InvalidInput);
}

TEST(Range, TypesAndErrors) {
  auto y = run_node("Range", {make_f32({}, {1}), make_f32({}, {2.1f}), make_f32({}, {0.25f})}, 1, {}, "", 11);
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].numel(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(y[0].data<float>()[i], 1 + 0.25f * i, 1e-6);
  y = run_node("Range", {make_i32({}, {10}), make_i32({}, {4}), make_i32({}, {-3})}, 1, {}, "", 11);
  EXPECT_TRUE(y[0].same_as(make_i32({2}, {10, 7})));
  y = run_node("Range", {make_i64({}, {0}), make_i64({}, {7}), make_i64({}, {1})}, 1, {}, "", 21);
  EXPECT_TRUE(y[0].same_as(make_i64({7}, {0, 1, 2, 3, 4, 5, 6})));
  y = run_node("Range", {make_i64({}, {5}), make_i64({}, {1}), make_i64({}, {2})}, 1, {}, "", 11);
  EXPECT_EQ(y[0].numel(), 0);
  y = run_node("Range", {make_f64({}, {0}), make_f64({}, {1}), make_f64({}, {0.5})}, 1, {}, "", 11);
  EXPECT_TRUE(y[0].same_as(make_f64({2}, {0, 0.5})));
  Tensor s(DType::F16, {}), l(DType::F16, {}), d(DType::F16, {});
  s.data<uint16_t>()[0] = float_to_half(1), l.data<uint16_t>()[0] = float_to_half(5), d.data<uint16_t>()[0] = float_to_half(2);
  y = run_node("Range", {s, l, d}, 1, {}, "", 11);
  ASSERT_EQ(y[0].numel(), 2);
  EXPECT_EQ(half_to_float(y[0].data<uint16_t>()[1]), 3.0f);
  EXPECT_EQ(run_code("Range", {make_i32({}, {0}), make_i32({}, {4}), make_i32({}, {0})}, {}, 11), StatusCode::InvalidInput);
}

TEST(Dropout, InferenceEveryOpset) {
  auto x = iota_f32({3, 5});
  expect_same_f32(run_node("Dropout", {x}, 1, {A::f32("ratio", 0.3f)}, "", 7)[0], {3, 5}, x);
  auto y = run_node("Dropout", {x}, 2, {}, "", 7);  // mask of the input's type before opset 10
  ASSERT_EQ(y.size(), 2u);
  expect_same_f32(y[0], {3, 5}, x);
  EXPECT_EQ(y[1].dtype(), DType::F32);
  EXPECT_EQ(y[1].data<float>()[14], 1.0f);
  y = run_node("Dropout", {x}, 2, {}, "", 10);
  ASSERT_EQ(y[1].dtype(), DType::Bool);
  for (int64_t i = 0; i < 15; ++i) EXPECT_EQ(y[1].data<uint8_t>()[i], 1);
  auto r = make_f32({}, {0.5f});
  expect_same_f32(run_node("Dropout", {x, r}, 1, {}, "", 13)[0], {3, 5}, x);
  y = run_node("Dropout", {x, r, make_bool({}, {false})}, 2, {}, "", 22);
  expect_same_f32(y[0], {3, 5}, x);
  EXPECT_EQ(y[1].data<uint8_t>()[7], 1);
  y = run_node("Dropout", {x, make_f32({}, {0}), make_bool({}, {true})}, 2, {}, "", 12);  // ratio 0: identity
  expect_same_f32(y[0], {3, 5}, x);
  EXPECT_EQ(y[1].data<uint8_t>()[0], 1);
  // Training with a ratio outside [0, 1) is a bad input (the seeded mask itself: the test below).
  EXPECT_EQ(run_code("Dropout", {x, make_f32({}, {1.0f}), make_bool({}, {true})}, {}, 13), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test

// Training-mode Dropout draws its mask like numpy's legacy RandomState (the ONNX reference):
// seed 0 gives u = 0.5488135, 0.71518937, 0.60276338, 0.54488318, 0.4236548, ...
TEST(Dropout, TrainingMaskFollowsTheSeededReferenceGenerator) {
  auto model_for = [](float ratio) {
    rtml::test::ModelBuilder b;
    b.opset("", 13);
    b.input("x", rtml::DType::F32, {5});
    b.initializer("r", rtml::test::make_f32({}, {ratio}));
    b.initializer("t", rtml::test::make_bool({}, {true}));
    b.node("Dropout", {"x", "r", "t"}, {"y", "mask"}, {rtml::test::A::i64("seed", 0)});
    b.output("y", rtml::DType::F32);
    b.output("mask", rtml::DType::Bool);
    return b.load();
  };
  rtml::Tensor x = rtml::test::make_f32({5}, {1, 2, 3, 4, 5});
  auto half = rtml::test::run(model_for(0.5f), {x});
  ASSERT_EQ(half.size(), 2u);
  const float want_half[5] = {2, 4, 6, 8, 0};  // kept (u >= 0.5) and scaled by 2
  for (int i = 0; i < 5; ++i) EXPECT_EQ(half[0].data<float>()[i], want_half[i]) << i;
  for (int i = 0; i < 5; ++i) EXPECT_EQ(half[1].data<uint8_t>()[i], i < 4 ? 1 : 0) << i;
  auto sixty = rtml::test::run(model_for(0.6f), {x});
  ASSERT_EQ(sixty.size(), 2u);
  const uint8_t keep60[5] = {0, 1, 1, 0, 0};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(sixty[1].data<uint8_t>()[i], keep60[i]) << i;
  EXPECT_FLOAT_EQ(sixty[0].data<float>()[1], 2.0f / (1.0f - 0.6f));
  // The same seed gives the same mask on every run.
  auto again = rtml::test::run(model_for(0.6f), {x});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_TRUE(again[1].same_as(sixty[1]));
}
