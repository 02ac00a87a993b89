// ops/conv.cc - Conv (1-D/2-D/3-D, groups, depthwise, dilations, strides, pads, auto_pad),
// rtml:FusedConv (Conv + activation, made by the fusion passes) and ConvTranspose. QLinearConv is
// in ops/conv_quant.cc.
//
// Conv picks per shape: depthwise (one input channel per group) and tiny reductions -> the
// direct kernel; 1x1 stride 1 -> the input is already the GEMM operand; stride 1 with a padded grid
// close to the output -> the shifted path (one thread: conv::shifted_conv, an implicit GEMM on the
// padded input with 8-row weight panels packed at load; threads: shifted rows + the threaded GEMM);
// otherwise im2col into scratch + GEMM with the weights packed once at load. Bias and activation
// run in the GEMM epilogue.
// float16 and double are computed in float (converted in scratch).
#include <algorithm>
#include <cstring>

#include "ops/common.hpp"
#include "ops/kernels/conv_geom.hpp"
#include "ops/fused_activation.hpp"

namespace rtml {
namespace {


// Converts n values of a float16/double/float tensor to float.
void to_float(DType t, const void* src, int64_t n, float* dst) {
  if (t == DType::F16)
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(static_cast<const uint16_t*>(src)[i]);
  else if (t == DType::F64)
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(static_cast<const double*>(src)[i]);
  else
    std::memcpy(dst, src, n * sizeof(float));
}
void from_float(DType t, const float* src, int64_t n, void* dst) {
  if (t == DType::F16)
    for (int64_t i = 0; i < n; ++i) static_cast<uint16_t*>(dst)[i] = float_to_half(src[i]);
  else
    for (int64_t i = 0; i < n; ++i) static_cast<double*>(dst)[i] = src[i];
}

int64_t r16(int64_t n) { return (n + 15) & ~int64_t(15); }

// ---- Conv ---------------------------------------------------------------------------------------

struct ConvState : OpState {
  DType dt = DType::F32;
  conv::WindowAttrs wa;
  int64_t group = 1;
  gemm::Epilogue ep;           // activation of rtml:FusedConv
  Tensor packed_w;             // constant float W: per group, packed A of [M/group, C/group * k]
  int64_t packed_m = 0, packed_k = 0;  // M and C/group*k of the packing (checked at plan)
  Tensor shifted_w;            // the same per group in conv::kShiftRows-row panels (shifted_conv)
};

enum class ConvMethod { Direct, Pointwise, Im2col, Shifted };

struct ConvPlan : PlanData {
  conv::Geom g;
  int64_t N = 0, C = 0, M = 0, Cg = 0, Mg = 0, kk = 0;
  ConvMethod method = ConvMethod::Im2col;
  bool packed = false;
  bool implicit = false;  // Shifted: conv::shifted_conv on shifted_w instead of shifted_cols + GEMM
  int threads = 1;
  int64_t col_floats = 0, gemm_floats = 0;  // scratch parts (float path)
  int64_t conv_floats = 0;                  // x, w, b, y converted to float (float16/double)
};

// What Conv and ConvTranspose read alike: one float type for X, W and B, the window attributes,
// group.
template <class State>
Status load_conv_common(LoadCtx& ctx, State* st) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F16, DType::F64}); !s.ok()) return s;
  st->dt = ctx.in_dtype(0);
  if (ctx.in_dtype(1) != st->dt || (ctx.has_input(2) && ctx.in_dtype(2) != st->dt))
    return ctx.invalid("X, W and B must have the same type");
  if (Status s = conv::read_window_attrs(ctx, &st->wa); !s.ok()) return s;
  st->group = ctx.attr_int("group", 1);
  if (st->group < 1) return ctx.invalid("group must be >= 1");
  return {};
}

Status conv_load(LoadCtx& ctx) {
  auto st = std::make_shared<ConvState>();
  if (Status s = load_conv_common(ctx, st.get()); !s.ok()) return s;
  if (ctx.node.domain == "rtml")
    if (Status s = load_fused_activation(ctx, &st->ep); !s.ok()) return s;
  if (const Tensor* w = ctx.in_const(1); w && st->dt == DType::F32 && w->shape().rank() >= 3) {
    const int64_t M = w->shape()[0];
    if (M % st->group == 0 && M > 0) {
      const int64_t mg = M / st->group, kdim = w->numel() / M;
      const int64_t per = gemm::packed_a_floats(mg, kdim);
      st->packed_w = Tensor(DType::F32, Shape{per * st->group});
      for (int64_t gi = 0; gi < st->group; ++gi)
        gemm::pack_a(w->data<float>() + gi * mg * kdim, kdim, 1, mg, kdim, st->packed_w.data<float>() + gi * per);
      st->packed_m = mg, st->packed_k = kdim;
      const int64_t sper = conv::shifted_packed_floats(mg, kdim);
      st->shifted_w = Tensor(DType::F32, Shape{sper * st->group});
      for (int64_t gi = 0; gi < st->group; ++gi)
        conv::pack_shifted_weights(w->data<float>() + gi * mg * kdim, mg, kdim, st->shifted_w.data<float>() + gi * sper);
    }
  }
  ctx.set_out(0, st->dt);
  ctx.set_state(st);
  return {};
}

int64_t per_group_packed(const ConvPlan& p) { return gemm::packed_a_floats(p.Mg, p.Cg * p.kk); }

// One image, float: y [M][out] from x [C][in]. first: the first image of this run (the scratch
// holds nothing of ours yet).
void conv_image(const ConvState& st, const ConvPlan& p, const float* x, const float* w, const float* b, float* y,
                float* scratch, ThreadPool* pool, bool first) {
  if (p.method == ConvMethod::Direct) {
    conv::direct(x, p.C, w, p.M, st.group, b, p.g, st.ep, y);
    return;
  }
  const int64_t osz = p.g.out_size(), isz = p.g.in_size();
  float* col = scratch;
  float* ws = scratch + p.col_floats;
  if (p.method == ConvMethod::Shifted) {
    // scratch: xp (padded input of one group) | col (shifted rows) | wide result | GEMM
    const int64_t nw = conv::wide_cols(p.g);
    float* xp = scratch;
    float* cols = xp + r16(conv::padded_floats(p.g, p.Cg));
    float* wide = cols + r16(p.Cg * p.kk * nw);
    ws = wide + r16(p.Mg * nw);
    for (int64_t gi = 0; gi < st.group; ++gi) {
      // The padded buffer is reused by every group and image: its border is zeroed once per run.
      if (first && gi == 0) conv::pad_input(x, p.Cg, p.g, xp);
      else conv::pad_input_rows(x + gi * p.Cg * isz, p.Cg, p.g, xp);
      if (p.implicit) {
        gemm::Epilogue ep = st.ep;
        ep.bias = b ? b + gi * p.Mg : nullptr;
        ep.bias_per_row = true;
        conv::shifted_conv(xp, p.Cg, p.g, st.shifted_w.data<float>() + gi * conv::shifted_packed_floats(p.Mg, p.Cg * p.kk),
                           p.Mg, ep, y + gi * p.Mg * osz);
        continue;
      }
      conv::shifted_cols(xp, p.Cg, p.g, cols);
      gemm::Args ga;
      ga.M = p.Mg, ga.N = nw, ga.K = p.Cg * p.kk;
      if (p.packed) ga.a.packed = st.packed_w.data<float>() + gi * per_group_packed(p);
      else ga.a = {w + gi * p.Mg * p.Cg * p.kk, p.Cg * p.kk, 1, nullptr};
      ga.b = {cols, nw, 1, nullptr};
      ga.c = wide, ga.ldc = nw;
      ga.ep = st.ep;
      ga.ep.bias = b ? b + gi * p.Mg : nullptr;
      ga.ep.bias_per_row = true;
      gemm::sgemm(ga, ws, pool, p.threads);
      conv::compact_wide(wide, p.Mg, p.g, y + gi * p.Mg * osz);
    }
    return;
  }
  const int64_t per = gemm::packed_a_floats(p.Mg, p.Cg * p.kk);
  for (int64_t gi = 0; gi < st.group; ++gi) {
    gemm::Args ga;
    ga.M = p.Mg, ga.N = osz, ga.K = p.Cg * p.kk;
    if (p.packed) ga.a.packed = st.packed_w.data<float>() + gi * per;
    else ga.a = {w + gi * p.Mg * p.Cg * p.kk, p.Cg * p.kk, 1, nullptr};
    const float* xg = x + gi * p.Cg * isz;
    if (p.method == ConvMethod::Pointwise) {
      ga.b = {xg, isz, 1, nullptr};
    } else {
      conv::im2col(xg, p.Cg, p.g, col);
      ga.b = {col, osz, 1, nullptr};
    }
    ga.c = y + gi * p.Mg * osz;
    ga.ldc = osz;
    ga.ep = st.ep;
    ga.ep.bias = b ? b + gi * p.Mg : nullptr;
    ga.ep.bias_per_row = true;
    gemm::sgemm(ga, ws, pool, p.threads);
  }
}

Status conv_run(const KernelCtx& k) {
  const auto& st = k.st<ConvState>();
  const auto& p = k.plan_data<ConvPlan>();
  ThreadPool* pool = k.env ? k.env->pool : nullptr;
  const int64_t xs = p.C * p.g.in_size(), ys = p.M * p.g.out_size();
  float* scratch = static_cast<float*>(k.scratch);
  const float *x, *w, *b = nullptr;
  float* y;
  if (st.dt == DType::F32) {
    x = static_cast<const float*>(k.in[0].data);
    w = static_cast<const float*>(k.in[1].data);
    if (k.n_in > 2 && k.in[2].data) b = static_cast<const float*>(k.in[2].data);
    y = static_cast<float*>(k.out[0].data);
  } else {  // float16 / double through float
    float* fx = scratch;
    float* fw = fx + r16(p.N * xs);
    float* fb = fw + r16(k.in[1].numel());
    float* fy = fb + r16(p.M);
    scratch = fy + r16(p.N * ys);
    to_float(st.dt, k.in[0].data, p.N * xs, fx);
    to_float(st.dt, k.in[1].data, k.in[1].numel(), fw);
    if (k.n_in > 2 && k.in[2].data) to_float(st.dt, k.in[2].data, p.M, fb), b = fb;
    x = fx, w = fw, y = fy;
  }
  for (int64_t n = 0; n < p.N; ++n) conv_image(st, p, x + n * xs, w, b, y + n * ys, scratch, pool, n == 0);
  if (st.dt != DType::F32) from_float(st.dt, y, p.N * ys, k.out[0].data);
  return {};
}

Status conv_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ConvState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  const Shape& wsh = ctx.in_shape(1);
  if (xs.rank() < 3 || wsh.rank() != xs.rank()) return ctx.invalid_input("Conv: X " + xs.str() + " and W " + wsh.str() + " ranks");
  auto& p = ctx.make_data<ConvPlan>();
  p.N = xs[0], p.C = xs[1], p.M = wsh[0];
  if (p.C % st.group != 0 || p.M % st.group != 0) return ctx.invalid_input("Conv: channels not divisible by group");
  p.Cg = p.C / st.group, p.Mg = p.M / st.group;
  if (wsh[1] != p.Cg) return ctx.invalid_input("Conv: W " + wsh.str() + " does not match C/group = " + std::to_string(p.Cg));
  std::vector<int64_t> kernel(wsh.begin() + 2, wsh.end());
  if (!st.wa.kernel_shape.empty() && st.wa.kernel_shape != kernel)
    return ctx.invalid_input("Conv: kernel_shape differs from W's shape");
  if (std::string e = conv::forward_geom(st.wa, xs, kernel, &p.g); !e.empty()) return ctx.invalid_input("Conv: " + e);
  if (ctx.has_input(2) && ctx.in_shape(2).numel() != p.M) return ctx.invalid_input("Conv: B must hold M values");
  Shape out{p.N, p.M};
  for (int i = 0; i < p.g.nd; ++i) out.push_back(p.g.out[3 - p.g.nd + i]);
  ctx.set_out_shape(0, out);
  p.kk = p.g.k_size();
  p.packed = st.packed_w.raw() != nullptr && st.packed_m == p.Mg && st.packed_k == p.Cg * p.kk;
  // Direct when a group reduces over few values (depthwise: C/group * k small): im2col would
  // copy the input k times for a GEMM too thin to pay for it.
  if (p.Cg * p.kk <= 16 && p.Mg <= 4) p.method = ConvMethod::Direct;
  else if (p.g.pointwise()) p.method = ConvMethod::Pointwise;
  // Stride 1 and the padded grid at most 1.5x the output (the wasted columns are computed too;
  // torch_cnn_digits28's 7x7 layer with pads 1 (1.29x) is faster this way than through im2col's
  // 7-float row copies): contiguous shifted rows instead of im2col's short per-row copies.
  else if (conv::shifted_ok(p.g) && conv::wide_cols(p.g) * 2 <= p.g.out_size() * 3) p.method = ConvMethod::Shifted;
  else p.method = ConvMethod::Im2col;
  if (p.N * p.M * p.g.out_size() == 0) p.method = ConvMethod::Direct;
  if (p.method != ConvMethod::Direct) {
    gemm::Args ga;
    ga.M = p.Mg, ga.N = p.g.out_size(), ga.K = p.Cg * p.kk;
    if (p.packed) ga.a.packed = st.packed_w.data<float>();
    p.threads = gemm::threads_for(ga, ctx.threads());
    p.gemm_floats = gemm::scratch_floats(ga, p.threads);
    p.col_floats = p.method == ConvMethod::Im2col ? r16(p.Cg * p.kk * p.g.out_size()) : 0;
    if (p.method == ConvMethod::Shifted) {
      const int64_t nw = conv::wide_cols(p.g);
      ga.N = nw;
      p.threads = gemm::threads_for(ga, ctx.threads());
      p.gemm_floats = gemm::scratch_floats(ga, p.threads);
      p.col_floats = r16(conv::padded_floats(p.g, p.Cg)) + r16(p.Cg * p.kk * nw) + r16(p.Mg * nw);
      // One thread: the implicit GEMM (no shifted_cols copy, 8-row tiles); threads split the GEMM.
      p.implicit = p.packed && p.threads == 1;
    }
  }
  if (st.dt != DType::F32)
    p.conv_floats = r16(p.N * p.C * p.g.in_size()) + r16(ctx.in_shape(1).numel()) + r16(p.M) +
                    r16(p.N * p.M * p.g.out_size());
  ctx.set_scratch(static_cast<size_t>(p.col_floats + p.gemm_floats + p.conv_floats) * sizeof(float));
  ctx.set_kernel(conv_run);
  return {};
}

// ---- ConvTranspose ------------------------------------------------------------------------------

struct ConvTState : OpState {
  DType dt = DType::F32;
  conv::WindowAttrs wa;
  int64_t group = 1;
  Tensor packed_w;  // constant float W: per group, packed A = W_g^T [M/group * k, C/group]
  int64_t packed_m = 0, packed_k = 0;
};

struct ConvTPlan : PlanData {
  conv::Geom g;  // g.in = output spatial, g.out = input spatial
  int64_t N = 0, C = 0, M = 0, Cg = 0, Mg = 0, kk = 0;
  bool packed = false;
  int threads = 1;
  int64_t col_floats = 0, gemm_floats = 0, conv_floats = 0;
};

Status convt_load(LoadCtx& ctx) {
  auto st = std::make_shared<ConvTState>();
  if (Status s = load_conv_common(ctx, st.get()); !s.ok()) return s;
  if (const Tensor* w = ctx.in_const(1); w && st->dt == DType::F32 && w->shape().rank() >= 3) {
    const int64_t C = w->shape()[0];
    if (C % st->group == 0 && C > 0) {
      const int64_t cg = C / st->group, rows = w->numel() / C;  // rows = M/group * k
      const int64_t per = gemm::packed_a_floats(rows, cg);
      st->packed_w = Tensor(DType::F32, Shape{per * st->group});
      for (int64_t gi = 0; gi < st->group; ++gi)
        gemm::pack_a(w->data<float>() + gi * cg * rows, 1, rows, rows, cg, st->packed_w.data<float>() + gi * per);
      st->packed_m = rows, st->packed_k = cg;
    }
  }
  ctx.set_out(0, st->dt);
  ctx.set_state(st);
  return {};
}

Status convt_run(const KernelCtx& k) {
  const auto& st = k.st<ConvTState>();
  const auto& p = k.plan_data<ConvTPlan>();
  ThreadPool* pool = k.env ? k.env->pool : nullptr;
  const int64_t isz = p.g.out_size(), osz = p.g.in_size();  // input / output spatial sizes
  const int64_t rows = p.Mg * p.kk;
  float* scratch = static_cast<float*>(k.scratch);
  const float *x, *w, *b = nullptr;
  float* y;
  if (st.dt == DType::F32) {
    x = static_cast<const float*>(k.in[0].data);
    w = static_cast<const float*>(k.in[1].data);
    if (k.n_in > 2 && k.in[2].data) b = static_cast<const float*>(k.in[2].data);
    y = static_cast<float*>(k.out[0].data);
  } else {
    float* fx = scratch;
    float* fw = fx + r16(p.N * p.C * isz);
    float* fb = fw + r16(k.in[1].numel());
    float* fy = fb + r16(p.M);
    scratch = fy + r16(p.N * p.M * osz);
    to_float(st.dt, k.in[0].data, p.N * p.C * isz, fx);
    to_float(st.dt, k.in[1].data, k.in[1].numel(), fw);
    if (k.n_in > 2 && k.in[2].data) to_float(st.dt, k.in[2].data, p.M, fb), b = fb;
    x = fx, w = fw, y = fy;
  }
  float* col = scratch;
  float* ws = scratch + p.col_floats;
  const int64_t per = gemm::packed_a_floats(rows, p.Cg);
  for (int64_t n = 0; n < p.N; ++n) {
    float* yn = y + n * p.M * osz;
    std::fill(yn, yn + p.M * osz, 0.0f);
    for (int64_t gi = 0; gi < st.group; ++gi) {
      gemm::Args ga;
      ga.M = rows, ga.N = isz, ga.K = p.Cg;
      if (p.packed) ga.a.packed = st.packed_w.data<float>() + gi * per;
      else ga.a = {w + gi * p.Cg * rows, 1, rows, nullptr};
      ga.b = {x + (n * p.C + gi * p.Cg) * isz, isz, 1, nullptr};
      ga.c = col, ga.ldc = isz;
      gemm::sgemm(ga, ws, pool, p.threads);
      conv::col2im_add(col, p.Mg, p.g, yn + gi * p.Mg * osz);
    }
    gemm::Epilogue ep;
    ep.bias = b, ep.bias_per_row = true;
    gemm::apply_epilogue(ep, yn, osz, 0, p.M, osz);
  }
  if (st.dt != DType::F32) from_float(st.dt, y, p.N * p.M * osz, k.out[0].data);
  return {};
}

Status convt_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ConvTState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  const Shape& wsh = ctx.in_shape(1);
  if (xs.rank() < 3 || wsh.rank() != xs.rank())
    return ctx.invalid_input("ConvTranspose: X " + xs.str() + " and W " + wsh.str() + " ranks");
  auto& p = ctx.make_data<ConvTPlan>();
  p.N = xs[0], p.C = xs[1];
  if (wsh[0] != p.C) return ctx.invalid_input("ConvTranspose: W's first dim must be C");
  if (p.C % st.group != 0) return ctx.invalid_input("ConvTranspose: C not divisible by group");
  p.Cg = p.C / st.group, p.Mg = wsh[1], p.M = p.Mg * st.group;
  std::vector<int64_t> kernel(wsh.begin() + 2, wsh.end());
  if (!st.wa.kernel_shape.empty() && st.wa.kernel_shape != kernel)
    return ctx.invalid_input("ConvTranspose: kernel_shape differs from W's shape");
  std::vector<int64_t> od;
  if (std::string e = conv::transpose_geom(st.wa, xs, kernel, &p.g, &od); !e.empty())
    return ctx.invalid_input("ConvTranspose: " + e);
  if (ctx.has_input(2) && ctx.in_shape(2).numel() != p.M) return ctx.invalid_input("ConvTranspose: B must hold M values");
  Shape out{p.N, p.M};
  for (int64_t d : od) out.push_back(d);
  ctx.set_out_shape(0, out);
  p.kk = p.g.k_size();
  p.packed = st.packed_w.raw() != nullptr && st.packed_m == p.Mg * p.kk && st.packed_k == p.Cg;
  gemm::Args ga;
  ga.M = p.Mg * p.kk, ga.N = p.g.out_size(), ga.K = p.Cg;
  if (p.packed) ga.a.packed = st.packed_w.data<float>();
  p.threads = gemm::threads_for(ga, ctx.threads());
  p.gemm_floats = gemm::scratch_floats(ga, p.threads);
  p.col_floats = r16(p.Mg * p.kk * p.g.out_size());
  if (st.dt != DType::F32)
    p.conv_floats = r16(p.N * p.C * p.g.out_size()) + r16(ctx.in_shape(1).numel()) + r16(p.M) +
                    r16(p.N * p.M * p.g.in_size());
  ctx.set_scratch(static_cast<size_t>(p.col_floats + p.gemm_floats + p.conv_floats) * sizeof(float));
  ctx.set_kernel(convt_run);
  return {};
}

}  // namespace

void register_conv_quant_ops(OpRegistry& r);

void register_conv_ops(OpRegistry& r) {
  r.add({"", "Conv", 1, 0, conv_load, conv_plan});
  r.add({"rtml", "FusedConv", 1, 0, conv_load, conv_plan});
  r.add({"", "ConvTranspose", 1, 0, convt_load, convt_plan});
  register_conv_quant_ops(r);
}

}  // namespace rtml
