// model_builder.hpp - builds ONNX models in code for the unit tests, serialised as real ModelProto
// bytes so that every test goes through the same reader as a .onnx file.
//
//   ModelBuilder b;                       // ai.onnx opset 17 by default
//   b.opset("ai.onnx.ml", 3);
//   b.input("x", DType::F32, {-1, 4});    // -1 = dynamic ("N")
//   b.node("Relu", {"x"}, {"y"});
//   b.output("y", DType::F32);
//   auto model = b.load();                // std::shared_ptr<const rtml::Model>, fails the test if not
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "rtml/rtml.hpp"

namespace rtml::test {

// One attribute value, any ONNX attribute type.
struct A {
  std::string name;
  enum Kind { Int, Float, String, Ints, Floats, Strings, TensorV } kind;
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  std::shared_ptr<Tensor> t;

  static A i64(std::string n, int64_t v) { A a{std::move(n), Int}; a.i = v; return a; }
  static A f32(std::string n, float v) { A a{std::move(n), Float}; a.f = v; return a; }
  static A str(std::string n, std::string v) { A a{std::move(n), String}; a.s = std::move(v); return a; }
  static A i64s(std::string n, std::vector<int64_t> v) { A a{std::move(n), Ints}; a.ints = std::move(v); return a; }
  static A f32s(std::string n, std::vector<float> v) { A a{std::move(n), Floats}; a.floats = std::move(v); return a; }
  static A strs(std::string n, std::vector<std::string> v) { A a{std::move(n), Strings}; a.strings = std::move(v); return a; }
  static A tensor(std::string n, Tensor v) { A a{std::move(n), TensorV}; a.t = std::make_shared<Tensor>(std::move(v)); return a; }
};

class ModelBuilder {
 public:
  ModelBuilder();
  ~ModelBuilder();
  ModelBuilder& opset(const std::string& domain, int64_t version);  // "" = ai.onnx
  ModelBuilder& ir_version(int64_t v);
  // dims: -1 dynamic (named "N"); no dims at all with has_shape=false
  ModelBuilder& input(const std::string& name, DType t, std::vector<int64_t> dims, bool has_shape = true);
  ModelBuilder& output(const std::string& name, DType t, std::vector<int64_t> dims = {}, bool has_shape = false);
  ModelBuilder& initializer(const std::string& name, const Tensor& value, bool also_input = false);
  ModelBuilder& node(const std::string& op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                     std::vector<A> attrs = {}, const std::string& domain = "");
  std::string bytes() const;
  // Loads the model; fails the current test (ADD_FAILURE) and returns nullptr on error.
  std::shared_ptr<const Model> load(const ModelOptions& opts = {}) const;
  Result<std::shared_ptr<const Model>> try_load(const ModelOptions& opts = {}) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Tensor helpers.
Tensor make_f32(Shape s, std::vector<float> v);
Tensor make_f64(Shape s, std::vector<double> v);
Tensor make_i64(Shape s, std::vector<int64_t> v);
Tensor make_i32(Shape s, std::vector<int32_t> v);
Tensor make_bool(Shape s, std::vector<bool> v);
Tensor make_str(Shape s, std::vector<std::string> v);

// Runs a model once on owning tensors (by input position); returns owning copies of the outputs.
// Fails the test on error.
std::vector<Tensor> run(const std::shared_ptr<const Model>& m, const std::vector<Tensor>& inputs);
Status try_run(const std::shared_ptr<const Model>& m, const std::vector<Tensor>& inputs, std::vector<Tensor>* out);

// Single-node convenience: inputs named in0..inK, outputs out0..outM (dtype of outputs unknown to
// the builder: declared without type info).
std::vector<Tensor> run_node(const std::string& op, const std::vector<Tensor>& inputs, int n_outputs,
                             std::vector<A> attrs = {}, const std::string& domain = "", int64_t opset = 17);

}  // namespace rtml::test
