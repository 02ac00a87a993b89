// test_preprocess_ml.cc - Scaler, Normalizer, Binarizer, Imputer, ArrayFeatureExtractor,
// FeatureVectorizer, DictVectorizer (refused), OneHotEncoder, LabelEncoder (opsets 1, 2, 4) and
// CategoryMapper: every attribute, every input type, strings included, and the error paths.
#include <gtest/gtest.h>

#include <cmath>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

const char* kMl = "ai.onnx.ml";

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}
std::vector<std::string> strings(const Tensor& t) {
  std::vector<std::string> v;
  for (int64_t i = 0; i < t.numel(); ++i) v.emplace_back(t.str(i));
  return v;
}
void expect_floats(const Tensor& t, const std::vector<float>& want, float tol = 1e-6f) {
  ASSERT_EQ(t.dtype(), DType::F32);
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(t.data<float>()[i])) << i;
    else EXPECT_NEAR(t.data<float>()[i], want[i], tol * std::max(1.f, std::fabs(want[i]))) << i;
  }
}

// A one-node model whose run is expected to fail with `code` (at load or at run).
StatusCode fails_with(const std::string& op, const std::vector<Tensor>& inputs, std::vector<A> attrs, int64_t opset = 1) {
  ModelBuilder b;
  b.opset(kMl, opset);
  std::vector<std::string> in;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in.push_back("in" + std::to_string(i));
    // Dim 0 dynamic: shape errors then come from the run (a fully static model is planned, and
    // its shape errors refused, at load).
    std::vector<int64_t> dims(inputs[i].shape().begin(), inputs[i].shape().end());
    if (!dims.empty()) dims[0] = -1;
    b.input(in.back(), inputs[i].dtype(), dims);
  }
  b.output("out0", DType::Undefined);
  b.node(op, in, {"out0"}, std::move(attrs), kMl);
  auto m = b.try_load();
  if (!m.ok()) return m.status().code();
  std::vector<Tensor> out;
  return try_run(m.value(), inputs, &out).code();
}

// ---- Scaler ---------------------------------------------------------------------------------

TEST(Scaler, PerFeatureScalarAndTypes) {
  auto y = run_node("Scaler", {make_f32({2, 3}, {1, 2, 3, 4, 5, 6})}, 1,
                    {A::f32s("offset", {1, 2, 3}), A::f32s("scale", {2, 0.5f, -1})}, kMl, 1);
  ASSERT_EQ(y.size(), 1u);
  expect_floats(y[0], {0, 0, 0, 6, 1.5f, -3});
  auto s1 = run_node("Scaler", {make_f32({2, 2}, {1, 2, 3, 4})}, 1, {A::f32s("offset", {1}), A::f32s("scale", {3})}, kMl, 1);
  expect_floats(s1[0], {0, 3, 6, 9});
  auto so = run_node("Scaler", {make_f32({3}, {1, 2, 3})}, 1, {A::f32s("scale", {2, 2, 2})}, kMl, 1);
  expect_floats(so[0], {2, 4, 6});
  auto oo = run_node("Scaler", {make_f32({3}, {1, 2, 3})}, 1, {A::f32s("offset", {1, 1, 1})}, kMl, 1);
  expect_floats(oo[0], {0, 1, 2});
  auto d = run_node("Scaler", {make_f64({1, 2}, {1e8 + 1, 2.5})}, 1, {A::f32s("offset", {1e8f, 0}), A::f32s("scale", {1, 2})},
                    kMl, 1);
  expect_floats(d[0], {1, 5});  // double arithmetic keeps the 1
  auto i64 = run_node("Scaler", {make_i64({1, 2}, {3, -4})}, 1, {A::f32s("offset", {1, 1}), A::f32s("scale", {0.5f, 2})}, kMl, 1);
  expect_floats(i64[0], {1, -10});
  auto i32 = run_node("Scaler", {make_i32({2}, {3, -4})}, 1, {A::f32s("offset", {1}), A::f32s("scale", {0.5f})}, kMl, 1);
  expect_floats(i32[0], {1, -2.5f});
  auto big = run_node("Scaler", {make_f32({257, 7}, std::vector<float>(257 * 7, 2.f))}, 1,
                      {A::f32s("offset", std::vector<float>(7, 1.f)), A::f32s("scale", std::vector<float>(7, 3.f))}, kMl, 1);
  expect_floats(big[0], std::vector<float>(257 * 7, 3.f));
  EXPECT_EQ(fails_with("Scaler", {make_f32({2, 3}, {1, 2, 3, 4, 5, 6})}, {A::f32s("offset", {1, 2}), A::f32s("scale", {1, 2})}),
            StatusCode::InvalidInput);
  EXPECT_EQ(fails_with("Scaler", {make_f32({2}, {1, 2})}, {A::f32s("offset", {1, 2}), A::f32s("scale", {1})}),
            StatusCode::InvalidModel);
}

// ---- Normalizer -----------------------------------------------------------------------------

TEST(Normalizer, MaxL1L2ZeroRowsAndTypes) {
  Tensor x = make_f32({3, 3}, {1, -2, 2, 0, 0, 0, -1, -2, -4});
  expect_floats(run_node("Normalizer", {x}, 1, {A::str("norm", "MAX")}, kMl, 1)[0],
                {0.5f, -1, 1, 0, 0, 0, 1, 2, 4});  // max -1: divided by -1
  expect_floats(run_node("Normalizer", {x}, 1, {A::str("norm", "L1")}, kMl, 1)[0],
                {0.2f, -0.4f, 0.4f, 0, 0, 0, -1 / 7.f, -2 / 7.f, -4 / 7.f});
  expect_floats(run_node("Normalizer", {x}, 1, {A::str("norm", "L2")}, kMl, 1)[0],
                {1 / 3.f, -2 / 3.f, 2 / 3.f, 0, 0, 0, -1 / std::sqrt(21.f), -2 / std::sqrt(21.f), -4 / std::sqrt(21.f)});
  expect_floats(run_node("Normalizer", {make_f32({2}, {3, 1})}, 1, {}, kMl, 1)[0], {1, 1 / 3.f});  // default MAX, 1-D
  expect_floats(run_node("Normalizer", {make_i64({1, 2}, {3, -4})}, 1, {A::str("norm", "L2")}, kMl, 1)[0], {0.6f, -0.8f});
  expect_floats(run_node("Normalizer", {make_i32({1, 2}, {1, 3})}, 1, {A::str("norm", "L1")}, kMl, 1)[0], {0.25f, 0.75f});
  expect_floats(run_node("Normalizer", {make_f64({1, 2}, {1, 3})}, 1, {A::str("norm", "L1")}, kMl, 1)[0], {0.25f, 0.75f});
  EXPECT_EQ(fails_with("Normalizer", {make_f32({1, 1, 2}, {1, 2})}, {A::str("norm", "L1")}), StatusCode::InvalidInput);
  EXPECT_EQ(fails_with("Normalizer", {make_f32({2}, {1, 2})}, {A::str("norm", "L3")}), StatusCode::InvalidModel);
}

// ---- Binarizer ------------------------------------------------------------------------------

TEST(Binarizer, ThresholdTypesAndNaN) {
  auto y = run_node("Binarizer", {make_f32({2, 2}, {0.5f, 1.f, 1.5f, -3.f})}, 1, {A::f32("threshold", 1.f)}, kMl, 1);
  expect_floats(y[0], {0, 0, 1, 0});
  expect_floats(run_node("Binarizer", {make_f32({3}, {-0.1f, 0.f, 0.1f})}, 1, {}, kMl, 1)[0], {0, 0, 1});  // default 0
  auto d = run_node("Binarizer", {make_f64({2}, {0.25, 0.75})}, 1, {A::f32("threshold", 0.5f)}, kMl, 1);
  EXPECT_EQ(values<double>(d[0]), (std::vector<double>{0, 1}));
  auto i = run_node("Binarizer", {make_i64({3}, {1, 2, 3})}, 1, {A::f32("threshold", 2.f)}, kMl, 1);
  EXPECT_EQ(values<int64_t>(i[0]), (std::vector<int64_t>{0, 0, 1}));
  auto i32 = run_node("Binarizer", {make_i32({2}, {-5, 5})}, 1, {}, kMl, 1);
  EXPECT_EQ(values<int32_t>(i32[0]), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(fails_with("Binarizer", {make_f32({2}, {1, NAN})}, {}), StatusCode::InvalidInput);
}

// ---- Imputer --------------------------------------------------------------------------------

TEST(Imputer, FloatNaNIntAndPerFeature) {
  auto y = run_node("Imputer", {make_f32({2, 3}, {NAN, 1, 2, 3, NAN, NAN})}, 1,
                    {A::f32s("imputed_value_floats", {10, 20, 30}), A::f32("replaced_value_float", NAN)}, kMl, 1);
  expect_floats(y[0], {10, 1, 2, 3, 20, 30});
  auto one = run_node("Imputer", {make_f32({2, 2}, {0, 1, 2, 0})}, 1,
                      {A::f32s("imputed_value_floats", {-1}), A::f32("replaced_value_float", 0)}, kMl, 1);
  expect_floats(one[0], {-1, 1, 2, -1});
  auto i = run_node("Imputer", {make_i64({1, 3}, {-1, 5, -1})}, 1,
                    {A::i64s("imputed_value_int64s", {7, 8, 9}), A::i64("replaced_value_int64", -1)}, kMl, 1);
  EXPECT_EQ(values<int64_t>(i[0]), (std::vector<int64_t>{7, 5, 9}));
  auto i32 = run_node("Imputer", {make_i32({2}, {0, 3})}, 1, {A::i64s("imputed_value_int64s", {4})}, kMl, 1);
  EXPECT_EQ(values<int32_t>(i32[0]), (std::vector<int32_t>{4, 3}));
  auto d = run_node("Imputer", {make_f64({2}, {NAN, 1})}, 1,
                    {A::f32s("imputed_value_floats", {0.5f}), A::f32("replaced_value_float", NAN)}, kMl, 1);
  EXPECT_EQ(values<double>(d[0]), (std::vector<double>{0.5, 1}));
  EXPECT_EQ(fails_with("Imputer", {make_f32({2}, {1, 2})}, {A::i64s("imputed_value_int64s", {1})}), StatusCode::InvalidModel);
}

// ---- ArrayFeatureExtractor ------------------------------------------------------------------

TEST(ArrayFeatureExtractor, ShapesTypesStringsAndRange) {
  auto y = run_node("ArrayFeatureExtractor", {make_f32({2, 3}, {0, 1, 2, 3, 4, 5}), make_i64({2}, {2, 0})}, 1, {}, kMl, 1);
  EXPECT_EQ(y[0].shape(), (Shape{2, 2}));
  expect_floats(y[0], {2, 0, 5, 3});
  auto v = run_node("ArrayFeatureExtractor", {make_i64({4}, {10, 11, 12, 13}), make_i64({1}, {3})}, 1, {}, kMl, 1);
  EXPECT_EQ(v[0].shape(), (Shape{1, 1}));  // 1-D input: [1, K] as ONNX Runtime
  EXPECT_EQ(values<int64_t>(v[0]), (std::vector<int64_t>{13}));
  auto s = run_node("ArrayFeatureExtractor", {make_str({2, 2}, {"a", "b", "c", "d"}), make_i64({1, 1}, {1})}, 1, {}, kMl, 1);
  EXPECT_EQ(strings(s[0]), (std::vector<std::string>{"b", "d"}));
  auto r3 = run_node("ArrayFeatureExtractor", {make_i32({2, 1, 2}, {1, 2, 3, 4}), make_i64({3}, {1, 1, 0})}, 1, {}, kMl, 1);
  EXPECT_EQ(r3[0].shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(values<int32_t>(r3[0]), (std::vector<int32_t>{2, 2, 1, 4, 4, 3}));
  auto d = run_node("ArrayFeatureExtractor", {make_f64({1, 2}, {1.5, 2.5}), make_i64({1}, {1})}, 1, {}, kMl, 1);
  EXPECT_EQ(values<double>(d[0]), (std::vector<double>{2.5}));
  EXPECT_EQ(fails_with("ArrayFeatureExtractor", {make_f32({1, 2}, {1, 2}), make_i64({1}, {2})}, {}), StatusCode::InvalidInput);
  EXPECT_EQ(fails_with("ArrayFeatureExtractor", {make_f32({1, 2}, {1, 2}), make_i64({1}, {-1})}, {}), StatusCode::InvalidInput);
  EXPECT_EQ(fails_with("ArrayFeatureExtractor", {make_f32({1, 2}, {1, 2}), make_i64({0}, {})}, {}), StatusCode::InvalidInput);
}

// ---- FeatureVectorizer, DictVectorizer --------------------------------------------------------

TEST(FeatureVectorizer, PadsTruncatesAndCasts) {
  auto y = run_node("FeatureVectorizer", {make_f32({2, 2}, {1, 2, 3, 4}), make_i64({2, 3}, {5, 6, 7, 8, 9, 10}),
                                          make_f64({2, 1}, {0.5, 1.5})},
                    1, {A::i64s("inputdimensions", {3, 2, 1})}, kMl, 1);
  EXPECT_EQ(y[0].shape(), (Shape{2, 6}));
  expect_floats(y[0], {1, 2, 0, 5, 6, 0.5f, 3, 4, 0, 8, 9, 1.5f});
  auto one = run_node("FeatureVectorizer", {make_i32({3}, {1, 2, 3})}, 1, {A::i64s("inputdimensions", {3})}, kMl, 1);
  EXPECT_EQ(one[0].shape(), (Shape{1, 3}));
  expect_floats(one[0], {1, 2, 3});
  EXPECT_EQ(fails_with("FeatureVectorizer", {make_f32({2, 1}, {1, 2})}, {A::i64s("inputdimensions", {1, 1})}),
            StatusCode::InvalidModel);
}

TEST(DictVectorizer, RefusedCleanly) {
  EXPECT_EQ(fails_with("DictVectorizer", {make_f32({1}, {1})}, {A::strs("string_vocabulary", {"a", "b"})}),
            StatusCode::Unsupported);
}

// ---- OneHotEncoder --------------------------------------------------------------------------

TEST(OneHotEncoder, IntStringFloatZerosAndShapes) {
  auto y = run_node("OneHotEncoder", {make_i64({2, 1}, {101, 7})}, 1, {A::i64s("cats_int64s", {100, 101, 102})}, kMl, 1);
  EXPECT_EQ(y[0].shape(), (Shape{2, 1, 3}));
  expect_floats(y[0], {0, 1, 0, 0, 0, 0});  // unknown 7 with zeros=1 (default): a zero row
  auto s = run_node("OneHotEncoder", {make_str({3}, {"red", "blue", "red"})}, 1, {A::strs("cats_strings", {"blue", "red"})},
                    kMl, 1);
  EXPECT_EQ(s[0].shape(), (Shape{3, 2}));
  expect_floats(s[0], {0, 1, 1, 0, 0, 1});
  auto f = run_node("OneHotEncoder", {make_f32({3}, {2.7f, -1.5f, NAN})}, 1, {A::i64s("cats_int64s", {-1, 2})}, kMl, 1);
  expect_floats(f[0], {0, 1, 1, 0, 0, 0});  // truncated toward zero; NaN matches nothing
  auto d = run_node("OneHotEncoder", {make_f64({1}, {3.0})}, 1, {A::i64s("cats_int64s", {3})}, kMl, 1);
  expect_floats(d[0], {1});
  auto i32 = run_node("OneHotEncoder", {make_i32({2}, {5, 6})}, 1, {A::i64s("cats_int64s", {6, 5})}, kMl, 1);
  expect_floats(i32[0], {0, 1, 1, 0});
  auto dup = run_node("OneHotEncoder", {make_i64({1}, {4})}, 1, {A::i64s("cats_int64s", {4, 9, 4})}, kMl, 1);
  expect_floats(dup[0], {0, 0, 1});  // a repeated category: its last position
  std::vector<std::string> many;
  for (int i = 0; i < 40; ++i) many.push_back("c" + std::to_string(i));
  auto big = run_node("OneHotEncoder", {make_str({2}, {"c39", "c3"})}, 1, {A::strs("cats_strings", many)}, kMl, 1);
  std::vector<float> want(80, 0.f);
  want[39] = want[40 + 3] = 1.f;
  expect_floats(big[0], want);
  EXPECT_EQ(fails_with("OneHotEncoder", {make_i64({1}, {8})}, {A::i64s("cats_int64s", {1}), A::i64("zeros", 0)}),
            StatusCode::InvalidInput);
  EXPECT_EQ(fails_with("OneHotEncoder", {make_i64({1}, {8})}, {A::i64s("cats_int64s", {1}), A::strs("cats_strings", {"a"})}),
            StatusCode::InvalidModel);
}

// OneHotEncoders feeding a Concat on the category axis become one rtml:OneHotConcat node
// (engine/passes/fold_linear_preprocess.cc): same outputs as the plain graph.
TEST(OneHotEncoder, FusedConcatSameAsPlainGraph) {
  for (int64_t axis : {2, -1}) {
    auto build = [&](bool optimize) {
      ModelBuilder b;
      b.opset(kMl, 1).opset("", 13);
      b.input("colour", DType::String, {-1, 1}).input("size", DType::String, {-1, 1}).input("store", DType::I64, {-1, 1});
      b.output("y", DType::F32);
      b.node("OneHotEncoder", {"colour"}, {"c"}, {A::strs("cats_strings", {"black", "blue", "red"}), A::i64("zeros", 1)}, kMl);
      b.node("OneHotEncoder", {"size"}, {"s"}, {A::strs("cats_strings", {"L", "M", "S", "XL"})}, kMl);
      b.node("OneHotEncoder", {"store"}, {"t"}, {A::i64s("cats_int64s", {100, 101, 102, 103, 104})}, kMl);
      b.node("Concat", {"c", "s", "t"}, {"y"}, {A::i64("axis", axis)});
      ModelOptions o;
      o.optimize = optimize;
      return b.try_load(o);
    };
    auto fast = build(true), plain = build(false);
    if (!plain.ok() && plain.status().code() == StatusCode::Unsupported) GTEST_SKIP() << "Concat not in this build yet";
    ASSERT_TRUE(fast.ok() && plain.ok()) << fast.status().message() << plain.status().message();
    for (int64_t N : {1, 3, 257}) {
      std::vector<std::string> colours, sizes;
      std::vector<int64_t> stores;
      const char* cs[] = {"black", "blue", "red", "pink"};
      const char* ss[] = {"L", "M", "S", "XL", "XS"};
      for (int64_t i = 0; i < N; ++i) {
        colours.push_back(cs[i % 4]);
        sizes.push_back(ss[(i * 3) % 5]);
        stores.push_back(99 + (i * 7) % 7);
      }
      std::vector<Tensor> in = {make_str({N, 1}, colours), make_str({N, 1}, sizes), make_i64({N, 1}, stores)};
      auto a = run(fast.value(), in), b = run(plain.value(), in);
      ASSERT_EQ(a.size(), 1u);
      EXPECT_EQ(a[0].shape(), (Shape{N, 1, 12}));
      EXPECT_TRUE(a[0].same_as(b[0])) << "axis " << axis << " N " << N;
      EXPECT_EQ(a[0].data<float>()[0], 1.f);  // "black"
    }
  }
}

// ---- LabelEncoder ---------------------------------------------------------------------------

TEST(LabelEncoder, Opset1StringsAndInts) {
  auto y = run_node("LabelEncoder", {make_str({3}, {"b", "z", "a"})}, 1,
                    {A::strs("classes_strings", {"a", "b", "c"}), A::i64("default_int64", 42)}, kMl, 1);
  EXPECT_EQ(values<int64_t>(y[0]), (std::vector<int64_t>{1, 42, 0}));
  auto s = run_node("LabelEncoder", {make_i64({3}, {2, 5, 0})}, 1,
                    {A::strs("classes_strings", {"a", "b", "c"}), A::str("default_string", "?")}, kMl, 1);
  EXPECT_EQ(strings(s[0]), (std::vector<std::string>{"c", "?", "a"}));
  auto dflt = run_node("LabelEncoder", {make_i64({1}, {9})}, 1, {A::strs("classes_strings", {"a"})}, kMl, 1);
  EXPECT_EQ(strings(dflt[0]), (std::vector<std::string>{"_Unused"}));
}

TEST(LabelEncoder, Opset2EveryKeyValuePair) {
  auto si = run_node("LabelEncoder", {make_str({2, 2}, {"x", "y", "q", "x"})}, 1,
                     {A::strs("keys_strings", {"x", "y", "x"}), A::i64s("values_int64s", {1, 2, 3})}, kMl, 2);
  EXPECT_EQ(si[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values<int64_t>(si[0]), (std::vector<int64_t>{1, 2, -1, 1}));  // first duplicate wins, default -1
  auto is = run_node("LabelEncoder", {make_i64({2}, {7, 8})}, 1,
                     {A::i64s("keys_int64s", {7}), A::strs("values_strings", {"seven"}), A::str("default_string", "none")},
                     kMl, 2);
  EXPECT_EQ(strings(is[0]), (std::vector<std::string>{"seven", "none"}));
  auto fs = run_node("LabelEncoder", {make_f32({3}, {0.5f, -0.f, 2.f})}, 1,
                     {A::f32s("keys_floats", {0.5f, 0.f}), A::strs("values_strings", {"half", "zero"})}, kMl, 2);
  EXPECT_EQ(strings(fs[0]), (std::vector<std::string>{"half", "zero", "_Unused"}));
  auto sf = run_node("LabelEncoder", {make_str({2}, {"a", "b"})}, 1,
                     {A::strs("keys_strings", {"a"}), A::f32s("values_floats", {1.5f}), A::f32("default_float", 9.f)}, kMl, 2);
  expect_floats(sf[0], {1.5f, 9.f});
  auto ff = run_node("LabelEncoder", {make_f32({2}, {1.f, NAN})}, 1,
                     {A::f32s("keys_floats", {1.f, NAN}), A::f32s("values_floats", {10.f, 20.f})}, kMl, 2);
  EXPECT_EQ(ff[0].data<float>()[0], 10.f);
  EXPECT_TRUE(std::signbit(ff[0].data<float>()[1]) && ff[0].data<float>()[1] == 0.f);  // NaN: no match, default -0
  auto ii = run_node("LabelEncoder", {make_i64({2}, {3, 4})}, 1,
                     {A::i64s("keys_int64s", {3}), A::i64s("values_int64s", {30}), A::i64("default_int64", 0)}, kMl, 2);
  EXPECT_EQ(values<int64_t>(ii[0]), (std::vector<int64_t>{30, 0}));
  auto ss = run_node("LabelEncoder", {make_str({2}, {"k", "u"})}, 1,
                     {A::strs("keys_strings", {"k"}), A::strs("values_strings", {"v"})}, kMl, 2);
  EXPECT_EQ(strings(ss[0]), (std::vector<std::string>{"v", "_Unused"}));
  EXPECT_EQ(fails_with("LabelEncoder", {make_str({1}, {"a"})}, {A::strs("keys_strings", {"a", "b"}), A::i64s("values_int64s", {1})}, 2),
            StatusCode::InvalidModel);
  EXPECT_EQ(fails_with("LabelEncoder", {make_i64({1}, {1})}, {A::strs("keys_strings", {"a"}), A::i64s("values_int64s", {1})}, 2),
            StatusCode::InvalidModel);
}

TEST(LabelEncoder, Opset4TensorsDefaultsAndNaN) {
  auto tm = run_node("LabelEncoder", {make_str({5}, {"a", "b", "d", "c", "g"})}, 1,
                     {A::tensor("keys_tensor", make_str({3}, {"a", "b", "c"})),
                      A::tensor("values_tensor", Tensor::from_view(make_i32({3}, {0, 1, 2}).view())),
                      A::tensor("default_tensor", make_i32({1}, {42}))},
                     kMl, 4);
  ASSERT_EQ(tm[0].dtype(), DType::I32);
  EXPECT_EQ(values<int32_t>(tm[0]), (std::vector<int32_t>{0, 1, 42, 2, 42}));
  auto dd = run_node("LabelEncoder", {make_f64({3}, {0.25, NAN, 3})}, 1,
                     {A::tensor("keys_tensor", make_f64({2}, {0.25, NAN})), A::tensor("values_tensor", make_f64({2}, {1, 2}))},
                     kMl, 4);
  EXPECT_EQ(values<double>(dd[0])[0], 1.0);
  EXPECT_EQ(values<double>(dd[0])[1], 2.0);  // opset 4: a NaN key matches NaN
  EXPECT_EQ(values<double>(dd[0])[2], 0.0);
  auto vi = run_node("LabelEncoder", {make_str({2}, {"a", "zz"})}, 1,
                     {A::strs("keys_strings", {"a"}), A::tensor("values_tensor", make_i64({1}, {5}))}, kMl, 4);
  EXPECT_EQ(values<int64_t>(vi[0]), (std::vector<int64_t>{5, -1}));
  auto sd = run_node("LabelEncoder", {make_i64({2}, {1, 2})}, 1,
                     {A::i64s("keys_int64s", {1}), A::strs("values_strings", {"one"}),
                      A::tensor("default_tensor", make_str({1}, {"other"}))},
                     kMl, 4);
  EXPECT_EQ(strings(sd[0]), (std::vector<std::string>{"one", "other"}));
}

// ---- CategoryMapper -------------------------------------------------------------------------

TEST(CategoryMapper, BothDirectionsAndDefaults) {
  std::vector<A> attrs = {A::strs("cats_strings", {"cat", "dog", "cow"}), A::i64s("cats_int64s", {1, 2, 3}),
                          A::i64("default_int64", -9), A::str("default_string", "none")};
  auto si = run_node("CategoryMapper", {make_str({2, 2}, {"dog", "pig", "cow", "cat"})}, 1, attrs, kMl, 1);
  EXPECT_EQ(si[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(values<int64_t>(si[0]), (std::vector<int64_t>{2, -9, 3, 1}));
  auto is = run_node("CategoryMapper", {make_i64({3}, {3, 4, 1})}, 1, attrs, kMl, 1);
  EXPECT_EQ(strings(is[0]), (std::vector<std::string>{"cow", "none", "cat"}));
  auto dflt = run_node("CategoryMapper", {make_i64({1}, {4})}, 1,
                       {A::strs("cats_strings", {"a"}), A::i64s("cats_int64s", {1})}, kMl, 1);
  EXPECT_EQ(strings(dflt[0]), (std::vector<std::string>{"_Unused"}));
  EXPECT_EQ(fails_with("CategoryMapper", {make_i64({1}, {1})}, {A::strs("cats_strings", {"a"}), A::i64s("cats_int64s", {1, 2})}),
            StatusCode::InvalidModel);
}

}  // namespace
}  // namespace rtml::test
