// test_tree_ensemble_kernel.cc - the packed forest and its walks against a naive evaluator that
// reads the ONNX semantics straight off the TreeGraph (every mode, NaN routing, missing-value
// tracks, aggregates, float and double), for every traversal path and tree split.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ops/kernels/tree_forest.hpp"
#include "ops/kernels/tree_walk.hpp"

namespace rtml::trees {
namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Values thresholds and inputs are drawn from, so that equality, the float just below a
// threshold, infinities, signed zeros and NaN all occur.
const double kVals[] = {-2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 1.0000001, 3.0, 7.25, -kInf, kInf};

struct Gen {
  std::mt19937 rng;
  TreeGraph g;
  int n_feat = 5;
  int max_mode = 6;  // modes drawn from Leq .. this (3: the ordered tests only)
  double val() {
    std::uniform_int_distribution<int> d(0, 10);
    return kVals[d(rng)];
  }
  int32_t add_node() {
    g.mode.push_back(0);
    g.feature.push_back(0);
    g.value.push_back(0);
    g.tchild.push_back(-1);
    g.fchild.push_back(-1);
    g.missing_true.push_back(0);
    return static_cast<int32_t>(g.mode.size() - 1);
  }
  // A random subtree; leaves get weights for `targets` (all targets when -1).
  int32_t tree(int depth, int n_targets, int only_target, std::vector<std::vector<std::pair<int32_t, double>>>* w) {
    const int32_t i = add_node();
    w->emplace_back();
    std::uniform_int_distribution<int> stop(0, 5);
    if (depth == 0 || stop(rng) == 0) {
      g.mode[i] = static_cast<uint8_t>(Mode::Leaf);
      std::uniform_real_distribution<double> wv(-2, 2);
      if (only_target >= 0) {
        (*w)[i].push_back({only_target, wv(rng)});
      } else {
        for (int k = 0; k < n_targets; ++k)
          if (stop(rng) != 0) (*w)[i].push_back({k, wv(rng)});
      }
      return i;
    }
    std::uniform_int_distribution<int> md(0, max_mode), fd(0, n_feat - 1), coin(0, 3);
    g.mode[i] = static_cast<uint8_t>(md(rng));
    g.feature[i] = fd(rng);
    g.value[i] = coin(rng) == 0 ? kNaN : val();
    if (coin(rng) == 0) g.value[i] = val();
    g.missing_true[i] = coin(rng) == 0;
    const int32_t t = tree(depth - 1, n_targets, only_target, w);
    const int32_t f = tree(depth - 1, n_targets, only_target, w);
    g.tchild[i] = t;
    g.fchild[i] = f;
    return i;
  }
};

// member_begin needs n + 1 entries with node i's values at [begin[i], begin[i + 1]): rebuild.
void fix_members(TreeGraph& g, const std::vector<std::vector<double>>& sets) {
  g.members.clear();
  g.member_begin.assign(g.size() + 1, 0);
  for (size_t i = 0; i < g.size(); ++i) {
    for (double v : sets[i]) g.members.push_back(v);
    g.member_begin[i + 1] = static_cast<int32_t>(g.members.size());
  }
}

struct Case {
  TreeGraph g;
  ForestInfo info;
};

Case make_case(uint32_t seed, int n_trees, int depth, int n_targets, int only_target, Agg agg, int max_mode = 6) {
  Gen gen{std::mt19937(seed)};
  gen.max_mode = max_mode;
  std::vector<std::vector<std::pair<int32_t, double>>> w;
  std::vector<std::vector<double>> sets;
  // only_target -2: tree t feeds target t % n_targets only (gradient boosting's classifiers).
  for (int t = 0; t < n_trees; ++t)
    gen.g.roots.push_back(gen.tree(depth, n_targets, only_target == -2 ? t % n_targets : only_target, &w));
  // Re-derive member sets per node from the generation order.
  TreeGraph& g = gen.g;
  sets.assign(g.size(), {});
  {
    std::mt19937 r2(seed * 7 + 1);
    for (size_t i = 0; i < g.size(); ++i)
      if (static_cast<Mode>(g.mode[i]) == Mode::Member) {
        std::uniform_int_distribution<int> cnt(0, 3), vi(0, 10);
        const int c = cnt(r2);
        for (int j = 0; j < c; ++j) sets[i].push_back(kVals[vi(r2)]);
      }
  }
  fix_members(g, sets);
  g.w_begin.assign(g.size() + 1, 0);
  for (size_t i = 0; i < g.size(); ++i) {
    for (auto& [k, v] : w[i]) g.w_target.push_back(k), g.w_value.push_back(v);
    g.w_begin[i + 1] = static_cast<int32_t>(g.w_target.size());
  }
  Case c;
  c.g = g;
  c.info.n_targets = n_targets;
  c.info.agg = agg;
  return c;
}

template <class T>
bool naive_cond(Mode m, T v, T t, const double* set, int n_set) {
  switch (m) {
    case Mode::Leq: return v <= t;
    case Mode::Lt: return v < t;
    case Mode::Gte: return v >= t;
    case Mode::Gt: return v > t;
    case Mode::Eq: return v == t;
    case Mode::Neq: return v != t;
    case Mode::Member:
      for (int j = 0; j < n_set; ++j)
        if (v == static_cast<T>(set[j])) return true;
      return false;
    default: return false;
  }
}

template <class T>
int32_t naive_leaf(const TreeGraph& g, int32_t i, const T* x) {
  while (static_cast<Mode>(g.mode[i]) != Mode::Leaf) {
    const T v = x[g.feature[i]];
    const bool c = naive_cond<T>(static_cast<Mode>(g.mode[i]), v, static_cast<T>(g.value[i]),
                                 g.members.data() + g.member_begin[i], g.member_begin[i + 1] - g.member_begin[i]) ||
                   (g.missing_true[i] && std::isnan(v));
    i = c ? g.tchild[i] : g.fchild[i];
  }
  return i;
}

// ONNX Runtime's accumulation straight from the graph.
template <class T>
void naive_acc(const Case& c, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1, T* score, uint8_t* has) {
  const int K = c.info.n_targets;
  for (int64_t r = 0; r < n; ++r)
    for (int32_t t = t0; t < t1; ++t) {
      const int32_t leaf = naive_leaf<T>(c.g, c.g.roots[t], x + r * stride);
      auto add = [&](int k, T w) {
        T& s = score[r * K + k];
        uint8_t& h = has[r * K + k];
        if (c.info.agg == Agg::Min) s = (!h || w < s) ? w : s;
        else if (c.info.agg == Agg::Max) s = (!h || w > s) ? w : s;
        else s += w;
        h = 1;
      };
      const int32_t w0 = c.g.w_begin[leaf], w1 = c.g.w_begin[leaf + 1];
      if (K == 1) add(0, static_cast<T>(w1 > w0 ? c.g.w_value[w0] : c.g.value[leaf]));
      else
        for (int32_t w = w0; w < w1; ++w) add(c.g.w_target[w], static_cast<T>(c.g.w_value[w]));
    }
}

template <class T>
std::vector<T> inputs(uint32_t seed, int64_t n, int cols, bool with_nan) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, 13);
  std::uniform_real_distribution<double> u(-3, 8);
  std::vector<T> x(n * cols);
  for (auto& v : x) {
    const int k = d(rng);
    v = k < 11 ? static_cast<T>(kVals[k]) : k == 11 ? static_cast<T>(u(rng)) : (with_nan ? T(kNaN) : T(u(rng)));
  }
  return x;
}

template <class T>
void check_case(const Case& c, int64_t n, bool with_nan, uint32_t seed) {
  Forest<T> f;
  ASSERT_EQ(build_forest(c.g, c.info, &f), "");
  const int K = c.info.n_targets;
  const int cols = 6;  // one more column than the trees read
  std::vector<T> x = inputs<T>(seed, n, cols, with_nan);
  std::vector<T> ref_s(n * K, 0);
  std::vector<uint8_t> ref_h(n * K, 0);
  naive_acc<T>(c, x.data(), n, cols, 0, f.n_trees(), ref_s.data(), ref_h.data());
  for (Path path : {Path::Reference, Path::Interleaved, Path::QuickScorer, Path::Levels, Path::Auto}) {
    std::vector<T> s(n * K, 0);
    std::vector<uint8_t> h(n * K, 0);
    std::vector<T> work(static_cast<size_t>(work_elems(f, n)));
    accumulate(f, x.data(), n, cols, 0, f.n_trees(), s.data(), h.data(), work.data(), path);
    for (int64_t i = 0; i < n * K; ++i) {
      ASSERT_EQ(h[i], ref_h[i]) << "path " << int(path) << " at " << i;
      if (ref_h[i] || K == 1) {
        ASSERT_EQ(s[i], ref_s[i]) << "path " << int(path) << " row " << i / K;
      }
    }
  }
  // Trees split in three ranges and merged (the single-row parallel path), row by row.
  for (int64_t r = 0; r < std::min<int64_t>(n, 5); ++r) {
    std::vector<T> s[3];
    std::vector<uint8_t> h[3];
    const int32_t T3 = f.n_trees();
    for (int p = 0; p < 3; ++p) {
      s[p].assign(K, 0);
      h[p].assign(K, 0);
      std::vector<T> work(static_cast<size_t>(work_elems(f, 1)));
      accumulate(f, x.data() + r * cols, 1, cols, T3 * p / 3, T3 * (p + 1) / 3, s[p].data(), h[p].data(), work.data());
    }
    merge_scores(f, s[0].data(), h[0].data(), s[1].data(), h[1].data());
    merge_scores(f, s[0].data(), h[0].data(), s[2].data(), h[2].data());
    for (int k = 0; k < K; ++k) {
      ASSERT_EQ(h[0][k], ref_h[r * K + k]);
      if (ref_h[r * K + k]) {
        ASSERT_NEAR(s[0][k], ref_s[r * K + k], 1e-4 * (1 + std::fabs(ref_s[r * K + k])));
      }
    }
  }
}

TEST(TreeKernel, EveryModeFloatAndDoubleAllPaths) {
  uint32_t seed = 1;
  for (int targets : {1, 3}) {
    for (int only : {-1, 1}) {
      if (targets == 1 && only == 1) continue;
      for (Agg agg : {Agg::Sum, Agg::Min, Agg::Max}) {
        for (int64_t n : {1, 3, 7, 17, 65, 257}) {
          Case c = make_case(seed++, 11, 6, targets, only, agg);
          check_case<float>(c, n, true, seed);
          check_case<double>(c, n, true, seed);
          check_case<float>(c, n, false, seed + 100);
          check_case<double>(c, n, false, seed + 200);
        }
      }
    }
  }
}

// Forests of ordered tests only (no EQ / MEMBER chains, which share subtrees) with at most 64
// leaves a tree have the QuickScorer form; its leaves equal the walk's, in every path.
TEST(TreeKernel, QuickScorerMatchesTheReference) {
  uint32_t seed = 500;
  int qs_forests = 0;
  for (int targets : {1, 3}) {
    for (int only : {-1, 1}) {
      if (targets == 1 && only == 1) continue;
      for (Agg agg : {Agg::Sum, Agg::Min, Agg::Max}) {
        for (int64_t n : {4, 16, 17, 47, 100}) {
          Case c = make_case(seed++, 13, 6, targets, only, agg, 3);
          Forest<float> f;
          ASSERT_EQ(build_forest(c.g, c.info, &f), "");
          ASSERT_TRUE(f.qs.ok);
          ++qs_forests;
          check_case<float>(c, n, false, seed);
          check_case<float>(c, n, true, seed + 1);
        }
      }
    }
  }
  EXPECT_GT(qs_forests, 0);
}

// The AVX-512 kernel against the scalar form of the same algorithm, on the same keys.
TEST(TreeKernel, QuickScorerVectorEqualsScalar) {
  if (!qs_available()) GTEST_SKIP() << "this host has no AVX-512 (the scalar form is what runs here)";
  int narrow = 0, wide = 0;  // both leaf-set widths of the vector kernel must have run
  for (uint32_t seed = 900; seed < 940; ++seed) {
    Case c = make_case(seed, 9, seed % 2 ? 4 : 6, 1, -1, Agg::Sum, 3);
    Forest<float> f;
    ASSERT_EQ(build_forest(c.g, c.info, &f), "");
    ASSERT_TRUE(f.qs.ok);
    (f.qs.narrow ? narrow : wide)++;
    const int32_t F = std::max(1, f.n_features), NT = f.n_trees();
    std::vector<float> x = inputs<float>(seed, 16, F, false);
    std::vector<int32_t> xk(16 * F);
    for (int r = 0; r < 16; ++r)
      for (int32_t k = 0; k < F; ++k) xk[k * 16 + r] = key_of(x[r * F + k]);
    std::vector<uint64_t> bv(16 * NT);
    std::vector<int32_t> a(16 * NT), b(16 * NT);
    qs_leaves16(f.qs, F, NT, xk.data(), bv.data(), a.data());
    qs_leaves16_scalar(f.qs, F, NT, xk.data(), bv.data(), b.data());
    ASSERT_EQ(a, b) << "seed " << seed;
    // The vector leaf-value sums against plain float sums in tree order.
    std::vector<float> acc(16, 0.5f), ref(16, 0.5f);
    qs_sum16(a.data(), NT, f.leaf_value.data(), acc.data());
    for (int32_t t = 0; t < NT; ++t)
      for (int r = 0; r < 16; ++r) ref[r] += f.leaf_value[b[t * 16 + r]];
    ASSERT_EQ(acc, ref) << "seed " << seed;
  }
  EXPECT_GT(narrow, 0);
  EXPECT_GT(wide, 0);
}

// Shallow forests (every tree at most kLevelsMaxDepth steps, EQ / MEMBER chains included) have
// the level-table form; its sums equal the reference's in every path, whole and split by trees.
TEST(TreeKernel, LevelsMatchTheReference) {
  uint32_t seed = 1500;
  int level_forests = 0, with_values = 0, with_numbers = 0;
  for (int targets : {1, 3}) {
    for (int only : {-1, 1, -2}) {
      if (targets == 1 && only != -1) continue;
      for (Agg agg : {Agg::Sum, Agg::Min, Agg::Max}) {
        for (int64_t n : {4, 16, 17, 64, 100, 130}) {
          for (int shape = 0; shape < 2; ++shape) {
            // every mode at depth 3, or ordered tests only down to depth 10 (table lookups by
            // gather below level 7)
            Case c = shape == 0 ? make_case(seed++, 9, 3, targets, only, agg) : make_case(seed++, 5, 10, targets, only, agg, 3);
            Forest<float> f;
            ASSERT_EQ(build_forest(c.g, c.info, &f), "");
            if (!f.levels.ok) continue;
            ++level_forests;
            (f.levels.values ? with_values : with_numbers)++;
            check_case<float>(c, n, false, seed);
            check_case<float>(c, n, true, seed + 1);  // NaN blocks take the walk
            // Trees split in three ranges over all rows, merged row by row.
            const int K = c.info.n_targets, cols = 6;
            std::vector<float> x = inputs<float>(seed + 2, n, cols, false);
            std::vector<float> ref_s(n * K, 0);
            std::vector<uint8_t> ref_h(n * K, 0);
            naive_acc<float>(c, x.data(), n, cols, 0, f.n_trees(), ref_s.data(), ref_h.data());
            std::vector<float> s[3];
            std::vector<uint8_t> h[3];
            std::vector<float> work(static_cast<size_t>(work_elems(f, n)));
            const int32_t NT = f.n_trees();
            for (int p = 0; p < 3; ++p) {
              s[p].assign(n * K, 0);
              h[p].assign(n * K, 0);
              accumulate(f, x.data(), n, cols, NT * p / 3, NT * (p + 1) / 3, s[p].data(), h[p].data(), work.data(),
                         Path::Levels);
            }
            for (int64_t r = 0; r < n; ++r) {
              merge_scores(f, &s[0][r * K], &h[0][r * K], &s[1][r * K], &h[1][r * K]);
              merge_scores(f, &s[0][r * K], &h[0][r * K], &s[2][r * K], &h[2][r * K]);
              for (int k = 0; k < K; ++k) {
                ASSERT_EQ(h[0][r * K + k], ref_h[r * K + k]) << "row " << r << " target " << k;
                if (ref_h[r * K + k]) {
                  ASSERT_NEAR(s[0][r * K + k], ref_s[r * K + k], 1e-4 * (1 + std::fabs(ref_s[r * K + k])));
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(level_forests, 50);
  EXPECT_GT(with_values, 0);
  EXPECT_GT(with_numbers, 0);
}

// Too deep a tree: no level form (the walk takes it).
TEST(TreeKernel, LevelsFormOnlyForShallowTrees) {
  Case c = make_case(77, 2, kLevelsMaxDepth + 1, 1, -1, Agg::Sum, 3);
  Forest<float> f;
  ASSERT_EQ(build_forest(c.g, c.info, &f), "");
  bool deep = false;
  for (int32_t d : f.tree_depth) deep |= d > kLevelsMaxDepth;
  EXPECT_EQ(f.levels.ok, !deep);
  Forest<double> fd;
  ASSERT_EQ(build_forest(c.g, c.info, &fd), "");
  EXPECT_FALSE(fd.levels.ok);  // float forests only
}

// The AVX-512 kernel against the scalar form, tree by tree, at every depth 0 .. kLevelsMaxDepth
// (a lone leaf, register tables, gathered tables) and group counts around the interleave width.
TEST(TreeKernel, LevelsVectorEqualsScalar) {
  if (!levels_available()) GTEST_SKIP() << "this host has no AVX-512 (the scalar form is what runs here)";
  int depths_seen[kLevelsMaxDepth + 1] = {};
  for (uint32_t seed = 2000; seed < 2060; ++seed) {
    const int depth = static_cast<int>(seed % (kLevelsMaxDepth + 1));
    Case c = make_case(seed, 4, depth, 1, -1, Agg::Sum, 3);
    Forest<float> f;
    ASSERT_EQ(build_forest(c.g, c.info, &f), "");
    ASSERT_TRUE(f.levels.ok);
    const int32_t F = std::max(1, f.n_features);
    for (int64_t groups : {1, 3, 4, 5, 9}) {
      std::vector<float> x = inputs<float>(seed, groups * 16, F, false);
      std::vector<int32_t> xk(static_cast<size_t>(groups * 16 * F));
      for (int64_t g = 0; g < groups; ++g)
        for (int r = 0; r < 16; ++r)
          for (int32_t k = 0; k < F; ++k) xk[(g * F + k) * 16 + r] = key_of(x[(g * 16 + r) * F + k]);
      for (int32_t t = 0; t < f.n_trees(); ++t) {
        depths_seen[f.levels.depth[t]]++;
        std::vector<int32_t> a(groups * 16, -7), b(groups * 16, -9);
        levels_tree16(f.levels, t, xk.data(), F, groups, nullptr, a.data());
        levels_tree16_scalar(f.levels, t, xk.data(), F, groups, nullptr, b.data());
        ASSERT_EQ(a, b) << "seed " << seed << " tree " << t << " groups " << groups;
        std::vector<float> acc(groups * 16, 0.25f), ref(groups * 16, 0.25f);
        levels_tree16(f.levels, t, xk.data(), F, groups, acc.data(), nullptr);
        levels_tree16_scalar(f.levels, t, xk.data(), F, groups, ref.data(), nullptr);
        ASSERT_EQ(acc, ref) << "seed " << seed << " tree " << t;
      }
    }
  }
  for (int d = 0; d <= kLevelsMaxDepth; ++d) EXPECT_GT(depths_seen[d], 0) << "no tree of depth " << d;
}

// The vectorised key conversion equals key_of element by element, for every length (masked
// tails) and the special values; the NaN flag is set exactly when a NaN is among the n values.
TEST(TreeKernel, FloatKeysMatchKeyOf) {
  const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::denorm_min(),
                            -std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::max(),
                            std::numeric_limits<float>::lowest(), 3.5e-20f, -7.25f};
  std::mt19937 rng(5);
  for (int32_t n = 0; n <= 70; ++n) {
    for (int with_nan = 0; with_nan < 2; ++with_nan) {
      std::vector<float> x(static_cast<size_t>(n));
      for (auto& v : x) v = specials[rng() % 12];
      if (with_nan && n > 0) x[rng() % n] = (rng() % 2) ? std::nanf("") : -std::nanf("");
      std::vector<int32_t> k(static_cast<size_t>(n) + 1, 12345);
      const bool nan = float_keys(x.data(), n, k.data());
      EXPECT_EQ(nan, with_nan && n > 0) << "n " << n;
      for (int32_t i = 0; i < n; ++i) ASSERT_EQ(k[i], key_of(x[i])) << "n " << n << " i " << i << " x " << x[i];
      EXPECT_EQ(k[n], 12345) << "wrote past n";
    }
  }
}

// Rows regrouped 16 to a group as keys (a gather per feature where the host has AVX-512): every
// key equals key_of of its row's value, rows past n repeat the last row, NaN flagged exactly.
TEST(TreeKernel, Keys16RegroupsRowsAsKeys) {
  std::mt19937 rng(9);
  for (int64_t n : {1, 15, 16, 17, 40, 100}) {
    for (int32_t F : {1, 5, 21}) {
      for (int64_t stride : {int64_t{F}, int64_t{F} + 3}) {
        for (int with_nan = 0; with_nan < 2; ++with_nan) {
          std::vector<float> x = inputs<float>(static_cast<uint32_t>(rng()), n, static_cast<int>(stride), false);
          if (with_nan) x[static_cast<size_t>((rng() % n) * stride + rng() % F)] = std::nanf("");
          const int64_t groups = (n + 15) / 16;
          std::vector<int32_t> k(static_cast<size_t>(groups * 16 * F + 1), 12345);
          const bool nan = group_keys(x.data(), n, stride, F, 16, k.data());
          EXPECT_EQ(nan, with_nan == 1) << "n " << n << " F " << F;
          for (int64_t g = 0; g < groups; ++g)
            for (int32_t c = 0; c < F; ++c)
              for (int r = 0; r < 16; ++r) {
                const int64_t row = std::min<int64_t>(g * 16 + r, n - 1);
                ASSERT_EQ(k[(g * F + c) * 16 + r], key_of(x[row * stride + c])) << "n " << n << " row " << g * 16 + r << " col " << c;
              }
          EXPECT_EQ(k.back(), 12345) << "wrote past the groups";
        }
      }
    }
  }
}

// A forest with an EQ chain (shared subtrees) or a tree of more than 64 leaves has no
// QuickScorer form; the kernel walks it.
TEST(TreeKernel, QuickScorerFormOnlyForProperSmallTrees) {
  TreeGraph g;
  auto node = [&](Mode m, int64_t feat, double v) {
    g.mode.push_back(static_cast<uint8_t>(m));
    g.feature.push_back(feat);
    g.value.push_back(v);
    g.tchild.push_back(-1);
    g.fchild.push_back(-1);
    return static_cast<int32_t>(g.mode.size() - 1);
  };
  const int32_t r = node(Mode::Eq, 0, 1.0), a = node(Mode::Leaf, 0, 0), b = node(Mode::Leaf, 0, 0);
  g.tchild[r] = a, g.fchild[r] = b;
  g.roots.push_back(r);
  g.w_begin = {0, 0, 1, 2};
  g.w_target = {0, 0};
  g.w_value = {1.0, 2.0};
  ForestInfo info;
  Forest<float> f;
  ASSERT_EQ(build_forest(g, info, &f), "");
  EXPECT_FALSE(f.qs.ok);
  g.mode[r] = static_cast<uint8_t>(Mode::Leq);
  ASSERT_EQ(build_forest(g, info, &f), "");
  EXPECT_TRUE(f.qs.ok);
  Forest<double> fd;
  ASSERT_EQ(build_forest(g, info, &fd), "");
  EXPECT_FALSE(fd.qs.ok);  // float forests only
  // 65 leaves: a left-leaning chain.
  TreeGraph big;
  std::swap(g, big);
  int32_t prev = -1;
  for (int i = 0; i < 64; ++i) {
    const int32_t br = node(Mode::Leq, 0, i), lf = node(Mode::Leaf, 0, 0);
    if (prev >= 0) g.fchild[prev] = br;
    else g.roots.push_back(br);
    g.tchild[br] = lf;
    prev = br;
  }
  g.fchild[prev] = node(Mode::Leaf, 0, 0);
  g.w_begin.assign(g.size() + 1, 0);
  for (size_t i = 0; i < g.size(); ++i) {
    if (static_cast<Mode>(g.mode[i]) == Mode::Leaf) g.w_target.push_back(0), g.w_value.push_back(1.0 * i);
    g.w_begin[i + 1] = static_cast<int32_t>(g.w_target.size());
  }
  ASSERT_EQ(build_forest(g, info, &f), "");
  EXPECT_FALSE(f.qs.ok);
  std::vector<float> work(static_cast<size_t>(work_elems(f, 4)));
  std::vector<float> xs = {10.5f, -1.0f, 70.0f, 3.0f}, s(4, 0), s_ref(4, 0);
  std::vector<uint8_t> h(4, 0), h_ref(4, 0);
  accumulate(f, xs.data(), 4, 1, 0, 1, s.data(), h.data(), work.data());
  accumulate(f, xs.data(), 4, 1, 0, 1, s_ref.data(), h_ref.data(), work.data(), Path::Reference);
  EXPECT_EQ(s, s_ref);
}

TEST(TreeKernel, LayoutIsDepthFirstWithSelfLoopingLeaves) {
  Case c = make_case(42, 3, 5, 1, -1, Agg::Sum);
  Forest<float> f;
  ASSERT_EQ(build_forest(c.g, c.info, &f), "");
  for (int32_t t = 0; t < f.n_trees(); ++t) {
    const int32_t b = f.tree_begin[t], e = t + 1 < f.n_trees() ? f.tree_begin[t + 1] : static_cast<int32_t>(f.nodes.size());
    for (int32_t i = b; i < e; ++i) {
      const Node<float>& nd = f.nodes[i];
      EXPECT_NE(nd.thr, std::numeric_limits<Key<float>>::max());  // the no-NaN kernel relies on it
      EXPECT_EQ(nd.jrel % static_cast<int32_t>(sizeof(Node<float>)), 0);
      EXPECT_EQ(nd.xoff % static_cast<int32_t>(kGroup * sizeof(float)), 0);
      EXPECT_GE(nd.feature(), 0);
      EXPECT_LT(nd.feature(), std::max(1, f.n_features));
      if (nd.jump_from(i) == i) {
        EXPECT_TRUE(nd.aux & 1);
        EXPECT_EQ(nd.thr, key_of(std::numeric_limits<float>::infinity()));
      } else {
        EXPECT_GT(nd.jump_from(i), i);  // children after their parent
        EXPECT_LT(nd.jump_from(i), e);  // inside the tree
      }
    }
  }
}

TEST(TreeKernel, MalformedGraphsAreRefused) {
  Case c = make_case(7, 2, 3, 1, -1, Agg::Sum);
  Forest<float> f;
  // a cycle: a branch whose child is its own ancestor
  Case cyc = c;
  for (size_t i = 0; i < cyc.g.size(); ++i)
    if (static_cast<Mode>(cyc.g.mode[i]) != Mode::Leaf) {
      cyc.g.tchild[i] = cyc.g.roots[0];
      break;
    }
  if (static_cast<Mode>(cyc.g.mode[cyc.g.roots[0]]) != Mode::Leaf) {
    EXPECT_NE(build_forest(cyc.g, cyc.info, &f), "");
  }
  Case bad = c;
  bad.g.roots.push_back(static_cast<int32_t>(bad.g.size()) + 5);
  EXPECT_NE(build_forest(bad.g, bad.info, &f), "");
  Case tgt = make_case(8, 2, 3, 3, -1, Agg::Sum);
  if (!tgt.g.w_target.empty()) {
    tgt.g.w_target[0] = 7;
    EXPECT_NE(build_forest(tgt.g, tgt.info, &f), "");
  }
}

}  // namespace
}  // namespace rtml::trees
