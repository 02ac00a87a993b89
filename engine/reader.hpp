// reader.hpp - ONNX bytes -> Graph (the only code that sees protobuf lives in reader.cc).
#pragma once

#include <string>

#include "engine/graph.hpp"

namespace onnx {
class TensorProto;
}

namespace rtml {

// Parses a ModelProto, checks every size and reference, and fills `g` with nodes in topological
// order. `base_dir` is the folder external data may come from ("" refuses external data).
Status read_model(const void* data, size_t size, const std::string& base_dir, Graph* g);

Status tensor_from_proto(const onnx::TensorProto& tp, const std::string& base_dir, const std::string& ctx, Tensor* out);

}  // namespace rtml
