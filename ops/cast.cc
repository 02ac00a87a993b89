// ops/cast.cc - Cast and CastLike between every pair of float, double, float16, int8..int64,
// uint8..uint64, bool and string, as ONNX Runtime does it:
//   numbers -> numbers: a C++ static_cast (float -> int out of range: x86's result, no UB),
//   float16 through float, bool is x != 0;
//   numbers -> string: "NaN", "INF", "-INF", else printf("%.8g") for floats; decimal integers;
//   string -> number: strtod / strtoll / strtoull (C++ stod/stoll/stoull); a string that is not
//   a number or is out of range is an input error.
// bfloat16, float8, float4, int4/uint4, int2/uint2 and complex are refused as unsupported; the
// `saturate` attribute (opset 19+) only concerns float8 and is ignored.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "ops/common.hpp"
#include "ops/kernels/elementwise_convert.hpp"

namespace rtml {
namespace {

struct F16 {};  // float16 tag (stored as uint16_t)

template <class T>
struct Elem {
  using store = T;
  using comp = T;
};
template <>
struct Elem<F16> {
  using store = uint16_t;
  using comp = float;
};
template <>
struct Elem<bool> {
  using store = uint8_t;
  using comp = bool;
};

template <class S>
typename Elem<S>::comp load(typename Elem<S>::store v) {
  if constexpr (std::is_same_v<S, F16>) return half_to_float(v);
  else if constexpr (std::is_same_v<S, bool>) return v != 0;
  else return v;
}

template <class D, class C>
typename Elem<D>::store store(C c) {
  if constexpr (std::is_same_v<D, F16>) return float_to_half(static_cast<float>(c));
  else if constexpr (std::is_same_v<D, bool>) return static_cast<uint8_t>(c != C(0));
  else if constexpr (std::is_same_v<C, bool>) return static_cast<D>(c ? 1 : 0);
  else return convert<D>(c);
}

// Calls f(T{}) with the tag type of every dtype Cast handles except string.
template <class F>
bool visit_cast(DType t, F&& f) {
  switch (t) {
    case DType::F16: f(F16{}); return true;
    case DType::Bool: f(bool{}); return true;
    default: return visit_numeric(t, f);
  }
}

template <class S, class D>
Status cast_run(const KernelCtx& k) {
  const auto* x = static_cast<const typename Elem<S>::store*>(k.in[0].data);
  auto* y = static_cast<typename Elem<D>::store*>(k.out[0].data);
  const int64_t n = k.in[0].numel();
  for (int64_t i = 0; i < n; ++i) y[i] = store<D>(load<S>(x[i]));
  return {};
}

// ---- to string --------------------------------------------------------------------------------
template <class S>
Status to_string_run(const KernelCtx& k) {
  const auto* x = static_cast<const typename Elem<S>::store*>(k.in[0].data);
  StrRef* y = static_cast<StrRef*>(k.out[0].data);
  const int64_t n = k.in[0].numel();
  char buf[64];
  for (int64_t i = 0; i < n; ++i) {
    using V = decltype(load<S>(x[i]));
    const V v = load<S>(x[i]);
    std::string_view s;
    if constexpr (std::is_floating_point_v<V>) {
      if (std::isnan(v)) s = "NaN";
      else if (std::isinf(v)) s = v < 0 ? "-INF" : "INF";
      else {
        // numpy's default precision, as ONNX Runtime prints it.
        int len = std::snprintf(buf, sizeof buf, "%.8g", static_cast<double>(v));
        s = std::string_view(buf, len > 0 ? static_cast<size_t>(len) : 0);
      }
    } else if constexpr (std::is_same_v<V, bool>) {
      s = v ? "1" : "0";
    } else {
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      s = std::string_view(buf, static_cast<size_t>(r.ptr - buf));
    }
    y[i] = k.env->strings->add(s);
  }
  return {};
}

// ---- from string ------------------------------------------------------------------------------
// Longest string parsed as a number (longer ones are refused rather than truncated).
constexpr size_t kMaxNumberChars = 511;

template <class D>
Status from_string_run(const KernelCtx& k) {
  const StrRef* x = static_cast<const StrRef*>(k.in[0].data);
  auto* y = static_cast<typename Elem<D>::store*>(k.out[0].data);
  const int64_t n = k.in[0].numel();
  char buf[kMaxNumberChars + 1];
  for (int64_t i = 0; i < n; ++i) {
    if (x[i].size > kMaxNumberChars) return k.invalid_input("string too long to cast to a number");
    if (x[i].size) std::memcpy(buf, x[i].data, x[i].size);
    buf[x[i].size] = '\0';
    char* end = nullptr;
    errno = 0;
    if constexpr (std::is_floating_point_v<D> || std::is_same_v<D, F16>) {
      const double v = std::strtod(buf, &end);
      if (end == buf || errno == ERANGE)
        return k.invalid_input("cannot cast string '" + std::string(x[i].view()) + "' to a number");
      if constexpr (std::is_same_v<D, F16>) y[i] = float_to_half(static_cast<float>(v));
      else y[i] = static_cast<D>(v);
    } else if constexpr (std::is_signed_v<D>) {
      const long long v = std::strtoll(buf, &end, 10);
      if (end == buf || errno == ERANGE)
        return k.invalid_input("cannot cast string '" + std::string(x[i].view()) + "' to an integer");
      y[i] = static_cast<D>(v);
    } else {
      const unsigned long long v = std::strtoull(buf, &end, 10);
      if (end == buf || errno == ERANGE)
        return k.invalid_input("cannot cast string '" + std::string(x[i].view()) + "' to an integer");
      if constexpr (std::is_same_v<D, bool>) y[i] = v != 0;
      else y[i] = static_cast<D>(v);
    }
  }
  return {};
}

// ---- load / plan ------------------------------------------------------------------------------
struct CastState : OpState {
  DType from = DType::Undefined, to = DType::Undefined;
};

Status check_type(LoadCtx& ctx, int32_t code, const char* what) {
  if (code == 0) return ctx.invalid(std::string(what) + " is undefined");
  if (!dtype_known(code)) {
    static const char* names[] = {"complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
                                  "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1",
                                  "float8e8m0", "uint2", "int2"};
    const char* name = code >= 14 && code <= 26 ? names[code - 14] : "unknown";
    return ctx.unsupported(std::string(what) + " type " + name + " (" + std::to_string(code) + ")");
  }
  return {};
}

Status finish_load(LoadCtx& ctx, DType to) {
  if (!ctx.has_input(0)) return ctx.invalid("input is missing");
  if (Status s = check_type(ctx, static_cast<int32_t>(ctx.in_dtype(0)), "input"); !s.ok()) return s;
  auto st = std::make_shared<CastState>();
  st->from = ctx.in_dtype(0);
  st->to = to;
  ctx.set_out(0, to);
  ctx.set_state(st);
  return {};
}

Status cast_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 1) return ctx.invalid("expects 1 input");
  if (!ctx.has_attr("to")) return ctx.invalid("attribute 'to' is required");
  const int64_t to = ctx.attr_int("to", 0);
  if (to < 0 || to > 1000) return ctx.invalid("attribute 'to' is not a type: " + std::to_string(to));
  if (Status s = check_type(ctx, static_cast<int32_t>(to), "target"); !s.ok()) return s;
  return finish_load(ctx, static_cast<DType>(to));
}

Status castlike_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 2 || !ctx.has_input(1)) return ctx.invalid("expects 2 inputs");
  if (Status s = check_type(ctx, static_cast<int32_t>(ctx.in_dtype(1)), "target"); !s.ok()) return s;
  return finish_load(ctx, ctx.in_dtype(1));
}

Status cast_plan(PlanCtx& ctx) {
  const CastState& st = *static_cast<const CastState*>(ctx.state);
  ctx.set_out_shape(0, ctx.in_shape(0));
  if (st.from == st.to) {  // same type: the output is the input
    ctx.set_alias(0, 0);
    return {};
  }
  KernelFn fn = nullptr;
  if (st.to == DType::String) {
    visit_cast(st.from, [&](auto s) { fn = &to_string_run<decltype(s)>; });
  } else if (st.from == DType::String) {
    visit_cast(st.to, [&](auto d) { fn = &from_string_run<decltype(d)>; });
  } else {
    visit_cast(st.from, [&](auto s) {
      visit_cast(st.to, [&](auto d) { fn = &cast_run<decltype(s), decltype(d)>; });
    });
  }
  if (!fn) return ctx.invalid_input("unsupported cast");
  ctx.set_kernel(fn);
  // In place when both sides have the same element size: element i is read before it is written.
  if (st.from != DType::String && st.to != DType::String && dtype_size(st.from) == dtype_size(st.to))
    ctx.allow_in_place(0, 0);
  return {};
}

}  // namespace

void register_cast_ops(OpRegistry& r) {
  r.add({"", "Cast", 7, 0, cast_load, cast_plan});
  r.add({"", "CastLike", 15, 0, castlike_load, cast_plan});
}

}  // namespace rtml
