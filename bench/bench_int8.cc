// bench_int8.cc - the int8 GEMM (MatMulInteger / QLinearMatMul inner loop) against the processor's
// fp32 multiply-add peak measured in the same run (an FMA loop: 2 FMA/cycle x 8 lanes on AVX2).
// Counter `macs_per_s` on every benchmark; the goal is int8 >= 1.6x the fp32 rate.
//   build/bench/bench_int8 --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <cstdint>
#include <random>
#include <vector>

#include "ops/kernels/int8.hpp"

namespace {

// 12 independent FMA chains of 8 lanes: enough to cover latency 4 x 2 ports (+ margin).
__attribute__((target("avx2,fma"))) float fma_loop(int64_t iters, float av, float bv) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 a = _mm256_set1_ps(av), b = _mm256_set1_ps(bv);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  alignas(32) float o[8];
  _mm256_store_ps(o, s);
  return o[0];
}

void BM_fp32_fma_peak(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    state.SkipWithError("no AVX2+FMA");
    return;
  }
  const int64_t iters = 1 << 16;
  float a = 0.999f, b = 0.0001f;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a);  // opaque inputs: the loop cannot be folded at compile time
    benchmark::DoNotOptimize(b);
    benchmark::DoNotOptimize(fma_loop(iters, a, b));
  }
  state.counters["macs_per_s"] =
      benchmark::Counter(static_cast<double>(iters) * 12 * 8, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fp32_fma_peak);

// One MatMulInteger-sized product: A [M,K] uint8 packed every run (as the op does), B [K,N] int8
// packed once (a constant weight), C [M,N] int32.
void BM_int8_gemm(benchmark::State& state, bool avx2) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  std::vector<rtml::kernels::Int8Kernels> vs = rtml::kernels::int8_kernel_variants();
  const rtml::kernels::Int8Kernels& kv = avx2 ? vs.back() : vs.front();
  if (avx2 && std::string(kv.name) != "avx2") {
    state.SkipWithError("no AVX2");
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
  for (auto _ : state) {
    rtml::kernels::pack_a(A.data(), false, M, K, K, nullptr, 128, Ap.data());
    kv.gemm(Ap.data(), M, rtml::kernels::i8_kp(K), Bp.data(), N, 0, rtml::kernels::i8_panels(N), C.data(), N);
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["macs_per_s"] =
      benchmark::Counter(static_cast<double>(M * K * N), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK_CAPTURE(BM_int8_gemm, avx2, true)->Args({64, 64, 64})->Args({256, 256, 256})->Args({512, 512, 512})
    ->Args({1, 512, 512})->Args({128, 768, 768});
BENCHMARK_CAPTURE(BM_int8_gemm, scalar, false)->Args({64, 64, 64});

}  // namespace

BENCHMARK_MAIN();
