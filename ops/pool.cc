// ops/pool.cc - MaxPool (Indices output, ceil_mode, dilations, storage_order, pads, auto_pad,
// int8/uint8), AveragePool (count_include_pad, ceil_mode, dilations), GlobalAveragePool,
// GlobalMaxPool. 1-D/2-D/3-D through the shared window geometry (ops/kernels/conv_geom.hpp);
// float16 is read and written through float.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/common.hpp"
#include "ops/kernels/conv_geom.hpp"

namespace rtml {
namespace {

enum class PoolKind { Max, Avg, GlobalMax, GlobalAvg };

struct PoolState : OpState {
  PoolKind kind = PoolKind::Max;
  DType dt = DType::F32;
  conv::WindowAttrs wa;
  bool count_include_pad = false;
  bool col_major = false;  // MaxPool storage_order = 1
};

struct PoolPlan : PlanData {
  conv::Geom g;
  int64_t N = 0, C = 0;
};

// Element access in a computation type: float16 through float, others as themselves.
template <class S>
struct Acc {
  using T = S;
  static T get(const S* p, int64_t i) { return p[i]; }
  static void put(S* p, int64_t i, T v) { p[i] = v; }
};
struct Half {};
template <>
struct Acc<Half> {
  using T = float;
  static float get(const Half* p, int64_t i) { return half_to_float(reinterpret_cast<const uint16_t*>(p)[i]); }
  static void put(Half* p, int64_t i, float v) { reinterpret_cast<uint16_t*>(p)[i] = float_to_half(v); }
};

int64_t div_floor(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Output positions o in [0, n_out) whose tap o*s + off lies in [0, n_in): [*lo, *hi).
void tap_range(int64_t off, int64_t s, int64_t n_in, int64_t n_out, int64_t* lo, int64_t* hi) {
  *lo = std::clamp<int64_t>(-div_floor(off, s), 0, n_out);
  *hi = std::clamp<int64_t>(div_floor(n_in - 1 - off, s) + 1, *lo, n_out);
}

// Max without indices, one output row at a time: for each tap, a running max over the row's
// valid output range (no per-element bounds tests; vectorises for stride 1).
template <class T>
void maxpool_rows(const T* x, T* y, int64_t planes, const conv::Geom& g) {
  const int64_t isz = g.in_size(), osz = g.out_size(), OW = g.out[2];
  // The valid output range of each tap along W, computed once (integer divisions are slow).
  constexpr int64_t kMaxTaps = 32;
  int64_t lo_w[kMaxTaps], hi_w[kMaxTaps];
  const bool cached = g.k[2] <= kMaxTaps;
  if (cached)
    for (int64_t kw = 0; kw < g.k[2]; ++kw) tap_range(kw * g.d[2] - g.pb[2], g.s[2], g.in[2], OW, &lo_w[kw], &hi_w[kw]);
  // 2x2 windows, stride 2, no padding or dilation (the common CNN downsampling): two rows at once.
  if (g.k[0] == 1 && g.s[0] == 1 && g.k[1] == 2 && g.k[2] == 2 && g.s[1] == 2 && g.s[2] == 2 && g.d[1] == 1 &&
      g.d[2] == 1 && g.pb[0] == 0 && g.pb[1] == 0 && g.pb[2] == 0 && g.pe[1] == 0 && g.pe[2] == 0 &&
      2 * g.out[1] <= g.in[1] && 2 * OW <= g.in[2]) {  // ceil_mode can add a window past the input
    for (int64_t nc = 0; nc < planes; ++nc)
      for (int64_t od = 0; od < g.out[0]; ++od)
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
          const T* r0 = x + nc * isz + (od * g.in[1] + 2 * oh) * g.in[2];
          const T* r1 = r0 + g.in[2];
          T* row = y + nc * osz + (od * g.out[1] + oh) * OW;
          for (int64_t ow = 0; ow < OW; ++ow)
            row[ow] = std::max(std::max(r0[2 * ow], r0[2 * ow + 1]), std::max(r1[2 * ow], r1[2 * ow + 1]));
        }
    return;
  }
  for (int64_t nc = 0; nc < planes; ++nc) {
    const T* xp = x + nc * isz;
    T* yp = y + nc * osz;
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh) {
        T* row = yp + (od * g.out[1] + oh) * OW;
        for (int64_t ow = 0; ow < OW; ++ow) row[ow] = std::numeric_limits<T>::lowest();
        for (int64_t kd = 0; kd < g.k[0]; ++kd) {
          const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
          if (id < 0 || id >= g.in[0]) continue;
          for (int64_t kh = 0; kh < g.k[1]; ++kh) {
            const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
            if (ih < 0 || ih >= g.in[1]) continue;
            const T* src = xp + (id * g.in[1] + ih) * g.in[2];
            for (int64_t kw = 0; kw < g.k[2]; ++kw) {
              const int64_t off = kw * g.d[2] - g.pb[2];
              int64_t lo, hi;
              if (cached) lo = lo_w[kw], hi = hi_w[kw];
              else tap_range(off, g.s[2], g.in[2], OW, &lo, &hi);
              const T* s = src + off;
              const int64_t st = g.s[2];
              for (int64_t ow = lo; ow < hi; ++ow) row[ow] = std::max(row[ow], s[ow * st]);
            }
          }
        }
      }
  }
}

template <class S>
Status maxpool_run(const KernelCtx& k) {
  using T = typename Acc<S>::T;
  const auto& st = k.st<PoolState>();
  const auto& p = k.plan_data<PoolPlan>();
  const conv::Geom& g = p.g;
  const S* x = static_cast<const S*>(k.in[0].data);
  S* y = static_cast<S*>(k.out[0].data);
  int64_t* ind = k.n_out > 1 && k.out[1].data ? static_cast<int64_t*>(k.out[1].data) : nullptr;
  if constexpr (std::is_same_v<S, T>) {
    if (!ind) {
      maxpool_rows<T>(x, y, p.N * p.C, g);
      return {};
    }
  }
  const int64_t isz = g.in_size(), osz = g.out_size();
  for (int64_t nc = 0; nc < p.N * p.C; ++nc) {
    const int64_t xb = nc * isz;
    int64_t o = nc * osz;
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh)
        for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) {
          T best = std::numeric_limits<T>::lowest();
          int64_t bi = -1;
          for (int64_t kd = 0; kd < g.k[0]; ++kd) {
            const int64_t id = od * g.s[0] - g.pb[0] + kd * g.d[0];
            if (id < 0 || id >= g.in[0]) continue;
            for (int64_t kh = 0; kh < g.k[1]; ++kh) {
              const int64_t ih = oh * g.s[1] - g.pb[1] + kh * g.d[1];
              if (ih < 0 || ih >= g.in[1]) continue;
              for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                const int64_t iw = ow * g.s[2] - g.pb[2] + kw * g.d[2];
                if (iw < 0 || iw >= g.in[2]) continue;
                const int64_t off = (id * g.in[1] + ih) * g.in[2] + iw;
                const T v = Acc<S>::get(x, xb + off);
                if (v > best || bi < 0) best = v, bi = st.col_major ? (iw * g.in[1] + ih) * g.in[0] + id : off;
              }
            }
          }
          Acc<S>::put(y, o, best);
          if (ind) ind[o] = xb + (bi < 0 ? 0 : bi);
        }
  }
  return {};
}

// Window taps along one axis starting at `start` that lie below `limit`.
int64_t taps_below(int64_t start, int64_t k, int64_t d, int64_t limit) {
  if (start >= limit) return 0;
  return std::min<int64_t>(k, (limit - 1 - start) / d + 1);
}

template <class S>
Status avgpool_run(const KernelCtx& k) {
  using T = typename Acc<S>::T;
  const auto& st = k.st<PoolState>();
  const auto& p = k.plan_data<PoolPlan>();
  const conv::Geom& g = p.g;
  const S* x = static_cast<const S*>(k.in[0].data);
  S* y = static_cast<S*>(k.out[0].data);
  const int64_t isz = g.in_size(), osz = g.out_size();
  for (int64_t nc = 0; nc < p.N * p.C; ++nc) {
    const int64_t xb = nc * isz;
    int64_t o = nc * osz;
    for (int64_t od = 0; od < g.out[0]; ++od)
      for (int64_t oh = 0; oh < g.out[1]; ++oh)
        for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) {
          T sum = 0;
          int64_t count = 0;
          const int64_t sd = od * g.s[0] - g.pb[0], sh = oh * g.s[1] - g.pb[1], sw = ow * g.s[2] - g.pb[2];
          for (int64_t kd = 0; kd < g.k[0]; ++kd) {
            const int64_t id = sd + kd * g.d[0];
            if (id < 0 || id >= g.in[0]) continue;
            for (int64_t kh = 0; kh < g.k[1]; ++kh) {
              const int64_t ih = sh + kh * g.d[1];
              if (ih < 0 || ih >= g.in[1]) continue;
              for (int64_t kw = 0; kw < g.k[2]; ++kw) {
                const int64_t iw = sw + kw * g.d[2];
                if (iw < 0 || iw >= g.in[2]) continue;
                sum += Acc<S>::get(x, xb + (id * g.in[1] + ih) * g.in[2] + iw);
                ++count;
              }
            }
          }
          if (st.count_include_pad)  // taps inside the padded input (not past the end pads)
            count = taps_below(sd, g.k[0], g.d[0], g.in[0] + g.pe[0]) * taps_below(sh, g.k[1], g.d[1], g.in[1] + g.pe[1]) *
                    taps_below(sw, g.k[2], g.d[2], g.in[2] + g.pe[2]);
          Acc<S>::put(y, o, count > 0 ? static_cast<T>(sum / static_cast<T>(count)) : T(0));
        }
  }
  return {};
}

template <class S>
Status global_run(const KernelCtx& k) {
  using T = typename Acc<S>::T;
  const auto& st = k.st<PoolState>();
  const auto& p = k.plan_data<PoolPlan>();
  const S* x = static_cast<const S*>(k.in[0].data);
  S* y = static_cast<S*>(k.out[0].data);
  const int64_t isz = p.g.in_size();
  const bool is_max = st.kind == PoolKind::GlobalMax;
  for (int64_t nc = 0; nc < p.N * p.C; ++nc) {
    const int64_t b = nc * isz;
    if (is_max) {
      T best = isz > 0 ? Acc<S>::get(x, b) : T(0);
      for (int64_t i = 1; i < isz; ++i) best = std::max(best, Acc<S>::get(x, b + i));
      Acc<S>::put(y, nc, best);
    } else {
      // Four partial sums: the compiler vectorises the float loop without reassociating.
      T s[4] = {0, 0, 0, 0};
      int64_t i = 0;
      for (; i + 4 <= isz; i += 4)
        for (int j = 0; j < 4; ++j) s[j] += Acc<S>::get(x, b + i + j);
      for (; i < isz; ++i) s[0] += Acc<S>::get(x, b + i);
      const T sum = (s[0] + s[1]) + (s[2] + s[3]);
      Acc<S>::put(y, nc, isz > 0 ? static_cast<T>(sum / static_cast<T>(isz)) : T(0));
    }
  }
  return {};
}

template <template <class> class Run>
KernelFn pick(DType t) {
  switch (t) {
    case DType::F32: return Run<float>::fn;
    case DType::F64: return Run<double>::fn;
    case DType::F16: return Run<Half>::fn;
    case DType::I8: return Run<int8_t>::fn;
    case DType::U8: return Run<uint8_t>::fn;
    default: return nullptr;
  }
}
template <class S>
struct MaxRun {
  static constexpr KernelFn fn = maxpool_run<S>;
};
template <class S>
struct AvgRun {
  static constexpr KernelFn fn = avgpool_run<S>;
};
template <class S>
struct GlobalRun {
  static constexpr KernelFn fn = global_run<S>;
};

Status pool_load(LoadCtx& ctx, PoolKind kind) {
  auto st = std::make_shared<PoolState>();
  st->kind = kind;
  const bool ints = kind == PoolKind::Max && ctx.opset() >= 12;
  Status s = ints ? ctx.require_input(0, {DType::F32, DType::F64, DType::F16, DType::I8, DType::U8})
                  : ctx.require_input(0, {DType::F32, DType::F64, DType::F16});
  if (!s.ok()) return s;
  st->dt = ctx.in_dtype(0);
  if (kind == PoolKind::Max || kind == PoolKind::Avg) {
    if (Status e = conv::read_window_attrs(ctx, &st->wa); !e.ok()) return e;
    if (st->wa.kernel_shape.empty()) return ctx.invalid("kernel_shape is required");
    st->count_include_pad = ctx.attr_int("count_include_pad", 0) != 0;
    const int64_t so = ctx.attr_int("storage_order", 0);
    if (so != 0 && so != 1) return ctx.invalid("storage_order must be 0 or 1");
    st->col_major = so == 1;
  }
  ctx.set_out(0, st->dt);
  if (kind == PoolKind::Max) ctx.set_out(1, DType::I64);
  ctx.set_state(st);
  return {};
}

Status maxpool_load(LoadCtx& ctx) { return pool_load(ctx, PoolKind::Max); }
Status avgpool_load(LoadCtx& ctx) { return pool_load(ctx, PoolKind::Avg); }
Status gmaxpool_load(LoadCtx& ctx) { return pool_load(ctx, PoolKind::GlobalMax); }
Status gavgpool_load(LoadCtx& ctx) { return pool_load(ctx, PoolKind::GlobalAvg); }

Status pool_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const PoolState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  auto& p = ctx.make_data<PoolPlan>();
  if (xs.rank() < 3 || xs.rank() > 5) return ctx.invalid_input("pooling needs an input of rank 3 to 5, got " + xs.str());
  p.N = xs[0], p.C = xs[1];
  Shape out{p.N, p.C};
  if (st.kind == PoolKind::GlobalMax || st.kind == PoolKind::GlobalAvg) {
    const int nd = xs.rank() - 2;
    p.g.nd = nd;
    for (int i = 0; i < nd; ++i) p.g.in[3 - nd + i] = xs[2 + i], p.g.out[3 - nd + i] = 1;
    for (int i = 0; i < nd; ++i) out.push_back(1);
    ctx.set_out_shape(0, out);
    ctx.set_kernel(pick<GlobalRun>(st.dt));
    return {};
  }
  if (std::string e = conv::forward_geom(st.wa, xs, st.wa.kernel_shape, &p.g); !e.empty())
    return ctx.invalid_input(e);
  for (int i = 0; i < p.g.nd; ++i) out.push_back(p.g.out[3 - p.g.nd + i]);
  ctx.set_out_shape(0, out);
  if (st.kind == PoolKind::Max) {
    if (ctx.has_output(1)) ctx.set_out_shape(1, out);
    ctx.set_kernel(pick<MaxRun>(st.dt));
  } else {
    ctx.set_kernel(pick<AvgRun>(st.dt));
  }
  return {};
}

}  // namespace

void register_pool_ops(OpRegistry& r) {
  r.add({"", "MaxPool", 1, 0, maxpool_load, pool_plan});
  r.add({"", "AveragePool", 1, 0, avgpool_load, pool_plan});
  r.add({"", "GlobalMaxPool", 1, 0, gmaxpool_load, pool_plan});
  r.add({"", "GlobalAveragePool", 1, 0, gavgpool_load, pool_plan});
}

}  // namespace rtml
