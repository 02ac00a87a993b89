// graph.hpp - the graph IR: values with integer ids, nodes in topological order, attributes.
// Names exist only at the API boundary and in error messages.
#pragma once

#include <cstddef>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rtml/rtml.hpp"

namespace rtml {

using ValueId = int32_t;
constexpr ValueId kNoValue = -1;  // an absent optional input/output

// An attribute's list: its own storage, or a view of the model's parsed protobuf, which the Graph
// keeps alive (Graph::proto_memory). Why: a forest's node attributes are millions of values each;
// copying them out of the protobuf doubled the memory a load touches and cost a third of a big
// forest's load time. Read it like a const vector; vec() copies.
template <class T>
class AttrList {
 public:
  AttrList() = default;
  AttrList(std::vector<T> v) : own_(std::move(v)) {}  // NOLINT: implicit, as the vector it was
  static AttrList view(const T* p, size_t n) {
    AttrList a;
    a.view_ = p;
    a.n_ = n;
    return a;
  }
  const T* data() const { return view_ ? view_ : own_.data(); }
  size_t size() const { return view_ ? n_ : own_.size(); }
  bool empty() const { return size() == 0; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size(); }
  const T& operator[](size_t i) const { return data()[i]; }
  std::vector<T> vec() const { return std::vector<T>(begin(), end()); }

 private:
  std::vector<T> own_;
  const T* view_ = nullptr;
  size_t n_ = 0;
};

// Strings: protobuf keeps an array of pointers to them, so the view is of that array.
template <>
class AttrList<std::string> {
 public:
  class iterator {
   public:
    using value_type = std::string;
    using difference_type = std::ptrdiff_t;
    using reference = const std::string&;
    using pointer = const std::string*;
    using iterator_category = std::random_access_iterator_tag;
    iterator() = default;
    iterator(const AttrList* l, size_t i) : l_(l), i_(i) {}
    const std::string& operator*() const { return (*l_)[i_]; }
    const std::string* operator->() const { return &(*l_)[i_]; }
    iterator& operator++() { return ++i_, *this; }
    iterator operator++(int) { iterator t = *this; ++i_; return t; }
    iterator& operator--() { return --i_, *this; }
    iterator& operator+=(difference_type d) { return i_ += d, *this; }
    iterator operator+(difference_type d) const { return iterator(l_, i_ + d); }
    iterator operator-(difference_type d) const { return iterator(l_, i_ - d); }
    difference_type operator-(const iterator& o) const { return static_cast<difference_type>(i_) - static_cast<difference_type>(o.i_); }
    const std::string& operator[](difference_type d) const { return (*l_)[i_ + d]; }
    bool operator==(const iterator& o) const { return i_ == o.i_; }
    bool operator!=(const iterator& o) const { return i_ != o.i_; }
    bool operator<(const iterator& o) const { return i_ < o.i_; }

   private:
    const AttrList* l_ = nullptr;
    size_t i_ = 0;
  };
  AttrList() = default;
  AttrList(std::vector<std::string> v) : own_(std::move(v)) {}  // NOLINT: implicit
  static AttrList view(const std::string* const* p, size_t n) {
    AttrList a;
    a.view_ = p;
    a.n_ = n;
    return a;
  }
  size_t size() const { return view_ ? n_ : own_.size(); }
  bool empty() const { return size() == 0; }
  const std::string& operator[](size_t i) const { return view_ ? *view_[i] : own_[i]; }
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(this, size()); }
  std::vector<std::string> vec() const { return std::vector<std::string>(begin(), end()); }

 private:
  std::vector<std::string> own_;
  const std::string* const* view_ = nullptr;
  size_t n_ = 0;
};

struct Attr {
  enum class Type { Undefined, Float, Int, String, Tensor, Floats, Ints, Strings, Tensors, Graph };
  std::string name;
  Type type = Type::Undefined;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::shared_ptr<const Tensor> t;
  AttrList<float> floats;
  AttrList<int64_t> ints;
  AttrList<std::string> strings;
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
  // The parsed protobuf that attribute lists view (AttrList); shared by copies of the graph.
  std::shared_ptr<void> proto_memory;

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
