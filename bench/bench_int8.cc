// bench_int8.cc - the int8 GEMM (MatMulInteger / QLinearMatMul inner loop) against the fp32
// multiply-add rates measured in the same run: the FMA peaks (independent FMA chains, AVX2 ymm
// and AVX-512 zmm) and the fp32 GEMM itself (gemm::sgemm_isa, B packed once, one thread) on AVX-512
// and on AVX2. Goal: int8 multiply-adds/s >= 1.6x the fp32 GEMM's on the ISA sgemm picks.
//   build/bench/bench_int8 --benchmark_min_time=0.2
//
// Every rate is multiply-adds per second of thread CPU time (the machine is shared). Counters on
// the int8 rows: macs_per_s, and where measured earlier in the run (registration order):
//   x_gemm512 / x_peak512: / the AVX-512 fp32 GEMM at the same M/K/N / the AVX-512 FMA peak;
//   x_gemm256 / x_peak256: the same against AVX2.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ops/kernels/gemm.hpp"
#include "ops/kernels/int8.hpp"

namespace {

using Size = std::tuple<int64_t, int64_t, int64_t>;
double g_peak256 = 0, g_peak512 = 0;        // best FMA-peak multiply-adds/s so far
std::map<Size, double> g_gemm256, g_gemm512;  // fp32 GEMM multiply-adds/s by M/K/N

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// 12 independent FMA chains (enough to cover a 4-cycle latency on two pipes) on ymm0-11 or
// zmm0-11, in asm so nothing spills and this file needs no -mavx512f (run only after the check).
#define RTML_FMA12(R)                                                                            \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "0\n vfmadd231ps %%" R "12, %%" R "13, %%" R "1\n"    \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "2\n vfmadd231ps %%" R "12, %%" R "13, %%" R "3\n"    \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "4\n vfmadd231ps %%" R "12, %%" R "13, %%" R "5\n"    \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "6\n vfmadd231ps %%" R "12, %%" R "13, %%" R "7\n"    \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "8\n vfmadd231ps %%" R "12, %%" R "13, %%" R "9\n"    \
  "vfmadd231ps %%" R "12, %%" R "13, %%" R "10\n vfmadd231ps %%" R "12, %%" R "13, %%" R "11\n"

void fma_loop256(int64_t iters) {
  asm volatile("vxorps %%ymm12, %%ymm12, %%ymm12\n vxorps %%ymm13, %%ymm13, %%ymm13\n"
               "1:\n" RTML_FMA12("ymm") "dec %0\n jnz 1b\n vzeroupper\n"
               : "+r"(iters)
               :
               : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                 "xmm11", "xmm12", "xmm13");
}

void fma_loop512(int64_t iters) {
  asm volatile("vpxord %%zmm12, %%zmm12, %%zmm12\n vpxord %%zmm13, %%zmm13, %%zmm13\n"
               "1:\n" RTML_FMA12("zmm") "dec %0\n jnz 1b\n vzeroupper\n"
               : "+r"(iters)
               :
               : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                 "xmm11", "xmm12", "xmm13");
}
#undef RTML_FMA12

void BM_fp32_fma_peak(benchmark::State& state, bool zmm) {
  if (!rtml::gemm::isa_available(zmm ? rtml::gemm::Isa::Avx512 : rtml::gemm::Isa::Avx2)) {
    state.SkipWithError("ISA not available (host or RTML_ISA)");
    return;
  }
  const int64_t iters = 1 << 16;
  const double t0 = cpu_now();
  for (auto _ : state) zmm ? fma_loop512(iters) : fma_loop256(iters);
  const double macs = static_cast<double>(iters) * 12 * (zmm ? 16 : 8) * state.iterations() / (cpu_now() - t0);
  double& best = zmm ? g_peak512 : g_peak256;
  best = std::max(best, macs);
  state.counters["macs_per_s"] = macs;
}

// The fp32 GEMM as MatMul runs it with a constant weight: B packed once, one thread.
void BM_fp32_gemm(benchmark::State& state, bool avx512) {
  const auto isa = avx512 ? rtml::gemm::Isa::Avx512 : rtml::gemm::Isa::Avx2;
  if (!rtml::gemm::isa_available(isa)) {
    state.SkipWithError("ISA not available (host or RTML_ISA)");
    return;
  }
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  std::vector<float> a(M * K, 0.5f), b(K * N, 0.25f), bp(rtml::gemm::packed_b_floats(K, N)), c(M * N);
  rtml::gemm::pack_b(b.data(), N, 1, K, N, bp.data());
  rtml::gemm::Args g;
  g.M = M, g.N = N, g.K = K, g.ldc = N;
  g.a = {a.data(), K, 1};
  g.b = {b.data(), N, 1, bp.data()};
  g.c = c.data();
  std::vector<float> ws(rtml::gemm::scratch_floats(g, 1) + 16);
  const double t0 = cpu_now();
  for (auto _ : state) {
    rtml::gemm::sgemm_isa(isa, g, ws.data());
    benchmark::ClobberMemory();
  }
  const double macs = static_cast<double>(M * K * N) * state.iterations() / (cpu_now() - t0);
  (avx512 ? g_gemm512 : g_gemm256)[{M, K, N}] = macs;
  state.counters["macs_per_s"] = macs;
}

// One MatMulInteger-sized product: A [M,K] uint8 packed every run (as the op does), B [K,N] int8
// packed once (a constant weight), C [M,N] int32, with the named kernel variant.
void BM_int8_gemm(benchmark::State& state, const char* variant) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  rtml::kernels::GemmI16Fn gemm = nullptr;
  for (const auto& v : rtml::kernels::int8_kernel_variants())
    if (std::string(v.name) == variant) gemm = v.gemm;
  if (!gemm) {
    state.SkipWithError("variant not available (host or RTML_ISA)");
    return;
  }
  std::mt19937 rng(1);
  std::vector<uint8_t> A(M * K);
  std::vector<int8_t> B(K * N);
  for (auto& v : A) v = static_cast<uint8_t>(rng());
  for (auto& v : B) v = static_cast<int8_t>(rng());
  std::vector<int16_t> Bp(rtml::kernels::packed_b_elems(K, N)), Ap(rtml::kernels::packed_a_elems(M, K));
  std::vector<int32_t> C(M * N);
  rtml::kernels::pack_b(B.data(), true, K, N, N, nullptr, 3, Bp.data());
  const double t0 = cpu_now();
  for (auto _ : state) {
    rtml::kernels::pack_a(A.data(), false, M, K, K, nullptr, 128, Ap.data());
    gemm(Ap.data(), M, rtml::kernels::i8_kp(K), Bp.data(), N, 0, rtml::kernels::i8_panels(N), C.data(), N);
    benchmark::DoNotOptimize(C.data());
  }
  const double macs = static_cast<double>(M * K * N) * state.iterations() / (cpu_now() - t0);
  state.counters["macs_per_s"] = macs;
  const Size sz{M, K, N};
  if (g_gemm512.count(sz)) state.counters["x_gemm512"] = macs / g_gemm512[sz];
  if (g_peak512 > 0) state.counters["x_peak512"] = macs / g_peak512;
  if (g_gemm256.count(sz)) state.counters["x_gemm256"] = macs / g_gemm256[sz];
  if (g_peak256 > 0) state.counters["x_peak256"] = macs / g_peak256;
}

// Registration order is run order: peaks, fp32 GEMMs, then the int8 rows that divide by them.
BENCHMARK_CAPTURE(BM_fp32_fma_peak, avx2, false)->Repetitions(3);
BENCHMARK_CAPTURE(BM_fp32_fma_peak, avx512, true)->Repetitions(3);
BENCHMARK_CAPTURE(BM_fp32_gemm, avx512, true)->Args({64, 64, 64})->Args({256, 256, 256})->Args({512, 512, 512});
BENCHMARK_CAPTURE(BM_fp32_gemm, avx2, false)->Args({64, 64, 64})->Args({256, 256, 256})->Args({512, 512, 512});
BENCHMARK_CAPTURE(BM_int8_gemm, avx512vnni, "avx512vnni")->Args({64, 64, 64})->Args({256, 256, 256})
    ->Args({512, 512, 512})->Args({1, 512, 512})->Args({128, 768, 768})->Args({37, 61, 83});
BENCHMARK_CAPTURE(BM_int8_gemm, avx2, "avx2")->Args({64, 64, 64})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({1, 512, 512})->Args({128, 768, 768});
BENCHMARK_CAPTURE(BM_int8_gemm, scalar, "scalar")->Args({64, 64, 64});

}  // namespace

BENCHMARK_MAIN();
