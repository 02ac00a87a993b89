// conv_shifted_impl.hpp - the shifted convolution (conv.hpp) as an implicit GEMM, written once on the
// xsimd arch; conv.cc (portable), conv_avx2.cc and conv_avx512.cc instantiate it. The operand row
// (c, kd, kh, kw) is read straight from the padded input at its window offset (no shifted_cols
// copy), all K terms are summed in registers (no K blocking: K = C*k is at most a few thousand and
// the padded image of a small CNN sits in L1), and the weights come in kShiftRows-row panels
// (conv.hpp) so that 8, 16 and 32 output channels fill whole tiles. The stores reuse the GEMM's
// epilogue (bias per row, activation).
#pragma once

#include <algorithm>
#include <cstdint>

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

  // Columns [n0, n0 + nr) (nr <= NVT*L) of rows [m0, m0 + mr) of wide (row stride nw).
  template <int NVT>
  static void tile(const float* xp, int64_t C, const Geom& g, const float* wp, int64_t n0, int nr, int64_t m0, int mr,
                   const gemm::Epilogue& ep, float* wide, int64_t nw) {
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
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      if (r >= mr) break;
      float* row = wide + (m0 + r) * nw + n0;
#pragma GCC unroll 4
      for (int v = 0; v < NVT; ++v) {
        const int cols = std::min(L, nr - v * L);
        if (cols == L) G::store(acc[r][v], row + v * L, m0 + r, 0, 1.0f, false, &ep);
        else if (cols > 0) G::store_partial(acc[r][v], cols, row + v * L, m0 + r, 0, 1.0f, false, &ep);
      }
    }
  }

  static void run(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M, const gemm::Epilogue& ep,
                  float* wide) {
    const int64_t nw = wide_cols(g), K = C * g.k_size();
    constexpr int TW = NV * L;
    for (int64_t m0 = 0; m0 < M; m0 += R) {
      const float* wp = wpacked + (m0 / R) * K * R;
      const int mr = static_cast<int>(std::min<int64_t>(R, M - m0));
      int64_t n = 0;
      for (; n + TW <= nw; n += TW) tile<NV>(xp, C, g, wp, n, TW, m0, mr, ep, wide, nw);
      const int rem = static_cast<int>(nw - n);
      if (rem <= 0) continue;
      if constexpr (NV >= 3)
        if (rem > 2 * L) {
          tile<3>(xp, C, g, wp, n, rem, m0, mr, ep, wide, nw);
          continue;
        }
      if constexpr (NV >= 2)
        if (rem > L) {
          tile<2>(xp, C, g, wp, n, rem, m0, mr, ep, wide, nw);
          continue;
        }
      tile<1>(xp, C, g, wp, n, rem, m0, mr, ep, wide, nw);
    }
  }
};

}  // namespace rtml::conv::detail
