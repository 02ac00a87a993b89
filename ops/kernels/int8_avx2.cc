// int8_avx2.cc - the AVX2 integer GEMM micro-kernel (vpmaddwd on int16 pairs of k, 6 rows x 16
// columns of int32 accumulators = 12 registers, + 2 for B and 1 for the broadcast A pair).
#include <immintrin.h>

#include "ops/kernels/int8.hpp"

namespace rtml::kernels {

namespace {

// Accumulators are named variables (not an array) so that the compiler keeps all 12 in registers.
template <int MR>
inline void micro_6x16(const int16_t* A, int64_t Kp, const int16_t* Bp, int32_t* C, int64_t ldc, int64_t nr) {
  __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256i c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const int64_t pairs = Kp / 2;
  const int32_t* a0 = reinterpret_cast<const int32_t*>(A);  // int16 pairs read as one int32
  for (int64_t q = 0; q < pairs; ++q) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(Bp + q * 32));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(Bp + q * 32 + 16));
    __m256i a;
#define RTML_I8_ROW(r, x0, x1)                                                        \
    if constexpr (MR > r) {                                                           \
      a = _mm256_set1_epi32(a0[r * pairs + q]);                                       \
      x0 = _mm256_add_epi32(x0, _mm256_madd_epi16(a, b0));                            \
      x1 = _mm256_add_epi32(x1, _mm256_madd_epi16(a, b1));                            \
    }
    RTML_I8_ROW(0, c00, c01)
    RTML_I8_ROW(1, c10, c11)
    RTML_I8_ROW(2, c20, c21)
    RTML_I8_ROW(3, c30, c31)
    RTML_I8_ROW(4, c40, c41)
    RTML_I8_ROW(5, c50, c51)
#undef RTML_I8_ROW
  }
  const __m256i acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    int32_t* c = C + r * ldc;
    if (nr == kI8Nr) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c), acc[r][0]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + 8), acc[r][1]);
    } else {
      alignas(32) int32_t tmp[kI8Nr];
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), acc[r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), acc[r][1]);
      for (int64_t i = 0; i < nr; ++i) c[i] = tmp[i];
    }
  }
}

}  // namespace

void gemm_i16_avx2(const int16_t* A, int64_t M, int64_t Kp, const int16_t* Bp, int64_t N, int64_t p0, int64_t p1,
                   int32_t* C, int64_t ldc) {
  for (int64_t j = p0; j < p1; ++j) {
    const int16_t* pj = Bp + j * Kp * kI8Nr;
    const int64_t n0 = j * kI8Nr;
    const int64_t nr = N - n0 < kI8Nr ? N - n0 : kI8Nr;
    int64_t m = 0;
    for (; m + 6 <= M; m += 6) micro_6x16<6>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr);
    switch (M - m) {
      case 5: micro_6x16<5>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr); break;
      case 4: micro_6x16<4>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr); break;
      case 3: micro_6x16<3>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr); break;
      case 2: micro_6x16<2>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr); break;
      case 1: micro_6x16<1>(A + m * Kp, Kp, pj, C + m * ldc + n0, ldc, nr); break;
      default: break;
    }
  }
}

}  // namespace rtml::kernels
