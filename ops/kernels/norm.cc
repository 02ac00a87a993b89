// norm.cc - scalar reference and SSE2 instantiation of the normalisation loops, and the choice
// of variant for this processor (once per process).
#include "ops/kernels/isa.hpp"
#include "ops/kernels/norm_simd.hpp"

namespace rtml::kernels {

void moments_f32_scalar(const float* x, int64_t n, float* mean, float* var) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += x[i];
  double m = s / static_cast<double>(n), q = 0;
  for (int64_t i = 0; i < n; ++i) q += (x[i] - m) * (x[i] - m);
  *mean = static_cast<float>(m);
  *var = static_cast<float>(q / static_cast<double>(n));
}

void scale_shift_f32_scalar(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * a + b;
}

void normalize_f32_scalar(const float* x, float* y, int64_t n, float mean, float inv, const float* scale,
                          const float* bias) {
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * inv * scale[i] + (bias ? bias[i] : 0.0f);
}

static bool norm_host_has_avx2() { return isa::avx2_fma(); }

std::vector<NormKernels> norm_f32_variants() {
  std::vector<NormKernels> v{{"scalar", moments_f32_scalar, scale_shift_f32_scalar, normalize_f32_scalar}};
#if defined(__SSE2__)
  v.push_back(norm_kernels_for<xsimd::sse2>("sse2"));
#endif
#ifdef RTML_HAVE_AVX2_KERNELS
  if (norm_host_has_avx2()) v.push_back(norm_f32_avx2());
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa::avx512()) v.push_back(norm_f32_avx512());
#endif
  return v;
}

const NormKernels& norm_f32() {
  static const NormKernels best = [] {
    std::vector<NormKernels> v = norm_f32_variants();
    return v.back();
  }();
  return best;
}

}  // namespace rtml::kernels
