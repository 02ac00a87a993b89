// test_norm.cc - BatchNormalization (inference, opset-7 spatial=0, training mode),
// LayerNormalization (every axis, optional B, Mean/InvStdDev outputs, float64), the internal
// rtml:LayerNormalization, InstanceNormalization; kernel variants vs the scalar reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/kernels/norm.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

std::vector<float> randv(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void expect_close(const Tensor& got, const std::vector<double>& want, double rtol, double atol) {
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    double g = got.dtype() == DType::F64 ? got.data<double>()[i] : got.data<float>()[i];
    ASSERT_NEAR(g, want[i], atol + rtol * std::fabs(want[i])) << "element " << i;
  }
}

TEST(NormKernels, VariantsMatchScalar) {
  for (int n : {1, 3, 7, 17, 65, 1001}) {
    auto x = randv(n, 100, 101, n);  // a large mean: the two-pass variance must stay accurate
    auto s = randv(n, -2, 2, n + 1), b = randv(n, -1, 1, n + 2);
    float m0, v0;
    kernels::moments_f32_scalar(x.data(), n, &m0, &v0);
    std::vector<float> r0(n), r1(n), y(n);
    kernels::normalize_f32_scalar(x.data(), r0.data(), n, m0, 1.5f, s.data(), b.data());
    kernels::scale_shift_f32_scalar(x.data(), r1.data(), n, 0.5f, -3.0f);
    for (const auto& v : kernels::norm_f32_variants()) {
      float m, var;
      v.moments(x.data(), n, &m, &var);
      EXPECT_NEAR(m, m0, 1e-4) << v.name;
      EXPECT_NEAR(var, v0, 1e-4 + 1e-3 * v0) << v.name << " n=" << n;
      v.normalize(x.data(), y.data(), n, m0, 1.5f, s.data(), b.data());
      for (int i = 0; i < n; ++i) ASSERT_NEAR(y[i], r0[i], 1e-5 + 1e-5 * std::fabs(r0[i])) << v.name;
      v.normalize(x.data(), y.data(), n, m0, 1.5f, s.data(), nullptr);
      for (int i = 0; i < n; ++i) ASSERT_NEAR(y[i], r0[i] - b[i], 1e-5 + 1e-5 * std::fabs(r0[i])) << v.name;
      v.scale_shift(x.data(), y.data(), n, 0.5f, -3.0f);
      for (int i = 0; i < n; ++i) ASSERT_NEAR(y[i], r1[i], 1e-5 * std::fabs(r1[i])) << v.name;
    }
  }
}

// LayerNorm reference over rows of `len`.
void ln_ref(const std::vector<float>& x, int64_t len, const std::vector<float>& s, const std::vector<float>* b, float eps,
            std::vector<double>* y, std::vector<double>* mean, std::vector<double>* inv) {
  const int64_t rows = len ? static_cast<int64_t>(x.size()) / len : 0;
  y->resize(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, q = 0;
    for (int64_t i = 0; i < len; ++i) m += x[r * len + i];
    m /= len;
    for (int64_t i = 0; i < len; ++i) q += (x[r * len + i] - m) * (x[r * len + i] - m);
    const double iv = 1.0 / std::sqrt(q / len + eps);
    for (int64_t i = 0; i < len; ++i)
      (*y)[r * len + i] = (x[r * len + i] - m) * iv * s[i % s.size()] + (b ? (*b)[i % b->size()] : 0.0);
    mean->push_back(m), inv->push_back(iv);
  }
}

TEST(LayerNorm, EveryAxisWithStatistics) {
  const Shape xs{2, 3, 5, 7};
  auto x = randv(xs.numel(), -3, 3, 1);
  for (int64_t axis : {-4, -3, -2, -1, 0, 1, 2, 3}) {
    const int64_t a = axis < 0 ? axis + 4 : axis;
    Shape ns(xs.begin() + a, xs.end());
    const int64_t len = ns.numel();
    auto s = randv(len, -1, 1, 2), b = randv(len, -1, 1, 3);
    std::vector<double> want, mean, inv;
    ln_ref(x, len, s, &b, 1e-3f, &want, &mean, &inv);
    auto out = run_node("LayerNormalization", {make_f32(xs, x), make_f32(ns, s), make_f32(ns, b)}, 3,
                        {A::i64("axis", axis), A::f32("epsilon", 1e-3f)}, "", 17);
    ASSERT_EQ(out.size(), 3u) << axis;
    expect_close(out[0], want, 1e-5, 1e-5);
    Shape ms = xs;
    for (int d = static_cast<int>(a); d < 4; ++d) ms[d] = 1;
    EXPECT_EQ(out[1].shape(), ms);
    EXPECT_EQ(out[2].shape(), ms);
    expect_close(out[1], mean, 1e-5, 1e-6);
    expect_close(out[2], inv, 1e-5, 1e-6);
  }
}

TEST(LayerNorm, NoBiasBatchesAndDouble) {
  for (int64_t rows : {1, 257}) {
    for (int64_t len : {1, 3, 17, 65}) {
      auto x = randv(rows * len, -3, 3, static_cast<unsigned>(len));
      auto s = randv(len, -1, 1, 5);
      std::vector<double> want, mean, inv;
      ln_ref(x, len, s, nullptr, 1e-5f, &want, &mean, &inv);
      auto out = run_node("LayerNormalization", {make_f32({rows, len}, x), make_f32({len}, s)}, 1, {}, "", 17);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], want, 1e-4, 1e-5);
      std::vector<double> xd(x.begin(), x.end()), sd(s.begin(), s.end());
      auto o64 = run_node("LayerNormalization", {make_f64({rows, len}, xd), make_f64({len}, sd)}, 1, {}, "", 17);
      ASSERT_EQ(o64.size(), 1u);
      EXPECT_EQ(o64[0].dtype(), DType::F64);
      expect_close(o64[0], want, 1e-6, 1e-6);
    }
  }
}

TEST(LayerNorm, InternalOpWithoutScaleAtOldOpset) {
  auto x = randv(3 * 8, -3, 3, 9);
  std::vector<float> ones(8, 1.0f);
  std::vector<double> want, mean, inv;
  ln_ref(x, 8, ones, nullptr, 1e-5f, &want, &mean, &inv);
  ModelBuilder b;
  b.opset("", 13).opset("rtml", 1).input("x", DType::F32, {3, 8}).output("y", DType::F32);
  b.node("LayerNormalization", {"x", ""}, {"y"}, {A::i64("axis", -1)}, "rtml");
  auto m = b.load();
  ASSERT_TRUE(m);
  auto out = run(m, {make_f32({3, 8}, x)});
  ASSERT_EQ(out.size(), 1u);
  expect_close(out[0], want, 1e-5, 1e-5);
}

TEST(LayerNorm, ErrorPaths) {
  {
    ModelBuilder b;  // stash_type other than float
    b.opset("", 17).input("x", DType::F32, {2, 4}).input("s", DType::F32, {4}).output("y", DType::F32);
    b.node("LayerNormalization", {"x", "s"}, {"y"}, {A::i64("stash_type", 11)});
    auto r = b.try_load();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::Unsupported);
  }
  {
    ModelBuilder b;  // axis out of range
    b.opset("", 17).input("x", DType::F32, {-1, 4}).input("s", DType::F32, {-1}).output("y", DType::F32);
    b.node("LayerNormalization", {"x", "s"}, {"y"}, {A::i64("axis", 2)});
    auto m = b.load();
    ASSERT_TRUE(m);
    std::vector<Tensor> out;
    EXPECT_EQ(try_run(m, {make_f32({2, 4}, std::vector<float>(8, 1)), make_f32({4}, {1, 1, 1, 1})}, &out).code(),
              StatusCode::InvalidInput);
    // a Scale that does not fit the normalised shape
    EXPECT_EQ(try_run(m, {make_f32({2, 4}, std::vector<float>(8, 1)), make_f32({3}, {1, 1, 1})}, &out).code(),
              StatusCode::InvalidInput);
  }
}

std::vector<double> bn_ref(const std::vector<float>& x, const Shape& xs, const std::vector<float>& s,
                           const std::vector<float>& b, const std::vector<float>& m, const std::vector<float>& v,
                           float eps) {
  const int64_t C = xs[1], inner = xs.numel() / (xs[0] * C);
  std::vector<double> y(x.size());
  for (size_t e = 0; e < x.size(); ++e) {
    int64_t c = (static_cast<int64_t>(e) / inner) % C;
    y[e] = (x[e] - m[c]) / std::sqrt(static_cast<double>(v[c]) + eps) * s[c] + b[c];
  }
  return y;
}

TEST(BatchNorm, InferenceEveryOpset) {
  for (Shape xs : {Shape{1, 3}, Shape{2, 3, 7}, Shape{257, 5, 2, 3}, Shape{1, 17, 3, 2, 2}}) {
    const int64_t C = xs[1];
    auto x = randv(xs.numel(), -3, 3, 1);
    auto s = randv(C, -2, 2, 2), b = randv(C, -1, 1, 3), m = randv(C, -1, 1, 4), v = randv(C, 0.1f, 2, 5);
    auto want = bn_ref(x, xs, s, b, m, v, 1e-3f);
    for (int64_t opset : {7, 9, 14, 15}) {
      auto out = run_node("BatchNormalization",
                          {make_f32(xs, x), make_f32({C}, s), make_f32({C}, b), make_f32({C}, m), make_f32({C}, v)}, 1,
                          {A::f32("epsilon", 1e-3f)}, "", opset);
      ASSERT_EQ(out.size(), 1u) << opset;
      expect_close(out[0], want, 1e-5, 1e-5);
    }
  }
}

TEST(BatchNorm, TrainingModeUsesBatchStatistics) {
  const Shape xs{2, 3, 4};
  auto x = randv(xs.numel(), -3, 3, 11);
  std::vector<float> s = {1, 2, 3}, b = {0, 1, 2}, m = {0.5f, 0, -0.5f}, v = {1, 2, 3};
  std::vector<float> bm(3), bv(3);
  for (int c = 0; c < 3; ++c) {
    double sum = 0, q = 0;
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 4; ++i) sum += x[(n * 3 + c) * 4 + i];
    bm[c] = static_cast<float>(sum / 8);
    for (int n = 0; n < 2; ++n)
      for (int i = 0; i < 4; ++i) q += (x[(n * 3 + c) * 4 + i] - bm[c]) * (x[(n * 3 + c) * 4 + i] - bm[c]);
    bv[c] = static_cast<float>(q / 8);
  }
  auto want = bn_ref(x, xs, s, b, bm, bv, 1e-5f);
  auto out = run_node("BatchNormalization",
                      {make_f32(xs, x), make_f32({3}, s), make_f32({3}, b), make_f32({3}, m), make_f32({3}, v)}, 3,
                      {A::i64("training_mode", 1), A::f32("momentum", 0.8f)}, "", 15);
  ASSERT_EQ(out.size(), 3u);
  expect_close(out[0], want, 1e-4, 1e-5);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(out[1].data<float>()[c], m[c] * 0.8 + bm[c] * 0.2, 1e-5);
    EXPECT_NEAR(out[2].data<float>()[c], v[c] * 0.8 + bv[c] * 0.2, 1e-5);
  }
}

TEST(BatchNorm, WrongParameterSizeIsInvalidInput) {
  ModelBuilder b;
  b.opset("", 15).input("x", DType::F32, {-1, 3, 2});
  for (const char* n : {"s", "b", "m", "v"}) b.input(n, DType::F32, {-1});
  b.output("y", DType::F32);
  b.node("BatchNormalization", {"x", "s", "b", "m", "v"}, {"y"});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  auto p = make_f32({2}, {1, 1});
  EXPECT_EQ(try_run(m, {make_f32({1, 3, 2}, std::vector<float>(6, 1)), p, p, p, p}, &out).code(),
            StatusCode::InvalidInput);
}

TEST(InstanceNorm, MatchesReference) {
  for (Shape xs : {Shape{1, 1, 1}, Shape{2, 3, 7}, Shape{3, 2, 5, 4}}) {
    const int64_t C = xs[1], inner = xs.numel() / (xs[0] * C);
    auto x = randv(xs.numel(), -3, 3, 21);
    auto s = randv(C, -2, 2, 22), b = randv(C, -1, 1, 23);
    std::vector<double> want(x.size());
    for (int64_t r = 0; r < xs[0] * C; ++r) {
      double m = 0, q = 0;
      for (int64_t i = 0; i < inner; ++i) m += x[r * inner + i];
      m /= inner;
      for (int64_t i = 0; i < inner; ++i) q += (x[r * inner + i] - m) * (x[r * inner + i] - m);
      for (int64_t i = 0; i < inner; ++i)
        want[r * inner + i] = (x[r * inner + i] - m) / std::sqrt(q / inner + 1e-5) * s[r % C] + b[r % C];
    }
    for (int64_t opset : {7, 22}) {
      auto out = run_node("InstanceNormalization", {make_f32(xs, x), make_f32({C}, s), make_f32({C}, b)}, 1, {}, "", opset);
      ASSERT_EQ(out.size(), 1u);
      expect_close(out[0], want, 1e-4, 1e-4);
    }
  }
}

}  // namespace
}  // namespace rtml::test
