// act_avx512.cc - the AVX-512 instantiation of act_simd.hpp (compiled with -mavx512f/bw/dq/vl).
#include "ops/kernels/act_simd.hpp"

namespace rtml::kernels {

using Avx512 = xsimd::avx512bw;

void act_f32_avx512(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) {
  act_f32_simd<Avx512>(k, p, x, y, n);
}
void prelu_f32_avx512(const float* x, const float* s, float* y, int64_t n) { prelu_f32_simd<Avx512>(x, s, y, n); }

}  // namespace rtml::kernels
