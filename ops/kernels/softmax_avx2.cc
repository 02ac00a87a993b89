// ops/kernels/softmax_avx2.cc - Softmax loops for AVX2+FMA (compiled with -mavx2 -mfma by file
// name; only instantiates ops/kernels/softmax_impl.hpp).
#include "ops/kernels/softmax_impl.hpp"

namespace rtml {

void fill_softmax_kernels_avx2(SoftmaxKernels& k) { softmax_simd::fill<xsimd::fma3<xsimd::avx2>>(k, "avx2"); }

}  // namespace rtml
