// int8.hpp - integer matrix products for the quantised ops (MatMulInteger, QLinearMatMul):
// C[M,N] (int32) = sum_k (A[m,k] - a_zp) * (B[k,n] - b_zp) for uint8/int8 A and B.
//
// Both operands are widened to int16 with their zero points subtracted while packing (values in
// [-255, 255]), so every product and every pair sum is exact in int32; the inner loop is AVX2's
// vpmaddwd (16 multiply-adds per instruction) on pairs of k, on AVX-512 VNNI vpdpwssd (32 per
// instruction, the add fused) on the same pairs.
//
// Packed B layout (pack_b): panels of kNr = 16 columns; panel j holds, for each k pair q in
// [0, Kp/2), 32 int16: columns j*16+0..7 as (B[2q][c], B[2q+1][c]) pairs, then columns 8..15.
// Kp = K rounded up to even; missing rows/columns are 0. Size: packed_b_elems(K, N).
// Packed A layout (pack_a): M rows of Kp int16, row-major, the last odd column 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rtml::kernels {

constexpr int64_t kI8Nr = 16;  // columns per B panel: two AVX2 registers (one zmm) of int32 sums

inline int64_t i8_kp(int64_t K) { return (K + 1) & ~int64_t{1}; }
inline int64_t i8_panels(int64_t N) { return (N + kI8Nr - 1) / kI8Nr; }
inline size_t packed_b_elems(int64_t K, int64_t N) { return static_cast<size_t>(i8_kp(K) * i8_panels(N) * kI8Nr); }
inline size_t packed_a_elems(int64_t M, int64_t K) { return static_cast<size_t>(M * i8_kp(K)); }

// B: K x N, row stride ldb, int8 (is_signed) or uint8. Zero point: zp_cols[n] when non-null,
// else zp.
void pack_b(const void* B, bool is_signed, int64_t K, int64_t N, int64_t ldb, const int32_t* zp_cols, int32_t zp,
            int16_t* out);
// A: M x K, row stride lda. Zero point: zp_rows[m] when non-null, else zp.
void pack_a(const void* A, bool is_signed, int64_t M, int64_t K, int64_t lda, const int32_t* zp_rows, int32_t zp,
            int16_t* out);

// C rows [0, M) x columns of panels [p0, p1): C[m*ldc + n] = sum over k of A16 * B16.
using GemmI16Fn = void (*)(const int16_t* A16, int64_t M, int64_t Kp, const int16_t* Bp, int64_t N, int64_t p0,
                           int64_t p1, int32_t* C, int64_t ldc);

struct Int8Kernels {
  const char* name;
  GemmI16Fn gemm;
};

const Int8Kernels& int8_kernels();                 // the best variant for this processor
std::vector<Int8Kernels> int8_kernel_variants();   // every runnable variant, scalar first

void gemm_i16_scalar(const int16_t*, int64_t, int64_t, const int16_t*, int64_t, int64_t, int64_t, int32_t*, int64_t);
#ifdef RTML_HAVE_AVX2_KERNELS
void gemm_i16_avx2(const int16_t*, int64_t, int64_t, const int16_t*, int64_t, int64_t, int64_t, int32_t*, int64_t);
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
void gemm_i16_avx512vnni(const int16_t*, int64_t, int64_t, const int16_t*, int64_t, int64_t, int64_t, int32_t*,
                         int64_t);
#endif

}  // namespace rtml::kernels
