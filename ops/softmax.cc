// ops/softmax.cc - Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at `axis`
// (default 1) and each row [axis:] is normalised; from 13 one axis (default -1) is normalised.
// Both become [outer, n, inner]: float32 runs ops/kernels/softmax.hpp (rows when inner == 1,
// vertical columns otherwise); float16 and double run the scalar loop here (float16 in float).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ops/common.hpp"
#include "ops/kernels/softmax.hpp"

namespace rtml {
namespace {

struct SoftmaxState : OpState {
  int64_t axis = -1;
  bool coerce_2d = false;  // opset < 13
  bool log = false;
};

struct SoftmaxPlan : PlanData {
  int64_t O = 0, N = 0, I = 0;
};

template <bool log>
Status softmax_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::F16}); !s.ok()) return s;
  auto st = std::make_shared<SoftmaxState>();
  st->coerce_2d = ctx.opset() < 13;
  st->axis = ctx.attr_int("axis", st->coerce_2d ? 1 : -1);
  st->log = log;
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

Status f32_run(const KernelCtx& k) {
  const auto& p = k.plan_data<SoftmaxPlan>();
  const bool log = k.st<SoftmaxState>().log;
  const SoftmaxKernels& kk = softmax_kernels();
  const float* x = k.in[0].as<const float>();
  float* y = k.out[0].as<float>();
  if (p.N == 0) return {};
  const int64_t block = p.N * p.I;
  auto part = [&](int64_t b, int64_t e) {
    if (p.I == 1) {
      kk.rows(x + b * p.N, e - b, p.N, y + b * p.N, log);
    } else {
      float* scratch = static_cast<float*>(k.scratch);  // 2 * I floats; this path stays on one thread
      for (int64_t o = b; o < e; ++o) kk.cols(x + o * block, p.N, p.I, y + o * block, scratch, log);
    }
  };
  // Why 1 << 14 elements per chunk: exp costs ~10 cycles/element; below that, a thread
  // hand-off costs more than the work.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 14) / std::max<int64_t>(block, 1));
  if (p.I == 1 && p.O > grain && k.env->pool->threads() > 1) k.env->pool->parallel_for(p.O, grain, part);
  else part(0, p.O);
  return {};
}

template <class T>
inline double to_d(T v) {
  if constexpr (std::is_same_v<T, uint16_t>) return half_to_float(v);
  else return v;
}
template <class T, class V>
inline T from_v(V v) {
  if constexpr (std::is_same_v<T, uint16_t>) return float_to_half(static_cast<float>(v));
  else return static_cast<T>(v);
}

// float16 (V = float) and double (V = double): strided scalar loop over [O, N, I].
template <class T, class V>
Status scalar_run(const KernelCtx& k) {
  const auto& p = k.plan_data<SoftmaxPlan>();
  const bool log = k.st<SoftmaxState>().log;
  const T* x = k.in[0].as<const T>();
  T* y = k.out[0].as<T>();
  for (int64_t o = 0; o < p.O; ++o)
    for (int64_t i = 0; i < p.I; ++i) {
      const T* xs = x + o * p.N * p.I + i;
      T* ys = y + o * p.N * p.I + i;
      V m = -std::numeric_limits<V>::infinity();
      for (int64_t n = 0; n < p.N; ++n) m = std::max(m, static_cast<V>(to_d(xs[n * p.I])));
      V s = 0;
      for (int64_t n = 0; n < p.N; ++n) s += std::exp(static_cast<V>(to_d(xs[n * p.I])) - m);
      const V inv = V(1) / s, sub = m + std::log(s);
      for (int64_t n = 0; n < p.N; ++n) {
        const V v = static_cast<V>(to_d(xs[n * p.I]));
        ys[n * p.I] = from_v<T, V>(log ? v - sub : std::exp(v - m) * inv);
      }
    }
  return {};
}

Status softmax_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const SoftmaxState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  const int r = in.rank();
  auto& p = ctx.make_data<SoftmaxPlan>();
  p.O = 1, p.N = 1, p.I = 1;
  int64_t axis = st.axis;
  if (st.coerce_2d) {
    // [-r, r]: axis == r gives rows of one element (ONNX Runtime accepts it as well).
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) return ctx.invalid_input("axis out of range for " + in.str());
    for (int i = 0; i < r; ++i) (i < axis ? p.O : p.N) *= in[i];
  } else {
    if (r == 0) return ctx.invalid_input("Softmax needs an input of rank >= 1");
    if (!normalize_axis(st.axis, r, &axis)) return ctx.invalid_input("axis out of range for " + in.str());
    for (int i = 0; i < r; ++i) {
      if (i < axis) p.O *= in[i];
      else if (i == axis) p.N = in[i];
      else p.I *= in[i];
    }
  }
  ctx.set_out_shape(0, in);
  ctx.allow_in_place(0, 0);
  switch (ctx.in_dtype(0)) {
    case DType::F32:
      ctx.set_kernel(&f32_run);
      if (p.I > 1) ctx.set_scratch(static_cast<size_t>(2 * p.I) * sizeof(float));
      break;
    case DType::F64: ctx.set_kernel(&scalar_run<double, double>); break;
    default: ctx.set_kernel(&scalar_run<uint16_t, float>); break;
  }
  return {};
}

}  // namespace

void register_softmax_ops(OpRegistry& r) {
  r.add({"", "Softmax", 1, 0, softmax_load<false>, softmax_plan});
  r.add({"", "LogSoftmax", 1, 0, softmax_load<true>, softmax_plan});
}

}  // namespace rtml
