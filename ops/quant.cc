// ops/quant.cc - int8 inference: QuantizeLinear, DequantizeLinear (per tensor, per axis and
// blocked), MatMulInteger and QLinearMatMul (numpy-style batched products on the int16-widened
// GEMM of ops/kernels/int8.hpp; a constant 2-D B is packed once at load).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/common.hpp"
#include "ops/kernels/int8.hpp"

namespace rtml {
namespace {

template <class T>
T* ptr(const TensorView& v) {
  return static_cast<T*>(v.data);
}

int64_t ival(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::U8: return static_cast<const uint8_t*>(v.data)[i];
    case DType::I8: return static_cast<const int8_t*>(v.data)[i];
    case DType::U16: return static_cast<const uint16_t*>(v.data)[i];
    case DType::I16: return static_cast<const int16_t*>(v.data)[i];
    case DType::I32: return static_cast<const int32_t*>(v.data)[i];
    default: return 0;
  }
}

float fval(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32: return static_cast<const float*>(v.data)[i];
    case DType::F16: return half_to_float(static_cast<const uint16_t*>(v.data)[i]);
    case DType::F64: return static_cast<float>(static_cast<const double*>(v.data)[i]);
    case DType::I32: return static_cast<float>(static_cast<const int32_t*>(v.data)[i]);
    default: return 0;
  }
}

bool int_range(DType t, int64_t* lo, int64_t* hi) {
  switch (t) {
    case DType::U8: *lo = 0, *hi = 255; return true;
    case DType::I8: *lo = -128, *hi = 127; return true;
    case DType::U16: *lo = 0, *hi = 65535; return true;
    case DType::I16: *lo = -32768, *hi = 32767; return true;
    case DType::I32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    default: return false;
  }
}

// ---- QuantizeLinear / DequantizeLinear ---------------------------------------------------------
// x seen as [outer, A, inner] around `axis`; the scale index of element (o, a, i) is
//   per tensor: 0;  per axis: a;  blocked: (o * ceil(A / block) + a / block) * inner + i.
struct QState : OpState {
  int64_t axis = 1;
  int64_t block = 0;
  DType out = DType::U8;
};

struct QPlan : PlanData {
  enum Mode { PerTensor, PerAxis, Blocked } mode = PerTensor;
  int64_t outer = 1, A = 1, inner = 1, ablocks = 1;
  int64_t blk = 1;  // block_size
};

Status q_plan_common(PlanCtx& ctx, const QState& st) {
  const Shape& xs = ctx.in_shape(0);
  const Shape& ss = ctx.in_shape(1);
  auto& p = ctx.make_data<QPlan>();
  if (ctx.has_input(2) && ctx.in_shape(2) != ss)
    return ctx.invalid_input("zero point " + ctx.in_shape(2).str() + " and scale " + ss.str() + " differ in shape");
  if (ss.numel() == 1 && ss.rank() <= 1 && st.block == 0) {
    p.mode = QPlan::PerTensor;
    p.outer = xs.numel();
  } else {
    int64_t axis;
    if (!normalize_axis(st.axis, xs.rank(), &axis))
      return ctx.invalid_input("axis " + std::to_string(st.axis) + " out of range for " + xs.str());
    for (int d = 0; d < axis; ++d) p.outer *= xs[d];
    p.A = xs[axis];
    for (int d = static_cast<int>(axis) + 1; d < xs.rank(); ++d) p.inner *= xs[d];
    if (st.block > 0) {
      p.mode = QPlan::Blocked;
      p.blk = st.block;
      p.ablocks = (p.A + st.block - 1) / st.block;
      Shape want = xs;
      want[static_cast<int>(axis)] = p.ablocks;
      if (ss != want)
        return ctx.invalid_input("blocked scale " + ss.str() + " must be " + want.str() + " for block_size " +
                                 std::to_string(st.block));
    } else {
      p.mode = QPlan::PerAxis;
      if (ss.rank() != 1 || ss[0] != p.A)
        return ctx.invalid_input("per-axis scale " + ss.str() + " must have " + std::to_string(p.A) + " elements");
    }
  }
  ctx.set_out_shape(0, xs);
  return {};
}

template <class F>
void q_loop(const QPlan& p, F&& f) {
  if (p.mode == QPlan::PerTensor) {
    for (int64_t e = 0; e < p.outer; ++e) f(e, 0);
    return;
  }
  int64_t e = 0;
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t a = 0; a < p.A; ++a) {
      const int64_t base = p.mode == QPlan::PerAxis ? a : (o * p.ablocks + a / p.blk) * p.inner;
      for (int64_t i = 0; i < p.inner; ++i, ++e) f(e, p.mode == QPlan::PerAxis ? base : base + i);
    }
}

template <class TOut>
Status quantize_run(const KernelCtx& k) {
  const auto& p = k.plan_data<QPlan>();
  int64_t lo = 0, hi = 0;
  int_range(k.out[0].dtype, &lo, &hi);
  const TensorView& X = k.in[0];
  const TensorView& S = k.in[1];
  const bool has_zp = k.n_in > 2 && k.in[2].data;
  TOut* y = ptr<TOut>(k.out[0]);
  const float flo = static_cast<float>(lo), fhi = static_cast<float>(hi);
  if (X.dtype == DType::F32 && p.mode == QPlan::PerTensor) {  // the hot path
    const float* x = ptr<float>(X);
    const float s = fval(S, 0);
    const float z = has_zp ? static_cast<float>(ival(k.in[2], 0)) : 0.0f;
    for (int64_t e = 0; e < p.outer; ++e)
      y[e] = static_cast<TOut>(std::clamp(std::nearbyint(x[e] / s) + z, flo, fhi));
    return {};
  }
  q_loop(p, [&](int64_t e, int64_t si) {
    const float v = std::nearbyint(fval(X, e) / fval(S, si)) + (has_zp ? static_cast<float>(ival(k.in[2], si)) : 0.0f);
    y[e] = static_cast<TOut>(std::clamp(v, flo, fhi));
  });
  return {};
}

Status quantize_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F16, DType::I32}); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::F32, DType::F16}); !s.ok()) return s;
  if (Status s = ctx.require_input(2, {DType::U8, DType::I8, DType::U16, DType::I16}, false); !s.ok()) return s;
  auto st = std::make_shared<QState>();
  st->axis = ctx.opset() >= 13 ? ctx.attr_int("axis", 1) : 1;
  st->block = ctx.opset() >= 21 ? ctx.attr_int("block_size", 0) : 0;
  int64_t odt = ctx.opset() >= 21 ? ctx.attr_int("output_dtype", 0) : 0;
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (st->block < 0) return ctx.invalid("block_size must be >= 0");
  if (ctx.has_input(2)) {
    st->out = ctx.in_dtype(2);
    if (odt != 0 && odt != static_cast<int64_t>(st->out)) return ctx.invalid("output_dtype differs from y_zero_point's type");
  } else if (odt != 0) {
    int64_t lo, hi;
    if (!dtype_known(static_cast<int32_t>(odt)) || !int_range(static_cast<DType>(odt), &lo, &hi) ||
        odt == static_cast<int64_t>(DType::I32))
      return ctx.unsupported("output_dtype " + std::to_string(odt));
    st->out = static_cast<DType>(odt);
  }
  ctx.set_out(0, st->out);
  ctx.set_state(st);
  return {};
}

Status quantize_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const QState*>(ctx.state);
  if (Status s = q_plan_common(ctx, st); !s.ok()) return s;
  switch (st.out) {
    case DType::U8: ctx.set_kernel(quantize_run<uint8_t>); break;
    case DType::I8: ctx.set_kernel(quantize_run<int8_t>); break;
    case DType::U16: ctx.set_kernel(quantize_run<uint16_t>); break;
    case DType::I16: ctx.set_kernel(quantize_run<int16_t>); break;
    default: return ctx.invalid_input("unexpected output type");
  }
  return {};
}

template <class TOut>
Status dequantize_run(const KernelCtx& k) {
  const auto& p = k.plan_data<QPlan>();
  const TensorView& X = k.in[0];
  const TensorView& S = k.in[1];
  const bool has_zp = k.n_in > 2 && k.in[2].data;
  TOut* y = ptr<TOut>(k.out[0]);
  auto put = [&](int64_t e, float v) {
    if constexpr (std::is_same_v<TOut, float>) y[e] = v;
    else y[e] = float_to_half(v);
  };
  if (X.dtype == DType::U8 && S.dtype == DType::F32 && p.mode == QPlan::PerTensor) {  // the hot path
    const uint8_t* x = ptr<uint8_t>(X);
    const float s = fval(S, 0);
    const int32_t z = has_zp ? static_cast<int32_t>(ival(k.in[2], 0)) : 0;
    for (int64_t e = 0; e < p.outer; ++e) put(e, static_cast<float>(static_cast<int32_t>(x[e]) - z) * s);
    return {};
  }
  q_loop(p, [&](int64_t e, int64_t si) {
    const int64_t z = has_zp ? ival(k.in[2], si) : 0;
    put(e, static_cast<float>(ival(X, e) - z) * fval(S, si));
  });
  return {};
}

Status dequantize_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::U8, DType::I8, DType::I32, DType::U16, DType::I16}); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::F32, DType::F16}); !s.ok()) return s;
  if (Status s = ctx.require_input(2, {ctx.in_dtype(0)}, false); !s.ok()) return s;
  auto st = std::make_shared<QState>();
  st->axis = ctx.opset() >= 13 ? ctx.attr_int("axis", 1) : 1;
  st->block = ctx.opset() >= 21 ? ctx.attr_int("block_size", 0) : 0;
  int64_t odt = ctx.opset() >= 23 ? ctx.attr_int("output_dtype", 0) : 0;
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (st->block < 0) return ctx.invalid("block_size must be >= 0");
  st->out = ctx.in_dtype(1);
  if (odt != 0 && odt != static_cast<int64_t>(st->out))
    return ctx.unsupported("output_dtype other than the scale's type");
  ctx.set_out(0, st->out);
  ctx.set_state(st);
  return {};
}

Status dequantize_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const QState*>(ctx.state);
  if (Status s = q_plan_common(ctx, st); !s.ok()) return s;
  ctx.set_kernel(st.out == DType::F32 ? dequantize_run<float> : dequantize_run<uint16_t>);
  return {};
}

}  // namespace

// Defined in quant_matmul.cc.
void register_quant_matmul_ops(OpRegistry& r);

void register_quant_ops(OpRegistry& r) {
  r.add({"", "QuantizeLinear", 10, 0, quantize_load, quantize_plan});
  r.add({"", "DequantizeLinear", 10, 0, dequantize_load, dequantize_plan});
  register_quant_matmul_ops(r);
}

}  // namespace rtml
