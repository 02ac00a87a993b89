// ops/kernels/linear_simd.hpp - the SIMD bodies of ops/kernels/linear.hpp, written once as
// templates on the xsimd arch. Only linear.cc (baseline SSE2) and linear_avx2.cc (AVX2 + FMA)
// include this file, each instantiating it for its own arch.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>

#include "ops/kernels/linear.hpp"

namespace rtml::linear {

// One row against up to 4 classes at a time: each x block is loaded once and multiplied into four
// accumulators (ILP: four independent FMA chains hide the FMA latency).
template <class A>
void gemv_simd(const Weights& wt, const float* x, int64_t rows, float* y) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t N = B::size;
  const int64_t F = wt.F, C = wt.C, Fp = wt.Fp;
  const int64_t full = F - F % N;  // columns read straight from x
  alignas(64) float tail[kPad] = {};
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * F;
    float* yr = y + r * C;
    // The last partial block of x, zero-padded (w is zero past F, so padding adds nothing).
    const bool has_tail = full < F;
    if (has_tail)
      for (int64_t f = 0; f < N; ++f) tail[f] = full + f < F ? xr[full + f] : 0.f;
    int64_t c = 0;
    for (; c + 4 <= C; c += 4) {
      const float* w0 = wt.w + c * Fp;
      const float* w1 = w0 + Fp;
      const float* w2 = w1 + Fp;
      const float* w3 = w2 + Fp;
      B a0(0.f), a1(0.f), a2(0.f), a3(0.f);
      for (int64_t f = 0; f < full; f += N) {
        B xv = B::load_unaligned(xr + f);
        a0 = xsimd::fma(xv, B::load_aligned(w0 + f), a0);
        a1 = xsimd::fma(xv, B::load_aligned(w1 + f), a1);
        a2 = xsimd::fma(xv, B::load_aligned(w2 + f), a2);
        a3 = xsimd::fma(xv, B::load_aligned(w3 + f), a3);
      }
      if (has_tail) {
        B xv = B::load_aligned(tail);
        a0 = xsimd::fma(xv, B::load_aligned(w0 + full), a0);
        a1 = xsimd::fma(xv, B::load_aligned(w1 + full), a1);
        a2 = xsimd::fma(xv, B::load_aligned(w2 + full), a2);
        a3 = xsimd::fma(xv, B::load_aligned(w3 + full), a3);
      }
      yr[c] = xsimd::hadd(a0) + wt.b[c];
      yr[c + 1] = xsimd::hadd(a1) + wt.b[c + 1];
      yr[c + 2] = xsimd::hadd(a2) + wt.b[c + 2];
      yr[c + 3] = xsimd::hadd(a3) + wt.b[c + 3];
    }
    for (; c < C; ++c) {
      const float* w0 = wt.w + c * Fp;
      B a0(0.f), a1(0.f);
      int64_t f = 0;
      for (; f + 2 * N <= full; f += 2 * N) {
        a0 = xsimd::fma(B::load_unaligned(xr + f), B::load_aligned(w0 + f), a0);
        a1 = xsimd::fma(B::load_unaligned(xr + f + N), B::load_aligned(w0 + f + N), a1);
      }
      for (; f < full; f += N) a0 = xsimd::fma(B::load_unaligned(xr + f), B::load_aligned(w0 + f), a0);
      if (has_tail) a1 = xsimd::fma(B::load_aligned(tail), B::load_aligned(w0 + full), a1);
      yr[c] = xsimd::hadd(a0 + a1) + wt.b[c];
    }
  }
}

template <class A>
void exp_simd(const float* x, float* y, int64_t n) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t N = B::size;
  int64_t i = 0;
  for (; i + N <= n; i += N) xsimd::exp(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = std::exp(x[i]);
}

template <class A>
void logistic_simd(const float* x, float* y, int64_t n) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t N = B::size;
  const B one(1.f);
  int64_t i = 0;
  for (; i + N <= n; i += N) {
    B v = B::load_unaligned(x + i);
    B e = one / (one + xsimd::exp(-xsimd::abs(v)));
    xsimd::select(v < B(0.f), one - e, e).store_unaligned(y + i);
  }
  for (; i < n; ++i) {
    float v = 1.f / (1.f + std::exp(-std::fabs(x[i])));
    y[i] = x[i] < 0 ? 1.f - v : v;
  }
}

}  // namespace rtml::linear
