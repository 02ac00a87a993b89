// bench_gemm.cc - single-thread fp32 GEMM against the processor's peak, measured in the same run.
//
//   build/bench/bench_gemm --benchmark_min_time=0.2
//
// BM_PeakFma runs first: independent AVX2 FMAs (2 per cycle x 8 lanes x 2 flops is the peak this
// measures). Each GEMM reports GFLOPS and `peak_frac` = its GFLOPS / the best peak so far in this
// run. Rates are per second of thread CPU time (the machine is shared).
// "packed" = B packed once beforehand (a model's weights); "raw" = both operands packed per call.
#include <benchmark/benchmark.h>

#include <time.h>

#include <algorithm>
#include <vector>

#include "ops/kernels/gemm.hpp"

namespace {

double g_peak_gflops = 0;

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

void run_gemm(benchmark::State& state, bool packed) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  Problem p(M, N, K, packed);
  const double t0 = cpu_now();
  for (auto _ : state) {
    rtml::gemm::sgemm(p.g, p.ws.data(), nullptr, 1);
    benchmark::ClobberMemory();
  }
  const double s = cpu_now() - t0;
  const double gflops = 2.0 * M * N * K * state.iterations() / s * 1e-9;
  state.counters["GFLOPS"] = gflops;
  if (g_peak_gflops > 0) state.counters["peak_frac"] = gflops / g_peak_gflops;
}

void BM_GemmPacked(benchmark::State& state) { run_gemm(state, true); }
void BM_GemmRaw(benchmark::State& state) { run_gemm(state, false); }

}  // namespace

// Peak first, then the GEMMs (Google Benchmark keeps registration order).
BENCHMARK(BM_PeakFma)->Repetitions(3)->ReportAggregatesOnly(false);
BENCHMARK(BM_GemmPacked)->Args({64, 64, 64})->Args({128, 128, 128})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({1, 128, 64})->Args({1, 64, 128})->Args({256, 128, 64})->Args({256, 64, 128});
BENCHMARK(BM_GemmRaw)->Args({64, 64, 64})->Args({128, 128, 128})->Args({256, 256, 256})->Args({512, 512, 512})
    ;
// The peak again at the end: g_peak_gflops is the best of all its runs; see the last peak_frac
// line printed for the reference.
BENCHMARK(BM_PeakFma)->Name("BM_PeakFma_end");

BENCHMARK_MAIN();
