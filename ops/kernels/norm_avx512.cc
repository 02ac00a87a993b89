// norm_avx512.cc - the AVX-512 instantiation of norm_simd.hpp (compiled with -mavx512f/bw/dq/vl).
#include "ops/kernels/norm_simd.hpp"

namespace rtml::kernels {

NormKernels norm_f32_avx512() { return norm_kernels_for<xsimd::avx512bw>("avx512"); }

}  // namespace rtml::kernels
