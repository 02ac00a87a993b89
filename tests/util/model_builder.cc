// model_builder.cc - ModelBuilder over the generated onnx protobuf classes.
#include "tests/util/model_builder.hpp"

#include <gtest/gtest.h>

#include "rtml_proto/onnx.pb.h"

namespace rtml::test {

struct ModelBuilder::Impl {
  onnx::ModelProto model;
};

static void fill_tensor(onnx::TensorProto* tp, const Tensor& t, const std::string& name) {
  tp->set_name(name);
  tp->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int i = 0; i < t.shape().rank(); ++i) tp->add_dims(t.shape()[i]);
  if (t.dtype() == DType::String) {
    for (int64_t i = 0; i < t.numel(); ++i) tp->add_string_data(std::string(t.str(i)));
  } else {
    tp->set_raw_data(std::string(static_cast<const char*>(t.raw()), t.bytes()));
  }
}

static void fill_type(onnx::ValueInfoProto* vi, const std::string& name, DType t, const std::vector<int64_t>& dims,
                      bool has_shape) {
  vi->set_name(name);
  if (t == DType::Undefined) return;
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(t));
  if (!has_shape) return;
  auto* sh = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = sh->add_dim();
    if (d < 0) dim->set_dim_param("N");
    else dim->set_dim_value(d);
  }
}

ModelBuilder::ModelBuilder() : impl_(std::make_unique<Impl>()) {
  impl_->model.set_ir_version(8);
  impl_->model.set_producer_name("rtml-tests");
  impl_->model.mutable_graph()->set_name("test");
  auto* op = impl_->model.add_opset_import();
  op->set_domain("");
  op->set_version(17);
}
ModelBuilder::~ModelBuilder() = default;

ModelBuilder& ModelBuilder::opset(const std::string& domain, int64_t version) {
  for (auto& op : *impl_->model.mutable_opset_import())
    if (op.domain() == domain) {
      op.set_version(version);
      return *this;
    }
  auto* op = impl_->model.add_opset_import();
  op->set_domain(domain);
  op->set_version(version);
  return *this;
}
ModelBuilder& ModelBuilder::ir_version(int64_t v) {
  impl_->model.set_ir_version(v);
  return *this;
}
ModelBuilder& ModelBuilder::input(const std::string& name, DType t, std::vector<int64_t> dims, bool has_shape) {
  fill_type(impl_->model.mutable_graph()->add_input(), name, t, dims, has_shape);
  return *this;
}
ModelBuilder& ModelBuilder::output(const std::string& name, DType t, std::vector<int64_t> dims, bool has_shape) {
  fill_type(impl_->model.mutable_graph()->add_output(), name, t, dims, has_shape);
  return *this;
}
ModelBuilder& ModelBuilder::initializer(const std::string& name, const Tensor& value, bool also_input) {
  fill_tensor(impl_->model.mutable_graph()->add_initializer(), value, name);
  if (also_input) {
    std::vector<int64_t> dims(value.shape().begin(), value.shape().end());
    fill_type(impl_->model.mutable_graph()->add_input(), name, value.dtype(), dims, true);
  }
  return *this;
}
ModelBuilder& ModelBuilder::node(const std::string& op, std::vector<std::string> inputs,
                                 std::vector<std::string> outputs, std::vector<A> attrs, const std::string& domain) {
  auto* n = impl_->model.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_domain(domain);
  n->set_name(op + "_" + std::to_string(impl_->model.graph().node_size()));
  for (auto& i : inputs) n->add_input(i);
  for (auto& o : outputs) n->add_output(o);
  for (auto& a : attrs) {
    auto* ap = n->add_attribute();
    ap->set_name(a.name);
    switch (a.kind) {
      case A::Int: ap->set_type(onnx::AttributeProto::INT); ap->set_i(a.i); break;
      case A::Float: ap->set_type(onnx::AttributeProto::FLOAT); ap->set_f(a.f); break;
      case A::String: ap->set_type(onnx::AttributeProto::STRING); ap->set_s(a.s); break;
      case A::Ints: ap->set_type(onnx::AttributeProto::INTS); for (auto v : a.ints) ap->add_ints(v); break;
      case A::Floats: ap->set_type(onnx::AttributeProto::FLOATS); for (auto v : a.floats) ap->add_floats(v); break;
      case A::Strings: ap->set_type(onnx::AttributeProto::STRINGS); for (auto& v : a.strings) ap->add_strings(v); break;
      case A::TensorV: ap->set_type(onnx::AttributeProto::TENSOR); fill_tensor(ap->mutable_t(), *a.t, ""); break;
    }
  }
  return *this;
}
std::string ModelBuilder::bytes() const { return impl_->model.SerializeAsString(); }

Result<std::shared_ptr<const Model>> ModelBuilder::try_load(const ModelOptions& opts) const {
  std::string b = bytes();
  return Model::load_bytes(b.data(), b.size(), opts);
}
std::shared_ptr<const Model> ModelBuilder::load(const ModelOptions& opts) const {
  auto r = try_load(opts);
  if (!r.ok()) {
    ADD_FAILURE() << "model did not load: " << r.status().message();
    return nullptr;
  }
  return r.value();
}

template <class T, class V>
static Tensor make(DType t, Shape s, const std::vector<V>& v) {
  Tensor out(t, s);
  EXPECT_EQ(static_cast<size_t>(out.numel()), v.size()) << "make tensor: element count vs shape " << s.str();
  for (size_t i = 0; i < v.size() && i < static_cast<size_t>(out.numel()); ++i) out.data<T>()[i] = static_cast<T>(v[i]);
  return out;
}
Tensor make_f32(Shape s, std::vector<float> v) { return make<float>(DType::F32, s, v); }
Tensor make_f64(Shape s, std::vector<double> v) { return make<double>(DType::F64, s, v); }
Tensor make_i64(Shape s, std::vector<int64_t> v) { return make<int64_t>(DType::I64, s, v); }
Tensor make_i32(Shape s, std::vector<int32_t> v) { return make<int32_t>(DType::I32, s, v); }
Tensor make_bool(Shape s, std::vector<bool> v) {
  Tensor out(DType::Bool, s);
  for (size_t i = 0; i < v.size() && i < static_cast<size_t>(out.numel()); ++i) out.data<uint8_t>()[i] = v[i];
  return out;
}
Tensor make_str(Shape s, std::vector<std::string> v) { return Tensor::from_strings(s, std::move(v)); }

Status try_run(const std::shared_ptr<const Model>& m, const std::vector<Tensor>& inputs, std::vector<Tensor>* out) {
  Session s(m);
  std::vector<TensorView> in;
  for (auto& t : inputs) in.push_back(t.view());
  // Inputs with defaults that the caller left out.
  while (in.size() < m->inputs().size()) in.emplace_back();
  std::vector<Value> res(m->outputs().size());
  Status st = s.run(in, res);
  if (!st.ok()) return st;
  out->clear();
  for (auto& v : res) out->push_back(Tensor::from_view(v.tensor));
  return st;
}

std::vector<Tensor> run(const std::shared_ptr<const Model>& m, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  if (!m) {
    ADD_FAILURE() << "no model";
    return out;
  }
  Status st = try_run(m, inputs, &out);
  if (!st.ok()) ADD_FAILURE() << "run failed: " << st.message();
  return out;
}

std::vector<Tensor> run_node(const std::string& op, const std::vector<Tensor>& inputs, int n_outputs,
                             std::vector<A> attrs, const std::string& domain, int64_t opset) {
  ModelBuilder b;
  if (domain.empty()) b.opset("", opset);
  else b.opset(domain, opset);
  std::vector<std::string> in, out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    in.push_back("in" + std::to_string(i));
    std::vector<int64_t> dims(inputs[i].shape().begin(), inputs[i].shape().end());
    b.input(in.back(), inputs[i].dtype(), dims);
  }
  for (int i = 0; i < n_outputs; ++i) {
    out.push_back("out" + std::to_string(i));
    b.output(out.back(), DType::Undefined);
  }
  b.node(op, in, out, std::move(attrs), domain);
  auto m = b.load();
  if (!m) return {};
  return run(m, inputs);
}

}  // namespace rtml::test
