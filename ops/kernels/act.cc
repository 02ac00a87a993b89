// act.cc - scalar reference and SSE2 instantiation of the activation kernels, and the one
// place that picks the variant for this processor.
#include "ops/kernels/isa.hpp"
#include <cmath>

#include "ops/kernels/act_simd.hpp"

namespace rtml::kernels {

template <class T>
static T act_ref_t(ActKind k, const ActParams& p, T x) {
  const T a = static_cast<T>(p.alpha), b = static_cast<T>(p.beta), g = static_cast<T>(p.gamma);
  switch (k) {
    case ActKind::LeakyRelu: return x < 0 ? a * x : x;
    case ActKind::Elu: return x < 0 ? a * std::expm1(x) : x;
    case ActKind::Selu: return g * (x <= 0 ? a * std::expm1(x) : x);
    case ActKind::HardSigmoid: return std::fmax(T(0), std::fmin(T(1), a * x + b));
    case ActKind::HardSwish: return x * std::fmax(T(0), std::fmin(T(1), x / T(6) + T(0.5)));
    case ActKind::Softplus: return std::fmax(x, T(0)) + std::log1p(std::exp(-std::fabs(x)));
    case ActKind::Erf: return std::erf(x);
    case ActKind::GeluErf: return T(0.5) * x * std::erfc(-x * T(0.70710678118654752440));  // 1 + erf(u) = erfc(-u)
    case ActKind::GeluTanh:
      return T(0.5) * x * (T(1) + std::tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x)));
  }
  return x;
}

float act_ref(ActKind k, const ActParams& p, float x) { return act_ref_t<float>(k, p, x); }
double act_ref_f64(ActKind k, const ActParams& p, double x) { return act_ref_t<double>(k, p, x); }

void act_f32_scalar(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = act_ref(k, p, x[i]);
}
void prelu_f32_scalar(const float* x, const float* s, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0 ? s[i] * x[i] : x[i];
}

#if defined(__SSE2__)
void act_f32_sse2(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) {
  act_f32_simd<xsimd::sse2>(k, p, x, y, n);
}
void prelu_f32_sse2(const float* x, const float* s, float* y, int64_t n) { prelu_f32_simd<xsimd::sse2>(x, s, y, n); }
#else
void act_f32_sse2(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) { act_f32_scalar(k, p, x, y, n); }
void prelu_f32_sse2(const float* x, const float* s, float* y, int64_t n) { prelu_f32_scalar(x, s, y, n); }
#endif

static bool host_has_avx2() { return isa::avx2_fma(); }

std::vector<ActKernels> act_f32_variants() {
  std::vector<ActKernels> v{{"scalar", act_f32_scalar, prelu_f32_scalar}, {"sse2", act_f32_sse2, prelu_f32_sse2}};
#ifdef RTML_HAVE_AVX2_KERNELS
  if (host_has_avx2()) v.push_back({"avx2", act_f32_avx2, prelu_f32_avx2});
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa::avx512()) v.push_back({"avx512", act_f32_avx512, prelu_f32_avx512});
#endif
  return v;
}

const ActKernels& act_f32() {
  static const ActKernels best = [] {
#ifdef RTML_HAVE_AVX512_KERNELS
    if (isa::avx512()) return ActKernels{"avx512", act_f32_avx512, prelu_f32_avx512};
#endif
#ifdef RTML_HAVE_AVX2_KERNELS
    if (host_has_avx2()) return ActKernels{"avx2", act_f32_avx2, prelu_f32_avx2};
#endif
    return ActKernels{"sse2", act_f32_sse2, prelu_f32_sse2};
  }();
  return best;
}

}  // namespace rtml::kernels
