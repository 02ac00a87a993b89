// gemm_impl.hpp - the fp32 GEMM written once on the xsimd arch; gemm.cc (portable),
// gemm_avx2.cc (AVX2+FMA) and gemm_avx512.cc (AVX-512) instantiate it. Include only from those.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>  // the AVX-512 masked edge loads/stores (used only in the AVX-512 instantiation)
#endif

#include <xsimd/xsimd.hpp>

#include "ops/kernels/gemm.hpp"

namespace rtml::gemm::detail {

// Cache blocking. KC: a B micro-panel (KC x NR floats = 16 KB) stays in L1 while the micro-kernel
// walks the A block; MC: the packed A block (MC x KC = 120 KB) stays in L2; NC: the packed B block
// (KC x NC = 2 MB) is streamed from L3. MC is a multiple of MR, NC of NR.
constexpr int64_t KC = 256;
constexpr int64_t MC = 120;
constexpr int64_t NC = 2048;

// Scalar epilogue on one value at (row, col); the vector epilogue below must agree with it.
inline float act_scalar(const Epilogue& ep, float v) {
  switch (ep.act) {
    case Act::None: return v;
    case Act::Relu: return v > 0.0f ? v : 0.0f;
    case Act::LeakyRelu: return v < 0.0f ? v * ep.p0 : v;
    case Act::Clip: return std::min(std::max(v, ep.p0), ep.p1);
    case Act::Sigmoid: return 1.0f / (1.0f + std::exp(-v));
    case Act::Tanh: return std::tanh(v);
  }
  return v;
}

template <class Arch>
struct Kernel {
  using V = xsimd::batch<float, Arch>;
  static constexpr int L = static_cast<int>(V::size);
  // A micro-tile is MR rows x TW columns; the micro-kernel computes it as chunks of CV vectors
  // per row: SSE2 2 x 4 lanes (two 8-column chunks of one 16-column panel, 12 accumulators of the
  // 16 xmm); AVX2 2 x 8 (one panel, 12 of 16 ymm); AVX-512 4 x 16 (four panels side by side,
  // 24 accumulators + 4 B vectors + 1 broadcast of the 32 zmm: 24 FMAs per 10 loads keeps both
  // FMA pipes busy where one 16-column panel would be load-bound).
  static constexpr int CV = L >= 16 ? 4 : 2;
  static constexpr int CW = CV * L;
  static constexpr int TW = CW > NR ? CW : NR;
  static constexpr int NCH = TW / CW;
  static_assert(TW % NR == 0 && TW % CW == 0 && NR % L == 0, "tile, chunk and panel widths must nest");

  static V act(const Epilogue& ep, V v) {
    switch (ep.act) {
      case Act::None: return v;
      case Act::Relu: return xsimd::max(v, V(0.0f));
      case Act::LeakyRelu: return xsimd::select(v < V(0.0f), v * V(ep.p0), v);
      case Act::Clip: return xsimd::min(xsimd::max(v, V(ep.p0)), V(ep.p1));
      case Act::Sigmoid: return V(1.0f) / (V(1.0f) + xsimd::exp(-v));
      case Act::Tanh: return xsimd::tanh(v);
    }
    return v;
  }

  // Stores one vector of C at (row, col): alpha*acc (+ C) then, on the last K block, the epilogue.
  static void store(V acc, float* c, int64_t row, int64_t col, float alpha, bool load_c, const Epilogue* ep) {
    V v = acc * V(alpha);
    if (load_c) v += V::load_unaligned(c);
    if (ep) {
      if (ep->bias) v += ep->bias_per_row ? V(ep->bias[row]) : V::load_unaligned(ep->bias + col);
      v = act(*ep, v);
    }
    v.store_unaligned(c);
  }

  // Where a tile's B values are: column j (< TW) of the tile at step k is at
  //   b[(j / NR) * bps + j % NR + k * bks]
  // (packed panels: bks = NR, bps = the panel stride; a row-major B: bks = ldb, bps = NR).
  struct BTile {
    const float* b;
    int64_t bks, bps;
  };

  // One chunk: columns [c0, c0 + NV*L) of the C tile (mr x nr at c, nr counted from the tile's
  // column 0) = alpha * A x B (+ C) over kc steps. A(r, k) at a[r*ars + k*aks] (a packed panel:
  // ars = 1, aks = MR; rows of a row-major A: ars = lda, aks = 1). ep: non-null on the last K
  // block. row0/col0: the tile's position in C (for the bias). R: rows computed (MR, or fewer for
  // a thin last panel: 2 rows of a 6-row tile would waste 2/3); NV: vectors computed per row
  // (fewer than CV at the right edge of C).
  template <int R, int NV>
  static void chunk(int64_t kc, const float* a, int64_t ars, int64_t aks, BTile bt, int c0, float* c, int64_t ldc,
                    int mr, int nr, float alpha, bool load_c, const Epilogue* ep, int64_t row0, int64_t col0) {
    V acc[R][NV];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = V(0.0f);
    int64_t off[NV];
    for (int v = 0; v < NV; ++v) off[v] = ((c0 + v * L) / NR) * bt.bps + (c0 + v * L) % NR;
    const float* bp = bt.b;
    const float* ap = a;
    for (int64_t k = 0; k < kc; ++k) {
      V bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = V::load_unaligned(bp + off[v]);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        V av(ap[r * ars]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
      }
      bp += bt.bks;
      ap += aks;
    }
    const int64_t col = col0 + c0;
    float* cc = c + c0;
    if (mr == R && nr >= c0 + NV * L) {
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) store(acc[r][v], cc + r * ldc + v * L, row0 + r, col + v * L, alpha, load_c, ep);
    } else {
      // The bottom/right edge: rows < mr, columns < nr; a partial vector goes through a buffer
      // (the epilogue stays vectorised: N = 10 outputs make every tile an edge tile). The
      // accumulators go through t with constant indices so that they stay in registers above.
      alignas(64) float t[R][NV * L];
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[r][v].store_aligned(&t[r][v * L]);
      for (int r = 0; r < mr; ++r)
        for (int v = 0; v < NV; ++v) {
          const int w = std::min(L, nr - c0 - v * L);
          if (w <= 0) break;
          const V a = V::load_aligned(&t[r][v * L]);
          if (w == L) store(a, cc + r * ldc + v * L, row0 + r, col + v * L, alpha, load_c, ep);
          else store_partial(a, w, cc + r * ldc + v * L, row0 + r, col + v * L, alpha, load_c, ep);
        }
    }
  }

  // The first w (< L) floats at p, the other lanes 0 / only the first w lanes stored: AVX-512
  // masks, a buffer elsewhere (a copy through memory there, and rarer: AVX2 edges are narrower).
  static V load_first(const float* p, int w) {
#if defined(__x86_64__)
    if constexpr (L == 16 && std::is_base_of_v<xsimd::avx512f, Arch>)
      return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << w) - 1), p);
#endif
    alignas(64) float t[L] = {};
    for (int j = 0; j < w; ++j) t[j] = p[j];
    return V::load_aligned(t);
  }
  static void store_first(V v, float* p, int w) {
#if defined(__x86_64__)
    if constexpr (L == 16 && std::is_base_of_v<xsimd::avx512f, Arch>)
      return _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << w) - 1), v);
#endif
    alignas(64) float t[L];
    v.store_aligned(t);
    for (int j = 0; j < w; ++j) p[j] = t[j];
  }

  // store() for the first w (< L) values of a vector.
  static void store_partial(V acc, int w, float* c, int64_t row, int64_t col, float alpha, bool load_c,
                            const Epilogue* ep) {
    V v = acc * V(alpha);
    if (load_c) v += load_first(c, w);
    if (ep) {
      if (ep->bias) v += ep->bias_per_row ? V(ep->bias[row]) : load_first(ep->bias + col, w);
      v = act(*ep, v);
    }
    store_first(v, c, w);
  }

  template <int R, int NV>
  static void chunks_nv(int64_t kc, const float* a, int64_t ars, int64_t aks, BTile bt, float* c, int64_t ldc, int mr,
                        int nr, float alpha, bool load_c, const Epilogue* ep, int64_t row0, int64_t col0) {
    if constexpr (NV > 1) {
      if ((nr + L - 1) / L < NV)  // the right edge: fewer vectors
        return chunks_nv<R, NV - 1>(kc, a, ars, aks, bt, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
    }
    chunk<R, NV>(kc, a, ars, aks, bt, 0, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
  }

  // The C tile (mr x nr, nr <= TW) at c: every chunk of it.
  template <int R>
  static void micro(int64_t kc, const float* a, int64_t ars, int64_t aks, BTile bt, float* c, int64_t ldc, int mr,
                    int nr, float alpha, bool load_c, const Epilogue* ep, int64_t row0, int64_t col0) {
    if constexpr (NCH == 1) {
      chunks_nv<R, CV>(kc, a, ars, aks, bt, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
    } else {
      for (int ch = 0; ch < NCH && ch * CW < nr; ++ch)
        chunk<R, CV>(kc, a, ars, aks, bt, ch * CW, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
    }
  }

  // One row of A times packed B (M == 1): each panel is a K x NR strip read once.
  static void gemv_packed(const Args& g, int64_t n0, int64_t n1) {
    const float* a = g.a.p;
    const int64_t K = g.K;
    constexpr int NV = NR / L;             // vectors per panel row
    constexpr int U = NV >= 8 ? 1 : 8 / NV;  // k unroll: 8 independent accumulators
    for (int64_t j = n0; j < n1; j += NR) {
      const float* bp = g.b.packed + (j / NR) * K * NR;
      V acc[U][NV];
      for (int u = 0; u < U; ++u)
        for (int v = 0; v < NV; ++v) acc[u][v] = V(0.0f);
      int64_t k = 0;
      for (; k + U <= K; k += U) {
#pragma GCC unroll 8
        for (int u = 0; u < U; ++u) {
          V av(a[(k + u) * g.a.cs]);
#pragma GCC unroll 4
          for (int v = 0; v < NV; ++v) acc[u][v] = xsimd::fma(av, V::load_unaligned(bp + (k + u) * NR + v * L), acc[u][v]);
        }
      }
      for (; k < K; ++k) {
        V av(a[k * g.a.cs]);
        for (int v = 0; v < NV; ++v) acc[0][v] = xsimd::fma(av, V::load_unaligned(bp + k * NR + v * L), acc[0][v]);
      }
      for (int u = 1; u < U; ++u)
        for (int v = 0; v < NV; ++v) acc[0][v] += acc[u][v];
      const int nr = static_cast<int>(std::min<int64_t>(NR, g.N - j));
      store_row(acc[0], g, j, nr);
    }
  }

  // One row of A times row-major B (element (k,n) at b[k*rs + n]).
  static void gemv_rows(const Args& g, int64_t n0, int64_t n1) {
    const float* a = g.a.p;
    constexpr int NV = 4;
    int64_t j = n0;
    for (; j + NV * L <= n1; j += NV * L) {
      V acc[NV];
      for (int v = 0; v < NV; ++v) acc[v] = V(0.0f);
      const float* bp = g.b.p + j;
      for (int64_t k = 0; k < g.K; ++k) {
        V av(a[k * g.a.cs]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) acc[v] = xsimd::fma(av, V::load_unaligned(bp + k * g.b.rs + v * L), acc[v]);
      }
      store_row(acc, g, j, NV * L);
    }
    for (; j < n1; ++j) {
      float s = 0;
      for (int64_t k = 0; k < g.K; ++k) s += a[k * g.a.cs] * g.b.p[k * g.b.rs + j];
      float v = s * g.alpha;
      if (g.accumulate) v += g.c[j];
      if (g.ep.bias) v += g.ep.bias_per_row ? g.ep.bias[0] : g.ep.bias[j];
      g.c[j] = act_scalar(g.ep, v);
    }
  }

  // Stores `nr` columns (whole vectors first) of row 0 of C from j.
  static void store_row(const V* acc, const Args& g, int64_t j, int nr) {
    int v = 0;
    for (; (v + 1) * L <= nr; ++v) store(acc[v], g.c + j + v * L, 0, j + v * L, g.alpha, g.accumulate, &g.ep);
    if (v * L < nr) {
      alignas(64) float t[NR > 4 * L ? NR : 4 * L];
      for (int u = v; u * L < nr; ++u) acc[u].store_aligned(t + u * L);
      for (int x = v * L; x < nr; ++x) {
        float s = t[x] * g.alpha;
        if (g.accumulate) s += g.c[j + x];
        if (g.ep.bias) s += g.ep.bias_per_row ? g.ep.bias[0] : g.ep.bias[j + x];
        g.c[j + x] = act_scalar(g.ep, s);
      }
    }
  }

  static void pack_b_block(const Operand& b, int64_t pc, int64_t kc, int64_t jc, int64_t nc, float* out) {
    for (int64_t j = 0; j < nc; j += NR) {
      const int64_t w = std::min<int64_t>(NR, nc - j);
      float* o = out + (j / NR) * kc * NR;
      for (int64_t k = 0; k < kc; ++k, o += NR) {
        const float* src = b.p + (pc + k) * b.rs + (jc + j) * b.cs;
        if (b.cs == 1 && w == NR) {
          std::memcpy(o, src, NR * sizeof(float));
        } else {
          int64_t c = 0;
          for (; c < w; ++c) o[c] = src[c * b.cs];
          for (; c < NR; ++c) o[c] = 0.0f;
        }
      }
    }
  }

  static void pack_a_block(const Operand& a, int64_t ic, int64_t mc, int64_t pc, int64_t kc, float* out) {
    for (int64_t i = 0; i < mc; i += MR) {
      const int64_t h = std::min<int64_t>(MR, mc - i);
      float* o = out + (i / MR) * kc * MR;
      for (int64_t r = 0; r < MR; ++r) {
        if (r < h) {
          const float* src = a.p + (ic + i + r) * a.rs + pc * a.cs;
          if (a.cs == 1)
            for (int64_t k = 0; k < kc; ++k) o[k * MR + r] = src[k];
          else
            for (int64_t k = 0; k < kc; ++k) o[k * MR + r] = src[k * a.cs];
        } else {
          for (int64_t k = 0; k < kc; ++k) o[k * MR + r] = 0.0f;
        }
      }
    }
  }

  // Rows [m0,m1) x columns [n0,n1) of C; m0 % MR == 0 when A is packed, n0 % NR == 0 when B is.
  // ws: scratch_floats for one thread.
  static void range(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws) {
    if (m1 <= m0 || n1 <= n0) return;
    if (g.K == 0) {
      for (int64_t i = m0; i < m1; ++i)
        for (int64_t j = n0; j < n1; ++j) {
          float v = g.accumulate ? g.c[i * g.ldc + j] : 0.0f;
          if (g.ep.bias) v += g.ep.bias_per_row ? g.ep.bias[i] : g.ep.bias[j];
          g.c[i * g.ldc + j] = act_scalar(g.ep, v);
        }
      return;
    }
    if (g.M == 1 && !g.a.packed) {
      if (g.b.packed) return gemv_packed(g, n0, n1);
      if (g.b.cs == 1) return gemv_rows(g, n0, n1);
    }
    // Operands read in place, without packing: a row-major A (its 6 rows are streamed from L1/L2),
    // and a row-major B small enough to stay in L2 or multiplied by few rows (packing would cost
    // as much as the product). Partial panels at the edges are still packed (they would read
    // past the matrix).
    const bool direct_a = !g.a.packed && g.a.cs == 1 && (g.M * g.K <= 64 * 1024 || g.N <= 4 * NR);
    const bool direct_b = !g.b.packed && g.b.cs == 1 && (g.K * g.N <= 64 * 1024 || g.M <= MC);
    float* wa = ws;
    float* wb = ws + (g.a.packed ? 0 : MC * KC);
    for (int64_t jc = n0; jc < n1; jc += NC) {
      const int64_t nc = std::min(NC, n1 - jc);
      for (int64_t pc = 0; pc < g.K; pc += KC) {
        const int64_t kc = std::min(KC, g.K - pc);
        const bool load_c = g.accumulate || pc > 0;
        const Epilogue* ep = pc + kc == g.K ? &g.ep : nullptr;
        const float* bb = nullptr;
        int64_t b_stride = 0;  // floats between B panels
        if (g.b.packed) {
          bb = g.b.packed + (jc / NR) * g.K * NR + pc * NR;
          b_stride = g.K * NR;
        } else if (!direct_b) {
          pack_b_block(g.b, pc, kc, jc, nc, wb);
          bb = wb;
          b_stride = kc * NR;
        } else if (nc % NR != 0) {  // the edge panel only
          const int64_t j = nc / NR * NR;
          pack_b_block(g.b, pc, kc, jc + j, nc - j, wb);
        }
        for (int64_t ic = m0; ic < m1; ic += MC) {
          const int64_t mc = std::min(MC, m1 - ic);
          const float* aa = nullptr;
          int64_t a_stride = 0;
          if (g.a.packed) {
            aa = g.a.packed + (ic / MR) * g.K * MR + pc * MR;
            a_stride = g.K * MR;
          } else if (!direct_a) {
            pack_a_block(g.a, ic, mc, pc, kc, wa);
            aa = wa;
            a_stride = kc * MR;
          } else if (mc % MR != 0) {  // the edge panel only
            const int64_t i = mc / MR * MR;
            pack_a_block(g.a, ic + i, mc - i, pc, kc, wa);
          }
          for (int64_t jr = 0; jr < nc; jr += TW) {
            const int nt = static_cast<int>(std::min<int64_t>(TW, nc - jr));
            // A row-major B is read in place except for its partial last panel, packed in wb: a
            // tile holding both is computed as two tiles.
            int nr = nt;
            BTile bt;
            if (bb) {
              bt = {bb + (jr / NR) * b_stride, NR, b_stride};
            } else if (nt >= NR) {
              nr = nt / NR * NR;
              bt = {g.b.p + pc * g.b.rs + jc + jr, g.b.rs, NR};
            } else {
              bt = {wb, NR, kc * NR};
            }
            for (int64_t ir = 0; ir < mc; ir += MR) {
              const int mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
              float* ct = g.c + (ic + ir) * g.ldc + jc + jr;
              const float* ap;
              int64_t ars = 1, aks = MR;
              if (aa) ap = aa + (ir / MR) * a_stride;
              else if (mr == MR) ap = g.a.p + (ic + ir) * g.a.rs + pc, ars = g.a.rs, aks = 1;
              else ap = wa;
              tile(kc, ap, ars, aks, bt, ct, g.ldc, mr, nr, g.alpha, load_c, ep, ic + ir, jc + jr);
              if (nr < nt)
                tile(kc, ap, ars, aks, {wb, NR, kc * NR}, ct + nr, g.ldc, mr, nt - nr, g.alpha, load_c, ep, ic + ir,
                     jc + jr + nr);
            }
          }
        }
      }
    }
  }

  static void tile(int64_t kc, const float* a, int64_t ars, int64_t aks, BTile bt, float* c, int64_t ldc, int mr, int nr,
                   float alpha, bool load_c, const Epilogue* ep, int64_t row0, int64_t col0) {
    if (mr <= 2) micro<2>(kc, a, ars, aks, bt, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
    else if (mr <= 4) micro<4>(kc, a, ars, aks, bt, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
    else micro<MR>(kc, a, ars, aks, bt, c, ldc, mr, nr, alpha, load_c, ep, row0, col0);
  }

  // The epilogue alone over rows [m0,m1) of C.
  static void epilogue_rows(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N) {
    for (int64_t i = m0; i < m1; ++i) {
      float* row = c + i * ldc;
      int64_t j = 0;
      for (; j + L <= N; j += L) {
        V v = V::load_unaligned(row + j);
        if (ep.bias) v += ep.bias_per_row ? V(ep.bias[i]) : V::load_unaligned(ep.bias + j);
        act(ep, v).store_unaligned(row + j);
      }
      for (; j < N; ++j) {
        float v = row[j];
        if (ep.bias) v += ep.bias_per_row ? ep.bias[i] : ep.bias[j];
        row[j] = act_scalar(ep, v);
      }
    }
  }
};

// Per-thread scratch floats of `range` for this problem.
inline int64_t range_scratch(const Args& g) {
  int64_t n = 0;
  if (!g.a.packed) n += MC * KC;
  if (!g.b.packed) n += KC * std::min<int64_t>(NC, ((g.N + NR - 1) / NR) * NR);
  return n;
}

}  // namespace rtml::gemm::detail
