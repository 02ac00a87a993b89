// ops/kernels/reduce.hpp - float32 reduction inner loops, one table per ISA.
//
//   rows(op, x, rows, n, y):   y[r] = reduce(x[r*n .. r*n+n))         (reduced axis innermost)
//   cols(op, x, n, inner, y):  y[i] = reduce_k x[k*inner + i], k < n  (reduced axis outer)
// SumSq reduces x*x (ReduceL2 takes its square root after). n == 0 yields the op's identity
// (0, 0, -inf, +inf, 1).
//
//   const ReduceKernels& k = reduce_kernels();   // best ISA of this CPU, chosen once
//   k.rows(RedOp::Sum, x, 4, 17, y);
#pragma once

#include <cstdint>

namespace rtml {

enum class RedOp : uint8_t { Sum, SumSq, Max, Min, Prod };

struct ReduceKernels {
  void (*rows)(RedOp op, const float* x, int64_t rows, int64_t n, float* y) = nullptr;
  void (*cols)(RedOp op, const float* x, int64_t n, int64_t inner, float* y) = nullptr;
  const char* isa = "";
};

// The table for this CPU (AVX2+FMA when present, else the portable SIMD build), chosen once.
const ReduceKernels& reduce_kernels();
// 0 scalar reference, 1 portable SIMD, 2 AVX2; nullptr when this build or CPU lacks it.
const ReduceKernels* reduce_kernels_variant(int which);

void fill_reduce_kernels_portable(ReduceKernels& k);
void fill_reduce_kernels_avx2(ReduceKernels& k);

}  // namespace rtml
