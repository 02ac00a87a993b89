// tests/ops/test_cast.cc - Cast and CastLike: every pair of numeric/bool/float16 types, strings
// both ways in ONNX Runtime's format, out-of-range floats, unsupported types refused.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tests/ops/test_util_ew.hpp"

namespace rtml::test {
namespace {

const DType kTypes[] = {DType::F32, DType::F64, DType::F16, DType::I8,  DType::I16, DType::I32,
                        DType::I64, DType::U8,  DType::U16, DType::U32, DType::U64, DType::Bool};

TEST(Cast, EveryNumericPair) {
  for (DType from : kTypes)
    for (DType to : kTypes)
      for (int64_t n : {1, 7, 65}) {
        // values every type holds exactly: small non-negative integers (and halves for floats)
        Tensor x(from, {n});
        for (int64_t i = 0; i < n; ++i) set_d(x, i, from == DType::Bool ? i % 2 : (i % 100) + (is_float(from) ? 0.5 * (i % 2) : 0));
        for (int opset : {9, 13, 19, 21}) {
          auto o = run_node("Cast", {x}, 1, {A::i64("to", static_cast<int64_t>(to))}, "", opset);
          ASSERT_EQ(o.size(), 1u);
          ASSERT_EQ(o[0].dtype(), to);
          std::vector<double> want(n);
          for (int64_t i = 0; i < n; ++i) {
            const double v = get_d(x, i);
            want[i] = to == DType::Bool ? v != 0 : is_float(to) ? v : std::trunc(v);
          }
          expect_close(o[0], want, 0, std::string(dtype_name(from)) + "->" + dtype_name(to));
        }
        Tensor like(to, {1});
        auto o = run_node("CastLike", {x, like}, 1, {}, "", 15);
        ASSERT_EQ(o.size(), 1u);
        ASSERT_EQ(o[0].dtype(), to);
      }
}

TEST(Cast, NegativeAndWrapping) {
  auto o = run_node("Cast", {make_f32({4}, {-1.9f, 1.9f, -0.5f, 300.7f})}, 1, {A::i64("to", 3)});  // int8
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int8_t>()[0], -1);
  EXPECT_EQ(o[0].data<int8_t>()[1], 1);
  EXPECT_EQ(o[0].data<int8_t>()[2], 0);
  EXPECT_EQ(o[0].data<int8_t>()[3], static_cast<int8_t>(300));  // through int32, then truncated
  o = run_node("Cast", {make_i64({2}, {200, -1})}, 1, {A::i64("to", 3)});  // int8 wraps
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int8_t>()[0], -56);
  EXPECT_EQ(o[0].data<int8_t>()[1], -1);
  // float out of int range or NaN: no crash, x86's value
  const float nan = std::numeric_limits<float>::quiet_NaN();
  o = run_node("Cast", {make_f32({3}, {nan, 1e30f, -1e30f})}, 1, {A::i64("to", 7)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  // NaN -> bool is true, float16 keeps NaN and inf
  o = run_node("Cast", {make_f32({3}, {nan, 0, -0.f})}, 1, {A::i64("to", 9)});
  ASSERT_EQ(o.size(), 1u);
  expect_close(o[0], {1, 0, 0}, 0, "to bool");
  o = run_node("Cast", {make_f32({3}, {nan, INFINITY, 65504})}, 1, {A::i64("to", 10)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_TRUE(std::isnan(get_d(o[0], 0)));
  EXPECT_TRUE(std::isinf(get_d(o[0], 1)));
  EXPECT_EQ(get_d(o[0], 2), 65504);
}

TEST(Cast, ToStringLikeOnnxRuntime) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto o = run_node("Cast", {make_f32({8}, {nan, INFINITY, -INFINITY, 0.1f, 1.0f, 1e20f, -3.25f, 123456789.f})}, 1,
                    {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  ASSERT_EQ(o[0].dtype(), DType::String);
  const char* want[] = {"NaN", "INF", "-INF", "0.1", "1", "1e+20", "-3.25", "1.2345679e+08"};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(o[0].str(i), want[i]) << i;
  o = run_node("Cast", {make_f64({2}, {0.1, 1.0 / 3})}, 1, {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].str(0), "0.1");
  EXPECT_EQ(o[0].str(1), "0.33333333");
  o = run_node("Cast", {make_i64({3}, {-5, 0, std::numeric_limits<int64_t>::max()})}, 1, {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].str(0), "-5");
  EXPECT_EQ(o[0].str(2), "9223372036854775807");
  o = run_node("Cast", {make_bool({2}, {true, false})}, 1, {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].str(0), "1");
  EXPECT_EQ(o[0].str(1), "0");
  Tensor i8(DType::I8, {1});
  i8.data<int8_t>()[0] = 65;
  o = run_node("Cast", {i8}, 1, {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].str(0), "65");
}

TEST(Cast, FromString) {
  auto o = run_node("Cast", {make_str({6}, {"1.5", "-2", " 3e2", "NaN", "-INF", "0x10"})}, 1, {A::i64("to", 1)});
  ASSERT_EQ(o.size(), 1u);
  const float* y = o[0].data<float>();
  EXPECT_EQ(y[0], 1.5f);
  EXPECT_EQ(y[1], -2.f);
  EXPECT_EQ(y[2], 300.f);
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_TRUE(std::isinf(y[4]) && y[4] < 0);
  EXPECT_EQ(y[5], 16.f);
  o = run_node("Cast", {make_str({3}, {"42", "-7", "300"})}, 1, {A::i64("to", 6)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int32_t>()[0], 42);
  EXPECT_EQ(o[0].data<int32_t>()[1], -7);
  o = run_node("Cast", {make_str({2}, {"0", "5"})}, 1, {A::i64("to", 9)});
  ASSERT_EQ(o.size(), 1u);
  expect_close(o[0], {0, 1}, 0, "string to bool");
  o = run_node("Cast", {make_str({1}, {"2.5"})}, 1, {A::i64("to", 10)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(get_d(o[0], 0), 2.5);
  // round trip through strings
  Tensor x = random_tensor(DType::F32, {65}, -1000, 1000);
  o = run_node("Cast", {x}, 1, {A::i64("to", 8)});
  ASSERT_EQ(o.size(), 1u);
  auto back = run_node("Cast", {o[0]}, 1, {A::i64("to", 1)});
  ASSERT_EQ(back.size(), 1u);
  for (int i = 0; i < 65; ++i) EXPECT_EQ(back[0].data<float>()[i], x.data<float>()[i]);
}

TEST(Cast, BadStringIsAnInputError) {
  ModelBuilder b;
  b.input("x", DType::String, {2}).node("Cast", {"x"}, {"y"}, {A::i64("to", 1)}).output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status st = try_run(m, {make_str({2}, {"1", "abc"})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
  st = try_run(m, {make_str({2}, {"1", "1e999"})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
  st = try_run(m, {make_str({2}, {"1", std::string(2000, '1')})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
}

TEST(Cast, UnsupportedTargetsRefused) {
  for (int64_t to : {16, 17, 18, 19, 20, 21, 22, 23, 14}) {
    ModelBuilder b;
    b.input("x", DType::F32, {2}).node("Cast", {"x"}, {"y"}, {A::i64("to", to)}).output("y", DType::Undefined);
    auto r = b.try_load();
    ASSERT_FALSE(r.ok()) << to;
    EXPECT_EQ(r.status().code(), StatusCode::Unsupported) << to << ": " << r.status().message();
  }
  ModelBuilder b;
  b.input("x", DType::F32, {2}).node("Cast", {"x"}, {"y"}, {A::i64("to", 0)}).output("y", DType::Undefined);
  EXPECT_EQ(b.try_load().status().code(), StatusCode::InvalidModel);
  ModelBuilder c;
  c.input("x", DType::F32, {2}).node("Cast", {"x"}, {"y"}).output("y", DType::Undefined);
  EXPECT_EQ(c.try_load().status().code(), StatusCode::InvalidModel);
}

TEST(Cast, SameTypeIsTheInput) {
  Tensor x = random_tensor(DType::F32, {257, 3}, -5, 5);
  auto o = run_node("Cast", {x}, 1, {A::i64("to", 1)});
  ASSERT_EQ(o.size(), 1u);
  EXPECT_TRUE(o[0].same_as(x));
}

}  // namespace
}  // namespace rtml::test
