// test_reader.cc - loading: malformed and truncated bytes, bad sizes, references, opsets,
// unsupported ops in one message, initializers in every storage form, external data rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "rtml_proto/onnx.pb.h"
#include "tests/util/model_builder.hpp"

using namespace rtml;
using namespace rtml::test;
namespace fs = std::filesystem;

namespace {

onnx::ModelProto relu_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(1);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(3);
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  g->add_output()->set_name("y");
  return m;
}

Status load_proto(const onnx::ModelProto& m, const std::string& dir = "") {
  std::string b = m.SerializeAsString();
  auto r = Model::load_bytes(b.data(), b.size(), {}, dir);
  return r.status();
}

}  // namespace

TEST(Reader, ValidModelRuns) {
  std::string b = relu_model().SerializeAsString();
  auto r = Model::load_bytes(b.data(), b.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto out = run(r.value(), {make_f32({2, 3}, {-1, 2, -3, 4, -5, 6})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<float>()[1], 2.0f);
  EXPECT_EQ(out[0].data<float>()[2], 0.0f);
}

TEST(Reader, TruncatedAndCorruptBytesNeverCrash) {
  std::string b = relu_model().SerializeAsString();
  for (size_t n = 0; n < b.size(); ++n) {
    auto r = Model::load_bytes(b.data(), n);
    if (r.ok()) continue;  // a prefix can be a valid (smaller) model
    EXPECT_NE(r.status().code(), StatusCode::Ok);
  }
  std::mt19937 rng(42);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string c = b;
    for (int k = 0; k < 3; ++k) c[rng() % c.size()] = static_cast<char>(rng());
    auto r = Model::load_bytes(c.data(), c.size());
    if (r.ok()) {  // whatever loads must also run or fail cleanly
      Session s(r.value());
      std::vector<Value> out(r.value()->outputs().size());
      std::vector<TensorView> in(r.value()->inputs().size());
      (void)s.run(in, out);
    }
  }
  auto junk = Model::load_bytes("not a model at all", 18);
  EXPECT_EQ(junk.status().code(), StatusCode::InvalidModel);
  EXPECT_NE(junk.status().message().find("not an ONNX model"), std::string::npos);
}

TEST(Reader, BadInitializerSizesAreRefusedBeforeAllocating) {
  auto m = relu_model();
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("w");
  init->set_data_type(1);
  init->add_dims(int64_t(1) << 40);
  init->add_dims(int64_t(1) << 40);  // 2^80 elements
  Status s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("initializer 'w'"), std::string::npos) << s.message();

  init->clear_dims();
  init->add_dims(4);
  init->set_raw_data(std::string(15, '\0'));  // 4 floats need 16 bytes
  s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("raw_data has 15 bytes"), std::string::npos) << s.message();

  init->clear_raw_data();
  init->add_float_data(1.0f);  // 1 value for 4
  s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);

  init->clear_float_data();
  init->clear_dims();
  init->add_dims(-3);
  s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
}

TEST(Reader, DanglingInputCycleAndDuplicateOutput) {
  auto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_input(0, "nowhere");
  Status s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("'nowhere'"), std::string::npos) << s.message();

  m = relu_model();
  auto* n2 = m.mutable_graph()->add_node();
  n2->set_op_type("Relu");
  n2->add_input("y");
  n2->add_output("z");
  m.mutable_graph()->mutable_node(0)->add_input("z");  // Relu(x, z): z <- y <- Relu(x, z)
  s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("cycle"), std::string::npos) << s.message();

  m = relu_model();
  auto* n3 = m.mutable_graph()->add_node();
  n3->set_op_type("Relu");
  n3->add_input("x");
  n3->add_output("y");
  s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("more than once"), std::string::npos) << s.message();

  m = relu_model();
  m.mutable_graph()->mutable_output(0)->set_name("missing");
  EXPECT_EQ(load_proto(m).code(), StatusCode::InvalidModel);
}

TEST(Reader, UnsupportedOpsAreListedInOneMessage) {
  auto m = relu_model();
  auto* a = m.mutable_graph()->add_node();
  a->set_op_type("FancyOp");
  a->add_input("y");
  a->add_output("z");
  auto* b = m.mutable_graph()->add_node();
  b->set_op_type("OtherOp");
  b->set_domain("com.example");
  b->add_input("z");
  b->add_output("w");
  auto* op = m.add_opset_import();
  op->set_domain("com.example");
  op->set_version(1);
  Status s = load_proto(m);
  EXPECT_EQ(s.code(), StatusCode::Unsupported);
  EXPECT_NE(s.message().find("(ai.onnx, FancyOp, 17)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("(com.example, OtherOp, 1)"), std::string::npos) << s.message();
}

TEST(Reader, OpsetAndIrLimits) {
  auto m = relu_model();
  m.mutable_opset_import(0)->set_version(6);
  EXPECT_EQ(load_proto(m).code(), StatusCode::Unsupported);
  m = relu_model();
  m.set_ir_version(2);
  EXPECT_EQ(load_proto(m).code(), StatusCode::Unsupported);
  m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_domain("not.imported");
  EXPECT_EQ(load_proto(m).code(), StatusCode::InvalidModel);
}

TEST(Reader, InitializerStorageForms) {
  // The same values through raw_data and through each typed field give the same tensor.
  struct Case {
    int32_t type;
    std::function<void(onnx::TensorProto*)> fill;
  };
  std::vector<Case> cases = {
      {1, [](auto* t) { for (float v : {1.5f, -2.f, 3.f}) t->add_float_data(v); }},
      {11, [](auto* t) { for (double v : {1.5, -2., 3.}) t->add_double_data(v); }},
      {7, [](auto* t) { for (int64_t v : {1, -2, 3}) t->add_int64_data(v); }},
      {6, [](auto* t) { for (int v : {1, -2, 3}) t->add_int32_data(v); }},
      {5, [](auto* t) { for (int v : {1, -2, 3}) t->add_int32_data(v); }},
      {3, [](auto* t) { for (int v : {1, -2, 3}) t->add_int32_data(v); }},
      {2, [](auto* t) { for (int v : {1, 2, 3}) t->add_int32_data(v); }},
      {4, [](auto* t) { for (int v : {1, 2, 3}) t->add_int32_data(v); }},
      {12, [](auto* t) { for (uint64_t v : {1u, 2u, 3u}) t->add_uint64_data(v); }},
      {13, [](auto* t) { for (uint64_t v : {1u, 2u, 3u}) t->add_uint64_data(v); }},
      {9, [](auto* t) { for (int v : {1, 0, 1}) t->add_int32_data(v); }},
      {10, [](auto* t) { for (int v : {0x3c00, 0xc000, 0x4200}) t->add_int32_data(v); }},
      {8, [](auto* t) { for (const char* v : {"a", "bc", ""}) t->add_string_data(v); }},
  };
  for (const Case& c : cases) {
    onnx::TensorProto tp;
    tp.set_data_type(c.type);
    tp.add_dims(3);
    c.fill(&tp);
    std::string bytes = tp.SerializeAsString();
    auto t = read_tensor_proto(bytes.data(), bytes.size());
    ASSERT_TRUE(t.ok()) << "type " << c.type << ": " << t.status().message();
    EXPECT_EQ(t.value().numel(), 3);
    EXPECT_EQ(static_cast<int32_t>(t.value().dtype()), c.type);
    if (c.type == 8) {
      EXPECT_EQ(t.value().str(1), "bc");
      continue;
    }
    // raw_data form of the same tensor decodes to the same bytes
    onnx::TensorProto raw;
    raw.set_data_type(c.type);
    raw.add_dims(3);
    raw.set_raw_data(std::string(static_cast<const char*>(t.value().raw()), t.value().bytes()));
    std::string rb = raw.SerializeAsString();
    auto t2 = read_tensor_proto(rb.data(), rb.size());
    ASSERT_TRUE(t2.ok());
    EXPECT_TRUE(t.value().same_as(t2.value())) << "type " << c.type;
  }
  onnx::TensorProto bf16;
  bf16.set_data_type(16);
  bf16.add_dims(1);
  bf16.set_raw_data(std::string(2, '\0'));
  std::string bb = bf16.SerializeAsString();
  EXPECT_EQ(read_tensor_proto(bb.data(), bb.size()).status().code(), StatusCode::Unsupported);
}

TEST(Reader, GraphInputWithInitializerIsAnOverridableDefault) {
  ModelBuilder b;
  b.input("x", DType::F32, {2});
  b.initializer("bias", make_f32({2}, {10, 20}), /*also_input=*/true);
  b.node("Add", {"x", "bias"}, {"y"});
  b.output("y", DType::F32);
  auto m = b.load();
  ASSERT_TRUE(m);
  ASSERT_EQ(m->inputs().size(), 2u);
  EXPECT_TRUE(m->inputs()[1].has_default);
  auto d = run(m, {make_f32({2}, {1, 2})});  // default used
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].data<float>()[1], 22.0f);
  auto o = run(m, {make_f32({2}, {1, 2}), make_f32({2}, {100, 200})});  // overridden
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(o[0].data<float>()[1], 202.0f);
}

TEST(Reader, ExternalDataStaysInsideTheModelFolder) {
  fs::path dir = fs::temp_directory_path() / ("rtml_ext_" + std::to_string(::getpid()));
  fs::create_directories(dir / "sub");
  {
    std::ofstream f(dir / "sub" / "w.bin", std::ios::binary);
    float v[3] = {1, 2, 3};
    f.write(reinterpret_cast<const char*>(v), sizeof v);
  }
  auto with_location = [&](const std::string& loc, int64_t offset, int64_t length) {
    auto m = relu_model();
    auto* g = m.mutable_graph();
    auto* init = g->add_initializer();
    init->set_name("w");
    init->set_data_type(1);
    init->add_dims(3);
    init->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* kv = init->add_external_data();
    kv->set_key("location");
    kv->set_value(loc);
    if (offset >= 0) {
      kv = init->add_external_data();
      kv->set_key("offset");
      kv->set_value(std::to_string(offset));
    }
    if (length >= 0) {
      kv = init->add_external_data();
      kv->set_key("length");
      kv->set_value(std::to_string(length));
    }
    g->mutable_node(0)->set_input(0, "x");
    auto* add = g->add_node();
    add->set_op_type("Add");
    add->add_input("y");
    add->add_input("w");
    add->add_output("z");
    g->mutable_output(0)->set_name("z");
    return m;
  };
  std::string bytes = with_location("sub/w.bin", -1, -1).SerializeAsString();
  auto ok = Model::load_bytes(bytes.data(), bytes.size(), {}, dir.string());
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  auto out = run(ok.value(), {make_f32({1, 3}, {0, -1, 5})});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data<float>()[2], 8.0f);

  EXPECT_EQ(load_proto(with_location("/etc/passwd", -1, -1), dir.string()).code(), StatusCode::InvalidModel);
  EXPECT_EQ(load_proto(with_location("../w.bin", -1, -1), dir.string()).code(), StatusCode::InvalidModel);
  EXPECT_EQ(load_proto(with_location("sub/w.bin", 8, 12), dir.string()).code(), StatusCode::InvalidModel);   // past the end
  EXPECT_EQ(load_proto(with_location("sub/w.bin", 0, 8), dir.string()).code(), StatusCode::InvalidModel);    // shape needs 12
  EXPECT_EQ(load_proto(with_location("sub/missing.bin", -1, -1), dir.string()).code(), StatusCode::InvalidModel);
  fs::create_symlink("/etc", dir / "link");
  Status s = load_proto(with_location("link/hostname", -1, -1), dir.string());
  EXPECT_EQ(s.code(), StatusCode::InvalidModel);
  EXPECT_NE(s.message().find("leaves the model's folder"), std::string::npos) << s.message();
  EXPECT_EQ(load_proto(with_location("sub/w.bin", -1, -1), "").code(), StatusCode::InvalidModel);  // bytes: no folder
  fs::remove_all(dir);
}

TEST(Reader, WrongInputsAreReportedNotCrashed) {
  std::string b = relu_model().SerializeAsString();
  auto r = Model::load_bytes(b.data(), b.size());
  ASSERT_TRUE(r.ok());
  std::vector<Tensor> out;
  Status s = try_run(r.value(), {make_f32({2, 4}, std::vector<float>(8, 1))}, &out);  // 4 columns, model says 3
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
  EXPECT_NE(s.message().find("input 'x'"), std::string::npos) << s.message();
  s = try_run(r.value(), {make_i64({2, 3}, {1, 2, 3, 4, 5, 6})}, &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
  EXPECT_NE(s.message().find("int64"), std::string::npos) << s.message();
  s = try_run(r.value(), {}, &out);
  EXPECT_EQ(s.code(), StatusCode::InvalidInput);
}

TEST(Reader, StaticShapeErrorsAreRefusedAtLoad) {
  ModelBuilder b;
  b.input("a", DType::F32, {3});
  b.input("c", DType::F32, {4});
  b.node("Add", {"a", "c"}, {"y"});
  b.output("y", DType::F32);
  auto r = b.try_load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidModel);
  EXPECT_NE(r.status().message().find("Add"), std::string::npos) << r.status().message();
  // The same with a dynamic dim loads, and the bad shapes are refused at run as bad input.
  ModelBuilder d;
  d.input("a", DType::F32, {-1});
  d.input("c", DType::F32, {4});
  d.node("Add", {"a", "c"}, {"y"});
  d.output("y", DType::F32);
  auto m = d.load();
  ASSERT_TRUE(m);
  std::vector<Tensor> out;
  EXPECT_EQ(try_run(m, {make_f32({3}, {1, 2, 3}), make_f32({4}, {1, 2, 3, 4})}, &out).code(), StatusCode::InvalidInput);
}
