// ops/kernels/linear_simd.hpp - the SIMD bodies of ops/kernels/linear.hpp, written once as
// templates on the xsimd arch. Only linear.cc (baseline SSE2) and linear_avx2.cc (AVX2 + FMA)
// include this file, each instantiating it for its own arch.
#pragma once

#include <xsimd/xsimd.hpp>

#include <cmath>
#include <limits>

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
  int64_t r = 0;
  if (C < 4) {
    // Fewer than four classes (regressors, binary scores): four rows go together instead, so
    // that four independent FMA chains hide the FMA latency and one weight load serves four rows.
    alignas(64) float t4[4][kPad] = {};
    for (; r + 4 <= rows; r += 4) {
      const float* xs[4] = {x + r * F, x + (r + 1) * F, x + (r + 2) * F, x + (r + 3) * F};
      if (full < F)
        for (int i = 0; i < 4; ++i)
          for (int64_t f = 0; f < N; ++f) t4[i][f] = full + f < F ? xs[i][full + f] : 0.f;
      for (int64_t c = 0; c < C; ++c) {
        const float* w0 = wt.w + c * Fp;
        B a0(0.f), a1(0.f), a2(0.f), a3(0.f);
        for (int64_t f = 0; f < full; f += N) {
          const B w = B::load_aligned(w0 + f);
          a0 = xsimd::fma(B::load_unaligned(xs[0] + f), w, a0);
          a1 = xsimd::fma(B::load_unaligned(xs[1] + f), w, a1);
          a2 = xsimd::fma(B::load_unaligned(xs[2] + f), w, a2);
          a3 = xsimd::fma(B::load_unaligned(xs[3] + f), w, a3);
        }
        if (full < F) {
          const B w = B::load_aligned(w0 + full);
          a0 = xsimd::fma(B::load_aligned(t4[0]), w, a0);
          a1 = xsimd::fma(B::load_aligned(t4[1]), w, a1);
          a2 = xsimd::fma(B::load_aligned(t4[2]), w, a2);
          a3 = xsimd::fma(B::load_aligned(t4[3]), w, a3);
        }
        float* yr = y + r * C + c;
        yr[0] = xsimd::hadd(a0) + wt.b[c];
        yr[C] = xsimd::hadd(a1) + wt.b[c];
        yr[2 * C] = xsimd::hadd(a2) + wt.b[c];
        yr[3 * C] = xsimd::hadd(a3) + wt.b[c];
      }
    }
  }
  for (; r < rows; ++r) {
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

// Small C (<= 8 classes, 8-lane float vectors only): a row's scores are one vector, built by
// broadcasting each x[f] against the transposed weights. Four rows go together (each weight
// vector loaded once, four independent FMA chains: throughput-bound instead of latency-bound);
// argmax, softmax / logistic and the row norm then stay in registers. Lanes >= C are masked.
template <class A>
void small_simd(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post, int norm) {
  using B = xsimd::batch<float, A>;
  static_assert(B::size == 8, "the small-C kernel works on 8-lane vectors");
  const int64_t F = wt.F, C = wt.C;
  alignas(32) static const float kLane[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  const auto valid = B::load_aligned(kLane) < B(static_cast<float>(C));
  const B bias = B::load_aligned(wt.bt), one(1.f), zero(0.f);
  const B ninf(-std::numeric_limits<float>::infinity());
  alignas(32) float t[8];
  auto finish = [&](B s, int64_t r) {
    if (best || post == kPostSoftmax) {
      s.store_aligned(t);
      int32_t bi = 0;
      for (int32_t c = 1; c < C; ++c)
        if (t[c] > t[bi]) bi = c;
      if (best) best[r] = bi;
      if (post == kPostSoftmax) {
        B e = xsimd::exp(xsimd::select(valid, s - B(t[bi]), ninf));
        s = e / B(xsimd::hadd(e));
      }
    }
    if (post == kPostLogistic) {
      B e = one / (one + xsimd::exp(-xsimd::abs(s)));
      s = xsimd::select(s < zero, one - e, e);
    }
    if (norm == kNormL1) {
      float sum = xsimd::hadd(xsimd::select(valid, xsimd::abs(s), zero));
      if (sum != 0.f) s = s / B(sum);
    } else if (norm == kNormL2) {
      B sq = s * s;
      float sum = xsimd::hadd(xsimd::select(valid, sq, zero));
      if (sum != 0.f) {
        B q = xsimd::sqrt(sq / B(sum));
        s = xsimd::select(s < zero, -q, q);
      }
    } else if (norm == kNormMax) {
      s.store_aligned(t);
      float m = std::numeric_limits<float>::lowest();
      for (int64_t c = 0; c < C; ++c) m = t[c] > m ? t[c] : m;
      if (m != 0.f) s = s / B(m);
    }
    // A full-vector store runs into the next rows' slots (rewritten when their turn comes);
    // the last rows of this call go through t.
    if ((r + 1) * C + (8 - C) <= rows * C) {
      s.store_unaligned(y + r * C);
    } else {
      s.store_aligned(t);
      for (int64_t c = 0; c < C; ++c) y[r * C + c] = t[c];
    }
  };
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float* x0 = x + r * F;
    const float* x1 = x0 + F;
    const float* x2 = x1 + F;
    const float* x3 = x2 + F;
    B a0 = bias, a1 = bias, a2 = bias, a3 = bias;
    for (int64_t f = 0; f < F; ++f) {
      const B w = B::load_aligned(wt.t + f * 8);
      a0 = xsimd::fma(B(x0[f]), w, a0);
      a1 = xsimd::fma(B(x1[f]), w, a1);
      a2 = xsimd::fma(B(x2[f]), w, a2);
      a3 = xsimd::fma(B(x3[f]), w, a3);
    }
    finish(a0, r);
    finish(a1, r + 1);
    finish(a2, r + 2);
    finish(a3, r + 3);
  }
  for (; r < rows; ++r) {
    // One row (batch 1: latency): four accumulators cut the FMA chain to a quarter.
    const float* xr = x + r * F;
    B a0 = bias, a1 = zero, a2 = zero, a3 = zero;
    int64_t f = 0;
    for (; f + 3 < F; f += 4) {
      a0 = xsimd::fma(B(xr[f]), B::load_aligned(wt.t + f * 8), a0);
      a1 = xsimd::fma(B(xr[f + 1]), B::load_aligned(wt.t + (f + 1) * 8), a1);
      a2 = xsimd::fma(B(xr[f + 2]), B::load_aligned(wt.t + (f + 2) * 8), a2);
      a3 = xsimd::fma(B(xr[f + 3]), B::load_aligned(wt.t + (f + 3) * 8), a3);
    }
    for (; f < F; ++f) a0 = xsimd::fma(B(xr[f]), B::load_aligned(wt.t + f * 8), a0);
    finish((a0 + a1) + (a2 + a3), r);
  }
}

}  // namespace rtml::linear
