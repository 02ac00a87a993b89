// ops/resize.cc - Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest (every
// nearest_mode), linear and cubic (with antialias and exclude_outside), every
// coordinate_transformation_mode, scales or sizes, axes and keep_aspect_ratio_policy.
//
// Each axis gets a table of taps at plan time: for output index o, T input indices (clamped to
// the edge) and weights, or "outside" (tf_crop_and_resize: the extrapolation value). An output
// element is the tensor-product sum over the taps of every axis (the reference's nested 1-D
// interpolations, as one sum).
#include <algorithm>
#include <cmath>

#include "ops/common.hpp"

namespace rtml {
namespace {

enum class RMode { Nearest, Linear, Cubic };
enum class Coord { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNn, TfCropAndResize, HalfPixelSymmetric };
enum class NMode { RoundPreferFloor, RoundPreferCeil, Floor, Ceil, Simple };
enum class Aspect { Stretch, NotLarger, NotSmaller };

struct ResizeState : OpState {
  RMode mode = RMode::Nearest;
  Coord coord = Coord::HalfPixel;
  NMode nearest = NMode::RoundPreferFloor;
  Aspect aspect = Aspect::Stretch;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  bool antialias = false;
  float extrapolation = 0;
  std::vector<int64_t> axes;
  std::vector<float> attr_scales;  // Upsample-7
  int scales_in = -1, sizes_in = -1, roi_in = -1;
};

struct AxisTaps {
  int64_t taps = 1;             // T
  std::vector<int64_t> offset;  // [out * T] element offsets (index * stride)
  std::vector<float> weight;    // [out * T]
  std::vector<uint8_t> outside; // [out]
};

struct ResizePlan : PlanData {
  int rank = 0;
  int64_t out[Shape::kMaxRank] = {};
  AxisTaps ax[Shape::kMaxRank];
};

double cubic_w(double t, double A) {
  t = std::fabs(t);
  if (t <= 1) return ((A + 2) * t - (A + 3)) * t * t + 1;
  if (t < 2) return ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
  return 0;
}

void build_axis(const ResizeState& st, int64_t in, int64_t out, double scale, double roi0, double roi1, int64_t stride,
                AxisTaps* a) {
  const double out_f = scale * static_cast<double>(in);  // the reference's (float) output length
  a->outside.assign(out, 0);
  const bool aa = st.antialias && st.mode != RMode::Nearest && scale < 1.0;
  const double s = aa ? scale : 1.0;
  int64_t i0 = 0;
  if (st.mode == RMode::Nearest) i0 = 0, a->taps = 1;
  else if (st.mode == RMode::Linear) i0 = static_cast<int64_t>(std::floor(-1.0 / s)) + 1, a->taps = 2 - 2 * i0;
  else i0 = static_cast<int64_t>(std::floor(-2.0 / s)) + 1, a->taps = 2 - 2 * i0;
  const int64_t T = a->taps;
  a->offset.assign(out * T, 0);
  a->weight.assign(out * T, 0.0f);
  for (int64_t o = 0; o < out; ++o) {
    const double x = static_cast<double>(o);
    double xo = 0;
    switch (st.coord) {
      case Coord::AlignCorners: xo = out_f == 1 ? 0.0 : x * (in - 1) / (out_f - 1); break;
      case Coord::Asymmetric: xo = x / scale; break;
      case Coord::TfCropAndResize:
        xo = out_f == 1 ? (roi1 - roi0) * (in - 1) / 2 : x * (roi1 - roi0) * (in - 1) / (out_f - 1);
        xo += roi0 * (in - 1);
        if (xo < 0 || xo > in - 1) a->outside[o] = 1;
        break;
      case Coord::PytorchHalfPixel: xo = out_f == 1 ? -0.5 : (x + 0.5) / scale - 0.5; break;
      case Coord::HalfPixel: xo = (x + 0.5) / scale - 0.5; break;
      case Coord::TfHalfPixelForNn: xo = (x + 0.5) / scale; break;
      case Coord::HalfPixelSymmetric: {
        const double adj = static_cast<double>(out) / out_f, center = static_cast<double>(in) / 2;
        xo = center * (1 - adj) + (x + 0.5) / scale - 0.5;
        break;
      }
    }
    auto clampi = [&](int64_t i) { return std::min<int64_t>(std::max<int64_t>(i, 0), in - 1); };
    int64_t* off = a->offset.data() + o * T;
    float* w = a->weight.data() + o * T;
    if (st.mode == RMode::Nearest) {
      int64_t idx = 0;
      const double fl = std::floor(xo), r = xo - fl;
      switch (st.nearest) {
        case NMode::RoundPreferFloor: idx = static_cast<int64_t>(r <= 0.5 ? fl : fl + 1); break;
        case NMode::RoundPreferCeil: idx = static_cast<int64_t>(r < 0.5 ? fl : fl + 1); break;
        case NMode::Floor: idx = static_cast<int64_t>(fl); break;
        case NMode::Ceil: idx = static_cast<int64_t>(std::ceil(xo)); break;
        case NMode::Simple: idx = scale < 1 ? static_cast<int64_t>(std::ceil(xo)) : static_cast<int64_t>(fl); break;
      }
      off[0] = clampi(idx) * stride;
      w[0] = 1.0f;
      continue;
    }
    const double fl = std::floor(xo), r = xo - fl;
    const int64_t base = static_cast<int64_t>(fl);
    double sum = 0;
    for (int64_t t = 0; t < T; ++t) {
      const double arg = (static_cast<double>(i0 + t) - r) * s;
      double wt = st.mode == RMode::Linear ? std::max(0.0, 1.0 - std::fabs(arg)) : cubic_w(arg, st.cubic_a);
      const int64_t idx = base + i0 + t;
      if (st.exclude_outside && (idx < 0 || idx >= in)) wt = 0;
      w[t] = static_cast<float>(wt);
      off[t] = clampi(idx) * stride;
      sum += wt;
    }
    if ((aa || st.exclude_outside) && sum != 0)
      for (int64_t t = 0; t < T; ++t) w[t] = static_cast<float>(w[t] / sum);
  }
}

// Output elements [e0, e1): an odometer over the output index starting at e0.
template <class T>
void resize_range(const ResizeState& st, const ResizePlan& p, const T* x, T* y, int64_t e0, int64_t e1) {
  const int r = p.rank;
  int64_t o[Shape::kMaxRank] = {};
  for (int64_t rem = e0, d = r - 1; d >= 0; --d) o[d] = rem % p.out[d], rem /= p.out[d];
  for (int64_t e = e0; e < e1; ++e) {
    bool outside = false;
    for (int d = 0; d < r; ++d) outside |= p.ax[d].outside[o[d]] != 0;
    if (outside) {
      y[e] = static_cast<T>(st.extrapolation);
    } else {
      // tensor product over the taps of every axis (odometer over t[d] < taps[d])
      int64_t t[Shape::kMaxRank] = {};
      double acc = 0;
      for (;;) {
        int64_t off = 0;
        double w = 1;
        for (int d = 0; d < r; ++d) {
          const int64_t j = o[d] * p.ax[d].taps + t[d];
          off += p.ax[d].offset[j];
          w *= p.ax[d].weight[j];
        }
        if (w != 0) acc += w * static_cast<double>(x[off]);
        int d = r - 1;
        for (; d >= 0; --d) {
          if (++t[d] < p.ax[d].taps) break;
          t[d] = 0;
        }
        if (d < 0) break;
      }
      if constexpr (std::is_integral_v<T>) y[e] = static_cast<T>(std::nearbyint(acc));
      else y[e] = static_cast<T>(acc);
    }
    for (int d = r - 1; d >= 0; --d) {
      if (++o[d] < p.out[d]) break;
      o[d] = 0;
    }
  }
}

// Output elements per parallel chunk: a few tens of microseconds of the cheapest (nearest) case.
constexpr int64_t kResizeGrain = 1 << 15;

template <class T>
Status resize_run(const KernelCtx& k) {
  const auto& st = k.st<ResizeState>();
  const auto& p = k.plan_data<ResizePlan>();
  const T* x = static_cast<const T*>(k.in[0].data);
  T* y = static_cast<T*>(k.out[0].data);
  const int64_t total = k.out[0].numel();
  if (total <= kResizeGrain) resize_range<T>(st, p, x, y, 0, total);
  else k.env->pool->parallel_for(total, kResizeGrain, [&](int64_t b, int64_t e) { resize_range<T>(st, p, x, y, b, e); });
  return {};
}

double read_f(const TensorView& v, int64_t i) {
  switch (v.dtype) {
    case DType::F32: return v.as<float>()[i];
    case DType::F64: return v.as<double>()[i];
    case DType::F16: return half_to_float(v.as<uint16_t>()[i]);
    default: return 0;
  }
}

Status resize_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const ResizeState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  const int r = xs.rank();
  if (r == 0) return ctx.invalid_input("Resize needs rank >= 1");
  // Axes (18+): the resized dims; scales/sizes/roi list only those.
  std::vector<int64_t> axes;
  for (int64_t a : st.axes) {
    int64_t n;
    if (!normalize_axis(a, r, &n)) return ctx.invalid_input("axis " + std::to_string(a) + " out of range");
    if (std::find(axes.begin(), axes.end(), n) != axes.end()) return ctx.invalid_input("repeated axis");
    axes.push_back(n);
  }
  if (axes.empty())
    for (int d = 0; d < r; ++d) axes.push_back(d);
  const size_t na = axes.size();
  std::vector<double> scale(r, 1.0), roi0(r, 0.0), roi1(r, 1.0);
  Shape os = xs;
  const TensorView* sv = st.scales_in >= 0 && ctx.has_input(st.scales_in) ? ctx.in_value(st.scales_in) : nullptr;
  const TensorView* zv = st.sizes_in >= 0 && ctx.has_input(st.sizes_in) ? ctx.in_value(st.sizes_in) : nullptr;
  if (sv && sv->numel() == 0) sv = nullptr;
  if (zv && zv->numel() == 0) zv = nullptr;
  if (st.roi_in >= 0 && ctx.has_input(st.roi_in) && st.coord == Coord::TfCropAndResize) {
    const TensorView* rv = ctx.in_value(st.roi_in);
    if (!rv || static_cast<size_t>(rv->numel()) != 2 * na) return ctx.invalid_input("roi must have 2 x axes values");
    for (size_t i = 0; i < na; ++i) roi0[axes[i]] = read_f(*rv, i), roi1[axes[i]] = read_f(*rv, na + i);
  }
  if (!st.attr_scales.empty()) {
    if (static_cast<int>(st.attr_scales.size()) != r) return ctx.invalid_input("scales must have one value per dim");
    for (int d = 0; d < r; ++d) scale[d] = st.attr_scales[d];
    for (int d = 0; d < r; ++d) os[d] = static_cast<int64_t>(std::floor(scale[d] * static_cast<double>(xs[d])));
  } else if (sv && !zv) {
    if (static_cast<size_t>(sv->numel()) != na) return ctx.invalid_input("scales must have one value per axis");
    for (size_t i = 0; i < na; ++i) {
      const double s = read_f(*sv, i);
      if (!(s > 0)) return ctx.invalid_input("scales must be > 0");
      scale[axes[i]] = s;
      os[static_cast<int>(axes[i])] = static_cast<int64_t>(std::floor(s * static_cast<double>(xs[static_cast<int>(axes[i])])));
    }
  } else if (zv && !sv) {
    if (static_cast<size_t>(zv->numel()) != na || zv->dtype != DType::I64)
      return ctx.invalid_input("sizes must have one int64 value per axis");
    for (size_t i = 0; i < na; ++i) {
      const int64_t sz = zv->as<int64_t>()[i];
      const int d = static_cast<int>(axes[i]);
      if (sz < 0) return ctx.invalid_input("sizes must be >= 0");
      os[d] = sz;
      scale[d] = xs[d] ? static_cast<double>(sz) / static_cast<double>(xs[d]) : 1.0;
    }
    if (st.aspect != Aspect::Stretch) {
      double s = st.aspect == Aspect::NotLarger ? 1e300 : 0;
      for (int64_t d : axes) s = st.aspect == Aspect::NotLarger ? std::min(s, scale[d]) : std::max(s, scale[d]);
      for (int64_t d : axes) {
        scale[d] = s;
        os[static_cast<int>(d)] = static_cast<int64_t>(s * static_cast<double>(xs[static_cast<int>(d)]) + 0.5);
      }
    }
  } else {
    return ctx.invalid_input("exactly one of scales and sizes must be given");
  }
  auto& p = ctx.make_data<ResizePlan>();
  p.rank = r;
  int64_t stride = 1;
  for (int d = r - 1; d >= 0; --d) {
    p.out[d] = os[d];
    if (xs[d] == 0 && os[d] > 0) return ctx.invalid_input("cannot resize an empty dimension");
    if (xs[d] > 0) build_axis(st, xs[d], os[d], scale[d], roi0[d], roi1[d], stride, &p.ax[d]);
    stride *= xs[d];
  }
  ctx.set_out_shape(0, os);
  switch (ctx.in_dtype(0)) {
    case DType::F32: ctx.set_kernel(resize_run<float>); break;
    case DType::F64: ctx.set_kernel(resize_run<double>); break;
    case DType::U8: ctx.set_kernel(resize_run<uint8_t>); break;
    case DType::I8: ctx.set_kernel(resize_run<int8_t>); break;
    case DType::I32: ctx.set_kernel(resize_run<int32_t>); break;
    case DType::I64: ctx.set_kernel(resize_run<int64_t>); break;
    default: return ctx.invalid_input("unexpected type");
  }
  return {};
}

Status resize_load_common(LoadCtx& ctx, bool upsample) {
  if (Status s = ctx.require_input(0, {DType::F32, DType::F64, DType::U8, DType::I8, DType::I32, DType::I64}); !s.ok())
    return s;
  auto st = std::make_shared<ResizeState>();
  const std::string mode = ctx.attr_string("mode", "nearest");
  if (mode == "nearest") st->mode = RMode::Nearest;
  else if (mode == "linear" || mode == "bilinear" || mode == "trilinear") st->mode = RMode::Linear;
  else if (mode == "cubic" && !upsample && ctx.opset() >= 11) st->mode = RMode::Cubic;
  else return ctx.invalid("unknown mode '" + mode + "'");
  const int64_t op = ctx.opset();
  if (upsample || op < 11) {  // Upsample and Resize-10: asymmetric coordinates, ORT's simple nearest
    st->coord = Coord::Asymmetric;
    st->nearest = NMode::Simple;
    if (upsample && op < 9) {
      st->attr_scales = ctx.attr_floats("scales");
      if (st->attr_scales.empty()) return ctx.invalid("scales attribute is required");
    } else {
      st->scales_in = 1;
      if (Status s = ctx.require_input(1, {DType::F32}); !s.ok()) return s;
    }
  } else {
    st->roi_in = 1, st->scales_in = 2, st->sizes_in = 3;
    const std::string c = ctx.attr_string("coordinate_transformation_mode", "half_pixel");
    if (c == "half_pixel") st->coord = Coord::HalfPixel;
    else if (c == "pytorch_half_pixel") st->coord = Coord::PytorchHalfPixel;
    else if (c == "align_corners") st->coord = Coord::AlignCorners;
    else if (c == "asymmetric") st->coord = Coord::Asymmetric;
    else if (c == "tf_half_pixel_for_nn" && op < 18) st->coord = Coord::TfHalfPixelForNn;
    else if (c == "tf_crop_and_resize") st->coord = Coord::TfCropAndResize;
    else if (c == "half_pixel_symmetric" && op >= 19) st->coord = Coord::HalfPixelSymmetric;
    else return ctx.invalid("unknown coordinate_transformation_mode '" + c + "'");
    const std::string nm = ctx.attr_string("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") st->nearest = NMode::RoundPreferFloor;
    else if (nm == "round_prefer_ceil") st->nearest = NMode::RoundPreferCeil;
    else if (nm == "floor") st->nearest = NMode::Floor;
    else if (nm == "ceil") st->nearest = NMode::Ceil;
    else return ctx.invalid("unknown nearest_mode '" + nm + "'");
    st->cubic_a = ctx.attr_float("cubic_coeff_a", -0.75f);
    st->exclude_outside = ctx.attr_int("exclude_outside", 0) != 0;
    st->extrapolation = ctx.attr_float("extrapolation_value", 0.0f);
    if (op >= 18) {
      st->antialias = ctx.attr_int("antialias", 0) != 0;
      st->axes = ctx.attr_ints("axes");
      const std::string k = ctx.attr_string("keep_aspect_ratio_policy", "stretch");
      if (k == "stretch") st->aspect = Aspect::Stretch;
      else if (k == "not_larger") st->aspect = Aspect::NotLarger;
      else if (k == "not_smaller") st->aspect = Aspect::NotSmaller;
      else return ctx.invalid("unknown keep_aspect_ratio_policy '" + k + "'");
    }
    if (ctx.has_input(2) && ctx.in_dtype(2) != DType::F32) return ctx.invalid("scales must be float");
    if (ctx.has_input(3) && ctx.in_dtype(3) != DType::I64) return ctx.invalid("sizes must be int64");
  }
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  const DType t = ctx.in_dtype(0);
  if (st->mode != RMode::Nearest && t != DType::F32 && t != DType::F64)
    return ctx.unsupported(std::string("linear/cubic Resize on ") + dtype_name(t));
  ctx.set_out(0, t);
  ctx.set_state(st);
  return {};
}

Status resize_load(LoadCtx& ctx) { return resize_load_common(ctx, false); }
Status upsample_load(LoadCtx& ctx) { return resize_load_common(ctx, true); }

}  // namespace

void register_resize_ops(OpRegistry& r) {
  constexpr uint32_t kScalesSizesRoi = (1u << 1) | (1u << 2) | (1u << 3);
  r.add({"", "Resize", 10, 10, resize_load, resize_plan, 1u << 1});
  r.add({"", "Resize", 11, 0, resize_load, resize_plan, kScalesSizesRoi});
  r.add({"", "Upsample", 7, 8, upsample_load, resize_plan});
  r.add({"", "Upsample", 9, 9, upsample_load, resize_plan, 1u << 1});
}

}  // namespace rtml
