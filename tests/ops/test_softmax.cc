// test_softmax.cc - Softmax / LogSoftmax against a double reference: opset < 13 (2-D coercion,
// default axis 1) and >= 13 (one axis, default -1), every axis incl. negative, odd sizes,
// large values, float16 and double; SIMD variants the host supports against the scalar loops.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/common.hpp"
#include "ops/kernels/softmax.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

std::vector<double> rand_vals(int64_t n, unsigned seed, double scale = 3) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> d(-scale, scale);
  std::vector<double> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<float>(d(g));
  return v;
}

// [O, N, I] softmax in double.
std::vector<double> ref(const std::vector<double>& x, int64_t O, int64_t N, int64_t I, bool log) {
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      double m = -INFINITY, s = 0;
      for (int64_t n = 0; n < N; ++n) m = std::max(m, x[(o * N + n) * I + i]);
      for (int64_t n = 0; n < N; ++n) s += std::exp(x[(o * N + n) * I + i] - m);
      for (int64_t n = 0; n < N; ++n) {
        const double v = x[(o * N + n) * I + i] - m;
        y[(o * N + n) * I + i] = log ? v - std::log(s) : std::exp(v) / s;
      }
    }
  return y;
}

void check(const Shape& s, int64_t axis, bool has_axis, int64_t opset, bool log, DType t = DType::F32, double scale = 3) {
  auto xv = rand_vals(s.numel(), static_cast<unsigned>(s.numel() + axis), scale);
  Tensor x(t, s);
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (t == DType::F32) x.data<float>()[i] = static_cast<float>(xv[i]);
    else if (t == DType::F64) x.data<double>()[i] = xv[i];
    else x.data<uint16_t>()[i] = float_to_half(static_cast<float>(xv[i])), xv[i] = half_to_float(x.data<uint16_t>()[i]);
  }
  std::vector<A> attrs;
  if (has_axis) attrs.push_back(A::i64("axis", axis));
  auto y = run_node(log ? "LogSoftmax" : "Softmax", {x}, 1, attrs, "", opset);
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].shape(), s);
  const int r = s.rank();
  int64_t a = has_axis ? axis : opset < 13 ? 1 : -1;
  if (a < 0) a += r;
  int64_t O = 1, N = 1, I = 1;
  for (int i = 0; i < r; ++i) {
    if (opset < 13) (i < a ? O : N) *= s[i];
    else (i < a ? O : i == a ? N : I) *= s[i];
  }
  auto want = ref(xv, O, N, I, log);
  const double tol = t == DType::F16 ? 2e-3 : 1e-5;
  for (int64_t i = 0; i < x.numel(); ++i) {
    double got = t == DType::F32 ? y[0].data<float>()[i] : t == DType::F64 ? y[0].data<double>()[i]
                                                                            : half_to_float(y[0].data<uint16_t>()[i]);
    ASSERT_NEAR(got, want[i], tol * std::max(1.0, std::fabs(want[i])))
        << (log ? "LogSoftmax" : "Softmax") << " " << s.str() << " axis " << axis << " opset " << opset << " at " << i;
  }
}

TEST(Softmax, Opset13EveryAxis) {
  for (bool log : {false, true})
    for (Shape s : {Shape{3, 17, 7}, Shape{2, 65, 1}, Shape{1, 3, 257}})
      for (int64_t axis = -3; axis < 3; ++axis) check(s, axis, true, 13, log);
  check({4, 33}, 0, false, 13, false);  // default -1
  check({4, 33}, 0, false, 21, true);
  check({257, 7}, -1, true, 13, false);  // batch 257 (multi-threaded rows when the pool allows)
}

TEST(Softmax, BeforeOpset13Coerces2D) {
  for (bool log : {false, true})
    for (int64_t axis : {0, 1, 2, -1, -2, 3}) check({3, 5, 7}, axis, true, 11, log);
  check({3, 5, 7}, 0, false, 7, false);  // default axis 1: rows of 35
  check({3, 5, 7}, 0, false, 12, true);
}

TEST(Softmax, LargeValuesAndOtherTypes) {
  check({2, 9}, -1, true, 13, false, DType::F32, 1e4);
  check({2, 9}, -1, true, 13, true, DType::F32, 1e4);
  check({3, 17}, 1, true, 13, false, DType::F64);
  check({3, 17, 4}, 1, true, 13, true, DType::F64);
  check({3, 17}, 1, true, 13, false, DType::F16, 2);
  check({4, 5}, 1, true, 11, true, DType::F16, 2);
  auto e = make_f32({0, 3}, {});
  EXPECT_EQ(run_node("Softmax", {e}, 1, {}, "", 13)[0].shape(), (Shape{0, 3}));
}

TEST(Softmax, BadAxis) {
  ModelBuilder b;
  b.opset("", 13);
  b.input("x", DType::F32, {-1, 3});
  b.node("Softmax", {"x"}, {"y"}, {A::i64("axis", 2)});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({2, 3}, {1, 2, 3, 4, 5, 6})}, &out).code(), StatusCode::InvalidInput);
  ModelBuilder c;
  c.opset("", 13);
  c.input("x", DType::I32, {2, 3});
  c.node("Softmax", {"x"}, {"y"});
  c.output("y", DType::I32);
  EXPECT_FALSE(c.try_load().ok());
}

TEST(SoftmaxKernels, VariantsMatchScalar) {
  const SoftmaxKernels* ref_k = softmax_kernels_variant(0);
  ASSERT_NE(ref_k, nullptr);
  for (int v = 1; v <= 2; ++v) {
    const SoftmaxKernels* k = softmax_kernels_variant(v);
    if (!k) continue;
    for (int64_t n : {1, 3, 7, 17, 65, 257})
      for (bool log : {false, true}) {
        auto xv = rand_vals(3 * n, static_cast<unsigned>(n), 20);
        std::vector<float> x(xv.begin(), xv.end()), a(x.size()), b(x.size()), scratch(2 * n);
        ref_k->rows(x.data(), 3, n, a.data(), log);
        k->rows(x.data(), 3, n, b.data(), log);
        for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * std::max(1.0f, std::fabs(a[i]))) << k->isa;
        ref_k->cols(x.data(), 3, n, a.data(), scratch.data(), log);
        k->cols(x.data(), 3, n, b.data(), scratch.data(), log);
        for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * std::max(1.0f, std::fabs(a[i]))) << k->isa;
        // in place
        std::vector<float> c = x;
        k->rows(c.data(), 3, n, c.data(), log);
        ref_k->rows(x.data(), 3, n, a.data(), log);
        for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], c[i], 1e-5 * std::max(1.0f, std::fabs(a[i])));
      }
  }
}

}  // namespace
}  // namespace rtml::test

namespace rtml::test {
namespace {

// Several threads split the rows: the result must equal the one-thread result exactly.
TEST(Softmax, ThreadsGiveTheSameResult) {
  auto xv = rand_vals(257 * 1000, 9);
  Tensor x(DType::F32, {257, 1000});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(xv[i]);
  std::vector<Tensor> outs[2];
  for (int t = 0; t < 2; ++t) {
    ModelBuilder b;
    b.opset("", 13);
    b.input("x", DType::F32, {-1, 1000});
    b.node("LogSoftmax", {"x"}, {"y"});
    b.output("y", DType::F32);
    ModelOptions o;
    o.threads = t ? 4 : 1;
    auto m = b.load(o);
    ASSERT_TRUE(m);
    outs[t] = run(m, {x});
    ASSERT_EQ(outs[t].size(), 1u);
  }
  EXPECT_TRUE(outs[0][0].same_as(outs[1][0]));
}

}  // namespace
}  // namespace rtml::test
