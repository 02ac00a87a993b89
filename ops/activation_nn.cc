// ops/activation_nn.cc - the neural-network activations: LeakyRelu, PRelu, Elu, Selu, HardSigmoid,
// HardSwish, Softplus, Erf, Gelu (ai.onnx) and the internal rtml:Gelu that the GELU fusion makes
// for models imported below opset 20. float32 runs the xsimd kernels of ops/kernels/act.hpp;
// float64, float16 and (for Erf and PRelu) integer types run scalar loops.
#include <cmath>

#include "ops/common.hpp"
#include "ops/kernels/act.hpp"

namespace rtml {
namespace {

using kernels::ActKind;
using kernels::ActParams;

// Elements per parallel chunk: about 10 microseconds of the cheapest activation; below that the
// wake-up of a worker costs more than it saves.
constexpr int64_t kActGrain = 1 << 15;

template <class T>
T* ptr(const TensorView& v) {
  return static_cast<T*>(v.data);
}

struct ActState : OpState {
  ActKind kind = ActKind::LeakyRelu;
  ActParams p;
};

Status act_run_f32(const KernelCtx& k) {
  const auto& s = k.st<ActState>();
  const float* x = ptr<float>(k.in[0]);
  float* y = ptr<float>(k.out[0]);
  const int64_t n = k.in[0].numel();
  const auto fn = kernels::act_f32().act;
  if (n <= kActGrain) {
    fn(s.kind, s.p, x, y, n);
    return {};
  }
  k.env->pool->parallel_for(n, kActGrain, [&](int64_t b, int64_t e) { fn(s.kind, s.p, x + b, y + b, e - b); });
  return {};
}

Status act_run_f64(const KernelCtx& k) {
  const auto& s = k.st<ActState>();
  const double* x = ptr<double>(k.in[0]);
  double* y = ptr<double>(k.out[0]);
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) y[i] = kernels::act_ref_f64(s.kind, s.p, x[i]);
  return {};
}

Status act_run_f16(const KernelCtx& k) {
  const auto& s = k.st<ActState>();
  const uint16_t* x = ptr<uint16_t>(k.in[0]);
  uint16_t* y = ptr<uint16_t>(k.out[0]);
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) y[i] = float_to_half(kernels::act_ref(s.kind, s.p, half_to_float(x[i])));
  return {};
}

// Erf on integer tensors (opset 9/13 allow every numeric type): erf of the value, rounded.
template <class T>
Status erf_run_int(const KernelCtx& k) {
  const T* x = ptr<T>(k.in[0]);
  T* y = ptr<T>(k.out[0]);
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(std::nearbyint(std::erf(static_cast<double>(x[i]))));
  return {};
}

Status act_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, ctx.in_shape(0));
  ctx.allow_in_place(0, 0);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(act_run_f32); return {};
    case DType::F64: ctx.set_kernel(act_run_f64); return {};
    case DType::F16: ctx.set_kernel(act_run_f16); return {};
    case DType::I8: ctx.set_kernel(erf_run_int<int8_t>); return {};
    case DType::I16: ctx.set_kernel(erf_run_int<int16_t>); return {};
    case DType::I32: ctx.set_kernel(erf_run_int<int32_t>); return {};
    case DType::I64: ctx.set_kernel(erf_run_int<int64_t>); return {};
    case DType::U8: ctx.set_kernel(erf_run_int<uint8_t>); return {};
    case DType::U16: ctx.set_kernel(erf_run_int<uint16_t>); return {};
    case DType::U32: ctx.set_kernel(erf_run_int<uint32_t>); return {};
    case DType::U64: ctx.set_kernel(erf_run_int<uint64_t>); return {};
    default: return ctx.invalid_input("unexpected input type");
  }
}

Status act_load_common(LoadCtx& ctx, ActKind kind, ActParams p, bool ints) {
  Status s = ints ? ctx.require_input(0, {DType::F32, DType::F64, DType::F16, DType::I8, DType::I16, DType::I32,
                                           DType::I64, DType::U8, DType::U16, DType::U32, DType::U64})
                  : ctx.require_input(0, {DType::F32, DType::F64, DType::F16});
  if (!s.ok()) return s;
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  auto st = std::make_shared<ActState>();
  st->kind = kind;
  st->p = p;
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

Status leakyrelu_load(LoadCtx& ctx) {
  return act_load_common(ctx, ActKind::LeakyRelu, {ctx.attr_float("alpha", 0.01f), 0, 0}, false);
}
Status elu_load(LoadCtx& ctx) { return act_load_common(ctx, ActKind::Elu, {ctx.attr_float("alpha", 1.0f), 0, 0}, false); }
Status selu_load(LoadCtx& ctx) {
  ActParams p{ctx.attr_float("alpha", 1.67326319217681884765625f), 0, ctx.attr_float("gamma", 1.05070102214813232421875f)};
  return act_load_common(ctx, ActKind::Selu, p, false);
}
Status hardsigmoid_load(LoadCtx& ctx) {
  return act_load_common(ctx, ActKind::HardSigmoid, {ctx.attr_float("alpha", 0.2f), ctx.attr_float("beta", 0.5f), 0}, false);
}
Status hardswish_load(LoadCtx& ctx) { return act_load_common(ctx, ActKind::HardSwish, {}, false); }
Status softplus_load(LoadCtx& ctx) { return act_load_common(ctx, ActKind::Softplus, {}, false); }
Status erf_load(LoadCtx& ctx) { return act_load_common(ctx, ActKind::Erf, {}, true); }
Status gelu_load(LoadCtx& ctx) {
  std::string approx = ctx.attr_string("approximate", "none");
  if (approx != "none" && approx != "tanh") return ctx.invalid("approximate must be 'none' or 'tanh', not '" + approx + "'");
  return act_load_common(ctx, approx == "tanh" ? ActKind::GeluTanh : ActKind::GeluErf, {}, false);
}

// ---- PRelu: slope broadcast (unidirectionally) to X ----------------------------------------
Status prelu_load(LoadCtx& ctx) {
  std::initializer_list<DType> types = {DType::F32, DType::F64, DType::F16, DType::I32, DType::I64, DType::U32, DType::U64};
  if (Status s = ctx.require_input(0, types); !s.ok()) return s;
  if (Status s = ctx.require_input(1, types); !s.ok()) return s;
  if (ctx.in_dtype(1) != ctx.in_dtype(0)) return ctx.invalid("slope and X have different types");
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

// X seen as [outer..., inner]: `inner` trailing elements share one slope value (inner_const) or
// read `inner` consecutive slopes; the outer dims give the slope offset through sstride.
struct PReluPlan : PlanData {
  int rank = 0;               // outer dims
  int64_t dims[Shape::kMaxRank] = {};
  int64_t sstride[Shape::kMaxRank] = {};
  int64_t inner = 1;
  bool inner_const = false;
  int64_t outer = 1;
  int64_t slope_offset(int64_t o) const {
    int64_t off = 0;
    for (int d = rank - 1; d >= 0; --d) {
      off += (o % dims[d]) * sstride[d];
      o /= dims[d];
    }
    return off;
  }
};

template <class T>
void prelu_span(const T* x, const T* s, T* y, int64_t n, bool scalar_slope) {
  if constexpr (std::is_same_v<T, float>) {
    if (scalar_slope) kernels::act_f32().act(ActKind::LeakyRelu, {s[0], 0, 0}, x, y, n);
    else kernels::act_f32().prelu(x, s, y, n);
  } else if constexpr (std::is_same_v<T, uint16_t>) {  // float16
    for (int64_t i = 0; i < n; ++i) {
      float v = half_to_float(x[i]);
      y[i] = v < 0 ? float_to_half(v * half_to_float(s[scalar_slope ? 0 : i])) : x[i];
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      T v = x[i];
      y[i] = v < T(0) ? static_cast<T>(s[scalar_slope ? 0 : i] * v) : v;
    }
  }
}

template <class T>
Status prelu_run(const KernelCtx& k) {
  const auto& p = k.plan_data<PReluPlan>();
  const T* x = ptr<T>(k.in[0]);
  const T* s = ptr<T>(k.in[1]);
  T* y = ptr<T>(k.out[0]);
  auto body = [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o)
      prelu_span<T>(x + o * p.inner, s + p.slope_offset(o), y + o * p.inner, p.inner, p.inner_const);
  };
  const int64_t grain = std::max<int64_t>(1, kActGrain / std::max<int64_t>(p.inner, 1));
  if (p.outer * p.inner <= kActGrain) body(0, p.outer);
  else k.env->pool->parallel_for(p.outer, grain, body);
  return {};
}

Status prelu_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  const Shape& ss = ctx.in_shape(1);
  Shape b;
  if (ss.rank() > xs.rank() || !broadcast_shapes(xs, ss, &b) || b != xs)
    return ctx.invalid_input("slope " + ss.str() + " does not broadcast to X " + xs.str());
  const int r = xs.rank();
  // Slope strides in X's index space (0 where the slope is broadcast).
  int64_t str[Shape::kMaxRank] = {};
  int64_t acc = 1;
  for (int d = r - 1; d >= 0; --d) {
    int sd = d - (r - ss.rank());
    int64_t dim = sd >= 0 ? ss[sd] : 1;
    str[d] = dim == 1 ? 0 : acc;
    acc *= dim;
  }
  auto& p = ctx.make_data<PReluPlan>();
  int split = r;  // dims [split, r) form the inner block
  if (r > 0 && str[r - 1] == 0) {
    p.inner_const = true;
    while (split > 0 && str[split - 1] == 0) p.inner *= xs[--split];
  } else {
    int64_t expect = 1;
    while (split > 0 && (str[split - 1] == expect || xs[split - 1] == 1)) {
      if (xs[split - 1] != 1) expect *= xs[split - 1];
      p.inner *= xs[--split];
    }
  }
  p.rank = split;
  for (int d = 0; d < split; ++d) p.dims[d] = xs[d], p.sstride[d] = str[d], p.outer *= xs[d];
  if (p.inner == 0) p.outer = 0;
  ctx.set_out_shape(0, xs);
  ctx.allow_in_place(0, 0);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(prelu_run<float>); return {};
    case DType::F64: ctx.set_kernel(prelu_run<double>); return {};
    case DType::F16: ctx.set_kernel(prelu_run<uint16_t>); return {};
    case DType::I32: ctx.set_kernel(prelu_run<int32_t>); return {};
    case DType::I64: ctx.set_kernel(prelu_run<int64_t>); return {};
    case DType::U32: ctx.set_kernel(prelu_run<uint32_t>); return {};
    case DType::U64: ctx.set_kernel(prelu_run<uint64_t>); return {};
    default: return ctx.invalid_input("unexpected input type");
  }
}

}  // namespace

void register_activation_nn_ops(OpRegistry& r) {
  r.add({"", "LeakyRelu", 7, 0, leakyrelu_load, act_plan});
  r.add({"", "Elu", 7, 0, elu_load, act_plan});
  r.add({"", "Selu", 7, 0, selu_load, act_plan});
  r.add({"", "HardSigmoid", 7, 0, hardsigmoid_load, act_plan});
  r.add({"", "HardSwish", 14, 0, hardswish_load, act_plan});
  r.add({"", "Softplus", 7, 0, softplus_load, act_plan});
  r.add({"", "Erf", 9, 0, erf_load, act_plan});
  r.add({"", "Gelu", 20, 0, gelu_load, act_plan});
  r.add({"rtml", "Gelu", 1, 0, gelu_load, act_plan});  // made by the GELU fusion at any opset
  r.add({"", "PRelu", 7, 0, prelu_load, prelu_plan});
}

}  // namespace rtml
