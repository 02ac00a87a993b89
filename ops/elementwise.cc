// ops/elementwise.cc - one-input element-wise ops: Abs Neg Sign Relu Sqrt Exp Log Reciprocal
// Floor Ceil Round Sigmoid Tanh Not, and Clip (min/max attributes before opset 11, optional
// inputs from 11, integer types from 12). Loops: the ISA table of ops/kernels/elementwise.hpp;
// float16 goes through float in stack chunks; big tensors split across the pool.
#include <cfloat>
#include <cstring>
#include <limits>

#include "ops/broadcast.hpp"
#include "ops/common.hpp"
#include "ops/kernels/elementwise.hpp"

namespace rtml {
namespace {

struct UnState : OpState {
  UnOp op = UnOp::Abs;
  DType t = DType::Undefined;
  float attr_min = -FLT_MAX, attr_max = FLT_MAX;  // Clip before opset 11
};

struct UnPlan : PlanData {
  UnFn fn = nullptr;
  ClipFn clip = nullptr;
  int64_t n = 0;
  bool f16 = false;
  bool par = false;
};


// Calls f(begin, end) over [0, n), split across the pool when the plan says so.
template <class F>
void split(const UnPlan& p, ThreadPool* pool, F&& f) {
  if (!p.par) {
    f(int64_t(0), p.n);
    return;
  }
  pool->parallel_for(p.n, kParallelGrain, [&](int64_t b, int64_t e) { f(b, e); });
}

Status un_flat_run(const KernelCtx& k) {
  const UnPlan& p = k.plan_data<UnPlan>();
  p.fn(k.in[0].data, k.out[0].data, p.n);
  return {};
}

Status un_run(const KernelCtx& k) {
  const UnPlan& p = k.plan_data<UnPlan>();
  const size_t es = dtype_size(k.in[0].dtype);
  const char* x = static_cast<const char*>(k.in[0].data);
  char* y = static_cast<char*>(k.out[0].data);
  if (!p.f16) {
    split(p, k.env->pool, [&](int64_t b, int64_t e) { p.fn(x + b * es, y + b * es, e - b); });
    return {};
  }
  split(p, k.env->pool, [&](int64_t b, int64_t e) {
    float buf[kF16Chunk];
    const uint16_t* hx = reinterpret_cast<const uint16_t*>(x);
    uint16_t* hy = reinterpret_cast<uint16_t*>(y);
    for (int64_t i = b; i < e; i += kF16Chunk) {
      const int64_t c = e - i < kF16Chunk ? e - i : kF16Chunk;
      f16_to_f32(hx + i, buf, c);
      p.fn(buf, buf, c);
      f32_to_f16(buf, hy + i, c);
    }
  });
  return {};
}

Status un_plan(PlanCtx& ctx) {
  const UnState& st = *static_cast<const UnState*>(ctx.state);
  ctx.set_out_shape(0, ctx.in_shape(0));
  auto& p = ctx.make_data<UnPlan>();
  EwType et;
  if (!ew_type_of(st.t, &et)) return ctx.invalid_input("unsupported type");
  p.fn = ew_kernels().un[static_cast<int>(st.op)][static_cast<int>(et)];
  if (!p.fn) return ctx.invalid_input(std::string("no kernel for type ") + dtype_name(st.t));
  p.n = ctx.in_shape(0).numel();
  p.f16 = st.t == DType::F16;
  p.par = ctx.threads() > 1 && p.n >= kParallelMinElems;
  ctx.set_kernel(!p.f16 && !p.par ? &un_flat_run : &un_run);
  ctx.allow_in_place(0, 0);
  return {};
}

const std::initializer_list<DType> kFloats = {DType::F32, DType::F64, DType::F16};
const std::initializer_list<DType> kNumeric = {DType::F32, DType::F64, DType::F16, DType::I8,
                                               DType::I16, DType::I32, DType::I64, DType::U8,
                                               DType::U16, DType::U32, DType::U64};

enum class Types { Float, Numeric, Bool };

template <UnOp OP, Types TY>
Status un_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 1) return ctx.invalid("expects 1 input");
  Status s = TY == Types::Float     ? ctx.require_input(0, kFloats)
             : TY == Types::Numeric ? ctx.require_input(0, kNumeric)
                                    : ctx.require_input(0, {DType::Bool});
  if (!s.ok()) return s;
  auto st = std::make_shared<UnState>();
  st->op = OP;
  st->t = ctx.in_dtype(0);
  ctx.set_out(0, st->t);
  ctx.set_state(st);
  return {};
}

// ---- Clip -------------------------------------------------------------------------------------
template <class T>
T lowest_of() { return std::numeric_limits<T>::lowest(); }
template <class T>
T highest_of() { return std::numeric_limits<T>::max(); }

template <class T>
Status clip_run_t(const KernelCtx& k) {
  const UnPlan& p = k.plan_data<UnPlan>();
  const UnState& st = k.st<UnState>();
  T lo = lowest_of<T>(), hi = highest_of<T>();
  if (k.node->opset < 11) {
    lo = static_cast<T>(st.attr_min);
    hi = static_cast<T>(st.attr_max);
  } else {
    if (k.n_in > 1 && k.in[1].data) lo = *static_cast<const T*>(k.in[1].data);
    if (k.n_in > 2 && k.in[2].data) hi = *static_cast<const T*>(k.in[2].data);
  }
  const T* x = static_cast<const T*>(k.in[0].data);
  T* y = static_cast<T*>(k.out[0].data);
  split(p, k.env->pool, [&](int64_t b, int64_t e) { p.clip(x + b, y + b, e - b, &lo, &hi); });
  return {};
}

Status clip_run_f16(const KernelCtx& k) {
  const UnPlan& p = k.plan_data<UnPlan>();
  const UnState& st = k.st<UnState>();
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (k.node->opset < 11) {
    lo = st.attr_min;
    hi = st.attr_max;
  } else {
    if (k.n_in > 1 && k.in[1].data) lo = half_to_float(*static_cast<const uint16_t*>(k.in[1].data));
    if (k.n_in > 2 && k.in[2].data) hi = half_to_float(*static_cast<const uint16_t*>(k.in[2].data));
  }
  const uint16_t* x = static_cast<const uint16_t*>(k.in[0].data);
  uint16_t* y = static_cast<uint16_t*>(k.out[0].data);
  split(p, k.env->pool, [&](int64_t b, int64_t e) {
    float buf[kF16Chunk];
    for (int64_t i = b; i < e; i += kF16Chunk) {
      const int64_t c = e - i < kF16Chunk ? e - i : kF16Chunk;
      f16_to_f32(x + i, buf, c);
      p.clip(buf, buf, c, &lo, &hi);
      f32_to_f16(buf, y + i, c);
    }
  });
  return {};
}

Status clip_plan(PlanCtx& ctx) {
  const UnState& st = *static_cast<const UnState*>(ctx.state);
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.in_shape(i).numel() != 1)
      return ctx.invalid_input("Clip min/max must hold one element, got shape " + ctx.in_shape(i).str());
  ctx.set_out_shape(0, ctx.in_shape(0));
  auto& p = ctx.make_data<UnPlan>();
  EwType et;
  if (!ew_type_of(st.t, &et)) return ctx.invalid_input("unsupported type");
  p.clip = ew_kernels().clip[static_cast<int>(et)];
  p.n = ctx.in_shape(0).numel();
  p.f16 = st.t == DType::F16;
  p.par = ctx.threads() > 1 && p.n >= kParallelMinElems;
  KernelFn fn = nullptr;
  if (p.f16) fn = &clip_run_f16;
  else visit_numeric(st.t, [&](auto t) { fn = &clip_run_t<decltype(t)>; });
  if (!fn || !p.clip) return ctx.invalid_input("unsupported Clip type");
  ctx.set_kernel(fn);
  ctx.allow_in_place(0, 0);
  return {};
}

Status clip_load(LoadCtx& ctx) {
  if (ctx.num_inputs() < 1 || ctx.num_inputs() > 3) return ctx.invalid("expects 1 to 3 inputs");
  auto st = std::make_shared<UnState>();
  st->op = UnOp::Abs;  // unused
  if (ctx.opset() < 11) {
    if (Status s = ctx.require_input(0, kFloats); !s.ok()) return s;
    if (ctx.num_inputs() != 1) return ctx.invalid("Clip before opset 11 takes one input");
    st->attr_min = ctx.attr_float("min", -FLT_MAX);
    st->attr_max = ctx.attr_float("max", FLT_MAX);
  } else {
    if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
    for (int i = 1; i < 3; ++i)
      if (ctx.has_input(i) && ctx.in_dtype(i) != ctx.in_dtype(0))
        return ctx.invalid("Clip min/max must have the input's type");
  }
  st->t = ctx.in_dtype(0);
  ctx.set_out(0, st->t);
  ctx.set_state(st);
  return {};
}

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  r.add({"", "Abs", 7, 0, un_load<UnOp::Abs, Types::Numeric>, un_plan});
  r.add({"", "Neg", 7, 0, un_load<UnOp::Neg, Types::Numeric>, un_plan});
  r.add({"", "Sign", 9, 0, un_load<UnOp::Sign, Types::Numeric>, un_plan});
  r.add({"", "Relu", 7, 0, un_load<UnOp::Relu, Types::Numeric>, un_plan});
  r.add({"", "Sqrt", 7, 0, un_load<UnOp::Sqrt, Types::Float>, un_plan});
  r.add({"", "Exp", 7, 0, un_load<UnOp::Exp, Types::Float>, un_plan});
  r.add({"", "Log", 7, 0, un_load<UnOp::Log, Types::Float>, un_plan});
  r.add({"", "Reciprocal", 7, 0, un_load<UnOp::Reciprocal, Types::Float>, un_plan});
  r.add({"", "Floor", 7, 0, un_load<UnOp::Floor, Types::Float>, un_plan});
  r.add({"", "Ceil", 7, 0, un_load<UnOp::Ceil, Types::Float>, un_plan});
  r.add({"", "Round", 11, 0, un_load<UnOp::Round, Types::Float>, un_plan});
  r.add({"", "Sigmoid", 7, 0, un_load<UnOp::Sigmoid, Types::Float>, un_plan});
  r.add({"", "Tanh", 7, 0, un_load<UnOp::Tanh, Types::Float>, un_plan});
  r.add({"", "Not", 7, 0, un_load<UnOp::Not, Types::Bool>, un_plan});
  r.add({"", "Clip", 7, 0, clip_load, clip_plan});
}

}  // namespace rtml
