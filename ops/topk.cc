// ops/topk.cc - TopK: the k largest (or smallest) elements along an axis with their indices;
// k as an attribute (opset < 10) or an input; ties keep the lower index first.
#include <algorithm>

#include "ops/common.hpp"

namespace rtml {
namespace {

struct TopKState : OpState {
  int64_t axis = -1;
  int64_t k = -1;  // opset < 10
  bool largest = true;
};

struct TopKPlan : PlanData {
  int64_t outer = 0, n = 0, inner = 0, k = 0;
};

template <class T>
Status topk_run(const KernelCtx& kc) {
  const auto& st = kc.st<TopKState>();
  const auto& p = kc.plan_data<TopKPlan>();
  const T* x = static_cast<const T*>(kc.in[0].data);
  T* vals = static_cast<T*>(kc.out[0].data);
  int64_t* idx_out = kc.n_out > 1 ? static_cast<int64_t*>(kc.out[1].data) : nullptr;
  int64_t* idx = static_cast<int64_t*>(kc.scratch);
  for (int64_t o = 0; o < p.outer; ++o)
    for (int64_t i = 0; i < p.inner; ++i) {
      const T* s = x + o * p.n * p.inner + i;
      for (int64_t j = 0; j < p.n; ++j) idx[j] = j;
      auto before = [&](int64_t a, int64_t b) {
        const T va = s[a * p.inner], vb = s[b * p.inner];
        if (va != vb) return st.largest ? va > vb : va < vb;
        return a < b;
      };
      if (p.k == p.n) std::sort(idx, idx + p.n, before);
      else std::partial_sort(idx, idx + p.k, idx + p.n, before);
      for (int64_t j = 0; j < p.k; ++j) {
        const int64_t o_at = (o * p.k + j) * p.inner + i;
        vals[o_at] = s[idx[j] * p.inner];
        if (idx_out) idx_out[o_at] = idx[j];
      }
    }
  return {};
}

Status topk_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::I8, DType::I16, DType::I32, DType::I64,
                                       DType::U8, DType::U16, DType::U32, DType::U64});
      !s.ok()) {
    if (ctx.in_dtype(0) == DType::F16) return ctx.unsupported("TopK on float16");
    return s;
  }
  auto st = std::make_shared<TopKState>();
  st->axis = ctx.attr_int("axis", -1);
  if (ctx.opset() < 10) {
    if (!ctx.has_attr("k")) return ctx.invalid("k attribute is required");
    st->k = ctx.attr_int("k", -1);
  } else if (Status s = ctx.require_input(1, {DType::I64}); !s.ok()) {
    return s;
  }
  if (ctx.opset() >= 11) st->largest = ctx.attr_int("largest", 1) != 0;
  (void)ctx.attr_int("sorted", 1);  // results are always sorted: a valid order for sorted=0 too
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_out(1, DType::I64);
  ctx.set_state(st);
  return {};
}

Status topk_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const TopKState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  int64_t axis;
  if (!normalize_axis(st.axis, xs.rank(), &axis))
    return ctx.invalid_input("axis " + std::to_string(st.axis) + " out of range for " + xs.str());
  int64_t k = st.k;
  if (ctx.opset() >= 10) {
    const TensorView* kv = ctx.in_value(1);
    if (!kv || kv->numel() != 1) return ctx.invalid_input("K must be a 1-element int64 tensor");
    k = kv->as<int64_t>()[0];
  }
  auto& p = ctx.make_data<TopKPlan>();
  p.outer = 1, p.inner = 1, p.n = xs[static_cast<int>(axis)];
  if (k < 0 || k > p.n) return ctx.invalid_input("K=" + std::to_string(k) + " outside [0, " + std::to_string(p.n) + "]");
  p.k = k;
  for (int d = 0; d < axis; ++d) p.outer *= xs[d];
  for (int d = static_cast<int>(axis) + 1; d < xs.rank(); ++d) p.inner *= xs[d];
  Shape os = xs;
  os[static_cast<int>(axis)] = k;
  ctx.set_out_shape(0, os);
  if (ctx.has_output(1)) ctx.set_out_shape(1, os);
  if (k == 0) p.outer = 0;
  ctx.set_scratch(static_cast<size_t>(std::max<int64_t>(p.n, 1)) * sizeof(int64_t));
  bool ok = visit_numeric(ctx.in_dtype(0), [&](auto t) { ctx.set_kernel(topk_run<decltype(t)>); });
  if (!ok) return ctx.invalid_input("unexpected type");
  return {};
}

}  // namespace

void register_topk_ops(OpRegistry& r) {
  r.add({"", "TopK", 7, 9, topk_load, topk_plan});
  r.add({"", "TopK", 10, 0, topk_load, topk_plan, 1u << 1});
}

}  // namespace rtml
