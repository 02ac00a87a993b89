// int8_avx512.cc - the AVX-512 VNNI integer GEMM micro-kernel: vpdpwssd (32 int16 multiply-adds
// into 16 int32 sums per instruction, exact: products of values in [-255, 255] and their pair
// sums fit in int32, the add wraps like the scalar reference's int32 sum) on the int16-widened
// operands of int8.hpp, same packed layout as the AVX2 and scalar variants.
//
// Micro-tile: 6 rows x 4 B panels side by side (64 columns) = 24 zmm accumulators + 4 B vectors;
// the A pair is an embedded {1to16} broadcast operand of vpdpwssd, so it needs no register.
// Per k pair: 4 B loads + 6 broadcast loads for 24 vpdpwssd (768 multiply-adds).
// Compiled with -mavx512vnni (CMakeLists.txt); chosen only when isa::avx512_vnni() says so.
#include <immintrin.h>

#include "ops/kernels/int8.hpp"

namespace rtml::kernels {

namespace {

constexpr int kMr = 6;  // rows per tile: 6 x 4 = 24 accumulators + 4 B of the 32 zmm registers
constexpr int kNp = 4;  // B panels per tile (4 x 16 = 64 columns)

// Rows [0, MR) of A (row stride Kp int16) x panels [0, NP) of the group at Bp (panel stride
// Kp * kI8Nr int16). nr_last: valid columns of the last panel (1..16). The accumulators are named
// variables, not an array: with an array GCC 12 copies and spills them inside the k loop.
template <int MR, int NP>
inline void tile(const int16_t* A, int64_t Kp, const int16_t* Bp, int32_t* C, int64_t ldc, int64_t nr_last) {
  const __m512i z = _mm512_setzero_si512();
  __m512i c00 = z, c01 = z, c02 = z, c03 = z, c10 = z, c11 = z, c12 = z, c13 = z, c20 = z, c21 = z, c22 = z, c23 = z;
  __m512i c30 = z, c31 = z, c32 = z, c33 = z, c40 = z, c41 = z, c42 = z, c43 = z, c50 = z, c51 = z, c52 = z, c53 = z;
  const int64_t pairs = Kp / 2, pstride = Kp * kI8Nr;
  const int32_t* a0 = reinterpret_cast<const int32_t*>(A);  // int16 pairs read as one int32
  const int16_t* b = Bp;
  for (int64_t q = 0; q < pairs; ++q, b += 2 * kI8Nr) {
    const __m512i b0 = _mm512_loadu_si512(b);
    const __m512i b1 = NP > 1 ? _mm512_loadu_si512(b + pstride) : z;
    const __m512i b2 = NP > 2 ? _mm512_loadu_si512(b + 2 * pstride) : z;
    const __m512i b3 = NP > 3 ? _mm512_loadu_si512(b + 3 * pstride) : z;
#define RTML_I8_ROW(r, x0, x1, x2, x3)                               \
    if constexpr (MR > r) {                                          \
      const __m512i a = _mm512_set1_epi32(a0[r * pairs + q]);        \
      x0 = _mm512_dpwssd_epi32(x0, b0, a);                           \
      if constexpr (NP > 1) x1 = _mm512_dpwssd_epi32(x1, b1, a);     \
      if constexpr (NP > 2) x2 = _mm512_dpwssd_epi32(x2, b2, a);     \
      if constexpr (NP > 3) x3 = _mm512_dpwssd_epi32(x3, b3, a);     \
    }
    RTML_I8_ROW(0, c00, c01, c02, c03)
    RTML_I8_ROW(1, c10, c11, c12, c13)
    RTML_I8_ROW(2, c20, c21, c22, c23)
    RTML_I8_ROW(3, c30, c31, c32, c33)
    RTML_I8_ROW(4, c40, c41, c42, c43)
    RTML_I8_ROW(5, c50, c51, c52, c53)
#undef RTML_I8_ROW
  }
  const __m512i acc[6][4] = {{c00, c01, c02, c03}, {c10, c11, c12, c13}, {c20, c21, c22, c23},
                             {c30, c31, c32, c33}, {c40, c41, c42, c43}, {c50, c51, c52, c53}};
  const __mmask16 last = static_cast<__mmask16>((1u << nr_last) - 1u);
  for (int r = 0; r < MR; ++r) {
    int32_t* c = C + r * ldc;
    for (int p = 0; p + 1 < NP; ++p) _mm512_storeu_si512(c + p * kI8Nr, acc[r][p]);
    _mm512_mask_storeu_epi32(c + (NP - 1) * kI8Nr, last, acc[r][NP - 1]);
  }
}

// All rows of A against one group of NP panels.
template <int NP>
void rows(const int16_t* A, int64_t M, int64_t Kp, const int16_t* Bg, int32_t* C, int64_t ldc, int64_t nr_last) {
  int64_t m = 0;
  for (; m + kMr <= M; m += kMr) tile<kMr, NP>(A + m * Kp, Kp, Bg, C + m * ldc, ldc, nr_last);
  const int16_t* a = A + m * Kp;
  int32_t* c = C + m * ldc;
  switch (M - m) {
    case 5: tile<5, NP>(a, Kp, Bg, c, ldc, nr_last); break;
    case 4: tile<4, NP>(a, Kp, Bg, c, ldc, nr_last); break;
    case 3: tile<3, NP>(a, Kp, Bg, c, ldc, nr_last); break;
    case 2: tile<2, NP>(a, Kp, Bg, c, ldc, nr_last); break;
    case 1: tile<1, NP>(a, Kp, Bg, c, ldc, nr_last); break;
    default: break;
  }
}

}  // namespace

void gemm_i16_avx512vnni(const int16_t* A, int64_t M, int64_t Kp, const int16_t* Bp, int64_t N, int64_t p0,
                         int64_t p1, int32_t* C, int64_t ldc) {
  for (int64_t j = p0; j < p1; j += kNp) {
    const int64_t np = p1 - j < kNp ? p1 - j : kNp;
    const int64_t n0 = j * kI8Nr;
    const int64_t last_n0 = (j + np - 1) * kI8Nr;
    const int64_t nr_last = N - last_n0 < kI8Nr ? N - last_n0 : kI8Nr;
    const int16_t* bg = Bp + j * Kp * kI8Nr;
    switch (np) {
      case 4: rows<4>(A, M, Kp, bg, C + n0, ldc, nr_last); break;
      case 3: rows<3>(A, M, Kp, bg, C + n0, ldc, nr_last); break;
      case 2: rows<2>(A, M, Kp, bg, C + n0, ldc, nr_last); break;
      default: rows<1>(A, M, Kp, bg, C + n0, ldc, nr_last); break;
    }
  }
}

}  // namespace rtml::kernels
