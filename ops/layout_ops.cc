// ops/layout_ops.cc - Transpose, Slice and Expand: each output is a strided view of its input,
// copied by one kernel. The plan writes the view as (dims, input strides, input offset), merges
// dims that stay contiguous, and picks a tiled 2-D transpose when the view is one (this covers
// 2-D transposes and every "move one axis" permutation such as NCHW <-> NHWC).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ops/common.hpp"
#include "ops/kernels/transpose.hpp"

namespace rtml {
namespace {

// A strided view of the input, output-ordered. The output is dense row-major over `dims`;
// element at output index (i0..ir-1) is input element offset + sum(i_d * stride[d]).
struct StridedPlan : PlanData {
  int rank = 0;
  int64_t dims[Shape::kMaxRank] = {};
  int64_t stride[Shape::kMaxRank] = {};  // in elements, may be 0 (broadcast) or negative
  int64_t offset = 0;
  size_t esize = 0;
  int64_t total = 0;
  bool transpose2d = false;  // last two dims: input [dims[r-1]][dims[r-2]] dense -> transposed
};

// Drops size-1 dims and merges neighbours that stay contiguous in the input.
void coalesce(StridedPlan& p) {
  int r = 0;
  int64_t d[Shape::kMaxRank], s[Shape::kMaxRank];
  for (int i = 0; i < p.rank; ++i) {
    if (p.dims[i] == 1) continue;
    if (r > 0 && s[r - 1] == p.stride[i] * p.dims[i]) {
      d[r - 1] *= p.dims[i];
      s[r - 1] = p.stride[i];
      continue;
    }
    d[r] = p.dims[i], s[r] = p.stride[i], ++r;
  }
  p.rank = r;
  for (int i = 0; i < r; ++i) p.dims[i] = d[i], p.stride[i] = s[i];
  p.total = 1;
  for (int i = 0; i < r; ++i) p.total *= p.dims[i];
  p.transpose2d = r >= 2 && s[r - 2] == 1 && s[r - 1] == d[r - 2] && d[r - 2] > 1 && d[r - 1] > 1;
}

template <class E>
void copy_run(const E* src, int64_t n, int64_t stride, E* dst) {
  if (stride == 1) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(E));
  else if (stride == 0) std::fill(dst, dst + n, *src);
  else
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

// Units [b, e): an inner run (rank-1 dims outer) or, for transpose2d, one 2-D block.
template <class E>
void strided_units(const StridedPlan& p, const E* in, E* out, int64_t b, int64_t e) {
  const int inner = p.transpose2d ? 2 : 1;
  const int outer = std::max(0, p.rank - inner);
  int64_t unit = 1;
  for (int i = outer; i < p.rank; ++i) unit *= p.dims[i];
  int64_t idx[Shape::kMaxRank] = {};
  int64_t off = p.offset;
  int64_t rem = b;
  for (int i = outer - 1; i >= 0; --i) {
    idx[i] = rem % p.dims[i];
    rem /= p.dims[i];
    off += idx[i] * p.stride[i];
  }
  E* dst = out + b * unit;
  for (int64_t u = b; u < e; ++u, dst += unit) {
    if (p.transpose2d) {
      if constexpr (sizeof(E) == 4)
        transpose_kernels().t32(reinterpret_cast<const uint32_t*>(in + off), p.dims[p.rank - 1], p.dims[p.rank - 2],
                                reinterpret_cast<uint32_t*>(dst));
      else
        transpose_tiles(in + off, p.dims[p.rank - 1], p.dims[p.rank - 2], dst);
    }
    else copy_run(in + off, unit, p.rank ? p.stride[p.rank - 1] : 1, dst);
    for (int i = outer - 1; i >= 0; --i) {  // odometer
      off += p.stride[i];
      if (++idx[i] < p.dims[i]) break;
      off -= idx[i] * p.stride[i];
      idx[i] = 0;
    }
  }
}

template <class E>
Status strided_run(const KernelCtx& k) {
  const auto& p = k.plan_data<StridedPlan>();
  if (p.total == 0) return {};
  const E* in = k.in[0].as<const E>();
  E* out = k.out[0].as<E>();
  const int inner = p.transpose2d ? 2 : 1;
  int64_t units = 1, unit = 1;
  for (int i = 0; i < p.rank - inner; ++i) units *= p.dims[i];
  unit = p.total / units;
  // Why 1 << 16 bytes per chunk: below that a thread hand-off costs more than the copy.
  const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / static_cast<int64_t>(unit * sizeof(E)));
  if (units <= grain || k.env->pool->threads() == 1) {
    strided_units(p, in, out, 0, units);
  } else {
    k.env->pool->parallel_for(units, grain, [&](int64_t b, int64_t e) { strided_units(p, in, out, b, e); });
  }
  return {};
}

struct Str16 {
  uint64_t a, b;
};
static_assert(sizeof(Str16) == sizeof(StrRef), "string elements are 16 bytes");

// Finishes the plan: coalesce, output shape, kernel by element size.
Status finish_strided(PlanCtx& ctx, StridedPlan& p, const Shape& out) {
  ctx.set_out_shape(0, out);
  p.esize = dtype_size(ctx.in_dtype(0));
  coalesce(p);
  switch (p.esize) {
    case 1: ctx.set_kernel(&strided_run<uint8_t>); break;
    case 2: ctx.set_kernel(&strided_run<uint16_t>); break;
    case 4: ctx.set_kernel(&strided_run<uint32_t>); break;
    case 8: ctx.set_kernel(&strided_run<uint64_t>); break;
    case 16: ctx.set_kernel(&strided_run<Str16>); break;
    default: return ctx.invalid_input("element type not supported");
  }
  return {};
}

void dense_strides(const Shape& s, int64_t* st) {
  int64_t acc = 1;
  for (int i = s.rank() - 1; i >= 0; --i) st[i] = acc, acc *= s[i];
}

Status tensor_in_load(LoadCtx& ctx) {
  if (!ctx.has_input(0)) return ctx.invalid("needs an input");
  if (ctx.in_kind(0) != ValueKind::Tensor) return ctx.unsupported("only tensor inputs are supported");
  if (dtype_size(ctx.in_dtype(0)) == 0) return ctx.unsupported("input type not supported");
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

// ---- Transpose ---------------------------------------------------------------------------------

struct PermState : OpState {
  std::vector<int64_t> perm;  // empty: reverse
};

Status transpose_load(LoadCtx& ctx) {
  if (Status s = tensor_in_load(ctx); !s.ok()) return s;
  auto st = std::make_shared<PermState>();
  st->perm = ctx.attr_ints("perm");
  std::vector<bool> seen(st->perm.size());
  for (int64_t v : st->perm) {
    if (v < 0 || v >= static_cast<int64_t>(st->perm.size()) || seen[v]) return ctx.invalid("perm is not a permutation");
    seen[v] = true;
  }
  ctx.set_state(st);
  return {};
}

Status transpose_plan(PlanCtx& ctx) {
  const auto& perm = static_cast<const PermState*>(ctx.state)->perm;
  const Shape& in = ctx.in_shape(0);
  const int r = in.rank();
  if (!perm.empty() && static_cast<int>(perm.size()) != r)
    return ctx.invalid_input("perm has " + std::to_string(perm.size()) + " entries for input " + in.str());
  int64_t st[Shape::kMaxRank];
  dense_strides(in, st);
  auto& p = ctx.make_data<StridedPlan>();
  Shape out;
  p.rank = r;
  for (int i = 0; i < r; ++i) {
    const int src = perm.empty() ? r - 1 - i : static_cast<int>(perm[i]);
    out.push_back(in[src]);
    p.dims[i] = in[src];
    p.stride[i] = st[src];
  }
  return finish_strided(ctx, p, out);
}

// ---- Slice ---------------------------------------------------------------------------------------

struct SliceState : OpState {
  bool from_inputs = false;  // opset >= 10
  std::vector<int64_t> starts, ends, axes;
};

Status slice_load(LoadCtx& ctx) {
  if (Status s = tensor_in_load(ctx); !s.ok()) return s;
  auto st = std::make_shared<SliceState>();
  if (ctx.opset() >= 10) {
    st->from_inputs = true;
    for (int i = 1; i < 5; ++i)
      if (Status s = ctx.require_input(i, {DType::I64, DType::I32}, i < 3); !s.ok()) return s;
  } else {
    st->starts = ctx.attr_ints("starts");
    st->ends = ctx.attr_ints("ends");
    st->axes = ctx.attr_ints("axes");
    if (!ctx.has_attr("starts") || !ctx.has_attr("ends")) return ctx.invalid("needs starts and ends");
  }
  ctx.set_state(st);
  return {};
}

Status slice_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const SliceState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  const int r = in.rank();
  std::vector<int64_t> starts = st.starts, ends = st.ends, axes = st.axes, steps;
  if (st.from_inputs) {
    if (!read_ints(ctx.in_value(1), &starts) || !read_ints(ctx.in_value(2), &ends))
      return ctx.invalid_input("starts/ends are not known");
    if (ctx.has_input(3) && !read_ints(ctx.in_value(3), &axes)) return ctx.invalid_input("axes are not known");
    if (ctx.has_input(4) && !read_ints(ctx.in_value(4), &steps)) return ctx.invalid_input("steps are not known");
  }
  const size_t n = starts.size();
  if (ends.size() != n) return ctx.invalid_input("starts and ends differ in length");
  if (axes.empty())
    for (size_t i = 0; i < n && i < static_cast<size_t>(r); ++i) axes.push_back(static_cast<int64_t>(i));
  if (steps.empty()) steps.assign(n, 1);
  if (axes.size() != n || steps.size() != n) return ctx.invalid_input("starts, ends, axes, steps differ in length");
  int64_t begin[Shape::kMaxRank] = {}, step[Shape::kMaxRank], len[Shape::kMaxRank];
  bool seen[Shape::kMaxRank] = {};
  for (int i = 0; i < r; ++i) step[i] = 1, len[i] = in[i];
  for (size_t i = 0; i < n; ++i) {
    int64_t ax;
    if (!normalize_axis(axes[i], r, &ax)) return ctx.invalid_input("axis " + std::to_string(axes[i]) + " out of range");
    if (seen[ax]) return ctx.invalid_input("axis " + std::to_string(axes[i]) + " repeated");
    seen[ax] = true;
    const int64_t d = in[static_cast<int>(ax)], s = steps[i];
    if (s == 0) return ctx.invalid_input("step is 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += d;
    if (e < 0) e += d;
    // Lengths written so that huge steps (INT64_MAX, INT64_MIN) cannot overflow.
    if (s > 0) {
      b = std::clamp<int64_t>(b, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      len[ax] = e > b ? (e - b - 1) / s + 1 : 0;
    } else {
      b = std::clamp<int64_t>(b, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      const int64_t as = s == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -s;
      len[ax] = b > e ? (b - e - 1) / as + 1 : 0;
    }
    begin[ax] = b, step[ax] = len[ax] > 1 ? s : 1;  // one element: the step does not matter
  }
  int64_t dst[Shape::kMaxRank];
  dense_strides(in, dst);
  auto& p = ctx.make_data<StridedPlan>();
  Shape out;
  p.rank = r;
  bool empty = false;
  for (int i = 0; i < r; ++i) {
    out.push_back(len[i]);
    empty |= len[i] == 0;
    p.dims[i] = len[i];
    p.stride[i] = step[i] * dst[i];
    p.offset += begin[i] * dst[i];
  }
  if (empty) p.offset = 0;
  return finish_strided(ctx, p, out);
}

// ---- Expand --------------------------------------------------------------------------------------

Status expand_load(LoadCtx& ctx) {
  if (Status s = tensor_in_load(ctx); !s.ok()) return s;
  return ctx.require_input(1, {DType::I64});
}

Status expand_plan(PlanCtx& ctx) {
  std::vector<int64_t> want;
  if (!read_ints(ctx.in_value(1), &want)) return ctx.invalid_input("the shape input is not known");
  if (want.size() > static_cast<size_t>(Shape::kMaxRank)) return ctx.invalid_input("more than 8 dims");
  Shape ws;
  for (int64_t d : want) {
    if (d < 0) return ctx.invalid_input("negative dim in the shape input");
    ws.push_back(d);
  }
  const Shape& in = ctx.in_shape(0);
  Shape out;
  if (!broadcast_shapes(in, ws, &out)) return ctx.invalid_input("cannot expand " + in.str() + " to " + ws.str());
  // ORT refuses outputs past 2^32 elements in practice; so do we (keeps the arena sane).
  int64_t n = 1;
  for (int i = 0; i < out.rank(); ++i) {
    if (out[i] && n > (int64_t(1) << 32) / out[i]) return ctx.invalid_input("expanded shape too large");
    n *= out[i];
  }
  int64_t st[Shape::kMaxRank];
  dense_strides(in, st);
  auto& p = ctx.make_data<StridedPlan>();
  p.rank = out.rank();
  const int lead = out.rank() - in.rank();
  for (int i = 0; i < out.rank(); ++i) {
    const int j = i - lead;
    p.dims[i] = out[i];
    p.stride[i] = j < 0 || in[j] == 1 ? 0 : st[j];
  }
  return finish_strided(ctx, p, out);
}

}  // namespace

void register_layout_ops_ops(OpRegistry& r) {
  r.add({"", "Transpose", 1, 0, transpose_load, transpose_plan});
  r.add({"", "Slice", 1, 9, slice_load, slice_plan});
  r.add({"", "Slice", 10, 0, slice_load, slice_plan, 0b11110});
  r.add({"", "Expand", 8, 0, expand_load, expand_plan, 1u << 1});
}

}  // namespace rtml
