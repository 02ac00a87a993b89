// bench_conv.cc - the convolution methods on the layers of a small CNN (torch_cnn_digits28: 3x3
// pads 1 on 28x28x1 -> 8, 14x14x8 -> 16, 7x7x16 -> 32) and a depthwise 3x3, one image, one thread:
// im2col + GEMM (weights packed once), and the direct kernel.
//
//   build/bench/bench_conv --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <vector>

#include "ops/kernels/conv.hpp"

namespace {

struct Layer {
  int64_t C, H, W, M, group;
};
const Layer kLayers[] = {{1, 28, 28, 8, 1}, {8, 14, 14, 16, 1}, {16, 7, 7, 32, 1}, {32, 28, 28, 32, 32}};

rtml::conv::Geom geom3x3(const Layer& l) {
  rtml::conv::Geom g;
  g.nd = 2;
  g.in[1] = g.out[1] = l.H;
  g.in[2] = g.out[2] = l.W;
  g.k[1] = g.k[2] = 3;
  g.pb[1] = g.pb[2] = g.pe[1] = g.pe[2] = 1;
  return g;
}

void BM_Im2colGemm(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  const rtml::conv::Geom g = geom3x3(l);
  const int64_t cg = l.C / l.group, mg = l.M / l.group, K = cg * 9, N = g.out_size();
  std::vector<float> x(l.C * g.in_size(), 0.5f), w(l.M * K, 0.25f), b(l.M, 0.1f), y(l.M * N);
  std::vector<float> packed(rtml::gemm::packed_a_floats(mg, K) * l.group);
  for (int64_t gi = 0; gi < l.group; ++gi)
    rtml::gemm::pack_a(w.data() + gi * mg * K, K, 1, mg, K, packed.data() + gi * rtml::gemm::packed_a_floats(mg, K));
  std::vector<float> col(K * N);
  rtml::gemm::Args a;
  a.M = mg, a.N = N, a.K = K, a.ldc = N;
  a.a.packed = packed.data();
  a.b = {col.data(), N, 1};
  std::vector<float> ws(rtml::gemm::scratch_floats(a, 1) + 16);
  for (auto _ : state) {
    for (int64_t gi = 0; gi < l.group; ++gi) {
      rtml::conv::im2col(x.data() + gi * cg * g.in_size(), cg, g, col.data());
      rtml::gemm::Args ag = a;
      ag.a.packed = packed.data() + gi * rtml::gemm::packed_a_floats(mg, K);
      ag.c = y.data() + gi * mg * N;
      ag.ep.bias = b.data() + gi * mg;
      ag.ep.bias_per_row = true;
      ag.ep.act = rtml::gemm::Act::Relu;
      rtml::gemm::sgemm(ag, ws.data(), nullptr, 1);
    }
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * l.M * K * N * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Shifted(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  const rtml::conv::Geom g = geom3x3(l);
  const int64_t cg = l.C / l.group, mg = l.M / l.group, K = cg * 9, nw = rtml::conv::wide_cols(g);
  std::vector<float> x(l.C * g.in_size(), 0.5f), w(l.M * K, 0.25f), b(l.M, 0.1f), y(l.M * g.out_size());
  std::vector<float> packed(rtml::gemm::packed_a_floats(mg, K) * l.group);
  for (int64_t gi = 0; gi < l.group; ++gi)
    rtml::gemm::pack_a(w.data() + gi * mg * K, K, 1, mg, K, packed.data() + gi * rtml::gemm::packed_a_floats(mg, K));
  std::vector<float> xp(rtml::conv::padded_floats(g, cg)), cols(K * nw), wide(mg * nw);
  rtml::gemm::Args a;
  a.M = mg, a.N = nw, a.K = K, a.ldc = nw;
  a.b = {cols.data(), nw, 1};
  a.c = wide.data();
  a.a.packed = packed.data();
  std::vector<float> ws(rtml::gemm::scratch_floats(a, 1) + 16);
  for (auto _ : state) {
    for (int64_t gi = 0; gi < l.group; ++gi) {
      rtml::conv::pad_input(x.data() + gi * cg * g.in_size(), cg, g, xp.data());
      rtml::conv::shifted_cols(xp.data(), cg, g, cols.data());
      rtml::gemm::Args ag = a;
      ag.a.packed = packed.data() + gi * rtml::gemm::packed_a_floats(mg, K);
      ag.ep.bias = b.data() + gi * mg;
      ag.ep.bias_per_row = true;
      ag.ep.act = rtml::gemm::Act::Relu;
      rtml::gemm::sgemm(ag, ws.data(), nullptr, 1);
      rtml::conv::compact_wide(wide.data(), mg, g, y.data() + gi * mg * g.out_size());
    }
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * l.M * K * g.out_size() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Direct(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  const rtml::conv::Geom g = geom3x3(l);
  const int64_t K = l.C / l.group * 9, N = g.out_size();
  std::vector<float> x(l.C * g.in_size(), 0.5f), w(l.M * K, 0.25f), b(l.M, 0.1f), y(l.M * N);
  rtml::gemm::Epilogue ep;
  ep.act = rtml::gemm::Act::Relu;
  for (auto _ : state) {
    rtml::conv::direct(x.data(), l.C, w.data(), l.M, l.group, b.data(), g, ep, y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOPS"] = benchmark::Counter(2.0 * l.M * K * N * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK(BM_Im2colGemm)->DenseRange(0, 3);
BENCHMARK(BM_Shifted)->DenseRange(0, 3);
BENCHMARK(BM_Direct)->DenseRange(0, 3);

BENCHMARK_MAIN();
