// act_simd.hpp - the activation kernels written once on an xsimd architecture; act.cc and
// act_avx2.cc instantiate them. Tails go through the scalar reference (act_ref).
#pragma once

#include <initializer_list>

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

// erf on a batch, and 1 + erf without cancellation for very negative arguments. Two ranges:
//   |u| < 0.92: erf(u) = u * P(u^2)                       (P: degree 6, relative error < 1e-7)
//   otherwise:  erfc(|u|) = exp(R(|u| - 2.46) - u^2)      (R: degree 8 on [0.92, 4], abs error
//               in the exponent < 5e-8, i.e. relative error of erfc); erfc = 0 past |u| = 4.
// Coefficients: least-squares fits to math.erf / math.erfc made for this file.
template <class B>
inline B horner(B x, std::initializer_list<float> c) {
  auto it = c.begin();
  B r(*it++);
  for (; it != c.end(); ++it) r = xsimd::fma(r, x, B(*it));
  return r;
}

// e^x: x = n ln2 + r (Cody-Waite, |r| <= ln2 / 2), e^r by its Taylor polynomial to r^6 (relative
// error < 2e-7), 2^n written into the exponent bits. x is clamped to [-87.3, 88.3] (normal results).
template <class B>
inline B fast_exp(B x) {
  using I = xsimd::batch<int32_t, typename B::arch_type>;
  x = xsimd::min(xsimd::max(x, B(-87.3f)), B(88.3f));
  const B n = xsimd::nearbyint(x * B(1.44269504088896341f));
  B r = xsimd::fma(n, B(-0.693145751953125f), x);
  r = xsimd::fma(n, B(-1.428606765330187e-06f), r);
  const B p = horner(r, {1.0f / 720, 1.0f / 120, 1.0f / 24, 1.0f / 6, 0.5f, 1.0f, 1.0f});
  const I e = (xsimd::to_int(n) + I(127)) << 23;
  return p * xsimd::bitwise_cast<B>(e);
}

template <class B>
inline void erf_parts(B u, B* small_erf, B* erfc_abs, xsimd::batch_bool<float, typename B::arch_type>* is_small) {
  const B a = xsimd::abs(u), z = u * u;
  *is_small = a < B(0.92f);
  *small_erf = u * horner(z, {8.423136295e-05f, -8.156582388e-04f, 5.202415820e-03f, -2.686005010e-02f,
                              1.128371000e-01f, -3.761263503e-01f, 1.128379167e+00f});
  const B t = xsimd::min(a, B(4.0f)) - B(2.46f);
  const B r = horner(t, {1.612893220e-06f, -1.382519152e-05f, 8.119851293e-05f, -4.391749331e-04f,
                         2.251069922e-03f, -1.121176234e-02f, 5.743044203e-02f, -3.572218712e-01f,
                         -1.542617579e+00f});
  *erfc_abs = xsimd::select(a > B(4.0f), B(0.0f), fast_exp(r - xsimd::min(z, B(16.0f))));
}

template <class B>
inline B fast_erf(B u) {
  B p, e;
  xsimd::batch_bool<float, typename B::arch_type> small;
  erf_parts(u, &p, &e, &small);
  const B big = B(1.0f) - e;
  const B r = xsimd::select(small, p, xsimd::select(u < B(0.0f), -big, big));
  return xsimd::select(u != u, u, r);  // NaN stays NaN
}

template <class B>
inline B fast_one_plus_erf(B u) {
  B p, e;
  xsimd::batch_bool<float, typename B::arch_type> small;
  erf_parts(u, &p, &e, &small);
  const B r = xsimd::select(small, B(1.0f) + p, xsimd::select(u < B(0.0f), e, B(2.0f) - e));
  return xsimd::select(u != u, u, r);
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
      act_loop<Arch>(x, y, n, [&](B v) { return fast_erf(v); }, k, p);
      break;
    case ActKind::GeluErf: {
      const B rsqrt2(0.70710678118654752440f);
      act_loop<Arch>(x, y, n, [&](B v) { return half * v * fast_one_plus_erf(v * rsqrt2); }, k, p);
      break;
    }
    case ActKind::GeluTanh: {
      // x / 2 * (1 + tanh(y)) = x / (1 + e^(-2y)): no cancellation for very negative x
      const B c(-2.0f * 0.79788456080286535588f), c3(0.044715f);
      act_loop<Arch>(x, y, n, [&](B v) {
        B m2y = c * xsimd::fma(c3 * v, v * v, v);
        return v / (one + fast_exp(m2y));
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
