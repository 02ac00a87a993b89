// tree_eval.cc - scores of a packed forest: accumulation over trees (interleaved walks, the
// QuickScorer kernel, the level tables or the scalar reference; acc_op picks) and ONNX Runtime's
// finalisation (base values, transforms, binary cases).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "ops/kernels/tree_walk.hpp"

namespace rtml::trees {
namespace {

// Where acc_qs keeps its keys, leaf sets and leaves in `work` (elements of T).
struct QsOffsets {
  int64_t bv, leaves, end;
};
template <class T>
QsOffsets qs_offsets(const Forest<T>& f) {
  const int64_t keys = int64_t{kQsRows} * std::max<int32_t>(1, f.n_features) * 4;  // bytes
  const int64_t bv = (keys + 63) / 64 * 64;
  const int64_t leaves = bv + int64_t{kQsRows} * f.n_trees() * 8;
  const int64_t end = leaves + int64_t{kQsRows} * f.n_trees() * 4;
  const int64_t e = static_cast<int64_t>(sizeof(T));
  return {bv / e, leaves / e, (end + e - 1) / e};
}

// ---- accumulation -------------------------------------------------------------------------------

enum class Op { Sum, Min, Max };

template <Op kOp, class T>
inline void add(T& s, uint8_t& h, T w) {
  if constexpr (kOp == Op::Sum) {
    s += w;
  } else if constexpr (kOp == Op::Min) {
    s = (!h || w < s) ? w : s;
  } else {
    s = (!h || w > s) ? w : s;
  }
  h = 1;
}

template <Op kOp, class T>
inline void add_leaf(const Forest<T>& f, int32_t leaf, T* score, uint8_t* has) {
  if (f.single) {
    add<kOp>(score[f.single_target], has[f.single_target], f.leaf_value[leaf]);
    return;
  }
  for (int32_t w = f.w_begin[leaf]; w < f.w_begin[leaf + 1]; ++w) add<kOp>(score[f.w_target[w]], has[f.w_target[w]], f.w_value[w]);
}

template <Op kOp, class T>
void acc_reference(const Forest<T>& f, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1, T* score, uint8_t* has) {
  const int32_t K = f.info.n_targets;
  for (int64_t r = 0; r < n; ++r)
    for (int32_t t = t0; t < t1; ++t)
      add_leaf<kOp>(f, walk_reference(f.nodes.data(), f.tree_begin[t], x + r * stride), score + r * K, has + r * K);
}

// Rows [0, n) regrouped for walk_group: group g (rows g*L .. g*L+L-1, the last row repeated to
// fill it) is F*L values, feature f of lane l at [f * L + l].
// Values become keys (key_of) here, once per row and feature.
// Returns whether a value is NaN (its key is the largest).
template <class T, int L>
bool regroup(const T* x, int64_t n, int64_t stride, int32_t F, T* out) {
  using K = Key<T>;
  K* ko = reinterpret_cast<K*>(out);
  if constexpr (std::is_same_v<T, float>) {
    return group_keys(x, n, stride, F, L, ko);
  } else {
    K top = std::numeric_limits<K>::min();
    for (int64_t g0 = 0; g0 < n; g0 += L) {
      K* o = ko + g0 * F;
      for (int l = 0; l < L; ++l) {
        const T* row = x + std::min<int64_t>(g0 + l, n - 1) * stride;
        for (int32_t c = 0; c < F; ++c) {
          const K k = key_of(row[c]);
          o[c * L + l] = k;
          top = std::max(top, k);
        }
      }
    }
    return top == std::numeric_limits<K>::max();
  }
}

// Trees outer, rows inner in groups of kGroup: a tree stays in L1 while the rows go through it
// (the caller passes blocks of rows small enough for that), and each row sums its trees in tree
// order, as the reference does.
// Walks rows regrouped into `work` (regroup).
template <Op kOp, class T, bool kNaN>
void acc_rows(const Forest<T>& f, int64_t n, int32_t t0, int32_t t1, T* score, uint8_t* has, T* work) {
  constexpr int L = kGroup;
  const int32_t K = f.info.n_targets;
  const int32_t F = f.n_features;
  const Node<T>* nodes = f.nodes.data();
  int32_t leaf[L];
  const T* lv = f.leaf_value.data();
  const int32_t* lt = f.leaf_target.data();
  for (int32_t t = t0; t < t1; ++t) {
    const int32_t root = f.tree_begin[t], depth = f.tree_depth[t];
    for (int64_t r0 = 0; r0 < n; r0 += L) {
      const int64_t m = std::min<int64_t>(L, n - r0);
      walk_group<T, kNaN, L>(nodes, root, depth, work + r0 * F, leaf);
      if (f.single && K == 1) {
        for (int64_t l = 0; l < m; ++l) add<kOp>(score[r0 + l], has[r0 + l], lv[leaf[l]]);
      } else if (f.one_weight) {
        for (int64_t l = 0; l < m; ++l) {
          const int64_t i = (r0 + l) * K + lt[leaf[l]];
          add<kOp>(score[i], has[i], lv[leaf[l]]);
        }
      } else {
        for (int64_t l = 0; l < m; ++l) add_leaf<kOp>(f, leaf[l], score + (r0 + l) * K, has + (r0 + l) * K);
      }
    }
  }
}

// Blocks of kQsRows rows through the QuickScorer kernel (tree_qs.cc), then each row sums its
// trees' leaves in tree order, as the reference does.
template <Op kOp, class T>
void acc_qs(const Forest<T>& f, const T* x, int64_t n, int64_t stride, T* score, uint8_t* has, T* work) {
  constexpr int R = kQsRows;
  const int32_t K = f.info.n_targets, F = f.n_features, NT = f.n_trees();
  int32_t* xk = reinterpret_cast<int32_t*>(work);
  uint64_t* bv = reinterpret_cast<uint64_t*>(work + qs_offsets(f).bv);
  int32_t* leaves = reinterpret_cast<int32_t*>(work + qs_offsets(f).leaves);
  const T* lv = f.leaf_value.data();
  const int32_t* lt = f.leaf_target.data();
  for (int64_t r0 = 0; r0 < n; r0 += R) {
    const int64_t m = std::min<int64_t>(R, n - r0);
    regroup<T, R>(x + r0 * stride, m, stride, F, work);  // the caller checked: no NaN
    qs_leaves16(f.qs, F, NT, xk, bv, leaves);
    T* s = score + r0 * K;
    uint8_t* h = has + r0 * K;
    if constexpr (kOp == Op::Sum && std::is_same_v<T, float>) {
      if (f.single) {
        // Lane l sums its trees in tree order from the row's current score, as the reference.
        alignas(64) float acc[R];
        const int32_t st = f.single_target;
        for (int l = 0; l < R; ++l) acc[l] = l < m ? s[l * K + st] : 0.0f;
        qs_sum16(leaves, NT, lv, acc);
        for (int64_t l = 0; l < m; ++l) s[l * K + st] = acc[l], h[l * K + st] = 1;
        continue;
      }
    }
    if (f.single && K == 1) {
      for (int32_t t = 0; t < NT; ++t)
        for (int64_t l = 0; l < m; ++l) add<kOp>(s[l], h[l], lv[leaves[t * R + l]]);
    } else if (f.one_weight) {
      for (int32_t t = 0; t < NT; ++t)
        for (int64_t l = 0; l < m; ++l) {
          const int32_t lf = leaves[t * R + l];
          const int64_t i = l * K + lt[lf];
          add<kOp>(s[i], h[i], lv[lf]);
        }
    } else {
      for (int32_t t = 0; t < NT; ++t)
        for (int64_t l = 0; l < m; ++l) add_leaf<kOp>(f, leaves[t * R + l], s + l * K, h + l * K);
    }
  }
}

// Blocks of rows through the level tables (tree_levels.cc), tree by tree: the rows regrouped 16
// to a group; when each tree feeds one target, sums add in a vector per group and target in tree
// order, from the rows' current scores, as the reference does; otherwise the leaves are added
// row by row. Returns false (nothing done) when a value is NaN.
template <Op kOp, class T>
bool acc_levels(const Forest<T>& f, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1, T* score,
                uint8_t* has, T* work) {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    const LevelForm& lf = f.levels;
    const int32_t K = f.info.n_targets, F = std::max<int32_t>(1, f.n_features);
    const int64_t groups = (n + 15) / 16;
    if (f.n_features > 0 && regroup<T, 16>(x, n, stride, f.n_features, work)) return false;
    const int32_t* xk = reinterpret_cast<const int32_t*>(work);
    const int64_t rows = groups * 16;
    float* acc = work + rows * F;  // K x rows (sums) or rows (leaf entries)
    if (kOp == Op::Sum && lf.values) {
      // acc[k * rows + r]: target k of row r, from the row's score; each tree adds to its target.
      for (int32_t k = 0; k < K; ++k)
        for (int64_t r = 0; r < rows; ++r) acc[k * rows + r] = r < n ? score[r * K + k] : 0.0f;
      for (int32_t t = t0; t < t1; ++t) levels_tree16(lf, t, xk, F, groups, acc + lf.target[t] * rows, nullptr);
      for (int32_t k = 0; k < K; ++k) {  // the targets some tree of [t0, t1) feeds
        if (std::find(lf.target.begin() + t0, lf.target.begin() + t1, k) == lf.target.begin() + t1) continue;
        for (int64_t r = 0; r < n; ++r) score[r * K + k] = acc[k * rows + r], has[r * K + k] = 1;
      }
      return true;
    }
    int32_t* out = reinterpret_cast<int32_t*>(acc);
    const int32_t* lt = f.leaf_target.data();
    for (int32_t t = t0; t < t1; ++t) {
      levels_tree16(lf, t, xk, F, groups, nullptr, out);
      if (lf.values) {
        const int32_t k = lf.target[t];
        for (int64_t r = 0; r < n; ++r) {
          float v;
          std::memcpy(&v, &out[r], sizeof v);
          add<kOp>(score[r * K + k], has[r * K + k], v);
        }
      } else if (f.one_weight) {
        for (int64_t r = 0; r < n; ++r) {
          const int64_t i = r * K + lt[out[r]];
          add<kOp>(score[i], has[i], f.leaf_value[out[r]]);
        }
      } else {
        for (int64_t r = 0; r < n; ++r) add_leaf<kOp>(f, out[r], score + r * K, has + r * K);
      }
    }
    return true;
  }
}

// One row through kLanes trees at a time (a single prediction: no rows to interleave).
// Single-value forests sum in a register: through memory, the adds of one row form a
// store-to-load chain that cost as much as the walks.
template <Op kOp, class T, bool kNaN>
void acc_trees(const Forest<T>& f, const T* x, int32_t t0, int32_t t1, T* score, uint8_t* has, T* work) {
  const Node<T>* nodes = f.nodes.data();
  Key<T>* kw = reinterpret_cast<Key<T>*>(work);
  for (int32_t c = 0; c < f.n_features; ++c) kw[c * kGroup] = key_of(x[c]);  // lane 0 of a group
  int32_t roots[kLanes], leaf[kLanes];
  const int32_t st = f.single_target;
  T acc = score[st];
  uint8_t acc_has = has[st];
  for (int32_t g = t0; g < t1; g += kLanes) {
    const int32_t m = std::min<int32_t>(kLanes, t1 - g);
    int32_t depth = 0;
    for (int l = 0; l < kLanes; ++l) {
      const int32_t t = g + std::min<int32_t>(l, m - 1);
      roots[l] = f.tree_begin[t];
      depth = std::max(depth, f.tree_depth[t]);
    }
    walk_trees<T, kNaN, kLanes>(nodes, roots, depth, work, leaf);
    if (f.single) {
      for (int32_t l = 0; l < m; ++l) add<kOp>(acc, acc_has, f.leaf_value[leaf[l]]);  // tree order kept
    } else {
      for (int32_t l = 0; l < m; ++l) add_leaf<kOp>(f, leaf[l], score, has);
    }
  }
  if (f.single) score[st] = acc, has[st] = acc_has;
}

template <class T>
bool has_nan(const T* x, int64_t n, int64_t stride, int32_t cols) {
  // The largest magnitude's bits (a vectorisable max) above +inf's: a NaN.
  using K = Key<T>;
  K worst = 0;
  for (int64_t r = 0; r < n; ++r) {
    const T* row = x + r * stride;
    for (int32_t c = 0; c < cols; ++c) {
      K b;
      std::memcpy(&b, row + c, sizeof b);
      worst = std::max<K>(worst, b & std::numeric_limits<K>::max());
    }
  }
  return worst > kInfBits<T>;
}

// RTML_TREE_PATH=reference|walk|quickscorer|levels in the environment replaces Path::Auto (to
// compare the kernels on a real model; a form the forest lacks falls back as Auto would).
Path env_path() {
  static const Path p = [] {
    const char* e = std::getenv("RTML_TREE_PATH");
    if (!e) return Path::Auto;
    const std::string v(e);
    if (v == "reference") return Path::Reference;
    if (v == "walk") return Path::Interleaved;
    if (v == "quickscorer") return Path::QuickScorer;
    if (v == "levels") return Path::Levels;
    return Path::Auto;
  }();
  return p;
}

template <Op kOp, class T>
void acc_op(const Forest<T>& f, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1, T* score, uint8_t* has,
            T* work, Path path) {
  if (path == Path::Auto) path = env_path();
  if (path == Path::Reference) return acc_reference<kOp>(f, x, n, stride, t0, t1, score, has);
  if (!work) return acc_reference<kOp>(f, x, n, stride, t0, t1, score, has);
  // Why n < 4: below that, interleaving trees of one row beats padding groups of rows.
  if (n < 4) {
    const bool nan = has_nan(x, n, stride, f.n_features);
    const int32_t K = f.info.n_targets;
    for (int64_t r = 0; r < n; ++r) {
      if (nan) acc_trees<kOp, T, true>(f, x + r * stride, t0, t1, score + r * K, has + r * K, work);
      else acc_trees<kOp, T, false>(f, x + r * stride, t0, t1, score + r * K, has + r * K, work);
    }
    return;
  }
  // Auto: the level tables where they pay, else QuickScorer where it pays, else the walk.
  const bool levels = f.levels.ok && (path == Path::Levels || (path == Path::Auto && f.levels.prefer && levels_available()));
  if (std::is_same_v<T, float> && f.qs.ok && t0 == 0 && t1 == f.n_trees() &&
      (path == Path::QuickScorer || (path == Path::Auto && !levels && f.qs.prefer && qs_available())) &&
      !has_nan(x, n, stride, f.n_features))
    return acc_qs<kOp>(f, x, n, stride, score, has, work);
  if (std::is_same_v<T, float> && levels && acc_levels<kOp>(f, x, n, stride, t0, t1, score, has, work)) return;
  const bool nan = f.n_features > 0 && regroup<T, kGroup>(x, n, stride, f.n_features, work);
  if (nan) acc_rows<kOp, T, true>(f, n, t0, t1, score, has, work);
  else acc_rows<kOp, T, false>(f, n, t0, t1, score, has, work);
}

// ---- ONNX Runtime's post transforms -------------------------------------------------------------

inline float logistic(float v) {
  const float e = 1.0f / (1.0f + std::exp(-std::fabs(v)));
  return v < 0 ? 1.0f - e : e;
}

// Winitzki's approximation of erf^-1 (a = 0.147), which ONNX Runtime uses for PROBIT.
inline float erf_inv(float x) {
  const float sgn = x < 0 ? -1.0f : 1.0f;
  x = (1 - x) * (1 + x);
  const float lg = std::log(x);
  const float a = 2 / (static_cast<float>(M_PI) * 0.147f) + 0.5f * lg;
  const float b = 1 / 0.147f * lg;
  return sgn * std::sqrt(-a + std::sqrt(a * a - b));
}

inline float probit(float v) { return static_cast<float>(M_SQRT2) * erf_inv(2 * v - 1); }

// Writes m (1 or more) scores: val[k] = has[k] ? score[k] : 0, transformed.
// add_second: ONNX Runtime's code for a single score column (-1 none, 0/1 "1 - p, p",
// 2/3 "-s, s" or logistic of both).
template <class T, class Out>
void write_scores(const T* score, const uint8_t* has, int32_t m, Post post, int add_second, Out* z) {
  auto val = [&](int32_t k) -> T { return has[k] ? score[k] : T(0); };
  if (m >= 2) {
    switch (post) {
      case Post::Probit:
        for (int32_t k = 0; k < m; ++k) z[k] = static_cast<Out>(probit(static_cast<float>(val(k))));
        return;
      case Post::Logistic:
        for (int32_t k = 0; k < m; ++k) z[k] = static_cast<Out>(logistic(static_cast<float>(val(k))));
        return;
      case Post::Softmax: {
        float vmax = -FLT_MAX;
        for (int32_t k = 0; k < m; ++k) vmax = std::max(vmax, static_cast<float>(val(k)));
        float sum = 0;
        for (int32_t k = 0; k < m; ++k) {
          const float e = std::exp(static_cast<float>(val(k)) - vmax);
          z[k] = static_cast<Out>(e);
          sum += e;
        }
        for (int32_t k = 0; k < m; ++k) z[k] = static_cast<Out>(static_cast<float>(z[k]) / sum);
        return;
      }
      case Post::SoftmaxZero: {
        float vmax = -FLT_MAX;
        for (int32_t k = 0; k < m; ++k) vmax = std::max(vmax, static_cast<float>(val(k)));
        const float exp_neg = std::exp(-vmax);
        float sum = 0;
        for (int32_t k = 0; k < m; ++k) {
          const float v = static_cast<float>(val(k));
          T e;
          if (v > 0.0000001f || v < -0.0000001f) {
            e = static_cast<T>(std::exp(v - vmax));
            sum += static_cast<float>(e);
          } else {
            e = val(k) * static_cast<T>(exp_neg);
          }
          z[k] = static_cast<Out>(e);
        }
        for (int32_t k = 0; k < m; ++k) z[k] = static_cast<Out>(static_cast<T>(z[k]) / static_cast<T>(sum));
        return;
      }
      case Post::None:
      default:
        for (int32_t k = 0; k < m; ++k) z[k] = static_cast<Out>(val(k));
        return;
    }
  }
  const T s = val(0);
  if (post == Post::Probit) {
    z[0] = static_cast<Out>(probit(static_cast<float>(s)));
    z[1] = Out(0);
    return;
  }
  switch (add_second) {
    case 0:
    case 1:
      z[0] = static_cast<Out>(T(1) - s);
      z[1] = static_cast<Out>(s);
      return;
    case 2:
    case 3:
      if (post == Post::Logistic) {
        z[1] = static_cast<Out>(static_cast<T>(logistic(static_cast<float>(s))));
        z[0] = static_cast<Out>(static_cast<T>(logistic(static_cast<float>(-s))));
      } else {
        z[1] = static_cast<Out>(s);
        z[0] = static_cast<Out>(-s);
      }
      return;
    default:
      z[0] = static_cast<Out>(s);
      z[1] = Out(0);  // ONNX Runtime leaves this column unwritten
      return;
  }
}

}  // namespace

template <class T>
int64_t work_elems(const Forest<T>& f, int64_t n) {
  const int64_t walk = (n + kGroup - 1) / kGroup * kGroup * std::max<int32_t>(1, f.n_features);
  const int64_t levels =
      f.levels.ok ? (n + 15) / 16 * 16 * (std::max<int32_t>(1, f.n_features) + std::max<int32_t>(1, f.info.n_targets)) : 0;
  return std::max({walk, levels, f.qs.ok ? qs_offsets(f).end : int64_t{0}});
}

template <class T>
void accumulate(const Forest<T>& f, const T* x, int64_t n, int64_t stride, int32_t t0, int32_t t1, T* score,
                uint8_t* has, T* work, Path path) {
  if (n <= 0 || t1 <= t0) return;
  switch (f.info.kind == Kind::Classifier ? Agg::Sum : f.info.agg) {
    case Agg::Min: return acc_op<Op::Min>(f, x, n, stride, t0, t1, score, has, work, path);
    case Agg::Max: return acc_op<Op::Max>(f, x, n, stride, t0, t1, score, has, work, path);
    default: return acc_op<Op::Sum>(f, x, n, stride, t0, t1, score, has, work, path);
  }
}

template <class T>
void merge_scores(const Forest<T>& f, T* as, uint8_t* ah, const T* bs, const uint8_t* bh) {
  const Agg agg = f.info.kind == Kind::Classifier ? Agg::Sum : f.info.agg;
  for (int32_t k = 0; k < f.info.n_targets; ++k) {
    if (agg == Agg::Sum || agg == Agg::Average) {
      as[k] += bs[k];
      ah[k] |= bh[k];
    } else if (bh[k]) {
      const bool keep = ah[k] && (agg == Agg::Min ? as[k] < bs[k] : as[k] > bs[k]);
      as[k] = keep ? as[k] : bs[k];
      ah[k] = 1;
    }
  }
}

template <class T, class Out>
void finalize_row(const Forest<T>& f, T* s, uint8_t* h, Out* z, int64_t* label) {
  const ForestInfo& in = f.info;
  const int32_t K = in.n_targets;
  const std::vector<T>& base = f.base;
  const T n_trees = static_cast<T>(f.n_trees());
  if (in.kind == Kind::Regressor) {
    const bool use_base = base.size() == static_cast<size_t>(K);
    if (K == 1) {
      const T origin = base.size() == 1 ? base[0] : T(0);
      T v;
      switch (in.agg) {
        case Agg::Sum: v = s[0] + origin; break;
        case Agg::Average: v = s[0] / n_trees + origin; break;
        default: v = h[0] ? s[0] + origin : origin; break;
      }
      z[0] = in.post == Post::Probit ? static_cast<Out>(probit(static_cast<float>(v))) : static_cast<Out>(v);
      return;
    }
    for (int32_t k = 0; k < K; ++k) {
      switch (in.agg) {
        case Agg::Sum: if (use_base) s[k] += base[k]; break;
        case Agg::Average: s[k] = use_base ? s[k] / n_trees + base[k] : s[k] / n_trees; break;
        default: s[k] = (use_base ? base[k] : T(0)) + (h[k] ? s[k] : T(0)); break;
      }
    }
    write_scores(s, h, K, in.post, -1, z);
    return;
  }
  // Classifier (always summed).
  const std::vector<int64_t>& labels = in.labels;
  if (K > 2) {
    for (size_t k = 0; k < base.size() && k < static_cast<size_t>(K); ++k) {
      if (!h[k]) {
        h[k] = 1;
        s[k] = base[k];
      } else {
        s[k] += base[k];
      }
    }
    int32_t best = -1;
    T best_w = 0;
    for (int32_t k = 0; k < K; ++k)
      if (h[k] && (best == -1 || s[k] > best_w)) best = k, best_w = s[k];
    *label = labels[best < 0 ? 0 : best];
    write_scores(s, h, K, in.post, -1, z);
    return;
  }
  // Two classes.
  int wa = -1;
  int32_t m = 2;
  if (base.size() == 2) {
    if (h[1]) {  // ONNX Runtime: base_values[0] unused, class 1 from class 0's score
      s[1] = base[1] + s[0];
      s[0] = -s[1];
      h[1] = 1;
    } else {
      s[1] += base[1];
      s[0] += base[0];
    }
  } else if (base.size() == 1) {
    s[0] += base[0];
    if (!h[1]) m = 1;
  } else if (base.empty()) {
    wa = 3;
    if (!h[1]) m = 1;
  }
  const bool two = m == 2 && h[1];
  const T pos = two ? s[1] : (h[0] ? s[0] : T(0));
  if (in.binary_case) {
    if (in.weights_all_positive) {
      wa = pos > 0.5 ? 0 : 1;
      *label = labels[pos > 0.5 ? 1 : 0];
    } else {
      wa = pos > 0 ? 2 : 3;
      *label = labels[pos > 0 ? 1 : 0];
    }
  } else {
    *label = pos > 0 ? 1 : 0;  // ONNX Runtime's literal positive/negative labels
  }
  write_scores(s, h, m, in.post, wa, z);
}

template int64_t work_elems<float>(const Forest<float>&, int64_t);
template int64_t work_elems<double>(const Forest<double>&, int64_t);
template void accumulate<float>(const Forest<float>&, const float*, int64_t, int64_t, int32_t, int32_t, float*, uint8_t*, float*, Path);
template void accumulate<double>(const Forest<double>&, const double*, int64_t, int64_t, int32_t, int32_t, double*, uint8_t*, double*, Path);
template void merge_scores<float>(const Forest<float>&, float*, uint8_t*, const float*, const uint8_t*);
template void merge_scores<double>(const Forest<double>&, double*, uint8_t*, const double*, const uint8_t*);
template void finalize_row<float, float>(const Forest<float>&, float*, uint8_t*, float*, int64_t*);
template void finalize_row<double, float>(const Forest<double>&, double*, uint8_t*, float*, int64_t*);
template void finalize_row<float, double>(const Forest<float>&, float*, uint8_t*, double*, int64_t*);
template void finalize_row<double, double>(const Forest<double>&, double*, uint8_t*, double*, int64_t*);

}  // namespace rtml::trees
