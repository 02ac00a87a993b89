// test_admin.cc - model management through a real server: auth, hot reload under load (zero
// failed requests, every answer from the old or the new version), a failed load leaving the old
// version serving, unload/load, and SIGTERM draining of the real `rtml serve` process.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/server/server_fixture.hpp"
#include "tests/util/test_env.hpp"

namespace rtml::test {
namespace {

const char* kToken = "s3cret-token";
const std::string kInfer = R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})";

struct ServerAdmin : ::testing::Test {
  std::string dir = temp_dir();
  std::unique_ptr<TestServer> srv;
  void SetUp() override {
    write_file(dir + "/repo/m/1/model.onnx", passthrough_model({{"x", DType::F32}}));
    server::ServeOptions o;
    o.repository = dir + "/repo";
    o.admin_token = kToken;
    srv = std::make_unique<TestServer>(o);
  }
  void TearDown() override {
    srv.reset();
    std::filesystem::remove_all(dir);
  }
  httplib::Headers auth() const { return {{"Authorization", std::string("Bearer ") + kToken}}; }
};

TEST_F(ServerAdmin, AuthRequiredHealthOpen) {
  auto c = srv->client();
  EXPECT_EQ(c.Post("/v2/repository/index", "", "application/json")->status, 401);
  EXPECT_EQ(c.Post("/v2/repository/index", httplib::Headers{{"Authorization", "Bearer wrong"}}, "", "application/json")->status, 401);
  EXPECT_EQ(c.Post("/v2/repository/index", httplib::Headers{{"Authorization", std::string("Bearer ") + kToken + "x"}}, "",
                   "application/json")->status, 401);
  EXPECT_EQ(c.Post("/v2/repository/models/m/unload", "", "application/json")->status, 401);
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 200);
  EXPECT_EQ(c.Post("/v2/models/m/infer", kInfer, "application/json")->status, 200);
  auto r = c.Post("/v2/repository/index", auth(), "", "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"([{"name":"m","version":"1","state":"READY"}])");
  EXPECT_NE(c.Get("/v2")->body.find("model_repository"), std::string::npos);
}

TEST(ServerAdminOff, RepositoryDisabledWithoutToken) {
  std::string dir = temp_dir();
  write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}}));
  server::ServeOptions o;
  o.model_path = dir + "/m.onnx";
  o.model_name = "m";
  TestServer srv(o);
  auto c = srv.client();
  EXPECT_EQ(c.Post("/v2/repository/index", httplib::Headers{{"Authorization", "Bearer x"}}, "", "application/json")->status, 403);
  EXPECT_EQ(c.Post("/v2/models/m/infer", kInfer, "application/json")->status, 200);
  std::filesystem::remove_all(dir);
}

TEST_F(ServerAdmin, FailedLoadKeepsOldVersionUnloadLoad) {
  auto c = srv->client();
  auto r = c.Post("/v2/repository/models/m/load", auth(), "this is not an onnx model", "application/octet-stream");
  ASSERT_EQ(r->status, 400) << r->body;
  EXPECT_EQ(r->body.find(dir), std::string::npos) << "path leaked: " << r->body;
  r = c.Post("/v2/models/m/infer", kInfer, "application/json");
  ASSERT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("\"model_version\":\"1\""), std::string::npos);
  // A broken file in the repository: reload fails, version 1 keeps serving.
  write_file(dir + "/repo/m/2/model.onnx", "garbage");
  EXPECT_EQ(c.Post("/v2/repository/models/m/load", auth(), "", "application/json")->status, 400);
  EXPECT_EQ(c.Post("/v2/models/m/infer", kInfer, "application/json")->status, 200);
  // Fixed file: version 2.
  write_file(dir + "/repo/m/2/model.onnx", passthrough_model({{"x", DType::F32}}));
  EXPECT_EQ(c.Post("/v2/repository/models/m/load", auth(), "", "application/json")->status, 200);
  r = c.Post("/v2/models/m/infer", kInfer, "application/json");
  EXPECT_NE(r->body.find("\"model_version\":\"2\""), std::string::npos) << r->body;
  EXPECT_EQ(c.Post("/v2/repository/models/m/unload", auth(), "", "application/json")->status, 200);
  EXPECT_EQ(c.Post("/v2/models/m/infer", kInfer, "application/json")->status, 404);
  r = c.Post("/v2/repository/index", auth(), "", "application/json");
  EXPECT_NE(r->body.find("UNAVAILABLE"), std::string::npos) << r->body;
  EXPECT_EQ(c.Post("/v2/repository/models/zz/load", auth(), "", "application/json")->status, 404);
  // New model from bytes.
  EXPECT_EQ(c.Post("/v2/repository/models/fresh/load", auth(), passthrough_model({{"x", DType::F32}}),
                   "application/octet-stream")->status, 200);
  EXPECT_EQ(c.Post("/v2/models/fresh/infer", kInfer, "application/json")->status, 200);
}

TEST_F(ServerAdmin, HotReloadUnderLoad) {
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, answered{0}, last_loaded{1}, bad_version{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      auto c = srv->client();
      while (!stop.load()) {
        int floor = last_loaded.load() - 1;  // loaded before this request: old or new version
        auto r = c.Post("/v2/models/m/infer", kInfer, "application/json");
        if (!r || r->status != 200 || r->body.find("\"data\":[1,2,3,4]") == std::string::npos) {
          ++failed;
          continue;
        }
        size_t p = r->body.find("\"model_version\":\"");
        int v = p == std::string::npos ? -1 : std::atoi(r->body.c_str() + p + 17);
        if (v < floor || v > last_loaded.load() + 1) ++bad_version;
        ++answered;
      }
    });
  }
  auto admin = srv->client();
  std::string bytes = passthrough_model({{"x", DType::F32}});
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int loads = 0;
  while (std::chrono::steady_clock::now() < end) {
    auto r = admin.Post("/v2/repository/models/m/load", auth(), bytes, "application/octet-stream");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    last_loaded.store(2 + loads++);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : clients) t.join();
  EXPECT_GE(loads, 30);  // ~90 on an idle machine
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(bad_version.load(), 0);
  EXPECT_GT(answered.load(), 1000);
  auto r = admin.Post("/v2/models/m/infer", kInfer, "application/json");
  EXPECT_NE(r->body.find("\"model_version\":\"" + std::to_string(1 + loads) + "\""), std::string::npos) << r->body;
}

// ---- SIGTERM on the real command ----------------------------------------------------------

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string read_all(int fd, int timeout_ms) {
  std::string out;
  char b[4096];
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, b, sizeof b, 0);
    if (n <= 0) break;
    out.append(b, static_cast<size_t>(n));
  }
  return out;
}

TEST(ServerSigterm, DrainsInFlightThenExitsZero) {
  std::string bin = rtml_binary();
  if (bin.empty()) {  // beside the build tree: build/tests/server/THIS -> build/rtml
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) bin = (self.parent_path().parent_path().parent_path() / "rtml").string();
  }
  if (bin.empty() || access(bin.c_str(), X_OK) != 0) GTEST_SKIP() << "the rtml command is not built (RTML_BINARY)";
  std::string dir = temp_dir();
  write_file(dir + "/m.onnx", passthrough_model({{"x", DType::F32}}));
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    execl(bin.c_str(), bin.c_str(), "serve", (dir + "/m.onnx").c_str(), "--port", "0", "--threads", "1",
          "--drain-timeout-s", "5", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string banner;
  char ch;
  while (banner.find('\n') == std::string::npos && read(out[0], &ch, 1) == 1) banner += ch;
  size_t p = banner.find("http://127.0.0.1:");
  ASSERT_NE(p, std::string::npos) << banner;
  int port = std::atoi(banner.c_str() + p + 17);
  // A readiness probe half sent, and an inference with half its body sent.
  int probe = connect_to(port), req = connect_to(port);
  ASSERT_GE(probe, 0);
  ASSERT_GE(req, 0);
  std::string head = "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                     std::to_string(kInfer.size()) + "\r\n\r\n";
  std::string first = head + kInfer.substr(0, 20);
  ASSERT_EQ(send(req, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
  const char* probe1 = "GET /v2/health/ready HTTP/1.1\r\nHost: x\r\n";
  ASSERT_GT(send(probe, probe1, strlen(probe1), 0), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_GT(send(probe, "\r\n", 2, 0), 0);
  std::string ready = read_all(probe, 2000);
  EXPECT_NE(ready.find("503"), std::string::npos) << ready;
  EXPECT_NE(ready.find("\"ready\":false"), std::string::npos) << ready;
  std::string rest = kInfer.substr(20);
  ASSERT_EQ(send(req, rest.data(), rest.size(), 0), static_cast<ssize_t>(rest.size()));
  std::string answer = read_all(req, 2000);
  EXPECT_NE(answer.find("HTTP/1.1 200"), std::string::npos) << answer;
  EXPECT_NE(answer.find("\"data\":[1,2,3,4]"), std::string::npos) << answer;
  EXPECT_NE(answer.find("Connection: close"), std::string::npos) << answer;
  close(probe);
  close(req);
  int status = -1;
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!WIFEXITED(status)) kill(pid, SIGKILL), waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  // New connections are refused after the drain began (the listener is closed).
  EXPECT_LT(connect_to(port), 0);
  close(out[0]);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rtml::test
