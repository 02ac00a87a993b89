// bench/bench_elementwise.cc - element-wise kernels per ISA (16 floats: the fixed cost; 1K; 64K),
// a broadcast row pattern through ops/broadcast.hpp, and a one-node Add model end to end
// (Session::run on a 1x16 float input, the core issue's headline number).
//
//   build/bench/bench_elementwise --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "ops/broadcast.hpp"
#include "ops/kernels/elementwise.hpp"
#include "rtml/rtml.hpp"

namespace rtml {
namespace {

const EwKernels* table(int isa) { return ew_kernels_for(static_cast<Isa>(isa)); }

void BM_AddF32(benchmark::State& st) {
  const EwKernels* k = table(static_cast<int>(st.range(0)));
  if (!k) {
    st.SkipWithError("ISA not available");
    return;
  }
  const int64_t n = st.range(1);
  std::vector<float> a(n, 1.5f), b(n, 2.5f), o(n);
  const BinFn fn = k->bin[static_cast<int>(BinOp::Add)][static_cast<int>(EwType::F32)][0];
  for (auto _ : st) {
    fn(a.data(), b.data(), o.data(), n);
    benchmark::DoNotOptimize(o.data());
    benchmark::ClobberMemory();
  }
  st.SetLabel(k->isa);
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_AddF32)->ArgsProduct({{0, 1, 2}, {16, 1024, 65536}});

void BM_Unary(benchmark::State& st) {
  const EwKernels* k = table(static_cast<int>(st.range(0)));
  if (!k) {
    st.SkipWithError("ISA not available");
    return;
  }
  const UnOp op = static_cast<UnOp>(st.range(1));
  const int64_t n = 4096;
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) x[i] = std::sin(static_cast<float>(i)) * 4;
  const UnFn fn = k->un[static_cast<int>(op)][static_cast<int>(EwType::F32)];
  for (auto _ : st) {
    fn(x.data(), y.data(), n);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  st.SetLabel(std::string(k->isa) + (op == UnOp::Exp ? " exp" : op == UnOp::Sigmoid ? " sigmoid" : " tanh"));
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_Unary)->ArgsProduct({{0, 1, 2},
                                  {static_cast<int>(UnOp::Exp), static_cast<int>(UnOp::Sigmoid),
                                   static_cast<int>(UnOp::Tanh)}});

// [257, 17] + [17]: 257 rows of one vector call each.
void BM_BroadcastRows(benchmark::State& st) {
  const Shape a{257, 17}, b{17}, out{257, 17};
  Broadcast bc;
  bc.init({&a, &b}, out);
  std::vector<float> x(257 * 17, 1.f), y(17, 2.f), o(257 * 17);
  const BinFn fn = ew_kernels().bin[static_cast<int>(BinOp::Add)][static_cast<int>(EwType::F32)][bc.mode2()];
  for (auto _ : st) {
    for_each_run(bc, nullptr, [&](int64_t oo, const int64_t* in, int64_t n) {
      fn(x.data() + in[0], y.data() + in[1], o.data() + oo, n);
    });
    benchmark::DoNotOptimize(o.data());
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * 257 * 17);
}
BENCHMARK(BM_BroadcastRows);

// ---- one-node Add model, end to end ------------------------------------------------------------
// A ModelProto written by hand (protobuf wire format), so the benchmark needs no model file.
std::string varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}
std::string field(int num, const std::string& bytes) { return varint(uint64_t(num) << 3 | 2) + varint(bytes.size()) + bytes; }
std::string field_int(int num, uint64_t v) { return varint(uint64_t(num) << 3) + varint(v); }

std::string value_info(const std::string& name) {
  const std::string dims = field(1, field_int(1, 1)) + field(1, field_int(1, 16));  // [1, 16]
  const std::string tensor_type = field_int(1, 1) + field(2, dims);                  // float
  return field(1, name) + field(2, field(1, tensor_type));
}

std::string add_model() {
  const std::string node = field(1, "x") + field(1, "y") + field(2, "z") + field(4, "Add");
  const std::string graph = field(1, node) + field(2, "g") + field(11, value_info("x")) +
                            field(11, value_info("y")) + field(12, value_info("z"));
  return field_int(1, 7) + field(7, graph) + field(8, field_int(2, 14));
}

void BM_AddModel1x16(benchmark::State& st) {
  const std::string bytes = add_model();
  auto loaded = Model::load_bytes(bytes.data(), bytes.size());
  if (!loaded.ok()) {
    st.SkipWithError(loaded.status().message().c_str());
    return;
  }
  Session session(loaded.value());
  std::vector<float> x(16, 1.f), y(16, 2.f);
  TensorView in[2] = {TensorView(DType::F32, {1, 16}, x.data()), TensorView(DType::F32, {1, 16}, y.data())};
  std::vector<Value> out(1);
  for (auto _ : st) {
    Status s = session.run({in, 2}, out);
    benchmark::DoNotOptimize(s);
  }
  st.SetLabel(ew_kernels().isa);
}
BENCHMARK(BM_AddModel1x16);

}  // namespace
}  // namespace rtml

BENCHMARK_MAIN();
