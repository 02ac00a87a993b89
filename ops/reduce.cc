// ops/reduce.cc - ReduceSum/Mean/Max/Min/Prod/L2 and ArgMax/ArgMin, every opset from 1 on
// (axes as an attribute, then as input 1 from opset 13 for ReduceSum and 18 for the others,
// with noop_with_empty_axes), keepdims, every numeric type, float16 and (Max/Min) bool.
//
// The plan merges neighbouring input dims that are all reduced or all kept. When that leaves
// [outer, reduced, inner], float32 runs the SIMD loops of ops/kernels/reduce.hpp; everything
// else runs one generic loop that walks the input once and accumulates into scratch.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "ops/kernels/reduce.hpp"

namespace rtml {
namespace {

enum class Post : uint8_t { None, Mean, Sqrt };

struct ReduceState : OpState {
  RedOp op = RedOp::Sum;
  Post post = Post::None;
  bool keepdims = true;
  bool noop_empty = false;
  bool axes_input = false;
  std::vector<int64_t> axes;
};

// Coalesced view of the input (size-1 dims dropped); output strides are 0 on reduced dims.
struct ReducePlan : PlanData {
  int rank = 0;
  int64_t dims[Shape::kMaxRank] = {};
  int64_t ostride[Shape::kMaxRank] = {};
  int64_t out_numel = 0, count = 0;  // count: input elements per output element
  bool fast = false;                 // [O, R, I] with float32
  int64_t O = 1, R = 1, I = 1;
};

// ---- element access: float16 goes through float, integers accumulate with wrap-around -----------

struct Half {
  uint16_t v;
};

template <class T, RedOp op>
struct AccOf {
  using type = std::conditional_t<(op == RedOp::Max || op == RedOp::Min), T,
                                  std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;
};
template <RedOp op>
struct AccOf<float, op> { using type = float; };
template <RedOp op>
struct AccOf<double, op> { using type = double; };
template <RedOp op>
struct AccOf<Half, op> { using type = float; };

template <class Acc, class T>
inline Acc load(T x) { return static_cast<Acc>(x); }
template <>
inline float load<float, Half>(Half x) { return half_to_float(x.v); }

template <class T, class Acc>
inline T store(Acc a) { return static_cast<T>(a); }
template <>
inline Half store<Half, float>(float a) { return Half{float_to_half(a)}; }

template <class Acc, RedOp op>
inline Acc ident() {
  if constexpr (op == RedOp::Max) return std::numeric_limits<Acc>::has_infinity ? -std::numeric_limits<Acc>::infinity()
                                                                                 : std::numeric_limits<Acc>::lowest();
  else if constexpr (op == RedOp::Min) return std::numeric_limits<Acc>::has_infinity ? std::numeric_limits<Acc>::infinity()
                                                                                      : std::numeric_limits<Acc>::max();
  else if constexpr (op == RedOp::Prod) return Acc(1);
  else return Acc(0);
}

template <class Acc, RedOp op>
inline Acc step(Acc a, Acc x) {
  if constexpr (op == RedOp::Sum) return static_cast<Acc>(a + x);
  else if constexpr (op == RedOp::SumSq) return static_cast<Acc>(a + x * x);
  else if constexpr (op == RedOp::Max) return x > a ? x : a;
  else if constexpr (op == RedOp::Min) return x < a ? x : a;
  else return static_cast<Acc>(a * x);
}

template <class T, class Acc>
inline T finish(Acc a, Post post, int64_t count) {
  if constexpr (std::is_floating_point_v<Acc>) {
    if (post == Post::Mean) a = a / static_cast<Acc>(count);
    else if (post == Post::Sqrt) a = std::sqrt(a);
    return store<T, Acc>(a);
  } else {
    using S = std::make_signed_t<Acc>;
    if (post == Post::Mean && count > 0) {
      if constexpr (std::is_signed_v<T>) return static_cast<T>(static_cast<S>(a) / count);
      else return static_cast<T>(a / static_cast<Acc>(count));
    }
    if (post == Post::Sqrt) return static_cast<T>(std::sqrt(static_cast<double>(static_cast<S>(a))));
    return static_cast<T>(a);
  }
}

template <class T, RedOp op>
Status generic_run(const KernelCtx& k) {
  using Acc = typename AccOf<T, op>::type;
  const auto& p = k.plan_data<ReducePlan>();
  const Post post = k.st<ReduceState>().post;
  const T* x = k.in[0].as<const T>();
  T* y = k.out[0].as<T>();
  Acc* acc = static_cast<Acc*>(k.scratch);
  for (int64_t j = 0; j < p.out_numel; ++j) acc[j] = ident<Acc, op>();
  const int r = p.rank;
  if (r > 0 && p.out_numel > 0) {
    const int64_t n = p.dims[r - 1], os = p.ostride[r - 1];
    int64_t rows = 1;
    for (int i = 0; i < r - 1; ++i) rows *= p.dims[i];
    int64_t idx[Shape::kMaxRank] = {};
    int64_t oi = 0;
    for (int64_t row = 0; row < rows; ++row, x += n) {
      if (os == 0) {
        Acc a = acc[oi];
        for (int64_t j = 0; j < n; ++j) a = step<Acc, op>(a, load<Acc>(x[j]));
        acc[oi] = a;
      } else {
        for (int64_t j = 0; j < n; ++j) acc[oi + j] = step<Acc, op>(acc[oi + j], load<Acc>(x[j]));
      }
      for (int i = r - 2; i >= 0; --i) {  // odometer over the outer dims
        oi += p.ostride[i];
        if (++idx[i] < p.dims[i]) break;
        oi -= idx[i] * p.ostride[i];
        idx[i] = 0;
      }
    }
  } else if (r == 0 && p.out_numel == 1 && k.in[0].numel() == 1) {
    acc[0] = step<Acc, op>(acc[0], load<Acc>(x[0]));
  }
  for (int64_t j = 0; j < p.out_numel; ++j) y[j] = finish<T, Acc>(acc[j], post, p.count);
  return {};
}

Status fast_f32_run(const KernelCtx& k) {
  const auto& p = k.plan_data<ReducePlan>();
  const auto& st = k.st<ReduceState>();
  const ReduceKernels& kk = reduce_kernels();
  const float* x = k.in[0].as<const float>();
  float* y = k.out[0].as<float>();
  auto part = [&](int64_t b, int64_t e) {
    if (p.I == 1) {
      kk.rows(st.op, x + b * p.R, e - b, p.R, y + b);
    } else {
      for (int64_t o = b; o < e; ++o) kk.cols(st.op, x + o * p.R * p.I, p.R, p.I, y + o * p.I);
    }
    if (st.post == Post::Mean) {
      const float c = static_cast<float>(p.count);
      for (int64_t j = b * p.I; j < e * p.I; ++j) y[j] /= c;
    } else if (st.post == Post::Sqrt) {
      for (int64_t j = b * p.I; j < e * p.I; ++j) y[j] = std::sqrt(y[j]);
    }
  };
  // Why 1 << 15 elements per chunk: below that a thread hand-off costs more than the loop.
  const int64_t per_o = std::max<int64_t>(1, p.R * p.I);
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 15) / per_o);
  if (p.O > grain && k.env->pool->threads() > 1) k.env->pool->parallel_for(p.O, grain, part);
  else part(0, p.O);
  return {};
}

template <RedOp op>
KernelFn pick_generic(DType t) {
  switch (t) {
    case DType::F32: return &generic_run<float, op>;
    case DType::F64: return &generic_run<double, op>;
    case DType::F16: return &generic_run<Half, op>;
    case DType::I8: return &generic_run<int8_t, op>;
    case DType::I16: return &generic_run<int16_t, op>;
    case DType::I32: return &generic_run<int32_t, op>;
    case DType::I64: return &generic_run<int64_t, op>;
    case DType::U8: return &generic_run<uint8_t, op>;
    case DType::Bool: return &generic_run<uint8_t, op>;
    case DType::U16: return &generic_run<uint16_t, op>;
    case DType::U32: return &generic_run<uint32_t, op>;
    case DType::U64: return &generic_run<uint64_t, op>;
    default: return nullptr;
  }
}

KernelFn pick_generic(RedOp op, DType t) {
  switch (op) {
    case RedOp::Sum: return pick_generic<RedOp::Sum>(t);
    case RedOp::SumSq: return pick_generic<RedOp::SumSq>(t);
    case RedOp::Max: return pick_generic<RedOp::Max>(t);
    case RedOp::Min: return pick_generic<RedOp::Min>(t);
    case RedOp::Prod: return pick_generic<RedOp::Prod>(t);
  }
  return nullptr;
}

// ---- load / plan ------------------------------------------------------------------------------------

template <RedOp op, Post post, int axes_input_since>
Status reduce_load(LoadCtx& ctx) {
  if (!ctx.has_input(0)) return ctx.invalid("needs an input");
  if (!ctx.has_output(0)) return ctx.invalid("output 0 is required");
  const DType t = ctx.in_dtype(0);
  const bool minmax = op == RedOp::Max || op == RedOp::Min;
  if (!(visit_numeric(t, [](auto) {}) || t == DType::F16 || (minmax && t == DType::Bool)))
    return ctx.unsupported(std::string("input type ") + dtype_name(t) + " not supported");
  auto st = std::make_shared<ReduceState>();
  st->op = op;
  st->post = post;
  st->keepdims = ctx.attr_int("keepdims", 1) != 0;
  if (ctx.opset() >= axes_input_since) {
    st->axes_input = ctx.has_input(1);
    if (Status s = ctx.require_input(1, {DType::I64}, false); !s.ok()) return s;
    st->noop_empty = ctx.attr_int("noop_with_empty_axes", 0) != 0;
  } else {
    st->axes = ctx.attr_ints("axes");
  }
  ctx.set_out(0, t);
  ctx.set_state(st);
  return {};
}

Status reduce_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ReduceState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  const int r = in.rank();
  std::vector<int64_t> axes = st.axes;
  if (st.axes_input) {
    const TensorView* v = ctx.in_value(1);
    if (!v) return ctx.invalid_input("the axes input is not known");
    axes.assign(v->as<int64_t>(), v->as<int64_t>() + v->numel());
  }
  if (axes.empty() && st.noop_empty) {  // the input unchanged
    ctx.set_out_shape(0, in);
    ctx.set_alias(0, 0);
    return {};
  }
  bool red[Shape::kMaxRank] = {};
  if (axes.empty()) {
    for (int i = 0; i < r; ++i) red[i] = true;
  } else {
    for (int64_t a : axes) {
      int64_t ax;
      if (!normalize_axis(a, r, &ax)) return ctx.invalid_input("axis " + std::to_string(a) + " out of range for " + in.str());
      red[ax] = true;
    }
  }
  Shape out;
  auto& p = ctx.make_data<ReducePlan>();
  p.count = 1;
  int kinds[Shape::kMaxRank];  // per coalesced dim: 1 reduced, 0 kept
  for (int i = 0; i < r; ++i) {
    if (red[i]) p.count *= in[i];
    if (!red[i] || st.keepdims) out.push_back(red[i] ? 1 : in[i]);
    if (in[i] == 1) continue;
    const int kind = red[i] ? 1 : 0;
    if (p.rank > 0 && kinds[p.rank - 1] == kind) {
      p.dims[p.rank - 1] *= in[i];
    } else {
      kinds[p.rank] = kind;
      p.dims[p.rank++] = in[i];
    }
  }
  p.out_numel = out.numel();
  int64_t acc = 1;
  for (int i = p.rank - 1; i >= 0; --i) {
    p.ostride[i] = kinds[i] ? 0 : acc;
    if (!kinds[i]) acc *= p.dims[i];
  }
  // [O, R, I] shapes: at most one reduced group.
  int groups = 0, gpos = -1;
  for (int i = 0; i < p.rank; ++i)
    if (kinds[i]) ++groups, gpos = i;
  if (groups <= 1) {
    for (int i = 0; i < p.rank; ++i) {
      if (groups && i < gpos) p.O *= p.dims[i];
      else if (groups && i == gpos) p.R = p.dims[i];  // 0 for an empty reduced axis: identity
      else p.I *= p.dims[i];
    }
  }
  ctx.set_out_shape(0, out);
  if (groups <= 1 && ctx.in_dtype(0) == DType::F32) {
    p.fast = true;
    ctx.set_kernel(&fast_f32_run);
    return {};
  }
  ctx.set_scratch(static_cast<size_t>(std::max<int64_t>(p.out_numel, 1)) * 8);
  KernelFn fn = pick_generic(st.op, ctx.in_dtype(0));
  if (!fn) return ctx.invalid_input("input type not supported");
  ctx.set_kernel(fn);
  return {};
}

// ---- ArgMax / ArgMin --------------------------------------------------------------------------------

struct ArgState : OpState {
  bool is_max = true, keepdims = true, last = false;
  int64_t axis = 0;
};

struct ArgPlan : PlanData {
  int64_t O = 0, R = 0, I = 0;
};

template <bool is_max>
Status arg_load(LoadCtx& ctx) {
  if (!ctx.has_input(0)) return ctx.invalid("needs an input");
  const DType t = ctx.in_dtype(0);
  if (!(visit_numeric(t, [](auto) {}) || t == DType::F16))
    return ctx.unsupported(std::string("input type ") + dtype_name(t) + " not supported");
  auto st = std::make_shared<ArgState>();
  st->is_max = is_max;
  st->axis = ctx.attr_int("axis", 0);
  if (ctx.opset() < 11 && st->axis < 0) return ctx.invalid("axis must be >= 0 before opset 11");
  st->keepdims = ctx.attr_int("keepdims", 1) != 0;
  st->last = ctx.opset() >= 12 && ctx.attr_int("select_last_index", 0) != 0;
  ctx.set_out(0, DType::I64);
  ctx.set_state(st);
  return {};
}

// best[i] holds the running extreme of column i; y[o, i] its index. Ties keep the first index
// (or the last with select_last_index), as ONNX Runtime does.
template <class T, class V, bool is_max, bool last>
Status arg_run(const KernelCtx& k) {
  const auto& p = k.plan_data<ArgPlan>();
  const T* x = k.in[0].as<const T>();
  int64_t* y = k.out[0].as<int64_t>();
  V* best = static_cast<V*>(k.scratch);
  if (p.I == 1) {
    // Along the innermost axis (class scores -> label): the running extreme stays in a register
    // and is updated with selects, not a branch per element that mispredicts on random scores.
    for (int64_t o = 0; o < p.O; ++o) {
      const T* xo = x + o * p.R;
      V b = load<V>(xo[0]);
      int64_t bi = 0;
      for (int64_t r = 1; r < p.R; ++r) {
        const V v = load<V>(xo[r]);
        bool better;
        if constexpr (is_max) better = last ? v >= b : v > b;
        else better = last ? v <= b : v < b;
        b = better ? v : b;
        bi = better ? r : bi;
      }
      y[o] = bi;
    }
    return {};
  }
  for (int64_t o = 0; o < p.O; ++o) {
    const T* xo = x + o * p.R * p.I;
    int64_t* yo = y + o * p.I;
    for (int64_t i = 0; i < p.I; ++i) best[i] = load<V>(xo[i]), yo[i] = 0;
    for (int64_t r = 1; r < p.R; ++r)
      for (int64_t i = 0; i < p.I; ++i) {
        const V v = load<V>(xo[r * p.I + i]);
        bool better;
        if constexpr (is_max) better = last ? v >= best[i] : v > best[i];
        else better = last ? v <= best[i] : v < best[i];
        if (better) best[i] = v, yo[i] = r;
      }
  }
  return {};
}

template <class T, class V>
KernelFn pick_arg(bool is_max, bool last) {
  if (is_max) return last ? &arg_run<T, V, true, true> : &arg_run<T, V, true, false>;
  return last ? &arg_run<T, V, false, true> : &arg_run<T, V, false, false>;
}

Status arg_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ArgState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  int64_t axis;
  if (!normalize_axis(st.axis, in.rank(), &axis)) return ctx.invalid_input("axis out of range for " + in.str());
  const int ax = static_cast<int>(axis);
  auto& p = ctx.make_data<ArgPlan>();
  p.O = 1, p.I = 1, p.R = in[ax];
  Shape out;
  for (int i = 0; i < in.rank(); ++i) {
    if (i < ax) p.O *= in[i];
    if (i > ax) p.I *= in[i];
    if (i != ax) out.push_back(in[i]);
    else if (st.keepdims) out.push_back(1);
  }
  if (p.R == 0 && out.numel() > 0) return ctx.invalid_input("cannot take the arg-extreme of an empty axis");
  ctx.set_out_shape(0, out);
  ctx.set_scratch(static_cast<size_t>(std::max<int64_t>(p.I, 1)) * 8);
  KernelFn fn = nullptr;
  switch (ctx.in_dtype(0)) {
    case DType::F32: fn = pick_arg<float, float>(st.is_max, st.last); break;
    case DType::F64: fn = pick_arg<double, double>(st.is_max, st.last); break;
    case DType::F16: fn = pick_arg<Half, float>(st.is_max, st.last); break;
    case DType::I8: fn = pick_arg<int8_t, int8_t>(st.is_max, st.last); break;
    case DType::I16: fn = pick_arg<int16_t, int16_t>(st.is_max, st.last); break;
    case DType::I32: fn = pick_arg<int32_t, int32_t>(st.is_max, st.last); break;
    case DType::I64: fn = pick_arg<int64_t, int64_t>(st.is_max, st.last); break;
    case DType::U8: fn = pick_arg<uint8_t, uint8_t>(st.is_max, st.last); break;
    case DType::U16: fn = pick_arg<uint16_t, uint16_t>(st.is_max, st.last); break;
    case DType::U32: fn = pick_arg<uint32_t, uint32_t>(st.is_max, st.last); break;
    case DType::U64: fn = pick_arg<uint64_t, uint64_t>(st.is_max, st.last); break;
    default: return ctx.invalid_input("input type not supported");
  }
  ctx.set_kernel(fn);
  return {};
}

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  r.add({"", "ReduceSum", 1, 12, reduce_load<RedOp::Sum, Post::None, 13>, reduce_plan});
  r.add({"", "ReduceSum", 13, 0, reduce_load<RedOp::Sum, Post::None, 13>, reduce_plan, 1u << 1});
  r.add({"", "ReduceMean", 1, 17, reduce_load<RedOp::Sum, Post::Mean, 18>, reduce_plan});
  r.add({"", "ReduceMean", 18, 0, reduce_load<RedOp::Sum, Post::Mean, 18>, reduce_plan, 1u << 1});
  r.add({"", "ReduceMax", 1, 17, reduce_load<RedOp::Max, Post::None, 18>, reduce_plan});
  r.add({"", "ReduceMax", 18, 0, reduce_load<RedOp::Max, Post::None, 18>, reduce_plan, 1u << 1});
  r.add({"", "ReduceMin", 1, 17, reduce_load<RedOp::Min, Post::None, 18>, reduce_plan});
  r.add({"", "ReduceMin", 18, 0, reduce_load<RedOp::Min, Post::None, 18>, reduce_plan, 1u << 1});
  r.add({"", "ReduceProd", 1, 17, reduce_load<RedOp::Prod, Post::None, 18>, reduce_plan});
  r.add({"", "ReduceProd", 18, 0, reduce_load<RedOp::Prod, Post::None, 18>, reduce_plan, 1u << 1});
  r.add({"", "ReduceL2", 1, 17, reduce_load<RedOp::SumSq, Post::Sqrt, 18>, reduce_plan});
  r.add({"", "ReduceL2", 18, 0, reduce_load<RedOp::SumSq, Post::Sqrt, 18>, reduce_plan, 1u << 1});
  r.add({"", "ArgMax", 1, 0, arg_load<true>, arg_plan});
  r.add({"", "ArgMin", 1, 0, arg_load<false>, arg_plan});
}

}  // namespace rtml
