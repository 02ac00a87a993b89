// bench_linear.cc - the linear model kernels per ISA variant (GEMV, small-C fused kernel) and the
// scikit-learn pipelines end to end through Session, with the fold_linear_preprocess fast paths
// on and off (ModelOptions::optimize). Models come from ../shared/models (skipped when absent).
//
//   build/bench/bench_linear --benchmark_filter=Model
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "ops/kernels/linear.hpp"
#include "rtml/rtml.hpp"

namespace {

using namespace rtml;

std::vector<float> randv(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// args: C, F, rows, variant index
void BM_Gemv(benchmark::State& state) {
  const int64_t C = state.range(0), F = state.range(1), N = state.range(2);
  const auto& vs = linear::variants();
  if (state.range(3) >= static_cast<int64_t>(vs.size())) {
    state.SkipWithError("variant not available on this host");
    return;
  }
  const auto& v = vs[state.range(3)];
  state.SetLabel(v.name);
  std::vector<float> W = randv(C * F, 1), b = randv(C, 2), x = randv(N * F, 3), y(N * C);
  linear::Weights wt;
  wt.pack(C, F, W.data(), b.data());
  for (auto _ : state) {
    v.gemv(wt, x.data(), N, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * N);
}
BENCHMARK(BM_Gemv)->ArgsProduct({{3}, {13}, {1, 1000}, {0, 1, 2}});
BENCHMARK(BM_Gemv)->ArgsProduct({{1}, {50}, {1, 1000}, {0, 1, 2}});
BENCHMARK(BM_Gemv)->ArgsProduct({{10}, {64}, {1, 1000}, {0, 1, 2}});

// args: C, F, rows, variant index; softmax + L1 norm fused (the skl2onnx multinomial pipeline)
void BM_SmallSoftmaxL1(benchmark::State& state) {
  const int64_t C = state.range(0), F = state.range(1), N = state.range(2);
  const auto& vs = linear::variants();
  if (state.range(3) >= static_cast<int64_t>(vs.size()) || !vs[state.range(3)].small) {
    state.SkipWithError("no small-C kernel for this variant");
    return;
  }
  const auto& v = vs[state.range(3)];
  state.SetLabel(v.name);
  std::vector<float> W = randv(C * F, 1), b = randv(C, 2), x = randv(N * F, 3), y(N * C);
  std::vector<int32_t> best(N);
  linear::Weights wt;
  wt.pack(C, F, W.data(), b.data());
  for (auto _ : state) {
    v.small(wt, x.data(), N, y.data(), best.data(), linear::kPostSoftmax, linear::kNormL1);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetItemsProcessed(state.iterations() * N);
}
BENCHMARK(BM_SmallSoftmaxL1)->ArgsProduct({{3}, {13}, {1, 1000}, {0, 2}});

std::string models_dir() {
  if (const char* s = std::getenv("RTML_SHARED_DIR")) return std::string(s) + "/models/";
  std::string f = __FILE__;
  return f.substr(0, f.rfind('/')) + "/../../shared/models/";
}

Result<Tensor> first_input(const std::string& name) {
  return read_tensor_file(models_dir() + name + "/test_data_set_0/input_0.pb");
}

// A float model with one [N, F] input: rows of the stored input repeated to `rows`.
// args: rows, optimize (fast paths on/off)
void model_bench(benchmark::State& state, const char* name) {
  const int64_t rows = state.range(0);
  ModelOptions o;
  o.threads = 1;
  o.optimize = state.range(1) != 0;
  auto m = Model::load(models_dir() + name + "/model.onnx", o);
  auto in = first_input(name);
  if (!m.ok() || !in.ok()) {
    state.SkipWithError("model or data not found (../shared/models)");
    return;
  }
  const Tensor& t = in.value();
  const int64_t F = t.shape()[1], stored = t.shape()[0];
  Tensor x(DType::F32, Shape{rows, F});
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t f = 0; f < F; ++f) x.data<float>()[r * F + f] = t.data<float>()[(r % stored) * F + f];
  Session s(m.value());
  TensorView v = x.view();
  std::vector<Value> out(m.value()->outputs().size());
  for (auto _ : state) {
    Status st = s.run({&v, 1}, out);
    if (!st.ok()) {
      state.SkipWithError(st.message().c_str());
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetLabel(o.optimize ? "optimized" : "plain graph");
}

void BM_Model_pipe_scaler_logreg_wine(benchmark::State& s) { model_bench(s, "pipe_scaler_logreg_wine"); }
void BM_Model_logreg_bin(benchmark::State& s) { model_bench(s, "logreg_bin"); }
void BM_Model_ridge_make_regression(benchmark::State& s) { model_bench(s, "ridge_make_regression"); }
void BM_Model_linear_svc_multi(benchmark::State& s) { model_bench(s, "linear_svc_multi"); }
BENCHMARK(BM_Model_pipe_scaler_logreg_wine)->ArgsProduct({{1, 1000}, {0, 1}});
BENCHMARK(BM_Model_logreg_bin)->ArgsProduct({{1, 1000}, {0, 1}});
BENCHMARK(BM_Model_ridge_make_regression)->ArgsProduct({{1, 1000}, {1}});
BENCHMARK(BM_Model_linear_svc_multi)->ArgsProduct({{1, 1000}, {1}});

}  // namespace

BENCHMARK_MAIN();
