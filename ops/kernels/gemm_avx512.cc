// gemm_avx512.cc - the GEMM of gemm_impl.hpp instantiated for AVX-512 (compiled with -mavx512f
// -mavx512bw -mavx512dq -mavx512vl -mfma): 6 x 64 micro-tiles over four packed panels.
#include "ops/kernels/gemm_impl.hpp"

namespace rtml::gemm {

using KernelAvx512 = detail::Kernel<xsimd::avx512bw>;
static_assert(KernelAvx512::L == 16 && KernelAvx512::TW == 4 * NR, "AVX-512: 16 float lanes, 4 panels per tile");

void range_avx512(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws) {
  KernelAvx512::range(g, m0, m1, n0, n1, ws);
}

void epilogue_avx512(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N) {
  KernelAvx512::epilogue_rows(ep, c, ldc, m0, m1, N);
}

}  // namespace rtml::gemm
