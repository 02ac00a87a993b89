// ops/kernels/linear.cc - packing, the scalar reference, the baseline (SSE2) instantiation of
// ops/kernels/linear_simd.hpp and the one place that picks the ISA for the linear kernels.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/linear_simd.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace rtml::linear {

void Weights::Free::operator()(float* p) const { std::free(p); }

void Weights::pack(int64_t classes, int64_t features, const float* coef, const float* bias) {
  C = classes;
  F = features;
  Fp = (F + kPad - 1) / kPad * kPad;
  size_t bytes = static_cast<size_t>(std::max<int64_t>(C * Fp, 16)) * sizeof(float);
  bytes = (bytes + 63) / 64 * 64;
  wbuf_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
  std::memset(wbuf_.get(), 0, bytes);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t f = 0; f < F; ++f) wbuf_.get()[c * Fp + f] = coef[c * F + f];
  bbuf_.assign(static_cast<size_t>(C), 0.f);
  if (bias)
    for (int64_t c = 0; c < C; ++c) bbuf_[c] = bias[c];
  w = wbuf_.get();
  b = bbuf_.data();
  t = bt = nullptr;
  if (C <= kSmallC) {
    size_t tb = static_cast<size_t>(std::max<int64_t>(F, 1) * 8 + 8) * sizeof(float);
    tb = (tb + 63) / 64 * 64;
    tbuf_.reset(static_cast<float*>(std::aligned_alloc(64, tb)));
    std::memset(tbuf_.get(), 0, tb);
    float* tp = tbuf_.get();
    for (int64_t f = 0; f < F; ++f)
      for (int64_t c = 0; c < C; ++c) tp[f * 8 + c] = coef[c * F + f];
    float* bp = tp + std::max<int64_t>(F, 1) * 8;
    for (int64_t c = 0; c < C; ++c) bp[c] = bbuf_[c];
    t = tp;
    bt = bp;
  }
}

void gemv_scalar(const Weights& wt, const float* x, int64_t rows, float* y) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < wt.C; ++c) {
      float acc = 0.f;
      const float* w = wt.w + c * wt.Fp;
      for (int64_t f = 0; f < wt.F; ++f) acc += x[r * wt.F + f] * w[f];
      y[r * wt.C + c] = acc + wt.b[c];
    }
}

void exp_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

void logistic_scalar(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = 1.f / (1.f + std::exp(-std::fabs(x[i])));
    y[i] = x[i] < 0 ? 1.f - v : v;
  }
}

// Reference for the small-C kernels: the generic steps one after the other.
void small_scalar(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post, int norm) {
  const int64_t C = wt.C;
  gemv_scalar(wt, x, rows, y);
  for (int64_t r = 0; r < rows; ++r) {
    float* s = y + r * C;
    int32_t bi = 0;
    for (int32_t c = 1; c < C; ++c)
      if (s[c] > s[bi]) bi = c;
    if (best) best[r] = bi;
    if (post == kPostLogistic) logistic_scalar(s, s, C);
    if (post == kPostSoftmax) softmax_rows(s, 1, C, exp_scalar);
    if (norm == kNormNone) continue;
    float n = norm == kNormMax ? std::numeric_limits<float>::lowest() : 0.f;
    for (int64_t c = 0; c < C; ++c)
      n = norm == kNormMax ? std::max(n, s[c]) : n + (norm == kNormL1 ? std::fabs(s[c]) : s[c] * s[c]);
    if (n == 0.f) continue;
    for (int64_t c = 0; c < C; ++c) {
      if (norm == kNormL2) {
        float q = std::sqrt(s[c] * s[c] / n);
        s[c] = s[c] < 0 ? -q : q;
      } else {
        s[c] /= n;
      }
    }
  }
}

#if defined(__SSE2__)
static void gemv_sse2(const Weights& wt, const float* x, int64_t rows, float* y) {
  gemv_simd<xsimd::sse2>(wt, x, rows, y);
}
static void exp_sse2(const float* x, float* y, int64_t n) { exp_simd<xsimd::sse2>(x, y, n); }
static void logistic_sse2(const float* x, float* y, int64_t n) { logistic_simd<xsimd::sse2>(x, y, n); }
#endif

#if defined(RTML_HAVE_AVX2_KERNELS)
void gemv_avx2(const Weights& wt, const float* x, int64_t rows, float* y);
void exp_avx2(const float* x, float* y, int64_t n);
void logistic_avx2(const float* x, float* y, int64_t n);
void small_avx2(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post, int norm);
#endif

const std::vector<Variant>& variants() {
  static const std::vector<Variant> list = [] {
    std::vector<Variant> v{{"scalar", gemv_scalar, exp_scalar, logistic_scalar, small_scalar}};
#if defined(__SSE2__)
    v.push_back({"sse2", gemv_sse2, exp_sse2, logistic_sse2, nullptr});
#endif
#if defined(RTML_HAVE_AVX2_KERNELS)
    if (isa::avx2_fma())
      v.push_back({"avx2", gemv_avx2, exp_avx2, logistic_avx2, small_avx2});
#endif
    return v;
  }();
  return list;
}

const Variant& best() {
  static const Variant& b = variants().back();
  return b;
}

void softmax_rows(float* s, int64_t rows, int64_t C, ExpFn exp) {
  if (C <= 0) return;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * C;
    float m = -std::numeric_limits<float>::max();
    for (int64_t c = 0; c < C; ++c) m = row[c] > m ? row[c] : m;
    for (int64_t c = 0; c < C; ++c) row[c] -= m;
  }
  exp(s, s, rows * C);
  for (int64_t r = 0; r < rows; ++r) {
    float* row = s + r * C;
    float sum = 0.f;
    for (int64_t c = 0; c < C; ++c) sum += row[c];
    for (int64_t c = 0; c < C; ++c) row[c] /= sum;
  }
}

}  // namespace rtml::linear
