// act.hpp - element-wise neural-network activations on float32 (LeakyRelu, Elu, Selu,
// HardSigmoid, HardSwish, Softplus, Erf, Gelu with both approximations, PRelu runs).
// One scalar reference, an SSE2 (portable) and an AVX2+FMA variant of one xsimd template
// (act_simd.hpp); act_f32() picks the best variant once per process.
#pragma once

#include <cstdint>
#include <vector>

namespace rtml::kernels {

enum class ActKind : int32_t {
  LeakyRelu,    // x < 0 ? alpha * x : x
  Elu,          // x < 0 ? alpha * (exp(x) - 1) : x
  Selu,         // gamma * (x <= 0 ? alpha * (exp(x) - 1) : x)
  HardSigmoid,  // max(0, min(1, alpha * x + beta))
  HardSwish,    // x * max(0, min(1, x / 6 + 1 / 2))
  Softplus,     // log(1 + exp(x))
  Erf,          // erf(x)
  GeluErf,      // x / 2 * (1 + erf(x / sqrt(2)))
  GeluTanh,     // x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))
};

struct ActParams {
  float alpha = 0, beta = 0, gamma = 0;
};

// y[i] = act(x[i]) for i in [0, n); x and y may be the same buffer.
using ActF32Fn = void (*)(ActKind, const ActParams&, const float* x, float* y, int64_t n);
// y[i] = x[i] < 0 ? slope[i] * x[i] : x[i]; x and y may be the same buffer.
using PReluF32Fn = void (*)(const float* x, const float* slope, float* y, int64_t n);

struct ActKernels {
  const char* name;
  ActF32Fn act;
  PReluF32Fn prelu;
};

// The variant for this processor (chosen once).
const ActKernels& act_f32();
// Every variant this processor can run, the scalar reference first (for tests).
std::vector<ActKernels> act_f32_variants();

// The scalar reference of one element (used for tails and by other dtypes through float).
float act_ref(ActKind k, const ActParams& p, float x);
double act_ref_f64(ActKind k, const ActParams& p, double x);

void act_f32_scalar(ActKind, const ActParams&, const float*, float*, int64_t);
void prelu_f32_scalar(const float*, const float*, float*, int64_t);
void act_f32_sse2(ActKind, const ActParams&, const float*, float*, int64_t);
void prelu_f32_sse2(const float*, const float*, float*, int64_t);
#ifdef RTML_HAVE_AVX2_KERNELS
void act_f32_avx2(ActKind, const ActParams&, const float*, float*, int64_t);
void prelu_f32_avx2(const float*, const float*, float*, int64_t);
void act_f32_avx512(ActKind, const ActParams&, const float*, float*, int64_t);
void prelu_f32_avx512(const float*, const float*, float*, int64_t);
#endif

}  // namespace rtml::kernels
