// tests/ops/test_elementwise.cc - one-input ops and Clip: every ISA table against the scalar
// reference, then models for every op and dtype class against std:: math, Clip at each opset.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>

#include "ops/kernels/elementwise.hpp"
#include "tests/ops/test_util_ew.hpp"

namespace rtml::test {
namespace {

const int kSizes[] = {1, 3, 7, 17, 65, 257};

TEST(EwIsa, UnaryAndClipTablesMatchScalar) {
  const EwKernels* ref = ew_kernels_for(Isa::Scalar);
  ASSERT_NE(ref, nullptr);
  for (Isa isa : {Isa::Portable, Isa::Avx2}) {
    const EwKernels* k = ew_kernels_for(isa);
    if (!k) continue;
    for (int op = 0; op < kUnOps; ++op) {
      for (int t : {static_cast<int>(EwType::F32), static_cast<int>(EwType::F64)}) {
        ASSERT_EQ(k->un[op][t] == nullptr, ref->un[op][t] == nullptr);
        if (!ref->un[op][t]) continue;
        for (int n : kSizes) {
          std::uniform_real_distribution<double> d(-30, 30);
          std::vector<double> xd(n);
          for (auto& v : xd) v = d(rng());
          if (n > 4) xd[1] = 2.5, xd[2] = -2.5, xd[3] = 0.5;  // Round: half to even
          if (n > 5) xd[4] = std::numeric_limits<double>::quiet_NaN();
          auto check = [&](auto proto) {
            using T = decltype(proto);
            std::vector<T> x(n), y1(n), y2(n);
            for (int i = 0; i < n; ++i) x[i] = static_cast<T>(xd[i]);
            ref->un[op][t](x.data(), y1.data(), n);
            k->un[op][t](x.data(), y2.data(), n);
            for (int i = 0; i < n; ++i) {
              if (std::isnan(y1[i])) {
                EXPECT_TRUE(std::isnan(y2[i])) << k->isa << " op " << op << " x " << x[i];
                continue;
              }
              EXPECT_NEAR(y2[i], y1[i], 4e-6 * std::fabs(y1[i]) + 1e-30) << k->isa << " op " << op << " x " << x[i];
            }
            k->un[op][t](x.data(), x.data(), n);  // in place
            for (int i = 0; i < n; ++i)
              if (!std::isnan(y2[i])) EXPECT_EQ(x[i], y2[i]);
          };
          if (t == static_cast<int>(EwType::F32)) check(float{});
          else check(double{});
        }
      }
      // Integer and bool entries: exact.
      for (int t = 2; t < kEwTypes; ++t) {
        ASSERT_EQ(k->un[op][t] == nullptr, ref->un[op][t] == nullptr);
        if (!ref->un[op][t]) continue;
        std::vector<uint8_t> x(8 * 257), y1(8 * 257), y2(8 * 257);
        for (auto& b : x) b = static_cast<uint8_t>(rng()());
        if (t == static_cast<int>(EwType::Bool))
          for (auto& b : x) b &= 1;
        ref->un[op][t](x.data(), y1.data(), 257);
        k->un[op][t](x.data(), y2.data(), 257);
        EXPECT_EQ(y1, y2) << k->isa << " op " << op << " type " << t;
      }
    }
    for (int t = 0; t < kEwTypes; ++t) {
      ASSERT_EQ(k->clip[t] == nullptr, ref->clip[t] == nullptr);
      if (!ref->clip[t] || t > 1) continue;
      std::vector<float> x(65), y1(65), y2(65);
      for (int i = 0; i < 65; ++i) x[i] = static_cast<float>(i) - 30;
      x[5] = std::numeric_limits<float>::quiet_NaN();
      const float lo = -3, hi = 7;
      if (t == 0) {
        ref->clip[t](x.data(), y1.data(), 65, &lo, &hi);
        k->clip[t](x.data(), y2.data(), 65, &lo, &hi);
        for (int i = 0; i < 65; ++i)
          EXPECT_TRUE(y1[i] == y2[i] || (std::isnan(y1[i]) && std::isnan(y2[i]))) << i;
      }
    }
  }
}

double ref_unary(const std::string& op, DType t, double x) {
  if (op == "Abs") return std::fabs(x);
  if (op == "Neg") return -x;
  if (op == "Sign") return x > 0 ? 1 : x < 0 ? -1 : 0;
  if (op == "Relu") return x > 0 ? x : 0;
  if (op == "Sqrt") return std::sqrt(x);
  if (op == "Exp") return std::exp(x);
  if (op == "Log") return std::log(x);
  if (op == "Reciprocal") return 1 / x;
  if (op == "Floor") return std::floor(x);
  if (op == "Ceil") return std::ceil(x);
  if (op == "Round") return std::nearbyint(x);
  if (op == "Sigmoid") return 1 / (1 + std::exp(-x));
  if (op == "Tanh") return std::tanh(x);
  if (op == "Not") return x == 0;
  ADD_FAILURE() << op;
  return 0;
}

void check_unary(const std::string& op, DType t, Shape s, double lo, double hi, int opset = 13) {
  Tensor x = random_tensor(t, s, lo, hi);
  if (is_float(t) && x.numel() > 3) {
    set_d(x, 0, 2.5);
    set_d(x, 1, -0.5);
    set_d(x, 2, 1.5);
  }
  auto out = run_node(op, {x}, 1, {}, "", opset);
  ASSERT_EQ(out.size(), 1u) << op;
  ASSERT_EQ(out[0].shape(), s);
  ASSERT_EQ(out[0].dtype(), t);
  std::vector<double> want(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) {
    double r = ref_unary(op, t, get_d(x, i));
    Tensor tmp(t, {1});
    set_d(tmp, 0, r);
    want[i] = t == DType::F64 ? r : get_d(tmp, 0);
  }
  const double rtol = t == DType::F16 ? 2e-3 : is_float(t) ? 4e-6 : 0;
  expect_close(out[0], want, rtol, op + " " + dtype_name(t) + " " + s.str());
}

TEST(Unary, FloatOps) {
  for (const char* op : {"Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sigmoid", "Tanh",
                         "Abs", "Neg", "Sign", "Relu"})
    for (DType t : {DType::F32, DType::F64, DType::F16})
      for (Shape s : {Shape{1}, Shape{3}, Shape{7}, Shape{17}, Shape{65}, Shape{257, 3}, Shape{0, 2}, Shape{}}) {
        const std::string o = op;
        const bool pos = o == "Sqrt" || o == "Log";
        check_unary(op, t, s, pos ? 0.1 : -8, 8);
      }
}

TEST(Unary, IntegerOps) {
  for (const char* op : {"Abs", "Neg", "Sign", "Relu"})
    for (DType t : {DType::I8, DType::I16, DType::I32, DType::I64})
      for (Shape s : {Shape{1}, Shape{17}, Shape{257}}) check_unary(op, t, s, -100, 100, 14);
  for (DType t : {DType::U8, DType::U16, DType::U32, DType::U64}) check_unary("Abs", t, {65}, 0, 200);
  for (Shape s : {Shape{1}, Shape{3, 7}, Shape{65}}) check_unary("Not", DType::Bool, s, 0, 1, 7);
}

TEST(Unary, RoundHalfToEven) {
  auto o = run_node("Round", {make_f32({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 3.5f})}, 1, {}, "", 11);
  ASSERT_EQ(o.size(), 1u);
  const float want[] = {0, 2, 2, -0.f, -2, 2, -3, 4};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(o[0].data<float>()[i], want[i]) << i;
}

TEST(Unary, SigmoidAndExpExtremes) {
  auto o = run_node("Sigmoid", {make_f32({4}, {-100, 100, 0, -20})}, 1);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_NEAR(o[0].data<float>()[0], 0, 1e-30);
  EXPECT_EQ(o[0].data<float>()[1], 1);
  EXPECT_EQ(o[0].data<float>()[2], 0.5f);
  o = run_node("Exp", {make_f32({3}, {-200, 200, 0})}, 1);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<float>()[0], 0);
  EXPECT_TRUE(std::isinf(o[0].data<float>()[1]));
  EXPECT_EQ(o[0].data<float>()[2], 1);
  // subnormal inputs (a SIMD log flushes them): log(1e-40) = -92.103...
  std::vector<float> xs(17, 1e-40f);
  xs[3] = 1e-45f;
  xs[5] = 2.f;
  o = run_node("Log", {make_f32({17}, xs)}, 1);
  ASSERT_EQ(o.size(), 1u);
  for (int i = 0; i < 17; ++i) EXPECT_NEAR(o[0].data<float>()[i], std::log(xs[i]), 1e-4) << i;
}

TEST(Clip, AttributesBeforeOpset11) {
  for (int opset : {7, 10}) {
    auto o = run_node("Clip", {make_f32({5}, {-5, -1, 0, 1, 5})}, 1, {A::f32("min", -1.5f), A::f32("max", 2)}, "", opset);
    ASSERT_EQ(o.size(), 1u);
    expect_close(o[0], {-1.5, -1, 0, 1, 2}, 0, "clip attrs");
    o = run_node("Clip", {make_f32({3}, {-1e30f, 0, 1e30f})}, 1, {}, "", opset);  // defaults: no clipping
    ASSERT_EQ(o.size(), 1u);
    expect_close(o[0], {-1e30, 0, 1e30}, 1e-6, "clip defaults");
  }
}

TEST(Clip, InputsFromOpset11) {
  for (int opset : {11, 12, 13}) {
    for (DType t : {DType::F32, DType::F64, DType::F16}) {
      Tensor x = random_tensor(t, {257}, -10, 10), lo = random_tensor(t, {}, -3, -3), hi = random_tensor(t, {}, 4, 4);
      auto o = run_node("Clip", {x, lo, hi}, 1, {}, "", opset);
      ASSERT_EQ(o.size(), 1u);
      std::vector<double> want(257);
      for (int i = 0; i < 257; ++i) want[i] = std::min(std::max(get_d(x, i), -3.0), 4.0);
      expect_close(o[0], want, 0, std::string("clip ") + dtype_name(t));
    }
  }
  // only max (min absent: empty input name)
  ModelBuilder b;
  b.opset("", 13).input("x", DType::F32, {4}).input("hi", DType::F32, {});
  b.node("Clip", {"x", "", "hi"}, {"y"}).output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  auto out = run(m, {make_f32({4}, {-100, 0, 1, 9}), make_f32({}, {2})});
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], {-100, 0, 1, 2}, 0, "clip max only");
  // min > max: every element becomes max
  auto o = run_node("Clip", {make_f32({3}, {-1, 0, 1}), make_f32({}, {2}), make_f32({}, {1})}, 1, {}, "", 13);
  ASSERT_EQ(o.size(), 1u);
  expect_close(o[0], {1, 1, 1}, 0, "clip min>max");
}

TEST(Clip, IntegersFromOpset12) {
  for (DType t : {DType::I8, DType::I32, DType::I64, DType::U8, DType::U64}) {
    Tensor x = random_tensor(t, {65}, 0, 100), lo = random_tensor(t, {}, 10, 10), hi = random_tensor(t, {}, 60, 60);
    auto o = run_node("Clip", {x, lo, hi}, 1, {}, "", 12);
    ASSERT_EQ(o.size(), 1u);
    std::vector<double> want(65);
    for (int i = 0; i < 65; ++i) want[i] = std::min(std::max(get_d(x, i), 10.0), 60.0);
    expect_close(o[0], want, 0, std::string("clip ") + dtype_name(t));
  }
  // no bounds at all: identity
  auto o = run_node("Clip", {make_i64({3}, {std::numeric_limits<int64_t>::min(), 0, std::numeric_limits<int64_t>::max()})}, 1, {}, "", 13);
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<int64_t>()[0], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(o[0].data<int64_t>()[2], std::numeric_limits<int64_t>::max());
}

TEST(Unary, ChainInPlaceAndThreads) {
  ModelBuilder b;
  b.input("x", DType::F32, {-1, 1000}).node("Exp", {"x"}, {"a"}).node("Neg", {"a"}, {"b"});
  b.node("Tanh", {"b"}, {"c"}).node("Sigmoid", {"c"}, {"y"}).output("y", DType::F32);
  ModelOptions opt;
  opt.threads = 2;
  auto m = b.load(opt);
  ASSERT_TRUE(m);
  for (int64_t batch : {1, 257}) {
    Tensor x = random_tensor(DType::F32, {batch, 1000}, -3, 3);
    auto out = run(m, {x});
    ASSERT_EQ(out.size(), 1u);
    std::vector<double> want(batch * 1000);
    for (int64_t i = 0; i < batch * 1000; ++i) {
      const double v = std::tanh(-std::exp(static_cast<double>(x.data<float>()[i])));
      want[i] = 1 / (1 + std::exp(-v));
    }
    expect_close(out[0], want, 1e-5, "chain");
  }
}

TEST(Unary, WrongTypeRefused) {
  ModelBuilder b;
  b.input("x", DType::I32, {3}).node("Sqrt", {"x"}, {"y"}).output("y", DType::I32);
  EXPECT_FALSE(b.try_load().ok());
}

}  // namespace
}  // namespace rtml::test
