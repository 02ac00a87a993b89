// test_tree_ensemble.cc - TreeEnsembleClassifier / TreeEnsembleRegressor / TreeEnsemble through
// the whole engine, models built in code, expected values worked out by hand with ONNX Runtime's
// rules: every node mode with and without missing_value_tracks_true, NaN, each aggregate, each
// post transform, base values, int64 and string labels, the binary-classifier cases, every input
// type, batches and threads, and malformed models.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "tests/util/model_builder.hpp"

namespace rtml::test {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// v1/v3 attributes of a few small trees.
struct Trees {
  std::vector<int64_t> tree, node, feat, tc, fc, mt;
  std::vector<std::string> modes;
  std::vector<float> vals;
  std::vector<int64_t> wt, wn, wid;
  std::vector<float> ww;
  Trees& branch(int64_t tr, int64_t id, const char* mode, int64_t f, float v, int64_t t, int64_t fl, int64_t m = 0) {
    tree.push_back(tr), node.push_back(id), feat.push_back(f), tc.push_back(t), fc.push_back(fl), mt.push_back(m);
    modes.push_back(mode), vals.push_back(v);
    return *this;
  }
  Trees& leaf(int64_t tr, int64_t id, std::vector<std::pair<int64_t, float>> w) {
    tree.push_back(tr), node.push_back(id), feat.push_back(0), tc.push_back(0), fc.push_back(0), mt.push_back(0);
    modes.push_back("LEAF"), vals.push_back(0);
    for (auto& [k, v] : w) wt.push_back(tr), wn.push_back(id), wid.push_back(k), ww.push_back(v);
    return *this;
  }
  std::vector<A> attrs(bool cls) const {
    const std::string p = cls ? "class_" : "target_";
    return {A::i64s("nodes_treeids", tree), A::i64s("nodes_nodeids", node), A::i64s("nodes_featureids", feat),
            A::i64s("nodes_truenodeids", tc), A::i64s("nodes_falsenodeids", fc),
            A::i64s("nodes_missing_value_tracks_true", mt), A::strs("nodes_modes", modes),
            A::f32s("nodes_values", vals), A::i64s(p + "treeids", wt), A::i64s(p + "nodeids", wn),
            A::i64s(p + "ids", wid), A::f32s(p + "weights", ww)};
  }
};

std::vector<A> plus(std::vector<A> a, std::vector<A> b) {
  for (auto& x : b) a.push_back(std::move(x));
  return a;
}

Result<std::shared_ptr<const Model>> load_tree(const std::string& op, int ml_opset, DType in, int64_t cols,
                                               std::vector<A> attrs, DType label = DType::I64,
                                               const ModelOptions& opt = {}) {
  ModelBuilder b;
  b.opset("ai.onnx.ml", ml_opset);
  b.input("x", in, {-1, cols});
  if (op == "TreeEnsembleClassifier") {
    b.node(op, {"x"}, {"label", "scores"}, std::move(attrs), "ai.onnx.ml");
    b.output("label", label);
    b.output("scores", DType::F32);
  } else {
    b.node(op, {"x"}, {"y"}, std::move(attrs), "ai.onnx.ml");
    b.output("y", op == "TreeEnsemble" ? in : DType::F32);
  }
  return b.try_load(opt);
}

std::vector<Tensor> run1(const std::string& op, const Tensor& x, std::vector<A> attrs, int ml_opset = 3,
                         DType label = DType::I64, const ModelOptions& opt = {}) {
  auto m = load_tree(op, ml_opset, x.dtype(), x.shape().rank() == 2 ? x.shape()[1] : x.shape()[0], std::move(attrs), label, opt);
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return {};
  return run(m.value(), {x});
}

// One branch on feature 0 against 1.0: true -> 10, false -> 20.
Trees one_branch(const char* mode, int64_t mt) {
  Trees t;
  t.branch(0, 0, mode, 0, 1.0f, 1, 2, mt).leaf(0, 1, {{0, 10.f}}).leaf(0, 2, {{0, 20.f}});
  return t;
}

TEST(TreeEnsemble, EveryModeWithAndWithoutMissingTracks) {
  const std::vector<float> xs = {0.5f, 1.0f, 1.5f, kNaN, -std::numeric_limits<float>::infinity()};
  struct M {
    const char* mode;
    bool (*cmp)(float, float);
  } modes[] = {{"BRANCH_LEQ", [](float a, float b) { return a <= b; }}, {"BRANCH_LT", [](float a, float b) { return a < b; }},
               {"BRANCH_GTE", [](float a, float b) { return a >= b; }}, {"BRANCH_GT", [](float a, float b) { return a > b; }},
               {"BRANCH_EQ", [](float a, float b) { return a == b; }}, {"BRANCH_NEQ", [](float a, float b) { return a != b; }}};
  for (auto& m : modes) {
    for (int64_t mt : {0, 1}) {
      for (DType dt : {DType::F32, DType::F64}) {
        Tensor x = dt == DType::F32 ? make_f32({5, 1}, xs)
                                    : make_f64({5, 1}, std::vector<double>(xs.begin(), xs.end()));
        auto out = run1("TreeEnsembleRegressor", x, plus(one_branch(m.mode, mt).attrs(false), {A::i64("n_targets", 1)}));
        ASSERT_EQ(out.size(), 1u) << m.mode;
        for (int i = 0; i < 5; ++i) {
          const bool t = m.cmp(xs[i], 1.0f) || (mt && std::isnan(xs[i]));
          EXPECT_EQ(out[0].data<float>()[i], t ? 10.f : 20.f) << m.mode << " mt=" << mt << " x=" << xs[i];
        }
      }
    }
  }
}

TEST(TreeEnsemble, IntegerInputsCompareAsFloat) {
  // 16777217 is not a float: ONNX Runtime compares (float)x, which rounds to 16777216 <= 16777216.
  Trees t;
  t.branch(0, 0, "BRANCH_LEQ", 0, 16777216.f, 1, 2).leaf(0, 1, {{1, 1.f}}).leaf(0, 2, {{2, 1.f}});
  auto a = t.attrs(true);
  a.push_back(A::i64s("classlabels_int64s", {0, 1, 2}));
  auto o64 = run1("TreeEnsembleClassifier", make_i64({3, 1}, {16777215, 16777216, 16777217}), a);
  ASSERT_EQ(o64.size(), 2u);
  EXPECT_EQ(o64[0].data<int64_t>()[0], 1);
  EXPECT_EQ(o64[0].data<int64_t>()[1], 1);
  EXPECT_EQ(o64[0].data<int64_t>()[2], 1);  // exact integer compare would say 2
  auto o32 = run1("TreeEnsembleClassifier", make_i32({2, 1}, {16777217, 16777218}), a);
  ASSERT_EQ(o32.size(), 2u);
  EXPECT_EQ(o32[0].data<int64_t>()[0], 1);
  EXPECT_EQ(o32[0].data<int64_t>()[1], 2);
}

// Three trees: a branch tree (1 / 5) and two single leaves (3 and 7).
Trees three_trees() {
  Trees t;
  t.branch(0, 0, "BRANCH_LEQ", 0, 0.f, 1, 2).leaf(0, 1, {{0, 1.f}}).leaf(0, 2, {{0, 5.f}});
  t.leaf(1, 0, {{0, 3.f}});
  t.leaf(2, 0, {{0, 7.f}});
  return t;
}

TEST(TreeEnsemble, Aggregates) {
  Tensor x = make_f32({2, 1}, {-1.f, 1.f});
  struct C {
    const char* agg;
    float a, b;  // rows: first tree gives 1, then 5
  } cases[] = {{"SUM", 11.5f, 15.5f}, {"AVERAGE", 11.f / 3 + 0.5f, 5.f + 0.5f}, {"MIN", 1.5f, 3.5f}, {"MAX", 7.5f, 7.5f}};
  for (auto& c : cases) {
    auto out = run1("TreeEnsembleRegressor", x,
                    plus(three_trees().attrs(false), {A::i64("n_targets", 1), A::str("aggregate_function", c.agg),
                                                      A::f32s("base_values", {0.5f})}));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_FLOAT_EQ(out[0].data<float>()[0], c.a) << c.agg;
    EXPECT_FLOAT_EQ(out[0].data<float>()[1], c.b) << c.agg;
  }
}

// One leaf with weights for targets 0 and 2 of 3 (target 1 never scored).
std::vector<A> multi_target(const char* post, const char* agg = "SUM") {
  Trees t;
  t.leaf(0, 0, {{0, 1.f}, {2, 0.f}});
  t.leaf(1, 0, {{0, 1.f}, {2, 2.f}});
  return plus(t.attrs(false), {A::i64("n_targets", 3), A::str("post_transform", post), A::str("aggregate_function", agg),
                              A::f32s("base_values", {0.5f, 0.25f, -1.f})});
}

TEST(TreeEnsemble, PostTransformsAndBaseValuesOnSeveralTargets) {
  Tensor x = make_f32({1, 1}, {0.f});
  // SUM + base: [2.5, (no score -> 0), 1]
  auto none = run1("TreeEnsembleRegressor", x, multi_target("NONE"));
  ASSERT_EQ(none.size(), 1u);
  EXPECT_FLOAT_EQ(none[0].data<float>()[0], 2.5f);
  EXPECT_FLOAT_EQ(none[0].data<float>()[1], 0.f);
  EXPECT_FLOAT_EQ(none[0].data<float>()[2], 1.f);
  auto lg = run1("TreeEnsembleRegressor", x, multi_target("LOGISTIC"));
  EXPECT_NEAR(lg[0].data<float>()[0], 1 / (1 + std::exp(-2.5f)), 1e-6);
  EXPECT_NEAR(lg[0].data<float>()[1], 0.5f, 1e-6);
  EXPECT_NEAR(lg[0].data<float>()[2], 1 / (1 + std::exp(-1.f)), 1e-6);
  auto sm = run1("TreeEnsembleRegressor", x, multi_target("SOFTMAX"));
  const float e0 = std::exp(2.5f - 2.5f), e1 = std::exp(0.f - 2.5f), e2 = std::exp(1.f - 2.5f), s = e0 + e1 + e2;
  EXPECT_NEAR(sm[0].data<float>()[0], e0 / s, 1e-6);
  EXPECT_NEAR(sm[0].data<float>()[1], e1 / s, 1e-6);
  EXPECT_NEAR(sm[0].data<float>()[2], e2 / s, 1e-6);
  // SOFTMAX_ZERO leaves zeros out of the sum (and keeps them 0).
  auto sz = run1("TreeEnsembleRegressor", x, multi_target("SOFTMAX_ZERO"));
  EXPECT_NEAR(sz[0].data<float>()[0], e0 / (e0 + e2), 1e-6);
  EXPECT_EQ(sz[0].data<float>()[1], 0.f);
  EXPECT_NEAR(sz[0].data<float>()[2], e2 / (e0 + e2), 1e-6);
  // PROBIT, single target: sqrt(2) * erfinv(2p - 1) with ONNX Runtime's approximation; probit(0.5) = 0.
  Trees t;
  t.leaf(0, 0, {{0, 0.5f}});
  auto pb = run1("TreeEnsembleRegressor", x, plus(t.attrs(false), {A::i64("n_targets", 1), A::str("post_transform", "PROBIT")}));
  EXPECT_NEAR(pb[0].data<float>()[0], 0.f, 1e-6);
  Trees t2;
  t2.leaf(0, 0, {{0, 0.975f}});
  auto pb2 = run1("TreeEnsembleRegressor", x, plus(t2.attrs(false), {A::i64("n_targets", 1), A::str("post_transform", "PROBIT")}));
  EXPECT_NEAR(pb2[0].data<float>()[0], 1.96f, 5e-3);
  // MIN on several targets: base + score where scored, 0 where never scored.
  auto mn = run1("TreeEnsembleRegressor", x, multi_target("NONE", "MIN"));
  EXPECT_FLOAT_EQ(mn[0].data<float>()[0], 1.5f);
  EXPECT_FLOAT_EQ(mn[0].data<float>()[1], 0.f);
  EXPECT_FLOAT_EQ(mn[0].data<float>()[2], -1.f);
}

// Two trees over classes 0..2, labels given by the caller.
std::vector<A> three_classes(std::vector<A> labels) {
  Trees t;
  t.branch(0, 0, "BRANCH_LEQ", 0, 0.f, 1, 2).leaf(0, 1, {{0, 0.6f}, {1, 0.4f}}).leaf(0, 2, {{2, 0.9f}, {1, 0.1f}});
  t.branch(1, 0, "BRANCH_GT", 1, 0.f, 1, 2).leaf(1, 1, {{1, 0.7f}}).leaf(1, 2, {{0, 0.2f}, {2, 0.1f}});
  return plus(t.attrs(true), std::move(labels));
}

TEST(TreeEnsemble, ClassifierInt64AndStringLabels) {
  Tensor x = make_f32({3, 2}, {-1, -1, 1, 1, -1, 1});
  auto a = run1("TreeEnsembleClassifier", x, three_classes({A::i64s("classlabels_int64s", {10, 20, 30})}));
  ASSERT_EQ(a.size(), 2u);
  // row 0: [0.6+0.2, 0.4, 0.1] -> 10; row 1: [0, 0.1+0.7, 0.9] -> 30; row 2: [0.6, 0.4+0.7, 0] -> 20
  const float want[3][3] = {{0.8f, 0.4f, 0.1f}, {0.f, 0.8f, 0.9f}, {0.6f, 1.1f, 0.f}};
  const int64_t labels[3] = {10, 30, 20};
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(a[0].data<int64_t>()[r], labels[r]);
    for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(a[1].data<float>()[r * 3 + k], want[r][k]);
  }
  auto s = run1("TreeEnsembleClassifier", x, three_classes({A::strs("classlabels_strings", {"ant", "bee", "cat"})}), 3,
                DType::String);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].str(0), "ant");
  EXPECT_EQ(s[0].str(1), "cat");
  EXPECT_EQ(s[0].str(2), "bee");
  // SOFTMAX over the classes with base values
  auto sm = run1("TreeEnsembleClassifier", x, three_classes({A::i64s("classlabels_int64s", {0, 1, 2}),
                                                             A::str("post_transform", "SOFTMAX"),
                                                             A::f32s("base_values", {1.f, 0.f, 0.f})}));
  const float v[3] = {1.8f, 0.4f, 0.1f};
  const float m = 1.8f, den = std::exp(v[0] - m) + std::exp(v[1] - m) + std::exp(v[2] - m);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(sm[1].data<float>()[k], std::exp(v[k] - m) / den, 1e-6);
  EXPECT_EQ(sm[0].data<int64_t>()[0], 0);
}

// Binary classifiers as converters write them.
TEST(TreeEnsemble, BinaryClassifierCases) {
  Tensor x = make_f32({2, 1}, {-1.f, 1.f});
  // Random forest: weights for one class only, all positive: p > 0.5 -> second label, [1 - p, p].
  {
    Trees t;
    t.branch(0, 0, "BRANCH_LEQ", 0, 0.f, 1, 2).leaf(0, 1, {{0, 0.25f}}).leaf(0, 2, {{0, 0.75f}});
    auto o = run1("TreeEnsembleClassifier", x, plus(t.attrs(true), {A::i64s("classlabels_int64s", {3, 9})}));
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].data<int64_t>()[0], 3);
    EXPECT_EQ(o[0].data<int64_t>()[1], 9);
    EXPECT_FLOAT_EQ(o[1].data<float>()[0], 0.75f);
    EXPECT_FLOAT_EQ(o[1].data<float>()[1], 0.25f);
    EXPECT_FLOAT_EQ(o[1].data<float>()[2], 0.25f);
    EXPECT_FLOAT_EQ(o[1].data<float>()[3], 0.75f);
  }
  // Gradient boosting: mixed weights, one base value, LOGISTIC: s > 0 -> second label,
  // [logistic(-s), logistic(s)]; string labels.
  {
    Trees t;
    t.branch(0, 0, "BRANCH_LEQ", 0, 0.f, 1, 2).leaf(0, 1, {{0, -2.f}}).leaf(0, 2, {{0, 1.f}});
    auto o = run1("TreeEnsembleClassifier", x,
                  plus(t.attrs(true), {A::strs("classlabels_strings", {"no", "yes"}), A::f32s("base_values", {0.5f}),
                                       A::str("post_transform", "LOGISTIC")}),
                  3, DType::String);
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].str(0), "no");
    EXPECT_EQ(o[0].str(1), "yes");
    auto lg = [](float v) { return 1 / (1 + std::exp(-v)); };
    EXPECT_NEAR(o[1].data<float>()[0], lg(1.5f), 1e-6);
    EXPECT_NEAR(o[1].data<float>()[1], lg(-1.5f), 1e-6);
    EXPECT_NEAR(o[1].data<float>()[2], lg(-1.5f), 1e-6);
    EXPECT_NEAR(o[1].data<float>()[3], lg(1.5f), 1e-6);
  }
  // Weights for both classes: ONNX Runtime's label is the literal 1 when class 1's score > 0, else 0.
  {
    Trees t;
    t.branch(0, 0, "BRANCH_LEQ", 0, 0.f, 1, 2).leaf(0, 1, {{0, 1.f}, {1, -1.f}}).leaf(0, 2, {{0, 0.f}, {1, 2.f}});
    auto o = run1("TreeEnsembleClassifier", x, plus(t.attrs(true), {A::i64s("classlabels_int64s", {5, 7})}));
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].data<int64_t>()[0], 0);
    EXPECT_EQ(o[0].data<int64_t>()[1], 1);
    EXPECT_FLOAT_EQ(o[1].data<float>()[0], 1.f);
    EXPECT_FLOAT_EQ(o[1].data<float>()[1], -1.f);
  }
}

TEST(TreeEnsemble, Opset5MembershipLeavesAndPostNumbering) {
  // node 0: x0 in {1, 4} (NaN -> true) ? node 1 : leaf 2;  node 1: x1 <= 0.5 ? leaf 0 : leaf 1
  auto attrs = [](int64_t post) {
    return std::vector<A>{
        A::i64("n_targets", 2), A::i64("aggregate_function", 1), A::i64("post_transform", post),
        A::i64s("tree_roots", {0}), A::tensor("nodes_modes", [] {
          Tensor t(DType::U8, Shape{2});
          t.data<uint8_t>()[0] = 6;
          t.data<uint8_t>()[1] = 0;
          return t;
        }()),
        A::i64s("nodes_featureids", {0, 1}), A::tensor("nodes_splits", make_f32({2}, {0.f, 0.5f})),
        A::i64s("nodes_truenodeids", {1, 0}), A::i64s("nodes_trueleafs", {0, 1}),
        A::i64s("nodes_falsenodeids", {2, 1}), A::i64s("nodes_falseleafs", {1, 1}),
        A::i64s("nodes_missing_value_tracks_true", {1, 0}),
        A::tensor("membership_values", make_f32({3}, {1.f, 4.f, kNaN})),
        A::i64s("leaf_targetids", {0, 1, 1}), A::tensor("leaf_weights", make_f32({3}, {1.f, 2.f, 3.f}))};
  };
  Tensor x = make_f32({4, 2}, {4, 0, 1, 1, 2, 0, kNaN, 0});
  auto o = run1("TreeEnsemble", x, attrs(0), 5);
  ASSERT_EQ(o.size(), 1u);
  const float want[4][2] = {{1, 0}, {0, 2}, {0, 3}, {1, 0}};
  for (int r = 0; r < 4; ++r)
    for (int k = 0; k < 2; ++k) EXPECT_EQ(o[0].data<float>()[r * 2 + k], want[r][k]) << r << "," << k;
  // ONNX Runtime numbers post_transform 1 as LOGISTIC (its own enum).
  auto l = run1("TreeEnsemble", x, attrs(1), 5);
  EXPECT_NEAR(l[0].data<float>()[0], 1 / (1 + std::exp(-1.f)), 1e-6);
  EXPECT_NEAR(l[0].data<float>()[1], 0.5f, 1e-6);
  // double input gives double output
  auto d = run1("TreeEnsemble", make_f64({1, 2}, {1, 1}), [&] {
    auto a = attrs(0);
    for (auto& x : a) {
      if (x.name == "nodes_splits") x = A::tensor("nodes_splits", make_f64({2}, {0, 0.5}));
      if (x.name == "leaf_weights") x = A::tensor("leaf_weights", make_f64({3}, {1, 2, 3}));
      if (x.name == "membership_values") x = A::tensor("membership_values", make_f64({3}, {1, 4, std::nan("")}));
    }
    return a;
  }(), 5);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].dtype(), DType::F64);
  EXPECT_EQ(d[0].data<double>()[1], 2.0);
}

TEST(TreeEnsemble, BatchesAndThreadsAgreeWithOneRowAtATime) {
  // 820 trees of depth 4 on 5 features, one target: enough work for the two parallel paths with two
  // threads (257 rows: rows split; 20 rows: trees split) and the same values as rows one by one.
  Trees t;
  uint32_t s = 12345;
  auto rnd = [&] { return (s = s * 1103515245 + 12345) >> 8; };
  for (int tr = 0; tr < 820; ++tr) {
    int id = 0;
    std::function<int(int)> build = [&](int depth) -> int {
      const int me = id++;
      if (depth == 0) {
        t.leaf(tr, me, {{0, static_cast<float>(rnd() % 1000) / 100.f}});
        return me;
      }
      const int64_t f = rnd() % 5;
      const float v = static_cast<float>(rnd() % 200) / 100.f - 1.f;
      const size_t pos = t.tree.size();
      t.branch(tr, me, "BRANCH_LEQ", f, v, 0, 0);
      const int a = build(depth - 1), b = build(depth - 1);
      t.tc[pos] = a, t.fc[pos] = b;
      return me;
    };
    build(4);
  }
  std::vector<float> xs(257 * 5);
  for (auto& v : xs) v = static_cast<float>(rnd() % 300) / 100.f - 1.5f;
  auto attrs = plus(t.attrs(false), {A::i64("n_targets", 1)});
  for (int rows : {257, 20}) {
    for (int threads : {1, 2}) {
      ModelOptions opt;
      opt.threads = threads;
      auto big = run1("TreeEnsembleRegressor", make_f32({rows, 5}, std::vector<float>(xs.begin(), xs.begin() + rows * 5)),
                      attrs, 3, DType::I64, opt);
      ASSERT_EQ(big.size(), 1u);
      for (int r = 0; r < rows; r += 7) {
        auto one = run1("TreeEnsembleRegressor", make_f32({1, 5}, std::vector<float>(xs.begin() + r * 5, xs.begin() + r * 5 + 5)), attrs);
        const float want = one[0].data<float>()[0];
        EXPECT_NEAR(big[0].data<float>()[r], want, 1e-5f * std::fabs(want)) << "row " << r << " threads " << threads;
      }
    }
  }
}

TEST(TreeEnsemble, MalformedModelsAndBadInputsAreRefused) {
  // a child that does not exist
  Trees t = one_branch("BRANCH_LEQ", 0);
  t.tc[0] = 7;
  auto r = load_tree("TreeEnsembleRegressor", 3, DType::F32, 1, plus(t.attrs(false), {A::i64("n_targets", 1)}));
  EXPECT_FALSE(r.ok());
  if (!r.ok()) EXPECT_EQ(r.status().code(), StatusCode::InvalidModel);
  // an unknown mode
  Trees u = one_branch("BRANCH_SOMETIMES", 0);
  auto r2 = load_tree("TreeEnsembleRegressor", 3, DType::F32, 1, plus(u.attrs(false), {A::i64("n_targets", 1)}));
  EXPECT_FALSE(r2.ok());
  // a weight for a class that does not exist
  Trees w = one_branch("BRANCH_LEQ", 0);
  w.wid[0] = 5;
  auto r3 = load_tree("TreeEnsembleClassifier", 3, DType::F32, 1, plus(w.attrs(true), {A::i64s("classlabels_int64s", {0, 1, 2})}));
  EXPECT_FALSE(r3.ok());
  // X with fewer columns than the trees read
  Trees f = one_branch("BRANCH_LEQ", 0);
  f.feat[0] = 3;
  auto lm = load_tree("TreeEnsembleRegressor", 3, DType::F32, -1, plus(f.attrs(false), {A::i64("n_targets", 1)}));
  ASSERT_TRUE(lm.ok()) << lm.status().message();
  auto m = lm.value();
  std::vector<Tensor> out;
  Status st = try_run(m, {make_f32({2, 2}, {1, 2, 3, 4})}, &out);
  EXPECT_EQ(st.code(), StatusCode::InvalidInput);
  // zero rows are fine
  Status st0 = try_run(m, {make_f32({0, 4}, {})}, &out);
  EXPECT_TRUE(st0.ok()) << st0.message();
}

}  // namespace
}  // namespace rtml::test
