// ops/kernels/transpose_avx2.cc - 8x8 register transposes for AVX2 (compiled with -mavx2 by
// file name). See ops/kernels/transpose.hpp for why this uses intrinsics.
#include <immintrin.h>

#include "ops/kernels/transpose.hpp"

namespace rtml {
namespace {

// out[c][r] = in[r][c] for one 8x8 block; in rows are `ld_in` apart, out rows `ld_out`.
inline void block8(const float* in, int64_t ld_in, float* out, int64_t ld_out) {
  __m256 r0 = _mm256_loadu_ps(in), r1 = _mm256_loadu_ps(in + ld_in), r2 = _mm256_loadu_ps(in + 2 * ld_in),
         r3 = _mm256_loadu_ps(in + 3 * ld_in), r4 = _mm256_loadu_ps(in + 4 * ld_in), r5 = _mm256_loadu_ps(in + 5 * ld_in),
         r6 = _mm256_loadu_ps(in + 6 * ld_in), r7 = _mm256_loadu_ps(in + 7 * ld_in);
  // pairs of rows interleaved, then groups of four, then the two 128-bit lanes exchanged
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
         t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
         t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44),
         u3 = _mm256_shuffle_ps(t1, t3, 0xEE), u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
         u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(out, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(out + ld_out, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(out + 2 * ld_out, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(out + 3 * ld_out, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(out + 4 * ld_out, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(out + 5 * ld_out, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(out + 6 * ld_out, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(out + 7 * ld_out, _mm256_permute2f128_ps(u3, u7, 0x31));
}

void t32_avx2(const uint32_t* in_u, int64_t R, int64_t C, uint32_t* out_u) {
  const float* in = reinterpret_cast<const float*>(in_u);
  float* out = reinterpret_cast<float*>(out_u);
  // 16x16 tiles (four 8x8 blocks): each tile reads 16 whole input lines and writes 16 whole
  // output lines, so no cache line is touched twice even when the row strides are powers of
  // two (which map every row to the same few cache sets and defeat bigger tiles).
  const int64_t R8 = R - R % 8, C8 = C - C % 8, R16 = R - R % 16, C16 = C - C % 16;
  for (int64_t i = 0; i < C16; i += 16)
    for (int64_t j = 0; j < R16; j += 16) {
      block8(in + j * C + i, C, out + i * R + j, R);
      block8(in + (j + 8) * C + i, C, out + i * R + j + 8, R);
      block8(in + j * C + i + 8, C, out + (i + 8) * R + j, R);
      block8(in + (j + 8) * C + i + 8, C, out + (i + 8) * R + j + 8, R);
    }
  for (int64_t i = 0; i < C8; i += 8)  // 8-wide leftovers of the 16x16 grid
    for (int64_t j = (i < C16 ? R16 : 0); j < R8; j += 8) block8(in + j * C + i, C, out + i * R + j, R);
  // ragged edges: the last C % 8 output rows, and the last R % 8 output columns
  for (int64_t i = C8; i < C; ++i)
    for (int64_t j = 0; j < R; ++j) out_u[i * R + j] = in_u[j * C + i];
  for (int64_t i = 0; i < C8; ++i)
    for (int64_t j = R8; j < R; ++j) out_u[i * R + j] = in_u[j * C + i];
}

}  // namespace

void fill_transpose_kernels_avx2(TransposeKernels& k) {
  k.t32 = &t32_avx2;
  k.isa = "avx2";
}

}  // namespace rtml
