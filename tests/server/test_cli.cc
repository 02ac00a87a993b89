// test_cli.cc - `rtml serve` arguments (KServe aliases, limits, token from the environment) and a
// model repository's config.json (max_rows, micro-batching).
#include <cstdlib>

#include "tests/server/server_fixture.hpp"

namespace rtml::test {
namespace {

int parse(std::vector<std::string> args, server::ServeOptions* o, std::string* err) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  bool exit_now = false;
  return server::parse_serve_args(static_cast<int>(argv.size()), argv.data(), o, &exit_now, err);
}

TEST(ServerCli, ArgumentsAndAliases) {
  std::string dir = temp_dir();
  write_file(dir + "/kserve/model.onnx", "x");
  write_file(dir + "/repo/a/1/model.onnx", "x");
  server::ServeOptions o;
  std::string err;
  ASSERT_EQ(parse({"serve", "--model_dir", dir + "/kserve", "--model_name", "iris", "--http_port", "9001",
                   "--max-body-bytes=1000", "--max-rows", "7", "--threads", "3"}, &o, &err), 0) << err;
  EXPECT_EQ(o.model_path, dir + "/kserve/model.onnx");
  EXPECT_EQ(o.model_name, "iris");
  EXPECT_EQ(o.port, 9001);
  EXPECT_EQ(o.http.max_body_bytes, 1000u);
  EXPECT_EQ(o.codec.max_rows, 7);
  EXPECT_EQ(o.threads, 3);
  EXPECT_EQ(o.host, "127.0.0.1");
  server::ServeOptions r;
  ASSERT_EQ(parse({"serve", "--model_dir", dir + "/repo"}, &r, &err), 0) << err;
  EXPECT_EQ(r.repository, dir + "/repo");
  server::ServeOptions f;
  ASSERT_EQ(parse({"serve", dir + "/kserve/model.onnx"}, &f, &err), 0);
  EXPECT_EQ(f.model_name, "model");
  EXPECT_EQ(f.port, 8080);
  setenv("RTML_ADMIN_TOKEN", "tok", 1);
  server::ServeOptions t;
  ASSERT_EQ(parse({"serve", "--model-repository", dir + "/repo"}, &t, &err), 0);
  EXPECT_EQ(t.admin_token, "tok");
  unsetenv("RTML_ADMIN_TOKEN");
  server::ServeOptions bad;
  EXPECT_EQ(parse({"serve"}, &bad, &err), 2);
  EXPECT_EQ(parse({"serve", "m.onnx", "--bogus"}, &bad, &err), 2);
  EXPECT_EQ(parse({"serve", "m.onnx", "--port", "x"}, &bad, &err), 2);
  EXPECT_EQ(parse({"serve", "m.onnx", "--port", "70000"}, &bad, &err), 2);
  EXPECT_EQ(parse({"serve", "m.onnx", "--port"}, &bad, &err), 2);
  std::filesystem::remove_all(dir);
}

TEST(ServerCli, BusyPortIsAnError) {
  std::string dir = temp_dir();
  write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}}));
  server::ServeOptions o;
  o.model_path = dir + "/m.onnx";
  o.model_name = "m";
  TestServer first(o);
  o.port = first.port;
  o.quiet = true;
  server::Server second(o);
  std::string err;
  EXPECT_FALSE(second.start(&err));  // SO_REUSEPORT must not let it share the port
  EXPECT_NE(err.find("cannot listen"), std::string::npos) << err;
  EXPECT_EQ(first.client().Get("/v2/health/live")->status, 200);
  std::filesystem::remove_all(dir);
}

TEST(ServerCli, RepositoryConfigJson) {
  std::string dir = temp_dir();
  write_file(dir + "/repo/m/2/model.onnx", passthrough_model({{"x", DType::F32}}));
  write_file(dir + "/repo/m/1/model.onnx", "old and broken: version 2 is served");
  write_file(dir + "/repo/m/config.json", R"({"max_rows": 2, "max_batch": 4, "max_wait_us": 100})");
  server::ServeOptions o;
  o.repository = dir + "/repo";
  TestServer srv(o);
  auto c = srv.client();
  auto r = c.Post("/v2/models/m/infer", R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})",
                  "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_NE(r->body.find("\"model_version\":\"2\""), std::string::npos);
  r = c.Post("/v2/models/m/infer", R"({"inputs":[{"name":"x","shape":[3,4],"datatype":"FP32","data":[1,2,3,4,1,2,3,4,1,2,3,4]}]})",
             "application/json");
  EXPECT_EQ(r->status, 400) << r->body;  // max_rows 2
  auto m = c.Get("/metrics")->body;
  EXPECT_NE(m.find("rtml_model_batches_total{model=\"m\",version=\"2\"} 1"), std::string::npos) << m;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rtml::test
