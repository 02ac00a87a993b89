// test_v2.cc - the KServe v2 protocol through a real server: every endpoint, every datatype,
// the binary extension, records, every error status, concurrent clients.
#include <atomic>
#include <cstring>
#include <thread>

#include "tests/server/server_fixture.hpp"

namespace rtml::test {
namespace {

const std::vector<std::pair<std::string, DType>> kAllTypes = {
    {"f32", DType::F32}, {"f64", DType::F64}, {"f16", DType::F16}, {"i8", DType::I8},   {"i16", DType::I16},
    {"i32", DType::I32}, {"i64", DType::I64}, {"u8", DType::U8},   {"u16", DType::U16}, {"u32", DType::U32},
    {"u64", DType::U64}, {"b", DType::Bool},  {"s", DType::String}};

struct ServerV2 : ::testing::Test {
  static std::string dir;
  static std::unique_ptr<TestServer> srv;
  static void SetUpTestSuite() {
    dir = temp_dir();
    write_file(dir + "/pass.onnx", passthrough_model({{"x", DType::F32}}));
    write_file(dir + "/repo/types/1/model.onnx", passthrough_model(kAllTypes));
    write_file(dir + "/repo/pass/3/model.onnx", passthrough_model({{"x", DType::F32}}));
    write_file(dir + "/repo/two/1/model.onnx", passthrough_model({{"a", DType::F32}, {"b", DType::I64}}, {-1, 2}));
    server::ServeOptions o;
    o.repository = dir + "/repo";
    o.http.max_body_bytes = 1 << 20;
    o.codec.max_rows = 1000;
    srv = std::make_unique<TestServer>(o);
  }
  static void TearDownTestSuite() {
    srv.reset();
    std::filesystem::remove_all(dir);
  }
  httplib::Result post(const std::string& path, const std::string& body, const char* ct = "application/json") {
    auto c = srv->client();
    return c.Post(path.c_str(), body, ct);
  }
  httplib::Result get(const std::string& path) {
    auto c = srv->client();
    return c.Get(path.c_str());
  }
};
std::string ServerV2::dir;
std::unique_ptr<TestServer> ServerV2::srv;

TEST_F(ServerV2, HealthAndMetadata) {
  auto r = get("/v2/health/live");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = get("/v2/health/ready");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"ready\":true}");
  r = get("/v2");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("binary_tensor_data"), std::string::npos);
  EXPECT_EQ(r->body.find("model_repository"), std::string::npos);  // no admin token
  r = get("/v2/models/pass");
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"versions\":[\"3\"]"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,4]}"), std::string::npos) << r->body;
  EXPECT_EQ(get("/v2/models/pass/versions/3")->status, 200);
  EXPECT_EQ(get("/v2/models/pass/versions/2")->status, 404);
  EXPECT_EQ(get("/v2/models/pass/ready")->status, 200);
  EXPECT_EQ(get("/v2/models/pass/versions/3/ready")->status, 200);
  r = get("/v2/models/nope");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(r->body.find("\"error\""), std::string::npos);
  EXPECT_EQ(get("/v2/models/nope/ready")->status, 404);
  EXPECT_EQ(get("/nothing")->status, 404);
  EXPECT_EQ(get("/v2/models/pass/infer")->status, 405);
  r = get("/v2/models/types");
  for (const char* t : {"FP32", "FP64", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32",
                        "UINT64", "BOOL", "BYTES"})
    EXPECT_NE(r->body.find(std::string("\"") + t + "\""), std::string::npos) << t;
}

TEST_F(ServerV2, InferFlatNestedIdOutputsParameters) {
  auto r = post("/v2/models/pass/infer",
                R"({"id":"abc","parameters":{"k":1},"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":[1,2.5,3,4,5,6,7,-8.25]}]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body,
            R"({"model_name":"pass","model_version":"3","id":"abc","parameters":{"k":1},"outputs":[{"name":"x","datatype":"FP32","shape":[2,4],"data":[1,2.5,3,4,5,6,7,-8.25]}]})");
  r = post("/v2/models/pass/versions/3/infer",
           R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[[0.1,0.2],[0.3,0.4]]}]})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"data\":[0.1,0.2,0.3,0.4]"), std::string::npos) << r->body;
  // Requested outputs: only b, in that order.
  r = post("/v2/models/two/infer",
           R"({"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"INT64","data":[3,4]}],"outputs":[{"name":"b"}]})");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body.find("\"name\":\"a\""), std::string::npos);
  EXPECT_NE(r->body.find("{\"name\":\"b\",\"datatype\":\"INT64\",\"shape\":[1,2],\"data\":[3,4]}"), std::string::npos);
  r = post("/v2/models/two/infer",
           R"({"inputs":[{"name":"a","shape":[1,2],"datatype":"FP32","data":[1,2]},{"name":"b","shape":[1,2],"datatype":"INT64","data":[3,4]}],"outputs":[{"name":"zz"}]})");
  EXPECT_EQ(r->status, 400);
}

TEST_F(ServerV2, EveryDatatype) {
  std::string body = "{\"inputs\":[";
  const char* data[] = {"[1.5,-2,3,4]", "[1.25,2,3,-4e300]", "[0.5,1,-2,65504]", "[-128,127,0,1]",
                        "[-32768,32767,0,1]", "[-2147483648,2147483647,0,1]",
                        "[-9223372036854775808,9223372036854775807,0,1]", "[0,255,1,2]", "[0,65535,1,2]",
                        "[0,4294967295,1,2]", "[0,18446744073709551615,1,2]", "[true,false,true,true]",
                        R"(["a","\u00e9\"q",""," z"])"};
  for (size_t i = 0; i < kAllTypes.size(); ++i) {
    body += (i ? "," : "") + std::string("{\"name\":\"") + kAllTypes[i].first + "\",\"shape\":[1,4],\"datatype\":\"" +
            server::v2_name(kAllTypes[i].second) + "\",\"data\":" + data[i] + "}";
  }
  body += "]}";
  auto r = post("/v2/models/types/infer", body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const char* expect[] = {"[1.5,-2,3,4]", "[1.25,2,3,-4e+300]", "[0.5,1,-2,65504]", "[-128,127,0,1]",
                          "[-32768,32767,0,1]", "[-2147483648,2147483647,0,1]",
                          "[-9223372036854775808,9223372036854775807,0,1]", "[0,255,1,2]", "[0,65535,1,2]",
                          "[0,4294967295,1,2]", "[0,18446744073709551615,1,2]", "[true,false,true,true]",
                          "[\"a\",\"\xc3\xa9\\\"q\",\"\",\" z\"]"};
  for (size_t i = 0; i < kAllTypes.size(); ++i) {
    std::string want = std::string("{\"name\":\"") + kAllTypes[i].first + "\",\"datatype\":\"" +
                       server::v2_name(kAllTypes[i].second) + "\",\"shape\":[1,4],\"data\":" + expect[i] + "}";
    EXPECT_NE(r->body.find(want), std::string::npos) << want << "\n" << r->body;
  }
  // Out of range for the type.
  r = post("/v2/models/types/infer", std::string(body).replace(body.find("[-128,127"), 9, "[-129,127"));
  EXPECT_EQ(r->status, 400);
}

std::string bin_request(const std::string& json, const std::string& bin, httplib::Headers* h) {
  (*h).emplace("Inference-Header-Content-Length", std::to_string(json.size()));
  return json + bin;
}

TEST_F(ServerV2, BinaryExtension) {
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8.5f};
  std::string json =
      R"({"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","parameters":{"binary_data_size":32}}],"outputs":[{"name":"x","parameters":{"binary_data":true}}]})";
  httplib::Headers h;
  std::string body = bin_request(json, std::string(reinterpret_cast<char*>(x), 32), &h);
  auto c = srv->client();
  auto r = c.Post("/v2/models/pass/infer", h, body, "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  ASSERT_TRUE(r->has_header("Inference-Header-Content-Length"));
  size_t hl = std::stoul(r->get_header_value("Inference-Header-Content-Length"));
  ASSERT_EQ(r->body.size(), hl + 32);
  EXPECT_NE(r->body.substr(0, hl).find("\"binary_data_size\":32"), std::string::npos);
  EXPECT_EQ(std::memcmp(r->body.data() + hl, x, 32), 0);
  // binary_data_output for every output; BYTES as length-prefixed elements.
  std::string s;
  for (const char* e : {"ab", "", "xyz", "q"}) {
    uint32_t n = static_cast<uint32_t>(strlen(e));
    s.append(reinterpret_cast<char*>(&n), 4);
    s += e;
  }
  std::string j2 = R"({"parameters":{"binary_data_output":true},"inputs":[{"name":"s","shape":[1,4],"datatype":"BYTES","parameters":{"binary_data_size":)" +
                   std::to_string(s.size()) + "}}";
  // the types model needs every input: give the others as JSON
  const char* rest[] = {"f32", "FP32", "f64", "FP64", "f16", "FP16", "i8", "INT8", "i16", "INT16", "i32", "INT32", "i64", "INT64",
                        "u8", "UINT8", "u16", "UINT16", "u32", "UINT32", "u64", "UINT64"};
  for (int i = 0; i < 22; i += 2)
    j2 += std::string(",{\"name\":\"") + rest[i] + "\",\"shape\":[1,4],\"datatype\":\"" + rest[i + 1] + "\",\"data\":[1,2,3,4]}";
  j2 += R"(,{"name":"b","shape":[1,4],"datatype":"BOOL","data":[true,false,true,false]}]})";
  httplib::Headers h2;
  body = bin_request(j2, s, &h2);
  r = c.Post("/v2/models/types/infer", h2, body, "application/octet-stream");
  ASSERT_EQ(r->status, 200) << r->body;
  hl = std::stoul(r->get_header_value("Inference-Header-Content-Length"));
  EXPECT_NE(r->body.find(s), std::string::npos);
  EXPECT_GT(r->body.size(), hl + s.size());
  // binary_data_size past the end.
  httplib::Headers h3;
  body = bin_request(json, std::string(16, '\0'), &h3);
  EXPECT_EQ(c.Post("/v2/models/pass/infer", h3, body, "application/octet-stream")->status, 400);
  httplib::Headers h4{{"Inference-Header-Content-Length", "99999"}};
  EXPECT_EQ(c.Post("/v2/models/pass/infer", h4, json, "application/octet-stream")->status, 400);
}

TEST_F(ServerV2, Records) {
  auto r = post("/v2/models/two/infer", R"({"instances":[{"a":[1,2],"b":[3,4]},{"b":[7,8],"a":[5,6.5]}]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find(R"("predictions":[{"a":[1,2],"b":[3,4]},{"a":[5,6.5],"b":[7,8]}])"), std::string::npos) << r->body;
  r = post("/v2/models/two/infer", R"({"instances":[{"a":[1,2],"b":[3,4],"c":1}]})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("'c'"), std::string::npos) << r->body;
  r = post("/v2/models/two/infer", R"({"instances":[{"a":[1,2]}]})");
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("b"), std::string::npos) << r->body;
  r = post("/v2/models/two/infer", R"({"instances":[{"a":[1,2],"b":[3]}]})");
  EXPECT_EQ(r->status, 400);
}

std::string nested(int depth) {
  // root object + inputs array + input object = 3 levels; the rest is data nesting.
  std::string d = "[1,2,3,4]";
  for (int i = 0; i < depth - 4; ++i) d = "[" + d + "]";
  return R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":)" + d + "}]}";
}

TEST_F(ServerV2, Errors) {
  auto expect = [&](const std::string& body, int status, const char* what, const char* ct = "application/json") {
    auto r = post("/v2/models/pass/infer", body, ct);
    ASSERT_TRUE(r) << what;
    EXPECT_EQ(r->status, status) << what << ": " << r->body;
    EXPECT_EQ(r->body.rfind("{\"error\":", 0), 0u) << what << ": " << r->body;
    EXPECT_EQ(r->body.find("/tmp"), std::string::npos) << "a path leaked: " << r->body;
  };
  expect(R"({"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})", 400, "wrong shape");
  expect(R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3]}]})", 400, "data short");
  expect(R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4,5]}]})", 400, "data long");
  expect(R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"INT64","data":[1,2,3,4]}]})", 400, "wrong dtype");
  expect(R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,"a",4]}]})", 400, "bad element");
  expect(R"({"inputs":[{"name":"y","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})", 400, "unknown input");
  expect(R"({"inputs":[]})", 400, "missing input");
  expect(R"({"inputs":[{"name":"x","shape":[16,1152921504606846978],"datatype":"FP32","data":[1]}]})", 400, "huge shape");
  expect(R"({"inputs":[{"name":"x","shape":[1152921504606846978,4],"datatype":"FP32","data":[1]}]})", 400, "huge rows");
  expect(R"({"inputs":[{"name":"x","shape":[-1,4],"datatype":"FP32","data":[1]}]})", 400, "negative dim");
  expect(R"({"inputs":[{"name":"x","shape":[1001,4],"datatype":"FP32","data":[1]}]})", 400, "rows limit");
  expect("{\"inputs\":[{\"name\"", 400, "junk JSON");
  expect("not json at all", 400, "junk");
  expect("[1,2]", 400, "not an object");
  expect(nested(120), 400, "depth 120");
  auto r = post("/v2/models/pass/infer", nested(50));
  EXPECT_EQ(r->status, 200) << r->body;
  expect(R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})", 415, "content type", "image/png");
  r = post("/v2/models/nope/infer", R"({"inputs":[]})");
  EXPECT_EQ(r->status, 404);
  // Oversize body: 413 (the limit is 1 MiB here).
  r = post("/v2/models/pass/infer", std::string(2 << 20, ' '));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  // The server still answers afterwards.
  EXPECT_EQ(get("/v2/health/live")->status, 200);
}

TEST_F(ServerV2, Metrics) {
  post("/v2/models/pass/infer", R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})");
  auto r = get("/metrics");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("rtml_model_requests_total{model=\"pass\",version=\"3\"}"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("rtml_model_compute_seconds_bucket{model=\"pass\",version=\"3\",le=\"+Inf\"}"), std::string::npos);
  EXPECT_NE(r->body.find("process_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(r->body.find("rtml_models_loaded 3"), std::string::npos);
}

TEST_F(ServerV2, EightConcurrentClients) {
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      auto c = srv->client();
      for (int i = 0; i < 300; ++i) {
        std::string v = std::to_string(t * 1000 + i);
        auto r = c.Post("/v2/models/pass/infer",
                        "{\"id\":\"" + v + "\",\"inputs\":[{\"name\":\"x\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[" + v +
                            ",1,2," + v + "]}]}",
                        "application/json");
        if (!r || r->status != 200 || r->body.find("\"id\":\"" + v + "\"") == std::string::npos ||
            r->body.find("\"data\":[" + v + ",1,2," + v + "]") == std::string::npos)
          ++bad;
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace rtml::test
