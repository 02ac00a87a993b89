// ops/binary.cc - element-wise ops of two or more inputs with numpy broadcasting: Add Sub Mul Div
// Pow, Max Min Sum Mean (variadic), Equal Less Greater LessOrEqual GreaterOrEqual, And Or Xor,
// Where. The inner loops are the ISA table of ops/kernels/elementwise.hpp; the plan picks the
// shape pattern once (one flat run, scalar operand, rows, general strides: ops/broadcast.hpp).
#include <cmath>
#include <cstring>
#include <vector>

#include "ops/broadcast.hpp"
#include "ops/common.hpp"
#include "ops/kernels/elementwise.hpp"
#include "ops/kernels/elementwise_convert.hpp"

namespace rtml {
namespace {

constexpr std::initializer_list<DType> kNumeric = {DType::F32, DType::F64, DType::F16, DType::I8,
                                                   DType::I16, DType::I32, DType::I64, DType::U8,
                                                   DType::U16, DType::U32, DType::U64};

struct BinState : OpState {
  BinOp op = BinOp::Add;
  DType t = DType::Undefined;  // operand type (base type for Pow)
  DType t1 = DType::Undefined; // Pow's exponent type
  bool mean = false;           // Mean: Sum then divide by the input count
};

// Plan of a table op over n >= 1 inputs: step 0 is (in0, in1) -> out, step i is (out, in_{i+1})
// -> out. One input: a copy.
struct BinPlan : PlanData {
  std::vector<Broadcast> steps;
  std::vector<int> modes;       // binary kernel mode of each step's inner runs
  const BinFn* row = nullptr;   // the op's three modes for the operand type
  BinFn flat = nullptr;         // one run covers everything (the fast path)
  const BinFn* div_row = nullptr;  // Mean's final division
  size_t esize = 0, osize = 0;
  bool f16 = false;
};

// ---- the float16 bridge: runs through the float kernels in stack chunks ---------------------
void f16_bin_run(BinFn fn, int mode, const uint16_t* a, const uint16_t* b, void* out, bool cmp_out,
                 int64_t n) {
  float fa[kF16Chunk], fb[kF16Chunk], fo[kF16Chunk];
  if (mode == 2) f16_to_f32(a, fa, 1);
  if (mode == 1) f16_to_f32(b, fb, 1);
  for (int64_t i = 0; i < n; i += kF16Chunk) {
    const int64_t c = n - i < kF16Chunk ? n - i : kF16Chunk;
    if (mode != 2) f16_to_f32(a + i, fa, c);
    if (mode != 1) f16_to_f32(b + i, fb, c);
    if (cmp_out) {
      fn(fa, fb, static_cast<uint8_t*>(out) + i, c);
    } else {
      fn(fa, fb, fo, c);
      f32_to_f16(fo, static_cast<uint16_t*>(out) + i, c);
    }
  }
}

void apply_step(const BinPlan& p, const Broadcast& bc, int mode, const void* a, const void* b,
                void* o, ThreadPool* pool) {
  const char* ca = static_cast<const char*>(a);
  const char* cb = static_cast<const char*>(b);
  char* co = static_cast<char*>(o);
  const BinFn fn = p.row[mode];
  const size_t es = p.esize, os = p.osize;
  if (p.f16) {
    for_each_run(bc, pool, [&](int64_t oo, const int64_t* in, int64_t n) {
      f16_bin_run(fn, mode, reinterpret_cast<const uint16_t*>(ca + in[0] * es),
                  reinterpret_cast<const uint16_t*>(cb + in[1] * es), co + oo * os, os == 1, n);
    });
    return;
  }
  for_each_run(bc, pool, [&](int64_t oo, const int64_t* in, int64_t n) {
    fn(ca + in[0] * es, cb + in[1] * es, co + oo * os, n);
  });
}

Status check_int_div(const BinState& st, const TensorView& b) {
  if (st.op != BinOp::Div || st.t == DType::F32 || st.t == DType::F64 || st.t == DType::F16) return {};
  const uint8_t* p = static_cast<const uint8_t*>(b.data);
  const size_t es = dtype_size(b.dtype);
  const int64_t n = b.numel();
  bool zero = false;
  switch (es) {
    case 1: for (int64_t i = 0; i < n; ++i) zero |= p[i] == 0; break;
    case 2: for (int64_t i = 0; i < n; ++i) zero |= reinterpret_cast<const uint16_t*>(p)[i] == 0; break;
    case 4: for (int64_t i = 0; i < n; ++i) zero |= reinterpret_cast<const uint32_t*>(p)[i] == 0; break;
    default: for (int64_t i = 0; i < n; ++i) zero |= reinterpret_cast<const uint64_t*>(p)[i] == 0; break;
  }
  if (zero) return Status(StatusCode::InvalidInput, "integer division by zero");
  return {};
}

// The fast path: one contiguous run, no broadcasting or one scalar operand.
Status bin_flat_run(const KernelCtx& k) {
  const BinPlan& p = k.plan_data<BinPlan>();
  p.flat(k.in[0].data, k.in[1].data, k.out[0].data, p.steps[0].total);
  return {};
}

Status bin_div_int_run(const KernelCtx& k);

Status bin_run(const KernelCtx& k) {
  const BinPlan& p = k.plan_data<BinPlan>();
  void* out = k.out[0].data;
  if (k.n_in == 1) {  // Sum/Max/Min/Mean of one input
    if (out != k.in[0].data) std::memmove(out, k.in[0].data, k.out[0].bytes());
    return {};
  }
  apply_step(p, p.steps[0], p.modes[0], k.in[0].data, k.in[1].data, out, k.env->pool);
  for (size_t s = 1; s < p.steps.size(); ++s)
    apply_step(p, p.steps[s], p.modes[s], out, k.in[s + 1].data, out, k.env->pool);
  if (p.div_row) {
    const int64_t n = k.out[0].numel();
    const float nf = static_cast<float>(k.n_in);
    const double nd = static_cast<double>(k.n_in);
    if (p.f16) {
      const uint16_t nh = float_to_half(nf);
      f16_bin_run(p.div_row[1], 1, static_cast<uint16_t*>(out), &nh, out, false, n);
    } else if (k.out[0].dtype == DType::F64) {
      p.div_row[1](out, &nd, out, n);
    } else if (k.out[0].dtype == DType::F32) {
      p.div_row[1](out, &nf, out, n);
    }
  }
  return {};
}

Status bin_div_int_run(const KernelCtx& k) {
  if (Status s = check_int_div(k.st<BinState>(), k.in[1]); !s.ok()) return k.invalid_input(s.message());
  return bin_run(k);
}


bool is_cmp(BinOp op) { return op >= BinOp::Equal; }

Status table_plan(PlanCtx& ctx) {
  const BinState& st = *static_cast<const BinState*>(ctx.state);
  const int n = ctx.num_inputs();
  Shape out = ctx.in_shape(0);
  for (int i = 1; i < n; ++i)
    if (!broadcast_shapes(out, ctx.in_shape(i), &out))
      return ctx.invalid_input("shapes " + ctx.in_shape(0).str() + " and " + ctx.in_shape(i).str() +
                               " do not broadcast");
  ctx.set_out_shape(0, out);
  auto& p = ctx.make_data<BinPlan>();
  EwType et;
  if (!ew_type_of(st.t, &et)) return ctx.invalid_input("unsupported type");
  const EwKernels& tab = ew_kernels();
  p.row = tab.bin[static_cast<int>(st.op)][static_cast<int>(et)];
  if (!p.row[0]) return ctx.invalid_input("no kernel for this type");
  p.f16 = st.t == DType::F16;
  p.esize = dtype_size(st.t);
  p.osize = is_cmp(st.op) ? 1 : p.esize;
  if (st.mean) p.div_row = tab.bin[static_cast<int>(BinOp::Div)][static_cast<int>(et)];
  const bool is_div_int = st.op == BinOp::Div && !p.f16 && et != EwType::F32 && et != EwType::F64;
  if (n == 1) {
    ctx.set_kernel(&bin_run);
    ctx.allow_in_place(0, 0);
    return {};
  }
  for (int i = 1; i < n; ++i) {
    Broadcast bc;
    const Shape& a = i == 1 ? ctx.in_shape(0) : out;
    if (!bc.init({&a, &ctx.in_shape(i)}, out)) return ctx.invalid_input("shapes do not broadcast");
    p.steps.push_back(bc);
    p.modes.push_back(bc.mode2());
  }
  const Broadcast& b0 = p.steps[0];
  const bool par = ctx.threads() > 1 && b0.total >= kParallelMinElems;
  if (n == 2 && !p.f16 && !st.mean && !is_div_int && b0.outer == 1 && !par && b0.total > 0) {
    p.flat = p.row[b0.mode2()];
    ctx.set_kernel(&bin_flat_run);
  } else {
    ctx.set_kernel(is_div_int ? &bin_div_int_run : &bin_run);
  }
  if (p.osize == p.esize) {
    if (ctx.in_shape(0) == out) ctx.allow_in_place(0, 0);
    else if (n == 2 && ctx.in_shape(1) == out) ctx.allow_in_place(0, 1);
  }
  return {};
}

Status plan_shapes2(PlanCtx& ctx, int n, Shape* out) {
  *out = ctx.in_shape(0);
  for (int i = 1; i < n; ++i)
    if (!broadcast_shapes(*out, ctx.in_shape(i), out))
      return ctx.invalid_input("shapes " + ctx.in_shape(0).str() + " and " + ctx.in_shape(i).str() +
                               " do not broadcast");
  ctx.set_out_shape(0, *out);
  return {};
}

// ---- loads ----------------------------------------------------------------------------------
Status same_types(LoadCtx& ctx, int from) {
  for (int i = from; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) return ctx.invalid("input " + std::to_string(i) + " is missing");
    if (ctx.in_dtype(i) != ctx.in_dtype(0))
      return ctx.invalid(std::string("inputs have different types: ") + dtype_name(ctx.in_dtype(0)) +
                         " and " + dtype_name(ctx.in_dtype(i)));
  }
  return {};
}

template <BinOp OP>
Status arith_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 2) return ctx.invalid("expects 2 inputs");
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  if (Status s = same_types(ctx, 1); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->op = OP;
  st->t = ctx.in_dtype(0);
  ctx.set_out(0, st->t);
  ctx.set_state(st);
  return {};
}

template <BinOp OP, bool MEAN = false>
Status variadic_load(LoadCtx& ctx) {
  if (ctx.num_inputs() < 1 || !ctx.has_input(0)) return ctx.invalid("expects at least one input");
  if (ctx.num_inputs() > 64) return ctx.unsupported("more than 64 inputs");
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  if (Status s = same_types(ctx, 1); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->op = OP;
  st->t = ctx.in_dtype(0);
  st->mean = MEAN;
  ctx.set_out(0, st->t);
  ctx.set_state(st);
  return {};
}

template <BinOp OP>
Status logic_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 2) return ctx.invalid("expects 2 inputs");
  if (Status s = ctx.require_input(0, {DType::Bool}); !s.ok()) return s;
  if (Status s = ctx.require_input(1, {DType::Bool}); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->op = OP;
  st->t = DType::Bool;
  ctx.set_out(0, DType::Bool);
  ctx.set_state(st);
  return {};
}

// ---- string Equal, mixed-type Pow, Where: generic element loops ------------------------------
template <class A, class B, class O, class F>
void generic2(const Broadcast& bc, ThreadPool* pool, const void* a, const void* b, void* o, F f) {
  const int64_t sa = bc.contig & 1, sb = (bc.contig >> 1) & 1;
  for_each_run(bc, pool, [&](int64_t oo, const int64_t* in, int64_t n) {
    const A* pa = static_cast<const A*>(a) + in[0];
    const B* pb = static_cast<const B*>(b) + in[1];
    O* po = static_cast<O*>(o) + oo;
    for (int64_t i = 0; i < n; ++i) po[i] = f(pa[i * sa], pb[i * sb]);
  });
}

struct GenPlan : PlanData {
  Broadcast bc;
};

Status str_equal_run(const KernelCtx& k) {
  const GenPlan& p = k.plan_data<GenPlan>();
  generic2<StrRef, StrRef, uint8_t>(p.bc, k.env->pool, k.in[0].data, k.in[1].data, k.out[0].data,
                                    [](StrRef x, StrRef y) -> uint8_t { return x.view() == y.view(); });
  return {};
}

Status gen2_plan(PlanCtx& ctx, KernelFn fn) {
  Shape out;
  if (Status s = plan_shapes2(ctx, 2, &out); !s.ok()) return s;
  auto& p = ctx.make_data<GenPlan>();
  if (!p.bc.init({&ctx.in_shape(0), &ctx.in_shape(1)}, out)) return ctx.invalid_input("shapes do not broadcast");
  ctx.set_kernel(fn);
  return {};
}

Status cmp_plan(PlanCtx& ctx) {
  if (ctx.in_dtype(0) == DType::String) return gen2_plan(ctx, &str_equal_run);
  return table_plan(ctx);
}

template <BinOp OP>
Status cmp_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 2) return ctx.invalid("expects 2 inputs");
  std::initializer_list<DType> types = kNumeric;
  if (Status s = ctx.require_input(0, types, true); !s.ok()) {
    const DType t = ctx.in_dtype(0);
    if (!(t == DType::Bool || (OP == BinOp::Equal && t == DType::String))) return s;
  }
  if (Status s = same_types(ctx, 1); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->op = OP;
  st->t = ctx.in_dtype(0);
  ctx.set_out(0, DType::Bool);
  ctx.set_state(st);
  return {};
}

// Pow with base and exponent of different types (opset 12+): computed in double (integers: exact
// integer power), converted to the base type.
struct Half16 {  // a float16 element, distinct from uint16_t
  uint16_t bits;
};

template <class T>
double to_d(T x) {
  if constexpr (std::is_same_v<T, Half16>) return half_to_float(x.bits);
  else return static_cast<double>(x);
}
template <class T>
T from_d(double x) {
  if constexpr (std::is_same_v<T, Half16>) return Half16{float_to_half(static_cast<float>(x))};
  else return convert<T>(x);
}

template <class T, class E>
Status pow_mixed_run(const KernelCtx& k) {
  const GenPlan& p = k.plan_data<GenPlan>();
  generic2<T, E, T>(p.bc, k.env->pool, k.in[0].data, k.in[1].data, k.out[0].data, [](T x, E e) -> T {
    if constexpr (std::is_integral_v<T> && std::is_integral_v<E>)
      return static_cast<T>(int_pow<int64_t>(static_cast<int64_t>(x), static_cast<int64_t>(e)));
    else
      return from_d<T>(std::pow(to_d(x), to_d(e)));
  });
  return {};
}

// Calls f(T{}) for numeric types and Half16 for float16.
template <class F>
bool visit_storage(DType t, F&& f) {
  if (t == DType::F16) {
    f(Half16{});
    return true;
  }
  return visit_numeric(t, f);
}

Status pow_plan(PlanCtx& ctx) {
  const BinState& st = *static_cast<const BinState*>(ctx.state);
  if (st.t == st.t1) return table_plan(ctx);
  KernelFn fn = nullptr;
  visit_storage(st.t, [&](auto t) {
    visit_storage(st.t1, [&](auto e) { fn = &pow_mixed_run<decltype(t), decltype(e)>; });
  });
  if (!fn) return ctx.invalid_input("unsupported Pow types");
  return gen2_plan(ctx, fn);
}

Status pow_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 2) return ctx.invalid("expects 2 inputs");
  if (Status s = ctx.require_input(0, kNumeric); !s.ok()) return s;
  if (Status s = ctx.require_input(1, kNumeric); !s.ok()) return s;
  auto st = std::make_shared<BinState>();
  st->op = BinOp::Pow;
  st->t = ctx.in_dtype(0);
  st->t1 = ctx.in_dtype(1);
  ctx.set_out(0, st->t);
  ctx.set_state(st);
  return {};
}

// Where(cond, x, y): any element type, moved by size.
struct Bytes16 {
  uint64_t lo, hi;
};

template <class E>
Status where_run(const KernelCtx& k) {
  const GenPlan& p = k.plan_data<GenPlan>();
  const Broadcast& bc = p.bc;
  const int64_t sc = bc.contig & 1, sx = (bc.contig >> 1) & 1, sy = (bc.contig >> 2) & 1;
  const uint8_t* c = static_cast<const uint8_t*>(k.in[0].data);
  const E* x = static_cast<const E*>(k.in[1].data);
  const E* y = static_cast<const E*>(k.in[2].data);
  E* o = static_cast<E*>(k.out[0].data);
  for_each_run(bc, k.env->pool, [&](int64_t oo, const int64_t* in, int64_t n) {
    const uint8_t* pc = c + in[0];
    const E* px = x + in[1];
    const E* py = y + in[2];
    E* po = o + oo;
    if (sc && sx && sy) {
      for (int64_t i = 0; i < n; ++i) po[i] = pc[i] ? px[i] : py[i];
    } else {
      for (int64_t i = 0; i < n; ++i) po[i] = pc[i * sc] ? px[i * sx] : py[i * sy];
    }
  });
  return {};
}

Status where_plan(PlanCtx& ctx) {
  Shape out;
  if (Status s = plan_shapes2(ctx, 3, &out); !s.ok()) return s;
  auto& p = ctx.make_data<GenPlan>();
  if (!p.bc.init({&ctx.in_shape(0), &ctx.in_shape(1), &ctx.in_shape(2)}, out))
    return ctx.invalid_input("shapes do not broadcast");
  switch (dtype_size(ctx.in_dtype(1))) {
    case 1: ctx.set_kernel(&where_run<uint8_t>); break;
    case 2: ctx.set_kernel(&where_run<uint16_t>); break;
    case 4: ctx.set_kernel(&where_run<uint32_t>); break;
    case 8: ctx.set_kernel(&where_run<uint64_t>); break;
    case 16: ctx.set_kernel(&where_run<Bytes16>); break;
    default: return ctx.invalid_input("unsupported Where type");
  }
  static_assert(sizeof(StrRef) == 16, "Where moves strings as 16-byte elements");
  // In place: every output element reads only its own position of a same-shape input.
  if (ctx.in_shape(1) == out) ctx.allow_in_place(0, 1);
  else if (ctx.in_shape(2) == out) ctx.allow_in_place(0, 2);
  return {};
}

Status where_load(LoadCtx& ctx) {
  if (ctx.num_inputs() != 3) return ctx.invalid("expects 3 inputs");
  if (Status s = ctx.require_input(0, {DType::Bool}); !s.ok()) return s;
  if (!ctx.has_input(1) || !ctx.has_input(2)) return ctx.invalid("X and Y are required");
  const DType t = ctx.in_dtype(1);
  if (!dtype_known(static_cast<int32_t>(t))) return ctx.unsupported(std::string("type ") + dtype_name(t));
  if (ctx.in_dtype(2) != t) return ctx.invalid("X and Y have different types");
  ctx.set_out(0, t);
  return {};
}

}  // namespace

void register_binary_ops(OpRegistry& r) {
  r.add({"", "Add", 7, 0, arith_load<BinOp::Add>, table_plan});
  r.add({"", "Sub", 7, 0, arith_load<BinOp::Sub>, table_plan});
  r.add({"", "Mul", 7, 0, arith_load<BinOp::Mul>, table_plan});
  r.add({"", "Div", 7, 0, arith_load<BinOp::Div>, table_plan});
  r.add({"", "Pow", 7, 0, pow_load, pow_plan});
  r.add({"", "Max", 7, 0, variadic_load<BinOp::Max>, table_plan});
  r.add({"", "Min", 7, 0, variadic_load<BinOp::Min>, table_plan});
  r.add({"", "Sum", 7, 0, variadic_load<BinOp::Add>, table_plan});
  r.add({"", "Mean", 7, 0, variadic_load<BinOp::Add, true>, table_plan});
  r.add({"", "And", 7, 0, logic_load<BinOp::And>, table_plan});
  r.add({"", "Or", 7, 0, logic_load<BinOp::Or>, table_plan});
  r.add({"", "Xor", 7, 0, logic_load<BinOp::Xor>, table_plan});
  r.add({"", "Equal", 7, 0, cmp_load<BinOp::Equal>, cmp_plan});
  r.add({"", "Less", 7, 0, cmp_load<BinOp::Less>, table_plan});
  r.add({"", "Greater", 7, 0, cmp_load<BinOp::Greater>, table_plan});
  r.add({"", "LessOrEqual", 12, 0, cmp_load<BinOp::LessEq>, table_plan});
  r.add({"", "GreaterOrEqual", 12, 0, cmp_load<BinOp::GreaterEq>, table_plan});
  r.add({"", "Where", 9, 0, where_load, where_plan});
}

}  // namespace rtml
