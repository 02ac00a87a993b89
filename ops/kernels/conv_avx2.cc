// conv_avx2.cc - conv_shifted_impl.hpp instantiated for AVX2 + FMA (compiled with -mavx2 -mfma).
#include "ops/kernels/conv_shifted_impl.hpp"

namespace rtml::conv {

void shifted_conv_avx2(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                       const gemm::Epilogue& ep, float* y) {
  detail::Shifted<xsimd::fma3<xsimd::avx2>>::run(xp, C, g, wpacked, M, ep, y);
}

}  // namespace rtml::conv
