// gemm.cc - the portable GEMM instantiation, the scalar reference, packing, the ISA dispatch
// (chosen once per process) and the split of a GEMM over threads.
#include "ops/kernels/isa.hpp"
#include "ops/kernels/gemm.hpp"

#include "engine/op.hpp"
#include "ops/kernels/gemm_impl.hpp"

namespace rtml::gemm {

#ifdef RTML_HAVE_AVX2_KERNELS
void range_avx2(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws);
void epilogue_avx2(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N);
#endif
#ifdef RTML_HAVE_AVX512_KERNELS
void range_avx512(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws);
void epilogue_avx512(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N);
#endif

namespace {

using KernelPortable = detail::Kernel<xsimd::default_arch>;

void range_portable(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float* ws) {
  KernelPortable::range(g, m0, m1, n0, n1, ws);
}

// The reference: a plain triple loop in double, then the scalar epilogue.
void range_scalar(const Args& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, float*) {
  for (int64_t i = m0; i < m1; ++i)
    for (int64_t j = n0; j < n1; ++j) {
      double s = 0;
      for (int64_t k = 0; k < g.K; ++k)
        s += static_cast<double>(g.a.p[i * g.a.rs + k * g.a.cs]) * g.b.p[k * g.b.rs + j * g.b.cs];
      float v = static_cast<float>(s) * g.alpha;
      float* dst = g.c + i * g.ldc + j;
      if (g.accumulate) v += *dst;
      if (g.ep.bias) v += g.ep.bias_per_row ? g.ep.bias[i] : g.ep.bias[j];
      *dst = detail::act_scalar(g.ep, v);
    }
}

using RangeFn = void (*)(const Args&, int64_t, int64_t, int64_t, int64_t, float*);

RangeFn range_fn(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return range_scalar;
    case Isa::Portable: return range_portable;
    case Isa::Avx2:
#ifdef RTML_HAVE_AVX2_KERNELS
      return range_avx2;
#else
      return range_portable;
#endif
    case Isa::Avx512:
#ifdef RTML_HAVE_AVX512_KERNELS
      return range_avx512;
#else
      return range_fn(Isa::Avx2);
#endif
  }
  return range_portable;
}

const Isa kBest = [] {
#ifdef RTML_HAVE_AVX512_KERNELS
  if (isa::avx512()) return Isa::Avx512;
#endif
#ifdef RTML_HAVE_AVX2_KERNELS
  if (isa::avx2_fma()) return Isa::Avx2;
#endif
  return Isa::Portable;
}();

}  // namespace

Isa best_isa() { return kBest; }

bool isa_available(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
    case Isa::Portable: return true;
    case Isa::Avx2: return kBest == Isa::Avx2 || kBest == Isa::Avx512;
    case Isa::Avx512: return kBest == Isa::Avx512;
  }
  return false;
}

void pack_b(const float* b, int64_t rs, int64_t cs, int64_t K, int64_t N, float* out) {
  Operand op{b, rs, cs, nullptr};
  // One block of all K rows: the panel layout of a whole matrix is the block layout with kc = K.
  for (int64_t j = 0; j < N; j += NR) {
    const int64_t w = std::min<int64_t>(NR, N - j);
    float* o = out + (j / NR) * K * NR;
    for (int64_t k = 0; k < K; ++k, o += NR)
      for (int64_t c = 0; c < NR; ++c) o[c] = c < w ? op.p[k * rs + (j + c) * cs] : 0.0f;
  }
}

void pack_a(const float* a, int64_t rs, int64_t cs, int64_t M, int64_t K, float* out) {
  for (int64_t i = 0; i < M; i += MR) {
    const int64_t h = std::min<int64_t>(MR, M - i);
    float* o = out + (i / MR) * K * MR;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t r = 0; r < MR; ++r) o[k * MR + r] = r < h ? a[(i + r) * rs + k * cs] : 0.0f;
  }
}

int64_t scratch_floats(const Args& g, int threads) {
  // Each thread's share rounded up to 16 floats (64 bytes) so that every slot stays aligned.
  const int64_t per = (detail::range_scratch(g) + 15) / 16 * 16;
  return per * std::max(threads, 1);
}

int threads_for(const Args& g, int max_threads) {
  // Below ~2 M multiply-adds a second thread's wake-up (~5-10 us) costs more than it saves.
  const double work = static_cast<double>(g.M) * g.N * g.K;
  if (max_threads <= 1 || work < 2.0e6) return 1;
  int t = static_cast<int>(std::min<double>(max_threads, work / 1.0e6));
  // Enough rows or column panels to split.
  const int64_t parts = std::max((g.N + NR - 1) / NR, (g.M + MR - 1) / MR);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(t, parts)));
}

void sgemm_isa(Isa isa, const Args& g, float* scratch) { range_fn(isa)(g, 0, g.M, 0, g.N, scratch); }

void sgemm(const Args& g, float* scratch, ThreadPool* pool, int threads) {
  RangeFn fn = range_fn(kBest);
  if (threads <= 1 || pool == nullptr) return fn(g, 0, g.M, 0, g.N, scratch);
  const int64_t per = scratch_floats(g, 1);
  const int64_t n_panels = (g.N + NR - 1) / NR, m_panels = (g.M + MR - 1) / MR;
  // Split the columns when there are enough panels (each thread then reads only its part of B),
  // the rows otherwise; split points stay on panel boundaries (packed operands need that).
  const bool by_cols = n_panels >= threads * 2 || n_panels >= m_panels;
  const int64_t parts = by_cols ? n_panels : m_panels;
  const int t = static_cast<int>(std::min<int64_t>(threads, parts));
  pool->parallel_for(t, 1, [&](int64_t b, int64_t e) {
    for (int64_t s = b; s < e; ++s) {
      const int64_t p0 = parts * s / t, p1 = parts * (s + 1) / t;
      float* ws = scratch + per * s;
      if (by_cols) fn(g, 0, g.M, p0 * NR, std::min(g.N, p1 * NR), ws);
      else fn(g, p0 * MR, std::min(g.M, p1 * MR), 0, g.N, ws);
    }
  });
}

void apply_epilogue(const Epilogue& ep, float* c, int64_t ldc, int64_t m0, int64_t m1, int64_t N) {
  if (!ep.bias && ep.act == Act::None) return;
#ifdef RTML_HAVE_AVX512_KERNELS
  if (kBest == Isa::Avx512) return epilogue_avx512(ep, c, ldc, m0, m1, N);
#endif
#ifdef RTML_HAVE_AVX2_KERNELS
  if (kBest == Isa::Avx2) return epilogue_avx2(ep, c, ldc, m0, m1, N);
#endif
  KernelPortable::epilogue_rows(ep, c, ldc, m0, m1, N);
}

}  // namespace rtml::gemm
