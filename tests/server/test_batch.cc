// test_batch.cc - micro-batching: concurrent single-row requests merged into fewer runs, every
// client getting its own row back; multi-row requests bypass the queue; a full queue answers 503.
#include <atomic>
#include <thread>

#include "tests/server/server_fixture.hpp"

namespace rtml::test {
namespace {

struct ServerBatch : ::testing::Test {
  std::string dir = temp_dir();
  std::unique_ptr<TestServer> srv;
  void start(int max_batch, int wait_us, int queue) {
    write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}, {"s", DType::String}}));
    server::ServeOptions o;
    o.model_path = dir + "/m.onnx";
    o.model_name = "m";
    o.batch.max_batch = max_batch;
    o.batch.max_wait_us = wait_us;
    o.batch.max_queue = queue;
    srv = std::make_unique<TestServer>(o);
  }
  void TearDown() override {
    srv.reset();
    std::filesystem::remove_all(dir);
  }
};

std::string request(const std::string& v, int rows = 1) {
  std::string x, s;
  for (int r = 0; r < rows; ++r) {
    x += (r ? "," : "") + v + ",1,2," + v;
    s += std::string(r ? "," : "") + "\"a" + v + "\",\"b\",\"c\",\"d" + v + "\"";
  }
  return "{\"id\":\"" + v + "\",\"inputs\":[{\"name\":\"x\",\"shape\":[" + std::to_string(rows) +
         ",4],\"datatype\":\"FP32\",\"data\":[" + x + "]},{\"name\":\"s\",\"shape\":[" + std::to_string(rows) +
         ",4],\"datatype\":\"BYTES\",\"data\":[" + s + "]}]}";
}

TEST_F(ServerBatch, MergesConcurrentRowsAndAnswersEachItsOwn) {
  start(8, 3000, 1024);
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  const int kPer = 60;
  for (int t = 0; t < 8; ++t) {
    ts.emplace_back([&, t] {
      auto c = srv->client();
      for (int i = 0; i < kPer; ++i) {
        std::string v = std::to_string(t * 1000 + i);
        auto r = c.Post("/v2/models/m/infer", request(v), "application/json");
        if (!r || r->status != 200 || r->body.find("\"id\":\"" + v + "\"") == std::string::npos ||
            r->body.find("\"shape\":[1,4],\"data\":[" + v + ",1,2," + v + "]") == std::string::npos ||
            r->body.find("\"data\":[\"a" + v + "\",\"b\",\"c\",\"d" + v + "\"]") == std::string::npos) {
          ++bad;
          if (r) ADD_FAILURE() << r->status << " " << r->body;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
  auto c = srv->client();
  // Two rows: not queued, answered whole.
  auto r = c.Post("/v2/models/m/infer", request("7", 2), "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"shape\":[2,4],\"data\":[7,1,2,7,7,1,2,7]"), std::string::npos) << r->body;
  // Records with one row go through the batcher too.
  r = c.Post("/v2/models/m/infer", R"({"instances":[{"x":[1,2,3,4],"s":["p","q","r","t"]}]})", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find(R"("predictions":[{"x":[1,2,3,4],"s":["p","q","r","t"]}])"), std::string::npos) << r->body;
  auto m = c.Get("/metrics")->body;
  size_t p = m.find("rtml_model_batches_total{model=\"m\",version=\"1\"} ");
  ASSERT_NE(p, std::string::npos) << m;
  long batches = std::atol(m.c_str() + p + 48);
  EXPECT_GT(batches, 0);
  EXPECT_LT(batches, 8 * kPer);  // some requests shared a run
}

TEST_F(ServerBatch, FullQueueAnswers503Promptly) {
  start(64, 2000000, 1);  // waits up to 2 s for company, holds one request at most
  std::atomic<int> ok{0}, full{0}, other{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 6; ++t) {
    ts.emplace_back([&, t] {
      auto c = srv->client();
      auto t0 = std::chrono::steady_clock::now();
      auto r = c.Post("/v2/models/m/infer", request(std::to_string(t)), "application/json");
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
      if (r && r->status == 200) ++ok;
      else if (r && r->status == 503 && ms < 1000) ++full;
      else ++other;
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_GE(ok.load(), 1);
  EXPECT_GE(full.load(), 1);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace rtml::test
