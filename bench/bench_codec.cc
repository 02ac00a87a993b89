// bench_codec.cc - the server's own work per request, without HTTP and without the model: parse
// a 1-row KServe v2 request and encode its answer (goal: under 5 us together).
//
//   build/bench/bench_codec --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "server/v2_codec.hpp"

namespace {

using rtml::DType;
using rtml::IOInfo;

// rf_cls_breast_cancer's shape of things: 30 float features in, a label and 2 probabilities out.
std::string request_1row(int features) {
  std::string b = R"({"id":"42","inputs":[{"name":"input","shape":[1,)" + std::to_string(features) +
                  R"(],"datatype":"FP32","data":[)";
  for (int i = 0; i < features; ++i) b += (i ? "," : "") + std::to_string(13.68 + i * 0.0917);
  return b + "]}]}";
}

struct Fixture {
  std::vector<IOInfo> ins, outs;
  std::string body;
  int64_t label[1] = {1};
  float proba[2] = {0.03f, 0.97f};
  std::vector<rtml::Value> values;
  explicit Fixture(int features) {
    IOInfo in;
    in.name = "input";
    in.dtype = DType::F32;
    in.dims = {-1, features};
    in.has_shape = true;
    ins.push_back(in);
    IOInfo l;
    l.name = "label";
    l.dtype = DType::I64;
    l.dims = {-1};
    l.has_shape = true;
    IOInfo p;
    p.name = "probabilities";
    p.dtype = DType::F32;
    p.dims = {-1, 2};
    p.has_shape = true;
    outs = {l, p};
    body = request_1row(features);
    body.reserve(body.size() + 64);  // the transport guarantees 64 readable bytes after a body
    values.resize(2);
    values[0].tensor = rtml::TensorView(DType::I64, {1}, label);
    values[1].tensor = rtml::TensorView(DType::F32, {1, 2}, proba);
  }
};

void BM_Decode(benchmark::State& st) {
  Fixture f(static_cast<int>(st.range(0)));
  rtml::server::V2Codec codec;
  rtml::server::InferCall call;
  for (auto _ : st) {
    auto e = codec.decode(f.body, {}, f.ins, f.outs, call);
    if (!e.ok()) st.SkipWithError(e.message.c_str());
    benchmark::DoNotOptimize(call.inputs.data());
  }
}
BENCHMARK(BM_Decode)->Arg(13)->Arg(30);

void BM_Encode(benchmark::State& st) {
  Fixture f(30);
  rtml::server::V2Codec codec;
  rtml::server::InferCall call;
  (void)codec.decode(f.body, {}, f.ins, f.outs, call);
  std::string out;
  int64_t hl;
  for (auto _ : st) {
    codec.encode(call, "rf_cls_breast_cancer", "1", f.outs, f.values, out, &hl);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_Encode);

void BM_DecodeEncode(benchmark::State& st) {
  Fixture f(static_cast<int>(st.range(0)));
  rtml::server::V2Codec codec;
  rtml::server::InferCall call;
  std::string out;
  int64_t hl;
  for (auto _ : st) {
    auto e = codec.decode(f.body, {}, f.ins, f.outs, call);
    if (!e.ok()) st.SkipWithError(e.message.c_str());
    codec.encode(call, "rf_cls_breast_cancer", "1", f.outs, f.values, out, &hl);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_DecodeEncode)->Arg(13)->Arg(30);

}  // namespace

BENCHMARK_MAIN();
