// norm.hpp - float32 inner loops of the normalisations (LayerNormalization, InstanceNormalization,
// BatchNormalization): row moments, per-row affine maps. One xsimd template (norm_simd.hpp),
// instantiated for SSE2 (norm.cc), AVX2+FMA (norm_avx2.cc) and AVX-512 (norm_avx512.cc); a
// scalar reference always exists.
#pragma once

#include <cstdint>
#include <vector>

namespace rtml::kernels {

struct NormKernels {
  const char* name;
  // Mean and population variance of x[0..n) (two passes: accurate for large means). n > 0.
  void (*moments)(const float* x, int64_t n, float* mean, float* var);
  // y[i] = x[i] * a + b.
  void (*scale_shift)(const float* x, float* y, int64_t n, float a, float b);
  // y[i] = (x[i] - mean) * inv * scale[i] + (bias ? bias[i] : 0).
  void (*normalize)(const float* x, float* y, int64_t n, float mean, float inv, const float* scale,
                    const float* bias);
};

const NormKernels& norm_f32();                 // the best variant for this processor
std::vector<NormKernels> norm_f32_variants();  // every runnable variant, scalar first

void moments_f32_scalar(const float*, int64_t, float*, float*);
void scale_shift_f32_scalar(const float*, float*, int64_t, float, float);
void normalize_f32_scalar(const float*, float*, int64_t, float, float, const float*, const float*);
#ifdef RTML_HAVE_AVX2_KERNELS
NormKernels norm_f32_avx2();
NormKernels norm_f32_avx512();
#endif

}  // namespace rtml::kernels
