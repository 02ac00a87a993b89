// gemm_avx2.cc - the GEMM of gemm_impl.hpp instantiated for AVX2 + FMA (compiled with -mavx2 -mfma).
#include "ops/kernels/gemm_impl.hpp"

namespace rtml::gemm {

using KernelAvx2 = detail::Kernel<xsimd::fma3<xsimd::avx2>>;
static_assert(KernelAvx2::L == 8, "AVX2 has 8 float lanes");

void range_avx2(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws) {
  KernelAvx2::range(g, m0, m1, n0, n1, ws);
}

void epilogue_avx2(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N) {
  KernelAvx2::epilogue_rows(ep, c, ldc, m0, m1, N);
}

}  // namespace rtml::gemm
