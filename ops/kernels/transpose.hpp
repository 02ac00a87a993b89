// ops/kernels/transpose.hpp - 2-D transpose of 4-byte elements (float, int32...), one entry
// per ISA: in is [R][C] dense, out becomes [C][R] dense.
//
//   transpose_kernels().t32(in, R, C, out);   // best ISA of this CPU, chosen once
//
// The AVX2 entry transposes 8x8 blocks in registers (unpack / shuffle / lane permute) inside
// 64x64 cache tiles. xsimd 8.1 has no cross-lane shuffles, so this one kernel uses AVX2
// intrinsics directly; the portable entry is the scalar tiled loop (also the reference).
#pragma once

#include <cstdint>

namespace rtml {

struct TransposeKernels {
  void (*t32)(const uint32_t* in, int64_t R, int64_t C, uint32_t* out) = nullptr;
  const char* isa = "";
};

const TransposeKernels& transpose_kernels();
// 0 scalar tiles, 2 AVX2; nullptr when this build or CPU lacks it.
const TransposeKernels* transpose_kernels_variant(int which);

// The scalar tiled transpose for any element type (template, header-only).
template <class E>
void transpose_tiles(const E* in, int64_t R, int64_t C, E* out) {
  // Why 32: a 32x32 tile of 8-byte elements is 8 KB per side, inside L1 with both sides.
  constexpr int64_t kT = 32;
  for (int64_t i0 = 0; i0 < C; i0 += kT)
    for (int64_t j0 = 0; j0 < R; j0 += kT) {
      const int64_t i1 = i0 + kT < C ? i0 + kT : C, j1 = j0 + kT < R ? j0 + kT : R;
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j) out[i * R + j] = in[j * C + i];
    }
}

void fill_transpose_kernels_avx2(TransposeKernels& k);

}  // namespace rtml
