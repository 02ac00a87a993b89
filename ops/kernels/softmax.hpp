// ops/kernels/softmax.hpp - float32 Softmax / LogSoftmax inner loops, one table per ISA.
// Numerics follow ONNX Runtime: subtract the max, exp in float, then scale by 1/sum
// (LogSoftmax: x - max - log(sum)).
//
//   rows(x, rows, n, y, log):                 over n contiguous elements per row
//   cols(x, n, inner, y, scratch, log):       one block [n][inner], over k for each i;
//                                             scratch holds 2 * inner floats
// y may be x (in place).
//
//   const SoftmaxKernels& k = softmax_kernels();   // best ISA of this CPU, chosen once
#pragma once

#include <cstdint>

namespace rtml {

struct SoftmaxKernels {
  void (*rows)(const float* x, int64_t rows, int64_t n, float* y, bool log) = nullptr;
  void (*cols)(const float* x, int64_t n, int64_t inner, float* y, float* scratch, bool log) = nullptr;
  const char* isa = "";
};

const SoftmaxKernels& softmax_kernels();
// 0 scalar reference, 1 portable SIMD, 2 AVX2; nullptr when this build or CPU lacks it.
const SoftmaxKernels* softmax_kernels_variant(int which);

void fill_softmax_kernels_portable(SoftmaxKernels& k);
void fill_softmax_kernels_avx2(SoftmaxKernels& k);

}  // namespace rtml
