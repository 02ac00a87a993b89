// act_simd.hpp - the activation kernels written once on an xsimd architecture; act.cc and
// act_avx2.cc instantiate them. Tails go through the scalar reference (act_ref).
#pragma once

#include <xsimd/xsimd.hpp>

#include "ops/kernels/act.hpp"

namespace rtml::kernels {

template <class Arch, class F>
inline void act_loop(const float* x, float* y, int64_t n, F&& f, ActKind k, const ActParams& p) {
  using B = xsimd::batch<float, Arch>;
  constexpr int64_t W = B::size;
  int64_t i = 0;
  for (; i + W <= n; i += W) f(B::load_unaligned(x + i)).store_unaligned(y + i);
  for (; i < n; ++i) y[i] = act_ref(k, p, x[i]);
}

template <class Arch>
void act_f32_simd(ActKind k, const ActParams& p, const float* x, float* y, int64_t n) {
  using B = xsimd::batch<float, Arch>;
  const B zero(0.0f), one(1.0f), half(0.5f);
  const B alpha(p.alpha), beta(p.beta), gamma(p.gamma);
  switch (k) {
    case ActKind::LeakyRelu:
      act_loop<Arch>(x, y, n, [&](B v) { return xsimd::select(v < zero, v * alpha, v); }, k, p);
      break;
    case ActKind::Elu:
      act_loop<Arch>(x, y, n, [&](B v) { return xsimd::select(v < zero, alpha * xsimd::expm1(v), v); }, k, p);
      break;
    case ActKind::Selu:
      act_loop<Arch>(x, y, n, [&](B v) {
        return gamma * xsimd::select(v <= zero, alpha * xsimd::expm1(v), v);
      }, k, p);
      break;
    case ActKind::HardSigmoid:
      act_loop<Arch>(x, y, n, [&](B v) { return xsimd::max(zero, xsimd::min(one, xsimd::fma(alpha, v, beta))); }, k, p);
      break;
    case ActKind::HardSwish: {
      const B sixth(1.0f / 6.0f);
      act_loop<Arch>(x, y, n, [&](B v) { return v * xsimd::max(zero, xsimd::min(one, xsimd::fma(v, sixth, half))); }, k, p);
      break;
    }
    case ActKind::Softplus:
      // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large |x|.
      act_loop<Arch>(x, y, n, [&](B v) { return xsimd::max(v, zero) + xsimd::log1p(xsimd::exp(-xsimd::abs(v))); }, k, p);
      break;
    case ActKind::Erf:
      act_loop<Arch>(x, y, n, [&](B v) { return xsimd::erf(v); }, k, p);
      break;
    case ActKind::GeluErf: {
      const B rsqrt2(0.70710678118654752440f);
      act_loop<Arch>(x, y, n, [&](B v) { return half * v * (one + xsimd::erf(v * rsqrt2)); }, k, p);
      break;
    }
    case ActKind::GeluTanh: {
      const B c(0.79788456080286535588f), c3(0.044715f);
      act_loop<Arch>(x, y, n, [&](B v) {
        B inner = c * xsimd::fma(c3 * v, v * v, v);
        return half * v * (one + xsimd::tanh(inner));
      }, k, p);
      break;
    }
  }
}

template <class Arch>
void prelu_f32_simd(const float* x, const float* slope, float* y, int64_t n) {
  using B = xsimd::batch<float, Arch>;
  constexpr int64_t W = B::size;
  const B zero(0.0f);
  int64_t i = 0;
  for (; i + W <= n; i += W) {
    B v = B::load_unaligned(x + i);
    xsimd::select(v < zero, v * B::load_unaligned(slope + i), v).store_unaligned(y + i);
  }
  for (; i < n; ++i) y[i] = x[i] < 0 ? slope[i] * x[i] : x[i];
}

}  // namespace rtml::kernels
