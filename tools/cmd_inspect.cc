// cmd_inspect.cc - `rtml inspect MODEL`: inputs, outputs, opsets, ops, arena bytes for batch 1.
#include <cstdio>
#include <string>

#include "tools/cli.hpp"

namespace rtml::cli {

static std::string dims_of(const IOInfo& io) {
  if (io.kind == ValueKind::SequenceOfMaps)
    return std::string("seq(map(") + dtype_name(io.map_key_dtype) + ", " + dtype_name(io.dtype) + "))";
  std::string s = std::string(dtype_name(io.dtype)) + "[";
  if (!io.has_shape) return s + "?]";
  for (size_t i = 0; i < io.dims.size(); ++i) {
    if (i) s += ",";
    s += io.dims[i] >= 0 ? std::to_string(io.dims[i]) : (io.dim_names[i].empty() ? "?" : io.dim_names[i]);
  }
  return s + "]";
}

int cmd_inspect(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: rtml inspect MODEL.onnx\n");
    return 2;
  }
  auto loaded = Model::load(argv[1]);
  if (!loaded.ok()) return fail(loaded.status());
  const Model& m = *loaded.value();
  std::printf("model: %s\nir_version: %lld\nproducer: %s\n", argv[1], static_cast<long long>(m.ir_version()), m.producer().c_str());
  std::printf("opsets:");
  for (auto& [d, v] : m.opsets()) std::printf(" %s=%lld", d.empty() ? "ai.onnx" : d.c_str(), static_cast<long long>(v));
  std::printf("\ninputs:\n");
  for (auto& io : m.inputs()) std::printf("  %s: %s%s\n", io.name.c_str(), dims_of(io).c_str(), io.has_default ? " (has default)" : "");
  std::printf("outputs:\n");
  for (auto& io : m.outputs()) std::printf("  %s: %s\n", io.name.c_str(), dims_of(io).c_str());
  std::printf("ops:\n");
  for (auto& [op, n] : m.op_counts()) std::printf("  %s: %d\n", op.c_str(), n);
  // Arena for a batch of 1: dynamic dims set to 1, inputs zero-filled (string inputs empty).
  std::vector<Tensor> ins;
  std::vector<TensorView> views;
  bool shaped = true;
  for (auto& io : m.inputs()) {
    if (!io.has_shape) shaped = false;
    Shape s;
    for (int64_t d : io.dims) s.push_back(d < 0 ? 1 : d);
    ins.emplace_back(io.dtype, s);
  }
  for (auto& t : ins) views.push_back(t.view());
  if (shaped) {
    Session session(loaded.value());
    std::vector<Value> outs(m.outputs().size());
    Status s = session.run(views, outs);
    if (s.ok()) std::printf("arena_bytes (batch 1): %zu\n", session.arena_bytes());
    else std::printf("arena_bytes (batch 1): unknown (%s)\n", s.message().c_str());
  } else {
    std::printf("arena_bytes (batch 1): unknown (an input has no declared shape)\n");
  }
  return 0;
}

}  // namespace rtml::cli
