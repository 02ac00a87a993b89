// test_reduce.cc - Reduce{Sum,Mean,Max,Min,Prod,L2} and ArgMax/ArgMin against a double-precision
// reference: axes as attribute and as input (opset 13 / 18), noop_with_empty_axes, keepdims,
// negative and repeated-kind axes, empty sets, every dtype class; the SIMD variants the host
// supports against the scalar loops.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ops/common.hpp"
#include "ops/kernels/reduce.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

enum Kind { Sum, Mean, Max, Min, Prod, L2 };
const char* kOps[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"};

Tensor rand_f32(Shape s, unsigned seed, float lo = -2, float hi = 2) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  Tensor x(DType::F32, s);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(g);
  return x;
}

// Reference over double values; returns the output shape and values.
std::vector<double> ref_reduce(const std::vector<double>& x, const Shape& s, std::vector<int64_t> axes, bool keep,
                               Kind k, Shape* out) {
  const int r = s.rank();
  bool red[8] = {};
  if (axes.empty())
    for (int i = 0; i < r; ++i) red[i] = true;
  for (int64_t a : axes) red[a < 0 ? a + r : a] = true;
  Shape full;  // keepdims shape
  out->clear();
  for (int i = 0; i < r; ++i) {
    full.push_back(red[i] ? 1 : s[i]);
    if (!red[i] || keep) out->push_back(red[i] ? 1 : s[i]);
  }
  const double init = k == Max ? -INFINITY : k == Min ? INFINITY : k == Prod ? 1 : 0;
  std::vector<double> acc(static_cast<size_t>(full.numel()), init);
  std::vector<int64_t> cnt(acc.size(), 0);
  for (int64_t i = 0; i < s.numel(); ++i) {
    int64_t rem = i, oi = 0, st = 1;
    for (int d = r - 1; d >= 0; --d) {
      const int64_t c = rem % s[d];
      rem /= s[d];
      if (!red[d]) oi += c * st;
      st *= full[d];
    }
    const double v = x[i];
    double& a = acc[oi];
    cnt[oi]++;
    if (k == Sum || k == Mean) a += v;
    else if (k == L2) a += v * v;
    else if (k == Max) a = std::max(a, v);
    else if (k == Min) a = std::min(a, v);
    else a *= v;
  }
  for (size_t j = 0; j < acc.size(); ++j) {
    if (k == Mean) acc[j] /= static_cast<double>(cnt[j]);
    if (k == L2) acc[j] = std::sqrt(acc[j]);
  }
  return acc;
}

// Runs op on x with axes given the way `opset` wants them.
std::vector<Tensor> run_reduce(Kind k, const Tensor& x, const std::vector<int64_t>& axes, bool keep, int64_t opset,
                               std::vector<A> extra = {}) {
  const bool input_axes = opset >= (k == Sum ? 13 : 18);
  std::vector<A> attrs = {A::i64("keepdims", keep)};
  for (auto& a : extra) attrs.push_back(a);
  std::vector<Tensor> in = {x};
  if (input_axes) {
    if (!axes.empty()) in.push_back(make_i64({static_cast<int64_t>(axes.size())}, axes));
  } else if (!axes.empty()) {
    attrs.push_back(A::i64s("axes", axes));
  }
  return run_node(kOps[k], in, 1, attrs, "", opset);
}

TEST(Reduce, FloatAllOpsAxesKeepdimsOpsets) {
  const std::vector<std::vector<int64_t>> axis_sets = {{}, {0}, {1}, {2}, {-1}, {0, 2}, {1, 2}, {0, 1}, {-3, -1}, {0, 1, 2}};
  for (Shape s : {Shape{3, 17, 7}, Shape{1, 65, 3}, Shape{2, 1, 33}}) {
    auto x = rand_f32(s, 7, 0.5f, 1.5f);
    std::vector<double> xd(x.data<float>(), x.data<float>() + x.numel());
    for (int k = Sum; k <= L2; ++k)
      for (auto& axes : axis_sets)
        for (bool keep : {true, false})
          for (int64_t opset : {11, 13, 18}) {
            Shape want_shape;
            auto want = ref_reduce(xd, s, axes, keep, Kind(k), &want_shape);
            auto y = run_reduce(Kind(k), x, axes, keep, opset);
            ASSERT_EQ(y.size(), 1u) << kOps[k];
            ASSERT_EQ(y[0].shape(), want_shape) << kOps[k] << " opset " << opset;
            for (int64_t i = 0; i < y[0].numel(); ++i)
              EXPECT_NEAR(y[0].data<float>()[i], want[i], 1e-4 * std::max(1.0, std::fabs(want[i])))
                  << kOps[k] << " " << s.str() << " axes " << axes.size() << " opset " << opset;
          }
  }
}

TEST(Reduce, NoopWithEmptyAxesAndEmptySets) {
  auto x = rand_f32({3, 2, 2}, 3);
  auto y = run_node("ReduceSum", {x, make_i64({0}, {})}, 1, {A::i64("noop_with_empty_axes", 1)}, "", 13);
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(y[0].same_as(x));
  y = run_node("ReduceMax", {x, make_i64({0}, {})}, 1, {A::i64("noop_with_empty_axes", 1)}, "", 18);
  EXPECT_TRUE(y[0].same_as(x));
  y = run_node("ReduceSum", {x, make_i64({0}, {})}, 1, {A::i64("keepdims", 0)}, "", 13);  // empty axes: all
  EXPECT_EQ(y[0].shape(), Shape{});
  // Reducing an empty axis gives the identity: 0, -inf, +inf, 1, 0.
  auto e = make_f32({2, 0, 4}, {});
  const float want[] = {0, NAN, -INFINITY, INFINITY, 1, 0};
  for (int k = Sum; k <= L2; ++k) {
    if (k == Mean) continue;
    auto r = run_reduce(Kind(k), e, {1}, true, 18);
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].shape(), (Shape{2, 1, 4}));
    for (int i = 0; i < 8; ++i) EXPECT_EQ(r[0].data<float>()[i], want[k]) << kOps[k];
  }
  auto r = run_reduce(Sum, e, {0}, false, 13);  // a kept empty axis: empty output
  EXPECT_EQ(r[0].shape(), (Shape{0, 4}));
  auto sc = make_f32({}, {2.5f});
  EXPECT_EQ(run_reduce(L2, sc, {}, true, 18)[0].data<float>()[0], 2.5f);
}

TEST(Reduce, IntegerDoubleHalfBool) {
  auto xi = make_i64({2, 3}, {1, -5, 3, 4, 10, -6});
  EXPECT_TRUE(run_reduce(Sum, xi, {1}, false, 13)[0].same_as(make_i64({2}, {-1, 8})));
  EXPECT_TRUE(run_reduce(Max, xi, {0}, true, 18)[0].same_as(make_i64({1, 3}, {4, 10, 3})));
  EXPECT_TRUE(run_reduce(Min, xi, {}, false, 11)[0].same_as(make_i64({}, {-6})));
  EXPECT_TRUE(run_reduce(Prod, xi, {1}, false, 18)[0].same_as(make_i64({2}, {-15, -240})));
  EXPECT_TRUE(run_reduce(Mean, xi, {1}, false, 18)[0].same_as(make_i64({2}, {0, 2})));
  auto x32 = make_i32({4}, {3, 4, 0, 0});
  EXPECT_TRUE(run_reduce(L2, x32, {}, false, 13)[0].same_as(make_i32({}, {5})));
  Tensor u8(DType::U8, {3});
  u8.data<uint8_t>()[0] = 200, u8.data<uint8_t>()[1] = 7, u8.data<uint8_t>()[2] = 9;
  auto y = run_reduce(Max, u8, {}, false, 18);
  EXPECT_EQ(y[0].data<uint8_t>()[0], 200);
  auto xd = make_f64({2, 2}, {1.5, 2.5, -1, 4});
  EXPECT_TRUE(run_reduce(Sum, xd, {0}, false, 13)[0].same_as(make_f64({2}, {0.5, 6.5})));
  Tensor h(DType::F16, {2, 3});
  const float hv[] = {1, 2, 3, 0.5f, -1, 8};
  for (int i = 0; i < 6; ++i) h.data<uint16_t>()[i] = float_to_half(hv[i]);
  y = run_reduce(Mean, h, {1}, false, 18);
  ASSERT_EQ(y[0].dtype(), DType::F16);
  EXPECT_EQ(half_to_float(y[0].data<uint16_t>()[0]), 2.0f);
  EXPECT_EQ(half_to_float(y[0].data<uint16_t>()[1]), 2.5f);
  auto b = make_bool({2, 3}, {true, false, true, true, true, true});
  EXPECT_TRUE(run_reduce(Min, b, {1}, false, 20)[0].same_as(make_bool({2}, {false, true})));
  EXPECT_TRUE(run_reduce(Max, b, {0}, false, 20)[0].same_as(make_bool({3}, {true, true, true})));
}

TEST(Reduce, BadAxisIsAnInputError) {
  ModelBuilder b;
  b.opset("", 18);
  b.input("x", DType::F32, {2, 3});
  b.input("a", DType::I64, {1});
  b.node("ReduceMean", {"x", "a"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {rand_f32({2, 3}, 1), make_i64({1}, {2})}, &out).code(), StatusCode::InvalidInput);
  EXPECT_TRUE(try_run(m, {rand_f32({2, 3}, 1), make_i64({1}, {-2})}, &out).ok());
}

TEST(ReduceKernels, VariantsMatchScalar) {
  const ReduceKernels* ref = reduce_kernels_variant(0);
  ASSERT_NE(ref, nullptr);
  for (int v = 1; v <= 2; ++v) {
    const ReduceKernels* k = reduce_kernels_variant(v);
    if (!k) continue;
    for (int64_t n : {0, 1, 3, 7, 17, 65, 257})
      for (int op = 0; op < 5; ++op) {
        auto x = rand_f32({3, n > 0 ? n : 1}, static_cast<unsigned>(n + op), 0.9f, 1.1f);
        float a[64], b[64];
        ref->rows(RedOp(op), x.data<float>(), 3, n, a);
        k->rows(RedOp(op), x.data<float>(), 3, n, b);
        for (int i = 0; i < 3; ++i)  // n == 0: both the identity (infinities for Max/Min)
          EXPECT_TRUE(a[i] == b[i] || std::fabs(a[i] - b[i]) <= 1e-4 * std::max(1.0f, std::fabs(a[i])))
              << k->isa << " rows n=" << n << ": " << a[i] << " vs " << b[i];
        if (n == 0) continue;
        std::vector<float> c(n), d(n);
        ref->cols(RedOp(op), x.data<float>(), 3, n, c.data());
        k->cols(RedOp(op), x.data<float>(), 3, n, d.data());
        for (int64_t i = 0; i < n; ++i) EXPECT_NEAR(c[i], d[i], 1e-5 * std::max(1.0f, std::fabs(c[i]))) << k->isa << " cols";
      }
  }
}

// ---- ArgMax / ArgMin ---------------------------------------------------------------------------------

std::vector<int64_t> ref_arg(const std::vector<double>& x, Shape s, int axis, bool is_max, bool last) {
  int64_t O = 1, I = 1;
  for (int i = 0; i < s.rank(); ++i) (i < axis ? O : i > axis ? I : O) *= i == axis ? 1 : s[i];
  const int64_t R = s[axis];
  std::vector<int64_t> y;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      int64_t best = 0;
      for (int64_t r = 1; r < R; ++r) {
        const double v = x[(o * R + r) * I + i], b = x[(o * R + best) * I + i];
        if (is_max ? (last ? v >= b : v > b) : (last ? v <= b : v < b)) best = r;
      }
      y.push_back(best);
    }
  return y;
}

TEST(ArgMaxMin, AxesKeepdimsSelectLast) {
  Shape s{3, 7, 5};
  Tensor x(DType::F32, s);
  std::mt19937 g(5);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(g() % 4);  // many ties
  std::vector<double> xd(x.data<float>(), x.data<float>() + x.numel());
  for (bool is_max : {true, false})
    for (int axis = -3; axis < 3; ++axis)
      for (bool keep : {true, false})
        for (bool last : {false, true}) {
          const int a = axis < 0 ? axis + 3 : axis;
          std::vector<A> attrs = {A::i64("axis", axis), A::i64("keepdims", keep)};
          if (last) attrs.push_back(A::i64("select_last_index", 1));
          auto y = run_node(is_max ? "ArgMax" : "ArgMin", {x}, 1, attrs, "", 13);
          ASSERT_EQ(y.size(), 1u);
          ASSERT_EQ(y[0].dtype(), DType::I64);
          Shape want;
          for (int i = 0; i < 3; ++i)
            if (i != a) want.push_back(s[i]);
            else if (keep) want.push_back(1);
          EXPECT_EQ(y[0].shape(), want);
          auto r = ref_arg(xd, s, a, is_max, last);
          for (int64_t i = 0; i < y[0].numel(); ++i) EXPECT_EQ(y[0].data<int64_t>()[i], r[i]);
        }
  auto xi = make_i32({2, 3}, {5, 9, 9, -1, -7, -7});
  EXPECT_TRUE(run_node("ArgMax", {xi}, 1, {A::i64("axis", 1)}, "", 11)[0].same_as(make_i64({2, 1}, {1, 0})));
  EXPECT_TRUE(run_node("ArgMin", {xi}, 1, {A::i64("axis", 1), A::i64("keepdims", 0), A::i64("select_last_index", 1)}, "", 12)[0]
                  .same_as(make_i64({2}, {0, 2})));
  EXPECT_TRUE(run_node("ArgMax", {make_f64({4}, {1, 3, 3, 2})}, 1, {}, "", 7)[0].same_as(make_i64({1}, {1})));
}

TEST(ArgMaxMin, Errors) {
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {-1, 3});
  b.node("ArgMax", {"x"}, {"y"}, {A::i64("axis", 2)});
  b.output("y", DType::I64);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {rand_f32({2, 3}, 1)}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder c;
  c.opset("", 13);
  c.input("x", DType::F32, {-1, 0});
  c.node("ArgMin", {"x"}, {"y"}, {A::i64("axis", 1)});
  c.output("y", DType::I64);
  auto mc = c.load();
  ASSERT_TRUE(mc);
  EXPECT_EQ(try_run(mc, {make_f32({2, 0}, {})}, &out).code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test

namespace rtml::test {
namespace {

TEST(Reduce, ThreadsGiveTheSameResult) {
  auto x = rand_f32({257, 1000}, 11);
  for (int64_t axis : {0, 1}) {
    std::vector<Tensor> outs[2];
    for (int t = 0; t < 2; ++t) {
      ModelBuilder b;
      b.opset("", 13);
      b.input("x", DType::F32, {-1, 1000});
      b.node("ReduceSum", {"x", "a"}, {"y"});
      b.initializer("a", make_i64({1}, {axis}));
      b.output("y", DType::F32);
      ModelOptions o;
      o.threads = t ? 4 : 1;
      auto m = b.load(o);
      ASSERT_TRUE(m);
      outs[t] = run(m, {x});
      ASSERT_EQ(outs[t].size(), 1u);
    }
    EXPECT_TRUE(outs[0][0].same_as(outs[1][0])) << "axis " << axis;
  }
}

}  // namespace
}  // namespace rtml::test
