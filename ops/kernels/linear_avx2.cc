// ops/kernels/linear_avx2.cc - the AVX2 + FMA instantiation of ops/kernels/linear_simd.hpp
// (compiled with -mavx2 -mfma; only called when the host has both).
#include "ops/kernels/linear_simd.hpp"

namespace rtml::linear {

using Avx2 = xsimd::fma3<xsimd::avx2>;

void gemv_avx2(const Weights& wt, const float* x, int64_t rows, float* y) { gemv_simd<Avx2>(wt, x, rows, y); }
void exp_avx2(const float* x, float* y, int64_t n) { exp_simd<Avx2>(x, y, n); }
void logistic_avx2(const float* x, float* y, int64_t n) { logistic_simd<Avx2>(x, y, n); }
void small_avx2(const Weights& wt, const float* x, int64_t rows, float* y, int32_t* best, int post, int norm) {
  small_simd<Avx2>(wt, x, rows, y, best, post, norm);
}

}  // namespace rtml::linear
