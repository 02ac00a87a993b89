// norm_simd.hpp - the normalisation loops written once on an xsimd architecture.
#pragma once

#include <xsimd/xsimd.hpp>

#include "ops/kernels/norm.hpp"

namespace rtml::kernels {

template <class Arch>
void moments_f32_simd(const float* x, int64_t n, float* mean, float* var) {
  using B = xsimd::batch<float, Arch>;
  constexpr int64_t W = B::size;
  // Two accumulators per pass hide the add latency.
  B s0(0.0f), s1(0.0f);
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) s0 += B::load_unaligned(x + i), s1 += B::load_unaligned(x + i + W);
  for (; i + W <= n; i += W) s0 += B::load_unaligned(x + i);
  float s = xsimd::hadd(s0 + s1);
  for (; i < n; ++i) s += x[i];
  const float m = s / static_cast<float>(n);
  const B mb(m);
  B q0(0.0f), q1(0.0f);
  i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    B d0 = B::load_unaligned(x + i) - mb, d1 = B::load_unaligned(x + i + W) - mb;
    q0 = xsimd::fma(d0, d0, q0), q1 = xsimd::fma(d1, d1, q1);
  }
  for (; i + W <= n; i += W) {
    B d0 = B::load_unaligned(x + i) - mb;
    q0 = xsimd::fma(d0, d0, q0);
  }
  float q = xsimd::hadd(q0 + q1);
  for (; i < n; ++i) q += (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = q / static_cast<float>(n);
}

template <class Arch>
void scale_shift_f32_simd(const float* x, float* y, int64_t n, float a, float b) {
  using B = xsimd::batch<float, Arch>;
  constexpr int64_t W = B::size;
  const B ab(a), bb(b);
  int64_t i = 0;
  for (; i + W <= n; i += W) xsimd::fma(B::load_unaligned(x + i), ab, bb).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = x[i] * a + b;
}

template <class Arch>
void normalize_f32_simd(const float* x, float* y, int64_t n, float mean, float inv, const float* scale,
                        const float* bias) {
  using B = xsimd::batch<float, Arch>;
  constexpr int64_t W = B::size;
  const B mb(mean), ib(inv);
  int64_t i = 0;
  if (bias) {
    for (; i + W <= n; i += W) {
      B v = (B::load_unaligned(x + i) - mb) * ib;
      xsimd::fma(v, B::load_unaligned(scale + i), B::load_unaligned(bias + i)).store_unaligned(y + i);
    }
    for (; i < n; ++i) y[i] = (x[i] - mean) * inv * scale[i] + bias[i];
  } else {
    for (; i + W <= n; i += W) ((B::load_unaligned(x + i) - mb) * ib * B::load_unaligned(scale + i)).store_unaligned(y + i);
    for (; i < n; ++i) y[i] = (x[i] - mean) * inv * scale[i];
  }
}

template <class Arch>
NormKernels norm_kernels_for(const char* name) {
  return {name, moments_f32_simd<Arch>, scale_shift_f32_simd<Arch>, normalize_f32_simd<Arch>};
}

}  // namespace rtml::kernels
