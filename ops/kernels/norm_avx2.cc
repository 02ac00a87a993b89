// norm_avx2.cc - the AVX2+FMA instantiation of norm_simd.hpp (compiled with -mavx2 -mfma).
#include "ops/kernels/norm_simd.hpp"

namespace rtml::kernels {

NormKernels norm_f32_avx2() { return norm_kernels_for<xsimd::fma3<xsimd::avx2>>("avx2"); }

}  // namespace rtml::kernels
