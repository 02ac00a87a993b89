// tree_levels.cc - the level-table form of shallow float forests (tree_forest.hpp: LevelForm) and
// its kernel: 16 rows through one tree per 512-bit vector, with AVX-512.
//
// Why: the walk (tree_walk.hpp) is a chain of dependent scalar loads per row, 7 instructions and
// ~0.8 ns a step here; trees of ~100 leaves (random forests of depth 8) are too big for
// QuickScorer's leaf sets. Here a step of 16 rows is a couple of permutes (the level's node table
// sits in one to eight registers), one gather of the rows' values, a compare and a masked add.
// Rows of a step are independent, so a few groups of 16 are interleaved to hide the gathers'
// latency.
#include <algorithm>
#include <cstring>
#include <limits>

#include "ops/kernels/isa.hpp"
#include "ops/kernels/tree_forest.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's avx512fintrin.h (_mm512_undefined_* inside the gather and permute intrinsics) trips
// these warnings, GCC bug 105593 (the *_avx512.cc files get the same flag from CMakeLists.txt).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace rtml::trees {
namespace {

constexpr int64_t kMaxWords = int64_t{1} << 24;  // 64 MB of tables at most
// Groups of 16 rows interleaved through a tree (independent chains hide the gathers' latency).
constexpr int kInterleave = 4;

inline int32_t slots(int32_t p) { return std::max<int32_t>(16, p); }

// Words of a tree of depth d.
int64_t tree_words(int32_t d) {
  int64_t w = slots(1 << d);
  for (int32_t l = 0; l < d; ++l) w += 2 * int64_t{slots(1 << l)};
  return w;
}

}  // namespace

template <class T>
void build_levels(Forest<T>* fp) {
  Forest<T>& f = *fp;
  f.levels = LevelForm();
  if constexpr (!std::is_same_v<T, float>) {
    return;
  } else {
    const int32_t NT = f.n_trees();
    if (NT == 0 || int64_t{f.n_features} * 16 > std::numeric_limits<int32_t>::max()) return;
    int64_t words = 0;
    for (int32_t t = 0; t < NT; ++t) {
      if (f.tree_depth[t] > kLevelsMaxDepth) return;
      words += tree_words(f.tree_depth[t]);
    }
    if (words > kMaxWords) return;
    LevelForm lf;
    lf.depth = f.tree_depth;
    // Values in the tables when each tree feeds one target (regressors, binary classifiers, and
    // gradient boosting's one tree per class and round).
    lf.values = f.one_weight;
    if (lf.values) {
      lf.target.assign(static_cast<size_t>(NT), -1);
      const int32_t N = static_cast<int32_t>(f.nodes.size());
      for (int32_t t = 0; t < NT && lf.values; ++t) {
        const int32_t e = t + 1 < NT ? f.tree_begin[t + 1] : N;
        for (int32_t i = f.tree_begin[t]; i < e && lf.values; ++i) {
          if (f.nodes[i].jrel != 0) continue;
          const int32_t k = f.leaf_target[f.nodes[i].aux >> 1];
          if (lf.target[t] < 0) lf.target[t] = k;
          else if (lf.target[t] != k) lf.values = false;
        }
        if (lf.target[t] < 0) lf.values = false;
      }
      if (!lf.values) lf.target.clear();
    }
    lf.begin.resize(static_cast<size_t>(NT));
    lf.data.assign(static_cast<size_t>(words), 0);
    const Node<T>* nodes = f.nodes.data();
    const int32_t kRowBytes = static_cast<int32_t>(kGroup * sizeof(T));
    std::vector<int32_t> cur, next;
    int64_t at = 0;
    for (int32_t t = 0; t < NT; ++t) {
      const int32_t D = f.tree_depth[t];
      lf.begin[t] = at;
      cur.assign(1, f.tree_begin[t]);  // canonical node at each position of the level
      for (int32_t l = 0; l < D; ++l) {
        const int32_t P = 1 << l, S = slots(P);
        int32_t* thr = lf.data.data() + at;
        int32_t* xo = thr + S;
        next.resize(static_cast<size_t>(2 * P));
        for (int32_t i = 0; i < P; ++i) {
          const int32_t c = cur[i];
          const Node<T>& nd = nodes[c];
          if (nd.jrel == 0) {  // a leaf above the last level: always left, the leaf below
            thr[i] = std::numeric_limits<int32_t>::max();
            xo[i] = 0;
            next[2 * i] = next[2 * i + 1] = c;
          } else {  // x <= thr: the jump (left); else the next node (right)
            thr[i] = nd.thr;
            xo[i] = nd.xoff / kRowBytes * 16;
            next[2 * i] = nd.jump_from(c);
            next[2 * i + 1] = c + 1;
          }
        }
        cur.swap(next);
        at += 2 * S;
      }
      int32_t* leaf = lf.data.data() + at;
      for (int32_t i = 0; i < (1 << D); ++i) {
        const Node<T>& nd = nodes[cur[i]];
        if (nd.jrel != 0) return;  // depth is the steps to every leaf: cannot happen
        const int32_t num = nd.aux >> 1;
        if (lf.values) std::memcpy(&leaf[i], &f.leaf_value[num], sizeof(float));
        else leaf[i] = num;
      }
      at += slots(1 << D);
    }
    lf.ok = true;
    // Measured (bench_trees, 1000 rows of complete trees, Zen 5): ns per row and tree of depth D
    // for D = 0 .. 10. QuickScorer costs ~0.6 ns per tree plus ~0.1 per branch node on those
    // forests, and ~0.6x that on the converters' (rows cluster: the per-feature lists stop early).
    // The walk costs ~0.7 ns a step, more than these at every depth.
    static constexpr double kCost[kLevelsMaxDepth + 1] = {0.15, 0.3, 0.38, 0.49, 0.76, 1.13, 1.44, 2.06, 2.6, 3.85, 5.44};
    double cost = 0;
    for (int32_t t = 0; t < NT; ++t) cost += kCost[f.tree_depth[t]];
    if (!lf.values) cost += 0.5 * NT;  // leaves added one row at a time
    lf.prefer = true;
    if (f.qs.ok) {
      int64_t branches = 0;
      for (const Node<T>& nd : f.nodes) branches += nd.jrel != 0;
      lf.prefer = cost < 0.4 * NT + 0.06 * static_cast<double>(branches);
    }
    f.levels = std::move(lf);
  }
}

template void build_levels<float>(Forest<float>*);
template void build_levels<double>(Forest<double>*);

#if defined(__x86_64__)
#define RTML_LEVELS_TARGET __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
namespace {

// Entry loc[r] of a table of P entries (16-word blocks): permutes from registers up to 128
// entries (the index bits above 4 pick among pairs of blocks), a gather above.
template <int P>
RTML_LEVELS_TARGET __attribute__((always_inline)) inline __m512i lookup(const int32_t* tab, __m512i loc, __mmask16 b5, __mmask16 b6) {
  if constexpr (P <= 16) {
    return _mm512_permutexvar_epi32(loc, _mm512_loadu_si512(tab));
  } else if constexpr (P == 32) {
    return _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), loc, _mm512_loadu_si512(tab + 16));
  } else if constexpr (P == 64) {
    const __m512i a = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), loc, _mm512_loadu_si512(tab + 16));
    const __m512i b = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 32), loc, _mm512_loadu_si512(tab + 48));
    return _mm512_mask_blend_epi32(b5, a, b);
  } else if constexpr (P == 128) {
    const __m512i a = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab), loc, _mm512_loadu_si512(tab + 16));
    const __m512i b = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 32), loc, _mm512_loadu_si512(tab + 48));
    const __m512i c = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 64), loc, _mm512_loadu_si512(tab + 80));
    const __m512i d = _mm512_permutex2var_epi32(_mm512_loadu_si512(tab + 96), loc, _mm512_loadu_si512(tab + 112));
    return _mm512_mask_blend_epi32(b6, _mm512_mask_blend_epi32(b5, a, b), _mm512_mask_blend_epi32(b5, c, d));
  } else {
    return _mm512_i32gather_epi32(loc, tab, 4);
  }
}

// One level (P = 2^L nodes) for G groups: loc = 2 loc + (x[feat] > thr).
template <int P, int G>
RTML_LEVELS_TARGET __attribute__((always_inline)) inline void level(const int32_t* tab, __m512i* loc, const int32_t* const* xg) {
  constexpr int32_t S = P < 16 ? 16 : P;
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i one = _mm512_set1_epi32(1);
  for (int g = 0; g < G; ++g) {
    const __mmask16 b5 = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(32));
    const __mmask16 b6 = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(64));
    const __m512i thr = lookup<P>(tab, loc[g], b5, b6);
    __m512i x;
    if constexpr (P <= 8) {
      // Few nodes: load each one's feature for all 16 rows and pick per row by the bits of loc,
      // cheaper than a gather.
      const int32_t* xo = tab + S;
      __m512i c[P];
      for (int i = 0; i < P; ++i) c[i] = _mm512_loadu_si512(xg[g] + xo[i]);
      for (int b = 0, w = P; w > 1; ++b, w /= 2) {
        const __mmask16 m = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(1 << b));
        for (int i = 0; i < w / 2; ++i) c[i] = _mm512_mask_blend_epi32(m, c[2 * i], c[2 * i + 1]);
      }
      x = c[0];
    } else {
      const __m512i xo = lookup<P>(tab + S, loc[g], b5, b6);
      x = _mm512_i32gather_epi32(_mm512_add_epi32(xo, lane), xg[g], 4);
    }
    const __mmask16 right = _mm512_cmpgt_epi32_mask(x, thr);
    const __m512i l2 = _mm512_add_epi32(loc[g], loc[g]);
    loc[g] = _mm512_mask_add_epi32(l2, right, l2, one);
  }
}

// Levels L .. D-1 of the tree (its tables from d on) for G groups, then the leaves' entries.
template <int L, int D, int G>
RTML_LEVELS_TARGET __attribute__((always_inline)) inline void levels_from(const int32_t* d, __m512i* loc,
                                                                          const int32_t* const* xg, __m512i* leaf) {
  if constexpr (L < D) {
    constexpr int P = 1 << L;
    level<P, G>(d, loc, xg);
    levels_from<L + 1, D, G>(d + 2 * (P < 16 ? 16 : P), loc, xg, leaf);
  } else {
    for (int g = 0; g < G; ++g) {
      const __mmask16 b5 = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(32));
      const __mmask16 b6 = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(64));
      if constexpr (D == 8) {  // 256 leaves: permutes still beat a gather (measured)
        const __mmask16 b7 = _mm512_test_epi32_mask(loc[g], _mm512_set1_epi32(128));
        leaf[g] = _mm512_mask_blend_epi32(b7, lookup<128>(d, loc[g], b5, b6), lookup<128>(d + 128, loc[g], b5, b6));
      } else {
        leaf[g] = lookup<(1 << D)>(d, loc[g], b5, b6);
      }
    }
  }
}

// G groups of 16 rows (group g's keys from xk + (g0 + g) * stride) through a tree of depth D
// whose tables start at d; acc += the leaves' values, or out = their entries.
template <int D, int G>
RTML_LEVELS_TARGET void groups_at(const int32_t* d, const int32_t* xk, int64_t g0, int64_t stride, float* acc,
                                  int32_t* out) {
  const int32_t* xg[G];
  __m512i loc[G], leaf[G];
  for (int g = 0; g < G; ++g) xg[g] = xk + (g0 + g) * stride;
  if constexpr (D > 0) {  // the root: every row reads the same feature
    const __m512i thr = _mm512_set1_epi32(d[0]);
    const int32_t xo = d[16];
    for (int g = 0; g < G; ++g)
      loc[g] = _mm512_maskz_mov_epi32(_mm512_cmpgt_epi32_mask(_mm512_loadu_si512(xg[g] + xo), thr), _mm512_set1_epi32(1));
    levels_from<1, D, G>(d + 32, loc, xg, leaf);
  } else {
    for (int g = 0; g < G; ++g) loc[g] = _mm512_setzero_si512();
    levels_from<0, 0, G>(d, loc, xg, leaf);
  }
  for (int g = 0; g < G; ++g) {
    if (acc) {
      float* a = acc + (g0 + g) * 16;
      _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), _mm512_castsi512_ps(leaf[g])));
    } else {
      _mm512_storeu_si512(out + (g0 + g) * 16, leaf[g]);
    }
  }
}

template <int D>
RTML_LEVELS_TARGET void tree_at(const int32_t* d, const int32_t* xk, int64_t groups, int64_t stride, float* acc,
                                int32_t* out) {
  int64_t g = 0;
  for (; g + kInterleave <= groups; g += kInterleave) groups_at<D, kInterleave>(d, xk, g, stride, acc, out);
  static_assert(kInterleave == 4, "the tail below is at most three groups");
  if (groups - g == 3) groups_at<D, 3>(d, xk, g, stride, acc, out);
  else if (groups - g == 2) groups_at<D, 2>(d, xk, g, stride, acc, out);
  else if (groups - g == 1) groups_at<D, 1>(d, xk, g, stride, acc, out);
}

RTML_LEVELS_TARGET void levels_tree16_avx512(const LevelForm& lf, int32_t t, const int32_t* xk, int32_t F,
                                             int64_t groups, float* acc, int32_t* out) {
  const int32_t* d = lf.data.data() + lf.begin[t];
  const int64_t stride = int64_t{F} * 16;
  static_assert(kLevelsMaxDepth == 10, "the cases below cover depths 0 .. 10");
  switch (lf.depth[t]) {
    case 0: return tree_at<0>(d, xk, groups, stride, acc, out);
    case 1: return tree_at<1>(d, xk, groups, stride, acc, out);
    case 2: return tree_at<2>(d, xk, groups, stride, acc, out);
    case 3: return tree_at<3>(d, xk, groups, stride, acc, out);
    case 4: return tree_at<4>(d, xk, groups, stride, acc, out);
    case 5: return tree_at<5>(d, xk, groups, stride, acc, out);
    case 6: return tree_at<6>(d, xk, groups, stride, acc, out);
    case 7: return tree_at<7>(d, xk, groups, stride, acc, out);
    case 8: return tree_at<8>(d, xk, groups, stride, acc, out);
    case 9: return tree_at<9>(d, xk, groups, stride, acc, out);
    default: return tree_at<10>(d, xk, groups, stride, acc, out);
  }
}

}  // namespace
#endif

bool levels_available() {
#if defined(__x86_64__)
  return isa::avx512();
#else
  return false;
#endif
}

void levels_tree16(const LevelForm& lf, int32_t t, const int32_t* xk, int32_t F, int64_t groups, float* acc,
                   int32_t* out) {
#if defined(__x86_64__)
  if (levels_available()) return levels_tree16_avx512(lf, t, xk, F, groups, acc, out);
#endif
  levels_tree16_scalar(lf, t, xk, F, groups, acc, out);
}

void levels_tree16_scalar(const LevelForm& lf, int32_t t, const int32_t* xk, int32_t F, int64_t groups, float* acc,
                          int32_t* out) {
  const int32_t D = lf.depth[t];
  for (int64_t g = 0; g < groups; ++g) {
    const int32_t* xg = xk + g * int64_t{F} * 16;
    for (int r = 0; r < 16; ++r) {
      const int32_t* d = lf.data.data() + lf.begin[t];
      int32_t i = 0;
      for (int32_t l = 0; l < D; ++l) {
        const int32_t S = slots(1 << l);
        i = 2 * i + (xg[d[S + i] + r] > d[i] ? 1 : 0);
        d += 2 * S;
      }
      if (acc) {
        float v;
        std::memcpy(&v, &d[i], sizeof v);
        acc[g * 16 + r] += v;
      } else {
        out[g * 16 + r] = d[i];
      }
    }
  }
}

}  // namespace rtml::trees
