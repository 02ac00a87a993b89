// conv_shifted_impl.hpp - the shifted convolution (conv.hpp) as an implicit GEMM, written once on the
// xsimd arch; conv.cc (portable), conv_avx2.cc and conv_avx512.cc instantiate it. The operand row
// (c, kd, kh, kw) is read straight from the padded input at its window offset (no shifted_cols
// copy), all K terms are summed in registers (no K blocking: K = C*k is at most a few thousand and
// the padded image of a small CNN sits in L1), and the weights come in kShiftRows-row panels
// (conv.hpp) so that 8, 16 and 32 output channels fill whole tiles. The result is stored straight
// into y (no wide buffer and compact_wide): each vector's output lanes as runs of masked stores.
#pragma once

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "ops/kernels/conv.hpp"
#include "ops/kernels/gemm_impl.hpp"

namespace rtml::conv::detail {

template <class Arch>
struct Shifted {
  using G = gemm::detail::Kernel<Arch>;
  using V = typename G::V;
  static constexpr int L = G::L;
  static constexpr int R = kShiftRows;
  // Vectors per tile row. AVX-512: 8 x 3 = 24 accumulators + 3 input vectors of the 32 zmm, 24
  // FMAs per 3 loads + 8 broadcasts. 16-register ISAs: 8 x 1 (8 accumulators).
  static constexpr int NV = L >= 16 ? 3 : 1;

  // Wide columns [n0, n0 + nr) (nr <= NVT*L) of rows [m0, m0 + mr), stored to y [M][out].
  template <int NVT>
  static void tile(const float* xp, int64_t C, const Geom& g, const float* wp, int64_t n0, int nr, int64_t m0, int mr,
                   const gemm::Epilogue& ep, float* y) {
    V acc[R][NVT];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NVT; ++v) acc[r][v] = V(0.0f);
    const int64_t Dp = padded_dim(g, 0), Hp = padded_dim(g, 1), Wp = padded_dim(g, 2);
    const float* w = wp;
    for (int64_t c = 0; c < C; ++c)
      for (int64_t kd = 0; kd < g.k[0]; ++kd)
        for (int64_t kh = 0; kh < g.k[1]; ++kh) {
          const float* xr = xp + ((c * Dp + kd * g.d[0]) * Hp + kh * g.d[1]) * Wp + n0;
          for (int64_t kw = 0; kw < g.k[2]; ++kw, w += R) {
            // Full vectors past nw stay inside padded_floats' slack; those lanes are not stored.
            const float* xk = xr + kw * g.d[2];
            V bv[NVT];
#pragma GCC unroll 4
            for (int v = 0; v < NVT; ++v) bv[v] = V::load_unaligned(xk + v * L);
#pragma GCC unroll 8
            for (int r = 0; r < R; ++r) {
              const V av(w[r]);
#pragma GCC unroll 4
              for (int v = 0; v < NVT; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
            }
          }
        }
    // The lanes of each vector that are outputs (wide column (od, oh, ow) with oh < OH, ow < OW):
    // runs of consecutive lanes, each stored to its place in y (the same for every row).
    Run runs[NVT][kMaxRuns];
    int nruns[NVT];
    for (int v = 0; v < NVT; ++v) nruns[v] = output_runs(g, n0 + v * L, std::min(L, nr - v * L), runs[v]);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      if (r >= mr) break;
      float* yr = y + (m0 + r) * g.out_size();
      const V bias = ep.bias ? V(ep.bias[m0 + r]) : V(0.0f);
#pragma GCC unroll 4
      for (int v = 0; v < NVT; ++v) {
        const V o = G::act(ep, acc[r][v] + bias);
        for (int i = 0; i < nruns[v]; ++i) store_run(o, runs[v][i], yr);
      }
    }
  }

  // Lanes [lane, lane + n) of a vector go to y[dst ..].
  struct Run {
    int lane, n;
    int64_t dst;
  };
  // A vector of L wide columns meets at most L / Wp + 2 grid rows; Wp >= 1.
  static constexpr int kMaxRuns = L + 1;

  static int output_runs(const Geom& g, int64_t n, int cols, Run* out) {
    const int64_t Hp = padded_dim(g, 1), Wp = padded_dim(g, 2), OH = g.out[1], OW = g.out[2];
    int64_t q = n / Wp, ow = n - q * Wp, od = q / Hp, oh = q - od * Hp;  // the only divisions
    int k = 0;
    for (int j = 0; j < cols;) {
      const int seg = static_cast<int>(std::min<int64_t>(cols - j, Wp - ow));
      if (oh < OH && ow < OW) out[k++] = {j, static_cast<int>(std::min<int64_t>(seg, OW - ow)), (od * OH + oh) * OW + ow};
      j += seg, ow = 0;
      if (++oh == Hp) oh = 0, ++od;
    }
    return k;
  }

  static void store_run(V v, const Run& run, float* y) {
#if defined(__x86_64__)
    if constexpr (L == 16 && std::is_base_of_v<xsimd::avx512f, Arch>) {
      // Move the run's lanes down to lane 0 (a register compress: the memory form is slow on Zen).
      __m512 x = v;
      if (run.lane) x = _mm512_maskz_compress_ps(static_cast<__mmask16>(0xffffu << run.lane), x);
      _mm512_mask_storeu_ps(y + run.dst, static_cast<__mmask16>((1u << run.n) - 1), x);
      return;
    }
#endif
    if (run.lane == 0 && run.n == L) return v.store_unaligned(y + run.dst);
    alignas(64) float t[L];
    v.store_aligned(t);
    for (int j = 0; j < run.n; ++j) y[run.dst + j] = t[run.lane + j];
  }

  static void run(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M, const gemm::Epilogue& ep,
                  float* y) {
    const int64_t nw = wide_cols(g), K = C * g.k_size();
    constexpr int TW = NV * L;
    for (int64_t m0 = 0; m0 < M; m0 += R) {
      const float* wp = wpacked + (m0 / R) * K * R;
      const int mr = static_cast<int>(std::min<int64_t>(R, M - m0));
      int64_t n = 0;
      for (; n + TW <= nw; n += TW) tile<NV>(xp, C, g, wp, n, TW, m0, mr, ep, y);
      const int rem = static_cast<int>(nw - n);
      if (rem <= 0) continue;
      if constexpr (NV >= 3)
        if (rem > 2 * L) {
          tile<3>(xp, C, g, wp, n, rem, m0, mr, ep, y);
          continue;
        }
      if constexpr (NV >= 2)
        if (rem > L) {
          tile<2>(xp, C, g, wp, n, rem, m0, mr, ep, y);
          continue;
        }
      tile<1>(xp, C, g, wp, n, rem, m0, mr, ep, y);
    }
  }
};

}  // namespace rtml::conv::detail
