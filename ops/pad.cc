// ops/pad.cc - Pad: constant, reflect, edge and wrap modes; pads as an attribute (opset < 11) or
// an input (11+), the optional axes input (18+); negative pads crop. Any element type (copied
// by bytes). Each output row (all dims but the last) maps to one source row or to the constant.
#include <algorithm>
#include <cstring>

#include "ops/common.hpp"

namespace rtml {
namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

struct PadState : OpState {
  PadMode mode = PadMode::Constant;
  std::vector<int64_t> pads;  // opset < 11
  double value = 0;           // opset < 11
};

struct PadPlan : PlanData {
  int rank = 0;
  int64_t in[Shape::kMaxRank] = {}, out[Shape::kMaxRank] = {}, begin[Shape::kMaxRank] = {};
  size_t esz = 0;
  bool value_in_scratch = false;  // opset < 11: the attribute's constant, written by PadKernelV2
};

// The source index of output index i along a dim of n elements padded by `b` in front; -1 = the
// constant.
inline int64_t src_index(PadMode mode, int64_t i, int64_t b, int64_t n) {
  int64_t j = i - b;
  if (j >= 0 && j < n) return j;
  switch (mode) {
    case PadMode::Constant: return -1;
    case PadMode::Edge: return j < 0 ? 0 : n - 1;
    case PadMode::Wrap: return ((j % n) + n) % n;
    case PadMode::Reflect: {
      if (n == 1) return 0;
      const int64_t per = 2 * (n - 1);
      int64_t r = ((j % per) + per) % per;
      return r >= n ? per - r : r;
    }
  }
  return -1;
}

Status pad_run(const KernelCtx& k) {
  const auto& st = k.st<PadState>();
  const auto& p = k.plan_data<PadPlan>();
  const size_t esz = p.esz;
  alignas(16) unsigned char cval[16] = {};
  if (st.mode == PadMode::Constant) {
    if (p.value_in_scratch) std::memcpy(cval, k.scratch, esz);
    else if (k.n_in > 2 && k.in[2].data && k.in[2].numel() >= 1) std::memcpy(cval, k.in[2].data, esz);
  }
  const char* x = static_cast<const char*>(k.in[0].data);
  char* y = static_cast<char*>(k.out[0].data);
  const int r = p.rank;
  const int64_t last_out = p.out[r - 1], last_in = p.in[r - 1], lb = p.begin[r - 1];
  int64_t rows = 1;
  for (int d = 0; d < r - 1; ++d) rows *= p.out[d];
  if (last_out == 0) return {};
  int64_t idx[Shape::kMaxRank] = {};
  auto fill_const = [&](char* dst, int64_t n) {
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * esz, cval, esz);
  };
  for (int64_t row = 0; row < rows; ++row) {
    char* dst = y + row * last_out * esz;
    // source row offset (in elements) or -1
    int64_t src = 0;
    bool constant = false;
    for (int d = 0; d < r - 1 && !constant; ++d) {
      int64_t s = src_index(st.mode, idx[d], p.begin[d], p.in[d]);
      if (s < 0) constant = true;
      src = src * p.in[d] + s;
    }
    if (constant || (last_in == 0 && st.mode == PadMode::Constant)) {
      fill_const(dst, last_out);
    } else {
      const char* srow = x + src * last_in * esz;
      // middle block copied at once, the padded ends one element at a time
      const int64_t m0 = std::max<int64_t>(0, lb), m1 = std::min<int64_t>(last_out, lb + last_in);
      if (m1 > m0) std::memcpy(dst + m0 * esz, srow + (m0 - lb) * esz, (m1 - m0) * esz);
      for (int64_t i = 0; i < last_out; ++i) {
        if (i >= m0 && i < m1) {
          i = m1 - 1;
          continue;
        }
        int64_t s = src_index(st.mode, i, lb, last_in);
        if (s < 0) std::memcpy(dst + i * esz, cval, esz);
        else std::memcpy(dst + i * esz, srow + s * esz, esz);
      }
    }
    for (int d = r - 2; d >= 0; --d) {
      if (++idx[d] < p.out[d]) break;
      idx[d] = 0;
    }
  }
  return {};
}

template <class T>
void put_value(void* dst, double v) {
  T t = static_cast<T>(v);
  std::memcpy(dst, &t, sizeof(T));
}

Status pad_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const PadState*>(ctx.state);
  const Shape& xs = ctx.in_shape(0);
  const int r = xs.rank();
  std::vector<int64_t> pads = st.pads;
  std::vector<int64_t> axes;
  if (ctx.opset() >= 11) {
    const TensorView* pv = ctx.in_value(1);
    if (!pv) return ctx.invalid_input("pads must be known");
    if (pv->dtype != DType::I64) return ctx.invalid_input("pads must be int64");
    pads.assign(pv->as<int64_t>(), pv->as<int64_t>() + pv->numel());
    if (ctx.has_input(3)) {
      const TensorView* av = ctx.in_value(3);
      if (!av) return ctx.invalid_input("axes must be known");
      for (int64_t i = 0; i < av->numel(); ++i)
        axes.push_back(av->dtype == DType::I32 ? av->as<int32_t>()[i] : av->as<int64_t>()[i]);
    }
    if (ctx.has_input(2) && ctx.in_shape(2).numel() != 1) return ctx.invalid_input("constant_value must be a scalar");
  }
  if (axes.empty())
    for (int d = 0; d < r; ++d) axes.push_back(d);
  const int na = static_cast<int>(axes.size());
  if (static_cast<int>(pads.size()) != 2 * na)
    return ctx.invalid_input("pads has " + std::to_string(pads.size()) + " values, expected " + std::to_string(2 * na));
  if (r == 0) return ctx.invalid_input("Pad needs rank >= 1");
  auto& p = ctx.make_data<PadPlan>();
  p.rank = r;
  p.esz = dtype_size(ctx.in_dtype(0));
  bool seen[Shape::kMaxRank] = {};
  Shape os = xs;
  for (int d = 0; d < r; ++d) p.in[d] = xs[d];
  for (int i = 0; i < na; ++i) {
    int64_t a;
    if (!normalize_axis(axes[i], r, &a) || seen[a]) return ctx.invalid_input("bad or repeated axis in axes");
    seen[a] = true;
    const int64_t b = pads[i], e = pads[i + na];
    p.begin[a] = b;
    os[static_cast<int>(a)] = xs[static_cast<int>(a)] + b + e;
    if (os[static_cast<int>(a)] < 0) return ctx.invalid_input("pads crop more than the dimension");
    if (st.mode != PadMode::Constant && xs[static_cast<int>(a)] == 0 && os[static_cast<int>(a)] > 0)
      return ctx.invalid_input("cannot pad an empty dimension in this mode");
  }
  for (int d = 0; d < r; ++d) p.out[d] = os[d];
  ctx.set_out_shape(0, os);
  ctx.set_kernel(pad_run);
  if (ctx.opset() < 11 && st.mode == PadMode::Constant) {
    ctx.set_scratch(16);
    p.value_in_scratch = true;
  }
  return {};
}

// opset < 11: the attribute's constant goes to the scratch at each run; keep a copy in the state.
struct PadKernelV2 {
  static Status run(const KernelCtx& k) {
    const auto& st = k.st<PadState>();
    unsigned char* s = static_cast<unsigned char*>(k.scratch);
    if (s) {
      std::memset(s, 0, 16);
      switch (k.in[0].dtype) {
        case DType::F32: put_value<float>(s, st.value); break;
        case DType::F64: put_value<double>(s, st.value); break;
        case DType::F16: { uint16_t h = float_to_half(static_cast<float>(st.value)); std::memcpy(s, &h, 2); break; }
        case DType::I8: put_value<int8_t>(s, st.value); break;
        case DType::I16: put_value<int16_t>(s, st.value); break;
        case DType::I32: put_value<int32_t>(s, st.value); break;
        case DType::I64: put_value<int64_t>(s, st.value); break;
        case DType::U8: put_value<uint8_t>(s, st.value); break;
        case DType::U16: put_value<uint16_t>(s, st.value); break;
        case DType::U32: put_value<uint32_t>(s, st.value); break;
        case DType::U64: put_value<uint64_t>(s, st.value); break;
        case DType::Bool: put_value<uint8_t>(s, st.value != 0); break;
        default: break;
      }
    }
    return pad_run(k);
  }
};

Status pad_plan_v2(PlanCtx& ctx) {
  if (Status s = pad_plan(ctx); !s.ok()) return s;
  ctx.set_kernel(PadKernelV2::run);
  return {};
}

Status pad_load(LoadCtx& ctx) {
  if (!ctx.has_input(0)) return ctx.invalid("Pad needs an input");
  auto st = std::make_shared<PadState>();
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode == "constant") st->mode = PadMode::Constant;
  else if (mode == "reflect") st->mode = PadMode::Reflect;
  else if (mode == "edge") st->mode = PadMode::Edge;
  else if (mode == "wrap" && ctx.opset() >= 19) st->mode = PadMode::Wrap;
  else return ctx.invalid("unknown mode '" + mode + "'");
  if (ctx.opset() < 11) {
    if (!ctx.has_attr("pads")) return ctx.invalid("pads attribute is required");
    st->pads = ctx.attr_ints("pads");
    st->value = ctx.attr_float("value", 0.0f);
  } else {
    if (Status s = ctx.require_input(1, {DType::I64}); !s.ok()) return s;
    if (ctx.has_input(2) && ctx.in_dtype(2) != ctx.in_dtype(0)) return ctx.invalid("constant_value must have the input's type");
    if (Status s = ctx.require_input(3, {DType::I64, DType::I32}, false); !s.ok()) return s;
  }
  if (!ctx.attr_error().empty()) return ctx.invalid(ctx.attr_error());
  if (ctx.in_dtype(0) == DType::String && st->mode == PadMode::Constant && ctx.opset() < 11 && st->value != 0)
    return ctx.unsupported("a non-empty constant for string tensors");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

}  // namespace

void register_pad_ops(OpRegistry& r) {
  r.add({"", "Pad", 7, 10, pad_load, pad_plan_v2});
  r.add({"", "Pad", 11, 0, pad_load, pad_plan, (1u << 1) | (1u << 3)});
}

}  // namespace rtml
