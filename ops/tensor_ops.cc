// ops/tensor_ops.cc - Concat, Split, Gather, Tile: block copies of any element type (numbers,
// bool, float16, strings as StrRef). Each op views its tensors as [outer, axis, inner] so that
// the kernels move whole contiguous blocks with memcpy.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "ops/common.hpp"

namespace rtml {
namespace {

int64_t prod(const Shape& s, int b, int e) {
  int64_t n = 1;
  for (int i = b; i < e; ++i) n *= s[i];
  return n;
}

struct AxisState : OpState {
  int64_t axis = 0;
};

Status check_tensor_input(LoadCtx& ctx, int i) {
  if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is missing");
  if (ctx.in_kind(i) != ValueKind::Tensor) return ctx.unsupported("only tensor inputs are supported");
  if (dtype_size(ctx.in_dtype(i)) == 0) return ctx.unsupported("input type not supported");
  return {};
}

// ---- Concat --------------------------------------------------------------------------------------

struct ConcatPlan : PlanData {
  int64_t outer = 0;
  std::vector<size_t> block;  // bytes per outer step, per input
  size_t row = 0;             // bytes per outer step of the output (sum of block)
};

Status concat_load(LoadCtx& ctx) {
  if (ctx.num_inputs() < 1) return ctx.invalid("needs at least one input");
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (Status s = check_tensor_input(ctx, i); !s.ok()) return s;
    if (ctx.in_dtype(i) != ctx.in_dtype(0)) return ctx.invalid("inputs differ in type");
  }
  if (!ctx.has_attr("axis")) return ctx.invalid("needs the axis attribute");
  auto st = std::make_shared<AxisState>();
  st->axis = ctx.attr_int("axis", 0);
  if (ctx.opset() < 11 && st->axis < 0) return ctx.invalid("axis must be >= 0 before opset 11");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

// One input's blocks of a fixed size into the output rows: the copy inlines (a memcpy call per
// block of a few bytes cost more than the copy: ColumnTransformer concatenates a handful of
// columns per row).
template <size_t B>
void copy_blocks(const char* src, char* dst, int64_t outer, size_t row) {
  for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * row, src + o * B, B);
}

Status concat_run(const KernelCtx& k) {
  const auto& p = k.plan_data<ConcatPlan>();
  char* y = k.out[0].as<char>();
  const int n = k.n_in;
  if (p.outer == 1 || p.row >= 256) {
    for (int64_t o = 0; o < p.outer; ++o)
      for (int i = 0; i < n; ++i) {
        const size_t b = p.block[i];
        if (b) std::memcpy(y, k.in[i].as<const char>() + o * b, b);
        y += b;
      }
    return {};
  }
  size_t off = 0;
  for (int i = 0; i < n; ++i) {
    const size_t b = p.block[i];
    const char* src = k.in[i].as<const char>();
    char* dst = y + off;
    off += b;
    switch (b) {
      case 0: break;
      case 4: copy_blocks<4>(src, dst, p.outer, p.row); break;
      case 8: copy_blocks<8>(src, dst, p.outer, p.row); break;
      case 12: copy_blocks<12>(src, dst, p.outer, p.row); break;
      case 16: copy_blocks<16>(src, dst, p.outer, p.row); break;
      case 24: copy_blocks<24>(src, dst, p.outer, p.row); break;
      case 32: copy_blocks<32>(src, dst, p.outer, p.row); break;
      default:
        for (int64_t o = 0; o < p.outer; ++o) std::memcpy(dst + o * p.row, src + o * b, b);
    }
  }
  return {};
}

Status concat_plan(PlanCtx& ctx) {
  const Shape& s0 = ctx.in_shape(0);
  const int r = s0.rank();
  int64_t axis;
  if (!normalize_axis(static_cast<const AxisState*>(ctx.state)->axis, r, &axis))
    return ctx.invalid_input("axis out of range for input " + s0.str());
  Shape out = s0;
  out[static_cast<int>(axis)] = 0;
  auto& p = ctx.make_data<ConcatPlan>();
  const size_t es = dtype_size(ctx.in_dtype(0));
  p.outer = prod(s0, 0, static_cast<int>(axis));
  const int64_t inner = prod(s0, static_cast<int>(axis) + 1, r);
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Shape& s = ctx.in_shape(i);
    if (s.rank() != r) return ctx.invalid_input("inputs differ in rank: " + s0.str() + " and " + s.str());
    for (int d = 0; d < r; ++d)
      if (d != axis && s[d] != s0[d]) return ctx.invalid_input("inputs differ off the axis: " + s0.str() + " and " + s.str());
    out[static_cast<int>(axis)] += s[static_cast<int>(axis)];
    p.block.push_back(static_cast<size_t>(s[static_cast<int>(axis)] * inner) * es);
    p.row += p.block.back();
  }
  ctx.set_out_shape(0, out);
  ctx.set_kernel(&concat_run);
  return {};
}

// ---- Split ---------------------------------------------------------------------------------------

struct SplitState : OpState {
  int64_t axis = 0;
  bool split_input = false;      // opset >= 13: split comes from input 1
  std::vector<int64_t> split;    // attribute (opset < 13)
  int64_t num_outputs = 0;       // opset >= 18, 0 = absent
};

struct SplitPlan : PlanData {
  int64_t outer = 0;
  std::vector<size_t> block;  // bytes per outer step, per output
  size_t in_block = 0;
};

Status split_load(LoadCtx& ctx) {
  if (Status s = check_tensor_input(ctx, 0); !s.ok()) return s;
  auto st = std::make_shared<SplitState>();
  st->axis = ctx.attr_int("axis", 0);
  if (ctx.opset() < 11 && st->axis < 0) return ctx.invalid("axis must be >= 0 before opset 11");
  if (ctx.opset() >= 13) {
    st->split_input = ctx.has_input(1);
    if (Status s = ctx.require_input(1, {DType::I64}, false); !s.ok()) return s;
  } else {
    st->split = ctx.attr_ints("split");
  }
  if (ctx.opset() >= 18 && ctx.has_attr("num_outputs")) {
    st->num_outputs = ctx.attr_int("num_outputs", 0);
    if (st->split_input) return ctx.invalid("split and num_outputs are both given");
    if (st->num_outputs != ctx.num_outputs()) return ctx.invalid("num_outputs differs from the number of outputs");
  }
  if (ctx.num_outputs() < 1) return ctx.invalid("needs outputs");
  for (int j = 0; j < ctx.num_outputs(); ++j) ctx.set_out(j, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

Status split_run(const KernelCtx& k) {
  const auto& p = k.plan_data<SplitPlan>();
  const char* x = k.in[0].as<const char>();
  for (int64_t o = 0; o < p.outer; ++o)
    for (int j = 0; j < k.n_out; ++j) {
      const size_t b = p.block[j];
      if (b && k.out[j].data) std::memcpy(k.out[j].as<char>() + o * b, x, b);
      x += b;
    }
  return {};
}

Status split_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const SplitState*>(ctx.state);
  const Shape& in = ctx.in_shape(0);
  int64_t axis;
  if (!normalize_axis(st.axis, in.rank(), &axis)) return ctx.invalid_input("axis out of range for " + in.str());
  const int ax = static_cast<int>(axis);
  const int64_t dim = in[ax];
  const int n = ctx.num_outputs();
  std::vector<int64_t> split = st.split;
  if (st.split_input && !read_ints(ctx.in_value(1), &split)) return ctx.invalid_input("split is not known");
  if (split.empty()) {
    if (st.num_outputs > 0) {  // opset 18: ceil-sized chunks, the last one smaller
      const int64_t chunk = (dim + n - 1) / n;
      for (int j = 0; j < n; ++j) split.push_back(std::clamp<int64_t>(dim - chunk * j, 0, chunk));
    } else {
      if (dim % n != 0)
        return ctx.invalid_input("axis of " + in.str() + " does not split into " + std::to_string(n) + " equal parts");
      split.assign(n, dim / n);
    }
  }
  if (static_cast<int>(split.size()) != n) return ctx.invalid_input("split has a length other than the output count");
  int64_t sum = 0;
  for (int64_t v : split) {
    if (v < 0) return ctx.invalid_input("negative split");
    sum += v;
  }
  if (sum != dim) return ctx.invalid_input("split sums to " + std::to_string(sum) + ", not " + std::to_string(dim));
  auto& p = ctx.make_data<SplitPlan>();
  p.outer = prod(in, 0, ax);
  const int64_t inner = prod(in, ax + 1, in.rank());
  const size_t es = dtype_size(ctx.in_dtype(0));
  for (int j = 0; j < n; ++j) {
    Shape s = in;
    s[ax] = split[j];
    if (ctx.has_output(j)) ctx.set_out_shape(j, s);
    p.block.push_back(static_cast<size_t>(split[j] * inner) * es);
  }
  ctx.set_kernel(&split_run);
  return {};
}

// ---- Gather --------------------------------------------------------------------------------------

struct GatherPlan : PlanData {
  int64_t outer = 0, axis_dim = 0, n_idx = 0;
  size_t inner_bytes = 0;
};

Status gather_load(LoadCtx& ctx) {
  if (Status s = check_tensor_input(ctx, 0); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::I64, DType::I32}); !s.ok()) return s;
  auto st = std::make_shared<AxisState>();
  st->axis = ctx.attr_int("axis", 0);
  if (ctx.opset() < 11 && st->axis < 0) return ctx.invalid("axis must be >= 0 before opset 11");
  ctx.set_out(0, ctx.in_dtype(0));
  ctx.set_state(st);
  return {};
}

template <class I>
Status gather_run(const KernelCtx& k) {
  const auto& p = k.plan_data<GatherPlan>();
  const I* idx = k.in[1].as<const I>();
  for (int64_t m = 0; m < p.n_idx; ++m) {
    const int64_t v = static_cast<int64_t>(idx[m]);
    if (v < -p.axis_dim || v >= p.axis_dim)
      return k.invalid_input("index " + std::to_string(v) + " out of range [" + std::to_string(-p.axis_dim) + ", " +
                             std::to_string(p.axis_dim) + ")");
  }
  const char* x = k.in[0].as<const char>();
  char* y = k.out[0].as<char>();
  const size_t ib = p.inner_bytes;
  if (ib == 0) return {};
  for (int64_t o = 0; o < p.outer; ++o) {
    const char* xo = x + o * p.axis_dim * ib;
    for (int64_t m = 0; m < p.n_idx; ++m) {
      int64_t v = static_cast<int64_t>(idx[m]);
      if (v < 0) v += p.axis_dim;
      std::memcpy(y, xo + v * ib, ib);
      y += ib;
    }
  }
  return {};
}

Status gather_plan(PlanCtx& ctx) {
  const Shape& in = ctx.in_shape(0);
  const Shape& ind = ctx.in_shape(1);
  int64_t axis;
  if (!normalize_axis(static_cast<const AxisState*>(ctx.state)->axis, in.rank(), &axis))
    return ctx.invalid_input("axis out of range for " + in.str());
  const int ax = static_cast<int>(axis);
  if (in.rank() - 1 + ind.rank() > Shape::kMaxRank) return ctx.invalid_input("output rank above 8");
  Shape out;
  for (int i = 0; i < ax; ++i) out.push_back(in[i]);
  for (int i = 0; i < ind.rank(); ++i) out.push_back(ind[i]);
  for (int i = ax + 1; i < in.rank(); ++i) out.push_back(in[i]);
  auto& p = ctx.make_data<GatherPlan>();
  p.outer = prod(in, 0, ax);
  p.axis_dim = in[ax];
  p.n_idx = ind.numel();
  p.inner_bytes = static_cast<size_t>(prod(in, ax + 1, in.rank())) * dtype_size(ctx.in_dtype(0));
  ctx.set_out_shape(0, out);
  ctx.set_kernel(ctx.in_dtype(1) == DType::I64 ? &gather_run<int64_t> : &gather_run<int32_t>);
  return {};
}

// ---- Tile ----------------------------------------------------------------------------------------

struct TilePlan : PlanData {
  int rank = 0;
  int64_t in_dims[Shape::kMaxRank] = {}, out_dims[Shape::kMaxRank] = {};
  int64_t in_stride[Shape::kMaxRank] = {};  // elements
  size_t esize = 0;
  int64_t rows = 0;  // output rows (all dims but the last)
};

Status tile_load(LoadCtx& ctx) {
  if (Status s = check_tensor_input(ctx, 0); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::I64}); !s.ok()) return s;
  ctx.set_out(0, ctx.in_dtype(0));
  return {};
}

// Each output row copies one input row (dims modulo the input's), repeated along the last dim.
Status tile_run(const KernelCtx& k) {
  const auto& p = k.plan_data<TilePlan>();
  if (k.out[0].numel() == 0) return {};
  const char* x = k.in[0].as<const char>();
  char* y = k.out[0].as<char>();
  const int r = p.rank;
  if (r == 0) {
    std::memcpy(y, x, p.esize);
    return {};
  }
  const size_t in_row = static_cast<size_t>(p.in_dims[r - 1]) * p.esize;
  const int64_t reps = p.out_dims[r - 1] / p.in_dims[r - 1];
  int64_t idx[Shape::kMaxRank] = {};
  for (int64_t row = 0; row < p.rows; ++row) {
    int64_t off = 0;
    for (int i = 0; i < r - 1; ++i) off += (idx[i] % p.in_dims[i]) * p.in_stride[i];
    const char* src = x + off * static_cast<int64_t>(p.esize);
    for (int64_t t = 0; t < reps; ++t, y += in_row) std::memcpy(y, src, in_row);
    for (int i = r - 2; i >= 0; --i) {
      if (++idx[i] < p.out_dims[i]) break;
      idx[i] = 0;
    }
  }
  return {};
}

Status tile_plan(PlanCtx& ctx) {
  std::vector<int64_t> reps;
  if (!read_ints(ctx.in_value(1), &reps)) return ctx.invalid_input("repeats are not known");
  const Shape& in = ctx.in_shape(0);
  if (static_cast<int>(reps.size()) != in.rank())
    return ctx.invalid_input("repeats has " + std::to_string(reps.size()) + " entries for input " + in.str());
  auto& p = ctx.make_data<TilePlan>();
  p.rank = in.rank();
  p.esize = dtype_size(ctx.in_dtype(0));
  Shape out;
  int64_t n = 1, acc = 1;
  for (int i = in.rank() - 1; i >= 0; --i) p.in_stride[i] = acc, acc *= in[i];
  for (int i = 0; i < in.rank(); ++i) {
    if (reps[i] < 0) return ctx.invalid_input("negative repeat");
    const int64_t d = in[i] * reps[i];
    if (d && n > (int64_t(1) << 32) / d) return ctx.invalid_input("tiled shape too large");
    n *= d;
    out.push_back(d);
    p.in_dims[i] = in[i];
    p.out_dims[i] = d;
  }
  p.rows = prod(out, 0, std::max(0, out.rank() - 1));
  ctx.set_out_shape(0, out);
  ctx.set_kernel(&tile_run);
  return {};
}

}  // namespace

void register_tensor_ops_ops(OpRegistry& r) {
  r.add({"", "Concat", 4, 0, concat_load, concat_plan});
  r.add({"", "Split", 2, 12, split_load, split_plan});
  r.add({"", "Split", 13, 0, split_load, split_plan, 1u << 1});
  r.add({"", "Gather", 1, 0, gather_load, gather_plan});
  r.add({"", "Tile", 6, 0, tile_load, tile_plan, 1u << 1});
}

}  // namespace rtml
