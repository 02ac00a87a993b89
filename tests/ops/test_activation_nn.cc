// test_activation_nn.cc - LeakyRelu, PRelu, Elu, Selu, HardSigmoid, HardSwish, Softplus, Erf, Gelu:
// every kernel variant against the scalar reference, every op against a double reference written
// here, attributes, opsets, dtypes, broadcasting and error paths.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "ops/kernels/act.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

using kernels::ActKind;

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

TEST(ActKernels, VariantsMatchScalar) {
  const kernels::ActParams p{0.3f, 0.4f, 1.2f};
  for (int n : {1, 3, 7, 17, 65, 1000}) {
    auto x = randv(n, -9, 9, n);
    x[0] = -0.0f;
    for (int k = 0; k <= static_cast<int>(ActKind::GeluTanh); ++k) {
      std::vector<float> ref(n), y(n);
      kernels::act_f32_scalar(static_cast<ActKind>(k), p, x.data(), ref.data(), n);
      for (const auto& v : kernels::act_f32_variants()) {
        v.act(static_cast<ActKind>(k), p, x.data(), y.data(), n);
        for (int i = 0; i < n; ++i)
          ASSERT_NEAR(y[i], ref[i], 1e-6 + 2e-6 * std::fabs(ref[i])) << v.name << " kind " << k << " x=" << x[i];
      }
      // in place
      std::vector<float> z = x;
      kernels::act_f32().act(static_cast<ActKind>(k), p, z.data(), z.data(), n);
      for (int i = 0; i < n; ++i) ASSERT_NEAR(z[i], ref[i], 1e-6 + 2e-6 * std::fabs(ref[i]));
    }
    std::vector<float> s = randv(n, -1, 1, 7 * n), ref(n), y(n);
    kernels::prelu_f32_scalar(x.data(), s.data(), ref.data(), n);
    for (const auto& v : kernels::act_f32_variants()) {
      v.prelu(x.data(), s.data(), y.data(), n);
      for (int i = 0; i < n; ++i) ASSERT_FLOAT_EQ(y[i], ref[i]) << v.name;
    }
  }
}

TEST(ActKernels, ExtremeInputsStayFinite) {
  std::vector<float> x = {-100.f, -30.f, 30.f, 88.f, 100.f, 1e30f, -1e30f};
  std::vector<float> y(x.size());
  for (int k = 0; k <= static_cast<int>(ActKind::GeluTanh); ++k) {
    if (static_cast<ActKind>(k) == ActKind::HardSwish || static_cast<ActKind>(k) == ActKind::LeakyRelu) continue;
    kernels::act_f32().act(static_cast<ActKind>(k), {1.0f, 0.5f, 1.0f}, x.data(), y.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) EXPECT_TRUE(std::isfinite(y[i])) << "kind " << k << " x=" << x[i];
  }
  kernels::act_f32().act(ActKind::Softplus, {}, x.data(), y.data(), x.size());
  EXPECT_FLOAT_EQ(y[4], 100.f);
  EXPECT_NEAR(y[0], 0.0f, 1e-30);
}

struct Case {
  std::string op;
  std::vector<A> attrs;
  int64_t opset;
  std::function<double(double)> f;
};

TEST(ActOps, MatchReference) {
  const double kS2 = std::sqrt(2.0);
  std::vector<Case> cases = {
      {"LeakyRelu", {}, 7, [](double x) { return x < 0 ? 0.01 * x : x; }},
      {"LeakyRelu", {A::f32("alpha", 0.2f)}, 16, [](double x) { return x < 0 ? 0.2f * x : x; }},
      {"Elu", {}, 7, [](double x) { return x < 0 ? std::expm1(x) : x; }},
      {"Elu", {A::f32("alpha", 0.5f)}, 22, [](double x) { return x < 0 ? 0.5 * std::expm1(x) : x; }},
      {"Selu", {}, 7, [](double x) { return 1.0507009873554804934193349852946 * (x <= 0 ? 1.6732632423543772848170429916717 * std::expm1(x) : x); }},
      {"Selu", {A::f32("alpha", 2.f), A::f32("gamma", 3.f)}, 22, [](double x) { return 3 * (x <= 0 ? 2 * std::expm1(x) : x); }},
      {"HardSigmoid", {}, 7, [](double x) { return std::max(0.0, std::min(1.0, 0.2 * x + 0.5)); }},
      {"HardSigmoid", {A::f32("alpha", 0.5f), A::f32("beta", 0.6f)}, 22, [](double x) { return std::max(0.0, std::min(1.0, 0.5 * x + 0.6)); }},
      {"HardSwish", {}, 14, [](double x) { return x * std::max(0.0, std::min(1.0, x / 6 + 0.5)); }},
      {"Softplus", {}, 7, [](double x) { return std::log1p(std::exp(x)); }},
      {"Erf", {}, 9, [](double x) { return std::erf(x); }},
      {"Erf", {}, 13, [](double x) { return std::erf(x); }},
      {"Gelu", {}, 20, [=](double x) { return 0.5 * x * (1 + std::erf(x / kS2)); }},
      {"Gelu", {A::str("approximate", "tanh")}, 20,
       [](double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))); }},
  };
  for (const Case& c : cases)
    for (int64_t n : {1, 7, 65, 257 * 3}) {
      auto x = randv(n, -6, 6, static_cast<unsigned>(n));
      std::vector<double> want(n);
      for (int64_t i = 0; i < n; ++i) want[i] = c.f(x[i]);
      auto out = run_node(c.op, {make_f32({n}, x)}, 1, c.attrs, "", c.opset);
      ASSERT_EQ(out.size(), 1u) << c.op;
      EXPECT_EQ(out[0].dtype(), DType::F32);
      expect_close(out[0], want, 1e-5, 1e-6);
      std::vector<double> xd(x.begin(), x.end());
      auto out64 = run_node(c.op, {make_f64({n}, xd)}, 1, c.attrs, "", c.opset);
      ASSERT_EQ(out64.size(), 1u);
      EXPECT_EQ(out64[0].dtype(), DType::F64);
      // attributes are float32: near HardSigmoid's clamp the float alpha/beta show in absolute terms
      expect_close(out64[0], want, 1e-6, 1e-7);
    }
}

TEST(ActOps, ShapesPreservedAndEmptyTensors) {
  auto out = run_node("Elu", {make_f32({2, 0, 3}, {})}, 1, {}, "", 17);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (Shape{2, 0, 3}));
  auto o2 = run_node("HardSwish", {make_f32({1, 2, 3}, {-4, -3, -1, 0, 1, 4})}, 1, {}, "", 17);
  EXPECT_EQ(o2[0].shape(), (Shape{1, 2, 3}));
  EXPECT_FLOAT_EQ(o2[0].data<float>()[0], 0.0f);
  EXPECT_FLOAT_EQ(o2[0].data<float>()[5], 4.0f);
}

TEST(ActOps, ErfOnIntegers) {
  auto out = run_node("Erf", {make_i32({3}, {-2, 0, 3})}, 1, {}, "", 13);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dtype(), DType::I32);
  EXPECT_EQ(out[0].data<int32_t>()[0], -1);
  EXPECT_EQ(out[0].data<int32_t>()[1], 0);
  EXPECT_EQ(out[0].data<int32_t>()[2], 1);
}

TEST(ActOps, GeluBadApproximateIsInvalidModel) {
  ModelBuilder b;
  b.opset("", 20).input("x", DType::F32, {3}).output("y", DType::F32);
  b.node("Gelu", {"x"}, {"y"}, {A::str("approximate", "fast")});
  auto r = b.try_load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidModel);
}

TEST(ActOps, GeluBeforeOpset20IsUnsupported) {
  ModelBuilder b;
  b.opset("", 17).input("x", DType::F32, {3}).output("y", DType::F32);
  b.node("Gelu", {"x"}, {"y"});
  auto r = b.try_load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::Unsupported);
}

std::vector<double> prelu_ref(const std::vector<float>& x, const Shape& xs, const std::vector<float>& s, const Shape& ss) {
  std::vector<double> y(x.size());
  const int r = xs.rank();
  for (size_t e = 0; e < x.size(); ++e) {
    int64_t rem = static_cast<int64_t>(e), off = 0, mul = 1;
    for (int d = r - 1; d >= 0; --d) {
      int64_t idx = rem % xs[d];
      rem /= xs[d];
      int sd = d - (r - ss.rank());
      if (sd >= 0) {
        if (ss[sd] != 1) off += idx * mul;
        mul *= ss[sd];
      }
    }
    y[e] = x[e] < 0 ? static_cast<double>(s[off]) * x[e] : x[e];
  }
  return y;
}

TEST(PRelu, Broadcasting) {
  struct P {
    Shape xs, ss;
  };
  std::vector<P> ps = {{{2, 3, 4, 5}, {3, 1, 1}}, {{2, 3, 4, 5}, {1}}, {{2, 3, 4, 5}, {2, 3, 4, 5}},
                       {{2, 3, 4, 5}, {5}},       {{2, 3, 4, 5}, {4, 1}}, {{257, 17}, {17}},
                       {{3, 1, 7}, {1, 7}},       {{1}, {1}},           {{2, 3, 4, 5}, {3, 4, 1}}};
  for (const P& p : ps) {
    auto x = randv(p.xs.numel(), -3, 3, 1);
    auto s = randv(p.ss.numel(), -1, 1, 2);
    for (int64_t opset : {7, 9, 16}) {
      auto out = run_node("PRelu", {make_f32(p.xs, x), make_f32(p.ss, s)}, 1, {}, "", opset);
      ASSERT_EQ(out.size(), 1u) << p.xs.str() << " " << p.ss.str();
      EXPECT_EQ(out[0].shape(), p.xs);
      expect_close(out[0], prelu_ref(x, p.xs, s, p.ss), 1e-6, 1e-7);
    }
  }
}

TEST(PRelu, IntegerAndDouble) {
  auto out = run_node("PRelu", {make_i64({4}, {-4, -1, 0, 5}), make_i64({1}, {3})}, 1, {}, "", 16);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<int64_t>()[0], -12);
  EXPECT_EQ(out[0].data<int64_t>()[3], 5);
  auto o2 = run_node("PRelu", {make_f64({2, 2}, {-1, 2, -3, 4}), make_f64({2}, {0.5, 0.25})}, 1, {}, "", 16);
  EXPECT_DOUBLE_EQ(o2[0].data<double>()[0], -0.5);
  EXPECT_DOUBLE_EQ(o2[0].data<double>()[2], -1.5);
}

TEST(PRelu, SlopeThatDoesNotBroadcastIsInvalidInput) {
  ModelBuilder b;
  b.opset("", 16).input("x", DType::F32, {-1, 3}).input("s", DType::F32, {-1}).output("y", DType::F32);
  b.node("PRelu", {"x", "s"}, {"y"});
  auto m = b.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status st = try_run(m, {make_f32({2, 3}, {1, 2, 3, 4, 5, 6}), make_f32({4}, {1, 2, 3, 4})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
}

}  // namespace
}  // namespace rtml::test
