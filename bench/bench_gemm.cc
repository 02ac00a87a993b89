// bench_gemm.cc - single-thread fp32 GEMM against the processor's peak, measured in the same run.
//
//   build/bench/bench_gemm --benchmark_min_time=0.2
//
// BM_PeakFma runs first: independent AVX2 FMAs (2 per cycle x 8 lanes x 2 flops is the peak this
// measures); BM_PeakFma512 the same with zmm registers (16 lanes) where the host has AVX-512.
// Each GEMM reports GFLOPS and `peak_frac` = its GFLOPS / the best peak so far in this run of the
// ISA the GEMM used (BM_Gemm*: the one sgemm picks, AVX-512 on such hosts; BM_GemmPackedAvx2:
// the AVX2 kernel forced, against the AVX2 peak). Rates are per second of thread CPU time (the
// machine is shared).
// "packed" = B packed once beforehand (a model's weights); "raw" = both operands packed per call.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <vector>

#include "ops/kernels/gemm.hpp"

namespace {

double g_peak_gflops = 0;      // AVX2 (ymm) FMA peak
double g_peak512_gflops = 0;   // AVX-512 (zmm) FMA peak

// Thread CPU seconds: the machine is shared, so rates are per second of CPU this thread got (the
// peak and the GEMMs measured the same way).
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// 12 independent FMA chains on ymm0-ymm11 (written in asm so that nothing spills): enough to cover
// a 4-cycle FMA latency on two pipes. 12 x 8 lanes x 2 flops per loop iteration.
float fma_loop(int64_t iters) {
  float out[8];
  asm volatile(
      "vxorps %%ymm0, %%ymm0, %%ymm0\n vxorps %%ymm1, %%ymm1, %%ymm1\n vxorps %%ymm2, %%ymm2, %%ymm2\n"
      "vxorps %%ymm3, %%ymm3, %%ymm3\n vxorps %%ymm4, %%ymm4, %%ymm4\n vxorps %%ymm5, %%ymm5, %%ymm5\n"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n vxorps %%ymm7, %%ymm7, %%ymm7\n vxorps %%ymm8, %%ymm8, %%ymm8\n"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n vxorps %%ymm10, %%ymm10, %%ymm10\n vxorps %%ymm11, %%ymm11, %%ymm11\n"
      "vxorps %%ymm12, %%ymm12, %%ymm12\n vxorps %%ymm13, %%ymm13, %%ymm13\n"
      "1:\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm0\n vfmadd231ps %%ymm12, %%ymm13, %%ymm1\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm2\n vfmadd231ps %%ymm12, %%ymm13, %%ymm3\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm4\n vfmadd231ps %%ymm12, %%ymm13, %%ymm5\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm6\n vfmadd231ps %%ymm12, %%ymm13, %%ymm7\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm8\n vfmadd231ps %%ymm12, %%ymm13, %%ymm9\n"
      "vfmadd231ps %%ymm12, %%ymm13, %%ymm10\n vfmadd231ps %%ymm12, %%ymm13, %%ymm11\n"
      "dec %0\n jnz 1b\n"
      "vaddps %%ymm1, %%ymm0, %%ymm0\n vmovups %%ymm0, (%1)\n vzeroupper\n"
      : "+r"(iters)
      : "r"(out)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13");
  return out[0];
}

void BM_PeakFma(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("no AVX2+FMA");
    return;
  }
  const int64_t iters = 100000;
  const double t0 = cpu_now();
  for (auto _ : state) benchmark::DoNotOptimize(fma_loop(iters));
  const double s = cpu_now() - t0;
  const double flops = static_cast<double>(iters) * 12 * 8 * 2;
  const double gflops = flops * state.iterations() / s * 1e-9;
  g_peak_gflops = std::max(g_peak_gflops, gflops);  // the best of the runs so far: read by the GEMMs
  state.counters["GFLOPS"] = gflops;
}

// The same 12 chains on zmm0-zmm11: 12 x 16 lanes x 2 flops per iteration. (Inline asm: this file
// is not compiled with -mavx512f; the instructions only run after the CPUID check.)
float fma_loop512(int64_t iters) {
  float out[16];
  asm volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n vpxord %%zmm1, %%zmm1, %%zmm1\n vpxord %%zmm2, %%zmm2, %%zmm2\n"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n vpxord %%zmm4, %%zmm4, %%zmm4\n vpxord %%zmm5, %%zmm5, %%zmm5\n"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n vpxord %%zmm7, %%zmm7, %%zmm7\n vpxord %%zmm8, %%zmm8, %%zmm8\n"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n vpxord %%zmm10, %%zmm10, %%zmm10\n vpxord %%zmm11, %%zmm11, %%zmm11\n"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n vpxord %%zmm13, %%zmm13, %%zmm13\n"
      "1:\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm0\n vfmadd231ps %%zmm12, %%zmm13, %%zmm1\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm2\n vfmadd231ps %%zmm12, %%zmm13, %%zmm3\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm4\n vfmadd231ps %%zmm12, %%zmm13, %%zmm5\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm6\n vfmadd231ps %%zmm12, %%zmm13, %%zmm7\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm8\n vfmadd231ps %%zmm12, %%zmm13, %%zmm9\n"
      "vfmadd231ps %%zmm12, %%zmm13, %%zmm10\n vfmadd231ps %%zmm12, %%zmm13, %%zmm11\n"
      "dec %0\n jnz 1b\n"
      "vaddps %%zmm1, %%zmm0, %%zmm0\n vmovups %%zmm0, (%1)\n vzeroupper\n"
      : "+r"(iters)
      : "r"(out)
      : "memory", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
        "xmm11", "xmm12", "xmm13");
  return out[0];
}

void BM_PeakFma512(benchmark::State& state) {
  if (!rtml::gemm::isa_available(rtml::gemm::Isa::Avx512)) {
    state.SkipWithError("no AVX-512 (or RTML_ISA forbids it)");
    return;
  }
  const int64_t iters = 100000;
  const double t0 = cpu_now();
  for (auto _ : state) benchmark::DoNotOptimize(fma_loop512(iters));
  const double s = cpu_now() - t0;
  const double gflops = static_cast<double>(iters) * 12 * 16 * 2 * state.iterations() / s * 1e-9;
  g_peak512_gflops = std::max(g_peak512_gflops, gflops);
  state.counters["GFLOPS"] = gflops;
}

struct Problem {
  std::vector<float> a, b, packed_b, c, ws;
  rtml::gemm::Args g;
  Problem(int64_t M, int64_t N, int64_t K, bool packed) : a(M * K, 0.5f), b(K * N, 0.25f), c(M * N) {
    g.M = M, g.N = N, g.K = K, g.ldc = N;
    g.a = {a.data(), K, 1};
    g.b = {b.data(), N, 1};
    if (packed) {
      packed_b.resize(rtml::gemm::packed_b_floats(K, N));
      rtml::gemm::pack_b(b.data(), N, 1, K, N, packed_b.data());
      g.b.packed = packed_b.data();
    }
    g.c = c.data();
    ws.resize(rtml::gemm::scratch_floats(g, 1) + 16);
  }
};

// isa: the kernel to time (best_isa() is what sgemm uses).
void run_gemm(benchmark::State& state, bool packed, rtml::gemm::Isa isa) {
  if (!rtml::gemm::isa_available(isa)) {
    state.SkipWithError("ISA not available on this host");
    return;
  }
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  Problem p(M, N, K, packed);
  const double t0 = cpu_now();
  for (auto _ : state) {
    rtml::gemm::sgemm_isa(isa, p.g, p.ws.data());
    benchmark::ClobberMemory();
  }
  const double s = cpu_now() - t0;
  const double gflops = 2.0 * M * N * K * state.iterations() / s * 1e-9;
  state.counters["GFLOPS"] = gflops;
  const double peak = isa == rtml::gemm::Isa::Avx512 ? g_peak512_gflops : g_peak_gflops;
  if (peak > 0) state.counters["peak_frac"] = gflops / peak;
}

void BM_GemmPacked(benchmark::State& state) { run_gemm(state, true, rtml::gemm::best_isa()); }
void BM_GemmRaw(benchmark::State& state) { run_gemm(state, false, rtml::gemm::best_isa()); }
void BM_GemmPackedAvx2(benchmark::State& state) { run_gemm(state, true, rtml::gemm::Isa::Avx2); }

}  // namespace

// Peak first, then the GEMMs (Google Benchmark keeps registration order).
BENCHMARK(BM_PeakFma)->Repetitions(3)->ReportAggregatesOnly(false);
BENCHMARK(BM_PeakFma512)->Repetitions(3)->ReportAggregatesOnly(false);
BENCHMARK(BM_GemmPacked)->Args({64, 64, 64})->Args({128, 128, 128})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({1, 128, 64})->Args({1, 64, 128})->Args({256, 128, 64})->Args({256, 64, 128});
BENCHMARK(BM_GemmRaw)->Args({64, 64, 64})->Args({128, 128, 128})->Args({256, 256, 256})->Args({512, 512, 512})
    ;
BENCHMARK(BM_GemmPackedAvx2)->Args({128, 128, 128})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({256, 128, 64})->Args({256, 64, 128});
// The peak again at the end: g_peak_gflops is the best of all its runs; see the last peak_frac
// line printed for the reference.
BENCHMARK(BM_PeakFma)->Name("BM_PeakFma_end");
BENCHMARK(BM_PeakFma512)->Name("BM_PeakFma512_end");

BENCHMARK_MAIN();
