// ops/shape_ops.cc - ops that only look at or re-label shapes: Shape, Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout (inference), plus the value makers Constant, ConstantOfShape, Range.
// Reshape/Flatten/Squeeze/Unsqueeze/Identity/Dropout alias their input (no copy, no kernel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <limits>
#include <string>
#include <vector>

#include "ops/common.hpp"

namespace rtml {
namespace {

// Largest element count an op may create from a value it reads (ConstantOfShape, Range): keeps
// a hostile shape input from sizing a huge arena. 2^32 elements is far beyond any real model.
constexpr int64_t kMaxMadeElements = int64_t(1) << 32;

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(v[i]);
  }
  return s + "]";
}

// ---- Identity and the aliasing ops ------------------------------------------------------------

Status any_tensor_load(LoadCtx& ctx) {
  if (ctx.num_inputs() < 1 || !ctx.has_input(0)) return ctx.invalid("needs an input");
  if (ctx.in_kind(0) != ValueKind::Tensor) return ctx.unsupported("only tensor inputs are supported");
  if (!ctx.has_output(0)) return ctx.invalid("output 0 is required");  // it aliases the input
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

Status identity_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, ctx.in_shape(0));
  ctx.set_alias(0, 0);
  return {};
}

// ---- Reshape -----------------------------------------------------------------------------------

struct ReshapeState : OpState {
  bool allowzero = false;
};

Status reshape_load(LoadCtx& ctx) {
  if (Status s = any_tensor_load(ctx); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::I64}); !s.ok()) return s;
  auto st = std::make_shared<ReshapeState>();
  st->allowzero = ctx.opset() >= 14 && ctx.attr_int("allowzero", 0) != 0;
  ctx.set_state(st);
  return {};
}

Status reshape_plan(PlanCtx& ctx) {
  std::vector<int64_t> want;
  if (!read_ints(ctx.in_value(1), &want)) return ctx.invalid_input("the shape input is not known");
  const Shape& in = ctx.in_shape(0);
  const bool allowzero = static_cast<const ReshapeState*>(ctx.state)->allowzero;
  if (want.size() > static_cast<size_t>(Shape::kMaxRank))
    return ctx.invalid_input("shape " + ints_str(want) + " has more than 8 dims");
  Shape out;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < want.size(); ++i) {
    int64_t d = want[i];
    if (d == -1) {
      if (infer >= 0) return ctx.invalid_input("shape " + ints_str(want) + " has more than one -1");
      infer = static_cast<int>(i);
      out.push_back(1);
      continue;
    }
    if (d < -1) return ctx.invalid_input("shape " + ints_str(want) + " has a negative dim");
    if (d == 0 && !allowzero) {
      if (static_cast<int>(i) >= in.rank())
        return ctx.invalid_input("shape " + ints_str(want) + ": 0 copies a dim the input " + in.str() + " lacks");
      d = in[static_cast<int>(i)];
    }
    out.push_back(d);
    if (d != 0 && known > std::numeric_limits<int64_t>::max() / d)
      return ctx.invalid_input("shape " + ints_str(want) + " overflows");
    known *= d;
  }
  const int64_t n = in.numel();
  if (infer >= 0) {
    if (known == 0) {
      if (n != 0) return ctx.invalid_input("cannot infer -1 in " + ints_str(want) + " with a zero dim");
      out[infer] = 0;  // ORT: the -1 of an empty tensor is 0 when the other dims hold a zero
    } else {
      if (n % known != 0)
        return ctx.invalid_input("cannot reshape " + in.str() + " to " + ints_str(want));
      out[infer] = n / known;
    }
  } else if (known != n) {
    return ctx.invalid_input("cannot reshape " + in.str() + " to " + ints_str(want));
  }
  ctx.set_out_shape(0, out);
  ctx.set_alias(0, 0);
  return {};
}

// ---- Flatten -----------------------------------------------------------------------------------

struct AxisState : OpState {
  int64_t axis = 0;
  bool has_axis = true;
};

Status flatten_load(LoadCtx& ctx) {
  if (Status s = any_tensor_load(ctx); !s.ok()) return s;
  auto st = std::make_shared<AxisState>();
  st->axis = ctx.attr_int("axis", 1);
  if (ctx.opset() < 11 && st->axis < 0) return ctx.invalid("axis must be >= 0 before opset 11");
  ctx.set_state(st);
  return {};
}

Status flatten_plan(PlanCtx& ctx) {
  const Shape& in = ctx.in_shape(0);
  int64_t axis = static_cast<const AxisState*>(ctx.state)->axis;
  if (axis < 0) axis += in.rank();
  if (axis < 0 || axis > in.rank())
    return ctx.invalid_input("axis out of range for input " + in.str());
  int64_t a = 1, b = 1;
  for (int i = 0; i < in.rank(); ++i) (i < axis ? a : b) *= in[i];
  ctx.set_out_shape(0, Shape{a, b});
  ctx.set_alias(0, 0);
  return {};
}

// ---- Squeeze / Unsqueeze -------------------------------------------------------------------------

struct AxesState : OpState {
  bool from_input = false;  // opset >= 13: axes come from input 1
  bool has_axes = false;
  std::vector<int64_t> axes;
};

Status squeeze_load(LoadCtx& ctx) {
  if (Status s = any_tensor_load(ctx); !s.ok()) return s;
  auto st = std::make_shared<AxesState>();
  if (ctx.opset() >= 13) {
    st->from_input = true;
    if (Status s = ctx.require_input(1, {DType::I64}, false); !s.ok()) return s;
    st->has_axes = ctx.has_input(1);
  } else {
    st->has_axes = ctx.has_attr("axes");
    st->axes = ctx.attr_ints("axes");
  }
  const bool unsqueeze = ctx.node.op_type == "Unsqueeze";
  if (unsqueeze && !st->has_axes) return ctx.invalid("Unsqueeze needs axes");
  ctx.set_state(st);
  return {};
}

// The axes to use at plan time (attribute or input); false when the input value is unknown.
bool plan_axes(PlanCtx& ctx, const AxesState& st, std::vector<int64_t>* axes) {
  if (!st.from_input) {
    *axes = st.axes;
    return true;
  }
  if (!ctx.has_input(1)) {
    axes->clear();
    return true;
  }
  return read_ints(ctx.in_value(1), axes);
}

Status squeeze_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const AxesState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  std::vector<int64_t> axes;
  if (!plan_axes(ctx, st, &axes)) return ctx.invalid_input("the axes input is not known");
  bool drop[Shape::kMaxRank] = {};
  if (axes.empty()) {
    for (int i = 0; i < in.rank(); ++i) drop[i] = in[i] == 1;
  } else {
    for (int64_t a : axes) {
      int64_t ax;
      if (!normalize_axis(a, in.rank(), &ax))
        return ctx.invalid_input("axis " + std::to_string(a) + " out of range for " + in.str());
      if (in[ax] != 1)
        return ctx.invalid_input("cannot squeeze axis " + std::to_string(a) + " of " + in.str() + " (not 1)");
      drop[ax] = true;
    }
  }
  Shape out;
  for (int i = 0; i < in.rank(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  ctx.set_out_shape(0, out);
  ctx.set_alias(0, 0);
  return {};
}

Status unsqueeze_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const AxesState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  std::vector<int64_t> axes;
  if (!plan_axes(ctx, st, &axes)) return ctx.invalid_input("the axes input is not known");
  const int64_t out_rank = in.rank() + static_cast<int64_t>(axes.size());
  if (out_rank > Shape::kMaxRank) return ctx.invalid_input("output rank above 8");
  bool add[Shape::kMaxRank] = {};
  for (int64_t a : axes) {
    int64_t ax;
    if (!normalize_axis(a, static_cast<int>(out_rank), &ax))
      return ctx.invalid_input("axis " + std::to_string(a) + " out of range for output rank " + std::to_string(out_rank));
    if (add[ax]) return ctx.invalid_input("axis " + std::to_string(a) + " repeated");
    add[ax] = true;
  }
  Shape out;
  int j = 0;
  for (int i = 0; i < out_rank; ++i) out.push_back(add[i] ? 1 : in[j++]);
  ctx.set_out_shape(0, out);
  ctx.set_alias(0, 0);
  return {};
}

// ---- Shape ---------------------------------------------------------------------------------------

struct ShapeState : OpState {
  int64_t start = 0, end = std::numeric_limits<int64_t>::max();
};

Status shape_load(LoadCtx& ctx) {
  if (!ctx.has_input(0)) return ctx.invalid("needs an input");
  auto st = std::make_shared<ShapeState>();
  if (ctx.opset() >= 15) {
    st->start = ctx.attr_int("start", 0);
    st->end = ctx.attr_int("end", std::numeric_limits<int64_t>::max());
  }
  ctx.set_out(0, DType::I64);
  ctx.set_state(st);
  return {};
}

struct ShapePlan : PlanData {
  int64_t start = 0, count = 0;
};

Status shape_run(const KernelCtx& k) {
  const auto& p = k.plan_data<ShapePlan>();
  int64_t* y = k.out[0].as<int64_t>();
  for (int64_t i = 0; i < p.count; ++i) y[i] = k.in[0].shape[static_cast<int>(p.start + i)];
  return {};
}

Status shape_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ShapeState*>(ctx.state);
  const int64_t r = ctx.in_shape(0).rank();
  auto clamp = [r](int64_t v) {
    if (v < 0) v += r;
    return std::clamp<int64_t>(v, 0, r);
  };
  const int64_t s = clamp(st.start), e = clamp(st.end);
  auto& p = ctx.make_data<ShapePlan>();
  p.start = s;
  p.count = std::max<int64_t>(e - s, 0);
  ctx.set_out_shape(0, Shape{p.count});
  ctx.set_kernel(&shape_run);
  return {};
}

// ---- Constant ------------------------------------------------------------------------------------

struct ConstState : OpState {
  std::shared_ptr<const Tensor> value;
};

Status constant_load(LoadCtx& ctx) {
  if (ctx.has_attr("sparse_value")) return ctx.unsupported("sparse_value is not supported");
  std::shared_ptr<const Tensor> v;
  int found = 0;
  if (ctx.has_attr("value")) ++found, v = ctx.attr_tensor("value");
  if (ctx.has_attr("value_float")) {
    ++found;
    auto t = std::make_shared<Tensor>(DType::F32, Shape{});
    t->data<float>()[0] = ctx.attr_float("value_float", 0);
    v = t;
  }
  if (ctx.has_attr("value_floats")) {
    ++found;
    auto f = ctx.attr_floats("value_floats");
    auto t = std::make_shared<Tensor>(DType::F32, Shape{static_cast<int64_t>(f.size())});
    if (!f.empty()) std::memcpy(t->raw(), f.data(), f.size() * sizeof(float));
    v = t;
  }
  if (ctx.has_attr("value_int")) {
    ++found;
    auto t = std::make_shared<Tensor>(DType::I64, Shape{});
    t->data<int64_t>()[0] = ctx.attr_int("value_int", 0);
    v = t;
  }
  if (ctx.has_attr("value_ints")) {
    ++found;
    auto f = ctx.attr_ints("value_ints");
    auto t = std::make_shared<Tensor>(DType::I64, Shape{static_cast<int64_t>(f.size())});
    if (!f.empty()) std::memcpy(t->raw(), f.data(), f.size() * sizeof(int64_t));
    v = t;
  }
  if (ctx.has_attr("value_string")) {
    ++found;
    v = std::make_shared<Tensor>(Tensor::from_strings(Shape{}, {ctx.attr_string("value_string")}));
  }
  if (ctx.has_attr("value_strings")) {
    ++found;
    auto s = ctx.attr_strings("value_strings");
    const auto n = static_cast<int64_t>(s.size());
    v = std::make_shared<Tensor>(Tensor::from_strings(Shape{n}, std::move(s)));
  }
  if (found != 1) return ctx.invalid("needs exactly one value attribute, has " + std::to_string(found));
  if (!v) return ctx.invalid("the value attribute is not a tensor");
  auto st = std::make_shared<ConstState>();
  st->value = v;
  ctx.set_out(0, v->dtype());
  ctx.set_state(st);
  return {};
}

Status constant_run(const KernelCtx& k) {
  const Tensor& v = *k.st<ConstState>().value;
  if (v.bytes()) std::memcpy(k.out[0].data, v.raw(), v.bytes());  // strings: refs into the model
  return {};
}

Status constant_plan(PlanCtx& ctx) {
  ctx.set_out_shape(0, static_cast<const ConstState*>(ctx.state)->value->shape());
  ctx.set_kernel(&constant_run);
  return {};
}

// ---- ConstantOfShape -------------------------------------------------------------------------------

Status cos_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::I64}); !s.ok()) return s;
  std::shared_ptr<const Tensor> v;
  if (ctx.has_attr("value")) {
    v = ctx.attr_tensor("value");
    if (!v || v->numel() != 1) return ctx.invalid("value must hold one element");
    if (v->dtype() == DType::String) return ctx.invalid("value cannot be a string");
    if (dtype_size(v->dtype()) == 0) return ctx.unsupported("value type not supported");
  } else {
    v = std::make_shared<Tensor>(DType::F32, Shape{1});  // zero-filled
  }
  auto st = std::make_shared<ConstState>();
  st->value = v;
  ctx.set_out(0, v->dtype());
  ctx.set_state(st);
  return {};
}

template <class T>
Status fill_run(const KernelCtx& k) {
  T v;
  std::memcpy(&v, k.st<ConstState>().value->raw(), sizeof(T));
  T* y = k.out[0].as<T>();
  std::fill(y, y + k.out[0].numel(), v);
  return {};
}

Status cos_plan(PlanCtx& ctx) {
  std::vector<int64_t> dims;
  if (!read_ints(ctx.in_value(0), &dims)) return ctx.invalid_input("the shape input is not known");
  if (dims.size() > static_cast<size_t>(Shape::kMaxRank)) return ctx.invalid_input("more than 8 dims");
  Shape out;
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return ctx.invalid_input("negative dim in " + ints_str(dims));
    if (d > 0 && n > kMaxMadeElements / d) return ctx.invalid_input("shape " + ints_str(dims) + " too large");
    n *= d;
    out.push_back(d);
  }
  ctx.set_out_shape(0, out);
  switch (dtype_size(ctx.out_dtype(0))) {
    case 1: ctx.set_kernel(&fill_run<uint8_t>); break;
    case 2: ctx.set_kernel(&fill_run<uint16_t>); break;
    case 4: ctx.set_kernel(&fill_run<uint32_t>); break;
    default: ctx.set_kernel(&fill_run<uint64_t>); break;
  }
  return {};
}

// ---- Range ------------------------------------------------------------------------------------------

struct RangePlan : PlanData {
  int64_t n = 0;
};

template <class T>
Status range_run(const KernelCtx& k) {
  const int64_t n = k.plan_data<RangePlan>().n;
  T* y = k.out[0].as<T>();
  T v = *k.in[0].as<T>(), d = *k.in[2].as<T>();
  for (int64_t i = 0; i < n; ++i) {  // ORT accumulates (no overflow past the last value)
    y[i] = v;
    if (i + 1 < n) v = static_cast<T>(v + d);
  }
  return {};
}

Status range_run_f16(const KernelCtx& k) {
  const int64_t n = k.plan_data<RangePlan>().n;
  uint16_t* y = k.out[0].as<uint16_t>();
  float v = half_to_float(*k.in[0].as<uint16_t>()), d = half_to_float(*k.in[2].as<uint16_t>());
  for (int64_t i = 0; i < n; ++i, v += d) y[i] = float_to_half(v);
  return {};
}

Status range_load(LoadCtx& ctx) {
  const std::initializer_list<DType> types = {DType::F32, DType::F64, DType::I16, DType::I32, DType::I64, DType::F16};
  for (int i = 0; i < 3; ++i)
    if (Status s = ctx.require_input(i, types); !s.ok()) return s;
  if (ctx.in_dtype(1) != ctx.in_dtype(0) || ctx.in_dtype(2) != ctx.in_dtype(0))
    return ctx.invalid("start, limit and delta must have one type");
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

double scalar_as_double(const TensorView& v) {
  switch (v.dtype) {
    case DType::F32: return *v.as<float>();
    case DType::F64: return *v.as<double>();
    case DType::I16: return *v.as<int16_t>();
    case DType::I32: return *v.as<int32_t>();
    case DType::I64: return static_cast<double>(*v.as<int64_t>());
    case DType::F16: return half_to_float(*v.as<uint16_t>());
    default: return 0;
  }
}

Status range_plan(PlanCtx& ctx) {
  const TensorView *s = ctx.in_value(0), *l = ctx.in_value(1), *d = ctx.in_value(2);
  if (!s || !l || !d) return ctx.invalid_input("start, limit and delta must be known");
  if (s->numel() != 1 || l->numel() != 1 || d->numel() != 1)
    return ctx.invalid_input("start, limit and delta must be scalars");
  const DType t = ctx.in_dtype(0);
  int64_t n = 0;
  if (t == DType::I64 || t == DType::I32 || t == DType::I16) {
    int64_t a, b, c;
    if (t == DType::I64) a = *s->as<int64_t>(), b = *l->as<int64_t>(), c = *d->as<int64_t>();
    else a = static_cast<int64_t>(scalar_as_double(*s)), b = static_cast<int64_t>(scalar_as_double(*l)),
         c = static_cast<int64_t>(scalar_as_double(*d));
    if (c == 0) return ctx.invalid_input("delta is 0");
    // ceil((b - a) / c) without overflow for the values a model can hold in practice.
    const long double span = static_cast<long double>(b) - static_cast<long double>(a);
    const long double q = std::ceil(span / static_cast<long double>(c));
    if (q > static_cast<long double>(kMaxMadeElements)) return ctx.invalid_input("range too long");
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  } else {
    const double a = scalar_as_double(*s), b = scalar_as_double(*l), c = scalar_as_double(*d);
    if (c == 0 || !std::isfinite(a) || !std::isfinite(b) || !std::isfinite(c))
      return ctx.invalid_input("delta is 0 or a bound is not finite");
    const double q = std::ceil((b - a) / c);
    if (q > static_cast<double>(kMaxMadeElements)) return ctx.invalid_input("range too long");
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  }
  ctx.make_data<RangePlan>().n = n;
  ctx.set_out_shape(0, Shape{n});
  switch (t) {
    case DType::F32: ctx.set_kernel(&range_run<float>); break;
    case DType::F64: ctx.set_kernel(&range_run<double>); break;
    case DType::I16: ctx.set_kernel(&range_run<int16_t>); break;
    case DType::I32: ctx.set_kernel(&range_run<int32_t>); break;
    case DType::I64: ctx.set_kernel(&range_run<int64_t>); break;
    default: ctx.set_kernel(&range_run_f16); break;
  }
  return {};
}

// ---- Dropout ------------------------------------------------------------------------------------------
// Inference: y = x. The optional mask is all true (bool; before opset 10 the input's type, 1).
// Opset >= 12 takes ratio and training_mode as inputs. Training with a nonzero ratio keeps element
// i when u_i >= ratio and scales kept elements by 1/(1-ratio), u_i drawn in C order from MT19937
// seeded with the `seed` attribute as 53-bit doubles (two draws each: (a>>5)*2^26 + (b>>6), / 2^53)
// - the generator and draw numpy's legacy RandomState uses, and so the ONNX reference. The spec
// leaves the generator open; this one makes a seeded Dropout reproducible against the reference.
// Without `seed`, one is drawn at load. The mask depends on seed, shape and ratio only, so it is
// made while planning (ratio and training_mode are plan inputs).

struct DropoutState : OpState {
  bool mask_is_bool = true;
  uint32_t seed = 0;
};

struct DropoutMask : PlanData {
  std::vector<uint8_t> keep;
  double scale = 1;
};

template <class T>
Status dropout_train_run(const KernelCtx& k) {
  const auto& m = k.plan_data<DropoutMask>();
  const int64_t n = k.in[0].numel();
  const T* x = k.in[0].as<T>();
  T* y = k.out[0].as<T>();
  const T s = static_cast<T>(m.scale);
  for (int64_t i = 0; i < n; ++i) y[i] = (m.keep[i] ? x[i] : x[i] * T(0)) * s;
  if (k.n_out > 1 && k.out[1].data) std::memcpy(k.out[1].data, m.keep.data(), static_cast<size_t>(n));
  return {};
}

Status dropout_train_run_f16(const KernelCtx& k) {
  const auto& m = k.plan_data<DropoutMask>();
  const int64_t n = k.in[0].numel();
  const uint16_t* x = k.in[0].as<uint16_t>();
  uint16_t* y = k.out[0].as<uint16_t>();
  const float s = static_cast<float>(m.scale);
  for (int64_t i = 0; i < n; ++i) {
    float v = half_to_float(x[i]);
    y[i] = float_to_half((m.keep[i] ? v : v * 0.0f) * s);
  }
  if (k.n_out > 1 && k.out[1].data) std::memcpy(k.out[1].data, m.keep.data(), static_cast<size_t>(n));
  return {};
}

Status dropout_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::F16}); !s.ok()) return s;
  if (!ctx.has_output(0)) return ctx.invalid("output 0 is required");
  if (ctx.opset() >= 12) {
    if (Status s = ctx.require_input(1, {DType::F32, DType::F64, DType::F16}, false); !s.ok()) return s;
    if (Status s = ctx.require_input(2, {DType::Bool}, false); !s.ok()) return s;
  }
  auto st = std::make_shared<DropoutState>();
  st->mask_is_bool = ctx.opset() >= 10;
  st->seed = ctx.has_attr("seed") ? static_cast<uint32_t>(ctx.attr_int("seed", 0)) : std::random_device{}();
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_out(1, st->mask_is_bool ? DType::Bool : ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

Status dropout_mask_run(const KernelCtx& k) {
  if (k.out[0].data != k.in[0].data) std::memcpy(k.out[0].data, k.in[0].data, k.in[0].bytes());
  const int64_t n = k.out[1].numel();
  switch (k.out[1].dtype) {
    case DType::Bool: std::memset(k.out[1].data, 1, static_cast<size_t>(n)); break;
    case DType::F32: std::fill(k.out[1].as<float>(), k.out[1].as<float>() + n, 1.0f); break;
    case DType::F64: std::fill(k.out[1].as<double>(), k.out[1].as<double>() + n, 1.0); break;
    default: std::fill(k.out[1].as<uint16_t>(), k.out[1].as<uint16_t>() + n, uint16_t{0x3C00}); break;
  }
  return {};
}

Status dropout_plan(PlanCtx& ctx) {
  if (ctx.opset() >= 12 && ctx.has_input(2)) {
    const TensorView* t = ctx.in_value(2);
    if (!t || t->numel() != 1) return ctx.invalid_input("training_mode must be a known scalar");
    if (*t->as<uint8_t>() != 0) {
      double ratio = 0.5;
      if (ctx.has_input(1)) {
        const TensorView* r = ctx.in_value(1);
        if (!r || r->numel() != 1) return ctx.invalid_input("ratio must be a known scalar");
        ratio = r->dtype == DType::F32 ? *r->as<float>()
                : r->dtype == DType::F64 ? *r->as<double>() : half_to_float(*r->as<uint16_t>());
      }
      if (!(ratio >= 0 && ratio < 1)) return ctx.invalid_input("ratio must be in [0, 1)");
      if (ratio != 0) {
        auto& m = ctx.make_data<DropoutMask>();
        const int64_t n = ctx.in_shape(0).numel();
        m.keep.resize(static_cast<size_t>(n));
        std::mt19937 gen(static_cast<const DropoutState*>(ctx.state)->seed);
        for (int64_t i = 0; i < n; ++i) {
          const uint32_t a = gen() >> 5, b = gen() >> 6;
          const double u = (a * 67108864.0 + b) / 9007199254740992.0;
          m.keep[static_cast<size_t>(i)] = u >= ratio;
        }
        // The scale as the reference computes it: in the ratio's own precision.
        m.scale = ctx.in_dtype(1) == DType::F64 || !ctx.has_input(1) ? 1.0 / (1.0 - ratio)
                                                                        : 1.0f / (1.0f - static_cast<float>(ratio));
        ctx.set_out_shape(0, ctx.in_shape(0));
        if (ctx.has_output(1)) ctx.set_out_shape(1, ctx.in_shape(0));
        switch (ctx.in_dtype(0)) {
          case DType::F32: ctx.set_kernel(&dropout_train_run<float>); break;
          case DType::F64: ctx.set_kernel(&dropout_train_run<double>); break;
          default: ctx.set_kernel(&dropout_train_run_f16); break;
        }
        ctx.allow_in_place(0, 0);
        return {};
      }
    }
  }
  ctx.set_out_shape(0, ctx.in_shape(0));
  if (ctx.has_output(1)) {
    ctx.set_out_shape(1, ctx.in_shape(0));
    ctx.set_kernel(&dropout_mask_run);
    ctx.allow_in_place(0, 0);
  } else {
    ctx.set_alias(0, 0);
  }
  return {};
}

}  // namespace

void register_shape_ops_ops(OpRegistry& r) {
  r.add({"", "Identity", 1, 0, any_tensor_load, identity_plan});
  r.add({"", "Shape", 1, 0, shape_load, shape_plan, 0, kOpShapeOnly});
  r.add({"", "Reshape", 5, 0, reshape_load, reshape_plan, 1u << 1});
  r.add({"", "Flatten", 1, 0, flatten_load, flatten_plan});
  r.add({"", "Squeeze", 1, 12, squeeze_load, squeeze_plan});
  r.add({"", "Squeeze", 13, 0, squeeze_load, squeeze_plan, 1u << 1});
  r.add({"", "Unsqueeze", 1, 12, squeeze_load, unsqueeze_plan});
  r.add({"", "Unsqueeze", 13, 0, squeeze_load, unsqueeze_plan, 1u << 1});
  r.add({"", "Constant", 1, 0, constant_load, constant_plan});
  r.add({"", "ConstantOfShape", 9, 0, cos_load, cos_plan, 1u << 0});
  r.add({"", "Range", 11, 0, range_load, range_plan, 0b111});
  r.add({"", "Dropout", 7, 11, dropout_load, dropout_plan});
  r.add({"", "Dropout", 12, 0, dropout_load, dropout_plan, 0b110});
}

}  // namespace rtml
