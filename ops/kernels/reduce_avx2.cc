// ops/kernels/reduce_avx2.cc - the reduction loops for AVX2+FMA (compiled with -mavx2 -mfma by
// file name; only instantiates ops/kernels/reduce_impl.hpp).
#include "ops/kernels/reduce_impl.hpp"

namespace rtml {

void fill_reduce_kernels_avx2(ReduceKernels& k) { reduce_simd::fill<xsimd::fma3<xsimd::avx2>>(k, "avx2"); }

}  // namespace rtml
