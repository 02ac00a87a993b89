// act_avx2.cc - the AVX2+FMA instantiation of act_simd.hpp (compiled with -mavx2 -mfma).
#include "ops/kernels/act_simd.hpp"

namespace rtml::kernels {

using Avx2Fma = xsimd::fma3<xsimd::avx2>;

void act_f32_avx2(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) {
  act_f32_simd<Avx2Fma>(k, p, x, y, n);
}
void prelu_f32_avx2(const float* x, const float* s, float* y, int64_t n) { prelu_f32_simd<Avx2Fma>(x, s, y, n); }

}  // namespace rtml::kernels
