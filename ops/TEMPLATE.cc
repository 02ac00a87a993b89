// ops/TEMPLATE.cc - how to add an operator (not compiled). Copy the pieces into the family file
// that owns the op (ops/ops.inc lists the families), then add a test in tests/ops/.
//
// Example: ai.onnx.ml Binarizer-like op "Thresh": Y = X > threshold ? 1 : 0, float or double.
#include "engine/op.hpp"

namespace rtml {
namespace {

// 1. State built once at load: immutable, shared by all sessions/threads.
struct ThreshState : OpState {
  double threshold = 0;
};

// 2. load: check attributes and input types, set output types, build the state. Errors name the
//    node automatically (ctx.invalid / ctx.unsupported).
Status thresh_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64}); !s.ok()) return s;
  auto st = std::make_shared<ThreshState>();
  st->threshold = ctx.attr_float("threshold", 0.0f);
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

// 3. The kernel: runs every time, no allocation, no exceptions. Pointers come from the plan.
template <class T>
Status thresh_run(const KernelCtx& k) {
  const T* x = k.in[0].as<T>();
  T* y = k.out[0].as<T>();
  const T t = static_cast<T>(k.st<ThreshState>().threshold);
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > t ? T(1) : T(0);
  return {};
}

// 4. plan: concrete shapes are known here. Set output shapes, pick the kernel, declare scratch,
//    aliasing or in-place. Bad shapes -> ctx.invalid_input("why").
Status thresh_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, ctx.in_shape(0));
  ctx.set_kernel(ctx.in_dtype(0) == DType::F32 ? &thresh_run<float> : &thresh_run<double>);
  ctx.allow_in_place(0, 0);  // y may share x's buffer: each element is read before it is written
  return {};
}

}  // namespace

// 5. Registration: one OpDef per (domain, name, opset range).
void register_template_ops(OpRegistry& r) {
  r.add({"ai.onnx.ml", "Thresh", 1, 0, thresh_load, thresh_plan});
}

}  // namespace rtml
