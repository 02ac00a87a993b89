// ops/quant_matmul.cc - MatMulInteger and QLinearMatMul: numpy-style batched products of
// uint8/int8 tensors on the int16-widened GEMM of ops/kernels/int8.hpp. Zero points are
// subtracted while packing (A per tensor or per row, B per tensor or per column); a constant 2-D
// B with constant zero points is packed once at load.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/common.hpp"
#include "ops/kernels/int8.hpp"

namespace rtml {
namespace {

namespace k8 = kernels;

template <class T>
T* ptr(const TensorView& v) {
  return static_cast<T*>(v.data);
}

int32_t zp_at(const TensorView& v, int64_t i) {
  return v.dtype == DType::I8 ? static_cast<const int8_t*>(v.data)[i] : static_cast<const uint8_t*>(v.data)[i];
}

float scale_at(const TensorView& v, int64_t i) {
  return v.dtype == DType::F16 ? half_to_float(static_cast<const uint16_t*>(v.data)[i])
                               : static_cast<const float*>(v.data)[i];
}

// Input positions of the two op forms.
struct QmmLayout {
  int a, b, azp, bzp;  // azp/bzp may be absent for MatMulInteger
  bool qlinear;
};
constexpr QmmLayout kMatMulInteger{0, 1, 2, 3, false};
constexpr QmmLayout kQLinearMatMul{0, 3, 2, 5, true};

struct QmmState : OpState {
  QmmLayout lay{};
  std::vector<int16_t> bpack;  // B packed at load (constant 2-D B and zero point), else empty
  int64_t K = 0, N = 0;
};

struct QmmPlan : PlanData {
  int64_t M = 0, K = 0, N = 0, batches = 0;
  std::vector<int64_t> a_off, b_off;  // element offsets of each batch's A and B
  size_t a16 = 0, bp = 0, c32 = 0;    // scratch offsets in bytes
  bool a_rows_zp = false, b_cols_zp = false;
};

// Rows x columns products at least this big use every thread (below, waking workers costs more).
constexpr int64_t kQmmParallelMacs = 1 << 21;

Status qmm_run(const KernelCtx& k) {
  const auto& st = k.st<QmmState>();
  const auto& p = k.plan_data<QmmPlan>();
  const QmmLayout& L = st.lay;
  const TensorView& A = k.in[L.a];
  const TensorView& B = k.in[L.b];
  const bool has_azp = L.azp < k.n_in && k.in[L.azp].data;
  const bool has_bzp = L.bzp < k.n_in && k.in[L.bzp].data;
  const bool a_signed = A.dtype == DType::I8, b_signed = B.dtype == DType::I8;
  char* scratch = static_cast<char*>(k.scratch);
  int16_t* a16 = reinterpret_cast<int16_t*>(scratch + p.a16);
  int16_t* bp = st.bpack.empty() ? reinterpret_cast<int16_t*>(scratch + p.bp) : nullptr;
  const int16_t* bpk = st.bpack.empty() ? bp : st.bpack.data();
  int32_t* zrows = reinterpret_cast<int32_t*>(scratch + p.c32) + (L.qlinear ? p.M * p.N : 0);
  int32_t* zcols = zrows + p.M;
  for (int64_t m = 0; m < p.M && p.a_rows_zp; ++m) zrows[m] = zp_at(k.in[L.azp], m);
  for (int64_t n = 0; n < p.N && p.b_cols_zp; ++n) zcols[n] = zp_at(k.in[L.bzp], n);
  const int32_t az = has_azp && !p.a_rows_zp ? zp_at(k.in[L.azp], 0) : 0;
  const int32_t bz = has_bzp && !p.b_cols_zp ? zp_at(k.in[L.bzp], 0) : 0;
  const int64_t Kp = k8::i8_kp(p.K), panels = k8::i8_panels(p.N);
  const auto gemm = k8::int8_kernels().gemm;
  const size_t esz = 1;
  for (int64_t bt = 0; bt < p.batches; ++bt) {
    k8::pack_a(static_cast<const char*>(A.data) + p.a_off[bt] * esz, a_signed, p.M, p.K, p.K,
               p.a_rows_zp ? zrows : nullptr, az, a16);
    if (bp && (bt == 0 || p.b_off[bt] != p.b_off[bt - 1]))
      k8::pack_b(static_cast<const char*>(B.data) + p.b_off[bt] * esz, b_signed, p.K, p.N, p.N,
                 p.b_cols_zp ? zcols : nullptr, bz, bp);
    int32_t* c = L.qlinear ? reinterpret_cast<int32_t*>(scratch + p.c32) : ptr<int32_t>(k.out[0]) + bt * p.M * p.N;
    if (p.M * p.K * p.N >= kQmmParallelMacs && panels > 1)
      k.env->pool->parallel_for(panels, 1, [&](int64_t j0, int64_t j1) { gemm(a16, p.M, Kp, bpk, p.N, j0, j1, c, p.N); });
    else
      gemm(a16, p.M, Kp, bpk, p.N, 0, panels, c, p.N);
    if (L.qlinear) {  // y = saturate(round(c * a_scale * b_scale / y_scale) + y_zp), in float as ORT
      const TensorView& ys = k.in[6];
      const TensorView& yz = k.in[7];
      const bool out_signed = k.out[0].dtype == DType::I8;
      const float lo = out_signed ? -128.f : 0.f, hi = out_signed ? 127.f : 255.f;
      const float yzp = yz.data ? static_cast<float>(zp_at(yz, 0)) : 0.0f;
      const int64_t nbs = k.in[4].numel();
      for (int64_t m = 0; m < p.M; ++m)
        for (int64_t n = 0; n < p.N; ++n) {
          const float mult = scale_at(k.in[1], 0) * scale_at(k.in[4], nbs == 1 ? 0 : n) / scale_at(ys, 0);
          const float v = std::clamp(std::nearbyint(static_cast<float>(c[m * p.N + n]) * mult) + yzp, lo, hi);
          const int64_t o = (bt * p.M + m) * p.N + n;
          if (out_signed) ptr<int8_t>(k.out[0])[o] = static_cast<int8_t>(v);
          else ptr<uint8_t>(k.out[0])[o] = static_cast<uint8_t>(v);
        }
    }
  }
  return {};
}

Status qmm_load(LoadCtx& ctx, const QmmLayout& L) {
  const std::initializer_list<DType> q = {DType::U8, DType::I8};
  if (Status s = ctx.require_input(L.a, q); !s.ok()) return s;
  if (Status s = ctx.require_input(L.b, q); !s.ok()) return s;
  if (Status s = ctx.require_input(L.azp, {ctx.in_dtype(L.a)}, L.qlinear); !s.ok()) return s;
  if (Status s = ctx.require_input(L.bzp, {ctx.in_dtype(L.b)}, L.qlinear); !s.ok()) return s;
  if (L.qlinear) {
    for (int i : {1, 4, 6})
      if (Status s = ctx.require_input(i, {DType::F32, DType::F16}); !s.ok()) return s;
    if (Status s = ctx.require_input(7, q); !s.ok()) return s;
  }
  auto st = std::make_shared<QmmState>();
  st->lay = L;
  // Pack a constant 2-D B once (with its zero point when constant too).
  const Tensor* B = ctx.in_const(L.b);
  const Tensor* bz = ctx.has_input(L.bzp) ? ctx.in_const(L.bzp) : nullptr;
  if (B && B->shape().rank() == 2 && (!ctx.has_input(L.bzp) || bz)) {
    const int64_t K = B->shape()[0], N = B->shape()[1];
    std::vector<int32_t> zc;
    int32_t z = 0;
    if (bz && bz->numel() == N && N != 1) {
      for (int64_t n = 0; n < N; ++n) zc.push_back(zp_at(bz->view(), n));
    } else if (bz && bz->numel() == 1) {
      z = zp_at(bz->view(), 0);
    } else if (bz) {
      return ctx.invalid("b_zero_point must have 1 or N elements");
    }
    st->K = K, st->N = N;
    st->bpack.resize(k8::packed_b_elems(K, N));
    k8::pack_b(B->raw(), B->dtype() == DType::I8, K, N, N, zc.empty() ? nullptr : zc.data(), z, st->bpack.data());
  }
  ctx.set_out(0, L.qlinear ? ctx.in_dtype(7) : DType::I32);
  ctx.set_state(st);
  return {};
}

Status qmm_plan(PlanCtx& ctx) {
  const auto& st = *static_cast<const QmmState*>(ctx.state);
  const QmmLayout& L = st.lay;
  Shape as = ctx.in_shape(L.a), bs = ctx.in_shape(L.b);
  if (as.rank() < 1 || bs.rank() < 1) return ctx.invalid_input("A and B need rank >= 1");
  const bool a1 = as.rank() == 1, b1 = bs.rank() == 1;
  if (a1) as = Shape{1, as[0]};
  if (b1) bs = Shape{bs[0], 1};
  auto& p = ctx.make_data<QmmPlan>();
  p.M = as[as.rank() - 2], p.K = as[as.rank() - 1], p.N = bs[bs.rank() - 1];
  if (bs[bs.rank() - 2] != p.K)
    return ctx.invalid_input("A " + ctx.in_shape(L.a).str() + " and B " + ctx.in_shape(L.b).str() + " do not multiply");
  Shape ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2), ob;
  if (!broadcast_shapes(ab, bb, &ob)) return ctx.invalid_input("batch dimensions do not broadcast");
  if (ob.rank() + 2 > Shape::kMaxRank) return ctx.invalid_input("rank too large");
  p.batches = ob.numel();
  // Offsets of each output batch in A and B (broadcast dims of size 1 stay put).
  p.a_off.resize(p.batches), p.b_off.resize(p.batches);
  for (int64_t bt = 0; bt < p.batches; ++bt) {
    int64_t rem = bt, ao = 0, bo = 0, astr = p.M * p.K, bstr = p.K * p.N;
    for (int d = ob.rank() - 1; d >= 0; --d) {
      const int64_t idx = rem % ob[d];
      rem /= ob[d];
      const int da = d - (ob.rank() - ab.rank()), db = d - (ob.rank() - bb.rank());
      if (da >= 0) {
        if (ab[da] != 1) ao += idx * astr;
        astr *= ab[da];
      }
      if (db >= 0) {
        if (bb[db] != 1) bo += idx * bstr;
        bstr *= bb[db];
      }
    }
    p.a_off[bt] = ao, p.b_off[bt] = bo;
  }
  // Zero points: per tensor (1 element), A per row (M), B per column (N).
  if (ctx.has_input(L.azp)) {
    const int64_t n = ctx.in_shape(L.azp).numel();
    if (n != 1 && n != p.M) return ctx.invalid_input("a_zero_point must have 1 or M elements");
    p.a_rows_zp = n != 1;
  }
  if (ctx.has_input(L.bzp)) {
    const int64_t n = ctx.in_shape(L.bzp).numel();
    if (n != 1 && n != p.N) return ctx.invalid_input("b_zero_point must have 1 or N elements");
    p.b_cols_zp = n != 1;
  }
  if (L.qlinear) {
    if (ctx.in_shape(1).numel() != 1 || ctx.in_shape(6).numel() != 1 || ctx.in_shape(7).numel() != 1)
      return ctx.invalid_input("a_scale, y_scale and y_zero_point must be scalars");
    const int64_t nb = ctx.in_shape(4).numel();
    if (nb != 1 && nb != p.N) return ctx.invalid_input("b_scale must have 1 or N elements");
  }
  if (!st.bpack.empty() && (st.K != p.K || st.N != p.N)) return ctx.invalid_input("B changed shape");
  // Scratch: A as int16 | packed B (unless packed at load) | int32 products (QLinearMatMul) | zp
  auto up = [](size_t b) { return (b + 63) & ~size_t{63}; };
  size_t off = 0;
  p.a16 = off, off += up(k8::packed_a_elems(p.M, p.K) * sizeof(int16_t));
  p.bp = off, off += st.bpack.empty() ? up(k8::packed_b_elems(p.K, p.N) * sizeof(int16_t)) : 0;
  p.c32 = off, off += up(((L.qlinear ? p.M * p.N : 0) + p.M + p.N) * sizeof(int32_t));
  ctx.set_scratch(off);
  Shape os = ob;
  if (!a1) os.push_back(p.M);
  if (!b1) os.push_back(p.N);
  ctx.set_out_shape(0, os);
  ctx.set_kernel(qmm_run);
  return {};
}

Status matmulinteger_load(LoadCtx& ctx) { return qmm_load(ctx, kMatMulInteger); }
Status qlinearmatmul_load(LoadCtx& ctx) { return qmm_load(ctx, kQLinearMatMul); }

}  // namespace

void register_quant_matmul_ops(OpRegistry& r) {
  r.add({"", "MatMulInteger", 10, 0, matmulinteger_load, qmm_plan});
  r.add({"", "QLinearMatMul", 10, 0, qlinearmatmul_load, qmm_plan});
}

}  // namespace rtml
