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

template <class A>
float row_max(const float* x, int64_t n) {
  using B = xsimd::batch<float, A>;
  constexpr int64_t W = B::size;
  float m = -std::numeric_limits<float>::infinity();
  int64_t i = 0;
  if (n >= W) {
    B a = B::load_unaligned(x);
    for (i = W; i + W <= n; i += W) a = xsimd::max(a, B::load_unaligned(x + i));
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
    B sb(0.0f);
    int64_t i = 0;
    for (; i + W <= n; i += W) {
      const B e = xsimd::exp(B::load_unaligned(x + i) - mb);
      if (!log) e.store_unaligned(y + i);
      sb += e;
    }
    float s = xsimd::hadd(sb);
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
      const B e = xsimd::exp(B::load_unaligned(xk + i) - B::load_unaligned(mx + i));
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
