// ops/norm.cc - BatchNormalization (inference, and training mode's batch statistics),
// LayerNormalization (+ the internal rtml:LayerNormalization the fusion makes below opset 17),
// InstanceNormalization. float32 runs the xsimd loops of ops/kernels/norm.hpp; float64 and
// float16 run scalar loops in double / float.
#include <algorithm>
#include <cmath>

#include "ops/common.hpp"
#include "ops/kernels/norm.hpp"

namespace rtml {
namespace {

template <class T>
T* ptr(const TensorView& v) {
  return static_cast<T*>(v.data);
}

// Element i of a float tensor of any float dtype, as double.
double fval(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32: return static_cast<const float*>(v.data)[i];
    case DType::F64: return static_cast<const double*>(v.data)[i];
    case DType::F16: return half_to_float(static_cast<const uint16_t*>(v.data)[i]);
    default: return 0;
  }
}
void fset(const TensorView& v, int64_t i, double x) {
  switch (v.dtype) {
    case DType::F32: static_cast<float*>(v.data)[i] = static_cast<float>(x); break;
    case DType::F64: static_cast<double*>(v.data)[i] = x; break;
    case DType::F16: static_cast<uint16_t*>(v.data)[i] = float_to_half(static_cast<float>(x)); break;
    default: break;
  }
}

// Rows of this many elements or more are worth a thread of their own.
constexpr int64_t kNormGrainElems = 1 << 15;

// Runs body(row_begin, row_end) over `rows` rows of `len` elements, in parallel when big.
template <class F>
void for_rows(const KernelCtx& k, int64_t rows, int64_t len, F&& body) {
  if (rows * len <= kNormGrainElems || rows < 2) {
    body(int64_t{0}, rows);
    return;
  }
  int64_t grain = std::max<int64_t>(1, kNormGrainElems / std::max<int64_t>(len, 1));
  k.env->pool->parallel_for(rows, grain, body);
}

constexpr std::initializer_list<DType> kFloatTypes = {DType::F32, DType::F64, DType::F16};

// ---- BatchNormalization ----------------------------------------------------------------------
struct BnState : OpState {
  float epsilon = 1e-5f;
  float momentum = 0.9f;
  bool training = false;
};

struct BnPlan : PlanData {
  int64_t n = 0, c = 0, inner = 0;
  bool per_position = false;  // opset 7 spatial=0: parameters of shape [C, D1, ...]
};

Status bn_load(LoadCtx& ctx) {
  for (int i = 0; i < 5; ++i)
    if (Status s = ctx.require_input(i, kFloatTypes); !s.ok()) return s;
  auto st = std::make_shared<BnState>();
  st->epsilon = ctx.attr_float("epsilon", 1e-5f);
  st->momentum = ctx.attr_float("momentum", 0.9f);
  if (ctx.opset() >= 14) st->training = ctx.attr_int("training_mode", 0) != 0;
  else if (ctx.has_output(1) || ctx.has_output(2) || ctx.has_output(3) || ctx.has_output(4))
    return ctx.unsupported("training-mode outputs (mean, var, saved_mean, saved_var) before opset 14");
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (ctx.opset() >= 14 && !st->training && (ctx.has_output(1) || ctx.has_output(2)))
    return ctx.invalid("running_mean/running_var outputs need training_mode=1");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_out(1, ctx.in_dtype(3));
  ctx.set_out(2, ctx.in_dtype(4));
  ctx.set_state(st);
  return {};
}

// Inference: y = x * a[c] + b[c] with a = scale / sqrt(var + eps), b = bias - mean * a.
Status bn_run(const KernelCtx& k) {
  const auto& st = k.st<BnState>();
  const auto& p = k.plan_data<BnPlan>();
  const int64_t np = p.per_position ? p.c * p.inner : p.c;
  float* a = static_cast<float*>(k.scratch);
  float* b = a + np;
  for (int64_t i = 0; i < np; ++i) {
    double ai = fval(k.in[1], i) / std::sqrt(fval(k.in[4], i) + st.epsilon);
    a[i] = static_cast<float>(ai);
    b[i] = static_cast<float>(fval(k.in[2], i) - fval(k.in[3], i) * ai);
  }
  const TensorView& X = k.in[0];
  const TensorView& Y = k.out[0];
  for_rows(k, p.n * p.c, p.inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r % p.c, base = r * p.inner;
      if (X.dtype == DType::F32 && !p.per_position) {
        kernels::norm_f32().scale_shift(ptr<float>(X) + base, ptr<float>(Y) + base, p.inner, a[c], b[c]);
      } else {
        for (int64_t j = 0; j < p.inner; ++j) {
          int64_t pi = p.per_position ? c * p.inner + j : c;
          if (X.dtype == DType::F64)
            ptr<double>(Y)[base + j] = ptr<double>(X)[base + j] * a[pi] + b[pi];
          else
            fset(Y, base + j, fval(X, base + j) * a[pi] + b[pi]);
        }
      }
    }
  });
  return {};
}

// Training mode: statistics of the batch (population variance over N and the spatial axes).
Status bn_run_training(const KernelCtx& k) {
  const auto& st = k.st<BnState>();
  const auto& p = k.plan_data<BnPlan>();
  const TensorView& X = k.in[0];
  const double cnt = static_cast<double>(p.n * p.inner);
  for (int64_t c = 0; c < p.c; ++c) {
    double s = 0, q = 0;
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t j = 0; j < p.inner; ++j) s += fval(X, (n * p.c + c) * p.inner + j);
    const double mean = cnt > 0 ? s / cnt : 0;
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t j = 0; j < p.inner; ++j) {
        double d = fval(X, (n * p.c + c) * p.inner + j) - mean;
        q += d * d;
      }
    const double var = cnt > 0 ? q / cnt : 0;
    const double a = fval(k.in[1], c) / std::sqrt(var + st.epsilon);
    const double b = fval(k.in[2], c) - mean * a;
    for (int64_t n = 0; n < p.n; ++n)
      for (int64_t j = 0; j < p.inner; ++j) {
        int64_t i = (n * p.c + c) * p.inner + j;
        fset(k.out[0], i, fval(X, i) * a + b);
      }
    if (k.n_out > 1 && k.out[1].data) fset(k.out[1], c, fval(k.in[3], c) * st.momentum + mean * (1 - st.momentum));
    if (k.n_out > 2 && k.out[2].data) fset(k.out[2], c, fval(k.in[4], c) * st.momentum + var * (1 - st.momentum));
  }
  return {};
}

Status bn_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const BnState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 2) return ctx.invalid_input("X must have rank >= 2 (N, C, ...), got " + xs.str());
  auto& p = ctx.make_data<BnPlan>();
  p.n = xs[0], p.c = xs[1], p.inner = 1;
  for (int d = 2; d < xs.rank(); ++d) p.inner *= xs[d];
  const int64_t pn = ctx.in_shape(1).numel();
  p.per_position = !st.training && ctx.opset() < 9 && pn != p.c && pn == p.c * p.inner;
  const int64_t need = p.per_position ? p.c * p.inner : p.c;
  for (int i = 1; i < 5; ++i)
    if (ctx.in_shape(i).numel() != need)
      return ctx.invalid_input("parameter " + std::to_string(i) + " has shape " + ctx.in_shape(i).str() +
                               ", expected " + std::to_string(need) + " elements");
  ctx.set_out_shape(0, xs);
  if (ctx.has_output(1)) ctx.set_out_shape(1, Shape{p.c});
  if (ctx.has_output(2)) ctx.set_out_shape(2, Shape{p.c});
  if (st.training) {
    ctx.set_kernel(bn_run_training);
  } else {
    ctx.set_kernel(bn_run);
    ctx.set_scratch(static_cast<size_t>(2 * need) * sizeof(float));
    ctx.allow_in_place(0, 0);
  }
  return {};
}

// ---- LayerNormalization ----------------------------------------------------------------------
struct LnState : OpState {
  int64_t axis = -1;
  float epsilon = 1e-5f;
};

struct LnPlan : PlanData {
  int64_t rows = 0, len = 0;
  bool expand = false;  // Scale/B smaller than a row: repeated into scratch
};

Status ln_load(LoadCtx& ctx) {
  if (Status s = ctx.require_input(0, kFloatTypes); !s.ok()) return s;
  // rtml:LayerNormalization (made by the fusion) may have no Scale: then it is 1.
  if (Status s = ctx.require_input(1, kFloatTypes, ctx.node.domain != "rtml"); !s.ok()) return s;
  if (Status s = ctx.require_input(2, kFloatTypes, false); !s.ok()) return s;
  if ((ctx.has_input(1) && ctx.in_dtype(1) != ctx.in_dtype(0)) || (ctx.has_input(2) && ctx.in_dtype(2) != ctx.in_dtype(0)))
    return ctx.invalid("Scale and B must have X's type");
  auto st = std::make_shared<LnState>();
  st->axis = ctx.attr_int("axis", -1);
  st->epsilon = ctx.attr_float("epsilon", 1e-5f);
  int64_t stash = ctx.attr_int("stash_type", 1);
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (stash != 1) return ctx.unsupported("stash_type " + std::to_string(stash) + " (only 1, float)");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_out(1, DType::F32);
  ctx.set_out(2, DType::F32);
  ctx.set_state(st);
  return {};
}

Status ln_run(const KernelCtx& k) {
  const auto& st = k.st<LnState>();
  const auto& p = k.plan_data<LnPlan>();
  const TensorView& X = k.in[0];
  const TensorView& Y = k.out[0];
  float* mean_out = k.n_out > 1 ? ptr<float>(k.out[1]) : nullptr;
  float* inv_out = k.n_out > 2 ? ptr<float>(k.out[2]) : nullptr;
  const bool has_bias = k.n_in > 2 && k.in[2].data;
  const bool has_scale = k.in[1].data != nullptr;
  const bool f32 = X.dtype == DType::F32;
  const float* scale = nullptr;
  const float* bias = nullptr;
  if (f32 && !p.expand) {
    scale = ptr<float>(k.in[1]);
    bias = has_bias ? ptr<float>(k.in[2]) : nullptr;
  } else if (f32) {  // repeat Scale/B over the row
    float* s = static_cast<float*>(k.scratch);
    float* b = s + p.len;
    const int64_t ns = has_scale ? k.in[1].numel() : 1, nb = has_bias ? k.in[2].numel() : 1;
    for (int64_t i = 0; i < p.len; ++i) {
      s[i] = has_scale ? ptr<float>(k.in[1])[i % ns] : 1.0f;
      b[i] = has_bias ? ptr<float>(k.in[2])[i % nb] : 0.0f;
    }
    scale = s, bias = b;
  }
  const auto& kern = kernels::norm_f32();
  for_rows(k, p.rows, p.len, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t base = r * p.len;
      float mean = 0, var = 0, inv = 0;
      if (f32) {
        const float* x = ptr<float>(X) + base;
        kern.moments(x, p.len, &mean, &var);
        inv = 1.0f / std::sqrt(var + st.epsilon);
        kern.normalize(x, ptr<float>(Y) + base, p.len, mean, inv, scale, bias);
      } else {  // float64 in double, float16 in float (stash_type 1 keeps the statistics in float)
        double s = 0, q = 0;
        for (int64_t i = 0; i < p.len; ++i) s += fval(X, base + i);
        const double m = s / static_cast<double>(p.len);
        for (int64_t i = 0; i < p.len; ++i) q += (fval(X, base + i) - m) * (fval(X, base + i) - m);
        const double iv = 1.0 / std::sqrt(q / static_cast<double>(p.len) + st.epsilon);
        const int64_t ns = has_scale ? k.in[1].numel() : 1, nb = has_bias ? k.in[2].numel() : 1;
        for (int64_t i = 0; i < p.len; ++i) {
          double y = (fval(X, base + i) - m) * iv * (has_scale ? fval(k.in[1], i % ns) : 1.0);
          if (has_bias) y += fval(k.in[2], i % nb);
          fset(Y, base + i, y);
        }
        mean = static_cast<float>(m), inv = static_cast<float>(iv);
      }
      if (mean_out) mean_out[r] = mean;
      if (inv_out) inv_out[r] = inv;
    }
  });
  return {};
}

// Scale/B of `len` elements, or a trailing part of the normalised shape that repeats over it.
bool ln_param_fits(const Shape& xs, int64_t axis, const Shape& ps) {
  int pr = ps.rank();
  while (pr > 0 && ps[ps.rank() - pr] == 1 && pr > xs.rank() - axis) --pr;  // leading 1s
  if (pr > xs.rank() - axis) return false;
  for (int i = 0; i < pr; ++i)
    if (ps[ps.rank() - 1 - i] != xs[xs.rank() - 1 - i]) {
      // a broadcast 1 is only supported when everything before it is 1 too
      for (int j = i; j < pr; ++j)
        if (ps[ps.rank() - 1 - j] != 1) return false;
      return true;
    }
  return true;
}

Status ln_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const LnState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  int64_t axis;
  if (!normalize_axis(st.axis, xs.rank(), &axis))
    return ctx.invalid_input("axis " + std::to_string(st.axis) + " out of range for X " + xs.str());
  auto& p = ctx.make_data<LnPlan>();
  p.rows = 1, p.len = 1;
  for (int d = 0; d < axis; ++d) p.rows *= xs[d];
  for (int d = static_cast<int>(axis); d < xs.rank(); ++d) p.len *= xs[d];
  for (int i = 1; i <= 2; ++i) {
    if (!ctx.has_input(i)) continue;
    const Shape& ps = ctx.in_shape(i);
    if (!ln_param_fits(xs, axis, ps))
      return ctx.invalid_input((i == 1 ? "Scale " : "B ") + ps.str() + " does not fit X " + xs.str() + " at axis " +
                               std::to_string(axis));
    if (ps.numel() != p.len) p.expand = true;
  }
  if (!ctx.has_input(1)) p.expand = true;
  if (p.len == 0) p.rows = 0;
  ctx.set_out_shape(0, xs);
  Shape ms = xs;
  for (int d = static_cast<int>(axis); d < ms.rank(); ++d) ms[d] = 1;
  if (ctx.has_output(1)) ctx.set_out_shape(1, ms);
  if (ctx.has_output(2)) ctx.set_out_shape(2, ms);
  if (p.expand && ctx.in_dtype(0) == DType::F32) ctx.set_scratch(static_cast<size_t>(2 * p.len) * sizeof(float));
  ctx.set_kernel(ln_run);
  ctx.allow_in_place(0, 0);
  return {};
}

// ---- InstanceNormalization -------------------------------------------------------------------
struct InState : OpState {
  float epsilon = 1e-5f;
};

Status in_load(LoadCtx& ctx) {
  for (int i = 0; i < 3; ++i)
    if (Status s = ctx.require_input(i, kFloatTypes); !s.ok()) return s;
  auto st = std::make_shared<InState>();
  st->epsilon = ctx.attr_float("epsilon", 1e-5f);
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

struct InPlan : PlanData {
  int64_t n = 0, c = 0, inner = 0;
};

Status in_run(const KernelCtx& k) {
  const auto& st = k.st<InState>();
  const auto& p = k.plan_data<InPlan>();
  const TensorView& X = k.in[0];
  const TensorView& Y = k.out[0];
  const auto& kern = kernels::norm_f32();
  for_rows(k, p.n * p.c, p.inner, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r % p.c, base = r * p.inner;
      if (X.dtype == DType::F32) {
        float mean, var;
        kern.moments(ptr<float>(X) + base, p.inner, &mean, &var);
        float a = static_cast<float>(fval(k.in[1], c) / std::sqrt(static_cast<double>(var) + st.epsilon));
        float b = static_cast<float>(fval(k.in[2], c) - mean * static_cast<double>(a));
        kern.scale_shift(ptr<float>(X) + base, ptr<float>(Y) + base, p.inner, a, b);
      } else {
        double s = 0, q = 0;
        for (int64_t i = 0; i < p.inner; ++i) s += fval(X, base + i);
        const double m = s / static_cast<double>(p.inner);
        for (int64_t i = 0; i < p.inner; ++i) q += (fval(X, base + i) - m) * (fval(X, base + i) - m);
        const double a = fval(k.in[1], c) / std::sqrt(q / static_cast<double>(p.inner) + st.epsilon);
        const double b = fval(k.in[2], c) - m * a;
        for (int64_t i = 0; i < p.inner; ++i) fset(Y, base + i, fval(X, base + i) * a + b);
      }
    }
  });
  return {};
}

Status in_plan(PlanCtx& ctx) {
  const Shape& xs = ctx.in_shape(0);
  if (xs.rank() < 3) return ctx.invalid_input("X must have rank >= 3 (N, C, D1, ...), got " + xs.str());
  auto& p = ctx.make_data<InPlan>();
  p.n = xs[0], p.c = xs[1], p.inner = 1;
  for (int d = 2; d < xs.rank(); ++d) p.inner *= xs[d];
  for (int i = 1; i <= 2; ++i)
    if (ctx.in_shape(i).numel() != p.c)
      return ctx.invalid_input(std::string(i == 1 ? "scale " : "B ") + ctx.in_shape(i).str() + " must have C=" +
                               std::to_string(p.c) + " elements");
  if (p.inner == 0) p.n = 0;
  ctx.set_out_shape(0, xs);
  ctx.set_kernel(in_run);
  ctx.allow_in_place(0, 0);
  return {};
}

}  // namespace

void register_norm_ops(OpRegistry& r) {
  r.add({"", "BatchNormalization", 7, 0, bn_load, bn_plan});
  r.add({"", "LayerNormalization", 17, 0, ln_load, ln_plan});
  r.add({"rtml", "LayerNormalization", 1, 0, ln_load, ln_plan});  // made by the fusion at any opset
  r.add({"", "InstanceNormalization", 7, 0, in_load, in_plan});
}

}  // namespace rtml
