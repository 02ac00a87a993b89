// conv_copy_simd.hpp - the data movement of the shifted convolution path (conv.hpp: pad_input,
// compact_wide) written once on the xsimd arch; conv.cc (portable) and conv_avx512.cc instantiate
// it. Small CNNs copy rows of 7..56 floats here: whole vectors, then the tail (AVX-512: one masked
// load/store; elsewhere scalar).
#pragma once

#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#if defined(__x86_64__)
#include <immintrin.h>  // the masked tail of the AVX-512 instantiation
#endif

#include "ops/kernels/conv.hpp"

namespace rtml::conv::detail {

template <class Arch>
inline void copy_row(float* dst, const float* src, int64_t n) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  int64_t i = 0;
  for (; i + L <= n; i += L) V::load_unaligned(src + i).store_unaligned(dst + i);
  if (i == n) return;
#if defined(__x86_64__)
  if constexpr (L == 16 && std::is_base_of_v<xsimd::avx512f, Arch>) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(dst + i, m, _mm512_maskz_loadu_ps(m, src + i));
    return;
  }
#endif
  for (; i < n; ++i) dst[i] = src[i];
}

template <class Arch>
inline void fill_zero(float* dst, int64_t n) {
  using V = xsimd::batch<float, Arch>;
  constexpr int64_t L = V::size;
  int64_t i = 0;
  for (; i + L <= n; i += L) V(0.0f).store_unaligned(dst + i);
  for (; i < n; ++i) dst[i] = 0.0f;
}

// zero = false: only the image rows are copied (the border is still 0 from an earlier call).
template <class Arch>
void pad_input(const float* x, int64_t C, const Geom& g, float* xp, bool zero = true) {
  const int64_t Dp = padded_dim(g, 0), Hp = padded_dim(g, 1), Wp = padded_dim(g, 2);
  if (zero) fill_zero<Arch>(xp, padded_floats(g, C));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t d = 0; d < g.in[0]; ++d)
      for (int64_t h = 0; h < g.in[1]; ++h)
        copy_row<Arch>(xp + ((c * Dp + d + g.pb[0]) * Hp + h + g.pb[1]) * Wp + g.pb[2],
                       x + ((c * g.in[0] + d) * g.in[1] + h) * g.in[2], g.in[2]);
}

template <class Arch>
void compact_wide(const float* wide, int64_t M, const Geom& g, float* y) {
  const int64_t Hp = padded_dim(g, 1), Wp = padded_dim(g, 2), nw = wide_cols(g);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh, y += g.out[2])
        copy_row<Arch>(y, wide + m * nw + (od * Hp + oh) * Wp, g.out[2]);
}

}  // namespace rtml::conv::detail
