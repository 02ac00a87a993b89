// ops/conv_quant.cc - QLinearConv: uint8/int8 activations and weights, per-tensor or per-channel
// weight scales/zero points, optional int32 bias. Exact int32 accumulation of
// (x - x_zp) * (w - w_zp), then y = saturate(round_half_even(acc * x_scale * w_scale / y_scale) + y_zp)
// as ONNX Runtime requantizes (the multiplier formed in float).
#include <algorithm>
#include <cmath>

#include "ops/common.hpp"
#include "ops/kernels/conv_geom.hpp"

namespace rtml {
namespace {

struct QConvState : OpState {
  conv::WindowAttrs wa;
  int64_t group = 1;
  DType xt = DType::U8, wt = DType::U8, yt = DType::U8;
};

struct QConvPlan : PlanData {
  conv::Geom g;
  int64_t N = 0, C = 0, M = 0, Cg = 0, Mg = 0, kk = 0;
  int64_t n_wscale = 1, n_wzp = 1;
};

int32_t load_q(DType t, const void* p, int64_t i) {
  return t == DType::U8 ? static_cast<const uint8_t*>(p)[i] : static_cast<const int8_t*>(p)[i];
}

Status qconv_load(LoadCtx& ctx) {
  auto st = std::make_shared<QConvState>();
  if (Status s = ctx.require_input(0, {DType::U8, DType::I8}); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::F32}); !s.ok()) return s;
  if (Status s = ctx.require_input(2, {DType::U8, DType::I8}); !s.ok()) return s;
  if (Status s = ctx.require_input(3, {DType::U8, DType::I8}); !s.ok()) return s;
  if (Status s = ctx.require_input(4, {DType::F32}); !s.ok()) return s;
  if (Status s = ctx.require_input(5, {DType::U8, DType::I8}); !s.ok()) return s;
  if (Status s = ctx.require_input(6, {DType::F32}); !s.ok()) return s;
  if (Status s = ctx.require_input(7, {DType::U8, DType::I8}); !s.ok()) return s;
  if (Status s = ctx.require_input(8, {DType::I32}, false); !s.ok()) return s;
  st->xt = ctx.in_dtype(0), st->wt = ctx.in_dtype(3), st->yt = ctx.in_dtype(7);
  if (ctx.in_dtype(2) != st->xt || ctx.in_dtype(5) != st->wt) return ctx.invalid("zero point type differs from its tensor");
  if (Status s = conv::read_window_attrs(ctx, &st->wa); !s.ok()) return s;
  st->group = ctx.attr_int("group", 1);
  if (st->group < 1) return ctx.invalid("group must be >= 1");
  ctx.set_out(0, st->yt);
  ctx.set_state(st);
  return {};
}

Status qconv_run(const KernelCtx& k) {
  const auto& st = k.st<QConvState>();
  const auto& p = k.plan_data<QConvPlan>();
  const conv::Geom& g = p.g;
  const void* x = k.in[0].data;
  const void* w = k.in[3].data;
  const float x_scale = *static_cast<const float*>(k.in[1].data);
  const int32_t x_zp = load_q(st.xt, k.in[2].data, 0);
  const float* w_scale = static_cast<const float*>(k.in[4].data);
  const float y_scale = *static_cast<const float*>(k.in[6].data);
  const int32_t y_zp = load_q(st.yt, k.in[7].data, 0);
  const int32_t* bias = k.n_in > 8 && k.in[8].data ? static_cast<const int32_t*>(k.in[8].data) : nullptr;
  const int32_t lo = st.yt == DType::U8 ? 0 : -128, hi = st.yt == DType::U8 ? 255 : 127;
  const int64_t isz = g.in_size(), osz = g.out_size();
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t m = 0; m < p.M; ++m) {
      const int64_t c0 = (m / p.Mg) * p.Cg;
      const int32_t w_zp = load_q(st.wt, k.in[5].data, p.n_wzp == 1 ? 0 : m);
      const float scale = x_scale * w_scale[p.n_wscale == 1 ? 0 : m] / y_scale;
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh)
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            int32_t acc = bias ? bias[m] : 0;
            for (int64_t c = 0; c < p.Cg; ++c) {
              const int64_t xb = (n * p.C + c0 + c) * isz, wb = (m * p.Cg + c) * p.kk;
              for (int64_t kd = 0; kd < g.k[0]; ++kd) {
                const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
                if (id < 0 || id >= g.in[0]) continue;
                for (int64_t kh = 0; kh < g.k[1]; ++kh) {
                  const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
                  if (ih < 0 || ih >= g.in[1]) continue;
                  for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                    const int64_t iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                    if (iw < 0 || iw >= g.in[2]) continue;
                    const int32_t xv = load_q(st.xt, x, xb + (id * g.in[1] + ih) * g.in[2] + iw) - x_zp;
                    const int32_t wv = load_q(st.wt, w, wb + (kd * g.k[1] + kh) * g.k[2] + kw) - w_zp;
                    acc += xv * wv;
                  }
                }
              }
            }
            float v = static_cast<float>(acc) * scale;
            v = std::min(std::max(v, static_cast<float>(lo - y_zp)), static_cast<float>(hi - y_zp));
            const int32_t q = static_cast<int32_t>(std::nearbyint(v)) + y_zp;
            const int64_t yi = (n * p.M + m) * osz + (od * g.out[1] + oh) * g.out[2] + ow;
            if (st.yt == DType::U8) static_cast<uint8_t*>(k.out[0].data)[yi] = static_cast<uint8_t>(q);
            else static_cast<int8_t*>(k.out[0].data)[yi] = static_cast<int8_t>(q);
          }
    }
  return {};
}

Status qconv_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const QConvState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  const Shape& wsh = ctx.in_shape(3);
  if (xs.rank() < 3 || wsh.rank() != xs.rank()) return ctx.invalid_input("QLinearConv: X and W ranks");
  auto& p = ctx.make_data<QConvPlan>();
  p.N = xs[0], p.C = xs[1], p.M = wsh[0];
  if (p.C % st.group != 0 || p.M % st.group != 0) return ctx.invalid_input("QLinearConv: channels not divisible by group");
  p.Cg = p.C / st.group, p.Mg = p.M / st.group;
  if (wsh[1] != p.Cg) return ctx.invalid_input("QLinearConv: W does not match C/group");
  std::vector<int64_t> kernel(wsh.begin() + 2, wsh.end());
  if (!st.wa.kernel_shape.empty() && st.wa.kernel_shape != kernel)
    return ctx.invalid_input("QLinearConv: kernel_shape differs from W's shape");
  if (std::string e = conv::forward_geom(st.wa, xs, kernel, &p.g); !e.empty()) return ctx.invalid_input("QLinearConv: " + e);
  p.kk = p.g.k_size();
  if (ctx.in_shape(1).numel() != 1 || ctx.in_shape(2).numel() != 1 || ctx.in_shape(6).numel() != 1 ||
      ctx.in_shape(7).numel() != 1)
    return ctx.invalid_input("QLinearConv: x and y scales/zero points must be scalars");
  p.n_wscale = ctx.in_shape(4).numel(), p.n_wzp = ctx.in_shape(5).numel();
  if ((p.n_wscale != 1 && p.n_wscale != p.M) || (p.n_wzp != 1 && p.n_wzp != p.M))
    return ctx.invalid_input("QLinearConv: w_scale / w_zero_point must hold 1 or M values");
  if (ctx.has_input(8) && ctx.in_shape(8).numel() != p.M) return ctx.invalid_input("QLinearConv: B must hold M values");
  Shape out{p.N, p.M};
  for (int i = 0; i < p.g.nd; ++i) out.push_back(p.g.out[3 - p.g.nd + i]);
  ctx.set_out_shape(0, out);
  ctx.set_kernel(qconv_run);
  return {};
}

}  // namespace

void register_conv_quant_ops(OpRegistry& r) { r.add({"", "QLinearConv", 10, 0, qconv_load, qconv_plan}); }

}  // namespace rtml
