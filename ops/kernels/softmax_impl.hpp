// ops/kernels/softmax_impl.hpp - the loops of ops/kernels/softmax.hpp, written once as templates
// on the xsimd arch. Included only by softmax.cc (portable) and softmax_avx2.cc.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <xsimd/xsimd.hpp>

#include "ops/kernels/softmax.hpp"

// Anonymous: each ISA's translation unit keeps its own copy (no cross-ISA symbol merging).
namespace rtml::softmax_simd {
namespace {

// e^x in float: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for exactness), e^r by a
// degree-7 polynomial (the classic single-precision minimax coefficients), 2^n through the
// exponent bits. ~1 ulp, 3x cheaper than a general exp. x is clamped to [-87.3, 88.3]: below,
// e^x would be a denormal (returned as ~1e-38; it vanishes in any sum), above, +inf.
template <class A>
inline xsimd::batch<float, A> fast_exp(xsimd::batch<float, A> x) {
  using B = xsimd::batch<float, A>;
  using I = xsimd::batch<int32_t, A>;
  x = xsimd::min(xsimd::max(x, B(-87.33654f)), B(88.3762589f));
  const B n = xsimd::nearbyint(x * B(1.44269504088896341f));
  B r = xsimd::fma(n, B(-0.693359375f), x);
  r = xsimd::fma(n, B(2.12194440e-4f), r);
  B p(1.9875691500e-4f);
  p = xsimd::fma(p, r, B(1.3981999507e-3f));
  p = xsimd::fma(p, r, B(8.3334519073e-3f));
  p = xsimd::fma(p, r, B(4.1665795894e-2f));
  p = xsimd::fma(p, r, B(1.6666665459e-1f));
  p = xsimd::fma(p, r, B(5.0000001201e-1f));
  const B e = xsimd::fma(p, r * r, r + B(1.0f));
  const I bits = (xsimd::to_int(n) + I(127)) << 23;
  return e * xsimd::bitwise_cast<B>(bits);
}

// Four independent accumulators: max and add have a 4-cycle latency and 2 per cycle throughput.
template <class A>
float row_max(const float* x, int64_t n) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= W) {
    B a0 = B::load_unaligned(x), a1 = a0, a2 = a0, a3 = a0;
    for (; i + 4 * W <= n; i += 4 * W) {
      a0 = xsimd::max(a0, B::load_unaligned(x + i));
      a1 = xsimd::max(a1, B::load_unaligned(x + i + W));
      a2 = xsimd::max(a2, B::load_unaligned(x + i + 2 * W));
      a3 = xsimd::max(a3, B::load_unaligned(x + i + 3 * W));
    }
    for (; i + W <= n; i += W) a0 = xsimd::max(a0, B::load_unaligned(x + i));
    const B a = xsimd::max(xsimd::max(a0, a1), xsimd::max(a2, a3));
    alignas(64) float lanes[W];
    a.store_aligned(lanes);
    for (int64_t l = 0; l < W; ++l) m = std::max(m, lanes[l]);
  }
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

template <class A>
void rows(const float* x, int64_t nrows, int64_t n, float* y, bool log) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  for (int64_t r = 0; r < nrows; ++r, x += n, y += n) {
    const float m = row_max<A>(x, n);
    const B mb(m);
    B s0(0.0f), s1(0.0f);
    int64_t i = 0;
    for (; i + 2 * W <= n; i += 2 * W) {
      const B e0 = fast_exp<A>(B::load_unaligned(x + i) - mb);
      const B e1 = fast_exp<A>(B::load_unaligned(x + i + W) - mb);
      if (!log) e0.store_unaligned(y + i), e1.store_unaligned(y + i + W);
      s0 += e0, s1 += e1;
    }
    for (; i + W <= n; i += W) {
      const B e = fast_exp<A>(B::load_unaligned(x + i) - mb);
      if (!log) e.store_unaligned(y + i);
      s0 += e;
    }
    float s = xsimd::hadd(s0 + s1);
    for (; i < n; ++i) {
      const float e = std::exp(x[i] - m);
      if (!log) y[i] = e;
      s += e;
    }
    if (!log) {
      const float inv = 1.0f / s;
      const B ib(inv);
      for (i = 0; i + W <= n; i += W) (B::load_unaligned(y + i) * ib).store_unaligned(y + i);
      for (; i < n; ++i) y[i] *= inv;
    } else {
      const float sub = m + std::log(s);
      const B sbb(sub);
      for (i = 0; i + W <= n; i += W) (B::load_unaligned(x + i) - sbb).store_unaligned(y + i);
      for (; i < n; ++i) y[i] = x[i] - sub;
    }
  }
}

// One [n][inner] block: vertical passes over k, W columns at a time.
template <class A>
void cols(const float* x, int64_t n, int64_t inner, float* y, float* scratch, bool log) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  float* mx = scratch;
  float* sm = scratch + inner;
  const int64_t vend = inner - inner % W;
  for (int64_t i = 0; i < inner; ++i) mx[i] = -std::numeric_limits<float>::infinity(), sm[i] = 0;
  for (int64_t k = 0; k < n; ++k) {
    const float* xk = x + k * inner;
    for (int64_t i = 0; i < vend; i += W) xsimd::max(B::load_unaligned(mx + i), B::load_unaligned(xk + i)).store_unaligned(mx + i);
    for (int64_t i = vend; i < inner; ++i) mx[i] = std::max(mx[i], xk[i]);
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* xk = x + k * inner;
    float* yk = y + k * inner;
    for (int64_t i = 0; i < vend; i += W) {
      const B e = fast_exp<A>(B::load_unaligned(xk + i) - B::load_unaligned(mx + i));
      if (!log) e.store_unaligned(yk + i);
      (B::load_unaligned(sm + i) + e).store_unaligned(sm + i);
    }
    for (int64_t i = vend; i < inner; ++i) {
      const float e = std::exp(xk[i] - mx[i]);
      if (!log) yk[i] = e;
      sm[i] += e;
    }
  }
  if (!log) {
    for (int64_t i = 0; i < inner; ++i) sm[i] = 1.0f / sm[i];
  } else {
    for (int64_t i = 0; i < inner; ++i) sm[i] = mx[i] + std::log(sm[i]);
  }
  for (int64_t k = 0; k < n; ++k) {
    const float* xk = x + k * inner;
    float* yk = y + k * inner;
    if (!log) {
      for (int64_t i = 0; i < vend; i += W) (B::load_unaligned(yk + i) * B::load_unaligned(sm + i)).store_unaligned(yk + i);
      for (int64_t i = vend; i < inner; ++i) yk[i] *= sm[i];
    } else {
      for (int64_t i = 0; i < vend; i += W) (B::load_unaligned(xk + i) - B::load_unaligned(sm + i)).store_unaligned(yk + i);
      for (int64_t i = vend; i < inner; ++i) yk[i] = xk[i] - sm[i];
    }
  }
}

template <class A>
void fill(SoftmaxKernels& k, const char* isa) {
  k.rows = &rows<A>;
  k.cols = &cols<A>;
  k.isa = isa;
}

}  // namespace
}  // namespace rtml::softmax_simd
