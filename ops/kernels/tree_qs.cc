// tree_qs.cc - the QuickScorer form of small-tree float forests (tree_forest.hpp: QsForm) and its
// kernel over blocks of 16 rows with AVX-512 (one 512-bit compare tests a node for all 16 rows;
// each row's leaf set of a tree is one 64-bit word, 16 rows two vectors, or one 32-bit word when
// every tree has at most 32 leaves); also the vectorised float -> key conversion (float_keys) and
// the gathered single-target sums (qs_sum16).
//
// Why: the walk costs depth x 7 instructions per row and tree however the rows fall; here a node
// costs about ten instructions for 16 rows, and only the nodes whose test holds for at least one
// row are visited (per feature the list stops at the first threshold below every row's value).
// For forests of shallow trees (random forests of a few dozen leaves, boosting of depth 3-6) that
// is several times fewer instructions. Hosts without AVX-512 walk (tree_walk.hpp).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <numeric>

#include "ops/kernels/isa.hpp"
#include "ops/kernels/tree_forest.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
// GCC 12's avx512fintrin.h (_mm512_undefined_* inside the masked intrinsics) trips these
// warnings, GCC bug 105593 (as in tree_levels.cc).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace rtml::trees {

template <class T>
void build_qs(Forest<T>* fp) {
  Forest<T>& f = *fp;
  f.qs = QsForm();
  if constexpr (!std::is_same_v<T, float>) {
    return;
  } else {
    const int32_t NT = f.n_trees();
    const int32_t N = static_cast<int32_t>(f.nodes.size());
    if (NT == 0 || f.n_features <= 0) return;
    for (int32_t t = 0; t < NT; ++t) {  // cheap refusal first: big forests have big trees
      const int32_t b = f.tree_begin[t], e = t + 1 < NT ? f.tree_begin[t + 1] : N;
      if (e - b > 127) return;  // a proper tree of at most 64 leaves has at most 127 nodes
    }
    // Proper trees only: every branch's jump target is exactly the end of its fall-through
    // subtree (EQ/NEQ/MEMBER chains share subtrees and do not qualify), at most 64 leaves a tree.
    std::vector<int32_t> size(static_cast<size_t>(N), 0), leaves_before(static_cast<size_t>(N) + 1, 0);
    for (int32_t i = 0; i < N; ++i) leaves_before[i + 1] = leaves_before[i] + ((f.nodes[i].jrel == 0) ? 1 : 0);
    QsForm q;
    q.first_leaf.resize(static_cast<size_t>(NT));
    size_t n_branch = 0;
    for (int32_t t = 0; t < NT; ++t) {
      const int32_t b = f.tree_begin[t], e = t + 1 < NT ? f.tree_begin[t + 1] : N;
      if (leaves_before[e] - leaves_before[b] > 64) return;
      for (int32_t i = e - 1; i >= b; --i) {
        const Node<T>& nd = f.nodes[i];
        if (nd.jrel == 0) {
          size[i] = 1;
          continue;
        }
        const int32_t j = nd.jump_from(i);
        if (i + 1 >= e || j >= e || j != i + 1 + size[i + 1]) return;
        size[i] = 1 + size[i + 1] + size[j];
      }
      if (size[b] != e - b) return;
      q.first_leaf[t] = leaves_before[b];  // leaf numbers are given in node order
      n_branch += static_cast<size_t>(e - b - (leaves_before[e] - leaves_before[b]));
    }
    // Leaf numbers must be consecutive in node order (tree_build.cc numbers them so).
    for (int32_t i = 0; i < N; ++i)
      if (f.nodes[i].jrel == 0 && (f.nodes[i].aux >> 1) != leaves_before[i]) return;
    // Nodes grouped by feature, thresholds descending (ties in node order).
    std::vector<int32_t> idx;
    idx.reserve(n_branch);
    std::vector<int32_t> tree_of(static_cast<size_t>(N));
    for (int32_t t = 0; t < NT; ++t) {
      const int32_t b = f.tree_begin[t], e = t + 1 < NT ? f.tree_begin[t + 1] : N;
      for (int32_t i = b; i < e; ++i) {
        tree_of[i] = t;
        if (f.nodes[i].jrel != 0) idx.push_back(i);
      }
    }
    std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
      const int32_t fa = f.nodes[a].feature(), fb = f.nodes[b].feature();
      return fa != fb ? fa < fb : f.nodes[a].thr > f.nodes[b].thr;
    });
    q.begin.assign(static_cast<size_t>(f.n_features) + 1, 0);
    q.thr.reserve(idx.size());
    q.tree.reserve(idx.size());
    q.keep.reserve(idx.size());
    for (int32_t i : idx) {
      const Node<T>& nd = f.nodes[i];
      const int32_t t = tree_of[i], j = nd.jump_from(i);
      // Fall-through subtree: nodes i+1 .. j-1, its leaves bits lo .. hi-1 of the tree.
      const int32_t lo = leaves_before[i + 1] - q.first_leaf[t], hi = leaves_before[j] - q.first_leaf[t];
      const uint64_t span = hi - lo >= 64 ? ~uint64_t{0} : ((uint64_t{1} << (hi - lo)) - 1);
      q.begin[static_cast<size_t>(nd.feature()) + 1]++;
      q.thr.push_back(nd.thr);
      q.tree.push_back(t);
      q.keep.push_back(~(span << lo));
    }
    std::partial_sum(q.begin.begin(), q.begin.end(), q.begin.begin());
    q.narrow = true;
    for (int32_t t = 0; t < NT; ++t) {
      const int32_t b = f.tree_begin[t], e = t + 1 < NT ? f.tree_begin[t + 1] : N;
      if (leaves_before[e] - leaves_before[b] > 32) q.narrow = false;
    }
    if (q.narrow)
      for (uint64_t k : q.keep) q.keep32.push_back(static_cast<uint32_t>(k));
    q.ok = true;
    // Measured (bench_trees, Zen 5): a node costs this kernel ~0.13 ns per row, a walk step
    // ~0.68 ns; rows meet most nodes of random trees, so the form pays while there are fewer
    // than ~5 branch nodes per step of the walk (complete depth-6 trees: 10.5, the walk wins 2x;
    // the converters' forests in ../shared/models: 2.3 to 3.8, this kernel wins 2-3x).
    q.prefer = static_cast<double>(n_branch) < 4.5 * static_cast<double>(f.total_depth);
    f.qs = std::move(q);
  }
}

template void build_qs<float>(Forest<float>*);
template void build_qs<double>(Forest<double>*);

#if defined(__x86_64__)
#define RTML_QS_TARGET __attribute__((target("avx512f,avx512cd,avx512dq,avx512bw,avx512vl")))

RTML_QS_TARGET
static void qs_leaves16_avx512(const QsForm& q, int32_t n_features, int32_t n_trees, const int32_t* xk, uint64_t* bv,
                               int32_t* leaves) {
  const int32_t* thr = q.thr.data();
  const int32_t* tree = q.tree.data();
  if (q.narrow) {
    // Trees of at most 32 leaves: a row's leaf set is 32 bits, 16 rows one vector.
    uint32_t* bw = reinterpret_cast<uint32_t*>(bv);
    const __m512i ones = _mm512_set1_epi32(-1);
    for (int32_t t = 0; t < n_trees; ++t) _mm512_storeu_si512(bw + t * 16, ones);
    const uint32_t* keep = q.keep32.data();
    for (int32_t c = 0; c < n_features; ++c) {
      const __m512i xs = _mm512_loadu_si512(xk + c * 16);
      for (int32_t i = q.begin[c], e = q.begin[c + 1]; i < e; ++i) {
        const __mmask16 m = _mm512_cmple_epi32_mask(xs, _mm512_set1_epi32(thr[i]));
        if (!m) break;  // thresholds descend: no later node of this feature holds for any row
        uint32_t* b = bw + tree[i] * 16;
        const __m512i b0 = _mm512_loadu_si512(b);
        _mm512_storeu_si512(b, _mm512_mask_and_epi32(b0, m, b0, _mm512_set1_epi32(static_cast<int>(keep[i]))));
      }
    }
    const __m512i c31 = _mm512_set1_epi32(31);
    for (int32_t t = 0; t < n_trees; ++t) {
      const __m512i v = _mm512_loadu_si512(bw + t * 16);
      const __m512i low = _mm512_and_si512(v, _mm512_sub_epi32(_mm512_setzero_si512(), v));
      const __m512i tz = _mm512_sub_epi32(c31, _mm512_lzcnt_epi32(low));
      _mm512_storeu_si512(leaves + t * 16, _mm512_add_epi32(tz, _mm512_set1_epi32(q.first_leaf[t])));
    }
    return;
  }
  const __m512i ones = _mm512_set1_epi64(-1);
  for (int32_t t = 0; t < n_trees; ++t) {
    _mm512_storeu_si512(bv + t * 16, ones);
    _mm512_storeu_si512(bv + t * 16 + 8, ones);
  }
  const uint64_t* keep = q.keep.data();
  for (int32_t c = 0; c < n_features; ++c) {
    const __m512i xs = _mm512_loadu_si512(xk + c * 16);
    for (int32_t i = q.begin[c], e = q.begin[c + 1]; i < e; ++i) {
      const __mmask16 m = _mm512_cmple_epi32_mask(xs, _mm512_set1_epi32(thr[i]));
      if (!m) break;
      uint64_t* b = bv + tree[i] * 16;
      const __m512i k = _mm512_set1_epi64(static_cast<long long>(keep[i]));
      const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 8);
      _mm512_storeu_si512(b, _mm512_mask_and_epi64(b0, static_cast<__mmask8>(m), b0, k));
      _mm512_storeu_si512(b + 8, _mm512_mask_and_epi64(b1, static_cast<__mmask8>(m >> 8), b1, k));
    }
  }
  // Exit leaf: the lowest bit left. tzcnt(v) = 63 - lzcnt(v & -v).
  const __m512i c63 = _mm512_set1_epi64(63);
  for (int32_t t = 0; t < n_trees; ++t) {
    const __m512i first = _mm512_set1_epi64(q.first_leaf[t]);
    for (int h = 0; h < 2; ++h) {
      const __m512i v = _mm512_loadu_si512(bv + t * 16 + h * 8);
      const __m512i low = _mm512_and_si512(v, _mm512_sub_epi64(_mm512_setzero_si512(), v));
      const __m512i tz = _mm512_sub_epi64(c63, _mm512_lzcnt_epi64(low));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(leaves + t * 16 + h * 8),
                          _mm512_cvtepi64_epi32(_mm512_add_epi64(tz, first)));
    }
  }
}

// key_of of 16 floats' bits; *nan gets the lanes that are NaN.
RTML_QS_TARGET
static inline __m512i keys_of16(__m512i b, __mmask16* nan) {
  const __m512i abs_mask = _mm512_set1_epi32(0x7fffffff), inf = _mm512_set1_epi32(0x7f800000);
  const __m512i mag = _mm512_and_si512(b, abs_mask);
  __m512i k = _mm512_xor_si512(b, _mm512_and_si512(_mm512_srai_epi32(b, 31), abs_mask));
  k = _mm512_maskz_mov_epi32(_mm512_test_epi32_mask(mag, mag), k);  // -0 reads as +0
  *nan = _mm512_cmpgt_epi32_mask(mag, inf);
  return _mm512_mask_mov_epi32(k, *nan, abs_mask);                  // NaN: the largest key
}

RTML_QS_TARGET
static bool float_keys_avx512(const float* x, int32_t n, int32_t* out) {
  __mmask16 any_nan = 0;
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (n - i)) - 1);
    __mmask16 nan;
    const __m512i k = keys_of16(_mm512_maskz_loadu_epi32(m, x + i), &nan);
    any_nan |= nan & m;
    _mm512_mask_storeu_epi32(out + i, m, k);
  }
  return any_nan != 0;
}

// In place: t[c] = column c of the 16 x 16 matrix whose row r was t[r] (32-bit elements).
RTML_QS_TARGET
static inline void transpose16(__m512i* t) {
  __m512i a[16], b[16];
  for (int i = 0; i < 8; ++i) {  // pairs of rows interleaved within 128-bit lanes
    a[2 * i] = _mm512_unpacklo_epi32(t[2 * i], t[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_epi32(t[2 * i], t[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {  // b[4i + k], 128-bit lane j: column 4j + k of rows 4i .. 4i+3
    b[4 * i] = _mm512_unpacklo_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 1] = _mm512_unpackhi_epi64(a[4 * i], a[4 * i + 2]);
    b[4 * i + 2] = _mm512_unpacklo_epi64(a[4 * i + 1], a[4 * i + 3]);
    b[4 * i + 3] = _mm512_unpackhi_epi64(a[4 * i + 1], a[4 * i + 3]);
  }
  for (int k = 0; k < 4; ++k) {  // gather the 128-bit lanes of one column
    const __m512i c0 = _mm512_shuffle_i32x4(b[k], b[4 + k], 0x88), c1 = _mm512_shuffle_i32x4(b[k], b[4 + k], 0xdd);
    const __m512i c2 = _mm512_shuffle_i32x4(b[8 + k], b[12 + k], 0x88), c3 = _mm512_shuffle_i32x4(b[8 + k], b[12 + k], 0xdd);
    t[k] = _mm512_shuffle_i32x4(c0, c2, 0x88);
    t[8 + k] = _mm512_shuffle_i32x4(c0, c2, 0xdd);
    t[4 + k] = _mm512_shuffle_i32x4(c1, c3, 0x88);
    t[12 + k] = _mm512_shuffle_i32x4(c1, c3, 0xdd);
  }
}

// Sixteen rows (rows past n repeat row n - 1) by blocks of 16 columns: a masked load per row, a
// transpose in registers, the keys of each column. Measured against one gather per column, which
// touches up to 16 cache lines and cost ~5x as much on 10-column rows.
RTML_QS_TARGET
static bool keys16_avx512(const float* x, int64_t n, int64_t stride, int32_t F, int32_t* out) {
  __mmask16 any_nan = 0;
  __m512i t[16];
  for (int64_t g0 = 0; g0 < n; g0 += 16) {
    const float* rows[16];
    for (int l = 0; l < 16; ++l) rows[l] = x + std::min<int64_t>(g0 + l, n - 1) * stride;
    int32_t* o = out + g0 * F;
    for (int32_t c0 = 0; c0 < F; c0 += 16) {
      const int32_t w = std::min<int32_t>(16, F - c0);
      const __mmask16 m = w == 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << w) - 1);
      for (int l = 0; l < 16; ++l) t[l] = _mm512_maskz_loadu_epi32(m, rows[l] + c0);
      transpose16(t);
      for (int32_t c = 0; c < w; ++c) {
        __mmask16 nan;
        _mm512_storeu_si512(o + (c0 + c) * 16, keys_of16(t[c], &nan));
        any_nan |= nan;
      }
    }
  }
  return any_nan != 0;
}

RTML_QS_TARGET
static void qs_sum16_avx512(const int32_t* leaves, int32_t n_trees, const float* value, float* acc) {
  __m512 s = _mm512_loadu_ps(acc);
  for (int32_t t = 0; t < n_trees; ++t)
    s = _mm512_add_ps(s, _mm512_i32gather_ps(_mm512_loadu_si512(leaves + t * 16), value, 4));
  _mm512_storeu_ps(acc, s);
}
#endif

bool qs_available() {
  static const bool yes = [] {
#if defined(__x86_64__)
    // The one ISA decision (isa.hpp: RTML_ISA=avx2 or portable turn it off), plus AVX-512 CD for
    // the leading-zero count. This file's kernels carry their own target attribute (they need CD,
    // which the *_avx512.cc flags do not enable).
    return isa::avx512() && __builtin_cpu_supports("avx512cd");
#else
    return false;
#endif
  }();
  return yes;
}

void qs_leaves16(const QsForm& q, int32_t n_features, int32_t n_trees, const int32_t* xk, uint64_t* bv, int32_t* leaves) {
#if defined(__x86_64__)
  if (qs_available()) return qs_leaves16_avx512(q, n_features, n_trees, xk, bv, leaves);
#endif
  qs_leaves16_scalar(q, n_features, n_trees, xk, bv, leaves);
}

bool float_keys(const float* x, int32_t n, int32_t* out) {
#if defined(__x86_64__)
  if (qs_available()) return float_keys_avx512(x, n, out);
#endif
  bool nan = false;
  for (int32_t i = 0; i < n; ++i) {
    out[i] = key_of(x[i]);
    nan |= out[i] == std::numeric_limits<int32_t>::max();
  }
  return nan;
}

bool group_keys(const float* x, int64_t n, int64_t stride, int32_t F, int32_t L, int32_t* out) {
#if defined(__x86_64__)
  if (L == 16 && qs_available()) return keys16_avx512(x, n, stride, F, out);
#endif
  // Keys of a row at once (float_keys), then spread to the lanes.
  constexpr int32_t kBuf = 256;
  alignas(64) int32_t buf[kBuf];
  bool nan = false;
  for (int64_t g0 = 0; g0 < n; g0 += L) {
    int32_t* o = out + g0 * F;
    for (int32_t l = 0; l < L; ++l) {
      const float* row = x + std::min<int64_t>(g0 + l, n - 1) * stride;
      for (int32_t c0 = 0; c0 < F; c0 += kBuf) {
        const int32_t m = std::min(kBuf, F - c0);
        nan |= float_keys(row + c0, m, buf);
        for (int32_t c = 0; c < m; ++c) o[(c0 + c) * L + l] = buf[c];
      }
    }
  }
  return nan;
}

void qs_sum16(const int32_t* leaves, int32_t n_trees, const float* value, float* acc) {
#if defined(__x86_64__)
  if (qs_available()) return qs_sum16_avx512(leaves, n_trees, value, acc);
#endif
  for (int32_t t = 0; t < n_trees; ++t)
    for (int r = 0; r < 16; ++r) acc[r] += value[leaves[t * 16 + r]];
}

// Scalar form of the same algorithm (tests compare it with the vector one where both run).
void qs_leaves16_scalar(const QsForm& q, int32_t n_features, int32_t n_trees, const int32_t* xk, uint64_t* bv,
                        int32_t* leaves) {
  for (int32_t t = 0; t < n_trees * 16; ++t) bv[t] = ~uint64_t{0};
  for (int32_t c = 0; c < n_features; ++c)
    for (int r = 0; r < 16; ++r) {
      const int32_t x = xk[c * 16 + r];
      for (int32_t i = q.begin[c], e = q.begin[c + 1]; i < e && x <= q.thr[i]; ++i) bv[q.tree[i] * 16 + r] &= q.keep[i];
    }
  for (int32_t t = 0; t < n_trees; ++t)
    for (int r = 0; r < 16; ++r) leaves[t * 16 + r] = q.first_leaf[t] + __builtin_ctzll(bv[t * 16 + r]);
}

}  // namespace rtml::trees
