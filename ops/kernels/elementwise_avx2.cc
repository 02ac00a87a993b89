// ops/kernels/elementwise_avx2.cc - the element-wise loops for AVX2+FMA (compiled with -mavx2
// -mfma by file name; only instantiates ops/kernels/elementwise_kernels.hpp).
#include "ops/kernels/elementwise_kernels.hpp"

namespace rtml {

void fill_ew_kernels_avx2(EwKernels& k) { ew::fill<xsimd::fma3<xsimd::avx2>>(k, "avx2"); }

}  // namespace rtml
