// test_linear_ml.cc - LinearClassifier, LinearRegressor, SVMClassifier, SVMRegressor: every
// attribute against a scalar reference written here or against values ONNX Runtime 1.30 gave for
// the same node (ort_run, noted per test), every ISA variant of the linear kernels against the
// scalar one, and the fold_linear_preprocess pass against the plain graph.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/kernels/linear.hpp"
#include "ops/kernels/linear_post.hpp"
#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

const char* kMl = "ai.onnx.ml";

// The 3 x 3 input every ONNX Runtime expectation below was computed on.
Tensor X3() { return make_f32({3, 3}, {0.5f, -1.f, 2.f, 1.5f, 0.25f, -0.75f, -2.f, 1.f, 0.5f}); }

void expect_floats(const Tensor& t, const std::vector<float>& want, float tol = 2e-5f) {
  ASSERT_EQ(t.dtype(), DType::F32);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    const float g = t.data<float>()[i], w = want[i];
    if (std::isnan(w)) EXPECT_TRUE(std::isnan(g)) << "element " << i;
    else if (std::isinf(w)) EXPECT_EQ(g, w) << "element " << i;
    else EXPECT_NEAR(g, w, tol * std::max(1.f, std::fabs(w))) << "element " << i;
  }
}
void expect_ints(const Tensor& t, const std::vector<int64_t>& want) {
  ASSERT_EQ(t.dtype(), DType::I64);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t.data<int64_t>()[i], want[i]) << "element " << i;
}
void expect_strs(const Tensor& t, const std::vector<std::string>& want) {
  ASSERT_EQ(t.dtype(), DType::String);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(t.str(i), want[i]) << "element " << i;
}

std::vector<float> randv(size_t n, std::mt19937& rng, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// ---- LinearClassifier -------------------------------------------------------------------------

// Scalar reference (ORT semantics for C >= 2): scores in double, label = first max, post.
void ref_classifier(const std::vector<float>& x, int64_t N, int64_t F, const std::vector<float>& W,
                    const std::vector<float>& b, const std::string& post, std::vector<float>* scores,
                    std::vector<int64_t>* best) {
  const int64_t C = static_cast<int64_t>(b.size());
  scores->assign(N * C, 0.f);
  best->assign(N, 0);
  for (int64_t n = 0; n < N; ++n) {
    float* s = scores->data() + n * C;
    for (int64_t c = 0; c < C; ++c) {
      double acc = b[c];
      for (int64_t f = 0; f < F; ++f) acc += double(x[n * F + f]) * W[c * F + f];
      s[c] = static_cast<float>(acc);
    }
    for (int64_t c = 1; c < C; ++c)
      if (s[c] > s[(*best)[n]]) (*best)[n] = c;
    if (post == "LOGISTIC") for (int64_t c = 0; c < C; ++c) s[c] = 1.f / (1.f + std::exp(-s[c]));
    if (post == "SOFTMAX" || post == "SOFTMAX_ZERO") {
      float m = s[0];
      for (int64_t c = 1; c < C; ++c) m = std::max(m, s[c]);
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) {
        bool zero = post == "SOFTMAX_ZERO" && std::fabs(s[c]) <= 1e-7f;
        s[c] = zero ? s[c] * std::exp(-m) : std::exp(s[c] - m);
        if (!zero) sum += s[c];
      }
      for (int64_t c = 0; c < C; ++c) s[c] = static_cast<float>(s[c] / sum);
    }
    if (post == "PROBIT") for (int64_t c = 0; c < C; ++c) s[c] = linear::probit(s[c]);
  }
}

Tensor cast_to(const std::vector<float>& v, Shape s, DType t) {
  switch (t) {
    case DType::F64: return make_f64(s, std::vector<double>(v.begin(), v.end()));
    case DType::I32: {
      std::vector<int32_t> i(v.size());
      for (size_t k = 0; k < v.size(); ++k) i[k] = static_cast<int32_t>(v[k]);
      return make_i32(s, i);
    }
    case DType::I64: {
      std::vector<int64_t> i(v.size());
      for (size_t k = 0; k < v.size(); ++k) i[k] = static_cast<int64_t>(v[k]);
      return make_i64(s, i);
    }
    default: return make_f32(s, v);
  }
}

TEST(LinearClassifier, MatchesReferenceEverySizePostAndType) {
  std::mt19937 rng(7);
  for (int64_t C : {2, 3, 7, 9}) {
    for (int64_t F : {1, 3, 7, 17, 65}) {
      for (int64_t N : {1, 257}) {
        for (const char* post : {"NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"}) {
          for (DType t : {DType::F32, DType::F64, DType::I32, DType::I64}) {
            if (t != DType::F32 && (N != 257 || F != 7)) continue;  // other types: one size
            std::vector<float> W = randv(C * F, rng), b = randv(C, rng);
            std::vector<float> x = randv(N * F, rng, -4.f, 4.f);
            if (t == DType::I32 || t == DType::I64)
              for (auto& v : x) v = std::round(v);
            std::vector<int64_t> labels;
            for (int64_t c = 0; c < C; ++c) labels.push_back(100 + c);
            auto out = run_node("LinearClassifier", {cast_to(x, {N, F}, t)}, 2,
                                {A::f32s("coefficients", W), A::f32s("intercepts", b), A::i64s("classlabels_ints", labels),
                                 A::str("post_transform", post), A::i64("multi_class", N % 2)},
                                kMl, 1);
            ASSERT_EQ(out.size(), 2u);
            std::vector<float> s;
            std::vector<int64_t> best;
            ref_classifier(x, N, F, W, b, post, &s, &best);
            for (auto& v : best) v += 100;
            SCOPED_TRACE(testing::Message() << "C=" << C << " F=" << F << " N=" << N << " post=" << post
                                            << " type=" << dtype_name(t));
            EXPECT_EQ(out[1].shape(), (Shape{N, C}));
            expect_floats(out[1], s, 1e-4f);
            // Labels: ties of near-equal scores are not expected with random data.
            expect_ints(out[0], best);
          }
        }
      }
    }
  }
}

TEST(LinearClassifier, StringLabelsAndOneDimensionalInput) {
  auto out = run_node("LinearClassifier", {make_f32({3}, {0.5f, -1.f, 2.f})}, 2,
                      {A::f32s("coefficients", {1, 0, 0, 0, 1, 0, 0, 0, 1}), A::f32s("intercepts", {0, 0, 0}),
                       A::strs("classlabels_strings", {"x", "y", "z"})},
                      kMl, 1);
  ASSERT_EQ(out.size(), 2u);
  expect_strs(out[0], {"z"});
  EXPECT_EQ(out[1].shape(), (Shape{1, 3}));
  expect_floats(out[1], {0.5f, -1.f, 2.f});
}

// One coefficient row with two labels, values from ONNX Runtime 1.30 (ort_run).
TEST(LinearClassifier, BinaryOneRowAsOnnxRuntime) {
  auto attrs = [](const char* post) {
    return std::vector<A>{A::f32s("coefficients", {0.5f, -0.25f, 0.1f}), A::f32s("intercepts", {0.2f}),
                          A::i64s("classlabels_ints", {3, 7}), A::str("post_transform", post)};
  };
  auto none = run_node("LinearClassifier", {X3()}, 2, attrs("NONE"), kMl, 1);
  ASSERT_EQ(none.size(), 2u);
  expect_ints(none[0], {7, 7, 3});
  expect_floats(none[1], {0.1f, 0.9f, 0.1875f, 0.8125f, 2.0f, -1.0f});
  auto logi = run_node("LinearClassifier", {X3()}, 2, attrs("LOGISTIC"), kMl, 1);
  expect_floats(logi[1], {0.2890505f, 0.7109495f, 0.307358f, 0.692642f, 0.7310586f, 0.2689414f});
  auto soft = run_node("LinearClassifier", {X3()}, 2, attrs("SOFTMAX"), kMl, 1);
  expect_floats(soft[1], {0.1f, 0.9f, 0.1875f, 0.8125f, 2.0f, -1.0f});
  auto probit = run_node("LinearClassifier", {X3()}, 2, attrs("PROBIT"), kMl, 1);
  expect_floats(probit[1], {1.281713f, 0.887294f, NAN, 0.f, 0.f, 0.f}, 1e-4f);
  auto strs = run_node("LinearClassifier", {X3()}, 2,
                       {A::f32s("coefficients", {0.5f, -0.25f, 0.1f}), A::f32s("intercepts", {0.2f}),
                        A::strs("classlabels_strings", {"a", "b"})},
                       kMl, 1);
  expect_strs(strs[0], {"b", "b", "a"});
}

TEST(LinearClassifier, PostTransformsAsOnnxRuntime) {
  auto attrs = [](const char* post) {
    return std::vector<A>{A::f32s("coefficients", {0.1f, 0.2f, 0.f, 0.f, 0.f, 0.f, -0.1f, 0.05f, 0.02f}),
                          A::f32s("intercepts", {0.3f, 0.f, 0.4f}), A::i64s("classlabels_ints", {0, 1, 2}),
                          A::str("post_transform", post)};
  };
  auto lg = run_node("LinearClassifier", {X3()}, 2, attrs("LOGISTIC"), kMl, 1);
  expect_ints(lg[0], {2, 0, 2});
  expect_floats(lg[1], {0.5374299f, 0.5f, 0.5841905f, 0.6224593f, 0.5f, 0.561561f, 0.5744425f, 0.5f, 0.6592604f});
  auto sz = run_node("LinearClassifier", {X3()}, 2, attrs("SOFTMAX_ZERO"), kMl, 1);
  expect_floats(sz[1], {0.4526424f, 0.f, 0.5473576f, 0.5627918f, 0.f, 0.4372083f, 0.4109596f, 0.f, 0.5890404f});
  auto pb = run_node("LinearClassifier", {X3()}, 2, attrs("PROBIT"), kMl, 1);
  expect_floats(pb[1], {-1.036613f, -INFINITY, -0.4124864f, 0.f, -INFINITY, -0.6824648f, -0.5244459f, -INFINITY,
                        0.4124864f}, 1e-4f);
}

TEST(LinearClassifier, RefusesMalformedAttributesAndInputs) {
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, {-1, 3}).output("y", DType::I64).output("z", DType::F32);
  b.node("LinearClassifier", {"x"}, {"y", "z"},
         {A::f32s("coefficients", {1, 2, 3, 4}), A::f32s("intercepts", {0, 0, 0}), A::i64s("classlabels_ints", {0, 1, 2})},
         kMl);
  auto r = b.try_load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidModel);

  ModelBuilder b2;
  b2.opset(kMl, 1).input("x", DType::F32, {-1, -1}).output("y", DType::I64).output("z", DType::F32);
  b2.node("LinearClassifier", {"x"}, {"y", "z"},
          {A::f32s("coefficients", {1, 2, 3, 4, 5, 6}), A::f32s("intercepts", {0, 0}), A::i64s("classlabels_ints", {0, 1}),
           A::str("post_transform", "SOFTMAX")},
          kMl);
  auto m = b2.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  Status st = try_run(m, {make_f32({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
  st = try_run(m, {make_f32({0, 3}, {})}, &out);  // zero rows
  EXPECT_TRUE(st.ok()) << st.message();

  ModelBuilder b3;
  b3.opset(kMl, 1).input("x", DType::F32, {-1, 3}).output("y", DType::I64).output("z", DType::F32);
  b3.node("LinearClassifier", {"x"}, {"y", "z"},
          {A::f32s("coefficients", {1, 2, 3}), A::f32s("intercepts", {0}), A::str("post_transform", "BOGUS"),
           A::i64s("classlabels_ints", {0, 1})},
          kMl);
  EXPECT_EQ(b3.try_load().status().code(), StatusCode::InvalidModel);
}

// ---- LinearRegressor --------------------------------------------------------------------------

TEST(LinearRegressor, TargetsInterceptsAndPostAsOnnxRuntime) {
  const std::vector<float> W9 = {0.1f, 0.2f, 0.f, 0.f, 0.f, 0.f, -0.1f, 0.05f, 0.02f};
  auto lr1 = run_node("LinearRegressor", {X3()}, 1,
                      {A::f32s("coefficients", {0.1f, 0.05f, 0.02f}), A::f32s("intercepts", {0.3f}),
                       A::str("post_transform", "LOGISTIC")},
                      kMl, 1);
  expect_floats(lr1[0], {0.34f, 0.4475f, 0.16f});  // one target: ORT applies only PROBIT
  EXPECT_EQ(lr1[0].shape(), (Shape{3, 1}));
  auto pr = run_node("LinearRegressor", {X3()}, 1,
                     {A::f32s("coefficients", {0.1f, 0.05f, 0.02f}), A::f32s("intercepts", {0.3f}),
                      A::str("post_transform", "PROBIT")},
                     kMl, 1);
  expect_floats(pr[0], {-0.4124864f, -0.1319805f, -0.9946307f}, 1e-4f);
  auto sm = run_node("LinearRegressor", {X3()}, 1,
                     {A::f32s("coefficients", W9), A::f32s("intercepts", {0.3f, 0.f, 0.4f}), A::i64("targets", 3),
                      A::str("post_transform", "SOFTMAX")},
                     kMl, 1);
  expect_floats(sm[0], {0.3257374f, 0.2803648f, 0.3938978f, 0.419571f, 0.2544827f, 0.3259464f, 0.3150452f, 0.2333913f,
                        0.4515636f});
  auto ni = run_node("LinearRegressor", {X3()}, 1,
                     {A::f32s("coefficients", W9), A::f32s("intercepts", {0.3f, 0.4f}), A::i64("targets", 3)}, kMl, 1);
  expect_floats(ni[0], {-0.15f, 0.f, -0.06f, 0.2f, 0.f, -0.1525f, 0.f, 0.f, 0.26f});  // 2 intercepts for 3: unused
}

TEST(LinearRegressor, MatchesReferenceManySizes) {
  std::mt19937 rng(11);
  for (int64_t T : {1, 2, 5, 12}) {
    for (int64_t F : {1, 3, 17, 65}) {
      for (int64_t N : {1, 3, 257}) {
        std::vector<float> W = randv(T * F, rng), b = randv(T, rng), x = randv(N * F, rng, -3, 3);
        auto out = run_node("LinearRegressor", {make_f32({N, F}, x)}, 1,
                            {A::f32s("coefficients", W), A::f32s("intercepts", b), A::i64("targets", T)}, kMl, 1);
        ASSERT_EQ(out.size(), 1u);
        std::vector<float> s;
        std::vector<int64_t> best;
        ref_classifier(x, N, F, W, b, "NONE", &s, &best);
        SCOPED_TRACE(testing::Message() << "T=" << T << " F=" << F << " N=" << N);
        expect_floats(out[0], s, 1e-4f);
      }
    }
  }
}

// ---- kernels: every ISA variant against the scalar reference ---------------------------------

TEST(LinearKernels, VariantsMatchScalar) {
  std::mt19937 rng(3);
  const auto& vs = linear::variants();
  ASSERT_GE(vs.size(), 1u);
  for (int64_t C : {1, 2, 3, 5, 8, 9, 17}) {
    for (int64_t F : {1, 3, 7, 8, 16, 17, 65}) {
      std::vector<float> W = randv(C * F, rng), b = randv(C, rng);
      linear::Weights wt;
      wt.pack(C, F, W.data(), b.data());
      for (int64_t N : {1, 3, 7, 257}) {
        std::vector<float> x = randv(N * F, rng, -2, 2), ref(N * C), got(N * C);
        linear::gemv_scalar(wt, x.data(), N, ref.data());
        for (const auto& v : vs) {
          std::fill(got.begin(), got.end(), 0.f);
          v.gemv(wt, x.data(), N, got.data());
          for (int64_t i = 0; i < N * C; ++i) ASSERT_NEAR(got[i], ref[i], 1e-4f) << v.name << " C=" << C << " F=" << F;
          if (!v.small || C > linear::kSmallC || C < 2) continue;
          for (int post : {linear::kPostNone, linear::kPostLogistic, linear::kPostSoftmax}) {
            for (int norm : {linear::kNormNone, linear::kNormMax, linear::kNormL1, linear::kNormL2}) {
              std::vector<float> r2(N * C), g2(N * C + 8, 42.f);
              std::vector<int32_t> rb(N), gb(N);
              linear::small_scalar(wt, x.data(), N, r2.data(), rb.data(), post, norm);
              v.small(wt, x.data(), N, g2.data(), gb.data(), post, norm);
              // Dividing by a row maximum near 0 amplifies the one-ulp score differences (FMA
              // against multiply-then-add): MAX rows are checked where the maximum is not tiny.
              std::vector<float> raw(N * C);
              linear::small_scalar(wt, x.data(), N, raw.data(), nullptr, post, linear::kNormNone);
              for (int64_t i = 0; i < N * C; ++i) {
                if (norm == linear::kNormMax) {
                  float m = -1e30f;
                  for (int64_t c = 0; c < C; ++c) m = std::max(m, raw[(i / C) * C + c]);
                  if (std::fabs(m) < 0.5f) continue;
                }
                ASSERT_NEAR(g2[i], r2[i], 1e-4f * std::max(1.f, std::fabs(r2[i])))
                    << v.name << " C=" << C << " F=" << F << " post=" << post << " norm=" << norm;
              }
              EXPECT_EQ(g2[N * C], 42.f) << "wrote past the end";
              for (int64_t n = 0; n < N; ++n) EXPECT_EQ(gb[n], rb[n]);
            }
          }
        }
      }
    }
  }
  std::vector<float> x = randv(37, rng, -30, 30), r(37), g(37);
  for (const auto& v : vs) {
    linear::exp_scalar(x.data(), r.data(), 37);
    v.exp(x.data(), g.data(), 37);
    for (int i = 0; i < 37; ++i) EXPECT_NEAR(g[i], r[i], 1e-6f * std::max(1.f, r[i])) << v.name;
    linear::logistic_scalar(x.data(), r.data(), 37);
    v.logistic(x.data(), g.data(), 37);
    for (int i = 0; i < 37; ++i) EXPECT_NEAR(g[i], r[i], 1e-6f) << v.name;
  }
}

// ---- fold_linear_preprocess: optimised graph == plain graph ----------------------------------

std::shared_ptr<const Model> pipeline(bool optimize, const char* post, const char* norm, bool expose_scaled,
                                      int64_t C, int64_t F, std::mt19937& rng) {
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, {-1, F}).output("label", DType::I64).output("prob", DType::F32);
  if (expose_scaled) b.output("scaled", DType::F32);
  std::vector<float> off = randv(F, rng, -5, 5), sc = randv(F, rng, 0.2f, 2.f);
  b.node("Scaler", {"x"}, {"scaled"}, {A::f32s("offset", off), A::f32s("scale", sc)}, kMl);
  std::vector<int64_t> labels;
  for (int64_t c = 0; c < C; ++c) labels.push_back(c);
  b.node("LinearClassifier", {"scaled"}, {"label", "raw"},
         {A::f32s("coefficients", randv(C * F, rng)), A::f32s("intercepts", randv(C, rng)),
          A::i64s("classlabels_ints", labels), A::str("post_transform", post)},
         kMl);
  b.node("Normalizer", {"raw"}, {"prob"}, {A::str("norm", norm)}, kMl);
  ModelOptions o;
  o.optimize = optimize;
  o.threads = 1;
  return b.load(o);
}

TEST(FoldLinearPreprocess, SameOutputsAsPlainGraph) {
  for (const char* post : {"NONE", "SOFTMAX", "LOGISTIC"}) {
    for (const char* norm : {"L1", "L2", "MAX"}) {
      for (bool expose : {false, true}) {
        for (int64_t C : {2, 3, 11}) {
          std::mt19937 r1(C * 7 + expose), r2(C * 7 + expose), rx(5);
          auto fast = pipeline(true, post, norm, expose, C, 13, r1);
          auto plain = pipeline(false, post, norm, expose, C, 13, r2);
          ASSERT_TRUE(fast && plain);
          for (int64_t N : {1, 7, 257}) {
            Tensor x = make_f32({N, 13}, randv(N * 13, rx, -10, 10));
            auto a = run(fast, {x});
            auto b = run(plain, {x});
            ASSERT_EQ(a.size(), b.size());
            SCOPED_TRACE(testing::Message() << post << " " << norm << " expose=" << expose << " C=" << C << " N=" << N);
            EXPECT_TRUE(a[0].same_as(b[0]));
            std::vector<float> want(b[1].data<float>(), b[1].data<float>() + b[1].numel());
            expect_floats(a[1], want, 1e-5f);
          }
        }
      }
    }
  }
}

// ---- SVMClassifier / SVMRegressor: values from ONNX Runtime 1.30 (ort_run) -------------------

const std::vector<float> kSV = {1, 0, 0.5f, 0, 1, -1, 0.5f, 0.5f, 0.5f, -1, 2, 0, 2, -1, 1};
const std::vector<float> kCoef3 = {0.5f, -0.3f, 0.8f, 0.2f, -0.6f, 0.1f, 0.4f, -0.7f, 0.9f, 0.3f};

std::vector<A> svc3(const char* kernel, std::vector<float> params, const char* post = "NONE") {
  return {A::str("kernel_type", kernel), A::f32s("kernel_params", params), A::i64s("vectors_per_class", {2, 2, 1}),
          A::f32s("support_vectors", kSV), A::f32s("coefficients", kCoef3), A::f32s("rho", {0.1f, -0.2f, 0.3f}),
          A::i64s("classlabels_ints", {0, 1, 2}), A::str("post_transform", post)};
}

TEST(SVMClassifier, KernelsAsOnnxRuntime) {
  struct Case {
    const char* kernel;
    std::vector<float> params;
    std::vector<int64_t> labels;
    std::vector<float> scores;
  };
  const std::vector<Case> cases = {
      {"RBF", {0.5f, 0, 3}, {0, 0, 0},
       {0.2709059f, -0.3002389f, 0.2857333f, 0.4412982f, -0.1182585f, 0.1442665f, 0.1861378f, -0.1817755f, 0.5650573f}},
      {"LINEAR", {0, 0, 0}, {2, 2, 1}, {1.85f, -3.65f, -1.275f, 0.5625f, -0.8875f, -0.3499999f, -0.325f, 2.525f, 2.725f}},
      {"POLY", {0.3f, 1.0f, 2}, {0, 0, 0},
       {2.36125f, -2.88975f, 0.7578127f, 1.643453f, -0.8811096f, 0.5832501f, 1.468563f, 0.2780625f, 4.093812f}},
      {"POLY", {0.3f, 1.0f, 4}, {0, 0, 0},
       {4.112505f, -13.81327f, 5.754884f, 2.290488f, -2.669702f, 1.257866f, 4.871547f, 0.4956895f, 20.87508f}},
      {"SIGMOID", {0.2f, 0.5f, 0}, {0, 0, 0},
       {0.9192548f, -0.6904975f, 0.158348f, 0.7165903f, -0.3260319f, 0.401136f, 0.5231915f, 0.2576777f, 0.6662369f}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(testing::Message() << c.kernel << " degree " << c.params[2]);
    auto out = run_node("SVMClassifier", {X3()}, 2, svc3(c.kernel, c.params), kMl, 1);
    ASSERT_EQ(out.size(), 2u);
    expect_ints(out[0], c.labels);
    expect_floats(out[1], c.scores, 1e-4f);
  }
  auto lg = run_node("SVMClassifier", {X3()}, 2, svc3("RBF", {0.5f, 0, 3}, "LOGISTIC"), kMl, 1);
  expect_floats(lg[1], {0.5673153f, 0.4254991f, 0.5709513f, 0.6085683f, 0.4704698f, 0.5360042f, 0.5464005f, 0.4546809f,
                        0.6376219f});
  // double input: converted to float first
  auto d = run_node("SVMClassifier", {make_f64({3, 3}, {0.5, -1, 2, 1.5, 0.25, -0.75, -2, 1, 0.5})}, 2,
                    svc3("RBF", {0.5f, 0, 3}), kMl, 1);
  expect_floats(d[1], cases[0].scores, 1e-4f);
}

TEST(SVMClassifier, ProbabilitiesByPairwiseCouplingAsOnnxRuntime) {
  auto attrs = svc3("RBF", {0.5f, 0, 3});
  attrs.push_back(A::f32s("prob_a", {-1.5f, -0.7f, -2.1f}));
  attrs.push_back(A::f32s("prob_b", {0.1f, -0.2f, 0.05f}));
  auto out = run_node("SVMClassifier", {X3()}, 2, attrs, kMl, 1);
  expect_ints(out[0], {0, 0, 0});
  expect_floats(out[1], {0.3740593f, 0.3476569f, 0.2782838f, 0.4114764f, 0.2901373f, 0.2983864f, 0.3803344f, 0.4047228f,
                         0.2149427f}, 1e-4f);
  attrs.back() = A::f32s("prob_b", {0.1f, -0.2f, 0.05f});
  attrs.push_back(A::str("post_transform", "SOFTMAX"));
  attrs.erase(attrs.begin() + 7);  // the NONE post_transform of svc3
  auto sm = run_node("SVMClassifier", {X3()}, 2, attrs, kMl, 1);
  expect_floats(sm[1], {0.3469077f, 0.3378684f, 0.3152239f, 0.3598671f, 0.3187464f, 0.3213866f, 0.3481591f, 0.3567545f,
                        0.2950863f}, 1e-4f);
}

TEST(SVMClassifier, BinaryAndLinearModeAsOnnxRuntime) {
  auto bin = [](const char* post) {
    return std::vector<A>{A::str("kernel_type", "RBF"), A::f32s("kernel_params", {0.5f, 0, 3}),
                          A::i64s("vectors_per_class", {2, 2}),
                          A::f32s("support_vectors", std::vector<float>(kSV.begin(), kSV.begin() + 12)),
                          A::f32s("coefficients", {0.5f, -0.3f, 0.8f, 0.2f}), A::f32s("rho", {0.1f}),
                          A::i64s("classlabels_ints", {0, 1}), A::str("post_transform", post)};
  };
  auto none = run_node("SVMClassifier", {X3()}, 2, bin("NONE"), kMl, 1);
  expect_ints(none[0], {0, 0, 0});
  expect_floats(none[1], {-0.2709059f, 0.2709059f, -0.4412982f, 0.4412982f, -0.1861378f, 0.1861378f});
  auto lg = run_node("SVMClassifier", {X3()}, 2, bin("LOGISTIC"), kMl, 1);
  expect_floats(lg[1], {0.4326847f, 0.5673153f, 0.3914317f, 0.6085683f, 0.4535995f, 0.5464005f});
  auto sm = run_node("SVMClassifier", {X3()}, 2, bin("SOFTMAX"), kMl, 1);
  expect_floats(sm[1], {0.729094f, 0.2709059f, 0.5587019f, 0.4412982f, 0.8138623f, 0.1861378f});
  auto pb = run_node("SVMClassifier", {X3()}, 2, bin("PROBIT"), kMl, 1);
  expect_floats(pb[1], {-0.6101421f, 0.f, -0.1476807f, 0.f, -0.8923681f, 0.f}, 1e-4f);
  auto withp = bin("NONE");
  withp.push_back(A::f32s("prob_a", {-1.2f}));
  withp.push_back(A::f32s("prob_b", {0.3f}));
  auto p = run_node("SVMClassifier", {X3()}, 2, withp, kMl, 1);
  expect_floats(p[1], {0.5062715f, 0.4937286f, 0.5570653f, 0.4429347f, 0.4808495f, 0.5191504f}, 1e-4f);
  auto strs = bin("NONE");
  strs[6] = A::strs("classlabels_strings", {"neg", "pos"});
  expect_strs(run_node("SVMClassifier", {X3()}, 2, strs, kMl, 1)[0], {"neg", "neg", "neg"});

  auto lin = [](std::vector<float> coef, int64_t C) {
    std::vector<int64_t> labels;
    for (int64_t c = 0; c < C; ++c) labels.push_back(c);
    return std::vector<A>{A::f32s("coefficients", coef), A::f32s("rho", {0.2f}), A::i64s("classlabels_ints", labels)};
  };
  auto l3 = run_node("SVMClassifier", {X3()}, 2, lin({0.5f, -1, 0.25f, 1, 0.5f, -0.5f, -0.3f, 0.2f, 0.9f}, 3), kMl, 1);
  expect_ints(l3[0], {0, 1, 2});
  expect_floats(l3[1], {1.95f, -0.8f, 1.65f, 0.5125f, 2.2f, -0.8750001f, -1.675f, -1.55f, 1.45f});
  auto l2 = run_node("SVMClassifier", {X3()}, 2, lin({0.5f, -1, 0.25f, 1, 0.5f, -0.5f}, 2), kMl, 1);
  expect_ints(l2[0], {1, 1, 1});
  auto l2p = run_node("SVMClassifier", {X3()}, 2, lin({0.1f, 0.2f, 0.05f, 0.3f, 0.1f, 0.f}, 2), kMl, 1);
  expect_ints(l2p[0], {1, 1, 0});  // all weights positive: label 1 only from 0.5 up, else the larger
  expect_floats(l2p[1], {0.15f, 0.25f, 0.3625f, 0.675f, 0.225f, -0.3f});
}

TEST(SVMClassifier, RefusesMalformed) {
  ModelBuilder b;
  b.opset(kMl, 1).input("x", DType::F32, {-1, 3}).output("y", DType::I64).output("z", DType::F32);
  auto attrs = svc3("RBF", {0.5f, 0, 3});
  attrs[2] = A::i64s("vectors_per_class", {2, 2});  // 2 entries for 3 labels
  b.node("SVMClassifier", {"x"}, {"y", "z"}, attrs, kMl);
  EXPECT_EQ(b.try_load().status().code(), StatusCode::InvalidModel);
  ModelBuilder b2;
  b2.opset(kMl, 1).input("x", DType::F32, {-1, 3}).output("y", DType::I64).output("z", DType::F32);
  auto a2 = svc3("RBF", {0.5f, 0, 3});
  a2.push_back(A::f32s("prob_a", {1, 2, 3}));  // prob_b missing
  b2.node("SVMClassifier", {"x"}, {"y", "z"}, a2, kMl);
  EXPECT_EQ(b2.try_load().status().code(), StatusCode::InvalidModel);
}

// Reference: sum_v coef[v] * k(x, sv_v) + rho (double), sign for one_class.
TEST(SVMRegressor, KernelsLinearModeAndOneClass) {
  const std::vector<float> coef = {0.5f, -0.3f, 0.8f, 0.2f, -0.6f};
  const std::vector<float> x = {0.5f, -1.f, 2.f, 1.5f, 0.25f, -0.75f, -2.f, 1.f, 0.5f};
  for (const char* kernel : {"LINEAR", "POLY", "RBF", "SIGMOID"}) {
    for (int one_class : {0, 1}) {
      const float gamma = 0.4f, coef0 = 0.5f, degree = 3;
      auto out = run_node("SVMRegressor", {X3()}, 1,
                          {A::str("kernel_type", kernel), A::f32s("kernel_params", {gamma, coef0, degree}),
                           A::i64("n_supports", 5), A::f32s("support_vectors", kSV), A::f32s("coefficients", coef),
                           A::f32s("rho", {0.25f}), A::i64("one_class", one_class)},
                          kMl, 1);
      ASSERT_EQ(out.size(), 1u);
      std::vector<float> want;
      for (int n = 0; n < 3; ++n) {
        double y = 0.25;
        for (int v = 0; v < 5; ++v) {
          double dot = 0, d2 = 0;
          for (int f = 0; f < 3; ++f) {
            dot += double(x[n * 3 + f]) * kSV[v * 3 + f];
            d2 += std::pow(double(x[n * 3 + f]) - kSV[v * 3 + f], 2);
          }
          double k = std::string(kernel) == "LINEAR" ? dot
                     : std::string(kernel) == "POLY" ? std::pow(gamma * dot + coef0, degree)
                     : std::string(kernel) == "RBF"  ? std::exp(-gamma * d2)
                                                     : std::tanh(gamma * dot + coef0);
          y += coef[v] * k;
        }
        want.push_back(one_class ? (y > 0 ? 1.f : -1.f) : static_cast<float>(y));
      }
      SCOPED_TRACE(testing::Message() << kernel << " one_class=" << one_class);
      EXPECT_EQ(out[0].shape(), (Shape{3, 1}));
      expect_floats(out[0], want, 1e-4f);
    }
  }
  auto lin = run_node("SVMRegressor", {X3()}, 1,
                      {A::f32s("coefficients", {0.5f, -1.f, 0.25f}), A::f32s("rho", {0.2f}), A::i64("n_supports", 0)}, kMl, 1);
  expect_floats(lin[0], {1.95f, 0.5125f, -1.675f});
}

}  // namespace
}  // namespace rtml::test
