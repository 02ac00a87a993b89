// graph.hpp - the graph IR: values with integer ids, nodes in topological order, attributes.
// Names exist only at the API boundary and in error messages.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rtml/rtml.hpp"

namespace rtml {

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;  // an absent optional input/output

struct Attr {
  enum class Type { Undefined, Float, Int, String, Tensor, Floats, Ints, Strings, Tensors, Graph };
  std::string name;
  Type type = Type::Undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<const Tensor> t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<std::shared_ptr<const Tensor>> tensors;
};

const char* attr_type_name(Attr::Type t);

struct Attrs {
  std::vector<Attr> list;
  const Attr* find(std::string_view name) const {
    for (const Attr& a : list)
      if (a.name == name) return &a;
    return nullptr;
  }
  Attr* find(std::string_view name) {
    for (Attr& a : list)
      if (a.name == name) return &a;
    return nullptr;
  }
  void set(Attr a) {
    if (Attr* old = find(a.name)) *old = std::move(a);
    else list.push_back(std::move(a));
  }
};

// A declared dimension: value >= 0, or dynamic (value -1, with an optional dim_param name).
struct Dim {
  int64_t value = -1;
  std::string param;
};

struct ValueInfo {
  std::string name;
  ValueKind kind = ValueKind::Tensor;
  DType dtype = DType::Undefined;
  DType map_key_dtype = DType::Undefined;        // kind == SequenceOfMaps
  std::shared_ptr<const Tensor> map_keys;        // kind == SequenceOfMaps: [C] keys
  bool has_declared_shape = false;
  std::vector<Dim> declared_shape;               // from the model's value_info / inputs / outputs
  std::shared_ptr<const Tensor> constant;        // initializer or folded constant
  bool overridable = false;                      // graph input with an initializer (IR >= 4)
  bool is_graph_input = false;
};

struct OpDef;
class OpState;

struct Node {
  std::string name;     // may be empty in the file; messages then use "#index"
  std::string domain;   // "" for ai.onnx
  std::string op_type;
  int64_t opset = 0;    // imported version of the node's domain
  std::vector<ValueId> inputs;   // kNoValue for an empty (absent optional) input
  std::vector<ValueId> outputs;  // kNoValue for an output the model does not name
  Attrs attrs;
  const OpDef* def = nullptr;                  // set by the registry lookup
  std::shared_ptr<const OpState> state;        // set by OpDef::load
};

struct Graph {
  std::vector<ValueInfo> values;
  std::vector<Node> nodes;                // topologically sorted after the reader
  std::vector<ValueId> inputs;            // graph inputs in declaration order (incl. defaults)
  std::vector<ValueId> outputs;           // graph outputs in declaration order
  std::vector<std::string> output_names;  // kept apart: passes may re-point outputs[j]
  std::vector<std::pair<std::string, int64_t>> opsets;  // domain ("" = ai.onnx), version
  int64_t ir_version = 0;
  std::string producer;

  int64_t opset(std::string_view domain) const {
    std::string_view d = domain == "ai.onnx" ? std::string_view() : domain;
    for (auto& [name, v] : opsets)
      if ((name == "ai.onnx" ? std::string_view() : std::string_view(name)) == d) return v;
    return 0;
  }
  ValueId add_value(std::string name) {
    ValueInfo v;
    v.name = std::move(name);
    values.push_back(std::move(v));
    return static_cast<ValueId>(values.size() - 1);
  }
  bool is_constant(ValueId v) const {
    return v >= 0 && values[v].constant && !values[v].overridable;
  }
};

// "node 'name' (domain:Op)" for messages.
std::string node_label(const Node& n, size_t index);
std::string op_label(const Node& n);  // "ai.onnx.ml:Scaler" or "Add"

}  // namespace rtml
