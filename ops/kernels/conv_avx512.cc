// conv_avx512.cc - conv_copy_simd.hpp and conv_shifted_impl.hpp instantiated for AVX-512 (compiled
// with -mavx512f/bw/dq/vl).
#include "ops/kernels/conv_copy_simd.hpp"
#include "ops/kernels/conv_shifted_impl.hpp"

namespace rtml::conv {

void pad_input_avx512(const float* x, int64_t C, const Geom& g, float* xp, bool zero) {
  detail::pad_input<xsimd::avx512bw>(x, C, g, xp, zero);
}

void compact_wide_avx512(const float* wide, int64_t M, const Geom& g, float* y) {
  detail::compact_wide<xsimd::avx512bw>(wide, M, g, y);
}

void shifted_conv_avx512(const float* xp, int64_t C, const Geom& g, const float* wpacked, int64_t M,
                         const gemm::Epilogue& ep, float* y) {
  detail::Shifted<xsimd::avx512bw>::run(xp, C, g, wpacked, M, ep, y);
}

}  // namespace rtml::conv
