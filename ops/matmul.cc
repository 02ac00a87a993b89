// ops/matmul.cc - MatMul (numpy batched broadcasting, 1-D operands), Gemm (alpha, beta, transA,
// transB, C broadcasting), and their fused forms rtml:FusedMatMul / rtml:FusedGemm (bias +
// activation in the GEMM epilogue, made by engine/passes/fuse_bias_activation.cc).
//
// float goes through the packed GEMM (ops/kernels/gemm.hpp); a constant 2-D B is packed once at
// load. float16 is computed in float (converted in scratch); double and the integer types use a
// plain loop (integers wrap modulo 2^bits, as two's complement hardware does).
#include <algorithm>
#include <cstring>

#include "ops/common.hpp"
#include "ops/kernels/gemm.hpp"
#include "ops/fused_activation.hpp"

namespace rtml {

// Reads activation / activation_alpha / activation_beta (the fused ops' attributes) into ep.
Status load_fused_activation(LoadCtx& ctx, gemm::Epilogue* ep) {
  const std::string act = ctx.attr_string("activation", "");
  const float a = ctx.attr_float("activation_alpha", 0.01f), b = ctx.attr_float("activation_beta", 0.0f);
  if (act.empty()) ep->act = gemm::Act::None;
  else if (act == "Relu") ep->act = gemm::Act::Relu;
  else if (act == "Sigmoid") ep->act = gemm::Act::Sigmoid;
  else if (act == "Tanh") ep->act = gemm::Act::Tanh;
  else if (act == "LeakyRelu") ep->act = gemm::Act::LeakyRelu, ep->p0 = a;
  else if (act == "Clip") ep->act = gemm::Act::Clip, ep->p0 = a, ep->p1 = b;
  else return ctx.invalid("unknown fused activation '" + act + "'");
  return {};
}

namespace {

// ---- activation attributes of the fused forms -------------------------------------------------


// Scalar activation for the non-float paths (double, float16 via float).
template <class T>
T activate(const gemm::Epilogue& ep, T v) {
  switch (ep.act) {
    case gemm::Act::None: return v;
    case gemm::Act::Relu: return v > T(0) ? v : T(0);
    case gemm::Act::LeakyRelu: return v < T(0) ? v * T(ep.p0) : v;
    case gemm::Act::Clip: return std::min(std::max(v, T(ep.p0)), T(ep.p1));
    case gemm::Act::Sigmoid: return T(1) / (T(1) + std::exp(-v));
    case gemm::Act::Tanh: return std::tanh(v);
  }
  return v;
}

// C += A x B over one matrix, generic types. Integers in uint64 arithmetic (wraps, no UB).
template <class T>
void matmul_plain(const T* a, int64_t ars, int64_t acs, const T* b, int64_t brs, int64_t bcs, T* c, int64_t M,
                  int64_t N, int64_t K) {
  if constexpr (std::is_floating_point_v<T>) {
    if (N == 1 && acs == 1 && brs == 1) {
      // Contiguous matrix x vector (a linear regression): two rows at a time, each with four
      // partial sums (independent chains), unit strides the compiler can see.
      int64_t i = 0;
      for (; i + 2 <= M; i += 2) {
        const T* r0 = a + i * ars;
        const T* r1 = r0 + ars;
        T s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {
          s0 += r0[k] * b[k], s1 += r0[k + 1] * b[k + 1], s2 += r0[k + 2] * b[k + 2], s3 += r0[k + 3] * b[k + 3];
          t0 += r1[k] * b[k], t1 += r1[k + 1] * b[k + 1], t2 += r1[k + 2] * b[k + 2], t3 += r1[k + 3] * b[k + 3];
        }
        for (; k < K; ++k) s0 += r0[k] * b[k], t0 += r1[k] * b[k];
        c[i] = (s0 + s1) + (s2 + s3);
        c[i + 1] = (t0 + t1) + (t2 + t3);
      }
      for (; i < M; ++i) {
        const T* ar = a + i * ars;
        T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t k = 0;
        for (; k + 4 <= K; k += 4)
          s0 += ar[k] * b[k], s1 += ar[k + 1] * b[k + 1], s2 += ar[k + 2] * b[k + 2], s3 += ar[k + 3] * b[k + 3];
        for (; k < K; ++k) s0 += ar[k] * b[k];
        c[i] = (s0 + s1) + (s2 + s3);
      }
      return;
    }
    if (N == 1) {  // matrix x vector (a linear regression): one dot product per row, 4 partial sums
      for (int64_t i = 0; i < M; ++i) {
        const T* ar = a + i * ars;
        T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int64_t k = 0;
        for (; k + 4 <= K; k += 4) {
          s0 += ar[k * acs] * b[k * brs];
          s1 += ar[(k + 1) * acs] * b[(k + 1) * brs];
          s2 += ar[(k + 2) * acs] * b[(k + 2) * brs];
          s3 += ar[(k + 3) * acs] * b[(k + 3) * brs];
        }
        for (; k < K; ++k) s0 += ar[k * acs] * b[k * brs];
        c[i] = (s0 + s1) + (s2 + s3);
      }
      return;
    }
    for (int64_t i = 0; i < M; ++i) {
      T* row = c + i * N;
      for (int64_t j = 0; j < N; ++j) row[j] = T(0);
      for (int64_t k = 0; k < K; ++k) {
        const T av = a[i * ars + k * acs];
        const T* brow = b + k * brs;
        for (int64_t j = 0; j < N; ++j) row[j] += av * brow[j * bcs];
      }
    }
  } else {
    using W = uint64_t;
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        W s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += static_cast<W>(static_cast<int64_t>(a[i * ars + k * acs])) *
               static_cast<W>(static_cast<int64_t>(b[k * brs + j * bcs]));
        c[i * N + j] = static_cast<T>(s);
      }
  }
}

// The types of MatMul and Gemm: float types always, 32/64-bit integers from opset 9.
Status require_matmul_type(const LoadCtx& ctx, int i, bool ints, bool required) {
  if (ints)
    return ctx.require_input(i, {DType::F32, DType::F64, DType::F16, DType::I32, DType::I64, DType::U32, DType::U64},
                             required);
  return ctx.require_input(i, {DType::F32, DType::F64, DType::F16}, required);
}

// ---- MatMul / rtml:FusedMatMul -----------------------------------------------------------------

struct MatMulState : OpState {
  DType dt = DType::F32;
  gemm::Epilogue ep;       // fused: activation (bias pointer set per run from input 2)
  bool has_bias = false;
  Tensor packed_b;         // constant 2-D float B, packed (gemm.hpp layout); empty otherwise
  int64_t pk = 0, pn = 0;  // its K and N
};

struct MatMulPlan : PlanData {
  int64_t M = 0, N = 0, K = 0;
  int64_t batch = 1;
  std::vector<int64_t> a_off, b_off;  // element offset of each batch's matrix in A and B
  bool fold = false;                  // B is one matrix shared by every batch: one GEMM of batch*M rows
  int threads = 1;
  int64_t gemm_scratch = 0;           // floats
};

Status matmul_load(LoadCtx& ctx) {
  const bool fused = ctx.node.domain == "rtml";
  const int64_t op = ctx.opset();
  if (Status s = require_matmul_type(ctx, 0, fused || op >= 9, true); !s.ok()) return s;
  if (Status s = require_matmul_type(ctx, 1, fused || op >= 9, true); !s.ok()) return s;
  auto st = std::make_shared<MatMulState>();
  st->dt = ctx.in_dtype(0);
  if (ctx.in_dtype(1) != st->dt) return ctx.invalid("A and B have different types");
  if (fused) {
    if (Status s = load_fused_activation(ctx, &st->ep); !s.ok()) return s;
    st->has_bias = ctx.has_input(2);
    if (st->has_bias && ctx.in_dtype(2) != st->dt) return ctx.invalid("bias type differs from A");
    if (st->dt != DType::F32 && st->dt != DType::F64 && st->dt != DType::F16)
      return ctx.unsupported("fused MatMul of integers");
  }
  if (const Tensor* b = ctx.in_const(1); b && st->dt == DType::F32 && b->shape().rank() == 2) {
    st->pk = b->shape()[0], st->pn = b->shape()[1];
    st->packed_b = Tensor(DType::F32, Shape{gemm::packed_b_floats(st->pk, st->pn)});
    gemm::pack_b(b->data<float>(), st->pn, 1, st->pk, st->pn, st->packed_b.data<float>());
  }
  ctx.set_out(0, st->dt);
  ctx.set_state(st);
  return {};
}

template <class T>
Status matmul_run_plain(const KernelCtx& k) {
  const auto& p = k.plan_data<MatMulPlan>();
  const auto& st = k.st<MatMulState>();
  const T* a = static_cast<const T*>(k.in[0].data);
  const T* b = static_cast<const T*>(k.in[1].data);
  T* y = static_cast<T*>(k.out[0].data);
  const T* bias = st.has_bias ? static_cast<const T*>(k.in[2].data) : nullptr;
  for (int64_t i = 0; i < p.batch; ++i) {
    T* c = y + i * p.M * p.N;
    matmul_plain<T>(a + p.a_off[i], p.K, 1, b + p.b_off[i], p.N, 1, c, p.M, p.N, p.K);
    if constexpr (std::is_floating_point_v<T>) {
      if (st.ep.act == gemm::Act::None && bias) {
        for (int64_t r = 0; r < p.M; ++r)
          for (int64_t j = 0; j < p.N; ++j) c[r * p.N + j] += bias[j];
      } else if (bias || st.ep.act != gemm::Act::None)
        for (int64_t r = 0; r < p.M; ++r)
          for (int64_t j = 0; j < p.N; ++j) {
            T v = c[r * p.N + j] + (bias ? bias[j] : T(0));
            c[r * p.N + j] = activate<T>(st.ep, v);
          }
    }
  }
  return {};
}

Status matmul_run_f32(const KernelCtx& k) {
  const auto& p = k.plan_data<MatMulPlan>();
  const auto& st = k.st<MatMulState>();
  const float* a = static_cast<const float*>(k.in[0].data);
  const float* b = static_cast<const float*>(k.in[1].data);
  float* y = static_cast<float*>(k.out[0].data);
  gemm::Args g;
  g.M = p.fold ? p.batch * p.M : p.M;
  g.N = p.N, g.K = p.K;
  g.ldc = p.N;
  g.ep = st.ep;
  if (st.has_bias) g.ep.bias = static_cast<const float*>(k.in[2].data);
  const bool packed = st.packed_b.raw() != nullptr && st.pk == p.K && st.pn == p.N;
  float* ws = static_cast<float*>(k.scratch);
  const int64_t iters = p.fold ? 1 : p.batch;
  for (int64_t i = 0; i < iters; ++i) {
    g.a = {a + p.a_off[i], p.K, 1, nullptr};
    g.b = {b + p.b_off[i], p.N, 1, packed ? st.packed_b.data<float>() : nullptr};
    g.c = y + i * p.M * p.N;
    gemm::sgemm(g, ws, k.env ? k.env->pool : nullptr, p.threads);
  }
  return {};
}

// float16: A, B converted to float in scratch, the float GEMM, the result converted back.
Status matmul_run_f16(const KernelCtx& k) {
  const auto& p = k.plan_data<MatMulPlan>();
  const auto& st = k.st<MatMulState>();
  const int64_t na = k.in[0].numel(), nb = k.in[1].numel(), ny = k.out[0].numel();
  float* fa = static_cast<float*>(k.scratch);
  float* fb = fa + ((na + 15) & ~int64_t(15));
  float* fy = fb + ((nb + 15) & ~int64_t(15));
  float* fbias = fy + ((ny + 15) & ~int64_t(15));
  float* ws = fbias + ((p.N + 15) & ~int64_t(15));
  const uint16_t* ha = static_cast<const uint16_t*>(k.in[0].data);
  const uint16_t* hb = static_cast<const uint16_t*>(k.in[1].data);
  for (int64_t i = 0; i < na; ++i) fa[i] = half_to_float(ha[i]);
  for (int64_t i = 0; i < nb; ++i) fb[i] = half_to_float(hb[i]);
  gemm::Args g;
  g.M = p.fold ? p.batch * p.M : p.M;
  g.N = p.N, g.K = p.K, g.ldc = p.N;
  g.ep = st.ep;
  if (st.has_bias) {
    const uint16_t* hbias = static_cast<const uint16_t*>(k.in[2].data);
    for (int64_t j = 0; j < p.N; ++j) fbias[j] = half_to_float(hbias[j]);
    g.ep.bias = fbias;
  }
  const int64_t iters = p.fold ? 1 : p.batch;
  for (int64_t i = 0; i < iters; ++i) {
    g.a = {fa + p.a_off[i], p.K, 1, nullptr};
    g.b = {fb + p.b_off[i], p.N, 1, nullptr};
    g.c = fy + i * p.M * p.N;
    gemm::sgemm(g, ws, k.env ? k.env->pool : nullptr, p.threads);
  }
  uint16_t* hy = static_cast<uint16_t*>(k.out[0].data);
  for (int64_t i = 0; i < ny; ++i) hy[i] = float_to_half(fy[i]);
  return {};
}

Status matmul_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const MatMulState*>(ctx.state);
  Shape sa = ctx.in_shape(0), sb = ctx.in_shape(1);
  if (sa.rank() == 0 || sb.rank() == 0) return ctx.invalid_input("MatMul operands must have rank >= 1");
  const bool a1 = sa.rank() == 1, b1 = sb.rank() == 1;
  Shape a = sa, b = sb;
  if (a1) a = Shape{1, sa[0]};
  if (b1) b = Shape{sb[0], 1};
  const int64_t M = a[a.rank() - 2], K = a[a.rank() - 1], N = b[b.rank() - 1];
  if (b[b.rank() - 2] != K)
    return ctx.invalid_input("MatMul: inner dimensions differ: " + sa.str() + " x " + sb.str());
  Shape ba, bb, bs;
  for (int i = 0; i < a.rank() - 2; ++i) ba.push_back(a[i]);
  for (int i = 0; i < b.rank() - 2; ++i) bb.push_back(b[i]);
  if (!broadcast_shapes(ba, bb, &bs)) return ctx.invalid_input("MatMul: batch dimensions do not broadcast");
  Shape out = bs;
  if (!a1) out.push_back(M);
  if (!b1) out.push_back(N);
  if (out.rank() > Shape::kMaxRank) return ctx.invalid_input("MatMul: output rank above 8");
  if (st.has_bias) {
    const Shape& bsh = ctx.in_shape(2);
    if (bsh.numel() != N || (bsh.rank() > 0 && bsh.back() != N))
      return ctx.invalid_input("fused MatMul bias must hold N values");
    // The Add it replaces broadcast a [1, N] bias: the result has at least the bias's rank.
    while (out.rank() < bsh.rank()) {
      Shape o{1};
      for (int64_t d : out) o.push_back(d);
      out = o;
    }
  }
  ctx.set_out_shape(0, out);

  auto& p = ctx.make_data<MatMulPlan>();
  p.M = M, p.N = N, p.K = K;
  p.batch = bs.numel();
  // Offsets of each batch matrix: numpy broadcasting over the batch dims.
  const int nb = bs.rank();
  p.a_off.assign(p.batch, 0);
  p.b_off.assign(p.batch, 0);
  bool b_shared = true;
  for (int64_t i = 0; i < p.batch; ++i) {
    int64_t rem = i, oa = 0, ob = 0, sa_ = M * K, sb_ = K * N;
    for (int d = nb - 1; d >= 0; --d) {
      const int64_t idx = rem % bs[d];
      rem /= bs[d];
      const int da = d - (nb - ba.rank()), db = d - (nb - bb.rank());
      if (da >= 0) {
        if (ba[da] != 1) oa += idx * sa_;
        sa_ *= ba[da];
      }
      if (db >= 0) {
        if (bb[db] != 1) ob += idx * sb_;
        sb_ *= bb[db];
      }
    }
    p.a_off[i] = oa, p.b_off[i] = ob;
    if (ob != 0) b_shared = false;
  }
  // A's matrices contiguous in batch order and B shared: one GEMM over batch*M rows.
  bool a_contig = true;
  for (int64_t i = 0; i < p.batch; ++i)
    if (p.a_off[i] != i * M * K) a_contig = false;
  p.fold = b_shared && a_contig;

  const DType dt = st.dt;
  if (dt == DType::F32 || dt == DType::F16) {
    gemm::Args g;
    g.M = p.fold ? p.batch * M : M, g.N = N, g.K = K;
    const bool packed = dt == DType::F32 && st.packed_b.raw() != nullptr && st.pk == K && st.pn == N;
    if (packed) g.b.packed = st.packed_b.data<float>();
    p.threads = gemm::threads_for(g, ctx.threads());
    p.gemm_scratch = gemm::scratch_floats(g, p.threads);
    size_t bytes = static_cast<size_t>(p.gemm_scratch) * 4;
    if (dt == DType::F16) {
      auto r16 = [](int64_t n) { return static_cast<size_t>((n + 15) & ~int64_t(15)) * 4; };
      bytes += r16(sa.numel()) + r16(sb.numel()) + r16(out.numel()) + r16(N);
      ctx.set_kernel(matmul_run_f16);
    } else {
      ctx.set_kernel(matmul_run_f32);
    }
    ctx.set_scratch(bytes);
  } else if (dt == DType::F64) {
    ctx.set_kernel(matmul_run_plain<double>);
  } else if (dt == DType::I32) {
    ctx.set_kernel(matmul_run_plain<int32_t>);
  } else if (dt == DType::I64) {
    ctx.set_kernel(matmul_run_plain<int64_t>);
  } else if (dt == DType::U32) {
    ctx.set_kernel(matmul_run_plain<uint32_t>);
  } else {
    ctx.set_kernel(matmul_run_plain<uint64_t>);
  }
  return {};
}

// ---- Gemm / rtml:FusedGemm ----------------------------------------------------------------------

struct GemmState : OpState {
  DType dt = DType::F32;
  bool ta = false, tb = false;
  float alpha = 1, beta = 1;
  gemm::Epilogue ep;       // fused activation
  Tensor packed_b;         // constant float B packed as K x N (transB undone)
  int64_t pk = 0, pn = 0;
  Tensor scaled_c;         // beta * C for a constant row-vector C with beta != 1
};

// How C enters: not at all, as a per-column bias in the epilogue, or pre-filled into Y.
enum class CMode { None, Bias, Fill };

struct GemmPlan : PlanData {
  int64_t M = 0, N = 0, K = 0;
  int64_t cm = 1, cn = 1;  // C's broadcast extents (1 or M, 1 or N)
  CMode mode = CMode::None;
  int threads = 1;
};

Status gemm_load(LoadCtx& ctx) {
  const bool fused = ctx.node.domain == "rtml";
  const int64_t op = ctx.opset();
  if (Status s = require_matmul_type(ctx, 0, fused || op >= 9, true); !s.ok()) return s;
  if (Status s = require_matmul_type(ctx, 1, fused || op >= 9, true); !s.ok()) return s;
  const bool c_required = !fused && op < 11;
  if (Status s = require_matmul_type(ctx, 2, fused || op >= 9, c_required); !s.ok()) return s;
  auto st = std::make_shared<GemmState>();
  st->dt = ctx.in_dtype(0);
  if (ctx.in_dtype(1) != st->dt || (ctx.has_input(2) && ctx.in_dtype(2) != st->dt))
    return ctx.invalid("A, B and C must have the same type");
  st->ta = ctx.attr_int("transA", 0) != 0;
  st->tb = ctx.attr_int("transB", 0) != 0;
  st->alpha = ctx.attr_float("alpha", 1.0f);
  st->beta = ctx.attr_float("beta", 1.0f);
  if (fused) {
    if (Status s = load_fused_activation(ctx, &st->ep); !s.ok()) return s;
    if (st->dt != DType::F32 && st->dt != DType::F64 && st->dt != DType::F16)
      return ctx.unsupported("fused Gemm of integers");
  }
  if (const Tensor* b = ctx.in_const(1); b && st->dt == DType::F32 && b->shape().rank() == 2) {
    const int64_t r = b->shape()[0], c = b->shape()[1];
    st->pk = st->tb ? c : r, st->pn = st->tb ? r : c;
    st->packed_b = Tensor(DType::F32, Shape{gemm::packed_b_floats(st->pk, st->pn)});
    gemm::pack_b(b->data<float>(), st->tb ? 1 : c, st->tb ? c : 1, st->pk, st->pn, st->packed_b.data<float>());
  }
  if (const Tensor* c = ctx.in_const(2); c && st->dt == DType::F32 && st->beta != 1.0f) {
    st->scaled_c = Tensor(DType::F32, c->shape());
    for (int64_t i = 0; i < c->numel(); ++i) st->scaled_c.data<float>()[i] = st->beta * c->data<float>()[i];
  }
  ctx.set_out(0, st->dt);
  ctx.set_state(st);
  return {};
}

// C (cm x cn, broadcast) element for (i, j).
template <class T>
T c_at(const T* c, const GemmPlan& p, int64_t i, int64_t j) {
  return c[(p.cm == 1 ? 0 : i) * p.cn + (p.cn == 1 ? 0 : j)];
}

template <class T>
Status gemm_run_plain(const KernelCtx& k) {
  const auto& p = k.plan_data<GemmPlan>();
  const auto& st = k.st<GemmState>();
  const T* a = static_cast<const T*>(k.in[0].data);
  const T* b = static_cast<const T*>(k.in[1].data);
  const T* c = p.mode != CMode::None ? static_cast<const T*>(k.in[2].data) : nullptr;
  T* y = static_cast<T*>(k.out[0].data);
  matmul_plain<T>(a, st.ta ? 1 : p.K, st.ta ? p.M : 1, b, st.tb ? 1 : p.N, st.tb ? p.K : 1, y, p.M, p.N, p.K);
  for (int64_t i = 0; i < p.M; ++i)
    for (int64_t j = 0; j < p.N; ++j) {
      T& v = y[i * p.N + j];
      if constexpr (std::is_floating_point_v<T>) {
        v = static_cast<T>(st.alpha) * v;
        if (c) v += static_cast<T>(st.beta) * c_at(c, p, i, j);
        v = activate<T>(st.ep, v);
      } else {
        // Integer Gemm: alpha and beta are floats; ONNX Runtime multiplies in the integer type.
        v = static_cast<T>(static_cast<T>(st.alpha) * v);
        if (c) v = static_cast<T>(v + static_cast<T>(st.beta) * c_at(c, p, i, j));
      }
    }
  return {};
}

// float, and float16 through float: ab is where A, B (converted) live; y the float result.
Status gemm_f32(const KernelCtx& k, const float* a, const float* b, const float* c, float* y, float* ws) {
  const auto& p = k.plan_data<GemmPlan>();
  const auto& st = k.st<GemmState>();
  gemm::Args g;
  g.M = p.M, g.N = p.N, g.K = p.K, g.ldc = p.N;
  g.a = st.ta ? gemm::Operand{a, 1, p.M, nullptr} : gemm::Operand{a, p.K, 1, nullptr};
  g.b = st.tb ? gemm::Operand{b, 1, p.K, nullptr} : gemm::Operand{b, p.N, 1, nullptr};
  if (st.packed_b.raw() != nullptr && st.pk == p.K && st.pn == p.N) g.b.packed = st.packed_b.data<float>();
  g.c = y;
  g.alpha = st.alpha;
  g.ep = st.ep;
  if (p.mode == CMode::Bias) {
    g.ep.bias = st.beta == 1.0f || st.scaled_c.raw() == nullptr ? c : st.scaled_c.data<float>();
  } else if (p.mode == CMode::Fill) {
    for (int64_t i = 0; i < p.M; ++i)
      for (int64_t j = 0; j < p.N; ++j) y[i * p.N + j] = st.beta * c_at(c, p, i, j);
    g.accumulate = true;
  }
  gemm::sgemm(g, ws, k.env ? k.env->pool : nullptr, p.threads);
  return {};
}

Status gemm_run_f32(const KernelCtx& k) {
  const float* c = k.plan_data<GemmPlan>().mode != CMode::None ? static_cast<const float*>(k.in[2].data) : nullptr;
  return gemm_f32(k, static_cast<const float*>(k.in[0].data), static_cast<const float*>(k.in[1].data), c,
                  static_cast<float*>(k.out[0].data), static_cast<float*>(k.scratch));
}

Status gemm_run_f16(const KernelCtx& k) {
  const auto& p = k.plan_data<GemmPlan>();
  auto r16 = [](int64_t n) { return (n + 15) & ~int64_t(15); };
  const int64_t na = p.M * p.K, nb = p.K * p.N, nc = p.cm * p.cn, ny = p.M * p.N;
  float* fa = static_cast<float*>(k.scratch);
  float* fb = fa + r16(na);
  float* fc = fb + r16(nb);
  float* fy = fc + r16(nc);
  float* ws = fy + r16(ny);
  auto conv = [](const void* src, int64_t n, float* dst) {
    const uint16_t* h = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = half_to_float(h[i]);
  };
  conv(k.in[0].data, na, fa);
  conv(k.in[1].data, nb, fb);
  if (p.mode != CMode::None) {
    conv(k.in[2].data, nc, fc);
    if (p.mode == CMode::Bias && k.st<GemmState>().beta != 1.0f)
      for (int64_t i = 0; i < nc; ++i) fc[i] *= k.st<GemmState>().beta;
  }
  Status s = gemm_f32(k, fa, fb, p.mode != CMode::None ? fc : nullptr, fy, ws);
  uint16_t* hy = static_cast<uint16_t*>(k.out[0].data);
  for (int64_t i = 0; i < ny; ++i) hy[i] = float_to_half(fy[i]);
  return s;
}

Status gemm_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const GemmState*>(ctx.state);
  const Shape& sa = ctx.in_shape(0);
  const Shape& sb = ctx.in_shape(1);
  if (sa.rank() != 2 || sb.rank() != 2) return ctx.invalid_input("Gemm: A and B must be 2-D");
  auto& p = ctx.make_data<GemmPlan>();
  p.M = st.ta ? sa[1] : sa[0];
  p.K = st.ta ? sa[0] : sa[1];
  const int64_t kb = st.tb ? sb[1] : sb[0];
  p.N = st.tb ? sb[0] : sb[1];
  if (kb != p.K) return ctx.invalid_input("Gemm: inner dimensions differ: " + sa.str() + " x " + sb.str());
  const bool has_c = ctx.has_input(2) && st.beta != 0.0f;
  if (has_c) {
    const Shape& sc = ctx.in_shape(2);
    if (sc.rank() > 2) return ctx.invalid_input("Gemm: C has rank > 2");
    p.cn = sc.rank() >= 1 ? sc[sc.rank() - 1] : 1;
    p.cm = sc.rank() == 2 ? sc[0] : 1;
    if ((p.cn != 1 && p.cn != p.N) || (p.cm != 1 && p.cm != p.M))
      return ctx.invalid_input("Gemm: C " + sc.str() + " does not broadcast to [M, N]");
    // A row vector of N values is a bias of the epilogue (N == 1 too: still one value per column).
    // beta must be 1, or applied already (constant C scaled at load; float16 scales its copy).
    const bool beta_done = st.beta == 1.0f || st.scaled_c.raw() != nullptr || st.dt == DType::F16;
    p.mode = p.cm == 1 && p.cn == p.N && beta_done ? CMode::Bias : CMode::Fill;
  }
  ctx.set_out_shape(0, Shape{p.M, p.N});
  const DType dt = st.dt;
  if (dt == DType::F32 || dt == DType::F16) {
    gemm::Args g;
    g.M = p.M, g.N = p.N, g.K = p.K;
    if (dt == DType::F32 && st.packed_b.raw() != nullptr && st.pk == p.K && st.pn == p.N)
      g.b.packed = st.packed_b.data<float>();
    p.threads = gemm::threads_for(g, ctx.threads());
    size_t bytes = static_cast<size_t>(gemm::scratch_floats(g, p.threads)) * 4;
    if (dt == DType::F16) {
      auto r16 = [](int64_t n) { return static_cast<size_t>((n + 15) & ~int64_t(15)) * 4; };
      bytes += r16(p.M * p.K) + r16(p.K * p.N) + r16(p.cm * p.cn) + r16(p.M * p.N);
      ctx.set_kernel(gemm_run_f16);
    } else {
      ctx.set_kernel(gemm_run_f32);
    }
    ctx.set_scratch(bytes);
  } else if (dt == DType::F64) {
    ctx.set_kernel(gemm_run_plain<double>);
  } else if (dt == DType::I32) {
    ctx.set_kernel(gemm_run_plain<int32_t>);
  } else if (dt == DType::I64) {
    ctx.set_kernel(gemm_run_plain<int64_t>);
  } else if (dt == DType::U32) {
    ctx.set_kernel(gemm_run_plain<uint32_t>);
  } else {
    ctx.set_kernel(gemm_run_plain<uint64_t>);
  }
  return {};
}

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  r.add({"", "MatMul", 1, 0, matmul_load, matmul_plan});
  r.add({"", "Gemm", 1, 0, gemm_load, gemm_plan});
  r.add({"rtml", "FusedMatMul", 1, 0, matmul_load, matmul_plan});
  r.add({"rtml", "FusedGemm", 1, 0, gemm_load, gemm_plan});
}

}  // namespace rtml
